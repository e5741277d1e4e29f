/*
 * Hosted test of TDP MMU zapping, invalidation and reclaim
 * (mm/tdp_mmu_zap.c), one CPU.
 *
 * Scenario: pages are mapped by faults, then taken out by
 * tdp_mmu_zap_range(), by invalidations, and by the memslot updates that
 * call them (delete, move, read-only). After each step the tree is walked:
 * no leaf is left in the zapped range, leaves outside it are untouched,
 * tables wholly inside the range or left empty are freed and the others
 * kept, a large leaf that straddles the range goes whole, the reclaim
 * batch overflows into several rounds without losing a table, faults
 * during an invalidation install nothing, and every table page is back
 * with the frame allocator at teardown. Both encodings.
 */
#include "tests/host/test_tdp_harness.h"

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static int fault(gfn_t gfn, unsigned int access)
{
	return tdp_mmu_page_fault(&th.mmu, &th.vcpu[0].slots_r,
				  gfn << PAGE_SHIFT, access);
}

static uint64_t leaves(gfn_t start, gfn_t end)
{
	return tdp_mmu_count_leaves(&th.mmu, start, end);
}

static struct tdp_mmu_stats stats(void)
{
	struct tdp_mmu_stats st;

	tdp_mmu_stats_read(&th.mmu, &st);
	return st;
}

static void check_tables_accounted(void)
{
	struct tdp_mmu_stats st = stats();

	CHECK_EQ(st.pages_allocated - st.pages_freed, th_count_tables());
}

/* Whole tables in the range are freed; partial ones only once empty. */
static void zap_frees_tables(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		gfn_t g;

		th_setup(formats[f], TDP_LEVEL_4K, 1);
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 4096,
					 th_guest_page(0), 0), 0);
		for (g = 0x200; g < 0x1200; g++)
			CHECK_EQ(fault(g, TDP_ACC_READ), TDP_FAULT_FIXED);
		/* Root, PDPT, PD, 8 page tables. */
		CHECK_EQ(th_count_tables(), 11);
		CHECK_EQ(leaves(0, 0x2000), 4096);

		tdp_mmu_zap_range(&th.mmu, 0x200, 0x400);
		CHECK_EQ(leaves(0x200, 0x400), 0);
		CHECK_EQ(leaves(0x400, 0x1200), 3584);
		CHECK_EQ(th_count_tables(), 10);
		check_tables_accounted();

		tdp_mmu_zap_range(&th.mmu, 0x401, 0x402);
		CHECK_EQ(leaves(0x400, 0x600), 511);
		CHECK_EQ(th_count_tables(), 10);
		tdp_mmu_zap_range(&th.mmu, 0x402, 0x600);
		CHECK_EQ(leaves(0x400, 0x600), 1);
		CHECK_EQ(th_count_tables(), 10);
		/* The last leaf goes: the table is empty and goes too. */
		tdp_mmu_zap_range(&th.mmu, 0x400, 0x401);
		CHECK_EQ(th_count_tables(), 9);
		check_tables_accounted();
		CHECK(th.flushes >= 4);

		/* Faulting back in reuses nothing stale. */
		CHECK_EQ(fault(0x455, TDP_ACC_WRITE), TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, 0x455abc, TDP_ACC_WRITE,
					   &(paddr_t){ 0 }), TDP_XLATE_OK);
		CHECK_EQ(th_count_tables(), 10);

		/* Everything: the PD and PDPT empty out as well. */
		tdp_mmu_zap_range(&th.mmu, 0, 0x2000);
		CHECK_EQ(leaves(0, tdp_mmu_gfn_limit(&th.mmu)), 0);
		CHECK_EQ(th_count_tables(), 1);
		check_tables_accounted();
		CHECK_EQ(stats().sptes_zapped, 4096 + 1);
		th_teardown();
	}
}

/* A 2 MiB leaf that straddles the range is zapped whole. */
static void zap_straddling_large_leaf(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tdp_walk w;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 1024,
					 th_guest_page(0), 0), 0);
		CHECK_EQ(fault(0x2f0, TDP_ACC_WRITE), TDP_FAULT_FIXED);
		CHECK_EQ(fault(0x400, TDP_ACC_READ), TDP_FAULT_FIXED);
		CHECK_EQ(leaves(0x200, 0x600), 2);
		tdp_mmu_zap_range(&th.mmu, 0x205, 0x206);
		CHECK_EQ(leaves(0x200, 0x400), 0);
		CHECK_EQ(leaves(0x400, 0x600), 1);
		CHECK_EQ(tdp_mmu_walk(&th.mmu, 0x3ff000, TDP_ACC_READ, &w),
			 TDP_XLATE_NOT_PRESENT);
		CHECK_EQ(w.level, TDP_LEVEL_2M);
		CHECK_EQ(stats().sptes_zapped, 1);
		/* It was written: the zap saw the dirty bit. */
		CHECK_EQ(stats().sptes_zapped_dirty, 1);
		tdp_mmu_zap_range(&th.mmu, 0x5ff, 0x600);
		CHECK_EQ(leaves(0, 0x1000), 0);
		CHECK_EQ(stats().sptes_zapped_dirty, 1);
		CHECK_EQ(th_count_tables(), 1);
		th_teardown();
	}
}

