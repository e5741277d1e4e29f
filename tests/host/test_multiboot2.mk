# The Multiboot2 loader: header tags, the information tags byte by byte,
# the entry state, each refused header.
HOST_TESTS += test_multiboot2
test_multiboot2_SRCS := core/pc/multiboot2.c core/pc/boot_image.c core/pc/elf_load.c \
	core/pc/linux_boot.c
test_multiboot2_SAN := asan
