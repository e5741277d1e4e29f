/*
 * The IRQ-line block of QEMU's pc-testdev (see vtestdev.h).
 *
 * vCPU context, any CPU. A write changes the levels under the device
 * lock and drives each changed line after dropping it, one drive per line
 * (irq_drive_unlock()).
 */
#include "core/pc/dev/vtestdev.h"

void vtestdev_init(struct vtestdev *t, uint16_t base, const struct irq_line *out)
{
	*t = (struct vtestdev){ .base = base, .out = out };
	spin_lock_init(&t->lock);
	for (unsigned int n = 0; n < VTESTDEV_NR_LINES; n++)
		t->lines[n] = (struct vtestdev_line){ .td = t, .n = n };
}

uint32_t vtestdev_levels(struct vtestdev *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	uint32_t levels = t->levels;

	spin_unlock_irqrestore(&t->lock, flags);
	return levels;
}

/* irq_drive sample: line's level as it is now; device lock held. */
static int vtestdev_sample(void *dev)
{
	struct vtestdev_line *l = dev;

	return !!(l->td->levels & BIT(l->n));
}

/* Sets line n to level and sees it driven. No lock held. */
static void vtestdev_set(struct vtestdev *t, unsigned int n, int level)
{
	struct vtestdev_line *l = &t->lines[n];
	unsigned long flags = spin_lock_irqsave(&t->lock);
	uint32_t seq;

	if (level)
		t->levels |= BIT(n);
	else
		t->levels &= ~BIT(n);
	seq = irq_drive_change(&l->drive);
	irq_drive_unlock(&l->drive, &t->lock, flags, seq, vtestdev_sample, l, &t->out[n]);
}

static int vtestdev_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	struct vtestdev *t = dev;
	unsigned int inside = MIN(size, (unsigned int)(t->base + VTESTDEV_NR_LINES - port));

	*val = inside >= 4 ? 0 : 0xffffffffu << (8 * inside);
	return 0;
}

static int vtestdev_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	struct vtestdev *t = dev;

	for (unsigned int i = 0; i < size; i++) {
		unsigned int n = port - t->base + i;

		if (n >= VTESTDEV_NR_LINES)
			break;
		vtestdev_set(t, n, !!((val >> (8 * i)) & 0xff));
	}
	return 0;
}

const struct vdev_io_ops vtestdev_io_ops = {
	.read = vtestdev_read,
	.write = vtestdev_write,
};
