/*
 * Hosted stress test of dirty logging (mm/tdp_mmu.c fast path,
 * mm/tdp_mmu_dirty.c write-protection, core/memslots.c harvest): no write
 * made after logging began is missing from the harvests.
 *
 * Scenario: a 4 MiB slot, first mapped writable with 2 MiB leaves. Six
 * vCPUs write (and read) random pages, half of the writes on a few hot
 * pages, in guest mode (tdp_mmu_translate() and the store inside one
 * guest-mode section) and fault on every refusal; write-protection faults
 * are fixed by the fast path's cmpxchg, the rest by the slow path. While
 * they run, logging is turned on (which write-protects and zaps the large
 * leaves) and a harvester calls memslots_get_dirty_log() in a loop; in
 * the second case an ager also marks the slot for access tracking, so
 * restores race with write-protection too.
 *
 * Bookkeeping. harvests_done counts harvests that have returned (they are
 * numbered 1, 2, ...). A write records, per page, the largest
 * harvests_done + 1 it saw between its translation and its store (in the
 * guest-mode section of both, logging seen on before the translation),
 * as a store through a TLB entry made earlier would. The harvester
 * records, per page, the number of the last harvest that reported it. A
 * write made after harvest e returned must show up in a harvest numbered
 * e + 1 or later: harvest e had write-protected the page and flushed,
 * which waits for every guest-mode section, so the translation the write
 * used was made after that, from a W granted afterwards, and that grant's
 * mark is taken by a later harvest. The vCPUs keep writing until HARVESTS harvests are done. After the vCPUs stop, a final harvest collects what is
 * left. So for every page: last harvest reporting it >= the largest
 * recorded write number. Both encodings.
 *
 * The first two cases force, step by step on one thread, the interleaving
 * the stress run is too short to hit: an ager or a zap cleared W (or the
 * leaf) of a logged page and has not flushed yet when the harvest takes
 * the page's bit; the harvest must flush before it returns.
 */
#include "tests/host/test_tdp_harness.h"

#define NR_WRITERS 6
#define SLOT_GFN   0x200
#define SLOT_PAGES 1024
#define HOT_PAGES  16
#define WRITES     2000	/* accesses per writer, at least */
#define HARVESTS   24	/* harvests the writers run through, at least */
#define BITMAP_WORDS (SLOT_PAGES / 64)

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static unsigned long logging_on;		/* atomic */
static unsigned long harvests_done;		/* atomic */
static unsigned long writers_done;		/* atomic */
static unsigned long writes_done;		/* atomic */
static unsigned long rec[SLOT_PAGES];		/* atomic */
static unsigned long last_harvest[SLOT_PAGES];	/* harvester, then main */
static unsigned long errors[NR_WRITERS + 2];

static void atomic_max(unsigned long *p, unsigned long v)
{
	unsigned long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (old < v && !__atomic_compare_exchange_n(p, &old, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static void writer_fn(struct th_vcpu *v, void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg;
	unsigned int i, tries;

	for (i = 0; i < WRITES ||
		    __atomic_load_n(&harvests_done, __ATOMIC_RELAXED) < HARVESTS;
	     i++) {
		uint64_t r = rand_next(&v->rng);
		unsigned int page = (r & 1) ? (r >> 8) % HOT_PAGES :
					      (r >> 8) % SLOT_PAGES;
		unsigned int access = (r >> 40) % 4 ? TDP_ACC_WRITE :
						      TDP_ACC_READ;
		uint64_t gpa = ((SLOT_GFN + page) << PAGE_SHIFT) |
			       ((r >> 20) & 0xff8);

		for (tries = 0; tries < TH_MAX_REFAULTS; tries++) {
			unsigned long on, e;
			paddr_t hpa;
			int ret;

			srcu_read_lock(&v->guest_r);
			on = __atomic_load_n(&logging_on, __ATOMIC_ACQUIRE);
			ret = tdp_mmu_translate(&th.mmu, gpa, access, &hpa);
			/* After the walk, like a write through a TLB entry. */
			e = __atomic_load_n(&harvests_done, __ATOMIC_ACQUIRE);
			if (ret == TDP_XLATE_OK) {
				if (hpa != th_guest_page(page) + (gpa & 0xfff))
					errors[me]++;
				__atomic_fetch_add((uint64_t *)phys_to_virt(hpa),
						   1, __ATOMIC_RELAXED);
				if (on && access == TDP_ACC_WRITE)
					atomic_max(&rec[page], e + 1);
			}
			srcu_read_unlock(&v->guest_r);
			if (ret == TDP_XLATE_OK)
				break;
			ret = tdp_mmu_page_fault(&th.mmu, &v->slots_r, gpa,
						 access);
			if (ret != TDP_FAULT_FIXED && ret != TDP_FAULT_RETRY) {
				errors[me]++;
				break;
			}
		}
		if (tries == TH_MAX_REFAULTS)
			errors[me]++;
		__atomic_fetch_add(&writes_done, 1, __ATOMIC_RELAXED);
	}
}

/* One harvest: numbered harvests_done + 1, published when done. */
static void harvest(unsigned int me)
{
	uint64_t bits[BITMAP_WORDS];
	unsigned long k = __atomic_load_n(&harvests_done, __ATOMIC_RELAXED) + 1;
	unsigned int p;

	if (memslots_get_dirty_log(&th.slots, 1, bits)) {
		errors[me]++;
		return;
	}
	for (p = 0; p < SLOT_PAGES; p++) {
		if (bits[p / 64] & BIT_ULL(p % 64))
			last_harvest[p] = k;
	}
	__atomic_store_n(&harvests_done, k, __ATOMIC_RELEASE);
}

static void harvester_fn(struct th_vcpu *v, void *arg)
{
	while (!__atomic_load_n(&logging_on, __ATOMIC_ACQUIRE))
		sched_yield();
	while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE)) {
		harvest(NR_WRITERS);
		sched_yield();
	}
}

static void ager_fn(struct th_vcpu *v, void *arg)
{
	while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE)) {
		tdp_mmu_age_range(&th.mmu, SLOT_GFN, SLOT_GFN + SLOT_PAGES);
		sched_yield();
	}
}

