/*
 * TDP MMU: the two-dimensional paging tables (EPT or NPT) of one VM, built
 * on demand from its memslots.
 *
 * Where it runs:
 *  - tdp_mmu_page_fault(): vCPU context (an EPT violation or a nested page
 *    fault exit), interrupts on or off, no spinlock held, in no read
 *    section of mmu->slots->srcu or in one on the same reader (sections
 *    nest). Takes mmu_lock for read; never waits for another CPU beyond
 *    that lock.
 *  - zap, invalidation, write-protect, aging: thread context, no spinlock
 *    held but memslots' slots_lock (the memslots_ops hooks are called
 *    under it), in no read section of mmu->slots->srcu: they call the
 *    remote TLB flush hook, which waits for vCPUs, and a zap that takes
 *    tables out of the tree waits for the srcu readers (srcu_synchronize).
 *  - tdp_mmu_walk()/tdp_mmu_translate(): anywhere, under the rules of
 *    tdp_iter.h (mmu_lock, a read section, or no concurrent zap).
 *
 * Design (docs/tdp-mmu.md has the long form, docs/locking.md "TDP MMU"
 * the lock rules):
 *
 *  - Faults take mmu_lock for READ and install missing tables and leaves
 *    with cmpxchg; a lost race re-reads the entry and goes on, or gives up
 *    with TDP_FAULT_RETRY (the vCPU re-enters and faults again).
 *  - Zaps take mmu_lock for WRITE. Invalidations (memslot delete, move,
 *    read-only) raise invalidate_in_progress and bump invalidate_seq
 *    around the update; a fault samples invalidate_seq before it resolves
 *    gfn -> host frame and installs nothing if the sequence moved or an
 *    invalidation is in progress when it holds mmu_lock (KVM's
 *    mmu_invalidate_seq; docs/races.md, "Fault installs after the zap").
 *  - Write-protection faults (dirty logging) and access-tracking restores
 *    are fixed without mmu_lock, by one cmpxchg on the leaf (Linux's
 *    Documentation/virt/kvm/locking.rst, "Fast page fault"; docs/races.md,
 *    "Fast path ABA on the frame"); everything else that changes a leaf
 *    the fast path or the hardware may change concurrently uses cmpxchg
 *    or xchg, so no A/D bit is lost (docs/races.md, "Lost dirty bit").
 *  - Reclaim: tables taken out of the tree are freed only after the remote
 *    TLB flush hook returned and srcu_synchronize() on the memslots domain
 *    (the fast path walks inside a read section of it).
 */
#ifndef MM_TDP_MMU_H
#define MM_TDP_MMU_H

#include "core/lib/compiler.h"
#include "core/memslots.h"
#include "core/lib/percpu_rwlock.h"
#include "core/srcu.h"
#include "mm/spte.h"

/* What tdp_mmu_page_fault() did. */
enum tdp_fault_result {
	/* The access can proceed: re-enter the guest. */
	TDP_FAULT_FIXED,
	/*
	 * Lost a race (an invalidation ran, or the entry kept changing):
	 * nothing was installed. Re-enter the guest; it faults again.
	 */
	TDP_FAULT_RETRY,
	/* No memslot covers the gfn: MMIO or a bad access; emulate or stop. */
	TDP_FAULT_NO_SLOT,
	/* A write to a read-only memslot: emulate (ROM) or stop. */
	TDP_FAULT_READONLY,
	/* No frame for a page table: nothing installed. */
	TDP_FAULT_ENOMEM,
};

/* What tdp_mmu_walk() found, as the hardware would. */
enum tdp_xlate_result {
	TDP_XLATE_OK,
	TDP_XLATE_NOT_PRESENT,	/* an entry on the path is not present */
	TDP_XLATE_PERM,		/* present, but the access is not granted */
	TDP_XLATE_MISCONFIG,	/* EPT misconfiguration / NPT reserved bit */
};

struct tdp_walk {
	paddr_t hpa;		/* TDP_XLATE_OK: host address of gpa */
	int level;		/* level of the leaf, or where the walk stopped */
	unsigned int perms;	/* TDP_ACC_* granted along the path */
	/* Entries read, root_level down to level; others are 0. */
	uint64_t sptes[TDP_MAX_LEVELS + 1];
};

/*
 * Counters, kept per CPU (smp_processor_id() modulo TDP_MMU_STAT_SLOTS)
 * so that parallel faults do not share a cache line; updated with relaxed
 * atomic adds, summed by tdp_mmu_stats_read().
 */
