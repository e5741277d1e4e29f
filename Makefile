# Hypervisor build: one flat Makefile.
#
#   make            build the UEFI application and the GRUB ISO
#   make run        install what is needed, build, boot in QEMU (serial on the terminal)
#   make test       install what is needed, run hosted and integration tests
#   make host-test  hosted unit and stress tests (ASan/UBSan, TSan) and the
#                   model checks (tests/model/, spin)
#   make test-slow  the Linux boots under VT-x in Bochs (tests/slow/)
#   make bench      benchmarks: the concurrency core, Linux boot time

BUILD      ?= build
HOSTCC     ?= gcc
V          ?= 0
Q          := $(if $(filter 1,$(V)),,@)

.PHONY: all hv guests
all: hv

HV_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

# --------------------------------------------------------------------------
# The hypervisor: freestanding, position-independent, every symbol hidden.

CC         := gcc
LD         := ld
OBJCOPY    := objcopy

HV_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib \
	-fno-stack-protector -fno-stack-check -fcf-protection=none \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fpic -fvisibility=hidden -include core/lib/visibility.h \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
	-I. -Iarch/x86/include -DHV_VERSION='"$(HV_VERSION)"' -MMD -MP
HV_ASFLAGS := -I. -Iarch/x86/include -D__ASSEMBLY__ -MMD -MP

EFI_INC    := /usr/include/efi
EFI_LIB    := /usr/lib
EFI_CFLAGS := -I$(EFI_INC) -I$(EFI_INC)/x86_64 -fshort-wchar \
	-maccumulate-outgoing-args -DEFI_FUNCTION_WRAPPER -Wno-strict-prototypes

HV_SRCS := \
	arch/x86/setup.c arch/x86/desc.c arch/x86/traps.c arch/x86/entry.S \
	arch/x86/apic.c arch/x86/tsc.c arch/x86/smp.c arch/x86/trampoline.S \
	arch/x86/paging.c arch/x86/console.c arch/x86/platform.c arch/x86/fpu.c \
	arch/x86/ctx_switch.S core/sched.c core/sched_balance.c \
	core/lib/log.c core/lib/printf.c core/lib/errno.c core/lib/string.c core/lib/cmdline.c \
	core/lib/text_filter.c \
	core/lib/symbols.c core/lib/spinlock.c core/lib/rwlock.c core/lib/percpu_rwlock.c \
	core/vtimer.c core/vcpu_request.c \
	core/srcu.c core/memslots.c core/vm.c core/vcpu_ctl.c core/vm_build.c core/exit_rec.c core/exit_profile.c \
	mm/frame.c mm/heap.c mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	drivers/acpi.c drivers/acpi_madt.c drivers/uart16550.c \
	core/insn_len.c svm/svm.c svm/svm_state.c svm/svm_exit.c svm/svm_debug.c svm/svm_entry.S \
	core/backend.c core/vcpu_run.c core/vcpu_exit.c core/vcpu_debug.c core/cpuid.c core/guest_mem.c core/payload/payload.c core/payload/payload_platform.c \
	core/pc/dev/vuart.c core/pc/dev/vpic.c core/pc/dev/vpit.c \
	core/pc/dev/vlapic.c core/pc/dev/vlapic_timer.c core/pc/dev/vapic_bus.c core/pc/dev/vioapic.c core/pc/dev/vrtc.c core/pc/dev/vpci.c \
	core/pc/dev/vacpi_pm.c core/pc/dev/vkbc.c core/pc/mmio_emul.c core/pc/guest_acpi.c \
	core/pc/dev/vdebug_exit.c core/pc/dev/vdebugcon.c core/pc/dev/vfw_cfg.c core/pc/dev/vshutdown.c \
	core/pc/dev/vtestdev.c core/pc/elf_load.c core/pc/boot_image.c core/pc/multiboot.c core/pc/multiboot2.c core/pc/pvh_boot.c \
	core/launch/vmconfig.c core/launch/vmconfig_values.c core/pc/linux_boot.c core/ram_zero.c core/pc/vpc.c core/pc/vpc_vcpu.c core/pc/vpc_kvmclock.c core/pc/vpc_pveoi.c core/pvclock.c core/pc/memmap.c core/launch/console_mux.c core/launch/vm_launch.c \
	core/launch/cpu_alloc.c core/launch/monitor.c core/launch/line_edit.c core/launch/vm_cmds.c \
	core/lib/cpu_idle.c core/launch/monitor_trace.c core/launch/monitor_profile.c core/launch/gdb_serve.c core/debug/gdb_stub.c \
	core/debug/gdb_regs.c core/debug/gdb_mem.c core/debug/gdb_run.c core/debug/gdb_vm.c \
	arch/x86/rtc.c vmx/vmx.c vmx/vmx_probe.c vmx/vmx_state.c vmx/vmx_exit.c vmx/vmx_debug.c \
	vmx/vmx_entry.S svm/svm_dump.c vmx/vmx_dump.c core/guest_walk.c core/launch/monitor_vm.c \
	core/launch/monitor_mem.c core/string_io.c core/vcpu_string_io.c core/launch/monitor_screen.c
