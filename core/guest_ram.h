/*
 * The guest RAM layout of every VM, computed once at build time
 * (core/vm_build.c) and handed to whatever needs to know where RAM is:
 * the memslots, RAM zeroed on first touch (core/ram_zero.c), the e820
 * map of the Linux loader and the CMOS memory bytes of the RTC. RAM
 * fills guest-physical addresses from 0 up to GUEST_RAM_LOW_MAX; the
 * rest sits at 4 GiB, above the hole where the PC's MMIO lives. The
 * host keeps it in one piece: RAM offset 0 .. low at 0, low .. low +
 * high at high_base.
 *
 * Plain data: any CPU, no lock.
 */
#ifndef CORE_GUEST_RAM_H
#define CORE_GUEST_RAM_H

#include "core/lib/compiler.h"

#define GUEST_RAM_LOW_MAX   (3ull << 30)	/* RAM above this goes above 4 GiB */
#define GUEST_RAM_HIGH_BASE (4ull << 30)

struct guest_ram_layout {
	uint64_t low;		/* bytes at guest-physical 0 */
	uint64_t high_base;	/* guest-physical start of the rest; the hole ends here */
	uint64_t high;		/* bytes at high_base (0: none) */
};

/* The layout of bytes of RAM: as much as fits below the hole, the rest high. */
static inline struct guest_ram_layout guest_ram_layout_for(uint64_t bytes)
{
	uint64_t low = MIN(bytes, GUEST_RAM_LOW_MAX);

	return (struct guest_ram_layout){
		.low = low, .high_base = GUEST_RAM_HIGH_BASE, .high = bytes - low,
	};
}

static inline uint64_t guest_ram_bytes(const struct guest_ram_layout *l)
{
	return l->low + l->high;
}

/* The RAM offset (host side) of gpa, or false if gpa is not RAM. */
static inline bool guest_ram_offset(const struct guest_ram_layout *l, uint64_t gpa,
				    uint64_t *off)
{
	if (gpa < l->low) {
		*off = gpa;
		return true;
	}
	if (gpa >= l->high_base && gpa - l->high_base < l->high) {
		*off = l->low + (gpa - l->high_base);
		return true;
	}
	return false;
}

#endif
