/*
 * What a virtual device model needs from the VM around it, and what the
 * run loop needs from a device. One device, one file (core/pc/dev/<dev>.c);
 * each is plain C over this interface, so its register behaviour is
 * tested on the host (tests/host/test_<dev>.c).
 *
 * Port I/O: the run loop routes an IN/OUT exit to the device that claimed
 * the port, with the access size (1, 2 or 4). Interrupts: a device drives
 * its output lines through a struct irq_line; what is behind the line (a
 * PIC input, an IOAPIC pin) is wired by the VM.
 *
 * Locking: each device has its own spinlock taken by its port handlers
 * (any vCPU may do port I/O) and by its timer callbacks; an irq_line is
 * driven after the device lock is dropped.
 */
#ifndef CORE_DEV_VDEV_H
#define CORE_DEV_VDEV_H

#include "core/lib/compiler.h"

/* An interrupt output: level 1 = asserted, 0 = deasserted. */
struct irq_line {
	void (*set)(void *ctx, unsigned int line, int level);
	void *ctx;
	unsigned int line;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->ctx, l->line, level);
}

/* Pulse: edge-triggered inputs (the PIT's output to IRQ 0, the RTC). */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_line_set(l, 1);
	irq_line_set(l, 0);
}

/*
 * A port range a device answers. Handlers return 0; a read fills *val
 * with size bytes (the rest ignored). Unclaimed ports read as all ones.
 */
struct vdev_io_ops {
	int (*read)(void *dev, uint16_t port, unsigned int size, uint32_t *val);
	int (*write)(void *dev, uint16_t port, unsigned int size, uint32_t val);
};

/*
 * The machine-level requests a device can raise (the ACPI sleep control,
 * a reset register, the keyboard controller's reset line). The VM's
 * handler stops or restarts the VM; it may be called from any vCPU's
 * exit path and never under a device lock.
 */
enum vdev_power_event {
	VDEV_POWER_OFF,		/* ACPI S5: the VM stops */
	VDEV_POWER_RESET,	/* platform reset: the VM restarts */
};

struct vdev_power {
	void (*event)(void *ctx, enum vdev_power_event ev);
	void *ctx;
};

static inline void vdev_power_event(const struct vdev_power *p, enum vdev_power_event ev)
{
	if (p && p->event)
		p->event(p->ctx, ev);
}

/*
 * A guest-physical MMIO range a device answers (the local APIC page, the
 * IOAPIC window): addr is the guest-physical address, size 1, 2, 4 or 8.
 * The MMIO emulator (core/pc/mmio_emul.c) decodes the guest's instruction
 * and calls these; a handler returns 0, or a negative errno when the
 * access itself is malformed (the VM stops with a message).
 */
struct vdev_mmio_ops {
	int (*read)(void *dev, uint64_t addr, unsigned int size, uint64_t *val);
	int (*write)(void *dev, uint64_t addr, unsigned int size, uint64_t val);
};

#endif
