/*
 * SPTE encoding: the two-dimensional paging entries the TDP MMU writes,
 * behind one set of helpers.
 *
 * Runs anywhere; pure functions of their arguments, no locks, no state.
 * Which paging structures may be read or written, and how, is the caller's
 * business (mm/tdp_mmu.c); the loads and atomic updates of a live entry are
 * here so that every access to an SPTE is one of spte_read(),
 * spte_try_cmpxchg() and spte_xchg().
 *
 * Two hardware formats, one per vendor, picked per MMU by a pointer to a
 * struct spte_format (a table of masks, so the helpers compile to the same
 * branch-free code for both):
 *
 *   EPT (Intel SDM vol. 3C, "EPT Translation Mechanism"):
 *     0 R, 1 W, 2 X, 5:3 memory type (leaf), 6 ignore PAT (leaf),
 *     7 large page (PDPTE/PDE; reserved in the PML4E), 8 accessed,
 *     9 dirty (leaf), 10 user-mode execute (MBEC, unused here),
 *     51:12 address, 63 suppress #VE (unused here).
 *     An entry is present iff any of bits 2:0 is set.
 *   NPT (AMD APM vol. 2, long-mode page-table entries, used as is):
 *     0 P, 1 RW, 2 US, 3 PWT, 4 PCD, 5 A, 6 D (leaf), 7 PS
 *     (PDPE/PDE; reserved in the PML4E), 8 G, 11:9 available,
 *     51:12 address (bit 12 is PAT in a large leaf), 62:52 available,
 *     63 NX. Every nested access is a user access, so US is set at every
 *     level.
 *
 * Software bits, the same positions in both formats (bits no hardware
 * walk interprets, checked by the static_asserts below):
 *
 *   SPTE_MMU_PRESENT    bit 11: the entry is in use (a table or a leaf,
 *                       even one the hardware sees as not present because
 *                       it is marked for access tracking). 0 = empty.
 *   SPTE_HOST_WRITABLE  bit 52: the memslot allows guest writes to the
 *                       frame (not MEMSLOT_READONLY).
 *   SPTE_MMU_WRITABLE   bit 53: the MMU has not write-protected the gfn
 *                       for its own purposes (KVM's shadow-page
 *                       write-protection: a gfn whose writes must reach
 *                       the hypervisor, e.g. a shadowed page table).
 *   SPTE_SAVED_R/_X     bits 54, 55: R and X of a leaf marked for access
 *                       tracking (EPT R/X; NPT P; NPT keeps X in NX).
 *
 * As in KVM's fast page fault (Linux's Documentation/virt/kvm/locking.rst;
 * docs/races.md, "Fast path ABA on the frame"): a
 * leaf that is not writable may be made writable without mmu_lock, by a
 * cmpxchg that adds W (and D), only if SPTE_HOST_WRITABLE and
 * SPTE_MMU_WRITABLE are both set. So:
 *  - W alone is what dirty logging takes away (write-protection of a
 *    logging slot, and a read fault on one maps without W): the next
 *    write is a fast-path fault that adds W back and logs the gfn, which
 *    is the whole point of the fast path;
 *  - clearing a software bit takes write permission away for good, from
 *    the fast path too: SPTE_HOST_WRITABLE is never set for a read-only
 *    memslot; SPTE_MMU_WRITABLE is for write-tracking a gfn. This MMU maps
 *    guest-physical memory directly and shadows no guest page table, so
 *    nothing clears SPTE_MMU_WRITABLE today: it is set on every leaf of a
 *    writable slot, and the fast path checks it so that a write-tracking
 *    user needs no change there.
 * Since the cmpxchg compares the whole entry, a lockless fixer that read
 * the entry before a bit was cleared fails and re-reads.
 */
#ifndef MM_SPTE_H
#define MM_SPTE_H

#include "asm/atomic.h"
#include "core/lib/compiler.h"
#include "core/lib/platform.h"