/* While an invalidation is in progress no fault installs anything. */
static void invalidation_blocks_faults(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		th_setup(formats[f], TDP_LEVEL_1G, 1);
		CHECK_EQ(memslots_create(&th.slots, 1, 0x100, 64,
					 th_guest_page(0), 0), 0);
		CHECK_EQ(fault(0x100, TDP_ACC_READ), TDP_FAULT_FIXED);
		tdp_mmu_invalidate_begin(&th.mmu, 0x100, 0x110);
		CHECK_EQ(leaves(0x100, 0x140), 0);
		CHECK_EQ(fault(0x101, TDP_ACC_READ), TDP_FAULT_RETRY);
		/* The count is not per range. */
		CHECK_EQ(fault(0x120, TDP_ACC_WRITE), TDP_FAULT_RETRY);
		tdp_mmu_invalidate_begin(&th.mmu, 0x120, 0x130);
		tdp_mmu_invalidate_end(&th.mmu, 0x100, 0x110);
		CHECK_EQ(fault(0x101, TDP_ACC_READ), TDP_FAULT_RETRY);
		CHECK_EQ(leaves(0x100, 0x140), 0);
		tdp_mmu_invalidate_end(&th.mmu, 0x120, 0x130);
		CHECK_EQ(fault(0x101, TDP_ACC_READ), TDP_FAULT_FIXED);
		CHECK_EQ(leaves(0x100, 0x140), 1);
		CHECK_EQ(stats().faults_retried, 3);
		CHECK_EQ(th.mmu.invalidate_seq, 4);
		CHECK_EQ(th.mmu.invalidate_in_progress, 0);
		/* Negative results are not retries and install nothing. */
		CHECK_EQ(fault(0x200, TDP_ACC_READ), TDP_FAULT_NO_SLOT);
		CHECK_EQ(stats().faults_retried, 3);
		th_teardown();
	}
}

/* Memslot delete, move and read-only reach the MMU through the hooks. */
static void memslot_updates_unmap(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		paddr_t hpa;
		gfn_t g;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		CHECK_EQ(memslots_create(&th.slots, 1, 0x400, 700,
					 th_guest_page(0), 0), 0);
		for (g = 0x400; g < 0x400 + 700; g += 7)
			CHECK_EQ(fault(g, TDP_ACC_WRITE), TDP_FAULT_FIXED);
		CHECK_EQ(memslots_delete(&th.slots, 1), 0);
		CHECK_EQ(leaves(0, 0x10000), 0);
		CHECK_EQ(th_count_tables(), 1);
		check_tables_accounted();
		CHECK_EQ(fault(0x400, TDP_ACC_READ), TDP_FAULT_NO_SLOT);

		/* The same gfns on other host frames: no stale frame. */
		CHECK_EQ(memslots_create(&th.slots, 1, 0x400, 700,
					 th_guest_page(3), 0), 0);
		CHECK_EQ(fault(0x401, TDP_ACC_READ), TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, 0x401000, TDP_ACC_READ,
					   &hpa), TDP_XLATE_OK);
		CHECK_EQ(hpa, th_guest_page(4));

		/* Move: the old range is unmapped, the new one faults in. */
		CHECK_EQ(memslots_move(&th.slots, 1, 0x40000), 0);
		CHECK_EQ(leaves(0x400, 0x400 + 700), 0);
		CHECK_EQ(fault(0x401, TDP_ACC_READ), TDP_FAULT_NO_SLOT);
		CHECK_EQ(fault(0x40001, TDP_ACC_READ), TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, 0x40001000, TDP_ACC_READ,
					   &hpa), TDP_XLATE_OK);
		CHECK_EQ(hpa, th_guest_page(4));

		/* Read-only: writable leaves go, writes are refused. */
		CHECK_EQ(fault(0x40002, TDP_ACC_WRITE), TDP_FAULT_FIXED);
		CHECK_EQ(memslots_set_flags(&th.slots, 1, MEMSLOT_READONLY), 0);
		CHECK_EQ(leaves(0x40000, 0x40000 + 700), 0);
		CHECK_EQ(fault(0x40002, TDP_ACC_WRITE), TDP_FAULT_READONLY);
		CHECK_EQ(fault(0x40002, TDP_ACC_READ), TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, 0x40002000, TDP_ACC_WRITE,
					   &hpa), TDP_XLATE_PERM);
		CHECK_EQ(th.mmu.invalidate_in_progress, 0);
		check_tables_accounted();
		th_teardown();
	}
}

/*
 * A zap that detaches more tables than one reclaim batch holds stops,
 * frees, and resumes: every table is freed, every leaf is gone, and
 * leaves outside the range survive.
 */
static void reclaim_batch_overflow(void)
{
	const unsigned int regions = 200;
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		uint64_t flushes;

		th_setup(formats[f], TDP_LEVEL_4K, 1);
		/* One page in each of 200 2 MiB regions: 200 page tables. */
		CHECK_EQ(memslots_create(&th.slots, 1, 0,
					 (uint64_t)regions * 512 + 512,
					 th_guest_page(0), 0), 0);
		for (i = 0; i <= regions; i++)
			CHECK_EQ(fault((gfn_t)i * 512 + (i % 512), TDP_ACC_READ),
				 TDP_FAULT_FIXED);
		CHECK_EQ(th_count_tables(), 3 + regions + 1);
		flushes = th.flushes;
		/* Regions 1..199 whole, from the middle of region 0. */
		tdp_mmu_zap_range(&th.mmu, 0x100, (gfn_t)regions * 512);
		CHECK_EQ(leaves(0, (gfn_t)regions * 512), 1);
		CHECK_EQ(leaves((gfn_t)regions * 512,
				(gfn_t)regions * 512 + 512), 1);
		CHECK_EQ(th_count_tables(), 3 + 2);
		check_tables_accounted();
		/* 199 tables in batches of 64: at least four rounds. */
		CHECK(th.flushes - flushes >= 4);
		th_teardown();
	}
}

int main(void)
{
	th_boot();
	RUN(zap_frees_tables);
	RUN(zap_straddling_large_leaf);
	RUN(invalidation_blocks_faults);
	RUN(memslot_updates_unmap);
	RUN(reclaim_batch_overflow);
	return check_done();
}
