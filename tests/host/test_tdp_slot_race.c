/*
 * Hosted stress test of faults racing with memslot delete, move and
 * create (mm/tdp_mmu.c, mm/tdp_mmu_zap.c through core/memslots.c): the
 * stale-gfn race (docs/races.md, "Fault installs after the zap").
 *
 * Scenario: one slot of 512 pages jumps around: deleted, created again at
 * one of two gfn ranges on one of three host ranges (2 MiB-aligned or
 * not), moved between the gfn ranges. Seven vCPUs hammer both gfn ranges
 * with random accesses, in guest mode (tdp_mmu_translate() inside a
 * guest-mode section, th.guest) and faulting when the walk refuses. The
 * updater numbers the slot's states and publishes the number once each
 * update has returned.
 *
 * Invariants:
 *  - A translation a vCPU uses in a guest-mode section that began in
 *    state s maps gpa exactly as some state t >= s does: never a frame of
 *    a state that was gone before the access began (no frame outside a
 *    live memslot), whether the fault that installed it resolved before
 *    or after the update.
 *  - After a delete or move returns, no SPTE maps the old range, and
 *    none appears later while the vCPUs keep faulting there (no fault
 *    installs after the zap).
 *  - Every table page is back at teardown. Both encodings.
 */
#include "tests/host/test_tdp_harness.h"

#define NR_FAULTERS 7
#define ROUNDS      50
#define SLOT_PAGES  512
#define SETTLE      64	/* vCPU accesses awaited after an update */

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static const gfn_t bases[] = { 0x200, 0x600 };
static const uint64_t hosts[] = { 0, 512, 1029 };	/* guest RAM pages */

/* A state: present, base index, host index, packed for atomic access. */
#define STATE_PRESENT 0x100u
static uint64_t states[ROUNDS + 2];	/* atomic */
static unsigned long cur_state;		/* atomic */
static unsigned long stop;		/* atomic */
static unsigned long updater_errors;
static unsigned long faulter_errors[NR_FAULTERS];
static unsigned long faulter_results[NR_FAULTERS][TDP_FAULT_ENOMEM + 1];
static unsigned long faulter_accesses[NR_FAULTERS];	/* atomic */

static uint64_t state_make(unsigned int base, unsigned int host)
{
	return STATE_PRESENT | (base << 4) | host;
}

static gfn_t state_base(uint64_t st)
{
	return bases[(st >> 4) & 0xf];
}

static uint64_t state_host(uint64_t st)
{
	return hosts[st & 0xf];
}

/* State st maps gpa to hpa. */
static bool state_maps(uint64_t st, uint64_t gpa, paddr_t hpa)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;

	if (!(st & STATE_PRESENT) || gfn < state_base(st) ||
	    gfn >= state_base(st) + SLOT_PAGES)
		return false;
	return hpa == th_guest_page(state_host(st) + gfn - state_base(st)) +
		      (gpa & (PAGE_SIZE - 1));
}

static void faulter_fn(struct th_vcpu *v, void *arg)
{
	unsigned int me = (unsigned int)(uintptr_t)arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		uint64_t r = rand_next(&v->rng);
		gfn_t gfn = bases[r & 1] + ((r >> 1) % SLOT_PAGES);
		uint64_t gpa = (gfn << PAGE_SHIFT) | ((r >> 20) & 0xff8);
		unsigned int access = TDP_ACC_READ << ((r >> 40) % 3);
		unsigned long s, now, t;
		paddr_t hpa;
		bool ok;
		int ret;

		srcu_read_lock(&v->guest_r);
		s = __atomic_load_n(&cur_state, __ATOMIC_ACQUIRE);
		ret = tdp_mmu_translate(&th.mmu, gpa, access, &hpa);
		if (ret == TDP_XLATE_OK) {
			now = __atomic_load_n(&cur_state, __ATOMIC_ACQUIRE);
			ok = false;
			for (t = s; t <= now + 1 && t <= ROUNDS && !ok; t++)
				ok = state_maps(__atomic_load_n(&states[t],
								__ATOMIC_RELAXED),
						gpa, hpa);
			if (!ok)
				faulter_errors[me]++;
			else
				__atomic_fetch_add((uint64_t *)phys_to_virt(hpa & ~7ull),
						   1, __ATOMIC_RELAXED);
		}
		srcu_read_unlock(&v->guest_r);
		if (ret != TDP_XLATE_OK)
			faulter_results[me][tdp_mmu_page_fault(&th.mmu,
							       &v->slots_r,
							       gpa, access)]++;
		__atomic_fetch_add(&faulter_accesses[me], 1, __ATOMIC_RELAXED);
	}
}

