/*
 * Forced into every hypervisor translation unit (-include): every symbol is
 * hidden, so the position-independent code reaches its own functions and
 * data PC-relative, without a GOT, in both the UEFI image and the
 * Multiboot2 image.
 */
#pragma GCC visibility push(hidden)
