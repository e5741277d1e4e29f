# Real GDB against the GDB stub (tests/gdb/run.sh): the stub over TCP on
# the fake target of tests/host/test_gdb.h, built like a hosted test
# (ASan/UBSan). Included by the Makefile; `make host-test` and `make test`
# run it after the hosted tests.
GDB_SERVER := $(BUILD)/host/asan/gdb_server
GDB_SERVER_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c

$(GDB_SERVER): tests/gdb/gdb_server.c $(GDB_SERVER_SRCS) $(HOST_COMMON) $(HDRS) \
		$(wildcard tests/host/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(HOST_SAN_asan) -o $@ tests/gdb/gdb_server.c \
		$(GDB_SERVER_SRCS) $(HOST_COMMON) -lm

.PHONY: gdb-test
gdb-test: $(GDB_SERVER)
	$(Q)tests/gdb/run.sh $(GDB_SERVER) | tests/summary.sh
