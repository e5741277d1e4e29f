# PCI configuration mechanism #1 with the 440FX host bridge at 00:00.0.
HOST_TESTS += test_vpci
test_vpci_SRCS := core/pc/dev/vpci.c
test_vpci_SAN := asan
