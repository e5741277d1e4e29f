/*
 * Hosted stress test of lockless leaf updates racing with zaps
 * (mm/tdp_mmu.c fast path, mm/tdp_mmu_dirty.c aging, mm/tdp_mmu_zap.c).
 *
 * Scenario 1, access tracking: five vCPUs access random pages of two
 * slots (2 MiB and 4 KiB leaves) with random access kinds, in guest mode,
 * faulting on refusals; an ager marks everything for access tracking in a
 * loop, so most faults are fast-path restores; a zapper zaps random
 * ranges (detaching tables under the restorers' feet). Every access that
 * goes through lands on the slot's frame, and at the end a full zap
 * leaves no leaf and no table behind.
 *
 * Scenario 2, the lost dirty bit (docs/races.md): the "hardware" of six
 * vCPUs sets the dirty bit of writable leaves with a locked cmpxchg, as
 * the CPU's A/D assist does, while a zapper takes leaves out of the same
 * 64 pages again and again. Leaves are installed
 * by read faults only, so they start clean. Every dirty bit the hardware
 * set must be seen by exactly one zap: the count of clean-to-dirty
 * transitions equals the MMU's count of dirty leaves zapped. A zap that
 * read the leaf and then cleared it with a plain store would lose the
 * bits set in between.
 *
 * Both encodings.
 */
#include "tests/host/test_tdp_harness.h"

#define NR_VCPUS    6
#define BIG_GFN     0x200	/* slot 1: 2 MiB-aligned */
#define BIG_PAGES   1024
#define SMALL_GFN   0x801	/* slot 2: 4 KiB leaves */
#define SMALL_PAGES 512
#define SMALL_HOST  2048
#define ZAPS        60
#define MIN_RESTORES 1000	/* fast-path restores and agings, at least */
#define DIRTY_ZAPS  800
#define DIRTY_PAGES 64		/* dense: zaps meet fresh, clean leaves */

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static unsigned long zapper_done;		/* atomic */
static unsigned long errors[NR_VCPUS + 2];
static unsigned long transitions[NR_VCPUS];

static gfn_t random_gfn(struct th_vcpu *v)
{
	uint64_t r = rand_next(&v->rng);

	if (r & 1)
		return BIG_GFN + (r >> 1) % BIG_PAGES;
	return SMALL_GFN + (r >> 1) % SMALL_PAGES;
}

static paddr_t expected_hpa(uint64_t gpa)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;
	uint64_t off = gpa & (PAGE_SIZE - 1);

	if (gfn < SMALL_GFN)
		return th_guest_page(gfn - BIG_GFN) + off;
	return th_guest_page(SMALL_HOST + gfn - SMALL_GFN) + off;
}

static void setup_slots(void)
{
	CHECK_EQ(memslots_create(&th.slots, 1, BIG_GFN, BIG_PAGES,
				 th_guest_page(0), 0), 0);
	CHECK_EQ(memslots_create(&th.slots, 2, SMALL_GFN, SMALL_PAGES,
				 th_guest_page(SMALL_HOST), 0), 0);
}

/* Restores seen so far: the zapper runs until there were enough. */
static bool enough_restores(void)
{
	struct tdp_mmu_stats st;

	tdp_mmu_stats_read(&th.mmu, &st);
	return st.faults_fast_fixed >= MIN_RESTORES &&
	       st.sptes_aged >= MIN_RESTORES;
}

static void zapper_fn(struct th_vcpu *v, void *arg)
{
	unsigned int i;

	for (i = 0; i < ZAPS || !enough_restores(); i++) {
		uint64_t r = rand_next(&v->rng);
		gfn_t start = BIG_GFN + r % (SMALL_GFN + SMALL_PAGES - BIG_GFN);
		gfn_t len = 1 + (r >> 32) % 600;

		tdp_mmu_zap_range(&th.mmu, start, start + len);
		sched_yield();
	}
	__atomic_store_n(&zapper_done, 1, __ATOMIC_RELEASE);
}

/* Zaps the dense window over and over, in pieces. */
static void dirty_zapper_fn(struct th_vcpu *v, void *arg)
{
	unsigned int i;

	for (i = 0; i < DIRTY_ZAPS; i++) {
		gfn_t start = SMALL_GFN + rand_next(&v->rng) % DIRTY_PAGES;

		tdp_mmu_zap_range(&th.mmu, start, start + 8);
		if (i % 16 == 0)
			sched_yield();
	}
	__atomic_store_n(&zapper_done, 1, __ATOMIC_RELEASE);
}

static void accessor_fn(struct th_vcpu *v, void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg;

	while (!__atomic_load_n(&zapper_done, __ATOMIC_ACQUIRE)) {
		uint64_t r = rand_next(&v->rng);
		uint64_t gpa = (random_gfn(v) << PAGE_SHIFT) | ((r >> 24) & 0xff8);
		unsigned int access = TDP_ACC_READ << ((r >> 40) % 3);
		paddr_t hpa = 0;

		if (th_access(v, gpa, access, &hpa) != TDP_FAULT_FIXED ||
		    hpa != expected_hpa(gpa))
			errors[me]++;
	}
}

static void ager_fn(struct th_vcpu *v, void *arg)
{
	while (!__atomic_load_n(&zapper_done, __ATOMIC_ACQUIRE)) {
		tdp_mmu_age_range(&th.mmu, 0, SMALL_GFN + SMALL_PAGES);
		sched_yield();
	}
}

