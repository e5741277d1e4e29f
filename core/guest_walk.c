/*
 * The guest's page walk in software (see core/guest_walk.h): Intel SDM
 * vol. 3A chapter 4 and AMD APM vol. 2 chapter 5, reserved bits included.
 * Pure; any context the caller's read callback allows.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/guest_walk.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define GPTE_ADDR_MASK   GENMASK_ULL(51, 12)
#define GPTE32_ADDR_MASK 0xfffff000ull
#define GPTE32_4M_MASK   0xffc00000ull
#define GPTE32_PSE36     GENMASK_ULL(20, 13)	/* address bits 39:32 of a 4 MiB page */
#define GPTE32_4M_RSVD   BIT_ULL(21)
/* PAE PDPTE: bits 2:1 and 8:5 are reserved. */
#define PDPTE_PAE_RSVD   (GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))
#define LARGE_2M_RSVD    GENMASK_ULL(20, 13)
#define LARGE_1G_RSVD    GENMASK_ULL(29, 13)

enum guest_paging guest_paging_mode(const struct guest_walk_regs *r)
{
	if (!(r->cr0 & X86_CR0_PG))
		return GUEST_PAGING_NONE;
	if (!(r->cr4 & X86_CR4_PAE))
		return GUEST_PAGING_32;
	if (!(r->efer & EFER_LMA))
		return GUEST_PAGING_PAE;
	return (r->cr4 & X86_CR4_LA57) ? GUEST_PAGING_5LEVEL : GUEST_PAGING_4LEVEL;
}

const char *guest_paging_name(enum guest_paging mode)
{
	switch (mode) {
	case GUEST_PAGING_NONE:   return "no paging";
	case GUEST_PAGING_32:     return "32-bit";
	case GUEST_PAGING_PAE:    return "PAE";
	case GUEST_PAGING_4LEVEL: return "4-level";
	case GUEST_PAGING_5LEVEL: return "5-level";
	}
	return "?";
}

const char *guest_walk_result_name(enum guest_walk_result r)
{
	switch (r) {
	case GUEST_WALK_OK:          return "ok";
	case GUEST_WALK_NOT_PRESENT: return "not present";
	case GUEST_WALK_RESERVED:    return "reserved bit set";
	case GUEST_WALK_UNREADABLE:  return "entry outside guest RAM";
	case GUEST_WALK_BAD_ADDRESS: return "address not canonical for the mode";
	}
	return "?";
}

const char *guest_walk_level_name(enum guest_paging mode, unsigned int level)
{
	static const char *const names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

	if (mode == GUEST_PAGING_32 && level > 2)
		return "?";
	return level < ARRAY_SIZE(names) ? names[level] : "?";
}

/* Levels of the mode, and the top one's index width and entry size. */
static unsigned int walk_levels(enum guest_paging mode)
{
	switch (mode) {
	case GUEST_PAGING_32:     return 2;
	case GUEST_PAGING_PAE:    return 3;
	case GUEST_PAGING_4LEVEL: return 4;
	case GUEST_PAGING_5LEVEL: return 5;
	default:                  return 0;
	}
}

