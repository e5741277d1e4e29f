/*
 * TDP MMU: zapping, invalidation around memslot updates, reclaim of
 * page-table pages, teardown.
 *
 * Where it runs: thread context, no spinlock held but memslots'
 * slots_lock (the memslots_ops hooks run under it), in no read section of
 * the memslots srcu domain. Takes mmu_lock for write; calls the remote
 * TLB flush hook and srcu_synchronize() after dropping it.
 *
 * Zap (mmu_lock for write, so no fault, write-protect or aging runs; the
 * fast path and the hardware still may touch leaves):
 *  - a leaf that covers a gfn of the range is taken out with xchg, whose
 *    result carries the last A/D bits (docs/races.md, "Lost dirty bit");
 *  - a table wholly inside the range is detached from its parent with
 *    xchg, then every leaf under it is taken out with xchg too: a fast
 *    path that walked into the subtree before the detach may still hold
 *    a pointer into it, and its cmpxchg must fail. The table entries of
 *    the detached subtree are left as they are, to be walked by the free;
 *  - a table partly inside the range is zapped recursively and detached
 *    as well if that left it empty (all entries 0: nothing else can fill
 *    it, faults being excluded and the fast path never writing an empty
 *    entry).
 *
 * Reclaim: a detached table is freed only after (a) the remote TLB flush
 * hook returned, so no vCPU's paging-structure cache still references it,
 * and (b) srcu_synchronize() on the memslots domain, so no lockless walker
 * (the fast path, which walks in a read section) still reads it. Detached
 * subtrees are remembered by their top table in a bounded on-stack batch;
 * when it fills, the zap stops where it is, drops mmu_lock, flushes,
 * synchronises, frees, and goes on from there. An invalidation keeps its
 * in-progress count raised across such a break, so no fault maps the part
 * already zapped; a bare tdp_mmu_zap_range() promises only that what was
 * mapped on entry is gone on return.
 */
#include "mm/tdp_mmu.h"
#include "core/lib/log.h"
#include "mm/frame.h"

/* Detached subtrees remembered before the zap stops to free them. */
#define TDP_RECLAIM_BATCH 64
/* The level is stored in the low bits of a table's address. */
#define TDP_RECLAIM_LEVEL_MASK 0x7ull
_Static_assert(TDP_MAX_LEVELS <= TDP_RECLAIM_LEVEL_MASK &&
	       TDP_RECLAIM_LEVEL_MASK < PAGE_SIZE,
	       "a table level fits below the page offset");

struct tdp_reclaim {
	unsigned int nr;
	bool flush;		/* something was zapped: flush TLBs */
	bool stopped;		/* the batch filled up at resume */
	gfn_t resume;
	/* Tops of detached subtrees: table address | level of its entries. */
	uint64_t tables[TDP_RECLAIM_BATCH];
};

static bool tdp_table_is_empty(const uint64_t *pt)
{
	unsigned int i;

	for (i = 0; i < SPTE_ENTRIES; i++) {
		if (spte_read(&pt[i]))
			return false;
	}
	return true;
}

/*
 * Takes every leaf out of a subtree already detached from the tree (pt's
 * entries are of @level). mmu_lock held for write: no table entry of the
 * subtree changes; leaves may, through fast-path cmpxchgs until ours.
 */
static void tdp_mmu_zap_detached(struct tdp_mmu *mmu, uint64_t *pt, int level)
{
	unsigned int i;

	for (i = 0; i < SPTE_ENTRIES; i++) {
		uint64_t spte = spte_read(&pt[i]);

		if (!spte_is_shadow_present(spte))
			continue;
		if (spte_is_leaf(mmu->fmt, spte, level))
			tdp_mmu_account_zapped_leaf(mmu, spte_xchg(&pt[i], 0));
		else
			tdp_mmu_zap_detached(mmu, phys_to_virt(spte_table_pa(spte)),
					     level - 1);
	}
}

/* Detaches the table entry *sptep (of @level) and queues its subtree. */
static void tdp_mmu_detach_table(struct tdp_mmu *mmu, uint64_t *sptep,
				 int level, struct tdp_reclaim *rc)
{
	uint64_t old = spte_xchg(sptep, 0);
	paddr_t pa = spte_table_pa(old);

	tdp_mmu_zap_detached(mmu, phys_to_virt(pa), level - 1);
	rc->tables[rc->nr++] = pa | (uint64_t)(level - 1);
	rc->flush = true;
}

