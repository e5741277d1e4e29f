# x86 instruction decoder: prefix and encoding rules, the 15-byte limit,
# decoded fields, and random bytes that must never be read past the buffer.
HOST_TESTS += test_insn_len_rules
test_insn_len_rules_SRCS := core/insn_len.c
test_insn_len_rules_SAN := asan
