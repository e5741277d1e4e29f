/*
 * The IRQ-line block of QEMU's pc-testdev (hw/misc/pc-testdev.c), with
 * which kvm-unit-tests style kernels drive interrupt lines from inside
 * the guest to test the IOAPIC's and the PIC's routing, masking, remote
 * IRR and EOI.
 *
 * Ports: base + n for line n, n < VTESTDEV_NR_LINES (the PC: 0x2000-0x2017),
 * through vtestdev_io_ops. A byte V written to base + n sets line n to
 * !!V and holds it there until the next write. QEMU accepts byte accesses
 * only and its memory core gives a wider access's further bytes to the
 * following ports: a 16- or 32-bit write sets lines n, n + 1, ... from
 * its bytes, the bytes past the block go nowhere. The block has no read
 * handler: reads return 0 for its ports and all ones past it.
 *
 * Lines: the creator's irq_line array, one per line, driven after the
 * device lock is dropped, each through its own struct irq_drive
 * (core/pc/dev/irq_drive.h), so that two CPUs writing one line leave it
 * at the last level written. Every line starts deasserted (a new device:
 * the VM's reset builds the machine again).
 *
 * vCPU context, any CPU. Locking: one spinlock guarding levels and the
 * drives' change numbers; no other lock is held while a line is driven.
 */
#ifndef CORE_DEV_VTESTDEV_H
#define CORE_DEV_VTESTDEV_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"
#include "core/pc/dev/irq_drive.h"
#include "core/pc/dev/vdev.h"

#define VTESTDEV_NR_LINES	24

struct vtestdev;

struct vtestdev_line {
	struct vtestdev *td;		/* fixed */
	unsigned int n;			/* fixed */
	struct irq_drive drive;		/* under td->lock */
};

struct vtestdev {
	spinlock_t lock;	/* guards levels and the lines' drives */
	uint32_t levels;	/* bit n: line n asserted */

	/* Fixed at vtestdev_init(): */
	uint16_t base;
	const struct irq_line *out;	/* VTESTDEV_NR_LINES of them */
	struct vtestdev_line lines[VTESTDEV_NR_LINES];
};

/* Sets t up on base .. base + 23, every line low (nothing is driven). */
void vtestdev_init(struct vtestdev *t, uint16_t base, const struct irq_line *out);

/* The levels as last written, bit n for line n. Any CPU. */
uint32_t vtestdev_levels(struct vtestdev *t);

extern const struct vdev_io_ops vtestdev_io_ops;

#endif
