/*
 * What the run loop adds to each exit for the flight recorder and the
 * per-reason cycles (core/vcpu_run.c: vcpu_record_exit() and
 * vcpu_record_entry()), measured alone on one thread, three variants
 * side by side, rounds interleaved:
 *
 *   count     the exit counters only (what every exit pays anyway)
 *   trace=0   the counters, the two TSC reads and the per-reason cycle
 *             sum, the recorder off (its calls return at once)
 *   trace=256 all that and the recorder's two halves into a 256-entry ring
 *
 * Prints TSC cycles per exit (median of the rounds) and the difference
 * to `count`. A guest exit costs thousands of cycles on hardware (far
 * more under emulation): the figures put the recorder's share in scale.
 */
#include "core/exit_rec.h"
#include "tests/bench/bench.h"

#define ITERS	(4u << 20)
#define ROUNDS	7

static struct exit_rec_entry ring[256] __aligned(64);
static struct {
	struct exit_rec rec;
	uint64_t exits[EXIT_NR], exits_total, exit_cycles[EXIT_NR];
} v __aligned(64);

enum variant { COUNT, TRACE_OFF, TRACE_ON, NR_VARIANTS };
static const char *const names[NR_VARIANTS] = { "count", "trace=0", "trace=256" };

static double run(enum variant var)
{
	struct vm_exit e = { .reason = EXIT_IO, .raw = 0x7b, .qual = 0x3f80210 };
	struct vm_event ev = { .valid = false };
	uint64_t t0, t1, last_tsc = 0;
	unsigned int last = EXIT_NR;

	exit_rec_init(&v.rec, var == TRACE_ON ? ring : NULL, var == TRACE_ON ? 256 : 0);
	t0 = rdtsc();
	for (unsigned int i = 0; i < ITERS; i++) {
		unsigned int r = (i & 7) ? EXIT_IO : EXIT_TDP_FAULT;

		if (var != COUNT && last < EXIT_NR) {	/* vcpu_record_entry() */
			uint64_t cycles = rdtsc() - last_tsc;

			WRITE_ONCE(v.exit_cycles[last], v.exit_cycles[last] + cycles);
			exit_rec_entry(&v.rec, cycles, &ev);
		}
		e.reason = (enum vm_exit_reason)r;
		e.qual = i;
		if (var != COUNT)
			last_tsc = rdtsc();
		WRITE_ONCE(v.exits[r], v.exits[r] + 1);	/* vcpu_record_exit() */
		WRITE_ONCE(v.exits_total, v.exits_total + 1);
		if (var != COUNT)
			exit_rec_exit(&v.rec, last_tsc, &e, 0xffffffff81000000ull + i);
		last = r;
		__asm__ __volatile__("" ::: "memory");
	}
	t1 = rdtsc();
	return (double)(t1 - t0) / ITERS;
}

int main(void)
{
	double c[NR_VARIANTS][ROUNDS], med[NR_VARIANTS];

	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int var = 0; var < NR_VARIANTS; var++)
			c[var][r] = run((enum variant)var);
	printf("bench_exit_rec: the run loop's per-exit recording, one thread, %u exits a round, median of %u rounds\n",
	       ITERS, ROUNDS);
	printf("  %-10s %14s %16s\n", "variant", "cycles/exit", "over count");
	for (unsigned int var = 0; var < NR_VARIANTS; var++) {
		med[var] = bench_median(c[var], ROUNDS);
		printf("  %-10s %14.1f %16.1f\n", names[var], med[var], med[var] - med[COUNT]);
	}
	return 0;
}
