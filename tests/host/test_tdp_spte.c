/*
 * Hosted test of the SPTE encodings (mm/spte.h), the walker
 * (mm/tdp_iter.h) and the software walk's hardware rules
 * (tdp_mmu_walk()), on hand-built trees.
 *
 * Scenario: leaves and tables of both formats are built with the helpers
 * and compared bit for bit with the architectural layout; access tracking
 * marks and restores; the iterator visits a known tree in pre-order with
 * the right (level, gfn) at every step and honours min_level; and the
 * software walk treats hand-made entries as the hardware would: present
 * bits, permissions combined over the levels (EPT R/W/X ANDed, NPT US
 * required and NX ORed), large leaves, and the encodings that are an EPT
 * misconfiguration or an NPT reserved-bit fault.
 */
#include "tests/host/test_tdp_harness.h"

static uint64_t *new_table(paddr_t *pa)
{
	CHECK_EQ(frame_alloc_zeroed(pa), 0);
	return phys_to_virt(*pa);
}

static void leaf_and_table_layout(void)
{
	const uint64_t sw = SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
	uint64_t s;

	/* EPT 4 KiB RWX, WB, ignore PAT, accessed, dirty. */
	s = spte_make_leaf(&spte_format_ept, 0x123456000ull, TDP_LEVEL_4K,
			   TDP_ACC_ALL, sw, true);
	CHECK_EQ(s, 0x123456000ull | 0x7 | (6 << 3) | 0x40 | 0x100 | 0x200 |
		    SPTE_MMU_PRESENT | sw);
	/* EPT 2 MiB read+exec, not dirty. */
	s = spte_make_leaf(&spte_format_ept, 0x40200000ull, TDP_LEVEL_2M,
			   TDP_ACC_READ | TDP_ACC_EXEC, 0, false);
	CHECK_EQ(s, 0x40200000ull | 0x5 | (6 << 3) | 0x40 | 0x80 | 0x100 |
		    SPTE_MMU_PRESENT);
	CHECK(spte_is_leaf(&spte_format_ept, s, TDP_LEVEL_2M));
	CHECK_EQ(spte_perms(&spte_format_ept, s), TDP_ACC_READ | TDP_ACC_EXEC);
	CHECK_EQ(spte_leaf_pa(s, TDP_LEVEL_2M), 0x40200000ull);
	CHECK_EQ(spte_pfn(s, TDP_LEVEL_2M), 0x40200ull);
	/* EPT table. */
	s = spte_make_table(&spte_format_ept, 0x7000);
	CHECK_EQ(s, 0x7000 | 0x7 | 0x100 | SPTE_MMU_PRESENT);
	CHECK(!spte_is_leaf(&spte_format_ept, s, TDP_LEVEL_2M));
	CHECK(spte_is_leaf(&spte_format_ept, s, TDP_LEVEL_4K));

	/* NPT 4 KiB read/write, no exec: P RW US A D NX. */
	s = spte_make_leaf(&spte_format_npt, 0x123456000ull, TDP_LEVEL_4K,
			   TDP_ACC_READ | TDP_ACC_WRITE, sw, true);
	CHECK_EQ(s, 0x123456000ull | 0x1 | 0x2 | 0x4 | 0x20 | 0x40 |
		    (1ull << 63) | SPTE_MMU_PRESENT | sw);
	CHECK_EQ(spte_perms(&spte_format_npt, s),
		 TDP_ACC_READ | TDP_ACC_WRITE);
	/* NPT 1 GiB RX: PS, no NX; the PAT bit is not address. */
	s = spte_make_leaf(&spte_format_npt, GiB(3), TDP_LEVEL_1G,
			   TDP_ACC_READ | TDP_ACC_EXEC, 0, false);
	CHECK_EQ(s, GiB(3) | 0x1 | 0x4 | 0x20 | 0x80 | SPTE_MMU_PRESENT);
	CHECK_EQ(spte_leaf_pa(s | NPT_LARGE_PAT, TDP_LEVEL_1G), GiB(3));
	/* NPT table: P RW US A. */
	s = spte_make_table(&spte_format_npt, 0x9000);
	CHECK_EQ(s, 0x9000 | 0x1 | 0x2 | 0x4 | 0x20 | SPTE_MMU_PRESENT);

	/* Without US, NPT grants nothing. */
	CHECK_EQ(spte_perms(&spte_format_npt, s & ~NPT_US), 0);
	CHECK(!spte_is_present(&spte_format_npt, 0));
	CHECK(!spte_is_shadow_present(0));

	/* EPTP: WB, 4 levels, A/D. */
	CHECK_EQ(spte_ept_pointer(0x5000, 4, true), 0x5000 | 6 | (3 << 3) |
						       (1 << 6));
}