/* ------------------------------------------------------------------------
 * Levels. Level 1 maps 4 KiB, 2 maps 2 MiB, 3 maps 1 GiB; 4 (and 5 for
 * 5-level paging) hold tables only.
 */
#define TDP_LEVEL_4K   1
#define TDP_LEVEL_2M   2
#define TDP_LEVEL_1G   3
#define TDP_LEVEL_512G 4
#define TDP_MAX_LEVELS 5

#define SPTE_ENTRIES    512
#define SPTE_LEVEL_BITS 9

/* 4 KiB frames covered by one entry of @level. */
#define TDP_LEVEL_PAGES(level) (1ull << (SPTE_LEVEL_BITS * ((level) - 1)))
/* Index into the table of @level of the entry that covers gfn. */
#define SPTE_INDEX(gfn, level) \
	((unsigned int)(((gfn) >> (SPTE_LEVEL_BITS * ((level) - 1))) & \
			(SPTE_ENTRIES - 1)))

/* ------------------------------------------------------------------------
 * Access kinds, as a fault reports them and a leaf grants them. The
 * values are the EPT R/W/X bit positions (which are also those of the EPT
 * violation exit qualification), asserted below.
 */
#define TDP_ACC_READ  BIT(0)
#define TDP_ACC_WRITE BIT(1)
#define TDP_ACC_EXEC  BIT(2)
#define TDP_ACC_ALL   (TDP_ACC_READ | TDP_ACC_WRITE | TDP_ACC_EXEC)

/* ------------------------------------------------------------------------
 * EPT entry bits.
 */
#define EPT_R              BIT_ULL(0)
#define EPT_W              BIT_ULL(1)
#define EPT_X              BIT_ULL(2)
#define EPT_RWX            (EPT_R | EPT_W | EPT_X)
#define EPT_MEMTYPE_SHIFT  3
#define EPT_MEMTYPE_MASK   GENMASK_ULL(5, 3)
#define EPT_MEMTYPE_UC     0ull
#define EPT_MEMTYPE_WC     1ull
#define EPT_MEMTYPE_WT     4ull
#define EPT_MEMTYPE_WP     5ull
#define EPT_MEMTYPE_WB     6ull
#define EPT_IGNORE_PAT     BIT_ULL(6)
#define EPT_LARGE          BIT_ULL(7)
#define EPT_ACCESSED       BIT_ULL(8)
#define EPT_DIRTY          BIT_ULL(9)
#define EPT_USER_EXEC      BIT_ULL(10)
#define EPT_SUPPRESS_VE    BIT_ULL(63)
/* Reserved in a PML4E and in a PDPTE/PDE that references a table. */
#define EPT_TABLE_RSVD_L4  GENMASK_ULL(7, 3)
#define EPT_TABLE_RSVD     GENMASK_ULL(6, 3)
/* Bits 63:57 have meanings under optional VM-execution controls. */
#define EPT_HW_DEFINED     (GENMASK_ULL(10, 0) | GENMASK_ULL(51, 12) | \
			    GENMASK_ULL(63, 57))

/* EPT pointer (VMCS field EPTP). */
#define EPTP_MEMTYPE_WB    6ull
#define EPTP_LEVELS_SHIFT  3
#define EPTP_AD_ENABLE     BIT_ULL(6)

/* ------------------------------------------------------------------------
 * NPT (long-mode page-table) entry bits.
 */
#define NPT_P              BIT_ULL(0)
#define NPT_RW             BIT_ULL(1)
#define NPT_US             BIT_ULL(2)
#define NPT_PWT            BIT_ULL(3)
#define NPT_PCD            BIT_ULL(4)
#define NPT_A              BIT_ULL(5)
#define NPT_D              BIT_ULL(6)
#define NPT_PS             BIT_ULL(7)
#define NPT_G              BIT_ULL(8)
#define NPT_LARGE_PAT      BIT_ULL(12)
#define NPT_NX             BIT_ULL(63)
/* Bits software may use: 11:9 and 62:52 (62:59 are protection keys in a
 * leaf when CR4.PKE is set, so they are left alone). */
