/*
 * QEMU's debug console (see vdebugcon.h).
 *
 * vCPU context, any CPU; no lock.
 */
#include "core/pc/dev/vdebugcon.h"

void vdebugcon_init(struct vdebugcon *d, void (*tx)(void *ctx, uint8_t byte), void *ctx)
{
	*d = (struct vdebugcon){ .tx = tx, .ctx = ctx };
}

bool vdebugcon_byte_passes(uint8_t byte)
{
	if (byte == '\n' || byte == '\t')
		return true;
	return !(byte < 0x20 || (byte >= 0x7f && byte < 0xa0));
}

static int vdebugcon_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	(void)dev;
	(void)port;
	(void)size;
	*val = 0xffffff00u | VDEBUGCON_READBACK;
	return 0;
}

static int vdebugcon_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	struct vdebugcon *d = dev;
	uint8_t byte = (uint8_t)val;

	(void)port;
	(void)size;
	if (d->tx && vdebugcon_byte_passes(byte))
		d->tx(d->ctx, byte);
	return 0;
}

const struct vdev_io_ops vdebugcon_io_ops = {
	.read = vdebugcon_read,
	.write = vdebugcon_write,
};
