/*
 * Benchmark: the scheduler's run queues (core/sched.c, one lock per CPU)
 * against the same code with every queue under one global lock
 * (SCHED_ONE_LOCK, tests/bench/bench_sched_one_lock.c).
 *
 * Each bench thread is one hosted CPU (shim_set_cpu()) with
 * THREADS_PER_CPU vCPU threads placed on its queue. As in the hosted
 * tests, the bench thread plays whichever scheduler thread is its CPU's
 * current one (the hosted switch moves no stack). It loops over scheduler
 * calls picked at random: the running thread blocks, a blocked thread of
 * its own CPU is woken, the running thread is preempted; one call in
 * CROSS_WAKE_EVERY wakes a thread of another CPU (its queue's lock, and
 * an IPI decision), one in PULL_EVERY is an idle-style pull from the
 * busiest queue (two queues' locks). A CPU whose queue runs its idle
 * thread preempts if told to, else wakes one of its own. Every call
 * counts as one operation.
 *
 * 1, 2, 4, 8, 16 CPUs (BENCH_MAX_THREADS caps them), the two variants
 * interleaved, ROUNDS rounds of ROUND_NS each; the table shows the median
 * round of each. With more threads than host CPUs the numbers measure the
 * host scheduler as much as the locks.
 */
#include <string.h>

#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/sched.h"
#include "tests/bench/bench.h"
#include "tests/bench/bench_sched.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define MAX_CPUS         16
#define THREADS_PER_CPU  4
#define CROSS_WAKE_EVERY 64	/* one call in 64 wakes another CPU's thread */
#define PULL_EVERY       256	/* one call in 256 is a pull (a multiple of the above) */
#define ROUNDS           5
#define ROUND_NS         200000000ull
#define BATCH            64	/* calls between two looks at the clock */

static const struct sched_bench_ops per_cpu_ops = {
	.name = "per-CPU",
	.rq_of = sched_rq_of,
	.init_cpu = sched_init_cpu,
	.thread_init = sched_thread_init,
	.place = sched_place,
	.wake = sched_wake,
	.current = sched_current,
	.need_resched = sched_need_resched,
	.preempt = sched_preempt,
	.block = sched_block,
	.pull = sched_pull,
};

static struct sched_thread idles[MAX_CPUS];
static struct sched_thread threads[MAX_CPUS * THREADS_PER_CPU];
static const struct sched_bench_ops *ops;
static unsigned int nr_cpus;

/* End of the measurement, set by the first thread to run (bench_srcu.c). */
static uint64_t round_end_ns;

static uint64_t round_end(void)
{
	uint64_t none = 0;

	__atomic_compare_exchange_n(&round_end_ns, &none,
				    time_now_ns() + ROUND_NS, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return __atomic_load_n(&round_end_ns, __ATOMIC_RELAXED);
}

/* Fresh queues for CPUs 0..n-1 (the others offline), THREADS_PER_CPU each. */
static void setup(const struct sched_bench_ops *o, unsigned int n)
{
	uint64_t mask = n == 64 ? ~0ull : (1ull << n) - 1;

	ops = o;
	nr_cpus = n;
	shim_set_cpu(0);
	memset(idles, 0, sizeof(idles));
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		memset(o->rq_of(c), 0, sizeof(struct sched_rq));
		if (c < n)
			o->init_cpu(c, &idles[c], &idles[c]);
	}
	for (unsigned int c = 0; c < n; c++) {
		for (unsigned int j = 0; j < THREADS_PER_CPU; j++) {
			struct sched_thread *t = &threads[c * THREADS_PER_CPU + j];

			o->thread_init(t, "bench", SCHED_WEIGHT_DEFAULT, SCHED_PRIO_VCPU, mask);
			if (o->place(t, (int)c) != (int)c) {
				fprintf(stderr, "bench_sched: %s: placing on CPU %u failed\n",
					o->name, c);
				exit(1);
			}
		}
	}
}

