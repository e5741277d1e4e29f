# The GDB stub's protocol layer on a fake target (tests/host/test_gdb.h):
# framing, queries, target.xml, threads, resumes, stops, Ctrl-C, D and k.
HOST_TESTS += test_gdb_stub
test_gdb_stub_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c
test_gdb_stub_SAN := asan