/* Records where the zap stopped for want of batch space. */
static void tdp_reclaim_stop(struct tdp_reclaim *rc, gfn_t gfn, gfn_t start)
{
	rc->stopped = true;
	rc->resume = MAX(gfn, start);
}

/*
 * Zaps [start, end) within the table pt, whose entries are of @level and
 * whose first entry covers gfn @base. Stops early (rc->stopped) when the
 * batch is full; what was zapped stays zapped.
 */
static void tdp_mmu_zap_table(struct tdp_mmu *mmu, uint64_t *pt, int level,
			      gfn_t base, gfn_t start, gfn_t end,
			      struct tdp_reclaim *rc)
{
	const uint64_t pages = TDP_LEVEL_PAGES(level);
	gfn_t span_end = base + pages * SPTE_ENTRIES;
	unsigned int i, first, last;

	percpu_rwlock_assert_held_write(&mmu->mmu_lock);
	first = (unsigned int)((MAX(start, base) - base) / pages);
	last = (unsigned int)((MIN(end, span_end) - 1 - base) / pages);

	for (i = first; i <= last; i++) {
		gfn_t gfn = base + i * pages;
		uint64_t spte = spte_read(&pt[i]);
		uint64_t *child;

		if (!spte)
			continue;
		ASSERT(spte_is_shadow_present(spte));
		if (spte_is_leaf(mmu->fmt, spte, level)) {
			tdp_mmu_account_zapped_leaf(mmu, spte_xchg(&pt[i], 0));
			rc->flush = true;
			continue;
		}
		if (rc->nr == TDP_RECLAIM_BATCH) {
			tdp_reclaim_stop(rc, gfn, start);
			return;
		}
		if (start <= gfn && gfn + pages <= end) {
			tdp_mmu_detach_table(mmu, &pt[i], level, rc);
			continue;
		}
		child = phys_to_virt(spte_table_pa(spte));
		tdp_mmu_zap_table(mmu, child, level - 1, gfn, start, end, rc);
		if (rc->stopped)
			return;
		if (!tdp_table_is_empty(child))
			continue;
		if (rc->nr == TDP_RECLAIM_BATCH) {
			/* Resume here: the child is found empty again. */
			tdp_reclaim_stop(rc, gfn, start);
			return;
		}
		tdp_mmu_detach_table(mmu, &pt[i], level, rc);
	}
}

/* Frees a detached subtree; returns the number of tables freed. */
static uint64_t tdp_mmu_free_subtree(struct tdp_mmu *mmu, paddr_t pa,
				     int level)
{
	uint64_t *pt = phys_to_virt(pa);
	uint64_t freed = 1;
	unsigned int i;

	for (i = 0; level > TDP_LEVEL_4K && i < SPTE_ENTRIES; i++) {
		uint64_t spte = spte_read(&pt[i]);

		if (spte_is_shadow_present(spte) &&
		    !spte_is_leaf(mmu->fmt, spte, level))
			freed += tdp_mmu_free_subtree(mmu, spte_table_pa(spte),
						      level - 1);
	}
	frame_free(pa);
	return freed;
}

/*
 * Frees the batch once neither a vCPU nor a lockless walker can reach it.
 * The caller flushed remote TLBs after detaching. No lock held.
 */
static void tdp_mmu_reclaim(struct tdp_mmu *mmu, struct tdp_reclaim *rc)
{
	uint64_t freed = 0;
	unsigned int i;

	if (!rc->nr)
		return;
	/*
	 * Every read section that began before the detach has ended: no
	 * fast path still walks the subtree (one that starts now cannot find
	 * it). The acquire in srcu_synchronize() orders the walkers' loads
	 * before our frees.
	 */
	srcu_synchronize(&mmu->slots->srcu);
	for (i = 0; i < rc->nr; i++)
		freed += tdp_mmu_free_subtree(mmu,
					      rc->tables[i] & PAGE_MASK,
					      (int)(rc->tables[i] &
						    TDP_RECLAIM_LEVEL_MASK));
	tdp_mmu_stat_add(mmu, pages_freed, freed);
	rc->nr = 0;
}

/*
 * Raises the invalidation state, mmu_lock held for write. The count goes
 * up first, then the sequence with a release store: pairs with the
 * fault's smp_load_acquire() of invalidate_seq. Faults check both under
 * mmu_lock, so the order matters only for that lockless sample.
 */
