/*
 * Hosted test of the TDP MMU fault path (mm/tdp_mmu.c), one CPU.
 *
 * Scenario: a VM with a few memslots; the guest touches its memory
 * through the software walker, and every access the walker refuses goes
 * through tdp_mmu_page_fault(), as an EPT violation or #NPF would. Each
 * case runs on both encodings (EPT and NPT) and checks what the walker
 * then sees: the host frame each gfn lands on (4 KiB, 2 MiB and 1 GiB
 * leaves where slot alignment allows, 4 KiB where it does not or dirty
 * logging is on), the permissions (read-only slots, logging slots mapped
 * read-only until written), the fast path (write-protection and access
 * tracking fixed without mmu_lock), and the results a vCPU must act on:
 * NO_SLOT and READONLY, with nothing installed.
 */
#include "tests/host/test_tdp_harness.h"

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static int leaf_level(uint64_t gpa)
{
	struct tdp_walk w;

	if (tdp_mmu_walk(&th.mmu, gpa, TDP_ACC_READ, &w) != TDP_XLATE_OK)
		return 0;
	return w.level;
}

static struct tdp_mmu_stats stats(void)
{
	struct tdp_mmu_stats st;

	tdp_mmu_stats_read(&th.mmu, &st);
	return st;
}

/* 4 KiB leaves: the slot's gfn and host address are not congruent. */
static void maps_4k_pages(void)
{
	const gfn_t base = 0x101;
	const uint64_t npages = 700;
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;
		paddr_t hpa;
		uint64_t i;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, base, npages,
					 th_guest_page(0), 0), 0);
		for (i = 0; i < npages; i++) {
			uint64_t gpa = ((base + i) << PAGE_SHIFT) + 0x18;

			CHECK_EQ(th_guest_access(v, gpa, TDP_ACC_READ, NULL),
				 TDP_XLATE_NOT_PRESENT);
			CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r, gpa,
						    TDP_ACC_READ),
				 TDP_FAULT_FIXED);
			/* A read fault on a writable slot maps RWX. */
			CHECK_EQ(th_guest_access(v, gpa, TDP_ACC_ALL, &hpa),
				 TDP_XLATE_OK);
			CHECK_EQ(hpa, th_guest_page(i) + 0x18);
			CHECK_EQ(leaf_level(gpa), TDP_LEVEL_4K);
		}
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0, base + npages + 1),
			 npages);
		CHECK_EQ(stats().faults_fixed, npages);
		/* Faulting again changes nothing. */
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r,
					    base << PAGE_SHIFT, TDP_ACC_WRITE),
			 TDP_FAULT_FIXED);
		CHECK_EQ(stats().faults_spurious, 1);
		CHECK_EQ(stats().faults_fixed, npages);
		/* Root, PDPT, PD, two page tables (gfn 0x101 .. 0x3bc). */
		CHECK_EQ(th_count_tables(), 5);
		CHECK_EQ(stats().pages_allocated, 5);
		/* The exclusive variant is the same code. */
		CHECK_EQ(memslots_create(&th.slots, 2, 0x1000, 4,
					 th_guest_page(1024), 0), 0);
		CHECK_EQ(tdp_mmu_page_fault_exclusive(&th.mmu, &v->slots_r,
						      0x1002000, TDP_ACC_EXEC),
			 TDP_FAULT_FIXED);
		CHECK_EQ(th_guest_access(v, 0x1002000, TDP_ACC_EXEC, &hpa),
			 TDP_XLATE_OK);
		CHECK_EQ(hpa, th_guest_page(1026));
		th_teardown();
	}
}

