/*
 * Guest memory slots behind the SRCU-like epoch.
 *
 * Lookups (memslot_find, memslot_mark_dirty) run in any context inside a
 * read section of the VM's srcu domain and take no lock. Updates and the
 * dirty-log harvest run in thread context: they take slots_lock, call the
 * TDP MMU's hooks under it (which take mmu_lock: slots_lock -> mmu_lock)
 * and spin in srcu_synchronize() for the readers of the set they replace.
 *
 * An update validates and builds the whole new set (and any new dirty
 * bitmap) before it calls a hook or publishes anything, so every error
 * leaves the published set, the TDP MMU and the heap as they were.
 *
 * Why the invalidation straddles the publish (docs/races.md, "Fault
 * installs after the zap": a fault that resolved a gfn under the old set
 * must not install a mapping after the zap). The TDP
 * MMU's fault samples its invalidation sequence, resolves gfn -> hpa with
 * memslot_find(), and installs the SPTE under mmu_lock for read only if
 * the sequence has not moved and no invalidation is in progress (count 0);
 * all of it in one read section. Deleting slot S = [g, g+n):
 *
 *   fault (read section)                  memslots_delete (slots_lock)
 *   srcu_read_lock
 *   seq = invalidate_seq
 *   slot = memslot_find(old set, g)
 *                                         invalidate_begin(g, n):
 *                                           write_lock(mmu_lock)
 *                                           count++, zap [g, g+n)
 *                                           write_unlock(mmu_lock)
 *                                         srcu_assign_pointer(new set)
 *   read_lock(mmu_lock)
 *   count != 0: give up, re-fault  <-- the mapping is never installed
 *   read_unlock(mmu_lock)
 *   srcu_read_unlock
 *                                         srcu_synchronize() (waits for
 *                                           the fault's section)
 *                                         invalidate_end(g, n):
 *                                           seq++, count--
 *                                         free the old set
 *
 * A fault that installs before invalidate_begin takes mmu_lock has its
 * SPTE zapped by it. One that installs after sees count raised, since
 * invalidate_end cannot run before the fault's read section (and so its
 * install) is over. A fault that begins after invalidate_end finds the new
 * set, because the publish came before. Calling invalidate_end only after
 * srcu_synchronize() is what makes this independent of whether the fault
 * samples the sequence before or after its lookup.
 *
 * A create needs no hook: nothing can be mapped in a range no slot
 * covered (every delete and move zapped it). Turning DIRTY_LOG on needs a
 * write-protect, after srcu_synchronize(): a fault that found the old set
 * (no logging) may still install a writable SPTE until its section ends.
 */
#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/memslots.h"
#include "core/lib/string.h"
#include "mm/heap.h"

/* 64-bit words of a dirty bitmap for npages pages. */
static inline uint64_t memslot_bitmap_words(uint64_t npages)
{
	return (npages + 63) / 64;
}

/*
 * What an update changes besides the set: a range to take out of the TDP
 * MMU around the publish, a range to write-protect after it, and a bitmap
 * that the old set's readers may still set bits in until they are gone.
 */
struct memslots_change {
	struct memslot_set *set;	/* new set, complete but generation */
	gfn_t zap_gfn;
	uint64_t zap_npages;		/* 0: no invalidation */
	gfn_t wp_gfn;
	uint64_t wp_npages;		/* 0: no write-protect */
	uint64_t *free_bitmap;		/* NULL: none */
};

/* ---------------------------------------------------------------------
 * Hooks: NULL ops or a NULL hook means nothing to do.
 */

static void memslots_invalidate_begin(struct vm_memslots *m, gfn_t gfn,
				      uint64_t n)
{
	spin_assert_held(&m->slots_lock);
	if (m->ops && m->ops->invalidate_begin)
		m->ops->invalidate_begin(m->ops_ctx, gfn, n);
}

static void memslots_invalidate_end(struct vm_memslots *m, gfn_t gfn,
				    uint64_t n)
{
	spin_assert_held(&m->slots_lock);
	if (m->ops && m->ops->invalidate_end)
		m->ops->invalidate_end(m->ops_ctx, gfn, n);
}

static void memslots_write_protect(struct vm_memslots *m, gfn_t gfn,
				   uint64_t n)
{
	spin_assert_held(&m->slots_lock);
	if (m->ops && m->ops->write_protect)
		m->ops->write_protect(m->ops_ctx, gfn, n);
}

static void memslots_flush_tlbs(struct vm_memslots *m)
{
	spin_assert_held(&m->slots_lock);
	if (m->ops && m->ops->flush_tlbs)
		m->ops->flush_tlbs(m->ops_ctx);
}

/* ---------------------------------------------------------------------
 * Sets.
 */

static struct memslot_set *memslot_set_alloc(unsigned int nr)
{
	struct memslot_set *set;

	set = kmalloc(sizeof(*set) + (size_t)nr * sizeof(set->slots[0]));
	if (set)
		set->nr = nr;
	return set;
}

/*
 * Frees a set no reader can reach any more. The poisoned generation makes
 * a reader that kept the set past its section (a bug) see a set that is
 * not one, and gives ThreadSanitizer a write to catch it on.
 */
static void memslot_set_free(struct memslot_set *set)
{
	set->generation = MEMSLOT_SET_FREED;
	set->nr = 0;
	kfree(set);
}

/* Index of the slot named id in set, or -1. */
static int memslot_index_by_id(const struct memslot_set *set, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++) {
		if (set->slots[i].id == id)
			return (int)i;
	}
	return -1;
}

/* Index of the first slot of set whose base_gfn is above gfn (0..nr). */
static unsigned int memslot_upper_bound(const struct memslot_set *set,
					gfn_t gfn)
{
	unsigned int lo = 0, hi = set->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (set->slots[mid].base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct memslot *memslot_find(const struct memslot_set *set, gfn_t gfn)
{
	const struct memslot *s;
	unsigned int i;

	if (unlikely(!set))
		return NULL;
	/* The last slot that starts at or below gfn is the only candidate. */
	i = memslot_upper_bound(set, gfn);
	if (i == 0)
		return NULL;
	s = &set->slots[i - 1];
	return gfn - s->base_gfn < s->npages ? s : NULL;
}

/* True if [gfn, gfn + n) meets a slot of set other than set->slots[skip]. */
static bool memslot_overlaps(const struct memslot_set *set, int skip,
			     gfn_t gfn, uint64_t n)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++) {
		const struct memslot *s = &set->slots[i];

		if ((int)i != skip && gfn < s->base_gfn + s->npages &&
		    s->base_gfn < gfn + n)
			return true;
	}
	return false;
}

/* -EINVAL unless [gfn, gfn + n) is a non-empty range below GFN_LIMIT. */
static int memslot_check_gfn_range(gfn_t gfn, uint64_t n)
{
	if (!n || gfn >= GFN_LIMIT || n > GFN_LIMIT - gfn)
		return -EINVAL;
	return 0;
}

/* The arguments of a create, on their own: 0 or -EINVAL. */
static int memslot_check_args(gfn_t base_gfn, uint64_t npages,
			      paddr_t host_base, uint32_t flags)
{
	if (flags & ~MEMSLOT_FLAGS_ALL)
		return -EINVAL;
	if (memslot_check_gfn_range(base_gfn, npages))
		return -EINVAL;
	if (!IS_ALIGNED(host_base, PAGE_SIZE))
		return -EINVAL;
	/* npages < 2^40 here, so the size cannot overflow. */
	if (host_base >= MEMSLOT_HPA_LIMIT ||
	    (npages << PAGE_SHIFT) > MEMSLOT_HPA_LIMIT - host_base)
		return -EINVAL;
	return 0;
}

/*
 * Fills set (sized old->nr - (skip >= 0) + (add != NULL)) with old's
 * slots less old->slots[skip] (skip < 0: none), plus *add if not NULL, in
 * base_gfn order. The caller has checked that *add overlaps none of the
 * slots kept.
 */
static void memslot_set_fill(struct memslot_set *set,
			     const struct memslot_set *old, int skip,
			     const struct memslot *add)
{
	unsigned int i, n = 0;
	bool added = !add;

	for (i = 0; i < old->nr; i++) {
		if ((int)i == skip)
			continue;
		if (!added && add->base_gfn < old->slots[i].base_gfn) {
			set->slots[n++] = *add;
			added = true;
		}
		set->slots[n++] = old->slots[i];
	}
	if (!added)
		set->slots[n++] = *add;
	ASSERT(n == set->nr);
}

/*
 * Publishes c->set in place of the active set and completes the update:
 * invalidation around the publish, write-protect and frees after the old
 * set's readers are gone (timeline at the top of the file).
 */
static void memslots_commit(struct vm_memslots *m, struct memslots_change *c)
{
	struct memslot_set *old = m->active;

	spin_assert_held(&m->slots_lock);
	c->set->generation = old->generation + 1;
	if (c->zap_npages)
		memslots_invalidate_begin(m, c->zap_gfn, c->zap_npages);
	/*
	 * Release: the set's contents (and the zap above) are visible to a
	 * reader whose srcu_dereference() finds the new pointer. Pairs with
	 * the acquire in srcu_dereference().
	 */
	srcu_assign_pointer(m->active, c->set);
	srcu_synchronize(&m->srcu);
	if (c->zap_npages)
		memslots_invalidate_end(m, c->zap_gfn, c->zap_npages);
	/*
	 * The flush is unconditional, as KVM's after turning logging on
	 * (kvm_mmu_slot_apply_flags()): a leaf whose W an ager or a zap
	 * took away before us, without its flush yet, is not one our
	 * write-protect finds, and a vCPU may still write through it.
	 */
	if (c->wp_npages) {
		memslots_write_protect(m, c->wp_gfn, c->wp_npages);
		memslots_flush_tlbs(m);
	}
	/* Readers of the old set may have set bits in it until now. */
	kfree(c->free_bitmap);
	memslot_set_free(old);
}

/* ---------------------------------------------------------------------
 * Setup and teardown.
 */

int memslots_init(struct vm_memslots *m, unsigned int max_readers,
		  const struct memslots_ops *ops, void *ops_ctx)
{
	struct memslot_set *set;
	int err;

	err = srcu_init(&m->srcu, max_readers);
	if (err)
		return err;
	set = memslot_set_alloc(0);
	if (!set) {
		srcu_destroy(&m->srcu);
		return -ENOMEM;
	}
	set->generation = 0;
	spin_lock_init(&m->slots_lock);
	m->ops = ops;
	m->ops_ctx = ops_ctx;
	m->active = set;
	return 0;
}

void memslots_destroy(struct vm_memslots *m)
{
	struct memslot_set *set = m->active;
	unsigned int i;

	ASSERT(!spin_is_locked(&m->slots_lock));
	for (i = 0; i < set->nr; i++)
		kfree(set->slots[i].dirty_bitmap);
	m->active = NULL;
	memslot_set_free(set);
	srcu_destroy(&m->srcu);
}

/* ---------------------------------------------------------------------
 * Updates.
 */

int memslots_create(struct vm_memslots *m, uint32_t id, gfn_t base_gfn,
		    uint64_t npages, paddr_t host_base, uint32_t flags)
{
	struct memslots_change c = { 0 };
	const struct memslot_set *old;
	struct memslot slot = {
		.id = id,
		.flags = flags,
		.base_gfn = base_gfn,
		.npages = npages,
		.host_base = host_base,
	};
	int err;

	err = memslot_check_args(base_gfn, npages, host_base, flags);
	if (err)
		return err;

	spin_lock(&m->slots_lock);
	old = m->active;
	if (memslot_index_by_id(old, id) >= 0) {
		err = -EEXIST;
		goto out_unlock;
	}
	if (old->nr >= MEMSLOTS_MAX) {
		err = -ENOSPC;
		goto out_unlock;
	}
	if (memslot_overlaps(old, -1, base_gfn, npages)) {
		err = -EEXIST;
		goto out_unlock;
	}
	if (flags & MEMSLOT_DIRTY_LOG) {
		slot.dirty_bitmap = kcalloc(memslot_bitmap_words(npages),
					    sizeof(uint64_t));
		if (!slot.dirty_bitmap) {
			err = -ENOMEM;
			goto out_unlock;
		}
	}
	c.set = memslot_set_alloc(old->nr + 1);
	if (!c.set) {
		err = -ENOMEM;
		goto out_free_bitmap;
	}
	memslot_set_fill(c.set, old, -1, &slot);
	memslots_commit(m, &c);
	spin_unlock(&m->slots_lock);
	return 0;

out_free_bitmap:
	kfree(slot.dirty_bitmap);
out_unlock:
	spin_unlock(&m->slots_lock);
	return err;
}

int memslots_delete(struct vm_memslots *m, uint32_t id)
{
	struct memslots_change c = { 0 };
	const struct memslot_set *old;
	const struct memslot *s;
	int i, err = 0;

	spin_lock(&m->slots_lock);
	old = m->active;
	i = memslot_index_by_id(old, id);
	if (i < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	s = &old->slots[i];
	c.set = memslot_set_alloc(old->nr - 1);
	if (!c.set) {
		err = -ENOMEM;
		goto out_unlock;
	}
	memslot_set_fill(c.set, old, i, NULL);
	c.zap_gfn = s->base_gfn;
	c.zap_npages = s->npages;
	c.free_bitmap = s->dirty_bitmap;
	memslots_commit(m, &c);
out_unlock:
	spin_unlock(&m->slots_lock);
	return err;
}

int memslots_move(struct vm_memslots *m, uint32_t id, gfn_t new_base_gfn)
{
	struct memslots_change c = { 0 };
	const struct memslot_set *old;
	struct memslot moved;
	int i, err = 0;

	spin_lock(&m->slots_lock);
	old = m->active;
	i = memslot_index_by_id(old, id);
	if (i < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	moved = old->slots[i];
	err = memslot_check_gfn_range(new_base_gfn, moved.npages);
	if (err || new_base_gfn == moved.base_gfn)
		goto out_unlock;
	if (memslot_overlaps(old, i, new_base_gfn, moved.npages)) {
		err = -EEXIST;
		goto out_unlock;
	}
	c.set = memslot_set_alloc(old->nr);
	if (!c.set) {
		err = -ENOMEM;
		goto out_unlock;
	}
	/*
	 * Only the old range needs the TDP MMU: nothing is mapped in the new
	 * one, which no slot covered. The bitmap moves with the slot; a
	 * reader of the old set marks the same page of it.
	 */
	c.zap_gfn = moved.base_gfn;
	c.zap_npages = moved.npages;
	moved.base_gfn = new_base_gfn;
	memslot_set_fill(c.set, old, i, &moved);
	memslots_commit(m, &c);
out_unlock:
	spin_unlock(&m->slots_lock);
	return err;
}

int memslots_set_flags(struct vm_memslots *m, uint32_t id, uint32_t flags)
{
	struct memslots_change c = { 0 };
	const struct memslot_set *old;
	struct memslot changed;
	uint32_t on, off;
	int i, err = 0;

	if (flags & ~MEMSLOT_FLAGS_ALL)
		return -EINVAL;

	spin_lock(&m->slots_lock);
	old = m->active;
	i = memslot_index_by_id(old, id);
	if (i < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	changed = old->slots[i];
	on = flags & ~changed.flags;
	off = changed.flags & ~flags;
	if (!on && !off)
		goto out_unlock;

	if (on & MEMSLOT_DIRTY_LOG) {
		changed.dirty_bitmap =
			kcalloc(memslot_bitmap_words(changed.npages),
				sizeof(uint64_t));
		if (!changed.dirty_bitmap) {
			err = -ENOMEM;
			goto out_unlock;
		}
	}
	c.set = memslot_set_alloc(old->nr);
	if (!c.set) {
		err = -ENOMEM;
		goto out_free_bitmap;
	}
	if (off & MEMSLOT_DIRTY_LOG) {
		c.free_bitmap = changed.dirty_bitmap;
		changed.dirty_bitmap = NULL;
	}
	changed.flags = flags;
	/* Writable SPTEs must go: faults map the range read-only from now. */
	if (on & MEMSLOT_READONLY) {
		c.zap_gfn = changed.base_gfn;
		c.zap_npages = changed.npages;
	}
	/*
	 * Logging starts: existing writable SPTEs must fault on the next
	 * write. Needless if the range was just zapped: every SPTE the
	 * faults install from now on comes from the new set.
	 */
	if ((on & MEMSLOT_DIRTY_LOG) && !c.zap_npages) {
		c.wp_gfn = changed.base_gfn;
		c.wp_npages = changed.npages;
	}
	memslot_set_fill(c.set, old, i, &changed);
	memslots_commit(m, &c);
	spin_unlock(&m->slots_lock);
	return 0;

out_free_bitmap:
	if (on & MEMSLOT_DIRTY_LOG)
		kfree(changed.dirty_bitmap);
out_unlock:
	spin_unlock(&m->slots_lock);
	return err;
}

/* ---------------------------------------------------------------------
 * Dirty logging.
 */

void memslot_mark_dirty(const struct memslot *s, gfn_t gfn)
{
	uint64_t page = gfn - s->base_gfn;

	if (!s->dirty_bitmap)
		return;
	ASSERT(page < s->npages);
	/*
	 * Skipping the locked RMW when the bit is already set is safe: the
	 * harvest that will clear it has not run its exchange yet (this
	 * load read the bit set, so it comes before the exchange in the
	 * single total order of seq_cst operations, and so does the SPTE
	 * update the caller made before it). That harvest's write-protect
	 * comes after its exchange, so it finds the writable SPTE and
	 * removes it, and the writes through the SPTE before that are in the
	 * harvest's copy. Saves a bounced cache line on hot pages.
	 */
	if (__atomic_load_n(&s->dirty_bitmap[page / 64], __ATOMIC_SEQ_CST) &
	    BIT_ULL(page % 64))
		return;
	set_bit_atomic(page, s->dirty_bitmap);
}

/* Write-protects a run of harvested pages of s, if any. */
static void memslot_flush_run(struct vm_memslots *m, const struct memslot *s,
			      uint64_t first, uint64_t n)
{
	if (n)
		memslots_write_protect(m, s->base_gfn + first, n);
}

int memslots_get_dirty_log(struct vm_memslots *m, uint32_t id, uint64_t *out)
{
	uint64_t w, words, run_first = 0, run_len = 0;
	const struct memslot *s;
	bool flush = false;
	int i, err = 0;

	spin_lock(&m->slots_lock);
	i = memslot_index_by_id(m->active, id);
	if (i < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	s = &m->active->slots[i];
	if (!s->dirty_bitmap) {
		err = -EINVAL;
		goto out_unlock;
	}
	/*
	 * No write is missed. A page whose bit this exchange takes was
	 * written through an SPTE made writable before the bit was set
	 * (memslot_mark_dirty()'s contract); writes through that SPTE until
	 * the write-protect below happen before this call returns, so the
	 * caller's copy of the page after the return sees them, and a write
	 * after the write-protect faults and sets the bit again for the
	 * next call. A mark that lands after the exchange stays in the
	 * bitmap for the next call. The exchange is a full barrier and
	 * pairs with the atomic OR in memslot_mark_dirty().
	 */
	words = memslot_bitmap_words(s->npages);
	for (w = 0; w < words; w++) {
		uint64_t bits = atomic_xchg(&s->dirty_bitmap[w], 0);

		out[w] = bits;
		flush |= bits != 0;
		/* Contiguous runs, merged across words, one hook call each. */
		while (bits) {
			unsigned int b = (unsigned int)__builtin_ctzll(bits);
			uint64_t rest = bits >> b;
			unsigned int len = ~rest ?
				(unsigned int)__builtin_ctzll(~rest) : 64 - b;
			uint64_t first = w * 64 + b;

			if (run_len && run_first + run_len == first) {
				run_len += len;
			} else {
				memslot_flush_run(m, s, run_first, run_len);
				run_first = first;
				run_len = len;
			}
			bits = len == 64 ? 0 : bits & ~(((1ull << len) - 1) << b);
		}
	}
	memslot_flush_run(m, s, run_first, run_len);
	/*
	 * Flush if any bit was taken, whoever cleared W: KVM's
	 * kvm_get_dirty_log_protect() sets its "flush" for every non-zero
	 * word, not for the leaves its own write-protect changed. An ager
	 * (tdp_mmu_age_range()) or a zap may have cleared W, or the leaf,
	 * of a page we took and not flushed yet: our write-protect finds
	 * nothing to clear there, yet a vCPU still holds the writable
	 * translation, and a write through it after we return would be in
	 * no harvest (docs/races.md, "Dirty-log harvest after someone else
	 * cleared W"). One flush, after every run is write-protected.
	 */
	if (flush)
		memslots_flush_tlbs(m);
out_unlock:
	spin_unlock(&m->slots_lock);
	return err;
}