#define NPT_AVAILABLE      (GENMASK_ULL(11, 9) | GENMASK_ULL(58, 52))

/* ------------------------------------------------------------------------
 * Common: address field and software bits.
 */
#define SPTE_ADDR_MASK     GENMASK_ULL(51, 12)

#define SPTE_MMU_PRESENT   BIT_ULL(11)
#define SPTE_HOST_WRITABLE BIT_ULL(52)
#define SPTE_MMU_WRITABLE  BIT_ULL(53)
#define SPTE_SAVED_R       BIT_ULL(54)
#define SPTE_SAVED_X       BIT_ULL(55)
#define SPTE_SAVED_MASK    (SPTE_SAVED_R | SPTE_SAVED_X)
#define SPTE_SW_MASK       (SPTE_MMU_PRESENT | SPTE_HOST_WRITABLE | \
			    SPTE_MMU_WRITABLE | SPTE_SAVED_MASK)

_Static_assert(TDP_ACC_READ == EPT_R && TDP_ACC_WRITE == EPT_W &&
	       TDP_ACC_EXEC == EPT_X,
	       "access kinds are the EPT permission bits");
_Static_assert(EPT_LARGE == 0x80 && EPT_ACCESSED == 0x100 &&
	       EPT_DIRTY == 0x200 && EPT_IGNORE_PAT == 0x40 &&
	       EPT_MEMTYPE_MASK == 0x38,
	       "EPT leaf layout (SDM table 'EPT PTE that maps a 4-KByte page')");
_Static_assert(NPT_A == 0x20 && NPT_D == 0x40 && NPT_PS == 0x80 &&
	       NPT_US == 0x4 && NPT_NX == 0x8000000000000000ull,
	       "long-mode page-table entry layout (APM vol. 2, 5.3.3)");
_Static_assert(SPTE_ADDR_MASK == 0x000ffffffffff000ull,
	       "52-bit physical address field");
_Static_assert((SPTE_SW_MASK & EPT_HW_DEFINED) == 0,
	       "software bits must be ignored by every EPT walk");
_Static_assert((SPTE_SW_MASK & ~NPT_AVAILABLE) == 0,
	       "software bits must be available bits of every NPT entry");
_Static_assert((SPTE_SW_MASK & SPTE_ADDR_MASK) == 0,
	       "software bits must not overlap the address");

/* ------------------------------------------------------------------------
 * Formats.
 */
enum spte_kind {
	SPTE_KIND_EPT,
	SPTE_KIND_NPT,
};

struct spte_format {
	const char *name;
	enum spte_kind kind;
	/* Any of these set: the hardware walks or uses the entry. */
	uint64_t present_mask;
	uint64_t read_mask;	/* EPT R; NPT P (present implies readable) */
	uint64_t write_mask;	/* EPT W; NPT RW */
	uint64_t exec_mask;	/* EPT X; 0 for NPT */
	uint64_t nx_mask;	/* NPT NX; 0 for EPT */
	uint64_t user_mask;	/* NPT US; 0 for EPT */
	uint64_t accessed_mask;
	uint64_t dirty_mask;
	uint64_t large_mask;	/* EPT bit 7 / NPT PS */
	/* Set in every entry that references a table. */
	uint64_t table_bits;
	/* Set in every leaf, besides permissions: memory type and the like. */
	uint64_t leaf_bits;
};

/* Defined in mm/tdp_mmu.c. */
extern const struct spte_format spte_format_ept;
extern const struct spte_format spte_format_npt;

/* ------------------------------------------------------------------------
 * Access to a live entry. Every SPTE the TDP MMU publishes may be read by
 * the hardware walker and by the lockless fast path at any time, and a
 * leaf may be changed by the fast path (cmpxchg) and by the hardware (A/D
 * assists) at any time: no plain read-modify-write of an SPTE, ever
 * (docs/races.md, "Lost dirty bit").
 */

