/*
 * QEMU's ISA debug-exit device (see vdebug_exit.h).
 *
 * vCPU context, any CPU; no lock.
 */
#include "core/pc/dev/vdebug_exit.h"

void vdebug_exit_init(struct vdebug_exit *d, uint16_t base, unsigned int size,
		      void (*exit)(void *ctx, uint64_t status), void *ctx)
{
	*d = (struct vdebug_exit){ .base = base, .size = size, .exit = exit, .ctx = ctx };
}

uint64_t vdebug_exit_status(const struct vdebug_exit *d, uint16_t port, unsigned int size,
			    uint32_t val)
{
	unsigned int left = d->base + d->size - port;
	unsigned int width = MIN(size, left);
	uint64_t v = width >= 4 ? val : val & ((1u << (8 * width)) - 1);

	return (v << 1) | 1;
}

static int vdebug_exit_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	(void)dev;
	(void)port;
	(void)size;
	*val = 0;
	return 0;
}

static int vdebug_exit_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	struct vdebug_exit *d = dev;

	if (d->exit)
		d->exit(d->ctx, vdebug_exit_status(d, port, size, val));
	return 0;
}

const struct vdev_io_ops vdebug_exit_io_ops = {
	.read = vdebug_exit_read,
	.write = vdebug_exit_write,
};
