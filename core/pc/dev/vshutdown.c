/*
 * The Bochs shutdown port (see vshutdown.h).
 *
 * vCPU context, any CPU. The write handler takes the device lock for the
 * match and raises the power event after dropping it.
 */
#include "core/pc/dev/vshutdown.h"

static const char vshutdown_string[VSHUTDOWN_LEN + 1] = VSHUTDOWN_STRING;

void vshutdown_init(struct vshutdown *s, const struct vdev_power *power)
{
	*s = (struct vshutdown){ 0 };
	spin_lock_init(&s->lock);
	if (power)
		s->power = *power;
}

static int vshutdown_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	(void)dev;
	(void)port;
	(void)size;
	*val = 0xffffffffu;
	return 0;
}

static int vshutdown_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	struct vshutdown *s = dev;
	char c = (char)(uint8_t)val;
	bool off = false;

	(void)port;
	(void)size;
	spin_lock(&s->lock);
	if (c == vshutdown_string[s->matched])
		s->matched++;
	else
		s->matched = c == vshutdown_string[0];
	if (s->matched == VSHUTDOWN_LEN) {
		s->matched = 0;
		off = true;
	}
	spin_unlock(&s->lock);
	if (off)
		vdev_power_event(&s->power, VDEV_POWER_OFF);
	return 0;
}

const struct vdev_io_ops vshutdown_io_ops = {
	.read = vshutdown_read,
	.write = vshutdown_write,
};