static void run(bool aging)
{
	unsigned int f, i, p;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_thread t[NR_WRITERS + 2];
		unsigned long missed = 0, logged = 0;
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_WRITERS + 2);
		logging_on = harvests_done = writers_done = writes_done = 0;
		memset(rec, 0, sizeof(rec));
		memset(last_harvest, 0, sizeof(last_harvest));
		memset(errors, 0, sizeof(errors));
		CHECK_EQ(memslots_create(&th.slots, 1, SLOT_GFN, SLOT_PAGES,
					 th_guest_page(0), 0), 0);
		/* Mapped writable, 2 MiB, before logging. */
		for (p = 0; p < SLOT_PAGES; p += 512)
			CHECK_EQ(th_access(&th.vcpu[NR_WRITERS + 1],
					   (SLOT_GFN + p) << PAGE_SHIFT,
					   TDP_ACC_WRITE, NULL),
				 TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, SLOT_GFN,
					      SLOT_GFN + SLOT_PAGES), 2);

		for (i = 0; i < NR_WRITERS; i++)
			th_thread_start(&t[i], &th.vcpu[i], writer_fn,
					(void *)(uintptr_t)i);
		th_thread_start(&t[NR_WRITERS], &th.vcpu[NR_WRITERS],
				harvester_fn, NULL);
		if (aging)
			th_thread_start(&t[NR_WRITERS + 1],
					&th.vcpu[NR_WRITERS + 1], ager_fn, NULL);
		th_threads_go();

		/* Logging begins while the vCPUs write. */
		while (__atomic_load_n(&writes_done, __ATOMIC_RELAXED) <
		       NR_WRITERS * WRITES / 8)
			sched_yield();
		CHECK_EQ(memslots_set_flags(&th.slots, 1, MEMSLOT_DIRTY_LOG), 0);
		__atomic_store_n(&logging_on, 1, __ATOMIC_RELEASE);

		for (i = 0; i < NR_WRITERS; i++)
			th_thread_join(&t[i]);
		__atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
		th_thread_join(&t[NR_WRITERS]);
		if (aging)
			th_thread_join(&t[NR_WRITERS + 1]);
		harvest(NR_WRITERS + 1);

		for (i = 0; i < NR_WRITERS + 2; i++)
			CHECK_EQ(errors[i], 0);
		for (p = 0; p < SLOT_PAGES; p++) {
			if (!rec[p])
				continue;
			logged++;
			if (last_harvest[p] < rec[p]) {
				fprintf(stderr, "  page %u: written after harvest %lu, last reported by harvest %lu\n",
					p, rec[p] - 1, last_harvest[p]);
				missed++;
			}
		}
		CHECK_EQ(missed, 0);
		CHECK(logged > HOT_PAGES);
		CHECK(harvests_done > HARVESTS);
		tdp_mmu_stats_read(&th.mmu, &st);
		CHECK(st.faults_fast_fixed > 0);
		if (getenv("TDP_TEST_VERBOSE"))
			fprintf(stderr, "  %s: %lu pages logged, %lu harvests, %lu fast, %lu slow, %lu retried, %lu aged\n",
				formats[f]->name, logged, harvests_done,
				(unsigned long)st.faults_fast_fixed,
				(unsigned long)st.faults_fixed,
				(unsigned long)st.faults_retried,
				(unsigned long)st.sptes_aged);
		/* Logging on: nothing larger than 4 KiB is mapped. */
		for (p = 0; p < SLOT_PAGES; p++) {
			struct tdp_walk w;

			if (tdp_mmu_walk(&th.mmu, (SLOT_GFN + p) << PAGE_SHIFT,
					 TDP_ACC_READ, &w) == TDP_XLATE_OK)
				CHECK_EQ(w.level, TDP_LEVEL_4K);
		}
		th_teardown();
	}
}

