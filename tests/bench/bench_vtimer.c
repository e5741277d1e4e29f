/*
 * Benchmark: the timer update that runs on every VM exit.
 *
 * Each thread is one vCPU of one VM, with three timers (a PIT at 1000 Hz,
 * an RTC at 1024 Hz, a LAPIC timer at 250 Hz) firing into a counting sink.
 * It "exits" in a loop: advances its virtual clock by 50 us and calls
 * vtimer_update_irq(), which is the whole exit as far as timers go.
 *
 * Two variants of the same code, side by side:
 *   per-vCPU       vtimer_update_irq() as it is: the vCPU's own lock only;
 *   global-rwlock  the same call inside read_lock()/read_unlock() of one
 *                  rwlock per VM, which is what Xen's pt_update_irq() did
 *                  before "x86/vpt: do not take pt_migrate rwlock in some
 *                  cases": every exit of every vCPU adds to and subtracts
 *                  from the same counter, so its cache line travels
 *                  between all CPUs running the VM.
 * No writer ever takes the rwlock: the baseline pays only for the atomics
 * of its read side, as on the exit path that Xen measured (docs/races.md,
 * "A global lock on every exit").
 *
 * 1, 2, 4, 8, 16 threads (BENCH_MAX_THREADS caps them), variants
 * interleaved, ROUNDS rounds of RUN_SECONDS each; the table shows the
 * median round. With more threads than host CPUs the numbers measure the
 * host scheduler as much as the locks.
 */
#include "core/lib/rwlock.h"
#include "core/vtimer.h"
#include "tests/bench/bench.h"
#include "tests/host/check.h"

#define TIMERS_PER_VCPU 3
#define EXIT_STEP_NS    50000ull	/* virtual time between two exits */
#define BATCH           256		/* exits between two clock reads */
#define ROUNDS          5
#define RUN_SECONDS     0.2
#define MAX_THREADS     256

enum variant { PER_VCPU, GLOBAL_RWLOCK, NR_VARIANTS };

static const char *const variant_name[NR_VARIANTS] = {
	[PER_VCPU] = "per-vCPU",
	[GLOBAL_RWLOCK] = "global-rwlock",
};

static const uint64_t periods_ns[TIMERS_PER_VCPU] = {
	1000000,	/* PIT channel 0 at 1000 Hz */
	976562,		/* RTC periodic interrupt at 1024 Hz */
	4000000,	/* LAPIC timer at 250 Hz */
};

/* One vCPU, on cache lines of its own; touched by its thread only. */
struct bench_vcpu {
	struct vtimer_vcpu v;
	struct vtimer t[TIMERS_PER_VCPU];
	uint64_t now;		/* virtual time of the last exit */
	uint64_t ticks;		/* received by the sink */
} __aligned(64);

static struct bench_vcpu vcpus[MAX_THREADS];
/* The VM's pt_migrate of the baseline, on a line of its own. */
static struct {
	rwlock_t lock;
} __aligned(64) vm_lock = { RWLOCK_INIT };
static enum variant run_variant;	/* fixed during a run */

static void count_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		       unsigned int ticks)
{
	struct bench_vcpu *bv = ctx;

	bv->ticks += ticks;
}

static const struct vtimer_sink count_sink = {
	.fire = count_fire,
	.name = "count",
};

static void vcpus_setup(unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		struct bench_vcpu *bv = &vcpus[i];

		vtimer_vcpu_init(&bv->v, i, NULL);
		for (k = 0; k < TIMERS_PER_VCPU; k++) {
			vtimer_init(&bv->t[k], &bv->v, &count_sink, bv, k,
				    VTIMER_DELAY_MISSED);
			vtimer_start(&bv->t[k], &bv->v, 0, periods_ns[k],
				     periods_ns[k]);
		}
	}
}

/*
 * Every period that came due up to a vCPU's last exit must have reached
 * its sink: the benchmark measures correct work. Returns the mismatches.
 */