EFI_SRCS := arch/x86/boot/efi_main.c
MB2_SRCS := arch/x86/boot/mb2_entry.S arch/x86/boot/mb2_boot.c

OBJ := $(BUILD)/obj
hv_obj = $(patsubst %,$(OBJ)/%.o,$(basename $(1)))
HV_OBJS  := $(call hv_obj,$(HV_SRCS))
EFI_OBJS := $(call hv_obj,$(EFI_SRCS))
MB2_OBJS := $(call hv_obj,$(MB2_SRCS))

$(OBJ)/arch/x86/boot/efi_main.o: HV_CFLAGS += $(EFI_CFLAGS)

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(HV_ASFLAGS) -c $< -o $@

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# Symbolized backtraces: link once with an empty symbol table, generate the
# table from that image, link again; the text must not move between links.
$(OBJ)/syms0.S: scripts/gensyms.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/gensyms.sh > $@

EFI_DIR    := $(BUILD)/efi
EFI_LDFLAGS := -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds -shared \
	-Bsymbolic --no-undefined
EFI_LINK = $(LD) $(EFI_LDFLAGS) $(EFI_LIB)/crt0-efi-x86_64.o $(HV_OBJS) $(EFI_OBJS) $(1) \
	-L$(EFI_LIB) -lefi -lgnuefi -o $(2)

$(EFI_DIR)/hv.so: $(HV_OBJS) $(EFI_OBJS) $(OBJ)/syms0.o scripts/gensyms.sh scripts/checksyms.sh
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(call EFI_LINK,$(OBJ)/syms0.o,$@.pass1)
	$(Q)scripts/gensyms.sh $@.pass1 > $(EFI_DIR)/syms.S
	$(Q)$(CC) -c $(EFI_DIR)/syms.S -o $(EFI_DIR)/syms.o
	$(Q)$(call EFI_LINK,$(EFI_DIR)/syms.o,$@)
	$(Q)scripts/checksyms.sh $@.pass1 $@

$(EFI_DIR)/esp/EFI/BOOT/BOOTX64.EFI: $(EFI_DIR)/hv.so
	@mkdir -p $(dir $@) $(EFI_DIR)/esp/hv
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

MB2_DIR := $(BUILD)/mb2
MB2_LINK = $(LD) -nostdlib -static -n --no-dynamic-linker -z noexecstack --no-warn-rwx-segments \
	-T arch/x86/boot/mb2.lds $(MB2_OBJS) $(HV_OBJS) $(1) -o $(2)

$(MB2_DIR)/hv.elf: $(HV_OBJS) $(MB2_OBJS) $(OBJ)/syms0.o arch/x86/boot/mb2.lds scripts/gensyms.sh scripts/checksyms.sh
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(call MB2_LINK,$(OBJ)/syms0.o,$@.pass1)
	$(Q)scripts/gensyms.sh $@.pass1 > $(MB2_DIR)/syms.S
	$(Q)$(CC) -c $(MB2_DIR)/syms.S -o $(MB2_DIR)/syms.o
	$(Q)$(call MB2_LINK,$(MB2_DIR)/syms.o,$@)
	$(Q)scripts/checksyms.sh $@.pass1 $@

