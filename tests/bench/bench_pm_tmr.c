/*
 * The device half of an idle guest's most frequent exit, the read of the
 * ACPI PM timer (port 0x608, 4 bytes; core/pc/dev/vacpi_pm.c), on one
 * thread, two variants side by side, rounds interleaved:
 *
 *   locked  the block's port handler: its lock, the register bytes one by
 *           one (the counter worked out for each) and the SCI's level
 *   fast    vacpi_pm_tmr_read_fast(), which core/pc/vpc.c tries before
 *           the port map: the counter once, no lock
 *
 * The clock is the TSC scaled as the hypervisor's time_now_ns() scales
 * it, so that the host's clock_gettime() does not swamp the figures.
 * Prints TSC cycles per read (median of the rounds).
 */
#include "asm/cpu.h"
#include "core/pc/dev/vacpi_pm.h"
#include "tests/bench/bench.h"

#define ITERS	(1u << 20)
#define ROUNDS	7

static uint64_t bench_clock(void)
{
	return (uint64_t)(((unsigned __int128)rdtsc() * 0x155555555ull) >> 32);
}

static void sci_set(void *ctx, unsigned int line, int level)
{
}

static struct vacpi_pm pm;
static volatile uint32_t sink;

enum variant { LOCKED, FAST, NR_VARIANTS };
static const char *const names[NR_VARIANTS] = { "locked", "fast" };

static double run(enum variant var)
{
	uint64_t t0, t1;
	uint32_t v = 0;

	t0 = rdtsc();
	for (unsigned int i = 0; i < ITERS; i++) {
		if (var == FAST)
			vacpi_pm_tmr_read_fast(&pm, 0x608, 4, &v);
		else
			vacpi_pm_io_ops.read(&pm, 0x608, 4, &v);
		sink = v;
	}
	t1 = rdtsc();
	return (double)(t1 - t0) / ITERS;
}

int main(void)
{
	struct irq_line sci = { .set = sci_set, .line = 9 };
	double c[NR_VARIANTS][ROUNDS];

	vacpi_pm_init(&pm, 0x600, &sci, NULL, bench_clock);
	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int var = 0; var < NR_VARIANTS; var++)
			c[var][r] = run((enum variant)var);
	printf("bench_pm_tmr: ACPI PM timer reads (port 0x608, 4 bytes), one thread, %u a round, median of %u rounds\n",
	       ITERS, ROUNDS);
	printf("  %-8s %14s\n", "variant", "cycles/read");
	for (unsigned int var = 0; var < NR_VARIANTS; var++) {
		printf("  %-8s %14.1f\n", names[var], bench_median(c[var], ROUNDS));
	}
	return 0;
}
