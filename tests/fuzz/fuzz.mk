# Fuzz targets: tests/fuzz/<name>.c, a libFuzzer entry point built with
# clang -fsanitize=fuzzer,address,undefined together with the real sources
# named in <name>_SRCS. Each target also names its longest input
# (<name>_MAX_LEN) and the inputs of its smoke run (<name>_SMOKE_RUNS, a few
# seconds' worth). Seeds: tests/fuzz/corpus/<name>/. Included by the
# Makefile.
#
#   make fuzz                     run every target for FUZZ_SECONDS (60) each,
#                                 growing the corpus in build/fuzz/corpus/<name>
#                                 from the seeds
#   make build/fuzz/<name>        just build one
#   make fuzz-smoke               tests/fuzz/run.sh: a fixed-seed run of each
#                                 target, one PASS/FAIL line each (make test)
#   make fuzz-list                "<name> <max_len> <smoke runs>" per target

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -Iarch/x86/include -DHV_HOSTED \
	-pthread -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fsanitize-coverage-ignorelist=tests/fuzz/coverage.ignore

# Targets that need the platform layer (the log, the heap, the clock) link
# the hosted shim with it: $(FUZZ_HOST).
FUZZ_HOST := tests/host/shim.c core/lib/log.c core/lib/printf.c core/lib/errno.c \
	core/lib/spinlock.c core/lib/text_filter.c

FUZZ_TARGETS := fuzz_mmio_emul fuzz_insn_len fuzz_vmconfig fuzz_linux_boot fuzz_multiboot fuzz_vpc fuzz_gdb \
	fuzz_string_io

# The MMIO emulator: an instruction against a recording device.
fuzz_mmio_emul_SRCS := core/pc/mmio_emul.c core/insn_len.c
fuzz_mmio_emul_MAX_LEN := 40
fuzz_mmio_emul_SMOKE_RUNS := 200000
# The instruction length decoder in each mode.
fuzz_insn_len_SRCS := core/insn_len.c
fuzz_insn_len_MAX_LEN := 32
fuzz_insn_len_SMOKE_RUNS := 200000
# The vms.cfg parser.
fuzz_vmconfig_SRCS := core/launch/vmconfig.c core/launch/vmconfig_values.c $(FUZZ_HOST)
fuzz_vmconfig_MAX_LEN := 512
fuzz_vmconfig_SMOKE_RUNS := 100000
# The Linux boot protocol loader on a small guest RAM.
fuzz_linux_boot_SRCS := core/pc/linux_boot.c $(FUZZ_HOST)
fuzz_linux_boot_MAX_LEN := 2048
fuzz_linux_boot_SMOKE_RUNS := 10000
# The Multiboot, Multiboot2 and PVH loaders on a small guest RAM.
fuzz_multiboot_SRCS := core/pc/multiboot.c core/pc/multiboot2.c core/pc/pvh_boot.c \
	core/pc/boot_image.c core/pc/elf_load.c core/pc/linux_boot.c $(FUZZ_HOST)
fuzz_multiboot_MAX_LEN := 8192
fuzz_multiboot_SMOKE_RUNS := 4000
# The whole virtual PC on a VM with a fake backend (the run-loop tests' set).
fuzz_vpc_SRCS := $(VCPU_RUN_TEST_SRCS) $(FUZZ_HOST)
fuzz_vpc_MAX_LEN := 1024
fuzz_vpc_SMOKE_RUNS := 8000
# The GDB stub on the fake target of tests/host/test_gdb.h: a byte stream
# from GDB (longer than a packet, for the too-long case).
fuzz_gdb_SRCS := core/debug/gdb_stub.c core/debug/gdb_run.c core/debug/gdb_regs.c core/debug/gdb_mem.c $(FUZZ_HOST)
fuzz_gdb_MAX_LEN := 6000
fuzz_gdb_SMOKE_RUNS := 5000

# String I/O: one batch of INS/OUTS on a small guest whose page tables
# are the input's bytes.
fuzz_string_io_SRCS := core/string_io.c core/guest_walk.c core/lib/string.c core/lib/printf.c
fuzz_string_io_MAX_LEN := 20528
fuzz_string_io_SMOKE_RUNS := 50000

define fuzz_rule
$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$(HDRS) $$(wildcard tests/host/*.h) \
		tests/fuzz/coverage.ignore
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/$(1).c $$($(1)_SRCS) -lm
FUZZ_BINS += $(FUZZ_DIR)/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

# One target's campaign: the grown corpus first (new inputs go there),
# the repository's seeds second.
define fuzz_run
	$(Q)mkdir -p $(FUZZ_DIR)/corpus/$(1) && \
	$(FUZZ_DIR)/$(1) -max_total_time=$(FUZZ_SECONDS) -max_len=$($(1)_MAX_LEN) \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$(1)- \
		$(FUZZ_DIR)/corpus/$(1) tests/fuzz/corpus/$(1)

endef

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-list
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t)))

fuzz-smoke:
	$(Q)BUILD=$(BUILD) FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh

fuzz-list:
	@$(foreach t,$(FUZZ_TARGETS),echo "$(t) $($(t)_MAX_LEN) $($(t)_SMOKE_RUNS)";)