static void access_track_round_trip(void)
{
	const struct spte_format *fmts[] = { &spte_format_ept,
					     &spte_format_npt };
	const uint64_t sw = SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(fmts); f++) {
		const struct spte_format *fmt = fmts[f];
		uint64_t leaf, marked, restored;

		leaf = spte_make_leaf(fmt, 0x200000, TDP_LEVEL_2M, TDP_ACC_ALL,
				      sw, true);
		marked = spte_mark_for_access_track(fmt, leaf);
		CHECK(!spte_is_present(fmt, marked));
		CHECK(spte_is_shadow_present(marked));
		CHECK(spte_is_access_tracked(fmt, marked));
		CHECK(spte_is_leaf(fmt, marked, TDP_LEVEL_2M));
		CHECK(spte_is_dirty(fmt, marked));
		CHECK(!spte_is_accessed(fmt, marked));
		CHECK_EQ(spte_perms(fmt, marked), 0);
		CHECK_EQ(spte_leaf_pa(marked, TDP_LEVEL_2M), 0x200000);
		CHECK(spte_can_fast_write(marked));
		restored = spte_restore_access_track(fmt, marked);
		CHECK_EQ(restored, leaf & ~fmt->write_mask);
		CHECK_EQ(spte_perms(fmt, restored), TDP_ACC_READ | TDP_ACC_EXEC);

		/* A read-only, no-exec leaf comes back the same way. */
		leaf = spte_make_leaf(fmt, 0x5000, TDP_LEVEL_4K, TDP_ACC_READ,
				      0, false);
		marked = spte_mark_for_access_track(fmt, leaf);
		CHECK(!spte_can_fast_write(marked));
		CHECK_EQ(spte_restore_access_track(fmt, marked), leaf);

		/* One software bit alone does not allow a fast write. */
		CHECK(!spte_can_fast_write(leaf | SPTE_HOST_WRITABLE));
		CHECK(!spte_can_fast_write(leaf | SPTE_MMU_WRITABLE));
	}
}

/*
 * Tree: PML4[0] -> PDPT[0] -> PD, PD[1] = 2 MiB leaf (gfn 0x200), PD[2] ->
 * PT with leaves at gfn 0x400 and 0x5ff.
 */
struct tree {
	paddr_t pml4_pa, pdpt_pa, pd_pa, pt_pa;
	uint64_t *pml4, *pdpt, *pd, *pt;
};

static void tree_build(struct tree *t, const struct spte_format *fmt)
{
	t->pml4 = new_table(&t->pml4_pa);
	t->pdpt = new_table(&t->pdpt_pa);
	t->pd = new_table(&t->pd_pa);
	t->pt = new_table(&t->pt_pa);
	t->pml4[0] = spte_make_table(fmt, t->pdpt_pa);
	t->pdpt[0] = spte_make_table(fmt, t->pd_pa);
	t->pd[1] = spte_make_leaf(fmt, th_guest_page(0), TDP_LEVEL_2M,
				  TDP_ACC_ALL, 0, false);
	t->pd[2] = spte_make_table(fmt, t->pt_pa);
	t->pt[0] = spte_make_leaf(fmt, th_guest_page(600), TDP_LEVEL_4K,
				  TDP_ACC_READ | TDP_ACC_WRITE, 0, false);
	t->pt[511] = spte_make_leaf(fmt, th_guest_page(601), TDP_LEVEL_4K,
				    TDP_ACC_READ | TDP_ACC_EXEC, 0, false);
}

static void tree_free(struct tree *t)
{
	frame_free(t->pml4_pa);
	frame_free(t->pdpt_pa);
	frame_free(t->pd_pa);
	frame_free(t->pt_pa);
}

