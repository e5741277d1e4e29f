/*
 * Virtual keyboard controller: reset line and port 0x92 (see vkbc.h).
 *
 * vCPU context, any CPU. The port handlers take the controller lock for
 * port92 only and raise power events after dropping it.
 */
#include "core/pc/dev/vkbc.h"

static int vkbc_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	(void)dev;
	(void)size;
	/* Nothing is ever in the output buffer: data reads 0. */
	*val = port == VKBC_PORT_STATUS ? VKBC_STS_IDLE : 0;
	return 0;
}

static int vkbc_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vkbc *k = dev;

	(void)size;
	if (port == VKBC_PORT_STATUS && (uint8_t)val == VKBC_CMD_PULSE_RESET)
		vdev_power_event(&k->power, VDEV_POWER_RESET);
	/* Every other command and data byte is accepted and dropped. */
	return 0;
}

const struct vdev_io_ops vkbc_io_ops = {
	.read = vkbc_io_read,
	.write = vkbc_io_write,
};

static int vkbc_p92_read(void *dev, uint16_t port, unsigned int size,
			 uint32_t *val)
{
	struct vkbc *k = dev;

	(void)port;
	(void)size;
	spin_lock(&k->lock);
	*val = k->port92;
	spin_unlock(&k->lock);
	return 0;
}

static int vkbc_p92_write(void *dev, uint16_t port, unsigned int size,
			  uint32_t val)
{
	struct vkbc *k = dev;
	bool reset;

	(void)port;
	(void)size;
	spin_lock(&k->lock);
	reset = !(k->port92 & VKBC_P92_FAST_RESET) &&
		(val & VKBC_P92_FAST_RESET);
	k->port92 = (uint8_t)val | VKBC_P92_A20;
	spin_unlock(&k->lock);
	if (reset)
		vdev_power_event(&k->power, VDEV_POWER_RESET);
	return 0;
}

const struct vdev_io_ops vkbc_port92_io_ops = {
	.read = vkbc_p92_read,
	.write = vkbc_p92_write,
};

void vkbc_init(struct vkbc *k, const struct vdev_power *power)
{
	*k = (struct vkbc){ 0 };
	spin_lock_init(&k->lock);
	k->port92 = VKBC_P92_A20;
	if (power)
		k->power = *power;
}
