/*
 * Hosted stress test of core/pc/dev/vtestdev.c: pc-testdev's lines while
 * several vCPUs write them at once. Scenario, 200 times over: three vCPU
 * threads each write 40 random levels to lines 0-1 (byte and 16-bit
 * writes, so that one write changes both); the lines' handler is slow (a pause before it
 * records the level, as a real one goes through the PIC and the IOAPIC),
 * which widens the window between a level's sampling and its arrival.
 * After the threads end, every line must hold the level last written to
 * the device: a driver that drove a stale sample after a newer one would
 * leave the older level on the wire. Run under ASan and TSan.
 */
#include "core/pc/dev/vtestdev.h"
#include "tests/host/check.h"

#define BASE		0x2000
#define WRITERS		3
#define TRIALS		200
#define ROUNDS		40
#define LINES		2

static struct vtestdev td;
static struct irq_line lines[VTESTDEV_NR_LINES];
static int wire[VTESTDEV_NR_LINES];		/* the level each line last got */
static unsigned long drives;

static void line_set(void *ctx, unsigned int n, int level)
{
	shim_pause();
	__atomic_store_n(&wire[n], level, __ATOMIC_RELEASE);
	__atomic_fetch_add(&drives, 1, __ATOMIC_RELAXED);
}

static void writer(struct worker *w)
{
	uint32_t x = 0x9e3779b9u * (w->cpu + 1) + 0x85ebca6bu * *(unsigned int *)w->arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		unsigned int n, size;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = x % LINES;
		size = (x >> 8) & 1 && n + 1 < LINES ? 2 : 1;
		CHECK_EQ(vtestdev_io_ops.write(&td, (uint16_t)(BASE + n), size, (x >> 16) & 0x0101), 0);
	}
}

static void last_level_wins(void)
{
	struct worker w[WRITERS];
	unsigned int wrong = 0;
	uint32_t levels;

	for (unsigned int n = 0; n < VTESTDEV_NR_LINES; n++)
		lines[n] = (struct irq_line){ .set = line_set, .line = n };
	for (unsigned int trial = 0; trial < TRIALS; trial++) {
		memset(wire, 0, sizeof(wire));
		vtestdev_init(&td, BASE, lines);
		for (unsigned int i = 0; i < WRITERS; i++)
			worker_start(&w[i], i + 1, writer, &trial);
		for (unsigned int i = 0; i < WRITERS; i++)
			worker_join(&w[i]);
		levels = vtestdev_levels(&td);
		for (unsigned int n = 0; n < VTESTDEV_NR_LINES; n++)
			wrong += __atomic_load_n(&wire[n], __ATOMIC_ACQUIRE) != !!(levels & BIT(n));
	}
	CHECK_EQ(wrong, 0);
	CHECK(__atomic_load_n(&drives, __ATOMIC_RELAXED) > 0);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(last_level_wins);
	return check_done();
}