/* Logging faults fixed by the fast path (and the slow path for the first
 * write of a page after logging began). */
static void no_write_missed(void)
{
	run(false);
}

/* The same with access-tracking restores adding W back as well. */
static void no_write_missed_with_aging(void)
{
	run(true);
}

/* --- The harvest after a sweep that has not flushed yet ------------------- */

/*
 * One vCPU's TLB, one entry: the writable translation of PAGE_GPA it
 * cached. A flush that goes through drops it; the flush gate holds back
 * the next `hold` flushes (the sweep's own, still to come).
 */
#define PAGE_GPA ((SLOT_GFN + 5) << PAGE_SHIFT)

static struct {
	bool valid;
	unsigned int hold, held;
} tlb;

static bool tlb_flush_gate(void)
{
	if (tlb.hold) {
		tlb.hold--;
		tlb.held++;
		return false;
	}
	tlb.valid = false;
	return true;
}

enum sweep { SWEEP_AGE, SWEEP_ZAP };

/*
 * Deterministic, one thread: the page is mapped writable and logged, the
 * vCPU caches the writable translation, a sweep (an ager, a zap) takes W
 * or the leaf away and its flush is held back, then the harvest runs. Its
 * own write-protect finds nothing writable, yet it took the page's bit:
 * it must flush before it returns, or the vCPU writes through its cached
 * translation after the harvest and no harvest reports the write
 * (docs/races.md, "Dirty-log harvest after someone else cleared W").
 */
static void harvest_after_unflushed_sweep(enum sweep sweep)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;
		uint64_t bits[BITMAP_WORDS];
		uint64_t flushes;
		paddr_t hpa;

		th_setup(formats[f], TDP_LEVEL_4K, 1);
		v = &th.vcpu[0];
		memset(&tlb, 0, sizeof(tlb));
		th.flush_gate = tlb_flush_gate;
		CHECK_EQ(memslots_create(&th.slots, 1, SLOT_GFN, SLOT_PAGES,
					 th_guest_page(0), MEMSLOT_DIRTY_LOG), 0);
		/* Written, harvested (write-protected), written again: logged. */
		CHECK_EQ(th_access(v, PAGE_GPA, TDP_ACC_WRITE, NULL), TDP_FAULT_FIXED);
		CHECK_EQ(memslots_get_dirty_log(&th.slots, 1, bits), 0);
		CHECK_EQ(bits[0], 1ull << 5);
		CHECK_EQ(th_access(v, PAGE_GPA, TDP_ACC_WRITE, NULL), TDP_FAULT_FIXED);

		/* The vCPU caches the writable translation. */
		CHECK_EQ(tdp_mmu_translate(&th.mmu, PAGE_GPA, TDP_ACC_WRITE, &hpa),
			 TDP_XLATE_OK);
		tlb.valid = true;

		/* The sweep clears W (or the leaf); its flush is still to come. */
		tlb.hold = 1;
		if (sweep == SWEEP_AGE)
			CHECK_EQ(tdp_mmu_age_range(&th.mmu, SLOT_GFN, SLOT_GFN + SLOT_PAGES), 1);
		else
			tdp_mmu_zap_range(&th.mmu, SLOT_GFN, SLOT_GFN + SLOT_PAGES);
		CHECK_EQ(tlb.held, 1);
		CHECK(tlb.valid);
		CHECK(tdp_mmu_translate(&th.mmu, PAGE_GPA, TDP_ACC_WRITE, &hpa) !=
		      TDP_XLATE_OK);

		/* The harvest takes the bit and flushes before it returns. */
		flushes = th.flushes;
		CHECK_EQ(memslots_get_dirty_log(&th.slots, 1, bits), 0);
		CHECK_EQ(bits[0], 1ull << 5);
		CHECK_EQ(th.flushes, flushes + 1);
		CHECK(!tlb.valid);

		/* Nothing taken, nothing to flush. */
		CHECK_EQ(memslots_get_dirty_log(&th.slots, 1, bits), 0);
		CHECK_EQ(bits[0], 0);
		CHECK_EQ(th.flushes, flushes + 1);

		th.flush_gate = NULL;
		th_teardown();
	}
}

static void harvest_flushes_after_unflushed_age(void)
{
	harvest_after_unflushed_sweep(SWEEP_AGE);
}

static void harvest_flushes_after_unflushed_zap(void)
{
	harvest_after_unflushed_sweep(SWEEP_ZAP);
}

int main(void)
{
	th_boot();
	RUN(harvest_flushes_after_unflushed_age);
	RUN(harvest_flushes_after_unflushed_zap);
	RUN(no_write_missed);
	RUN(no_write_missed_with_aging);
	return check_done();
}
