/*
 * Benchmark of the TDP fault path (mm/tdp_mmu.c): parallel faults on
 * distinct gfns, the read-mode design (tdp_mmu_page_fault(): mmu_lock for
 * read, cmpxchg installs) against the same code under mmu_lock for write
 * (tdp_mmu_page_fault_exclusive()), at 1, 2, 4, 8 and 16 threads.
 *
 * Each thread stands for a vCPU (its own CPU id and memslots reader) and
 * faults in its own region of one memslot, a page at a time, in order: a
 * fresh 4 KiB leaf per fault (the MMU is limited to 4 KiB leaves), a new
 * page table every 512 faults. Between runs the whole tree is zapped, so
 * every run starts from an empty tree. Host memory behind the slot is
 * never touched (the MMU does not read guest memory), so it may lie
 * beyond the arena. Runs are interleaved over several rounds and the best
 * round of each point is kept.
 *
 * Environment: BENCH_MAX_THREADS caps the thread counts (at most
 * PERCPU_RWLOCK_SLOTS - 1: thread i runs as CPU i + 1, and mmu_lock has a
 * reader slot per CPU id), BENCH_TDP_PAGES sets the faults per thread and
 * run (default 131072), BENCH_ROUNDS the rounds (default 3).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/lib/log.h"
#include "core/memslots.h"
#include "core/srcu.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/tdp_mmu.h"
#include "tests/bench/bench.h"
#include "tests/host/check.h"

#define ARENA_SIZE   MiB(64)
#define MAX_THREADS  256
#define SLOT_GFN     0x100000ull	/* 4 GiB */
#define SLOT_HOST    GiB(16)		/* never touched */

enum mode { MODE_SHARED, MODE_EXCLUSIVE, NR_MODES };

static const char *const mode_names[NR_MODES] = { "read", "write" };

static struct vm_memslots slots;
static struct tdp_mmu mmu;
static struct srcu_reader readers[MAX_THREADS];
static uint64_t pages_per_thread = 131072;
static enum mode cur_mode;
static unsigned long failures;		/* atomic */
/* Per thread: when its faults began and ended (bench_now()). */
static double t_begin[MAX_THREADS], t_end[MAX_THREADS];

