# The GDB stub's memory and breakpoint packets on the fake target: reads,
# writes, X escapes, the unmapped hole, INT3s hidden and kept, Z1-Z4.
HOST_TESTS += test_gdb_mem
test_gdb_mem_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c
test_gdb_mem_SAN := asan
