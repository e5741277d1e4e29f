# The GDB stub's registers on the fake target: the g/G layout, p and P,
# and the architectural checks that keep refused values from the target.
HOST_TESTS += test_gdb_regs
test_gdb_regs_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c
test_gdb_regs_SAN := asan
