/*
 * Benchmark: the read side of the SRCU-like epoch against the read side
 * of a shared rwlock_t, around the same memslot lookup.
 *
 * Each thread stands for a vCPU resolving guest frames: it picks a gfn
 * (xorshift), enters a read section, looks the gfn up in the published
 * memslot set with memslot_find() and leaves. Variant "epoch" brackets the
 * lookup with srcu_read_lock()/srcu_read_unlock() on the thread's own
 * reader slot; variant "rwlock" with read_lock()/read_unlock() of one
 * rwlock_t shared by all threads (what a global slots lock taken for read
 * would cost). Same lookup code, same set, same gfn stream; no writer.
 *
 * 1, 2, 4, 8, 16 threads (BENCH_MAX_THREADS caps them), ROUNDS rounds with
 * the variants interleaved; the table shows the median round of each.
 */
#include "core/lib/log.h"
#include "core/memslots.h"
#include "core/lib/rwlock.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/bench/bench.h"
#include "core/lib/platform.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE    MiB(16)
#define NR_SLOTS      8		/* a typical VM: RAM below and above 4G, ROMs */
#define SLOT_PAGES    0x4000
#define GFN_RANGE     (2ull * NR_SLOTS * SLOT_PAGES)	/* half of it mapped */
#define ROUNDS        5
#define ROUND_NS      200000000ull
#define BATCH         256	/* lookups between two looks at the clock */
#define MAX_THREADS   256

static const struct boot_mem_region arena_map[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

static struct vm_memslots vm;
static rwlock_t shared_rwlock = RWLOCK_INIT;
static struct srcu_reader readers[MAX_THREADS];
/* Keeps the lookups from being optimised away (atomic adds). */
static uint64_t sink;

/*
 * End of the current measurement, set by the first thread to run: all
 * threads stop at the same instant even when there are more threads than
 * host CPUs and some start late. 0 between measurements.
 */
static uint64_t round_end_ns;

static uint64_t round_end(void)
{
	uint64_t none = 0;

	__atomic_compare_exchange_n(&round_end_ns, &none,
				    time_now_ns() + ROUND_NS, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return __atomic_load_n(&round_end_ns, __ATOMIC_RELAXED);
}

static inline uint64_t lookup(const struct memslot_set *set, gfn_t gfn)
{
	const struct memslot *s = memslot_find(set, gfn);

	return s ? memslot_gfn_to_hpa(s, gfn) : 0;
}

static void epoch_fn(struct bench_thread *t)
{
	struct srcu_reader *r = &readers[t->index];
	uint64_t seed = 0x9e3779b97f4a7c15ull * (t->index + 1);
	uint64_t end = round_end();
	uint64_t acc = 0, ops = 0;
	unsigned int k;

	shim_set_cpu(t->index + 1);
	do {
		for (k = 0; k < BATCH; k++) {
			gfn_t gfn = rand_next(&seed) % GFN_RANGE;

			srcu_read_lock(r);
			acc += lookup(srcu_dereference(vm.active), gfn);
			srcu_read_unlock(r);
		}
		ops += BATCH;
	} while (time_now_ns() < end);
	t->ops = ops;
	__atomic_fetch_add(&sink, acc, __ATOMIC_RELAXED);
}

static void rwlock_fn(struct bench_thread *t)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * (t->index + 1);
	uint64_t end = round_end();
	uint64_t acc = 0, ops = 0;
	unsigned int k;

	shim_set_cpu(t->index + 1);
	do {
		for (k = 0; k < BATCH; k++) {
			gfn_t gfn = rand_next(&seed) % GFN_RANGE;

			read_lock(&shared_rwlock);
			acc += lookup(srcu_dereference(vm.active), gfn);
			read_unlock(&shared_rwlock);
		}
		ops += BATCH;
	} while (time_now_ns() < end);
	t->ops = ops;
	__atomic_fetch_add(&sink, acc, __ATOMIC_RELAXED);
}

/* Lookups per second of fn on n threads. */
static double measure(void (*fn)(struct bench_thread *t), unsigned int n)
{
	static struct bench_thread ts[MAX_THREADS];
	uint64_t ops = 0;
	unsigned int i;
	double wall;

	for (i = 0; i < n; i++)
		ts[i].fn = fn;
	__atomic_store_n(&round_end_ns, 0, __ATOMIC_RELAXED);
	wall = bench_run_threads(ts, n);
	for (i = 0; i < n; i++)
		ops += ts[i].ops;
	return (double)ops / wall;
}

int main(void)
{
	static double epoch[8][ROUNDS], rwl[8][ROUNDS];
	unsigned int counts[8], nr_counts = 0, max = bench_max_threads();
	unsigned int n, i, round;

	if (max > MAX_THREADS)
		max = MAX_THREADS;
	log_level_max = LOG_WARN;
	shim_set_cpu(0);
	shim_phys_arena(0, ARENA_SIZE);
	if (frame_init(arena_map, ARRAY_SIZE(arena_map), NULL, 0)) {
		fprintf(stderr, "bench_srcu: frame_init failed\n");
		return 1;
	}
	heap_init();
	if (memslots_init(&vm, max, NULL, NULL)) {
		fprintf(stderr, "bench_srcu: memslots_init failed\n");
		return 1;
	}
	/* Every other SLOT_PAGES range is a slot: lookups hit and miss. */
	for (i = 0; i < NR_SLOTS; i++) {
		if (memslots_create(&vm, i, 2ull * i * SLOT_PAGES, SLOT_PAGES,
				    GiB(1) * (i + 1), 0)) {
			fprintf(stderr, "bench_srcu: memslots_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < max; i++) {
		if (srcu_reader_register(&vm.srcu, &readers[i])) {
			fprintf(stderr, "bench_srcu: srcu_reader_register failed\n");
			return 1;
		}
	}
	for (n = 1; n <= max && nr_counts < ARRAY_SIZE(counts); n *= 2)
		counts[nr_counts++] = n;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < nr_counts; i++) {
			epoch[i][round] = measure(epoch_fn, counts[i]);
			rwl[i][round] = measure(rwlock_fn, counts[i]);
		}
	}

	printf("bench_srcu: memslot_find() over %u slots inside srcu_read_lock() (epoch) vs read_lock() of one shared rwlock_t\n",
	       NR_SLOTS);
	printf("bench_srcu: host CPUs %ld, %u rounds of %.1f s per cell, median round\n",
	       bench_host_cpus(), ROUNDS, ROUND_NS / 1e9);
	printf("%8s %18s %18s %13s\n", "threads", "epoch lookups/s",
	       "rwlock lookups/s", "epoch/rwlock");
	for (i = 0; i < nr_counts; i++) {
		double e = bench_median(epoch[i], ROUNDS), r = bench_median(rwl[i], ROUNDS);

		printf("%8u %18.0f %18.0f %12.2fx\n", counts[i], e, r, e / r);
	}
	for (i = 0; i < max; i++)
		srcu_reader_unregister(&vm.srcu, &readers[i]);
	memslots_destroy(&vm);
	return 0;
}
