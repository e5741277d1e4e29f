/*
 * Hosted test of core/pc/dev/vdebugcon.c: QEMU's debug console on 0xE9.
 * The console callback collects what reaches the console; every byte
 * value is written once. Single thread.
 */
#include "core/pc/dev/vdebugcon.h"
#include "tests/host/check.h"

static char out[512];
static size_t out_len;

static void tx(void *ctx, uint8_t byte)
{
	CHECK(ctx == out);
	if (out_len < sizeof(out))
		out[out_len++] = (char)byte;
}

static struct vdebugcon dev;

static void setup(void)
{
	out_len = 0;
	vdebugcon_init(&dev, tx, out);
}

static void put(const char *s)
{
	for (; *s; s++)
		CHECK_EQ(vdebugcon_io_ops.write(&dev, 0xe9, 1, (uint8_t)*s), 0);
}

static void text_passes(void)
{
	setup();
	put("hello\tworld\n");
	CHECK_EQ(out_len, 12);
	CHECK(memcmp(out, "hello\tworld\n", 12) == 0);
}

/* Escape sequences, cursor moves, bells and C1 controls never reach the console. */
static void controls_dropped(void)
{
	unsigned int passed = 0;

	setup();
	put("\x1b[2J\x1b]0;title\x07ok\r\b\x7f\n");
	CHECK_EQ(out_len, 14);
	CHECK(memcmp(out, "[2J]0;titleok\n", 14) == 0);
	out_len = 0;
	for (unsigned int b = 0; b < 256; b++) {
		CHECK_EQ(vdebugcon_io_ops.write(&dev, 0xe9, 1, b), 0);
		passed += vdebugcon_byte_passes((uint8_t)b);
	}
	/* 0x20-0x7e, 0xa0-0xff, \t and \n. */
	CHECK_EQ(passed, 95 + 96 + 2);
	CHECK_EQ(out_len, passed);
	for (size_t i = 0; i < out_len; i++) {
		uint8_t c = (uint8_t)out[i];

		CHECK(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0xa0);
	}
}

/* Wider writes send their low byte; reads are 0xe9 with the ports above floating. */
static void widths(void)
{
	uint32_t v = 0;

	setup();
	CHECK_EQ(vdebugcon_io_ops.write(&dev, 0xe9, 2, 0x4241), 0);
	CHECK_EQ(vdebugcon_io_ops.write(&dev, 0xe9, 4, 0x44434243), 0);
	CHECK_EQ(out_len, 2);
	CHECK(memcmp(out, "AC", 2) == 0);
	CHECK_EQ(vdebugcon_io_ops.read(&dev, 0xe9, 1, &v), 0);
	CHECK_EQ(v & 0xff, 0xe9);
	CHECK_EQ(vdebugcon_io_ops.read(&dev, 0xe9, 2, &v), 0);
	CHECK_EQ(v & 0xffff, 0xffe9);
	CHECK_EQ(vdebugcon_io_ops.read(&dev, 0xe9, 4, &v), 0);
	CHECK_EQ(v, 0xffffffe9u);
	vdebugcon_init(&dev, NULL, NULL);	/* no console: dropped */
	put("x");
	CHECK_EQ(out_len, 2);
}

int main(void)
{
	RUN(text_passes);
	RUN(controls_dropped);
	RUN(widths);
	return check_done();
}