/* One scheduler call on CPU cpu, picked by r. */
static void step(unsigned int cpu, uint64_t r)
{
	struct sched_thread *mine = &threads[cpu * THREADS_PER_CPU +
					     (r >> 8) % THREADS_PER_CPU];
	unsigned int op = (unsigned int)(r % PULL_EVERY);

	if (op == 0) {
		ops->pull(cpu);
		return;
	}
	if (op % CROSS_WAKE_EVERY == 1 && nr_cpus > 1) {
		unsigned int other = (cpu + 1 + (unsigned int)((r >> 16) % (nr_cpus - 1))) % nr_cpus;

		ops->wake(&threads[other * THREADS_PER_CPU + (r >> 24) % THREADS_PER_CPU]);
		return;
	}
	if (ops->current() == ops->rq_of(cpu)->idle) {
		if (ops->need_resched())
			ops->preempt();
		else
			ops->wake(mine);
		return;
	}
	switch (op % 3) {
	case 0:
		ops->block();
		break;
	case 1:
		ops->wake(mine);
		break;
	default:
		ops->preempt();
		break;
	}
}

static void cpu_fn(struct bench_thread *t)
{
	unsigned int cpu = t->index;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (cpu + 1), end, n = 0;

	shim_set_cpu(cpu);
	end = round_end();
	do {
		for (unsigned int k = 0; k < BATCH; k++)
			step(cpu, rand_next(&seed));
		n += BATCH;
	} while (time_now_ns() < end);
	t->ops = n;
}

/* The queues' counters against the threads: every thread placed once. */
static void check_placed(void)
{
	unsigned int placed = 0;

	for (unsigned int c = 0; c < nr_cpus; c++)
		placed += ops->rq_of(c)->nr_placed;
	if (placed != nr_cpus * THREADS_PER_CPU) {
		fprintf(stderr, "bench_sched: %s: %u threads placed after the run, %u expected\n",
			ops->name, placed, nr_cpus * THREADS_PER_CPU);
		exit(1);
	}
}

/* Scheduler calls per second of variant o on n CPUs. */
static double measure(const struct sched_bench_ops *o, unsigned int n)
{
	static struct bench_thread ts[MAX_CPUS];
	uint64_t total = 0;
	double wall;

	setup(o, n);
	for (unsigned int i = 0; i < n; i++)
		ts[i].fn = cpu_fn;
	__atomic_store_n(&round_end_ns, 0, __ATOMIC_RELAXED);
	wall = bench_run_threads(ts, n);
	for (unsigned int i = 0; i < n; i++)
		total += ts[i].ops;
	check_placed();
	return (double)total / wall;
}

int main(void)
{
	static double per_cpu[8][ROUNDS], one_lock[8][ROUNDS];
	unsigned int counts[8], nr_counts = 0, max = bench_max_threads();

	if (max > MAX_CPUS)
		max = MAX_CPUS;
	log_level_max = LOG_WARN;
	for (unsigned int n = 1; n <= max && nr_counts < ARRAY_SIZE(counts); n *= 2)
		counts[nr_counts++] = n;
	for (unsigned int round = 0; round < ROUNDS; round++) {
		for (unsigned int i = 0; i < nr_counts; i++) {
			per_cpu[i][round] = measure(&per_cpu_ops, counts[i]);
			one_lock[i][round] = measure(&sched_one_lock_ops, counts[i]);
		}
	}

	printf("bench_sched: scheduler calls on per-CPU run queues (a lock each) vs the same code under one global lock (SCHED_ONE_LOCK)\n");
	printf("bench_sched: %u threads per CPU; block, wake, preempt; 1 call in %u a cross-CPU wake, 1 in %u a pull\n",
	       THREADS_PER_CPU, CROSS_WAKE_EVERY, PULL_EVERY);
	printf("bench_sched: host CPUs %ld, %u rounds of %.1f s per cell, median round\n",
	       bench_host_cpus(), ROUNDS, ROUND_NS / 1e9);
	printf("%5s %16s %16s %10s\n", "CPUs", "per-CPU ops/s", "one-lock ops/s", "ratio");
	for (unsigned int i = 0; i < nr_counts; i++) {
		double p = bench_median(per_cpu[i], ROUNDS), g = bench_median(one_lock[i], ROUNDS);

		printf("%5u %16.0f %16.0f %9.2fx%s\n", counts[i], p, g, p / g,
		       counts[i] > (unsigned int)bench_host_cpus() ? "  (oversubscribed)" : "");
	}
	return 0;
}
