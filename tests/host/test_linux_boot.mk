# The Linux boot protocol loader: placement, every boot_params field, the
# GDT and both entry states, protocols 2.06-2.15, fixed-address kernels,
# each rejected image; Debian's kernel if it is built.
HOST_TESTS += test_linux_boot
test_linux_boot_SRCS := core/pc/linux_boot.c
test_linux_boot_SAN := asan
