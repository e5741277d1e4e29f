/*
 * Guest RAM zeroed on first touch (see core/ram_zero.h). Any CPU, no lock.
 */
#include "core/lib/platform.h"
#include "core/ram_zero.h"
#include "core/lib/string.h"

void ram_zero_init(struct ram_zero *z, void *host, const struct guest_ram_layout *layout,
		   unsigned int shift, uint8_t *state)
{
	z->host = host;
	z->layout = *layout;
	z->size = guest_ram_bytes(layout);
	z->shift = shift;
	z->nr_chunks = ram_zero_state_bytes(z->size, shift);
	z->state = state;
	memset(state, RAM_CHUNK_DIRTY, z->nr_chunks);
}

static void ram_zero_chunk(struct ram_zero *z, uint64_t c)
{
	uint8_t expect = RAM_CHUNK_DIRTY;
	uint64_t bytes = 1ull << z->shift;

	/* Acquire pairs with the release below, on the CPU that zeroed it. */
	if (__atomic_load_n(&z->state[c], __ATOMIC_ACQUIRE) == RAM_CHUNK_ZEROED)
		return;
	if (__atomic_compare_exchange_n(&z->state[c], &expect, RAM_CHUNK_ZEROING, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		memset(z->host + (c << z->shift), 0, MIN(bytes, z->size - (c << z->shift)));
		/* The zeros before the state: a CPU that sees ZEROED sees them. */
		__atomic_store_n(&z->state[c], RAM_CHUNK_ZEROED, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&z->state[c], __ATOMIC_ACQUIRE) != RAM_CHUNK_ZEROED)
		platform_wait_contended(0);
}

void ram_zero_touch(struct ram_zero *z, uint64_t gpa, uint64_t len)
{
	uint64_t off, end = gpa + len;

	while (gpa < end) {
		uint64_t c, next;

		if (!guest_ram_offset(&z->layout, gpa, &off)) {
			/* Not RAM: skip to where RAM might begin again. */
			if (gpa < z->layout.high_base && end > z->layout.high_base)
				gpa = z->layout.high_base;
			else
				return;
			continue;
		}
		c = off >> z->shift;
		ram_zero_chunk(z, c);
		next = (gpa | ((1ull << z->shift) - 1)) + 1;	/* next chunk boundary */
		if (next <= gpa)
			return;		/* wrapped */
		gpa = next;
	}
}

void ram_zero_keep(struct ram_zero *z, const struct ram_zero_range *ranges, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t first = ranges[i].gpa >> z->shift;
		uint64_t last = (ranges[i].gpa + ranges[i].len - 1) >> z->shift;

		for (uint64_t c = first; c <= last && c < z->nr_chunks; c++) {
			uint64_t pos = c << z->shift, stop = MIN(pos + (1ull << z->shift), z->size);

			if (z->state[c] == RAM_CHUNK_ZEROED)
				continue;
			/* Zero the gaps between the ranges inside this chunk. */
			for (unsigned int j = 0; j < n && pos < stop; j++) {
				uint64_t rs = ranges[j].gpa, re = rs + ranges[j].len;

				if (re <= pos || rs >= stop)
					continue;
				if (rs > pos)
					memset(z->host + pos, 0, rs - pos);
				pos = MAX(pos, re);
			}
			if (pos < stop)
				memset(z->host + pos, 0, stop - pos);
			z->state[c] = RAM_CHUNK_ZEROED;
		}
	}
}
