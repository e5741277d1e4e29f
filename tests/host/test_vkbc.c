/*
 * Hosted test of core/pc/dev/vkbc.c: the i8042's reset line and the PS/2
 * system control port A (0x92). Scenario: one controller, a power-event
 * recorder; the accesses of Linux's reboot paths. Single thread.
 */
#include "core/pc/dev/vkbc.h"
#include "tests/host/check.h"

static unsigned int n_reset, n_other;
static void power_event(void *ctx, enum vdev_power_event ev)
{
	CHECK(ctx == &n_reset);
	if (ev == VDEV_POWER_RESET)
		n_reset++;
	else
		n_other++;
}

static struct vkbc kbc;

static void setup(void)
{
	struct vdev_power power = { .event = power_event, .ctx = &n_reset };

	n_reset = n_other = 0;
	vkbc_init(&kbc, &power);
}

static uint8_t in(const struct vdev_io_ops *ops, uint16_t port)
{
	uint32_t v = 0xdeadbeef;

	CHECK_EQ(ops->read(&kbc, port, 1, &v), 0);
	return (uint8_t)v;
}

static void out(const struct vdev_io_ops *ops, uint16_t port, uint8_t v)
{
	CHECK_EQ(ops->write(&kbc, port, 1, v), 0);
}

static void status_and_data(void)
{
	setup();
	uint8_t s = in(&vkbc_io_ops, 0x64);

	/* Idle: input buffer empty, nothing to read, not 0xff. */
	CHECK_EQ(s & VKBC_STS_IBF, 0);
	CHECK_EQ(s & VKBC_STS_OBF, 0);
	CHECK(s != 0xff);
	CHECK_EQ(s, 0x1c);
	CHECK_EQ(in(&vkbc_io_ops, 0x60), 0x00);
	/* Other commands and data bytes: no effect. */
	out(&vkbc_io_ops, 0x64, 0xad);
	out(&vkbc_io_ops, 0x64, 0xd1);
	out(&vkbc_io_ops, 0x60, 0xdf);
	CHECK_EQ(in(&vkbc_io_ops, 0x64), 0x1c);
	CHECK_EQ(n_reset, 0);
}

static void pulse_reset_line(void)
{
	setup();
	/* Linux's reboot=k: wait for IBF clear, then 0xfe to 0x64. */
	CHECK_EQ(in(&vkbc_io_ops, 0x64) & VKBC_STS_IBF, 0);
	out(&vkbc_io_ops, 0x64, 0xfe);
	CHECK_EQ(n_reset, 1);
	/* 0xfe to the data port is a data byte, not a command. */
	out(&vkbc_io_ops, 0x60, 0xfe);
	CHECK_EQ(n_reset, 1);
	out(&vkbc_io_ops, 0x64, 0xfe);
	CHECK_EQ(n_reset, 2);
	CHECK_EQ(n_other, 0);
}

static void port92_fast_reset(void)
{
	setup();
	/* A20 reads as enabled, reset bit clear. */
	CHECK_EQ(in(&vkbc_port92_io_ops, 0x92), VKBC_P92_A20);
	/* Writing A20 off keeps it reading 1; no reset. */
	out(&vkbc_port92_io_ops, 0x92, 0x00);
	CHECK_EQ(in(&vkbc_port92_io_ops, 0x92), VKBC_P92_A20);
	CHECK_EQ(n_reset, 0);
	/* Bit 0 rising: reset. */
	out(&vkbc_port92_io_ops, 0x92, 0x03);
	CHECK_EQ(n_reset, 1);
	CHECK_EQ(in(&vkbc_port92_io_ops, 0x92), 0x03);
	/* Still 1: no edge, no reset. */
	out(&vkbc_port92_io_ops, 0x92, 0x01);
	CHECK_EQ(n_reset, 1);
	/* Down, then up again: another. */
	out(&vkbc_port92_io_ops, 0x92, 0x02);
	CHECK_EQ(n_reset, 1);
	out(&vkbc_port92_io_ops, 0x92, 0x01);
	CHECK_EQ(n_reset, 2);
	CHECK_EQ(n_other, 0);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(status_and_data);
	RUN(pulse_reset_line);
	RUN(port92_fast_reset);
	return check_done();
}