static unsigned long accesses(void)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < NR_FAULTERS; i++)
		n += __atomic_load_n(&faulter_accesses[i], __ATOMIC_RELAXED);
	return n;
}

/* Lets the vCPUs make SETTLE more accesses (and faults). */
static void settle(void)
{
	unsigned long target = accesses() + SETTLE;

	while (accesses() < target)
		sched_yield();
}

static void updater_fn(struct th_vcpu *v, void *arg)
{
	unsigned long r;

	for (r = 1; r <= ROUNDS; r++) {
		uint64_t prev = __atomic_load_n(&states[r - 1], __ATOMIC_RELAXED);
		uint64_t rnd = rand_next(&v->rng);
		uint64_t next;
		gfn_t gone = 0;
		int err;

		if (!(prev & STATE_PRESENT)) {
			next = state_make(rnd & 1, (rnd >> 1) % 3);
		} else if (rnd & 1) {
			next = 0;
			gone = state_base(prev);
		} else {
			next = state_make(state_base(prev) == bases[0],
					  prev & 0xf);
			gone = state_base(prev);
		}
		/* Before the update: a translation may show it first. */
		__atomic_store_n(&states[r], next, __ATOMIC_RELAXED);

		if (!(prev & STATE_PRESENT))
			err = memslots_create(&th.slots, 1, state_base(next),
					      SLOT_PAGES,
					      th_guest_page(state_host(next)), 0);
		else if (!next)
			err = memslots_delete(&th.slots, 1);
		else
			err = memslots_move(&th.slots, 1, state_base(next));
		if (err)
			updater_errors++;
		if (gone && tdp_mmu_count_leaves(&th.mmu, gone,
						 gone + SLOT_PAGES))
			updater_errors++;
		__atomic_store_n(&cur_state, r, __ATOMIC_RELEASE);
		settle();
		/* Stale faults had their chance: still nothing there. */
		if (gone && tdp_mmu_count_leaves(&th.mmu, gone,
						 gone + SLOT_PAGES))
			updater_errors++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
}

static void faults_race_delete_and_move(void)
{
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_thread t[NR_FAULTERS + 1];
		unsigned long fixed = 0, no_slot = 0, retry = 0;
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_FAULTERS + 1);
		memset(states, 0, sizeof(states));
		memset(faulter_errors, 0, sizeof(faulter_errors));
		memset(faulter_results, 0, sizeof(faulter_results));
		memset(faulter_accesses, 0, sizeof(faulter_accesses));
		cur_state = 0;
		stop = 0;
		updater_errors = 0;
		states[0] = state_make(0, 0);
		CHECK_EQ(memslots_create(&th.slots, 1, bases[0], SLOT_PAGES,
					 th_guest_page(hosts[0]), 0), 0);

		for (i = 0; i < NR_FAULTERS; i++)
			th_thread_start(&t[i], &th.vcpu[i], faulter_fn,
					(void *)(uintptr_t)i);
		th_thread_start(&t[NR_FAULTERS], &th.vcpu[NR_FAULTERS],
				updater_fn, NULL);
		th_threads_go();
		for (i = 0; i <= NR_FAULTERS; i++)
			th_thread_join(&t[i]);

		CHECK_EQ(updater_errors, 0);
		for (i = 0; i < NR_FAULTERS; i++) {
			CHECK_EQ(faulter_errors[i], 0);
			CHECK_EQ(faulter_results[i][TDP_FAULT_READONLY], 0);
			CHECK_EQ(faulter_results[i][TDP_FAULT_ENOMEM], 0);
			fixed += faulter_results[i][TDP_FAULT_FIXED];
			no_slot += faulter_results[i][TDP_FAULT_NO_SLOT];
			retry += faulter_results[i][TDP_FAULT_RETRY];
		}
		CHECK(fixed > 0);
		CHECK(no_slot > 0);
		if (getenv("TDP_TEST_VERBOSE"))
			fprintf(stderr, "  %s: %lu fixed, %lu no slot, %lu retry, %lu accesses\n",
				formats[f]->name, fixed, no_slot, retry,
				accesses());
		tdp_mmu_stats_read(&th.mmu, &st);
		CHECK_EQ(st.pages_allocated - st.pages_freed, th_count_tables());
		CHECK_EQ(th.mmu.invalidate_in_progress, 0);
		/* The last state's mapping only. */
		if (states[ROUNDS] & STATE_PRESENT)
			CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0, 0x1000),
				 tdp_mmu_count_leaves(&th.mmu,
						      state_base(states[ROUNDS]),
						      state_base(states[ROUNDS]) +
						      SLOT_PAGES));
		else
			CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0, 0x1000), 0);
		th_teardown();
	}
}

int main(void)
{
	th_boot();
	RUN(faults_race_delete_and_move);
	return check_done();
}