struct tdp_mmu_stats {
	uint64_t faults_fixed;		/* slow path installed a leaf */
	uint64_t faults_fast_fixed;	/* fixed by one cmpxchg, no mmu_lock */
	uint64_t faults_spurious;	/* already fixed by another vCPU */
	uint64_t faults_retried;	/* TDP_FAULT_RETRY returned */
	uint64_t pages_allocated;	/* table pages put in the tree */
	uint64_t pages_freed;		/* table pages reclaimed */
	uint64_t zaps;			/* zap / invalidate_begin calls */
	uint64_t sptes_zapped;		/* leaves removed */
	uint64_t sptes_zapped_dirty;	/* of which carried the dirty bit */
	uint64_t sptes_write_protected;
	uint64_t sptes_aged;		/* leaves marked for access tracking */
	uint64_t tlb_flushes;		/* calls of the flush hook */
};

#define TDP_MMU_STAT_SLOTS 64

struct tdp_mmu_stats_slot {
	struct tdp_mmu_stats s;
} __aligned(64);

struct tdp_mmu_params {
	const struct spte_format *fmt;	/* &spte_format_ept or _npt */
	int levels;			/* 4 or 5 */
	/* Largest leaf: TDP_LEVEL_4K, _2M or _1G (what the CPU supports). */
	int max_leaf_level;
	struct vm_memslots *slots;
	/*
	 * Remote TLB flush: returns once no vCPU of the VM can use a
	 * translation the MMU removed before the call (the VM routes it to
	 * VCPU_REQ_TLB_FLUSH with WAIT). Called with no lock held. NULL: no
	 * vCPU caches translations (tests).
	 */
	void (*flush_remote_tlbs)(void *ctx);
	void *flush_ctx;
};

struct tdp_mmu {
	/* Set by tdp_mmu_init(), constant until tdp_mmu_destroy(). */
	const struct spte_format *fmt;
	int levels;
	int max_leaf_level;
	paddr_t root_pa;
	uint64_t *root;
	struct vm_memslots *slots;
	void (*flush_remote_tlbs)(void *ctx);
	void *flush_ctx;

	/*
	 * Invalidation state. Written only with mmu_lock held for write
	 * (atomic stores: the fault path samples invalidate_seq without the
	 * lock), read by faults under mmu_lock for read.
	 *   invalidate_in_progress: invalidations begun and not ended.
	 *   invalidate_seq: bumped by every invalidate_begin and _end.
	 */
	unsigned long invalidate_in_progress;
	unsigned long invalidate_seq;

	/*
	 * mmu_lock, a per-CPU reader-writer lock (core/lib/percpu_rwlock.h): a
	 * fault's read side writes only its own CPU's slot and reads the
	 * writer line, so parallel faults share no written cache line.
	 *  read:  walk the tree, install tables and leaves with cmpxchg,
	 *         write-protect and age leaves with cmpxchg.
	 *  write: take entries out (zap) and detach tables, change the
	 *         invalidation state.
	 * The table entries themselves are also changed without the lock,
	 * leaves only and by cmpxchg, by the fast path. Faults run on CPUs
	 * with an id below PERCPU_RWLOCK_SLOTS (the hypervisor's MAX_CPUS).
	 */
	struct percpu_rwlock mmu_lock;

	struct tdp_mmu_stats_slot stats[TDP_MMU_STAT_SLOTS];
};

/*
 * Sets up an empty tree (one root table from the frame allocator).
 * Returns 0, -EINVAL for unsupported levels or leaf size, or -ENOMEM.
 * Register tdp_mmu_memslots_ops with @p->slots (ctx = mmu) to have
 * memslot updates reach the MMU.
 */
int tdp_mmu_init(struct tdp_mmu *mmu, const struct tdp_mmu_params *p);

/*
 * Zaps everything and frees every table, root included. No fault, zap or
 * walk may run or start; the memslots must still be alive (the reclaim
 * synchronises their srcu domain).
 */
void tdp_mmu_destroy(struct tdp_mmu *mmu);

/*
 * Handles a TDP fault (EPT violation, #NPF) at guest physical address
 * @gpa for @access (TDP_ACC_*). @r is the calling vCPU's reader of
 * mmu->slots->srcu. Returns an enum tdp_fault_result; see there. Nothing
 * is left half done: a result other than TDP_FAULT_FIXED installed no
 * leaf (tables installed on the way stay, empty ones go with the next
 * zap that covers them).
 */
int tdp_mmu_page_fault(struct tdp_mmu *mmu, struct srcu_reader *r,
		       uint64_t gpa, unsigned int access);

/*
 * The same fault code under mmu_lock for write: the baseline that
 * bench_tdp_fault measures the read-mode design against.
 */
