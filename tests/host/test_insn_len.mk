# x86 instruction decoder: lengths of ~560 instructions assembled by GNU as
# in 16-, 32- and 64-bit mode, prefix and encoding rules, decoded fields,
# and random bytes that must never be read past the buffer.
HOST_TESTS += test_insn_len
test_insn_len_SRCS := core/insn_len.c
test_insn_len_SAN := asan