/* No slot: nothing is installed, whatever the access. */
static void no_slot(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, 0x100, 16,
					 th_guest_page(0), 0), 0);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r, 0xff000,
					    TDP_ACC_READ), TDP_FAULT_NO_SLOT);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r, 0x110000,
					    TDP_ACC_WRITE), TDP_FAULT_NO_SLOT);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r,
					    0xfee00000, TDP_ACC_READ),
			 TDP_FAULT_NO_SLOT);
		/* Beyond what 4 levels reach (48-bit guest physical). */
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r,
					    1ull << 48, TDP_ACC_READ),
			 TDP_FAULT_NO_SLOT);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0,
					      tdp_mmu_gfn_limit(&th.mmu)), 0);
		CHECK_EQ(th_count_tables(), 1);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, 0xfee00000, TDP_ACC_READ,
					   &(paddr_t){ 0 }),
			 TDP_XLATE_NOT_PRESENT);
		th_teardown();
	}
}

/* Read-only slot: reads map, writes are refused and never map W. */
static void readonly_slot(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tdp_walk w;
		struct th_vcpu *v;
		paddr_t hpa;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 7, 0x400, 512,
					 th_guest_page(512), MEMSLOT_READONLY),
			 0);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r, 0x400000,
					    TDP_ACC_WRITE), TDP_FAULT_READONLY);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0x400, 0x600), 0);
		CHECK_EQ(th_access(v, 0x4ff123, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(512 + 0xff) + 0x123);
		/* An aligned read-only slot gets a read-only 2 MiB leaf. */
		CHECK_EQ(tdp_mmu_walk(&th.mmu, 0x4ff123, TDP_ACC_WRITE, &w),
			 TDP_XLATE_PERM);
		CHECK_EQ(w.level, TDP_LEVEL_2M);
		CHECK(!(w.sptes[w.level] & SPTE_HOST_WRITABLE));
		CHECK_EQ(w.perms, TDP_ACC_READ | TDP_ACC_EXEC);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r, 0x4ff123,
					    TDP_ACC_WRITE), TDP_FAULT_READONLY);
		CHECK_EQ(stats().faults_fast_fixed, 0);
		th_teardown();
	}
}

/* 2 MiB leaves where gfn and host agree modulo 2 MiB, 4 KiB elsewhere. */
static void maps_2m_where_aligned(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;
		paddr_t hpa;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		/* gfn 0x200.. (2 MiB) on host 32 MiB: 2 MiB, then a tail. */
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 512 + 100,
					 th_guest_page(0), 0), 0);
		/* Same gfns mod 512 but host off by 4 KiB: 4 KiB only. */
		CHECK_EQ(memslots_create(&th.slots, 2, 0x1000, 1024,
					 th_guest_page(1025), 0), 0);

		CHECK_EQ(th_access(v, 0x3ff008, TDP_ACC_WRITE, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(511) + 8);
		CHECK_EQ(leaf_level(0x200000), TDP_LEVEL_2M);
		/* The whole block is mapped by that one fault. */
		CHECK_EQ(th_guest_access(v, 0x200000, TDP_ACC_WRITE, &hpa),
			 TDP_XLATE_OK);
		CHECK_EQ(hpa, th_guest_page(0));
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0x200, 0x400), 1);
		/* The tail block is not wholly in the slot. */
		CHECK_EQ(th_access(v, 0x400000, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(512));
		CHECK_EQ(leaf_level(0x400000), TDP_LEVEL_4K);
		CHECK_EQ(th_guest_access(v, 0x401000, TDP_ACC_READ, NULL),
			 TDP_XLATE_NOT_PRESENT);

		CHECK_EQ(th_access(v, 0x1000000, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(1025));
		CHECK_EQ(leaf_level(0x1000000), TDP_LEVEL_4K);
		th_teardown();

		/* An MMU limited to 4 KiB leaves (no large-page support). */
		th_setup(formats[f], TDP_LEVEL_4K, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 512,
					 th_guest_page(0), 0), 0);
		CHECK_EQ(th_access(v, 0x3ff000, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(0x3ff000), TDP_LEVEL_4K);
		th_teardown();
	}
}

/*
 * 1 GiB leaves need a 1 GiB slot at 1 GiB-aligned gfn and host address:
 * the host range lies beyond the arena and is never touched (the walker
 * is asked for the address only, never the frame).
 */
