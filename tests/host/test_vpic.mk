# 8259A PIC pair and ELCR: Linux's init sequence, masking, edge latching,
# level mode via ELCR, priority with the cascade, EOI variants, OCW3 reads
# and polling, auto-EOI, rotation, spurious IRQ 7/15, and the INTR line.
HOST_TESTS += test_vpic
test_vpic_SRCS := core/pc/dev/vpic.c
test_vpic_SAN := asan
