/*
 * Hosted test of core/pc/dev/vdebug_exit.c: QEMU's isa-debug-exit. The
 * exit callback records each status; every width is written to every port
 * of ranges of size 1, 2 and 4 (the status QEMU's exit() gets: (V << 1) | 1,
 * V the part of the access inside the range). Single thread.
 */
#include "core/pc/dev/vdebug_exit.h"
#include "tests/host/check.h"

static unsigned int exits;
static uint64_t last_status;

static void on_exit_cb(void *ctx, uint64_t status)
{
	CHECK(ctx == &exits);
	exits++;
	last_status = status;
}

static struct vdebug_exit dev;

static uint64_t write_status(uint16_t port, unsigned int size, uint32_t val)
{
	unsigned int before = exits;

	CHECK_EQ(vdebug_exit_io_ops.write(&dev, port, size, val), 0);
	CHECK_EQ(exits, before + 1);
	return last_status;
}

/* Every width at the base of a 4-port range: the whole value. */
static void every_width(void)
{
	vdebug_exit_init(&dev, 0xf4, 4, on_exit_cb, &exits);
	CHECK_EQ(write_status(0xf4, 1, 3), 7);
	CHECK_EQ(write_status(0xf4, 1, 0x1ff), 0x1ff);		/* the byte 0xff */
	CHECK_EQ(write_status(0xf4, 2, 0x1234), 0x2469);
	CHECK_EQ(write_status(0xf4, 2, 0xabcd1234u), 0x2469);
	CHECK_EQ(write_status(0xf4, 4, 0), 1);
	CHECK_EQ(write_status(0xf4, 4, 0x10), 0x21);
	CHECK_EQ(write_status(0xf4, 4, 0xffffffffu), 0x1ffffffffull);
	/* Any port of the range. */
	CHECK_EQ(write_status(0xf7, 1, 0x42), 0x85);
	CHECK_EQ(write_status(0xf6, 2, 0x0102), 0x205);
	/* Past the end the access is cut: two bytes left at 0xf6, one at 0xf7. */
	CHECK_EQ(write_status(0xf6, 4, 0x11223344u), 0x6689);
	CHECK_EQ(write_status(0xf7, 4, 0x11223344u), 0x89);
}

/* Ranges of one and two ports cut wider accesses. */
static void narrow_ranges(void)
{
	vdebug_exit_init(&dev, 0x501, 1, on_exit_cb, &exits);
	CHECK_EQ(write_status(0x501, 1, 3), 7);
	CHECK_EQ(write_status(0x501, 2, 0x0103), 7);
	CHECK_EQ(write_status(0x501, 4, 0x01020303u), 7);
	vdebug_exit_init(&dev, 0x501, 2, on_exit_cb, &exits);
	CHECK_EQ(write_status(0x501, 4, 0x01020304u), 0x609);
	CHECK_EQ(write_status(0x502, 2, 0x0105), 0xb);
	CHECK_EQ(write_status(0x502, 1, 0x05), 0xb);
}

/* Reads are 0 and end nothing; no callback, no exit. */
static void reads_and_no_callback(void)
{
	uint32_t v = 0xdead;

	vdebug_exit_init(&dev, 0xf4, 4, on_exit_cb, &exits);
	exits = 0;
	for (unsigned int size = 1; size <= 4; size *= 2) {
		v = 0xdead;
		CHECK_EQ(vdebug_exit_io_ops.read(&dev, 0xf4, size, &v), 0);
		CHECK_EQ(v, 0);
	}
	CHECK_EQ(exits, 0);
	vdebug_exit_init(&dev, 0xf4, 4, NULL, NULL);
	CHECK_EQ(vdebug_exit_io_ops.write(&dev, 0xf4, 4, 3), 0);
	CHECK_EQ(exits, 0);
}

int main(void)
{
	RUN(every_width);
	RUN(narrow_ranges);
	RUN(reads_and_no_callback);
	return check_done();
}
