/*
 * The guest's page walk, in software: what the CPU does to turn a linear
 * address into a guest-physical one through the guest's own page tables,
 * level by level, under any of the x86 paging modes (32-bit with 4 MiB
 * pages per CR4.PSE, PAE, 4-level and 5-level per CR4.LA57), large pages,
 * NX per EFER.NXE, and the reserved bits that make the CPU stop with a
 * #PF(RSVD). Every entry read is kept, so that a caller can show the whole
 * path (the monitor's `walk`) or just use the result (`vmem`, a debugger's
 * access by virtual address).
 *
 * Pure: the tables are read through the caller's callback, which decides
 * what "guest-physical" means (memslots inside a read section, a test's
 * array); no lock, no state, any context the callback allows. Accessed
 * and dirty bits are never set: a walk for inspection leaves the guest's
 * tables as they are.
 */
#ifndef CORE_GUEST_WALK_H
#define CORE_GUEST_WALK_H

#include "core/lib/compiler.h"

#define GUEST_WALK_MAX_LEVELS 5

/* Guest page-table entry bits (the same positions in every mode). */
#define GPTE_P        BIT_ULL(0)
#define GPTE_RW       BIT_ULL(1)
#define GPTE_US       BIT_ULL(2)
#define GPTE_PWT      BIT_ULL(3)
#define GPTE_PCD      BIT_ULL(4)
#define GPTE_A        BIT_ULL(5)
#define GPTE_D        BIT_ULL(6)
#define GPTE_PS       BIT_ULL(7)
#define GPTE_G        BIT_ULL(8)
#define GPTE_LARGE_PAT BIT_ULL(12)
#define GPTE_NX       BIT_ULL(63)

enum guest_paging {
	GUEST_PAGING_NONE,	/* CR0.PG = 0: linear = physical */
	GUEST_PAGING_32,	/* 2 levels of 4-byte entries */
	GUEST_PAGING_PAE,	/* 3 levels, the top one 4 PDPTEs */
	GUEST_PAGING_4LEVEL,
	GUEST_PAGING_5LEVEL,
};

enum guest_walk_result {
	GUEST_WALK_OK,
	GUEST_WALK_NOT_PRESENT,	/* an entry has P = 0 */
	GUEST_WALK_RESERVED,	/* an entry has a reserved bit set */
	GUEST_WALK_UNREADABLE,	/* an entry lies outside guest RAM */
	GUEST_WALK_BAD_ADDRESS,	/* not canonical, or past 32 bits */
};

/* The registers that pick the mode and the root. */
struct guest_walk_regs {
	uint64_t cr0, cr3, cr4, efer;
	unsigned int maxphyaddr;	/* the guest's; 0: 52 */
};

/*
 * Reads len (4 or 8) bytes of guest-physical memory at gpa into buf.
 * Returns 0, or non-zero if gpa is not readable RAM.
 */
typedef int (*guest_walk_read_fn)(void *ctx, uint64_t gpa, void *buf, unsigned int len);

/* One entry of the path, top level first. */
struct guest_walk_step {
	unsigned int level;	/* 5 PML5E ... 1 PTE; 32-bit: 2 PDE, 1 PTE */
	unsigned int index;	/* in its table */
	uint64_t entry_gpa;	/* where the entry lives */
	uint64_t entry;		/* its value (0 if unreadable) */
	bool leaf;		/* maps the page (PTE, or PS set where allowed) */
	uint64_t rsvd;		/* reserved bits found set in it */
};

struct guest_walk {
	enum guest_paging mode;
	enum guest_walk_result result;
	unsigned int nr_steps;	/* entries read, the failing one included */
	struct guest_walk_step steps[GUEST_WALK_MAX_LEVELS];
	/* GUEST_WALK_OK: */
	uint64_t gpa;
	uint64_t page_size;	/* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	bool writable;		/* RW at every level */
	bool user;		/* US at every level */
	bool executable;	/* no NX on the path (or NXE off) */
};

/* The mode regs select. */
enum guest_paging guest_paging_mode(const struct guest_walk_regs *regs);

/*
 * Walks the guest's tables for gva (a linear address). Returns w->result
 * and fills *w: the steps read, and on GUEST_WALK_OK the address and the
 * effective permissions. Without paging, gpa = gva (zero steps).
 */
enum guest_walk_result guest_walk(const struct guest_walk_regs *regs, uint64_t gva,
				  guest_walk_read_fn read, void *ctx, struct guest_walk *w);

/* "4-level", "not present", ...; the entry name at a level ("PDE"). */
const char *guest_paging_name(enum guest_paging mode);
const char *guest_walk_result_name(enum guest_walk_result r);
const char *guest_walk_level_name(enum guest_paging mode, unsigned int level);

/*
 * Address an entry points to: the next table, or the page it maps (a
 * large page's base, with the PSE-36 bits of a 4 MiB PDE).
 */
uint64_t guest_walk_entry_addr(enum guest_paging mode, const struct guest_walk_step *s);

/*
 * The entry's bits decoded into buf: "P RW US A PS NX addr 0x1234000",
 * NUL-terminated, cut to size. Returns buf.
 */
const char *guest_walk_entry_str(enum guest_paging mode, const struct guest_walk_step *s,
				 char *buf, size_t size);

#endif
