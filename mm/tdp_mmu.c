/*
 * TDP MMU: set-up, the fault path (lockless fast path, then the map under
 * mmu_lock for read) and the software walker.
 *
 * Where it runs: see mm/tdp_mmu.h. Zaps, invalidation and reclaim are in
 * mm/tdp_mmu_zap.c; write-protection and aging in mm/tdp_mmu_dirty.c.
 *
 * The fault, in order (docs/tdp-mmu.md, "Fault"):
 *
 *   srcu_read_lock(r)
 *   1. fast path: lockless walk; fix a write-protected or access-tracked
 *      leaf with one cmpxchg, or fall through
 *   2. seq = invalidate_seq (acquire)
 *   3. resolve gfn -> slot, host address, writable, largest leaf level
 *   4. mmu_lock (read); invalidation in progress or seq moved: RETRY
 *   5. walk from the root: tables installed with cmpxchg, leaf cmpxchg'd
 *      from the value read; unlock
 *   6. a writable leaf installed for a write on a logging slot: mark the
 *      gfn dirty (after the leaf is in place, memslot_mark_dirty()'s rule)
 *   srcu_read_unlock(r)
 *
 * Step 4 is what makes a stale step 3 harmless: an invalidation bumps
 * invalidate_seq and raises invalidate_in_progress under mmu_lock for
 * write before it zaps, and lowers it only after the new memslot set is
 * published and the old one's readers are gone. The read section around
 * the whole fault is not needed for that (the zap runs before the publish,
 * so a section does not stop a stale install by itself); it is there so
 * that the slot found in step 3 stays valid for step 6, so that the fast
 * path's walk cannot reach a freed table, and so that memslots'
 * srcu_synchronize() waits for a fault that resolved under an old set
 * before dirty logging write-protects the slot.
 */
#include "mm/tdp_mmu.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "mm/frame.h"
#include "mm/tdp_iter.h"

const struct spte_format spte_format_ept = {
	.name = "EPT",
	.kind = SPTE_KIND_EPT,
	.present_mask = EPT_RWX,
	.read_mask = EPT_R,
	.write_mask = EPT_W,
	.exec_mask = EPT_X,
	.nx_mask = 0,
	.user_mask = 0,
	.accessed_mask = EPT_ACCESSED,
	.dirty_mask = EPT_DIRTY,
	.large_mask = EPT_LARGE,
	/* Accessed preset: the CPU need not write the table entry. */
	.table_bits = EPT_RWX | EPT_ACCESSED,
	/* Write-back, guest PAT ignored: guest RAM is ordinary memory. */
	.leaf_bits = (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT) | EPT_IGNORE_PAT,
};

const struct spte_format spte_format_npt = {
	.name = "NPT",
	.kind = SPTE_KIND_NPT,
	.present_mask = NPT_P,
	.read_mask = NPT_P,
	.write_mask = NPT_RW,
	.exec_mask = 0,
	.nx_mask = NPT_NX,
	.user_mask = NPT_US,
	.accessed_mask = NPT_A,
	.dirty_mask = NPT_D,
	.large_mask = NPT_PS,
	.table_bits = NPT_P | NPT_RW | NPT_US | NPT_A,
	/* PWT = PCD = PAT = 0: write-back, combined with the guest's PAT. */
	.leaf_bits = NPT_US,
};

/* Lost cmpxchgs one fault tolerates before it gives up with RETRY. */
#define TDP_MAP_RACE_LIMIT  8
#define TDP_FAST_RACE_LIMIT 4

/* What one fault attempt came to, before it is reported and counted. */
enum tdp_outcome {
	TDP_OUT_INSTALLED,	/* the map installed or replaced a leaf */
	TDP_OUT_FAST_FIXED,	/* the fast path's cmpxchg fixed the leaf */
	TDP_OUT_SPURIOUS,	/* the leaf already granted the access */
	TDP_OUT_MISS,		/* the fast path cannot help: go on */
	TDP_OUT_RESOLVED,	/* step 3 found a slot: go on and map */
	TDP_OUT_RETRY,
	TDP_OUT_NO_SLOT,
	TDP_OUT_READONLY,
	TDP_OUT_ENOMEM,
};

