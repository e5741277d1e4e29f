/*
 * Hosted test of core/pc/dev/vshutdown.c: the Bochs shutdown port. A
 * power-event recorder counts power-offs; strings are written byte by
 * byte as Bochs-era code does. Single thread.
 */
#include "core/pc/dev/vshutdown.h"
#include "tests/host/check.h"

static unsigned int n_off, n_reset;

static void power_event(void *ctx, enum vdev_power_event ev)
{
	CHECK(ctx == &n_off);
	if (ev == VDEV_POWER_OFF)
		n_off++;
	else
		n_reset++;
}

static struct vshutdown dev;

static void setup(void)
{
	struct vdev_power power = { .event = power_event, .ctx = &n_off };

	n_off = n_reset = 0;
	vshutdown_init(&dev, &power);
}

static void put(const char *s, unsigned int size)
{
	for (; *s; s++)
		CHECK_EQ(vshutdown_io_ops.write(&dev, 0x8900, size, (uint8_t)*s | 0x4100u), 0);
}

static void whole_string(void)
{
	setup();
	put("Shutdown", 1);
	CHECK_EQ(n_off, 1);
	CHECK_EQ(n_reset, 0);
	/* The match starts over: a second time works, wider writes count their low byte. */
	put("Shutdown", 2);
	CHECK_EQ(n_off, 2);
}

static void partial_and_wrong(void)
{
	setup();
	put("Shutdow", 1);
	CHECK_EQ(n_off, 0);
	put("x", 1);			/* wrong byte: start over */
	put("n", 1);
	CHECK_EQ(n_off, 0);
	put("shutdown", 1);		/* case matters */
	put("Shut down", 1);
	put("SHUTDOWN", 1);
	CHECK_EQ(n_off, 0);
	put("Shutdown", 1);
	CHECK_EQ(n_off, 1);
	/* A wrong 'S' begins a new match. */
	put("ShutShutdown", 1);
	CHECK_EQ(n_off, 2);
	/* A NUL in the middle breaks it. */
	CHECK_EQ(vshutdown_io_ops.write(&dev, 0x8900, 1, 'S'), 0);
	CHECK_EQ(vshutdown_io_ops.write(&dev, 0x8900, 1, 0), 0);
	put("hutdown", 1);
	CHECK_EQ(n_off, 2);
}

static void reads_float(void)
{
	uint32_t v = 0;

	setup();
	CHECK_EQ(vshutdown_io_ops.read(&dev, 0x8900, 1, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	vshutdown_init(&dev, NULL);	/* no handler: nothing happens */
	put("Shutdown", 1);
	CHECK_EQ(n_off, 0);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(whole_string);
	RUN(partial_and_wrong);
	RUN(reads_float);
	return check_done();
}
