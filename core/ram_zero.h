/*
 * Guest RAM zeroed on first touch. A new VM's RAM comes from frames that
 * may hold anything (an earlier VM, the firmware); the guest must find it
 * zeroed, but zeroing it all before the boot costs time proportional to
 * the RAM (0.5 s per 256 MiB under QEMU TCG) for memory a booting guest
 * mostly never touches. So RAM is cut into chunks of the largest TDP leaf
 * size, and a chunk is zeroed the first time anything reaches it: a TDP
 * fault (before the fault maps it: no guest access can precede the zeroing,
 * since a chunk has no TDP mapping until a fault installs one) or the
 * hypervisor's own access to guest memory (core/guest_mem.c).
 *
 * Chunk states go DIRTY -> ZEROING -> ZEROED, the first step by one CPU's
 * cmpxchg; others that touch a ZEROING chunk wait for ZEROED (acquire,
 * pairing with the zeroing CPU's release). Any CPU, no lock.
 */
#ifndef CORE_RAM_ZERO_H
#define CORE_RAM_ZERO_H

#include "core/guest_ram.h"

enum ram_zero_state {
	RAM_CHUNK_DIRTY,
	RAM_CHUNK_ZEROING,
	RAM_CHUNK_ZEROED,
};

struct ram_zero {
	/* Fixed at ram_zero_init(). */
	uint8_t *host;		/* host view of RAM offset 0 */
	struct guest_ram_layout layout;
	uint64_t size;		/* all bytes: layout.low + layout.high */
	unsigned int shift;	/* a chunk is 1 << shift bytes */
	uint64_t nr_chunks;
	uint8_t *state;		/* enum ram_zero_state per chunk, atomics */
};

/* A range already written (kernel, initrd): kept, the rest of its chunks zeroed. */
struct ram_zero_range {
	uint64_t gpa, len;
};

/* Bytes of state array for size bytes of RAM in chunks of 1 << shift. */
static inline uint64_t ram_zero_state_bytes(uint64_t size, unsigned int shift)
{
	return (size + (1ull << shift) - 1) >> shift;
}

/*
 * Sets z up over RAM at host, laid out in the guest as layout says, with
 * every chunk DIRTY; state has ram_zero_state_bytes() bytes for the
 * layout's bytes. layout->low is a multiple of the chunk size. Before any
 * vCPU runs (again for a VM rebuilt over the same RAM).
 */
void ram_zero_init(struct ram_zero *z, void *host, const struct guest_ram_layout *layout,
		   unsigned int shift, uint8_t *state);

/*
 * Zeroes the chunks of [gpa, gpa + len) that are still DIRTY, waiting for
 * any another CPU is zeroing; addresses outside RAM are ignored. On
 * return every byte of the range that is RAM may be used.
 */
void ram_zero_touch(struct ram_zero *z, uint64_t gpa, uint64_t len);

/*
 * The loader's side, before any vCPU runs: ranges (sorted, disjoint, in
 * RAM) hold data already; every chunk they touch gets the rest of its
 * bytes zeroed and is marked ZEROED.
 */
void ram_zero_keep(struct ram_zero *z, const struct ram_zero_range *ranges, unsigned int n);

#endif