/* One fault: its input, what step 3 resolved, what is left to do. */
struct tdp_fault {
	gfn_t gfn;
	unsigned int access;		/* TDP_ACC_* */

	const struct memslot *slot;	/* valid in the fault's read section */
	paddr_t hpa;			/* host address of gfn */
	int max_level;			/* largest leaf the slot allows here */
	bool host_writable;		/* !MEMSLOT_READONLY */
	bool logging;			/* MEMSLOT_DIRTY_LOG */

	bool flush;			/* a leaf was zapped: flush TLBs */
};

/* ------------------------------------------------------------------------
 * Helpers shared with tdp_mmu_zap.c and tdp_mmu_dirty.c.
 */

void tdp_mmu_flush_remote_tlbs(struct tdp_mmu *mmu)
{
	tdp_mmu_stat_add(mmu, tlb_flushes, 1);
	if (mmu->flush_remote_tlbs)
		mmu->flush_remote_tlbs(mmu->flush_ctx);
}

void tdp_mmu_account_zapped_leaf(struct tdp_mmu *mmu, uint64_t old)
{
	/*
	 * old came from the xchg (or cmpxchg) that took the leaf out, so its
	 * D bit is the last one the hardware or the fast path set: the lost
	 * dirty bit (docs/races.md) cannot happen. Guest memory is never
	 * paged out, so nothing needs a write-back; the dirty log was fed
	 * when W was granted. The count is for the monitor.
	 */
	tdp_mmu_stat_add(mmu, sptes_zapped, 1);
	if (spte_is_dirty(mmu->fmt, old))
		tdp_mmu_stat_add(mmu, sptes_zapped_dirty, 1);
}