/* Index of the entry for gva in the table of level. */
static unsigned int walk_index(enum guest_paging mode, uint64_t gva, unsigned int level)
{
	if (mode == GUEST_PAGING_32)
		return (unsigned int)(gva >> (12 + 10 * (level - 1))) & 0x3ff;
	if (mode == GUEST_PAGING_PAE && level == 3)
		return (unsigned int)(gva >> 30) & 3;
	return (unsigned int)(gva >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* Whether gva is a valid linear address for the mode. */
static bool walk_address_ok(enum guest_paging mode, uint64_t gva)
{
	unsigned int bits;

	switch (mode) {
	case GUEST_PAGING_NONE:
	case GUEST_PAGING_32:
	case GUEST_PAGING_PAE:
		return gva <= 0xffffffffull;
	case GUEST_PAGING_4LEVEL:
		bits = 48;
		break;
	default:
		bits = 57;
		break;
	}
	return (uint64_t)((int64_t)(gva << (64 - bits)) >> (64 - bits)) == gva;
}

/* Bits above MAXPHYADDR (up to 51), reserved in every entry of PAE and up. */
static uint64_t walk_phys_rsvd(const struct guest_walk_regs *r)
{
	unsigned int m = r->maxphyaddr ? r->maxphyaddr : 52;

	return m >= 52 ? 0 : GENMASK_ULL(51, m);
}

/* Does the entry map the page (PS where the mode allows it, or a PTE)? */
static bool walk_is_leaf(const struct guest_walk_regs *r, enum guest_paging mode,
			 unsigned int level, uint64_t e)
{
	if (level == 1)
		return true;
	if (!(e & GPTE_PS))
		return false;
	switch (mode) {
	case GUEST_PAGING_32:
		return level == 2 && (r->cr4 & X86_CR4_PSE);
	case GUEST_PAGING_PAE:
		return level == 2;
	default:
		return level <= 3;
	}
}

/* Reserved bits set in entry e of level (SDM 4.3-4.5, "reserved bit" tables). */
static uint64_t walk_rsvd(const struct guest_walk_regs *r, enum guest_paging mode,
			  unsigned int level, uint64_t e, bool leaf)
{
	uint64_t rsvd = walk_phys_rsvd(r);
	unsigned int m = r->maxphyaddr ? r->maxphyaddr : 52;

	if (mode == GUEST_PAGING_32) {
		if (!leaf || level != 2)
			return 0;
		/* 4 MiB page: bit 21, and PSE-36 bits above MAXPHYADDR. */
		rsvd = GPTE32_4M_RSVD;
		if (m < 40)
			rsvd |= GENMASK_ULL(20, 13 + (m - 32));
		return e & rsvd;
	}
	if (!(r->efer & EFER_NXE))
		rsvd |= GPTE_NX;
	if (mode == GUEST_PAGING_PAE && level == 3)
		rsvd |= PDPTE_PAE_RSVD | GPTE_NX | GENMASK_ULL(62, 52);
	else if (level >= 4)
		rsvd |= GPTE_PS;
	if (leaf && level == 2)
		rsvd |= LARGE_2M_RSVD;
	if (leaf && level == 3)
		rsvd |= LARGE_1G_RSVD;
	return e & rsvd;
}

uint64_t guest_walk_entry_addr(enum guest_paging mode, const struct guest_walk_step *s)
{
	uint64_t e = s->entry;

	if (mode == GUEST_PAGING_32) {
		if (s->leaf && s->level == 2)
			return (e & GPTE32_4M_MASK) | (((e & GPTE32_PSE36) >> 13) << 32);
		return e & GPTE32_ADDR_MASK;
	}
	if (s->leaf && s->level == 2)
		return e & GENMASK_ULL(51, 21);
	if (s->leaf && s->level == 3)
		return e & GENMASK_ULL(51, 30);
	return e & GPTE_ADDR_MASK;
}

static uint64_t walk_page_size(enum guest_paging mode, unsigned int level)
{
	if (level == 1)
		return 1ull << 12;
	if (level == 2)
		return mode == GUEST_PAGING_32 ? 1ull << 22 : 1ull << 21;
	return 1ull << 30;
}

enum guest_walk_result guest_walk(const struct guest_walk_regs *regs, uint64_t gva,
				  guest_walk_read_fn read, void *ctx, struct guest_walk *w)
{
	enum guest_paging mode = guest_paging_mode(regs);
	unsigned int levels = walk_levels(mode);
	bool pae_top = mode == GUEST_PAGING_PAE;
	uint64_t table;

	memset(w, 0, sizeof(*w));
	w->mode = mode;
	w->writable = w->user = w->executable = true;
	if (!walk_address_ok(mode, gva))
		return w->result = GUEST_WALK_BAD_ADDRESS;
	if (mode == GUEST_PAGING_NONE) {
		w->gpa = gva;
		w->page_size = 1ull << 12;
		return w->result = GUEST_WALK_OK;
	}
	if (mode == GUEST_PAGING_32)
		table = regs->cr3 & GPTE32_ADDR_MASK;
	else if (pae_top)
		table = regs->cr3 & 0xffffffe0ull;	/* 32-byte aligned PDPT */
	else
		table = regs->cr3 & GPTE_ADDR_MASK;

	for (unsigned int level = levels; level >= 1; level--) {
		struct guest_walk_step *s = &w->steps[w->nr_steps++];
		unsigned int size = mode == GUEST_PAGING_32 ? 4 : 8;
		uint32_t e32 = 0;

		s->level = level;
		s->index = walk_index(mode, gva, level);
		s->entry_gpa = table + (uint64_t)s->index * size;
		if (size == 4) {
			if (read(ctx, s->entry_gpa, &e32, 4))
				return w->result = GUEST_WALK_UNREADABLE;
			s->entry = e32;
		} else if (read(ctx, s->entry_gpa, &s->entry, 8)) {
			s->entry = 0;
			return w->result = GUEST_WALK_UNREADABLE;
		}
		if (!(s->entry & GPTE_P))
			return w->result = GUEST_WALK_NOT_PRESENT;
		s->leaf = walk_is_leaf(regs, mode, level, s->entry);
		s->rsvd = walk_rsvd(regs, mode, level, s->entry, s->leaf);
		if (s->rsvd)
			return w->result = GUEST_WALK_RESERVED;
		/* A PAE PDPTE has no RW, US or NX: it restricts nothing. */
		if (!(pae_top && level == 3)) {
			w->writable &= !!(s->entry & GPTE_RW);
			w->user &= !!(s->entry & GPTE_US);
			if ((regs->efer & EFER_NXE) && mode != GUEST_PAGING_32)
				w->executable &= !(s->entry & GPTE_NX);
		}
		table = guest_walk_entry_addr(mode, s);
		if (s->leaf) {
			w->page_size = walk_page_size(mode, level);
			w->gpa = table + (gva & (w->page_size - 1));
			return w->result = GUEST_WALK_OK;
		}
	}
	return w->result = GUEST_WALK_NOT_PRESENT;	/* not reached: level 1 is a leaf */
}

const char *guest_walk_entry_str(enum guest_paging mode, const struct guest_walk_step *s,
				 char *buf, size_t size)
{
	static const struct { uint64_t bit; const char *name; } bits[] = {
		{ GPTE_P, "P" }, { GPTE_RW, "RW" }, { GPTE_US, "US" }, { GPTE_PWT, "PWT" },
		{ GPTE_PCD, "PCD" }, { GPTE_A, "A" }, { GPTE_D, "D" }, { GPTE_PS, "PS" },
		{ GPTE_G, "G" }, { GPTE_NX, "NX" },
	};
	size_t len = 0;

	buf[0] = '\0';
	if (!(s->entry & GPTE_P)) {
		hv_snprintf(buf, size, "not present");
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bits) && len < size; i++)
		if (s->entry & bits[i].bit)
			len += (size_t)hv_snprintf(buf + len, size - len, "%s%s",
						   len ? " " : "", bits[i].name);
	if (len < size)
		len += (size_t)hv_snprintf(buf + len, size - len, "%s%s %#llx", len ? " " : "",
					   s->leaf ? "page" : "table",
					   (unsigned long long)guest_walk_entry_addr(mode, s));
	if (s->rsvd && len < size)
		hv_snprintf(buf + len, size - len, " reserved %#llx", (unsigned long long)s->rsvd);
	return buf;
}