static unsigned int vcpus_verify(unsigned int n)
{
	unsigned int i, k, bad = 0;

	for (i = 0; i < n; i++) {
		struct bench_vcpu *bv = &vcpus[i];
		uint64_t want = 0;

		for (k = 0; k < TIMERS_PER_VCPU; k++)
			if (bv->now >= periods_ns[k])
				want += bv->now / periods_ns[k];
		if (bv->ticks != want) {
			fprintf(stderr, "vCPU %u: %llu ticks delivered, %llu due\n",
				i, (unsigned long long)bv->ticks,
				(unsigned long long)want);
			bad++;
		}
	}
	return bad;
}

static void exit_loop(struct bench_thread *bt)
{
	struct bench_vcpu *bv = &vcpus[bt->index];
	enum variant variant = run_variant;
	double end;
	uint64_t ops = 0;
	unsigned int i;

	shim_set_cpu(bt->index + 1);
	end = bench_now() + RUN_SECONDS;
	do {
		for (i = 0; i < BATCH; i++) {
			bv->now += EXIT_STEP_NS;
			if (variant == GLOBAL_RWLOCK) {
				read_lock(&vm_lock.lock);
				vtimer_update_irq(&bv->v, bv->now);
				read_unlock(&vm_lock.lock);
			} else {
				vtimer_update_irq(&bv->v, bv->now);
			}
		}
		ops += BATCH;
	} while (bench_now() < end);
	bt->ops = ops;
}

/* Runs n vCPU threads under variant; returns updates per second. */
static double run_one(enum variant variant, unsigned int n)
{
	static struct bench_thread ts[MAX_THREADS];
	uint64_t ops = 0;
	unsigned int i;
	double secs;

	run_variant = variant;
	for (i = 0; i < n; i++)
		ts[i].fn = exit_loop;
	secs = bench_run_threads(ts, n);
	for (i = 0; i < n; i++)
		ops += ts[i].ops;
	return (double)ops / secs;
}

int main(void)
{
	static double rate[NR_VARIANTS][8][ROUNDS];
	unsigned int counts[8], nr_counts = 0, max = bench_max_threads();
	unsigned int c, r, v, n;

	if (max > MAX_THREADS)
		max = MAX_THREADS;
	for (n = 1; n <= max && nr_counts < 8; n *= 2)
		counts[nr_counts++] = n;
	vcpus_setup(max);

	printf("bench_vtimer: timer update on every exit (vtimer_update_irq), %u timers per vCPU, one vCPU per thread\n",
	       TIMERS_PER_VCPU);
	printf("host CPUs: %ld; %u rounds of %.2f s per cell, variants interleaved; median round shown\n",
	       bench_host_cpus(), ROUNDS, RUN_SECONDS);

	for (r = 0; r < ROUNDS; r++) {
		for (c = 0; c < nr_counts; c++) {
			for (v = 0; v < NR_VARIANTS; v++) {
				/* Alternate which variant runs first. */
				enum variant which = (v + r + c) % NR_VARIANTS;

				rate[which][c][r] = run_one(which, counts[c]);
			}
		}
	}
	if (vcpus_verify(max)) {
		fprintf(stderr, "bench_vtimer: ticks lost or doubled\n");
		return 1;
	}

	printf("%7s  %16s  %19s  %6s\n", "threads", "per-vCPU upd/s",
	       "global-rwlock upd/s", "ratio");
	for (c = 0; c < nr_counts; c++) {
		double med[NR_VARIANTS];

		for (v = 0; v < NR_VARIANTS; v++) {
			med[v] = bench_median(rate[v][c], ROUNDS);
		}
		printf("%7u  %16.0f  %19.0f  %5.2fx%s\n", counts[c],
		       med[PER_VCPU], med[GLOBAL_RWLOCK],
		       med[PER_VCPU] / med[GLOBAL_RWLOCK],
		       (long)counts[c] > bench_host_cpus() ?
		       "  (oversubscribed)" : "");
	}
	printf("ratio = %s / %s; target on 16 cores: >= 5x at 16 vCPUs\n",
	       variant_name[PER_VCPU], variant_name[GLOBAL_RWLOCK]);
	return 0;
}