void tdp_mmu_stats_read(const struct tdp_mmu *mmu, struct tdp_mmu_stats *out)
{
	const size_t n = sizeof(*out) / sizeof(uint64_t);
	uint64_t *dst = (uint64_t *)out;
	unsigned int cpu;
	size_t i;

	_Static_assert(sizeof(struct tdp_mmu_stats) % sizeof(uint64_t) == 0,
		       "tdp_mmu_stats holds only uint64_t counters");
	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < TDP_MMU_STAT_SLOTS; cpu++) {
		const uint64_t *src = (const uint64_t *)&mmu->stats[cpu].s;

		for (i = 0; i < n; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

/* ------------------------------------------------------------------------
 * Set-up and teardown.
 */

int tdp_mmu_init(struct tdp_mmu *mmu, const struct tdp_mmu_params *p)
{
	paddr_t root_pa;
	int err;

	if (!p->fmt || !p->slots || p->levels < TDP_LEVEL_512G ||
	    p->levels > TDP_MAX_LEVELS || p->max_leaf_level < TDP_LEVEL_4K ||
	    p->max_leaf_level > TDP_LEVEL_1G)
		return -EINVAL;
	err = frame_alloc_zeroed(&root_pa);
	if (err)
		return err;

	memset(mmu, 0, sizeof(*mmu));
	mmu->fmt = p->fmt;
	mmu->levels = p->levels;
	mmu->max_leaf_level = p->max_leaf_level;
	mmu->root_pa = root_pa;
	mmu->root = phys_to_virt(root_pa);
	mmu->slots = p->slots;
	mmu->flush_remote_tlbs = p->flush_remote_tlbs;
	mmu->flush_ctx = p->flush_ctx;
	percpu_rwlock_init(&mmu->mmu_lock);
	tdp_mmu_stat_add(mmu, pages_allocated, 1);
	return 0;
}

/* ------------------------------------------------------------------------
 * Fast path.
 */

/*
 * The leaf the fast path would install instead of @spte for @access, or
 * 0 if it cannot fix the fault on its own (the slow path decides then).
 */
static uint64_t tdp_fast_fixed_spte(const struct spte_format *fmt,
				    uint64_t spte, unsigned int access)
{
	uint64_t new = spte;

	if (spte_is_access_tracked(fmt, new))
		new = spte_restore_access_track(fmt, new);
	if ((access & TDP_ACC_WRITE) && !spte_is_writable(fmt, new)) {
		if (!spte_can_fast_write(new))
			return 0;
		new |= fmt->write_mask | fmt->dirty_mask;
	}
	if (new == spte || !spte_permits(fmt, new, access))
		return 0;
	return new;
}

/*
 * Fixes a write-protected or access-tracked leaf without mmu_lock (KVM's
 * fast_page_fault, Linux's Documentation/virt/kvm/locking.rst). Runs in
 * the fault's read section, which keeps every table the walk reaches
 * allocated: a zap that detaches one frees it only after
 * srcu_synchronize().
 *
 * Races it closes:
 *  - The leaf changes between the read and the cmpxchg (a zap, a
 *    write-protect, another fixer, the hardware setting A/D): the cmpxchg
 *    compares the whole entry and fails; we re-read and decide again.
 *  - ABA on the frame (docs/races.md, "Fast path ABA on the frame"): the
 *    leaf is zapped and re-installed with another frame between our read
 *    and our cmpxchg. The cmpxchg fails, its value differs. If the same
 *    value came back, it maps the same frame for the same gfn, and adding
 *    W is right for it. Either way the gfn we log is right: this is a
 *    direct tree, so the gfn of an entry is fixed by its position, not by
 *    its frame.
 *  - The slot to log the gfn in: see the comment at the mark below.
 */
static enum tdp_outcome tdp_mmu_fast_page_fault(struct tdp_mmu *mmu,
						const struct memslot_set *entry_set,
						const struct tdp_fault *f)
{
	const struct spte_format *fmt = mmu->fmt;
	uint64_t *sptep = NULL, spte = 0, new;
	struct tdp_iter it;
	int level = 0, tries;

	/* The last entry the walk yields is the leaf, or where it ends. */
	for_each_tdp_pte(it, fmt, mmu->root, mmu->levels, TDP_LEVEL_4K,
			 f->gfn, f->gfn + 1) {
		sptep = it.sptep;
		spte = it.old_spte;
		level = it.level;
	}
	if (!sptep || !spte_is_shadow_present(spte) ||
	    !spte_is_leaf(fmt, spte, level))
		return TDP_OUT_MISS;

	for (tries = 0; tries < TDP_FAST_RACE_LIMIT; tries++) {
		if (spte_permits(fmt, spte, f->access))
			return TDP_OUT_SPURIOUS;
		new = tdp_fast_fixed_spte(fmt, spte, f->access);
		if (!new)
			return TDP_OUT_MISS;
		if (spte_try_cmpxchg(sptep, &spte, new)) {
			if (spte_is_writable(fmt, new) &&
			    !spte_is_writable(fmt, spte)) {
				const struct memslot *slot;

				/*
				 * At most one memslot publish happens during
				 * a read section (each update waits for the
				 * readers of the set it replaced before the
				 * next can publish). So the set active at
				 * our cmpxchg is the one we read now or the
				 * one we read on entry: if the current one
				 * has no slot here, the publish since entry
				 * removed it (after zapping the range, hence
				 * after our cmpxchg) and the entry set's slot
				 * is the one the leaf was made from.
				 */
				slot = memslot_find(srcu_dereference(mmu->slots->active),
						    f->gfn);
				if (!slot)
					slot = memslot_find(entry_set, f->gfn);
				if (slot)
					memslot_mark_dirty(slot, f->gfn);
			}
			return TDP_OUT_FAST_FIXED;
		}
		if (!spte_is_shadow_present(spte) ||
		    !spte_is_leaf(fmt, spte, level))
			return TDP_OUT_MISS;
	}
	return TDP_OUT_MISS;
}

/* ------------------------------------------------------------------------
 * Slow path.
 */

/*
 * Largest leaf level for gfn in slot: a 2 MiB or 1 GiB block qualifies if
 * it lies wholly inside the slot and gfn and host address are congruent
 * modulo its size (so the block is one aligned host run); logging slots
 * map 4 KiB only, so that logging is per page.
 */
static int tdp_mmu_max_level(const struct tdp_mmu *mmu,
			     const struct memslot *slot, gfn_t gfn)
{
	uint64_t host_pfn = slot->host_base >> PAGE_SHIFT;
	int level;

	if (slot->flags & MEMSLOT_DIRTY_LOG)
		return TDP_LEVEL_4K;
	for (level = mmu->max_leaf_level; level > TDP_LEVEL_4K; level--) {
		uint64_t pages = TDP_LEVEL_PAGES(level);
		gfn_t base = ALIGN_DOWN(gfn, pages);

		if (base >= slot->base_gfn &&
		    base + pages <= slot->base_gfn + slot->npages &&
		    ((host_pfn - slot->base_gfn) & (pages - 1)) == 0)
			return level;
	}
	return TDP_LEVEL_4K;
}

/* Step 3: gfn -> slot, host address, permissions, leaf size. */
static enum tdp_outcome tdp_mmu_resolve(const struct tdp_mmu *mmu,
					const struct memslot_set *set,
					struct tdp_fault *f)
{
	const struct memslot *slot = memslot_find(set, f->gfn);

	if (!slot)
		return TDP_OUT_NO_SLOT;
	f->host_writable = !(slot->flags & MEMSLOT_READONLY);
	if ((f->access & TDP_ACC_WRITE) && !f->host_writable)
		return TDP_OUT_READONLY;
	f->slot = slot;
	f->hpa = memslot_gfn_to_hpa(slot, f->gfn);
	f->logging = slot->flags & MEMSLOT_DIRTY_LOG;
	f->max_level = tdp_mmu_max_level(mmu, slot, f->gfn);
	return TDP_OUT_RESOLVED;
}

/*
 * The leaf this fault installs at @level. Guest RAM is readable and
 * executable; writable when the slot is, except that a read fault on a
 * logging slot maps read-only, so the first write goes through the fast
 * path and is logged. D is preset for a write and kept from @old.
 */
static uint64_t tdp_fault_make_leaf(const struct tdp_mmu *mmu,
				    const struct tdp_fault *f, int level,
				    uint64_t old)
{
	const struct spte_format *fmt = mmu->fmt;
	bool write = f->access & TDP_ACC_WRITE;
	unsigned int perms = TDP_ACC_READ | TDP_ACC_EXEC;
	uint64_t sw = 0;
	paddr_t pa;

	if (f->host_writable) {
		sw = SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
		if (write || !f->logging)
			perms |= TDP_ACC_WRITE;
	}
	pa = f->hpa - ((f->gfn & (TDP_LEVEL_PAGES(level) - 1)) << PAGE_SHIFT);
	return spte_make_leaf(fmt, pa, level, perms, sw,
			      write || spte_is_dirty(fmt, old));
}

/*
 * Installs a zeroed table at the iterator's empty entry. Returns 1 and
 * points it->old_spte at the new table, 0 if another CPU filled the entry
 * first (it->old_spte is then what it put there, and our frame is freed:
 * it was never visible), or -ENOMEM.
 */
static int tdp_mmu_install_table(struct tdp_mmu *mmu, struct tdp_iter *it)
{
	paddr_t pa;
	uint64_t new;

	if (frame_alloc_zeroed(&pa))
		return -ENOMEM;
	new = spte_make_table(mmu->fmt, pa);
	/*
	 * Release (the cmpxchg is a full barrier): the zeroes are visible to
	 * a walker whose spte_read() finds the new entry.
	 */
	if (spte_try_cmpxchg(it->sptep, &it->old_spte, new)) {
		it->old_spte = new;
		tdp_mmu_stat_add(mmu, pages_allocated, 1);
		return 1;
	}
	frame_free(pa);
	return 0;
}

/*
 * Step 5: walks to gfn and installs its leaf, at the largest level the
 * slot allows (f->max_level) or lower where tables already exist there.
 * mmu_lock held (read if @shared, else write); fast-path fixers and the
 * hardware may change leaves meanwhile, other faults (if @shared) install
 * tables and leaves: every change is a cmpxchg against the value read,
 * and a lost one re-reads the entry and decides again.
 *
 * A leaf above f->max_level (a 2 MiB or 1 GiB leaf, where dirty logging
 * now wants 4 KiB pages) that does not grant the access is zapped with a
 * cmpxchg and the fault retried after a TLB flush: it is a leaf, so no
 * table is freed, and the next fault finds the entry empty and installs a
 * table there. Replacing it with a table in place would need the flush to
 * come first anyway.
 */
static __always_inline enum tdp_outcome
tdp_mmu_map(struct tdp_mmu *mmu, struct tdp_fault *f, const bool shared)
{
	const struct spte_format *fmt = mmu->fmt;
	unsigned int races = 0;
	struct tdp_iter it;
	uint64_t new;
	int err;

	if (shared)
		percpu_rwlock_assert_held_read(&mmu->mmu_lock);
	else
		percpu_rwlock_assert_held_write(&mmu->mmu_lock);

	tdp_iter_start(&it, fmt, mmu->root, mmu->levels, TDP_LEVEL_4K,
		       f->gfn, f->gfn + 1);
	while (it.valid) {
		uint64_t old = it.old_spte;

		if (races > TDP_MAP_RACE_LIMIT)
			return TDP_OUT_RETRY;

		/* A table: walk into it. */
		if (spte_is_shadow_present(old) &&
		    !spte_is_leaf(fmt, old, it.level)) {
			tdp_iter_next(&it);
			continue;
		}

		if (it.level > f->max_level) {
			if (!old) {
				err = tdp_mmu_install_table(mmu, &it);
				if (err < 0)
					return TDP_OUT_ENOMEM;
				races += !err;
				continue;
			}
			/* A leaf larger than the slot allows now. */
			if (spte_permits(fmt, old, f->access))
				return TDP_OUT_SPURIOUS;
			if (spte_try_cmpxchg(it.sptep, &it.old_spte, 0)) {
				tdp_mmu_account_zapped_leaf(mmu, old);
				f->flush = true;
				return TDP_OUT_RETRY;
			}
			races++;
			continue;
		}

		/* Empty or a leaf, at a level the slot allows: the target. */
		if (spte_permits(fmt, old, f->access))
			return TDP_OUT_SPURIOUS;
		new = tdp_fault_make_leaf(mmu, f, it.level, old);
		/*
		 * A leaf here was made from the same slot mapping: a change
		 * of mapping zaps it first (invalidation), and the retry
		 * check kept a stale resolution from getting this far.
		 */
		ASSERT(!old || spte_leaf_pa(old, it.level) ==
			       spte_leaf_pa(new, it.level));
		if (spte_try_cmpxchg(it.sptep, &it.old_spte, new))
			return TDP_OUT_INSTALLED;
		races++;
	}
	/* The walk always ends at a 4 KiB entry, which is decided above. */
	BUG_ON(1);
	return TDP_OUT_RETRY;
}

/*
 * Step 4's check, with mmu_lock held: an invalidation has begun and not
 * ended, or one began or ended since seq was sampled. Both fields are
 * written only under mmu_lock for write, whose release
 * (percpu_write_unlock()'s store of writer) pairs with the seq_cst load
 * of writer in our percpu_read_lock().
 */
static __always_inline bool tdp_mmu_invalidate_retry(const struct tdp_mmu *mmu,
						     unsigned long seq)
{
	return READ_ONCE(mmu->invalidate_in_progress) ||
	       READ_ONCE(mmu->invalidate_seq) != seq;
}

/* Counts an outcome and turns it into the caller's result. */
static int tdp_mmu_fault_result(struct tdp_mmu *mmu, enum tdp_outcome out)
{
	switch (out) {
	case TDP_OUT_INSTALLED:
		tdp_mmu_stat_add(mmu, faults_fixed, 1);
		return TDP_FAULT_FIXED;
	case TDP_OUT_FAST_FIXED:
		tdp_mmu_stat_add(mmu, faults_fast_fixed, 1);
		return TDP_FAULT_FIXED;
	case TDP_OUT_SPURIOUS:
		tdp_mmu_stat_add(mmu, faults_spurious, 1);
		return TDP_FAULT_FIXED;
	case TDP_OUT_RETRY:
		tdp_mmu_stat_add(mmu, faults_retried, 1);
		return TDP_FAULT_RETRY;
	case TDP_OUT_NO_SLOT:
		return TDP_FAULT_NO_SLOT;
	case TDP_OUT_READONLY:
		return TDP_FAULT_READONLY;
	case TDP_OUT_ENOMEM:
		return TDP_FAULT_ENOMEM;
	case TDP_OUT_MISS:
	case TDP_OUT_RESOLVED:
		break;
	}
	BUG_ON(1);
	return TDP_FAULT_RETRY;
}

/*
 * The fault, in the order the file header gives. @shared picks the lock
 * mode; it is a constant in both callers, so each gets its own copy with
 * no test on the path.
 */
static __always_inline int __tdp_mmu_page_fault(struct tdp_mmu *mmu,
						struct srcu_reader *r,
						uint64_t gpa,
						unsigned int access,
						const bool shared)
{
	/* An access of no kind would be "granted" by an empty entry. */
	struct tdp_fault f = {
		.gfn = gpa >> PAGE_SHIFT,
		.access = (access & TDP_ACC_ALL) ?: TDP_ACC_READ,
	};
	const struct memslot_set *set;
	enum tdp_outcome out;
	unsigned int cookie;
	unsigned long seq;

	if (unlikely(f.gfn >= tdp_mmu_gfn_limit(mmu)))
		return TDP_FAULT_NO_SLOT;

	srcu_read_lock(r);
	set = srcu_dereference(mmu->slots->active);
	out = tdp_mmu_fast_page_fault(mmu, set, &f);
	if (out != TDP_OUT_MISS)
		goto out_srcu;

	/*
	 * Acquire, and so the smp_rmb() the protocol asks for: the memslot
	 * loads below cannot be satisfied before this load. Pairs with the
	 * release stores of invalidate_seq in tdp_mmu_invalidate_begin()
	 * and _end(): a fault that reads the sequence an invalidate_end()
	 * left also reads the memslot set published before it.
	 */
	seq = smp_load_acquire(&mmu->invalidate_seq);
	set = srcu_dereference(mmu->slots->active);
	out = tdp_mmu_resolve(mmu, set, &f);
	if (out != TDP_OUT_RESOLVED)
		goto out_srcu;

	if (shared)
		cookie = percpu_read_lock(&mmu->mmu_lock);
	else
		percpu_write_lock(&mmu->mmu_lock);
	if (tdp_mmu_invalidate_retry(mmu, seq))
		out = TDP_OUT_RETRY;
	else
		out = tdp_mmu_map(mmu, &f, shared);
	if (shared)
		percpu_read_unlock(&mmu->mmu_lock, cookie);
	else
		percpu_write_unlock(&mmu->mmu_lock);

	/*
	 * After the leaf is in place (memslot_mark_dirty()'s contract): a
	 * harvest that takes the bit now write-protects a leaf that exists,
	 * one that runs before the mark leaves the bit for the next harvest.
	 * A write fault only installs writable leaves.
	 */
	if (out == TDP_OUT_INSTALLED && f.logging &&
	    (f.access & TDP_ACC_WRITE))
		memslot_mark_dirty(f.slot, f.gfn);
out_srcu:
	srcu_read_unlock(r);
	if (f.flush)
		tdp_mmu_flush_remote_tlbs(mmu);
	return tdp_mmu_fault_result(mmu, out);
}

int tdp_mmu_page_fault(struct tdp_mmu *mmu, struct srcu_reader *r,
		       uint64_t gpa, unsigned int access)
{
	return __tdp_mmu_page_fault(mmu, r, gpa, access, true);
}

int tdp_mmu_page_fault_exclusive(struct tdp_mmu *mmu, struct srcu_reader *r,
				 uint64_t gpa, unsigned int access)
{
	return __tdp_mmu_page_fault(mmu, r, gpa, access, false);
}

/* ------------------------------------------------------------------------
 * Software walker.
 */

/*
 * An entry the hardware finds present at @level that it would refuse:
 * an EPT misconfiguration (write without read, reserved bits, a reserved
 * memory type in a leaf) or an NPT reserved-bit fault (PS in the top
 * levels, address bits below a large page's size). Both formats: a large
 * leaf's address not aligned to its size.
 */
static bool tdp_walk_misconfigured(const struct spte_format *fmt,
				   uint64_t spte, int level, bool leaf)
{
	uint64_t large_rsvd = 0;

	if (leaf && level > TDP_LEVEL_4K)
		large_rsvd = ((TDP_LEVEL_PAGES(level) << PAGE_SHIFT) - 1) &
			     SPTE_ADDR_MASK;

	switch (fmt->kind) {
	case SPTE_KIND_EPT: {
		uint64_t memtype = (spte & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT;

		if ((spte & EPT_W) && !(spte & EPT_R))
			return true;
		if (level >= TDP_LEVEL_512G)
			return spte & EPT_TABLE_RSVD_L4;
		if (!leaf)
			return spte & EPT_TABLE_RSVD;
		if (memtype == 2 || memtype == 3 || memtype == 7)
			return true;
		return spte & large_rsvd;
	}
	case SPTE_KIND_NPT:
		if (level >= TDP_LEVEL_512G)
			return spte & NPT_PS;
		return spte & large_rsvd & ~NPT_LARGE_PAT;
	}
	return true;
}

int tdp_mmu_walk(const struct tdp_mmu *mmu, uint64_t gpa, unsigned int access,
		 struct tdp_walk *w)
{
	const struct spte_format *fmt = mmu->fmt;
	const uint64_t *pt = mmu->root;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	unsigned int perms = TDP_ACC_ALL;
	uint64_t spte;
	int level;

	memset(w, 0, sizeof(*w));
	w->level = mmu->levels;
	if (gfn >= tdp_mmu_gfn_limit(mmu))
		return TDP_XLATE_NOT_PRESENT;

	for (level = mmu->levels;; level--) {
		bool leaf;

		spte = spte_read(&pt[SPTE_INDEX(gfn, level)]);
		w->sptes[level] = spte;
		w->level = level;
		if (!spte_is_present(fmt, spte))
			return TDP_XLATE_NOT_PRESENT;
		leaf = level == TDP_LEVEL_4K ||
		       (level <= TDP_LEVEL_1G && (spte & fmt->large_mask));
		if (tdp_walk_misconfigured(fmt, spte, level, leaf))
			return TDP_XLATE_MISCONFIG;
		perms &= spte_perms(fmt, spte);
		if (leaf)
			break;
		pt = phys_to_virt(spte_table_pa(spte));
	}
	w->perms = perms;
	if (access & ~perms)
		return TDP_XLATE_PERM;
	w->hpa = spte_leaf_pa(spte, level) +
		 (gpa & ((TDP_LEVEL_PAGES(level) << PAGE_SHIFT) - 1));
	return TDP_XLATE_OK;
}

int tdp_mmu_translate(const struct tdp_mmu *mmu, uint64_t gpa,
		      unsigned int access, paddr_t *hpa)
{
	struct tdp_walk w;
	int ret = tdp_mmu_walk(mmu, gpa, access, &w);

	if (ret == TDP_XLATE_OK)
		*hpa = w.hpa;
	return ret;
}

uint64_t tdp_mmu_count_leaves(struct tdp_mmu *mmu, gfn_t start, gfn_t end)
{
	const struct spte_format *fmt = mmu->fmt;
	struct tdp_iter it;
	unsigned int cookie;
	uint64_t n = 0;

	cookie = percpu_read_lock(&mmu->mmu_lock);
	for_each_tdp_pte(it, fmt, mmu->root, mmu->levels, TDP_LEVEL_4K,
			 start, end) {
		if (spte_is_shadow_present(it.old_spte) &&
		    spte_is_leaf(fmt, it.old_spte, it.level))
			n++;
	}
	percpu_read_unlock(&mmu->mmu_lock, cookie);
	return n;
}
