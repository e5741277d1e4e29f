# The PVH boot ABI loader: the entry note, hvm_start_info, the module list
# and memory map byte by byte, the entry state, each refused image.
HOST_TESTS += test_pvh
test_pvh_SRCS := core/pc/pvh_boot.c core/pc/boot_image.c core/pc/elf_load.c core/pc/linux_boot.c
test_pvh_SAN := asan
