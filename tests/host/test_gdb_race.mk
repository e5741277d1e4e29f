# The GDB stub's stop reports and breakpoint queries from another thread
# against its polling thread (ASan and TSan).
HOST_TESTS += test_gdb_race
test_gdb_race_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c
test_gdb_race_SAN := asan tsan
