# x86 instruction decoder: lengths of ~560 instructions assembled by GNU as
# in 16-, 32- and 64-bit mode, from exact buffers, with trailing bytes and
# cut short.
HOST_TESTS += test_insn_len
test_insn_len_SRCS := core/insn_len.c
test_insn_len_SAN := asan
