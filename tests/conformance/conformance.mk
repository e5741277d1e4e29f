# Conformance kernels: tests/conformance/<name>.c, each linked with the
# library in tests/conformance/lib/ into a Multiboot v1 ELF32 image,
# build/conformance/<name>.elf, that QEMU's -kernel boots directly.
# Included by the Makefile.
#
#   make conformance                   build every kernel
#   make conformance-test              run them all under QEMU, summed up
#   tests/conformance/run.py [NAME..]  run some (docs/testing.md)

# timer_route is built here but booted by tests/integration/svm_timer_route_iso.scn,
# not by the runner (its rate checks measure the emulator's timeliness too);
# sched_fair and xstate_share likewise, by the scenarios of two VMs sharing a
# CPU (svm_sched_fair_iso.scn, svm_xstate_share_iso.scn and others).
CONF_KERNELS := exceptions lapic_timer smp ioapic mb_entry pci pmtimer pit cpuid_msr rtc pic x2apic \
	timer_route sched_fair xstate_share
CONF_DIR     := $(BUILD)/conformance
# The ones `make test` also runs under VT-x (Bochs, about 15 s each).
CONF_KERNELS_VMX := exceptions lapic_timer smp ioapic mb_entry x2apic
CONF_CFLAGS  := -m32 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -nostdlib \
	-fno-builtin -fno-stack-protector -fcf-protection=none -mno-sse -mno-mmx \
	-mno-red-zone -Wall -Wextra -Werror -Wno-unused-parameter \
	-Itests/conformance/lib -MMD -MP
CONF_LIB     := entry.S string.c console.c report.c idt.c acpi.c apic.c timer.c smp.c
CONF_LIB_OBJS := $(patsubst %,$(CONF_DIR)/lib/%.o,$(basename $(CONF_LIB)))
CONF_ELFS    := $(patsubst %,$(CONF_DIR)/%.elf,$(CONF_KERNELS))

.PHONY: conformance conformance-test
conformance: $(CONF_ELFS)

conformance-test: conformance
	$(Q)tests/conformance/run.py | tests/summary.sh

$(CONF_DIR)/%.o: tests/conformance/%.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	$(Q)$(CC) $(CONF_CFLAGS) -c $< -o $@

$(CONF_DIR)/%.o: tests/conformance/%.S
	@mkdir -p $(dir $@)
	@echo "  AS32    $<"
	$(Q)$(CC) $(CONF_CFLAGS) -c $< -o $@

$(CONF_DIR)/%.elf: $(CONF_DIR)/%.o $(CONF_LIB_OBJS) tests/conformance/lib/link.ld
	@echo "  LD32    $@"
	$(Q)$(LD) -m elf_i386 -nostdlib --no-warn-rwx-segments -T tests/conformance/lib/link.ld -o $@ $< $(CONF_LIB_OBJS)

# The objects stay for the next link.
.PRECIOUS: $(CONF_DIR)/%.o $(CONF_DIR)/lib/%.o

-include $(wildcard $(CONF_DIR)/*.d $(CONF_DIR)/lib/*.d)