static const struct boot_mem_region arena_map[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

static void fault_region(struct bench_thread *t)
{
	struct srcu_reader *r = &readers[t->index];
	uint64_t gpa = (SLOT_GFN + t->index * pages_per_thread) << PAGE_SHIFT;
	uint64_t i, bad = 0;

	shim_set_cpu(t->index + 1);
	t_begin[t->index] = bench_now();
	if (cur_mode == MODE_SHARED) {
		for (i = 0; i < pages_per_thread; i++, gpa += PAGE_SIZE)
			bad += tdp_mmu_page_fault(&mmu, r, gpa, TDP_ACC_WRITE) !=
			       TDP_FAULT_FIXED;
	} else {
		for (i = 0; i < pages_per_thread; i++, gpa += PAGE_SIZE)
			bad += tdp_mmu_page_fault_exclusive(&mmu, r, gpa,
							    TDP_ACC_WRITE) !=
			       TDP_FAULT_FIXED;
	}
	t_end[t->index] = bench_now();
	t->ops = pages_per_thread - bad;
	if (bad)
		__atomic_fetch_add(&failures, bad, __ATOMIC_RELAXED);
}

/*
 * Faults per second of one run of n threads in mode m, from an empty
 * tree: all faults over the time from the first thread's start to the
 * last one's end, as the threads themselves measured it (the releasing
 * thread may be descheduled past the start on a small host).
 */
static double run(enum mode m, unsigned int n)
{
	static struct bench_thread ts[MAX_THREADS];
	double first = 0, last = 0;
	uint64_t ops = 0;
	unsigned int i;

	tdp_mmu_zap_range(&mmu, 0, tdp_mmu_gfn_limit(&mmu));
	cur_mode = m;
	for (i = 0; i < n; i++)
		ts[i].fn = fault_region;
	bench_run_threads(ts, n);
	for (i = 0; i < n; i++) {
		ops += ts[i].ops;
		if (!i || t_begin[i] < first)
			first = t_begin[i];
		if (!i || t_end[i] > last)
			last = t_end[i];
	}
	return (double)ops / (last - first);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	long long v = s ? strtoll(s, NULL, 10) : 0;

	return v > 0 ? (uint64_t)v : def;
}

int main(void)
{
	unsigned int counts[8], nr_counts = 0, max = bench_max_threads();
	unsigned int rounds = (unsigned int)env_u64("BENCH_ROUNDS", 3);
	double best[8][NR_MODES] = { { 0 } };
	struct tdp_mmu_params p = {
		.fmt = &spte_format_ept,
		.levels = 4,
		.max_leaf_level = TDP_LEVEL_4K,
		.slots = &slots,
	};
	unsigned int i, k, round;

	log_level_max = LOG_WARN;
	pages_per_thread = env_u64("BENCH_TDP_PAGES", pages_per_thread);
	/* CPU ids 1..max must have a slot in mmu_lock. */
	max = MIN(max, PERCPU_RWLOCK_SLOTS - 1);
	for (k = 1; k <= max && k <= 16; k *= 2)
		counts[nr_counts++] = k;
	if (max > 16 && max <= MAX_THREADS)
		counts[nr_counts++] = max;

	shim_phys_arena(0, ARENA_SIZE);
	shim_set_cpu(0);
	if (frame_init(arena_map, ARRAY_SIZE(arena_map), NULL, 0))
		return 2;
	heap_init();
	if (memslots_init(&slots, MAX_THREADS, &tdp_mmu_memslots_ops, &mmu) ||
	    tdp_mmu_init(&mmu, &p))
		return 2;
	if (memslots_create(&slots, 1, SLOT_GFN,
			    pages_per_thread * counts[nr_counts - 1],
			    SLOT_HOST, 0))
		return 2;
	for (i = 0; i < counts[nr_counts - 1]; i++)
		if (srcu_reader_register(&slots.srcu, &readers[i]))
			return 2;

	printf("bench_tdp_fault: TDP faults on distinct gfns, %llu 4 KiB faults per thread and run, best of %u rounds\n",
	       (unsigned long long)pages_per_thread, rounds);
	printf("host CPUs: %ld\n", bench_host_cpus());

	for (round = 0; round < rounds; round++) {
		for (k = 0; k < nr_counts; k++) {
			enum mode m;

			for (m = 0; m < NR_MODES; m++) {
				double r = run(m, counts[k]);

				if (r > best[k][m])
					best[k][m] = r;
			}
		}
	}

	printf("%7s  %14s %8s  %14s %8s  %10s\n", "threads",
	       "read faults/s", "scaling", "write faults/s", "scaling",
	       "read/write");
	for (k = 0; k < nr_counts; k++)
		printf("%7u  %14.0f %7.2fx  %14.0f %7.2fx  %9.2fx\n",
		       counts[k], best[k][MODE_SHARED],
		       best[k][MODE_SHARED] / best[0][MODE_SHARED],
		       best[k][MODE_EXCLUSIVE],
		       best[k][MODE_EXCLUSIVE] / best[0][MODE_EXCLUSIVE],
		       best[k][MODE_SHARED] / best[k][MODE_EXCLUSIVE]);
	printf("%s: mmu_lock for read (tdp_mmu_page_fault); %s: mmu_lock for write (tdp_mmu_page_fault_exclusive); scaling over 1 thread of the same mode\n",
	       mode_names[MODE_SHARED], mode_names[MODE_EXCLUSIVE]);

	if (failures)
		printf("WARNING: %lu faults did not return TDP_FAULT_FIXED\n",
		       failures);
	tdp_mmu_destroy(&mmu);
	memslots_destroy(&slots);
	return failures ? 1 : 0;
}
