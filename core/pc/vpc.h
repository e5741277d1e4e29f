/*
 * The virtual PC: the devices of one VM and how they are wired. A VM that
 * boots an operating system (core/launch/vm_launch.c) gets one as its platform
 * (core/vm_platform.h); test payloads have their own (core/payload/).
 *
 * The machine, as the guest's ACPI tables (core/pc/guest_acpi.c) describe it:
 *   ports  0x20/0xa0 8259 pair, 0x40-0x43 + 0x61 8254, 0x60/0x64 keyboard
 *          controller (reset only), 0x70/0x71 CMOS/RTC, 0x80 POST (sink),
 *          0x92 fast reset, 0x3f8 COM1, 0x2f8 COM2, 0x4d0/0x4d1 ELCR,
 *          0x600-0x60b ACPI PM1 + PM timer, 0xcf8/0xcfc PCI, 0xcf9 reset,
 *          0x8900 Bochs shutdown; on request QEMU's debug-exit (its port),
 *          0xe9 debugcon, 0x510 fw_cfg, 0x2000-0x2017 pc-testdev IRQ lines
 *   MMIO   0xfec00000 IOAPIC (24 pins), 0xfee00000 local APIC (per vCPU)
 *   IRQs   ISA IRQ n drives PIC input n and IOAPIC pin n, except IRQ 0,
 *          which is IOAPIC pin 2 (the MADT's interrupt source override);
 *          the PIC's INTR reaches vCPU 0 through LINT0 (ExtINT).
 *
 * Where it runs: vCPU threads, on their exits (port and MMIO accesses,
 * MSRs, injection), and the console monitor (input to COM1). No global
 * lock: each device has its own (docs/locking.md); the port and MMIO maps
 * are fixed when the VM is built and read without a lock.
 */
#ifndef CORE_VPC_H
#define CORE_VPC_H

#include "core/pc/dev/vdev.h"
#include "core/pc/dev/vfw_cfg.h"
#include "core/pc/machine.h"
#include "core/vm.h"

#define VPC_SIPI_VALID    0x100u

struct vpc_params {
	/* Guest RAM below 4 GiB and above (the layout), for the CMOS memory bytes. */
	uint64_t ram_low, ram_high;
	uint64_t (*wall_ns)(void);		/* Unix time, for the RTC */
	/* COM1's transmitter: each byte the guest sends. */
	void (*console_tx)(void *ctx, uint8_t byte);
	void *console_ctx;
	/* Power-off and reset requests (ACPI, reset register, keyboard). */
	struct vdev_power power;
	/*
	 * QEMU's test devices, each absent unless asked for (docs/config.md):
	 * isa-debug-exit on debug_exit_port .. + debug_exit_size - 1 (the
	 * VM stops with "debug-exit status S"), the debug console on 0xE9
	 * (its bytes go to console_tx, as COM1's do), fw_cfg on 0x510 with
	 * *fw_cfg (NULL: none), pc-testdev's IRQ lines on 0x2000-0x2017.
	 */
	bool debug_exit;
	uint16_t debug_exit_port;
	unsigned int debug_exit_size;	/* 1, 2 or 4 */
	bool debugcon, testdev;
	const struct vfw_cfg_config *fw_cfg;
	/*
	 * An access to a guest-physical address nothing backs stops the VM
	 * (vms.cfg `unbacked=stop`) instead of reading all ones and
	 * dropping the write.
	 */
	bool unbacked_stop;
	/*
	 * KVM's paravirtual interface (vms.cfg paravirt=kvm): KVM's CPUID
	 * leaves and kvmclock (core/pc/vpc_kvmclock.c, docs/platform.md).
	 */
	bool kvm_paravirt;
};

/*
 * Builds the devices of vm, whose vCPUs must all exist (a local APIC and
 * the timers need them), and makes it vm's platform; vm_destroy() frees
 * it. Returns 0 or -ENOMEM, leaving nothing behind.
 */
int vpc_create(struct vm *vm, const struct vpc_params *p);

/*
 * Where vcpu starts when the VM is built: with *st (the BSP, at the
 * kernel's entry) or, st NULL, in the INIT state waiting for a SIPI (an
 * AP). Before the vCPU runs. Returns 0 or backend_set_state()'s error.
 */
int vpc_vcpu_set_start(struct vcpu *vcpu, const struct guest_state *st);

/*
 * Replaces what vm's fw_cfg reports (the loader places the files after
 * the PC is built). Before any vCPU of vm runs. -ENODEV without fw_cfg.
 */
int vpc_set_fw_cfg(struct vm *vm, const struct vfw_cfg_config *cfg);

/* Console input for COM1: bytes taken now (the rest must wait). */
size_t vpc_console_input(struct vm *vm, const uint8_t *buf, size_t n);

/*
 * The devices of vm's virtual PC for the monitor, one line per print():
 * each vCPU's local APIC, the IOAPIC, the PIC pair, the PIT, the RTC, the
 * UARTs. Any CPU; each device's state is read under its own lock, no
 * other lock held. -ENODEV if vm's platform is not the virtual PC.
 */
int vpc_dump_devices(struct vm *vm, backend_print_fn print, void *ctx);

#endif
