# The UART's and the PIC's interrupt outputs while other CPUs keep
# changing their state: the console CPU delivering input drives at most
# once (a flip of the level forced on every drive), and the UART wired
# through the PIC under racing vCPUs and console input ends with every
# line at its device's final level.
HOST_TESTS += test_irq_drive
test_irq_drive_SRCS := core/pc/dev/vuart.c core/pc/dev/vpic.c
test_irq_drive_SAN := asan tsan