static void tdp_mmu_invalidate_raise(struct tdp_mmu *mmu)
{
	percpu_rwlock_assert_held_write(&mmu->mmu_lock);
	WRITE_ONCE(mmu->invalidate_in_progress,
		   READ_ONCE(mmu->invalidate_in_progress) + 1);
	smp_store_release(&mmu->invalidate_seq,
			  READ_ONCE(mmu->invalidate_seq) + 1);
}

/*
 * Zaps [start, end), raising the invalidation state first if @invalidate,
 * in the same write-locked section; then flushes and reclaims, in as many
 * rounds as the reclaim batch needs.
 */
static void tdp_mmu_zap(struct tdp_mmu *mmu, gfn_t start, gfn_t end,
			bool invalidate)
{
	struct tdp_reclaim rc;

	end = MIN(end, tdp_mmu_gfn_limit(mmu));
	tdp_mmu_stat_add(mmu, zaps, 1);
	for (;;) {
		rc.nr = 0;
		rc.flush = false;
		rc.stopped = false;

		percpu_write_lock(&mmu->mmu_lock);
		if (invalidate) {
			tdp_mmu_invalidate_raise(mmu);
			invalidate = false;
		}
		if (start < end)
			tdp_mmu_zap_table(mmu, mmu->root, mmu->levels, 0,
					  start, end, &rc);
		percpu_write_unlock(&mmu->mmu_lock);

		if (rc.flush)
			tdp_mmu_flush_remote_tlbs(mmu);
		tdp_mmu_reclaim(mmu, &rc);
		if (!rc.stopped)
			break;
		start = rc.resume;
	}
}

void tdp_mmu_zap_range(struct tdp_mmu *mmu, gfn_t start, gfn_t end)
{
	tdp_mmu_zap(mmu, start, end, false);
}

void tdp_mmu_invalidate_begin(struct tdp_mmu *mmu, gfn_t start, gfn_t end)
{
	tdp_mmu_zap(mmu, start, end, true);
}

void tdp_mmu_invalidate_end(struct tdp_mmu *mmu, gfn_t start, gfn_t end)
{
	percpu_write_lock(&mmu->mmu_lock);
	ASSERT(READ_ONCE(mmu->invalidate_in_progress) != 0);
	/*
	 * Sequence first, then the count: a fault that sampled the sequence
	 * while the count was raised sees it moved. Release: pairs with the
	 * fault's smp_load_acquire(), which then also sees the memslot set
	 * our caller published before calling us.
	 */
	smp_store_release(&mmu->invalidate_seq,
			  READ_ONCE(mmu->invalidate_seq) + 1);
	WRITE_ONCE(mmu->invalidate_in_progress,
		   READ_ONCE(mmu->invalidate_in_progress) - 1);
	percpu_write_unlock(&mmu->mmu_lock);
}

void tdp_mmu_destroy(struct tdp_mmu *mmu)
{
	tdp_mmu_zap(mmu, 0, tdp_mmu_gfn_limit(mmu), false);
	/* Every root entry was wholly inside the range: all detached. */
	ASSERT(tdp_table_is_empty(mmu->root));
	ASSERT(!READ_ONCE(mmu->invalidate_in_progress));
	frame_free(mmu->root_pa);
	tdp_mmu_stat_add(mmu, pages_freed, 1);
	mmu->root = NULL;
	mmu->root_pa = 0;
}

/* ------------------------------------------------------------------------
 * memslots hooks (core/memslots.h), ctx = the struct tdp_mmu. Called
 * under slots_lock; the order against the publish is memslots_commit()'s.
 */

static void tdp_mmu_ops_invalidate_begin(void *ctx, gfn_t gfn, uint64_t n)
{
	tdp_mmu_invalidate_begin(ctx, gfn, gfn + n);
}

static void tdp_mmu_ops_invalidate_end(void *ctx, gfn_t gfn, uint64_t n)
{
	tdp_mmu_invalidate_end(ctx, gfn, gfn + n);
}

static void tdp_mmu_ops_write_protect(void *ctx, gfn_t gfn, uint64_t n)
{
	tdp_mmu_write_protect_range(ctx, gfn, n);
}

static void tdp_mmu_ops_flush_tlbs(void *ctx)
{
	tdp_mmu_flush_remote_tlbs(ctx);
}

const struct memslots_ops tdp_mmu_memslots_ops = {
	.invalidate_begin = tdp_mmu_ops_invalidate_begin,
	.invalidate_end = tdp_mmu_ops_invalidate_end,
	.write_protect = tdp_mmu_ops_write_protect,
	.flush_tlbs = tdp_mmu_ops_flush_tlbs,
};
