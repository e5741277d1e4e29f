/*
 * The virtual PC: the devices of one VM and how they are wired. A VM that
 * boots an operating system (core/launch/vm_launch.c) gets one; test payloads do
 * not (vm->pc is NULL and the run loop skips everything here).
 *
 * The machine, as the guest's ACPI tables (core/pc/guest_acpi.c) describe it:
 *   ports  0x20/0xa0 8259 pair, 0x40-0x43 + 0x61 8254, 0x60/0x64 keyboard
 *          controller (reset only), 0x70/0x71 CMOS/RTC, 0x80 POST (sink),
 *          0x92 fast reset, 0x3f8 COM1, 0x2f8 COM2, 0x4d0/0x4d1 ELCR,
 *          0x600-0x60b ACPI PM1 + PM timer, 0xcf8/0xcfc PCI, 0xcf9 reset
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
#include "core/vm.h"

#define VPC_IOAPIC_BASE   0xfec00000ull
#define VPC_LAPIC_BASE    0xfee00000ull
#define VPC_IOAPIC_PINS   24
#define VPC_SIPI_VALID    0x100u
#define VPC_COM1_BASE     0x3f8
#define VPC_COM2_BASE     0x2f8
#define VPC_COM1_IRQ      4
#define VPC_COM2_IRQ      3

struct vpc_params {
	/* Guest RAM below 4 GiB and above (the layout), for the CMOS memory bytes. */
	uint64_t ram_low, ram_high;
	uint64_t (*wall_ns)(void);		/* Unix time, for the RTC */
	/* COM1's transmitter: each byte the guest sends. */
	void (*console_tx)(void *ctx, uint8_t byte);
	void *console_ctx;
	/* Power-off and reset requests (ACPI, reset register, keyboard). */
	struct vdev_power power;
};

/*
 * Builds the devices of vm, whose vCPUs must all exist (a local APIC and
 * the timers need them). Returns 0 or -ENOMEM, leaving nothing behind.
 */
int vpc_create(struct vm *vm, const struct vpc_params *p);

/* Stops every device timer and frees the platform. No vCPU may run. */
void vpc_destroy(struct vm *vm);

/* A port access by vcpu; an IN's result in *val (unclaimed: all ones). */
void vpc_port_io(struct vcpu *vcpu, uint16_t port, unsigned int size, bool in,
		 uint32_t *val);

/* True if gpa is a device register page of the platform. */
bool vpc_mmio_claims(const struct vm *vm, uint64_t gpa);

/*
 * Emulates the instruction that faulted on a device page. Returns 0, or
 * stops the VM (naming the instruction's bytes) and returns -1.
 */
int vpc_handle_mmio(struct vcpu *vcpu, const struct vm_exit *exit);

/*
 * The platform's MSRs (APIC base, x2APIC, TSC deadline). 0: done;
 * -EINVAL: the guest gets #GP; -ENOENT: not a platform MSR.
 */
int vpc_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val);
int vpc_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val);

/* Injection and wake-up for the run loop (the vCPU's thread). */
void vpc_inject_pending(struct vcpu *vcpu);
bool vpc_irq_pending(struct vcpu *vcpu);
bool vpc_vcpu_wake_pending(struct vcpu *vcpu);

/*
 * Takes a pending INIT or SIPI into the vCPU's state; true if it may
 * enter the guest (not waiting for a SIPI). vpc_vcpu_sipi_ready() is the
 * wait's condition.
 */
bool vpc_vcpu_runnable(struct vcpu *vcpu);
bool vpc_vcpu_sipi_ready(struct vcpu *vcpu);

/* Console input for COM1: bytes taken now (the rest must wait). */
size_t vpc_console_input(struct vm *vm, const uint8_t *buf, size_t n);

/* The architectural state after INIT (real mode at F000:FFF0). */
void vpc_init_state(struct guest_state *st);

#endif
