# pc-testdev's IRQ lines into a real 8259 pair and IOAPIC with local
# APICs: levels held, widths, edge and level pins, remote IRR and EOI,
# masking, PIC routing.
HOST_TESTS += test_vtestdev
test_vtestdev_SRCS := core/pc/dev/vtestdev.c core/pc/dev/vioapic.c core/pc/dev/vpic.c \
	core/pc/dev/vlapic.c core/pc/dev/vlapic_timer.c core/pc/dev/vapic_bus.c core/vtimer.c
test_vtestdev_SAN := asan
