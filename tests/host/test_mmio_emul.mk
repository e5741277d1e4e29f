# MMIO instruction decoder/emulator: real encodings in 16-, 32- and 64-bit
# mode, register merging, flags by hand and against the host CPU, refused
# forms, and lengths cross-checked with core/insn_len.c on random bytes.
HOST_TESTS += test_mmio_emul
test_mmio_emul_SRCS := core/pc/mmio_emul.c core/insn_len.c
test_mmio_emul_SAN := asan