/*
 * Acquire: pairs with the release in the cmpxchg that installed a table
 * (tdp_mmu_install_table()), so that a walker which finds a table entry
 * sees the zeroed contents of the table it references.
 */
static __always_inline uint64_t spte_read(const uint64_t *sptep)
{
	return smp_load_acquire(sptep);
}

/*
 * Replaces *sptep with new if it still holds *old. On failure *old is
 * updated with the value found. Full barrier either way.
 */
static __always_inline bool spte_try_cmpxchg(uint64_t *sptep, uint64_t *old,
					     uint64_t new)
{
	return atomic_try_cmpxchg(sptep, old, new);
}

/* Stores new and returns the entry it replaced, A/D bits included. */
static __always_inline uint64_t spte_xchg(uint64_t *sptep, uint64_t new)
{
	return atomic_xchg(sptep, new);
}

/* ------------------------------------------------------------------------
 * Predicates.
 */

/* The entry is in use: a table, a leaf, or a leaf marked for tracking. */
static __always_inline bool spte_is_shadow_present(uint64_t spte)
{
	return spte & SPTE_MMU_PRESENT;
}

/* The hardware walker uses the entry. */
static __always_inline bool spte_is_present(const struct spte_format *f,
					    uint64_t spte)
{
	return spte & f->present_mask;
}

/*
 * A shadow-present entry of @level maps memory (rather than referencing a
 * table). Meaningful for shadow-present entries only.
 */
static __always_inline bool spte_is_leaf(const struct spte_format *f,
					 uint64_t spte, int level)
{
	return level == TDP_LEVEL_4K || (spte & f->large_mask);
}

static __always_inline bool spte_is_writable(const struct spte_format *f,
					     uint64_t spte)
{
	return spte & f->write_mask;
}

static __always_inline bool spte_is_dirty(const struct spte_format *f,
					  uint64_t spte)
{
	return spte & f->dirty_mask;
}

static __always_inline bool spte_is_accessed(const struct spte_format *f,
					     uint64_t spte)
{
	return spte & f->accessed_mask;
}

/* A leaf the MMU made not-present to see whether it gets used again. */
static __always_inline bool spte_is_access_tracked(const struct spte_format *f,
						   uint64_t spte)
{
	return spte_is_shadow_present(spte) && !spte_is_present(f, spte);
}

/* The fast path may add W: both software write bits are set. */
static __always_inline bool spte_can_fast_write(uint64_t spte)
{
	return (spte & (SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE)) ==
	       (SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE);
}

/*
 * TDP_ACC_* this entry grants on its own (0 if the hardware does not use
 * it). NPT: P grants read, RW write, and everything but NX execute;
 * without US nothing is granted, nested accesses being user accesses.
 */
static __always_inline unsigned int spte_perms(const struct spte_format *f,
					       uint64_t spte)
{
	unsigned int p = 0;

	if (!spte_is_present(f, spte) || (spte & f->user_mask) != f->user_mask)
		return 0;
	if (spte & f->read_mask)
		p |= TDP_ACC_READ;
	if (spte & f->write_mask)
		p |= TDP_ACC_WRITE;
	if (f->exec_mask ? (spte & f->exec_mask) : !(spte & f->nx_mask))
		p |= TDP_ACC_EXEC;
	return p;
}

/* The leaf grants every kind in @access. */
static __always_inline bool spte_permits(const struct spte_format *f,
					 uint64_t spte, unsigned int access)
{
	return (access & ~spte_perms(f, spte)) == 0;
}

/* ------------------------------------------------------------------------
 * Addresses.
 */

/* Physical address held by a leaf of @level (low bits of a large leaf,
 * such as NPT's PAT bit, are not part of it). */
static __always_inline paddr_t spte_leaf_pa(uint64_t spte, int level)
{
	return spte & SPTE_ADDR_MASK &
	       ~((TDP_LEVEL_PAGES(level) << PAGE_SHIFT) - 1);
}