int tdp_mmu_page_fault_exclusive(struct tdp_mmu *mmu, struct srcu_reader *r,
				 uint64_t gpa, unsigned int access);

/*
 * Removes every leaf covering a gfn in [start, end) (a large leaf that
 * straddles the range goes whole), frees the tables left empty or
 * detached, flushes remote TLBs. On return no SPTE maps the range that
 * was mapped on entry and no vCPU can use such a mapping; faults that run
 * meanwhile may map it again (an invalidation prevents that).
 */
void tdp_mmu_zap_range(struct tdp_mmu *mmu, gfn_t start, gfn_t end);

/*
 * Invalidation around a memslot update that removes [start, end) from
 * the guest's memory map (delete, move, read-only). Begin: raises the
 * in-progress count, bumps the sequence and zaps the range, so that no
 * fault whose resolution may be stale installs a leaf until the matching
 * end. End: bumps the sequence, drops the count; call it once the new
 * memslot set is published and its old readers are gone. Pairs nest.
 */
void tdp_mmu_invalidate_begin(struct tdp_mmu *mmu, gfn_t start, gfn_t end);
void tdp_mmu_invalidate_end(struct tdp_mmu *mmu, gfn_t start, gfn_t end);

/*
 * Dirty logging: takes W away from every 4 KiB leaf in [gfn, gfn + n)
 * (the software write bits stay, see mm/spte.h) and zaps the large leaves
 * there (a logging slot maps 4 KiB only). Does not flush: returns true if
 * it changed a leaf, and the caller flushes remote TLBs before it relies
 * on the protection (memslots does, through the flush_tlbs hook, even
 * when this returns false: another sweep may have cleared W unflushed).
 * The next write to each page faults, is fixed by the fast path and
 * logged. Must be called after
 * the memslot set that turns logging on is published and the previous
 * set's readers are gone (memslots_commit() does): a fault holds its read
 * section until its leaf is installed.
 */
bool tdp_mmu_write_protect_range(struct tdp_mmu *mmu, gfn_t gfn, uint64_t n);

/*
 * Access tracking: marks every present leaf in [start, end) not-present
 * with its R/X saved (the fast path restores it on the next access), then
 * flushes remote TLBs. Returns how many leaves were present (accessed
 * since they were installed or last marked).
 */
uint64_t tdp_mmu_age_range(struct tdp_mmu *mmu, gfn_t start, gfn_t end);

/*
 * Software walk of the tree for @gpa exactly as the hardware would walk
 * it for @access: present bits, permissions ANDed over the levels (NPT:
 * US required, NX ORed), large leaves, reserved and misconfigured
 * encodings. Returns an enum tdp_xlate_result and fills @w.
 */
int tdp_mmu_walk(const struct tdp_mmu *mmu, uint64_t gpa, unsigned int access,
		 struct tdp_walk *w);

/* tdp_mmu_walk() reduced to the host address; *hpa set on TDP_XLATE_OK. */
int tdp_mmu_translate(const struct tdp_mmu *mmu, uint64_t gpa,
		      unsigned int access, paddr_t *hpa);

/*
 * Shadow-present leaves (access-tracked ones included) that cover a gfn
 * in [start, end). Takes mmu_lock for read. For the monitor and tests.
 */
uint64_t tdp_mmu_count_leaves(struct tdp_mmu *mmu, gfn_t start, gfn_t end);

/* Sum of the per-CPU counters; each may be a little stale. */
void tdp_mmu_stats_read(const struct tdp_mmu *mmu, struct tdp_mmu_stats *out);

/* gfns the tree can map: [0, tdp_mmu_gfn_limit()). */
static inline gfn_t tdp_mmu_gfn_limit(const struct tdp_mmu *mmu)
{
	return TDP_LEVEL_PAGES(mmu->levels) * SPTE_ENTRIES;
}

/* Hooks for struct vm_memslots (ctx = the struct tdp_mmu). */
extern const struct memslots_ops tdp_mmu_memslots_ops;

/* ------------------------------------------------------------------------
 * Shared by mm/tdp_mmu*.c only.
 */

#define tdp_mmu_stat_add(mmu, field, n)					\
	__atomic_fetch_add(&(mmu)->stats[smp_processor_id() %		\
					 TDP_MMU_STAT_SLOTS].s.field,	\
			   (uint64_t)(n), __ATOMIC_RELAXED)

/* Calls the remote TLB flush hook. No lock held. */
void tdp_mmu_flush_remote_tlbs(struct tdp_mmu *mmu);

/* Accounts a leaf taken out of the tree: @old is what the xchg returned. */
void tdp_mmu_account_zapped_leaf(struct tdp_mmu *mmu, uint64_t old);

#endif
