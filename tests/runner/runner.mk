# The test kernels of scripts/run-kernel.sh (tests/runner/): Multiboot v1
# ELF32 kernels at 1 MiB, and a file that is no kernel at all.
RUNNER_KERNELS := $(patsubst tests/runner/%.S,$(BUILD)/runner/%.elf,$(wildcard tests/runner/*.S)) \
	$(BUILD)/runner/garbage.bin

$(BUILD)/runner/%.elf: tests/runner/%.S tests/runner/mb1.h
	@mkdir -p $(dir $@)
	@echo "  KERNEL  $@"
	$(Q)$(CC) -m32 -c -I. -o $@.o $<
	$(Q)$(LD) -m elf_i386 -N --no-warn-rwx-segments -Ttext=0x100000 -e _start -o $@ $@.o

# 64 KiB of text: neither a bzImage nor a Multiboot or PVH kernel.
$(BUILD)/runner/garbage.bin: tests/runner/runner.mk
	@mkdir -p $(dir $@)
	$(Q)yes 'not a kernel, only text' | head -c 65536 > $@

.PHONY: runner-kernels runner-test
runner-kernels: $(RUNNER_KERNELS)

# Boots each test kernel through scripts/run-kernel.sh and, where QEMU can
# boot it directly, compares with qemu-system-x86_64 -kernel.
runner-test: runner-kernels
	$(Q)$(MAKE) --no-print-directory $(BUILD)/mb2/hv.elf
	$(Q)tests/runner/run.sh | tests/summary.sh