static void iterator_order(void)
{
	const struct spte_format *fmt = &spte_format_ept;
	unsigned int seen = 0, leaves = 0, at_4k = 0;
	struct tdp_iter it;
	struct tree t;

	CHECK_EQ(frame_init(th_ram_map, ARRAY_SIZE(th_ram_map), NULL, 0), 0);
	tree_build(&t, fmt);

	/* Pre-order over [0x300, 0x600): straddling leaf first. */
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_4K, 0x300, 0x600) {
		switch (seen) {
		case 0:
			CHECK(it.level == 4 && it.gfn == 0 &&
			      it.sptep == &t.pml4[0]);
			break;
		case 1:
			CHECK(it.level == 3 && it.gfn == 0 &&
			      it.sptep == &t.pdpt[0]);
			break;
		case 2:
			CHECK(it.level == 2 && it.gfn == 0x200 &&
			      it.sptep == &t.pd[1]);
			break;
		case 3:
			CHECK(it.level == 2 && it.gfn == 0x400 &&
			      it.sptep == &t.pd[2]);
			break;
		default:
			CHECK(it.level == 1 && it.gfn == 0x400 + seen - 4 &&
			      it.sptep == &t.pt[seen - 4]);
			break;
		}
		CHECK_EQ(it.old_spte, *it.sptep);
		if (spte_is_shadow_present(it.old_spte) &&
		    spte_is_leaf(fmt, it.old_spte, it.level))
			leaves++;
		at_4k += it.level == 1;
		seen++;
	}
	CHECK_EQ(seen, 4 + 512);
	CHECK_EQ(at_4k, 512);
	CHECK_EQ(leaves, 3);

	/* min_level 2 does not enter the page table. */
	seen = 0;
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_2M, 0, 0x800)
		seen++;
	CHECK_EQ(seen, 2 + 4);

	/* A range inside one 4 KiB entry; an empty range; out of reach. */
	seen = 0;
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_4K, 0x5ff, 0x600) {
		if (it.level == 1)
			CHECK_EQ(it.sptep, &t.pt[511]);
		seen++;
	}
	CHECK_EQ(seen, 4);
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_4K, 0x10, 0x10)
		CHECK(0);
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_4K, 1ull << 36,
			 1ull << 37)
		CHECK(0);
	/* An empty top-level entry ends the walk at that level. */
	seen = 0;
	for_each_tdp_pte(it, fmt, t.pml4, 4, TDP_LEVEL_4K, 1ull << 27,
			 (1ull << 27) + 1) {
		CHECK_EQ(it.level, 4);
		seen++;
	}
	CHECK_EQ(seen, 1);
	tree_free(&t);
}

static int walk(const struct spte_format *fmt, struct tree *t, uint64_t gpa,
		unsigned int access, struct tdp_walk *w)
{
	struct tdp_mmu mmu = {
		.fmt = fmt,
		.levels = 4,
		.root = t->pml4,
		.root_pa = t->pml4_pa,
	};

	return tdp_mmu_walk(&mmu, gpa, access, w);
}