$(BUILD)/hv.iso: $(MB2_DIR)/hv.elf scripts/mkiso.sh
	@echo "  ISO     $@"
	$(Q)scripts/mkiso.sh $@ $< ""

$(OBJ)/syms0.o: $(OBJ)/syms0.S
	$(Q)$(CC) -c $< -o $@

# Test payloads: flat real-mode binaries linked at 0x1000 (core/payload/payload.h).
GUEST_SRCS := $(sort $(wildcard tests/guest/*.S))
GUEST_BINS := $(patsubst tests/guest/%.S,$(BUILD)/guest/%.bin,$(GUEST_SRCS))

$(BUILD)/guest/%.bin: tests/guest/%.S tests/guest/payload.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)$(CC) -c -Itests/guest -o $@.o $<
	$(Q)$(LD) -m elf_x86_64 -N -Ttext=0x1000 -e _start --oformat=binary -o $@ $@.o

$(BUILD)/guest/memscan_full.bin: tests/guest/memscan.S
$(BUILD)/guest/pc_spin_cli.bin $(BUILD)/guest/pc_spin_pause.bin: tests/guest/pc_spin.S
$(BUILD)/guest/avx_stress_share3.bin $(BUILD)/guest/avx_stress_share4.bin: tests/guest/avx_stress.S

# Boot-format test kernels: tests/guest/mb/mb_check.S built once per
# format (docs/guest-images.md), linked at 1 MiB by tests/guest/mb/mb.ld.
MB_GUEST := $(BUILD)/guest/mb
MB_GUEST_BINS := $(addprefix $(MB_GUEST)/,mb1_elf32.elf mb1_elf64.elf mb1_aout.bin \
	mb2_elf32.elf mb2_efi.elf pvh_elf64.elf)
MB_CMDLINE = -DCMDLINE='"$(notdir $@) hello world"'
$(MB_GUEST)/mb1_%: MB_FLAGS = -DFMT_MB1 -DEAX_MAGIC=MB1_EAX $(MB_CMDLINE)
$(MB_GUEST)/mb1_aout.bin: MB_FLAGS = -DFMT_MB1 -DFMT_AOUT -DEAX_MAGIC=MB1_EAX $(MB_CMDLINE)
$(MB_GUEST)/mb2_%: MB_FLAGS = -DFMT_MB2 -DEAX_MAGIC=MB2_EAX $(MB_CMDLINE)
$(MB_GUEST)/mb2_efi.elf: MB_FLAGS = -DFMT_MB2 -DMB2_NEEDS_EFI -DEAX_MAGIC=MB2_EAX $(MB_CMDLINE)
$(MB_GUEST)/pvh_%: MB_FLAGS = -DFMT_PVH -DCMDLINE='"hello world"'
$(MB_GUEST)/%: MB_ARCH = -m32
$(MB_GUEST)/%: MB_LD = -m elf_i386
$(MB_GUEST)/%64.elf: MB_ARCH = -m64
$(MB_GUEST)/%64.elf: MB_LD = -m elf_x86_64
$(MB_GUEST)/mb1_aout.bin: MB_LD = -m elf_i386 --oformat=binary

$(MB_GUEST_BINS): tests/guest/mb/mb_check.S tests/guest/mb/mb.ld tests/guest/payload.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)$(CC) -c $(MB_ARCH) $(MB_FLAGS) -DNAME='"$(basename $(notdir $@))"' -o $@.o $<
	$(Q)$(LD) $(MB_LD) --no-warn-rwx-segments -T tests/guest/mb/mb.ld -o $@ $@.o

guests: $(GUEST_BINS) $(MB_GUEST_BINS)

hv: $(EFI_DIR)/esp/EFI/BOOT/BOOTX64.EFI $(BUILD)/hv.iso $(GUEST_BINS) $(MB_GUEST_BINS)

.PHONY: clean
clean:
	rm -rf $(BUILD)

# --------------------------------------------------------------------------
# Hosted tests: tests/host/<name>.c built with the real sources it names in
# tests/host/<name>.mk (HOST_TESTS, <name>_SRCS, <name>_SAN := asan tsan).

# Every header of the sources, for the hosted builds' dependencies.
HDRS := $(shell find core mm drivers arch/x86/include -name '*.h')

HOST_TESTS :=
include $(sort $(wildcard tests/host/*.mk))

HOST_COMMON := tests/host/shim.c core/lib/log.c core/lib/printf.c core/lib/errno.c core/lib/spinlock.c \
	core/lib/text_filter.c
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -Iarch/x86/include -DHV_HOSTED -pthread -fno-omit-frame-pointer
HOST_SAN_asan := -fsanitize=address,undefined -fno-sanitize-recover=undefined
HOST_SAN_tsan := -fsanitize=thread

define host_test_rule
$(BUILD)/host/$(2)/$(1): tests/host/$(1).c $$($(1)_SRCS) $$(HOST_COMMON) $$(HDRS) $$(wildcard tests/host/*.h)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) $$(HOST_SAN_$(2)) -o $$@ tests/host/$(1).c $$($(1)_SRCS) $$(HOST_COMMON) -lm
HOST_BINS += $(BUILD)/host/$(2)/$(1)
endef
$(foreach t,$(HOST_TESTS),$(foreach s,$($(t)_SAN),$(eval $(call host_test_rule,$(t),$(s)))))

# --------------------------------------------------------------------------
# Benchmarks: tests/bench/<name>.c with the sources tests/bench/<name>.mk
# names (BENCHES, <name>_SRCS); optimised, no sanitizers. Each prints its
# own table of ratios measured side by side in the same run.

BENCHES :=
include $(sort $(wildcard tests/bench/*.mk))
BENCH_CFLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I. -Iarch/x86/include -DHV_HOSTED -pthread

define bench_rule
$(BUILD)/bench/$(1): tests/bench/$(1).c $$($(1)_SRCS) $$(HOST_COMMON) $$(wildcard tests/bench/*.h) $$(HDRS) \
		$$(wildcard tests/host/*.h)
	@mkdir -p $$(dir $$@)
	@echo "  HOSTCC  $$@"
	$$(Q)$$(HOSTCC) $$(BENCH_CFLAGS) -o $$@ tests/bench/$(1).c $$($(1)_SRCS) $$(HOST_COMMON) -lm
BENCH_BINS += $(BUILD)/bench/$(1)
endef
$(foreach b,$(BENCHES),$(eval $(call bench_rule,$(b))))

# Then Linux boot time under the hypervisor against the same kernel booted
# directly by QEMU (SeaBIOS and OVMF) and as Xen's PVH dom0, the exits per
# boot and their cost, an idle guest's exits, the vCPU switch and wake-up
# costs (the sched_ipi payload) and Linux's boot by CPU layout
# (tests/bench/linux_boot.py; BENCH_PARTS=boot,exits,idle,switch,wake,smp
# picks parts).
BENCH_BOOT_RUNS ?= 5
.PHONY: bench
bench: deps-test $(BENCH_BINS)
	$(Q)$(MAKE) --no-print-directory hv guest-image
	$(Q)for b in $(BENCH_BINS); do $$b || exit 1; done
	$(Q)tests/bench/linux_boot.py $(BENCH_BOOT_RUNS)

# The fuzz targets (tests/fuzz/): `make fuzz` runs them for FUZZ_SECONDS.
-include tests/fuzz/fuzz.mk
# Real GDB against the GDB stub (tests/gdb/): `make gdb-test` alone.
include tests/gdb/gdb.mk
# Conformance kernels (tests/conformance/): `make conformance` builds them.
include tests/conformance/conformance.mk
# scripts/run-kernel.sh and its test kernels (tests/runner/): `make runner-test`.
include tests/runner/runner.mk

.PHONY: host-build host-test integration-test test deps-test deps-run run
host-build: $(HOST_BINS) $(GDB_SERVER)
host-test: host-build
	$(Q){ scripts/check-layers.py; tests/run-host.sh $(HOST_BINS); tests/gdb/run.sh $(GDB_SERVER); \
		tests/model/run.sh; } | tests/summary.sh

integration-test: hv
	$(Q)tests/integration/run.py | tests/summary.sh

deps-test:
	$(Q)scripts/install-deps.sh test
deps-run:
	$(Q)scripts/install-deps.sh run

# The default guest: Debian's stock kernel (from its package, as shipped)
# and a busybox initramfs of ours (scripts/guest-image.sh); the same
# kernel's ELF image (vmlinux) for booting it by the PVH ABI.
LINUX_DIR := $(BUILD)/linux
.PHONY: guest-image
guest-image:
	$(Q)scripts/guest-image.sh $(LINUX_DIR)
	$(Q)scripts/extract-vmlinux.py $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/vmlinux

# Everything: hosted tests, the fuzz smoke run, every boot scenario, the
# conformance kernels (under QEMU directly, and through
# scripts/run-kernel.sh under AMD-V and, some, VT-x) and the runner's own
# test kernels; one summary line, after the total wall time counted from
# when make read this file, the build included (TEST_START_NS, see
# tests/summary.sh).
test: TEST_START_NS := $(shell date +%s%N)
test: deps-test
	$(Q)$(MAKE) --no-print-directory hv host-build guest-image conformance runner-kernels
	$(Q){ scripts/check-layers.py; tests/run-host.sh $(HOST_BINS); tests/gdb/run.sh $(GDB_SERVER); \
		tests/model/run.sh; tests/fuzz/run.sh; tests/integration/run.py; \
		tests/conformance/run.py --hv; tests/conformance/run.py --hv --vmx --timeout 90 $(CONF_KERNELS_VMX); \
		tests/runner/run.sh; } 2>&1 | \
		TEST_START_NS=$(TEST_START_NS) tests/summary.sh

# Scenarios too slow for every run (tests/slow/): Debian's kernel under
# VT-x in Bochs, 10 to 15 minutes each; the full scan of guest-physical
# space (memscan_full.S).
.PHONY: test-slow
test-slow: deps-test
	$(Q)$(MAKE) --no-print-directory hv guests guest-image
	$(Q)tests/integration/run.py $(sort $(wildcard tests/slow/*.scn)) 2>&1 | tests/summary.sh

# Boots the hypervisor under QEMU (UEFI, TCG with SVM and NPT, 2 CPUs) with
# the serial console on this terminal: Debian's kernel in a 2-vCPU VM up to
# a shell (docs/config.md). Ctrl-A three times switches the console
# between the guest and the hypervisor; Ctrl-] x quits QEMU.
# COM2, the GDB stub for the guests, listens on localhost:$(GDB_PORT).
GDB_PORT ?= 2159
RUN_SMP ?= 2
RUN_MEM ?= 1024
RUN_VMS ?= vm name=linux memory=256M vcpus=2 kernel=vmlinuz initrd=initrd.gz cmdline="console=ttyS0 quiet"
# Test payloads to run before the VMs (docs/run-loop.md), e.g.
# RUN_GUESTS="real_cpuid_io hlt_timer long_mode_pf smp_parallel_faults".
RUN_GUESTS ?=
run: deps-run
	$(Q)$(MAKE) --no-print-directory hv guest-image
	$(Q)rm -rf $(BUILD)/run && mkdir -p $(BUILD)/run && cp -r $(BUILD)/efi/esp $(BUILD)/run/
	$(Q)mkdir -p $(BUILD)/run/esp/hv && cp $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd.gz $(BUILD)/run/esp/hv/
	$(Q)printf '%s\n' '$(RUN_VMS)' > $(BUILD)/run/esp/hv/vms.cfg
	$(Q)$(if $(strip $(RUN_GUESTS)),cp $(patsubst %,$(BUILD)/guest/%.bin,$(RUN_GUESTS)) $(BUILD)/run/esp/hv/)
	$(Q)GDB_PORT=$(GDB_PORT) scripts/run-qemu.sh $(BUILD)/run/esp $(RUN_SMP) $(RUN_MEM)
