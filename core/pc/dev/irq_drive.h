/*
 * One driver at a time for a device's interrupt output, which is driven
 * after the device lock is dropped (core/pc/dev/vdev.h). The UART and the
 * PIC use it; any device whose line handler may run long or call back
 * into it should.
 *
 * Races closed (docs/races.md, "Interrupt line driver outrun"): the line
 * is driven unlocked, so two CPUs that change the level one after the
 * other could reach the line in the opposite order and leave it at the
 * older level; and a driver that re-drove until no change came in
 * meanwhile never returned while other vCPUs kept changing the level (the
 * console CPU, delivering input, was held there by a guest). So each
 * change is numbered (seq, under the device lock) and one CPU at a time
 * drives (driver): it samples the level and the change number (sampled)
 * under the lock and drives once. A caller whose change a drive has
 * already sampled is done: that drive, or a later one, carries it. A
 * caller that finds another CPU driving an older sample waits for that
 * one drive to end, then drives itself unless someone who sampled after
 * its change already does. The last change is thus always driven by a
 * drive that began after it, and each caller waits for at most one drive
 * and makes at most one. A line handler or an interrupt handler may
 * change the device again on the driving CPU: such a nested call finds
 * its own CPU driving, sets redrive and leaves, and the driver drives
 * once more for it.
 *
 * Any CPU; the device lock is the only lock, and waits happen without it.
 */
#ifndef CORE_PC_DEV_IRQ_DRIVE_H
#define CORE_PC_DEV_IRQ_DRIVE_H

#include "core/lib/platform.h"
#include "core/lib/spinlock.h"
#include "core/pc/dev/vdev.h"

struct irq_drive {
	/* Under the device lock: */
	uint32_t seq;		/* number of the latest change */
	bool redrive;		/* a nested change on the driver's CPU */
	/*
	 * Written under the device lock, also read without it by a caller
	 * waiting for a drive (acquire loads, pairing with the release
	 * stores below): the change the latest drive sampled, and
	 * smp_processor_id() + 1 of the CPU driving, 0 for none.
	 */
	uint32_t sampled;
	uint32_t driver;
};

/* Change number @a is @b or later (the counters wrap). */
static inline bool irq_drive_reached(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* Numbers a change of the level; device lock held. Returns its number. */
static inline uint32_t irq_drive_change(struct irq_drive *d)
{
	return ++d->seq;
}

/*
 * Drops @lock (taken with spin_lock_irqsave(), @flags) and sees change
 * @seq driven onto @line. @sample, called with the lock held, returns the
 * level to drive, or -1 if the line already has it.
 */
static inline void irq_drive_unlock(struct irq_drive *d, spinlock_t *lock,
				    unsigned long flags, uint32_t seq,
				    int (*sample)(void *dev), void *dev,
				    const struct irq_line *line)
{
	uint32_t self = smp_processor_id() + 1, driver;
	unsigned long spins;
	int level;

	spin_assert_held(lock);
	for (;;) {
		if (irq_drive_reached(d->sampled, seq))
			goto out;
		driver = d->driver;
		if (!driver)
			break;
		if (driver == self) {
			d->redrive = true;
			goto out;
		}
		spin_unlock_irqrestore(lock, flags);
		/* Pairs with the release stores of the driver's CPU. */
		for (spins = 0;
		     __atomic_load_n(&d->driver, __ATOMIC_ACQUIRE) == driver &&
		     !irq_drive_reached(__atomic_load_n(&d->sampled, __ATOMIC_ACQUIRE), seq);
		     spins++)
			platform_wait_contended(spins);
		flags = spin_lock_irqsave(lock);
	}
	__atomic_store_n(&d->driver, self, __ATOMIC_RELEASE);
	do {
		d->redrive = false;
		__atomic_store_n(&d->sampled, d->seq, __ATOMIC_RELEASE);
		level = sample(dev);
		spin_unlock_irqrestore(lock, flags);
		if (level >= 0)
			irq_line_set(line, level);
		flags = spin_lock_irqsave(lock);
	} while (d->redrive);
	__atomic_store_n(&d->driver, 0, __ATOMIC_RELEASE);
out:
	spin_unlock_irqrestore(lock, flags);
}

#endif