/* Physical address of the table an entry references. */
static __always_inline paddr_t spte_table_pa(uint64_t spte)
{
	return spte & SPTE_ADDR_MASK;
}

/* Frame number of a leaf of @level (its first 4 KiB frame). */
static __always_inline uint64_t spte_pfn(uint64_t spte, int level)
{
	return spte_leaf_pa(spte, level) >> PAGE_SHIFT;
}

/* ------------------------------------------------------------------------
 * Constructors.
 */

/* An entry of any non-leaf level that references the table at pa. */
static __always_inline uint64_t spte_make_table(const struct spte_format *f,
						paddr_t pa)
{
	return (pa & SPTE_ADDR_MASK) | f->table_bits | SPTE_MMU_PRESENT;
}

/*
 * A leaf of @level mapping pa (aligned to the level's size), granting
 * @perms (TDP_ACC_*, read included), with software bits @sw
 * (SPTE_HOST_WRITABLE, SPTE_MMU_WRITABLE) and the accessed bit set; the
 * dirty bit too if @dirty. Write access in @perms requires both software
 * bits: the fast path must be able to restore what this grants.
 */
static __always_inline uint64_t spte_make_leaf(const struct spte_format *f,
					       paddr_t pa, int level,
					       unsigned int perms, uint64_t sw,
					       bool dirty)
{
	uint64_t spte = (pa & SPTE_ADDR_MASK) | f->leaf_bits |
			f->accessed_mask | SPTE_MMU_PRESENT | sw;

	if (level > TDP_LEVEL_4K)
		spte |= f->large_mask;
	if (perms & TDP_ACC_READ)
		spte |= f->read_mask;
	if (perms & TDP_ACC_WRITE)
		spte |= f->write_mask;
	if (perms & TDP_ACC_EXEC)
		spte |= f->exec_mask;
	else
		spte |= f->nx_mask;
	if (dirty)
		spte |= f->dirty_mask;
	return spte;
}

/* ------------------------------------------------------------------------
 * Access tracking (KVM's locking.rst, "Lockless Access Tracking"): a leaf
 * is made not-present, its R and X saved in software bits, so that the
 * next access faults and the fast path can restore it with one cmpxchg.
 * W is not saved: the restore grants it only for a write access, through
 * the same rule as any fast write (both software write bits set), and
 * dirty logging sees that write. D is kept, so a dirty leaf stays dirty.
 */
static __always_inline uint64_t
spte_mark_for_access_track(const struct spte_format *f, uint64_t spte)
{
	uint64_t saved = 0;

	if (spte & f->read_mask)
		saved |= SPTE_SAVED_R;
	if (spte & f->exec_mask)
		saved |= SPTE_SAVED_X;
	spte &= ~(f->read_mask | f->write_mask | f->exec_mask |
		  f->accessed_mask | SPTE_SAVED_MASK);
	return spte | saved;
}

/* The leaf as it was before marking, less W, with the accessed bit set. */
static __always_inline uint64_t
spte_restore_access_track(const struct spte_format *f, uint64_t spte)
{
	uint64_t restored = f->accessed_mask;

	if (spte & SPTE_SAVED_R)
		restored |= f->read_mask;
	if (spte & SPTE_SAVED_X)
		restored |= f->exec_mask;
	return (spte & ~SPTE_SAVED_MASK) | restored;
}

/* ------------------------------------------------------------------------
 * Root pointers for the VMCS / VMCB.
 */

/* EPTP for a root table at pa walked with @levels levels (4 or 5). */
static inline uint64_t spte_ept_pointer(paddr_t root_pa, int levels, bool ad)
{
	return (root_pa & SPTE_ADDR_MASK) | EPTP_MEMTYPE_WB |
	       ((uint64_t)(levels - 1) << EPTP_LEVELS_SHIFT) |
	       (ad ? EPTP_AD_ENABLE : 0);
}

#endif
