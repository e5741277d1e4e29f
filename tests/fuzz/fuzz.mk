# Fuzz targets: tests/fuzz/<name>.c, a libFuzzer entry point built with
# clang -fsanitize=fuzzer,address,undefined together with the real sources
# named in <name>_SRCS. Included by the Makefile.
#
#   make fuzz                     run every target for FUZZ_SECONDS (60) each,
#                                 growing the corpus in build/fuzz/corpus/<name>
#   make build/fuzz/<name>        just build one
#   make fuzz-smoke               tests/fuzz/run.sh: a fixed-seed run of each
#                                 target, one PASS/FAIL line each (make test)

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 40
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -Iarch/x86/include -DHV_HOSTED \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

FUZZ_TARGETS := fuzz_mmio_emul
fuzz_mmio_emul_SRCS := core/pc/mmio_emul.c core/insn_len.c

define fuzz_rule
$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$(HDRS)
	@mkdir -p $$(dir $$@)
	@echo "  FUZZCC  $$@"
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/$(1).c $$($(1)_SRCS)
FUZZ_BINS += $(FUZZ_DIR)/$(1)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$t && \
		$(FUZZ_DIR)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$t- \
			$(FUZZ_DIR)/corpus/$$t || exit 1; \
	done

fuzz-smoke:
	$(Q)BUILD=$(BUILD) FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh
