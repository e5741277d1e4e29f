/*
 * Guest memory slots: which guest frames (gfn) are backed by which host
 * physical frames, published behind the SRCU-like epoch (core/srcu.h).
 *
 * A memslot set is immutable once published. Updates (create, delete,
 * move, change flags) are serialised by slots_lock: the writer builds a
 * new set, publishes it with a release store, waits for every reader of
 * the old set (srcu_synchronize), then frees the old set. Readers look up
 * gfns inside a read section on their own srcu_reader.
 *
 * Deleting or moving a slot, and turning it read-only, also takes the
 * mapped range out of the TDP MMU: the update calls the VM's invalidate
 * hooks (struct memslots_ops) around the publish so that a fault which
 * resolved a gfn under the old set cannot install a mapping afterwards
 * (docs/races.md, "Fault installs after the zap"; see mm/tdp_mmu.h and
 * the timeline in core/memslots.c).
 *
 * Where it runs: lookups (memslot_find, memslot_gfn_to_hpa,
 * memslot_mark_dirty) in any context inside a read section of the VM's
 * srcu domain, lock-free. Updates and memslots_get_dirty_log() in thread
 * context, outside any read section of that domain and with no spinlock
 * held: they take slots_lock, call the ops hooks under it (which take
 * mmu_lock) and spin in srcu_synchronize().
 */
#ifndef CORE_MEMSLOTS_H
#define CORE_MEMSLOTS_H

#include "core/lib/compiler.h"
#include "core/lib/platform.h"
#include "core/lib/spinlock.h"
#include "core/srcu.h"

typedef uint64_t gfn_t;

#define MEMSLOT_READONLY  BIT(0)	/* guest writes fault to the hypervisor */
#define MEMSLOT_DIRTY_LOG BIT(1)	/* writes are logged in dirty_bitmap */
#define MEMSLOT_FLAGS_ALL (MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG)

#define MEMSLOTS_MAX 64
/* Guest physical addresses are at most 52 bits. */
#define GFN_LIMIT (1ull << (52 - PAGE_SHIFT))
/* So are host physical ones: a slot's host range ends at or below this. */
#define MEMSLOT_HPA_LIMIT (1ull << 52)
/*
 * Written into a set's generation just before the set is freed, so that a
 * reader that kept it past its read section sees a set that is not one
 * (and so that ThreadSanitizer sees the write race with such a reader).
 */
#define MEMSLOT_SET_FREED (~0ull)

struct memslot {
	uint32_t id;			/* caller's name for the slot */
	uint32_t flags;			/* MEMSLOT_* */
	gfn_t base_gfn;
	uint64_t npages;
	paddr_t host_base;		/* host physical address of base_gfn */
	/*
	 * One bit per page while MEMSLOT_DIRTY_LOG is set, else NULL. Set
	 * with atomic bit operations by the fault paths; harvested with
	 * atomic exchange by memslots_get_dirty_log(). Shared between the
	 * sets that carry the same slot while logging stays on.
	 */
	uint64_t *dirty_bitmap;
};

/*
 * An immutable, published set: slots sorted by base_gfn, no overlaps, ids
 * unique. generation counts publishes (the set memslots_init() publishes
 * has 0; each update's set has its predecessor's plus one).
 */
struct memslot_set {
	uint64_t generation;
	unsigned int nr;
	struct memslot slots[];
};

/*
 * How an update reaches the TDP MMU; ops and any hook may be NULL. Hooks
 * are called with slots_lock held, outside any read section, and may take
 * mmu_lock; they must not take slots_lock or call back into memslots_*().
 */
struct memslots_ops {
	/*
	 * Before the set without [gfn, gfn+n) mapped (or mapped read-only) is
	 * published: raise the invalidation count and zap the range.
	 */
	void (*invalidate_begin)(void *ctx, gfn_t gfn, uint64_t n);
	/*
	 * After the old set's readers are gone: advance the invalidation
	 * sequence and drop the count. Always paired with one begin, same
	 * range.
	 */
	void (*invalidate_end)(void *ctx, gfn_t gfn, uint64_t n);
	/*
	 * Write-protect a range: dirty logging turned on (after the old set's
	 * readers are gone) and pages just harvested by
	 * memslots_get_dirty_log() (before it returns). Does not flush TLBs:
	 * the caller calls flush_tlbs once it has write-protected everything.
	 */
	void (*write_protect)(void *ctx, gfn_t gfn, uint64_t n);
	/*
	 * Remote TLB flush: returns once no vCPU can use a translation it
	 * cached before the call. Called after write_protect when logging is
	 * turned on, and at the end of every harvest that took a dirty bit,
	 * whether or not its write-protect cleared a W itself (docs/races.md,
	 * "Dirty-log harvest after someone else cleared W").
	 */
	void (*flush_tlbs)(void *ctx);
};

struct vm_memslots {
	/*
	 * Published set, never NULL after memslots_init(). Readers:
	 * srcu_dereference() in a read section of srcu. Written with
	 * srcu_assign_pointer() under slots_lock only.
	 */
	struct memslot_set *active;
	struct srcu_struct srcu;
	/*
	 * Serialises updates and dirty-log harvests; taken outside mmu_lock,
	 * never inside a read section of srcu (the update waits for them).
	 */
	spinlock_t slots_lock;
	/* Fixed at memslots_init(). */
	const struct memslots_ops *ops;
	void *ops_ctx;
};

/*
 * Sets up m with an empty set (generation 0) and an srcu domain for at
 * most max_readers reader slots. 0 or -ENOMEM (nothing to undo).
 */
int memslots_init(struct vm_memslots *m, unsigned int max_readers,
		  const struct memslots_ops *ops, void *ops_ctx);
/*
 * Frees the set, its dirty bitmaps and the srcu domain. No reader may be
 * in a read section, no update running; calls no hook (the TDP MMU is
 * torn down on its own).
 */
void memslots_destroy(struct vm_memslots *m);

/*
 * Updates. Each returns 0, or a negative errno and leaves the published
 * set unchanged (no hook called, nothing allocated): -EINVAL (zero size,
 * unaligned host base, gfn range past GFN_LIMIT or overflowing, host range
 * past MEMSLOT_HPA_LIMIT or overflowing, unknown flags), -EEXIST (id in
 * use, or the range overlaps another slot), -ENOENT (no such id), -ENOSPC
 * (MEMSLOTS_MAX slots already), -ENOMEM. Checked in that order of kinds:
 * arguments, then the id, then the slot count, then overlaps, then memory.
 *
 * create: nothing was mapped in a free range, so no hook; DIRTY_LOG in
 *         flags starts logging with a clean bitmap.
 * delete: invalidates the slot's range; frees its bitmap.
 * move:   invalidates the old range; keeps flags and dirty bitmap (bits
 *         are per page of the slot). Moving to the same base is a no-op.
 * set_flags: READONLY turned on invalidates the range; DIRTY_LOG turned on
 *         allocates a clean bitmap and write-protects the range once the
 *         old set's readers are gone; DIRTY_LOG turned off frees the
 *         bitmap after they are gone. The same flags again is a no-op.
 */
int memslots_create(struct vm_memslots *m, uint32_t id, gfn_t base_gfn,
		    uint64_t npages, paddr_t host_base, uint32_t flags);
int memslots_delete(struct vm_memslots *m, uint32_t id);
int memslots_move(struct vm_memslots *m, uint32_t id, gfn_t new_base_gfn);
int memslots_set_flags(struct vm_memslots *m, uint32_t id, uint32_t flags);

/*
 * Copies and clears the dirty bitmap of slot id into out (npages bits,
 * rounded up to 64) and write-protects what was dirty again, so that the
 * next write faults and is logged. Every write made before the call
 * returns is either in out (and visible to a copy the caller makes after
 * the return) or in the bitmap for the next call. -ENOENT, or -EINVAL if
 * logging is off; out is untouched then.
 */
int memslots_get_dirty_log(struct vm_memslots *m, uint32_t id, uint64_t *out);

/*
 * Lookup in a set (O(log n)); NULL if no slot covers gfn (or set is NULL).
 * Read section; the slot lives as long as the section.
 */
const struct memslot *memslot_find(const struct memslot_set *set, gfn_t gfn);

static inline paddr_t memslot_gfn_to_hpa(const struct memslot *s, gfn_t gfn)
{
	return s->host_base + ((gfn - s->base_gfn) << PAGE_SHIFT);
}

/*
 * Marks gfn (which s must cover) dirty if its slot logs writes. Any
 * context, lock-free, inside the read section in which s was found. The
 * fault path calls it after the SPTE that lets the guest write gfn is in
 * place, never before: a harvest that clears the bit between a mark and
 * the SPTE becoming writable would write-protect too early, and the
 * writes through the SPTE made afterwards would go unlogged.
 */
void memslot_mark_dirty(const struct memslot *s, gfn_t gfn);

#endif
