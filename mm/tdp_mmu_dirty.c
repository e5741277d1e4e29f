/*
 * TDP MMU: sweeps that change leaf permissions in place, under mmu_lock
 * for read: write-protection for dirty logging, and access tracking.
 *
 * Where it runs: thread context, no spinlock held but memslots'
 * slots_lock (write_protect is a memslots_ops hook), in no read section of
 * the memslots srcu domain; the remote TLB flush hook is called after
 * mmu_lock is dropped.
 *
 * Why mmu_lock for read is enough: faults install and replace leaves only
 * with cmpxchg, and so do these sweeps; tables are only taken out under
 * the write lock, so the walk cannot meet a freed one. A sweep that loses
 * a cmpxchg to a fault, a fast-path fixer or the hardware re-reads the
 * leaf and decides again. Large leaves are zapped here, never split: a
 * zap of a leaf frees no table.
 *
 * Dirty logging, and why no write is missed (docs/tdp-mmu.md):
 *  - A leaf gets W only together with a mark of its gfn in the slot's
 *    bitmap, made after the W is in place: by the map (write fault on a
 *    logging slot) or by the fast path (W added to a leaf with both
 *    software write bits). A read fault on a logging slot maps read-only.
 *  - Write-protection clears W with cmpxchg. The next write faults; the
 *    fast path adds W back with a cmpxchg against the write-protected
 *    value and marks the gfn after it; a fixer that read the leaf while
 *    it was still writable found nothing to fix (spurious), and one whose
 *    cmpxchg raced with ours re-reads and decides again.
 *  - The harvest (memslots_get_dirty_log) exchanges the bitmap words
 *    first and write-protects what it took; a mark that lands after the
 *    exchange stays for the next harvest, and the leaf it belongs to was
 *    made writable before the mark, so it is write-protected by the harvest
 *    that takes the mark, after it took it. The harvest flushes remote
 *    TLBs before it returns whenever it took a bit, even if its own
 *    write-protect cleared nothing: an ager or a zap may have cleared W
 *    first and not flushed yet (docs/races.md).
 *  - Turning logging on: the hook runs after the set with
 *    MEMSLOT_DIRTY_LOG is published and the old set's readers are gone.
 *    A fault holds its read section from the memslot lookup until its
 *    leaf is installed, so every leaf made from the old set (writable, no
 *    mark, maybe 2 MiB) is in the tree when the sweep runs.
 */
#include "mm/tdp_mmu.h"
#include "core/lib/log.h"
#include "mm/tdp_iter.h"

/*
 * Zaps the large leaf at the iterator with cmpxchg (mmu_lock for read).
 * Returns true if this call took it out.
 */
static bool tdp_mmu_zap_leaf_atomic(struct tdp_mmu *mmu, struct tdp_iter *it)
{
	uint64_t old = it->old_spte;

	percpu_rwlock_assert_held_read(&mmu->mmu_lock);
	while (spte_is_shadow_present(old) &&
	       spte_is_leaf(mmu->fmt, old, it->level)) {
		if (spte_try_cmpxchg(it->sptep, &old, 0)) {
			tdp_mmu_account_zapped_leaf(mmu, old);
			it->old_spte = 0;
			return true;
		}
	}
	it->old_spte = old;
	return false;
}

/*
 * Clears W of the 4 KiB leaf at the iterator, and only W: the software
 * write bits stay, so the next write is fixed by the fast path, which
 * logs it (KVM's locking.rst: dirty logging is the fast path's
 * "Write-Protection" case). Returns true if it was writable, i.e. a TLB
 * may cache a writable translation of it.
 */
static bool tdp_mmu_write_protect_leaf(struct tdp_mmu *mmu,
				       struct tdp_iter *it)
{
	const uint64_t w = mmu->fmt->write_mask;
	uint64_t old = it->old_spte;

	do {
		if (!spte_is_shadow_present(old) || !(old & w))
			return false;
	} while (!spte_try_cmpxchg(it->sptep, &old, old & ~w));
	it->old_spte = old & ~w;
	tdp_mmu_stat_add(mmu, sptes_write_protected, 1);
	return true;
}

bool tdp_mmu_write_protect_range(struct tdp_mmu *mmu, gfn_t gfn, uint64_t n)
{
	const struct spte_format *fmt = mmu->fmt;
	struct tdp_iter it;
	unsigned int cookie;
	bool flush = false;

	cookie = percpu_read_lock(&mmu->mmu_lock);
	for_each_tdp_pte(it, fmt, mmu->root, mmu->levels, TDP_LEVEL_4K,
			 gfn, gfn + n) {
		if (!spte_is_shadow_present(it.old_spte) ||
		    !spte_is_leaf(fmt, it.old_spte, it.level))
			continue;
		if (it.level > TDP_LEVEL_4K)
			flush |= tdp_mmu_zap_leaf_atomic(mmu, &it);
		else
			flush |= tdp_mmu_write_protect_leaf(mmu, &it);
	}
	percpu_read_unlock(&mmu->mmu_lock, cookie);

	/*
	 * No flush here: until the caller's flush, vCPUs may still write
	 * through translations they cached, this call's and those whose W
	 * an ager or a zap cleared before us without its flush yet. The
	 * caller (memslots, through the flush_tlbs hook) flushes once per
	 * harvest that took a bit, before the harvest returns (KVM's
	 * locking.rst, "flush tlbs due to spte updated").
	 */
	return flush;
}

/*
 * Marks the present leaf at the iterator for access tracking. Returns
 * true if this call marked it (false: someone made it not present first).
 */
static bool tdp_mmu_age_leaf(struct tdp_mmu *mmu, struct tdp_iter *it)
{
	const struct spte_format *fmt = mmu->fmt;
	uint64_t old = it->old_spte, new;

	do {
		if (!spte_is_present(fmt, old) ||
		    !spte_is_leaf(fmt, old, it->level))
			return false;
		new = spte_mark_for_access_track(fmt, old);
	} while (!spte_try_cmpxchg(it->sptep, &old, new));
	it->old_spte = new;
	return true;
}

uint64_t tdp_mmu_age_range(struct tdp_mmu *mmu, gfn_t start, gfn_t end)
{
	const struct spte_format *fmt = mmu->fmt;
	struct tdp_iter it;
	unsigned int cookie;
	uint64_t young = 0;

	cookie = percpu_read_lock(&mmu->mmu_lock);
	for_each_tdp_pte(it, fmt, mmu->root, mmu->levels, TDP_LEVEL_4K,
			 start, end) {
		if (spte_is_present(fmt, it.old_spte) &&
		    spte_is_leaf(fmt, it.old_spte, it.level))
			young += tdp_mmu_age_leaf(mmu, &it);
	}
	percpu_read_unlock(&mmu->mmu_lock, cookie);

	if (young) {
		tdp_mmu_stat_add(mmu, sptes_aged, young);
		/* A cached translation would let accesses go unseen. */
		tdp_mmu_flush_remote_tlbs(mmu);
	}
	return young;
}
