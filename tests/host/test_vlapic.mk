# Virtual local APIC: xAPIC/x2APIC registers and #GP cases, APIC_BASE
# transitions, TPR/PPR, IRR->ISR->EOI, IPIs in every addressing mode, the
# timer in its three modes on a virtual clock, and senders on three threads
# against the owner acking and EOIing (TSan).
HOST_TESTS += test_vlapic
test_vlapic_SRCS := core/pc/dev/vlapic.c core/pc/dev/vlapic_timer.c \
	core/pc/dev/vapic_bus.c core/vtimer.c
test_vlapic_SAN := asan tsan
