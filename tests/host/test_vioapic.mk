# Virtual I/O APIC with real local APICs behind it: registers, edge and
# level pins, remote IRR and EOI re-delivery, polarity, masking, routing.
HOST_TESTS += test_vioapic
test_vioapic_SRCS := core/pc/dev/vioapic.c core/pc/dev/vlapic.c \
	core/pc/dev/vlapic_timer.c core/pc/dev/vapic_bus.c core/vtimer.c
test_vioapic_SAN := asan
