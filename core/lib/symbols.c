/*
 * Symbol lookup over the table that scripts/gensyms.sh generates from the
 * first link of the image. Offsets are relative to _text so the table is
 * right wherever the image was loaded (UEFI relocates it).
 * Runs anywhere, lock-free (the table is read-only).
 */
#include "core/lib/symbols.h"

struct symbol_entry {
	uint32_t offset;	/* from _text */
	uint32_t size;
	uint32_t name;		/* offset in hv_symtab_names */
};

extern const uint32_t hv_symtab_count;
extern const struct symbol_entry hv_symtab[];
extern const char hv_symtab_names[];
extern const char _text[];

const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size)
{
	uint64_t base = (uint64_t)_text;
	uint32_t lo = 0, hi = hv_symtab_count;
	uint64_t rel;

	if (addr < base || addr - base > 0xffffffffull || hi == 0)
		return NULL;
	rel = addr - base;
	/* Last entry with offset <= rel. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (hv_symtab[mid].offset <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (hv_symtab[lo].offset > rel)
		return NULL;
	if (hv_symtab[lo].size && rel - hv_symtab[lo].offset >= hv_symtab[lo].size)
		return NULL;
	*offset = rel - hv_symtab[lo].offset;
	*size = hv_symtab[lo].size;
	return &hv_symtab_names[hv_symtab[lo].name];
}
