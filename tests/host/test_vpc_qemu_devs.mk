# QEMU's test devices on the whole virtual PC through the exit dispatch:
# absent by default (the ports float, 0x8900 always there), debugcon into
# COM1's console, fw_cfg, pc-testdev into a level IOAPIC pin, debug-exit
# stopping the VM with its status, debug-exit ranges over the PC's ports.
HOST_TESTS += test_vpc_qemu_devs
test_vpc_qemu_devs_SRCS = $(VCPU_RUN_TEST_SRCS)
test_vpc_qemu_devs_SAN := asan