static void walk_as_hardware(void)
{
	const struct spte_format *fmts[] = { &spte_format_ept,
					     &spte_format_npt };
	unsigned int f;

	CHECK_EQ(frame_init(th_ram_map, ARRAY_SIZE(th_ram_map), NULL, 0), 0);
	for (f = 0; f < ARRAY_SIZE(fmts); f++) {
		const struct spte_format *fmt = fmts[f];
		uint64_t saved;
		struct tdp_walk w;
		struct tree t;

		tree_build(&t, fmt);
		/* The 2 MiB leaf, every access. */
		CHECK_EQ(walk(fmt, &t, 0x3fffff, TDP_ACC_ALL, &w), TDP_XLATE_OK);
		CHECK_EQ(w.hpa, th_guest_page(0) + 0x1fffff);
		CHECK_EQ(w.level, TDP_LEVEL_2M);
		CHECK_EQ(w.sptes[4], t.pml4[0]);
		CHECK_EQ(w.sptes[2], t.pd[1]);
		/* 4 KiB leaves and their permissions. */
		CHECK_EQ(walk(fmt, &t, 0x400008, TDP_ACC_WRITE, &w),
			 TDP_XLATE_OK);
		CHECK_EQ(w.hpa, th_guest_page(600) + 8);
		CHECK_EQ(walk(fmt, &t, 0x400008, TDP_ACC_EXEC, &w),
			 TDP_XLATE_PERM);
		CHECK_EQ(walk(fmt, &t, 0x5ff000, TDP_ACC_WRITE, &w),
			 TDP_XLATE_PERM);
		CHECK_EQ(walk(fmt, &t, 0x5ff000, TDP_ACC_EXEC, &w),
			 TDP_XLATE_OK);
		CHECK_EQ(walk(fmt, &t, 0x401000, TDP_ACC_READ, &w),
			 TDP_XLATE_NOT_PRESENT);
		CHECK_EQ(w.level, TDP_LEVEL_4K);
		CHECK_EQ(walk(fmt, &t, 0x600000, TDP_ACC_READ, &w),
			 TDP_XLATE_NOT_PRESENT);
		CHECK_EQ(w.level, TDP_LEVEL_2M);

		/* Permission removed at a table level applies below it. */
		saved = t.pd[2];
		t.pd[2] &= ~fmt->write_mask;
		CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_WRITE, &w),
			 TDP_XLATE_PERM);
		CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_READ, &w),
			 TDP_XLATE_OK);
		t.pd[2] = saved;
		if (fmt == &spte_format_npt) {
			/* NX on a table forbids fetches below it. */
			t.pdpt[0] |= NPT_NX;
			CHECK_EQ(walk(fmt, &t, 0x5ff000, TDP_ACC_EXEC, &w),
				 TDP_XLATE_PERM);
			t.pdpt[0] &= ~NPT_NX;
			/* A supervisor-only table: nested walks are user. */
			t.pd[2] &= ~NPT_US;
			CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_READ, &w),
				 TDP_XLATE_PERM);
			t.pd[2] = saved;
			/* PS in the PML4E is reserved. */
			t.pml4[0] |= NPT_PS;
			CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
			t.pml4[0] &= ~NPT_PS;
			/* The PAT bit of a large leaf is fine, bit 13 not. */
			t.pd[1] |= NPT_LARGE_PAT;
			CHECK_EQ(walk(fmt, &t, 0x200000, TDP_ACC_READ, &w),
				 TDP_XLATE_OK);
			CHECK_EQ(w.hpa, th_guest_page(0));
			t.pd[1] |= 1ull << 13;
			CHECK_EQ(walk(fmt, &t, 0x200000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
		} else {
			/* Execute-only leaf: fetches go, reads do not. */
			t.pt[0] = (t.pt[0] & ~EPT_RWX) | EPT_X;
			CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_EXEC, &w),
				 TDP_XLATE_OK);
			CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_READ, &w),
				 TDP_XLATE_PERM);
			/* Write without read is a misconfiguration. */
			t.pt[0] = (t.pt[0] & ~EPT_RWX) | EPT_W;
			CHECK_EQ(walk(fmt, &t, 0x400000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
			/* Reserved memory type 2 in a leaf. */
			t.pt[511] = (t.pt[511] & ~EPT_MEMTYPE_MASK) |
				    (2ull << EPT_MEMTYPE_SHIFT);
			CHECK_EQ(walk(fmt, &t, 0x5ff000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
			/* Large bit in the PML4E; memory type in a table. */
			t.pml4[0] |= EPT_LARGE;
			CHECK_EQ(walk(fmt, &t, 0x200000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
			t.pml4[0] &= ~EPT_LARGE;
			t.pdpt[0] |= 6ull << EPT_MEMTYPE_SHIFT;
			CHECK_EQ(walk(fmt, &t, 0x200000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
			t.pdpt[0] &= ~EPT_MEMTYPE_MASK;
			/* Address bits below a 2 MiB page are reserved. */
			t.pd[1] |= 1ull << 12;
			CHECK_EQ(walk(fmt, &t, 0x200000, TDP_ACC_READ, &w),
				 TDP_XLATE_MISCONFIG);
		}
		/* Software bits alone do not make an entry present. */
		t.pd[3] = SPTE_SW_MASK;
		CHECK_EQ(walk(fmt, &t, 0x600000, TDP_ACC_READ, &w),
			 TDP_XLATE_NOT_PRESENT);
		tree_free(&t);
	}
}

int main(void)
{
	th_boot();
	RUN(leaf_and_table_layout);
	RUN(access_track_round_trip);
	RUN(iterator_order);
	RUN(walk_as_hardware);
	return check_done();
}