static void maps_1g_where_aligned(void)
{
	const gfn_t base = GiB(4) >> PAGE_SHIFT;
	const uint64_t npages = GiB(1) >> PAGE_SHIFT;
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;
		paddr_t hpa;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, base, npages, GiB(8), 0),
			 0);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r,
					    GiB(4) + MiB(300) + 0x7b8,
					    TDP_ACC_WRITE), TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(GiB(4)), TDP_LEVEL_1G);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, GiB(5) - 8, TDP_ACC_ALL,
					   &hpa), TDP_XLATE_OK);
		CHECK_EQ(hpa, GiB(9) - 8);
		/* Root and PDPT: no lower table was needed. */
		CHECK_EQ(th_count_tables(), 2);
		th_teardown();

		/* CPU without 1 GiB pages: 2 MiB leaves. */
		th_setup(formats[f], TDP_LEVEL_2M, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, base, npages, GiB(8), 0),
			 0);
		CHECK_EQ(tdp_mmu_page_fault(&th.mmu, &v->slots_r,
					    GiB(4) + MiB(300), TDP_ACC_READ),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(GiB(4) + MiB(300)), TDP_LEVEL_2M);
		CHECK_EQ(tdp_mmu_translate(&th.mmu, GiB(4) + MiB(301),
					   TDP_ACC_READ, &hpa), TDP_XLATE_OK);
		CHECK_EQ(hpa, GiB(8) + MiB(301));
		th_teardown();
	}
}

static uint64_t harvest(uint32_t id)
{
	uint64_t bits[16] = { 0 };	/* the largest logging slot here */

	CHECK_EQ(memslots_get_dirty_log(&th.slots, id, bits), 0);
	return bits[0];
}

/*
 * A logging slot maps 4 KiB only and read-only on a read fault; the first
 * write is fixed by the fast path and logged. Turning logging on
 * write-protects the pages mapped before and zaps a 2 MiB leaf.
 */
