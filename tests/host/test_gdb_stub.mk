# The GDB stub's protocol layer on a fake target (tests/host/test_gdb.h):
# framing, queries, target.xml, threads, resumes, stops, Ctrl-C, D and k.
GDB_STUB_SRCS := core/debug/gdb_stub.c core/debug/gdb_regs.c core/debug/gdb_mem.c
HOST_TESTS += test_gdb_stub
test_gdb_stub_SRCS := $(GDB_STUB_SRCS)
test_gdb_stub_SAN := asan