static void restores_race_zaps(void)
{
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_thread t[NR_VCPUS + 2];
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_VCPUS + 2);
		setup_slots();
		zapper_done = 0;
		memset(errors, 0, sizeof(errors));

		for (i = 0; i < NR_VCPUS - 1; i++)
			th_thread_start(&t[i], &th.vcpu[i], accessor_fn,
					(void *)(uintptr_t)i);
		th_thread_start(&t[NR_VCPUS - 1], &th.vcpu[NR_VCPUS - 1],
				ager_fn, NULL);
		th_thread_start(&t[NR_VCPUS], &th.vcpu[NR_VCPUS], zapper_fn,
				NULL);
		th_threads_go();
		for (i = 0; i <= NR_VCPUS; i++)
			th_thread_join(&t[i]);

		for (i = 0; i < NR_VCPUS; i++)
			CHECK_EQ(errors[i], 0);
		tdp_mmu_stats_read(&th.mmu, &st);
		CHECK(st.faults_fast_fixed > 0);
		CHECK(st.sptes_aged > 0);
		CHECK(st.sptes_zapped > 0);
		CHECK(st.pages_freed > 0);
		if (getenv("TDP_TEST_VERBOSE"))
			fprintf(stderr, "  %s: %lu fast, %lu slow, %lu spurious, %lu aged, %lu zapped, %lu tables freed\n",
				formats[f]->name,
				(unsigned long)st.faults_fast_fixed,
				(unsigned long)st.faults_fixed,
				(unsigned long)st.faults_spurious,
				(unsigned long)st.sptes_aged,
				(unsigned long)st.sptes_zapped,
				(unsigned long)st.pages_freed);
		CHECK_EQ(st.pages_allocated - st.pages_freed, th_count_tables());
		tdp_mmu_zap_range(&th.mmu, 0, tdp_mmu_gfn_limit(&th.mmu));
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0,
					      tdp_mmu_gfn_limit(&th.mmu)), 0);
		CHECK_EQ(th_count_tables(), 1);
		th_teardown();
	}
}

/*
 * The CPU's dirty-bit assist on the leaf that maps gfn, if it is present
 * and writable: a locked cmpxchg that fails if the leaf changed. Runs in
 * a read section of the memslots domain, which keeps the tables it walks
 * from being freed (as the remote TLB flush does for the real CPU).
 */
static bool hw_set_dirty(struct th_vcpu *v, gfn_t gfn)
{
	const struct spte_format *fmt = th.mmu.fmt;
	uint64_t *sptep = NULL, spte = 0;
	struct tdp_iter it;
	bool set = false;
	int level = 0;

	srcu_read_lock(&v->slots_r);
	for_each_tdp_pte(it, fmt, th.mmu.root, th.mmu.levels, TDP_LEVEL_4K,
			 gfn, gfn + 1) {
		sptep = it.sptep;
		spte = it.old_spte;
		level = it.level;
	}
	while (sptep && spte_is_present(fmt, spte) &&
	       spte_is_leaf(fmt, spte, level) && spte_is_writable(fmt, spte) &&
	       !spte_is_dirty(fmt, spte)) {
		if (spte_try_cmpxchg(sptep, &spte, spte | fmt->dirty_mask)) {
			set = true;
			break;
		}
	}
	srcu_read_unlock(&v->slots_r);
	return set;
}

static void hardware_fn(struct th_vcpu *v, void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg;

	while (!__atomic_load_n(&zapper_done, __ATOMIC_ACQUIRE)) {
		gfn_t gfn = SMALL_GFN + rand_next(&v->rng) % DIRTY_PAGES;

		/* A read maps the page clean (and writable: no logging). */
		if (th_access(v, gfn << PAGE_SHIFT, TDP_ACC_READ, NULL) !=
		    TDP_FAULT_FIXED)
			errors[me]++;
		transitions[me] += hw_set_dirty(v, gfn);
	}
}

static void dirty_bits_race_zaps(void)
{
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_thread t[NR_VCPUS + 1];
		unsigned long total = 0;
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_VCPUS + 1);
		setup_slots();
		zapper_done = 0;
		memset(errors, 0, sizeof(errors));
		memset(transitions, 0, sizeof(transitions));

		for (i = 0; i < NR_VCPUS; i++)
			th_thread_start(&t[i], &th.vcpu[i], hardware_fn,
					(void *)(uintptr_t)i);
		th_thread_start(&t[NR_VCPUS], &th.vcpu[NR_VCPUS],
				dirty_zapper_fn, NULL);
		th_threads_go();
		for (i = 0; i <= NR_VCPUS; i++)
			th_thread_join(&t[i]);

		/* Whatever is still mapped goes now. */
		tdp_mmu_zap_range(&th.mmu, 0, tdp_mmu_gfn_limit(&th.mmu));
		for (i = 0; i < NR_VCPUS; i++) {
			CHECK_EQ(errors[i], 0);
			total += transitions[i];
		}
		tdp_mmu_stats_read(&th.mmu, &st);
		CHECK(total > 0);
		CHECK_EQ(st.sptes_zapped_dirty, total);
		if (getenv("TDP_TEST_VERBOSE"))
			fprintf(stderr, "  %s: %lu dirty bits set, %lu leaves zapped\n",
				formats[f]->name, total,
				(unsigned long)st.sptes_zapped);
		th_teardown();
	}
}

int main(void)
{
	th_boot();
	RUN(restores_race_zaps);
	RUN(dirty_bits_race_zaps);
	return check_done();
}
