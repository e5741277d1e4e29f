# The Multiboot v1 loader and the ELF loader under it: ELF32, ELF64 and
# a.out kludge images, the information structure byte by byte, the entry
# state, each refused image.
HOST_TESTS += test_multiboot
test_multiboot_SRCS := core/pc/multiboot.c core/pc/boot_image.c core/pc/elf_load.c \
	core/pc/linux_boot.c
test_multiboot_SAN := asan
