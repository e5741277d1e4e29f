# Virtual 8254 PIT: programming sequences, counters and OUT per mode on a
# virtual clock, channel 2 through port 0x61, channel 0 IRQ 0 on a vtimer.
HOST_TESTS += test_vpit
test_vpit_SRCS := core/pc/dev/vpit.c core/vtimer.c
test_vpit_SAN := asan
