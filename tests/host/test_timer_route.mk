# Device timers that follow their interrupt: IOAPIC entries rewritten to
# other vCPUs move the PIT's and the RTC's timers, alone and while exit,
# router, guest and audit threads run; the PIT's ticks counted exactly.
HOST_TESTS += test_timer_route
test_timer_route_SRCS := core/pc/dev/vioapic.c core/pc/dev/vlapic.c \
	core/pc/dev/vlapic_timer.c core/pc/dev/vapic_bus.c core/pc/dev/vpit.c \
	core/pc/dev/vrtc.c core/vtimer.c
test_timer_route_SAN := asan tsan