static void dirty_logging(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct th_vcpu *v;
		paddr_t hpa;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 512,
					 th_guest_page(0), MEMSLOT_DIRTY_LOG),
			 0);
		CHECK_EQ(th_access(v, 0x203000, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(0x203000), TDP_LEVEL_4K);
		CHECK_EQ(th_guest_access(v, 0x203000, TDP_ACC_WRITE, NULL),
			 TDP_XLATE_PERM);
		CHECK_EQ(harvest(1), 0);
		CHECK_EQ(th_access(v, 0x203000, TDP_ACC_WRITE, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(stats().faults_fast_fixed, 1);
		/* A write fault on an unmapped page: the slow path logs it. */
		CHECK_EQ(th_access(v, 0x205000, TDP_ACC_WRITE, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(stats().faults_fixed, 2);
		CHECK_EQ(harvest(1), BIT_ULL(3) | BIT_ULL(5));
		/* The harvest write-protected both again. */
		CHECK_EQ(th_guest_access(v, 0x203000, TDP_ACC_WRITE, NULL),
			 TDP_XLATE_PERM);
		CHECK_EQ(th_guest_access(v, 0x205000, TDP_ACC_WRITE, NULL),
			 TDP_XLATE_PERM);
		CHECK_EQ(th_guest_access(v, 0x205000, TDP_ACC_READ, NULL),
			 TDP_XLATE_OK);
		CHECK_EQ(harvest(1), 0);
		CHECK_EQ(th_access(v, 0x205000, TDP_ACC_WRITE, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(harvest(1), BIT_ULL(5));
		th_teardown();

		/* Logging turned on over existing mappings. */
		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, 0x200, 1024,
					 th_guest_page(0), 0), 0);
		CHECK_EQ(th_access(v, 0x200000, TDP_ACC_WRITE, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(0x200000), TDP_LEVEL_2M);
		CHECK_EQ(memslots_create(&th.slots, 2, 0x10000, 8,
					 th_guest_page(4096), 0), 0);
		CHECK_EQ(th_access(v, 0x10002000, TDP_ACC_WRITE, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(memslots_set_flags(&th.slots, 1, MEMSLOT_DIRTY_LOG), 0);
		CHECK_EQ(memslots_set_flags(&th.slots, 2, MEMSLOT_DIRTY_LOG), 0);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0x200, 0x600), 0);
		CHECK_EQ(th_guest_access(v, 0x10002000, TDP_ACC_WRITE, NULL),
			 TDP_XLATE_PERM);
		CHECK_EQ(harvest(1), 0);
		CHECK_EQ(harvest(2), 0);
		CHECK_EQ(th_access(v, 0x201000, TDP_ACC_WRITE, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(0x201000), TDP_LEVEL_4K);
		CHECK_EQ(th_access(v, 0x10002000, TDP_ACC_WRITE, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(harvest(1), BIT_ULL(1));
		CHECK_EQ(harvest(2), BIT_ULL(2));
		/* Logging off: large leaves again for new faults. */
		CHECK_EQ(memslots_set_flags(&th.slots, 1, 0), 0);
		CHECK_EQ(th_access(v, 0x400000, TDP_ACC_READ, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(leaf_level(0x400000), TDP_LEVEL_2M);
		th_teardown();
	}
}

/*
 * Aging marks leaves not-present; the next access is fixed by the fast
 * path, read restores R/X only, a write restores W too.
 */
static void access_tracking(void)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tdp_walk w;
		struct th_vcpu *v;
		paddr_t hpa;
		uint64_t i;

		th_setup(formats[f], TDP_LEVEL_1G, 1);
		v = &th.vcpu[0];
		CHECK_EQ(memslots_create(&th.slots, 1, 0x300, 8,
					 th_guest_page(64), 0), 0);
		for (i = 0; i < 8; i++)
			CHECK_EQ(th_access(v, (0x300 + i) << PAGE_SHIFT,
						 TDP_ACC_WRITE, NULL),
				 TDP_FAULT_FIXED);
		CHECK_EQ(tdp_mmu_age_range(&th.mmu, 0x300, 0x306), 6);
		CHECK_EQ(tdp_mmu_age_range(&th.mmu, 0x300, 0x306), 0);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, 0x300, 0x308), 8);
		CHECK_EQ(tdp_mmu_walk(&th.mmu, 0x302000, TDP_ACC_READ, &w),
			 TDP_XLATE_NOT_PRESENT);
		CHECK_EQ(w.level, TDP_LEVEL_4K);
		CHECK(spte_is_access_tracked(formats[f], w.sptes[1]));
		CHECK(spte_is_dirty(formats[f], w.sptes[1]));

		CHECK_EQ(th_access(v, 0x302010, TDP_ACC_READ, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(66) + 0x10);
		CHECK_EQ(stats().faults_fast_fixed, 1);
		CHECK_EQ(th_guest_access(v, 0x302010, TDP_ACC_WRITE, NULL),
			 TDP_XLATE_PERM);
		CHECK_EQ(th_access(v, 0x302010, TDP_ACC_WRITE, NULL),
			 TDP_FAULT_FIXED);
		CHECK_EQ(stats().faults_fast_fixed, 2);
		CHECK_EQ(th_access(v, 0x303000, TDP_ACC_WRITE | TDP_ACC_READ,
					 &hpa), TDP_FAULT_FIXED);
		CHECK_EQ(stats().faults_fast_fixed, 3);
		CHECK_EQ(th_access(v, 0x304000, TDP_ACC_EXEC, &hpa),
			 TDP_FAULT_FIXED);
		CHECK_EQ(hpa, th_guest_page(68));
		CHECK_EQ(stats().faults_fixed, 8);
		CHECK_EQ(stats().sptes_aged, 6);
		th_teardown();
	}
}

int main(void)
{
	th_boot();
	RUN(maps_4k_pages);
	RUN(no_slot);
	RUN(readonly_slot);
	RUN(maps_2m_where_aligned);
	RUN(maps_1g_where_aligned);
	RUN(dirty_logging);
	RUN(access_tracking);
	return check_done();
}
