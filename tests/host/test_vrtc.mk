# Virtual MC146818 RTC: calendar encodings of known instants, UIP window,
# SET, periodic / update / alarm interrupts on a virtual clock, CMOS bytes,
# every year 0000-9999 set both ways in both data modes, and every century byte.
HOST_TESTS += test_vrtc
test_vrtc_SRCS := core/pc/dev/vrtc.c core/vtimer.c
test_vrtc_SAN := asan
