/*
 * The memory map of the virtual PC (see core/pc/memmap.h): what its
 * firmware leaves below 1 MiB, and where its unbacked regions are.
 * Pure functions: any context, no lock.
 */
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/pc/memmap.h"

static void pc_memmap_put16(uint8_t *low, uint64_t off, uint16_t val)
{
	low[off] = (uint8_t)val;
	low[off + 1] = (uint8_t)(val >> 8);
}

void pc_memmap_fill_low(uint8_t *low, struct pc_region *ranges)
{
	static const uint16_t com[4] = { PC_COM1_BASE, PC_COM2_BASE, 0, 0 };

	for (unsigned int i = 0; i < ARRAY_SIZE(com); i++)
		pc_memmap_put16(low, PC_BDA_COM_PORTS + 2 * i, com[i]);
	pc_memmap_put16(low, PC_BDA_EBDA_SEG, (uint16_t)(PC_EBDA_START >> 4));
	pc_memmap_put16(low, PC_BDA_EQUIPMENT, PC_EQUIPMENT_WORD);
	pc_memmap_put16(low, PC_BDA_BASE_MEM_KIB, (uint16_t)(PC_EBDA_START >> 10));
	/* The EBDA's first word: its size in KiB. */
	pc_memmap_put16(low, PC_EBDA_START, (uint16_t)((PC_EBDA_END - PC_EBDA_START) >> 10));
	memset(low + PC_ROM_START, 0xff, PC_ROM_END - PC_ROM_START);
	if (ranges) {
		ranges[0] = (struct pc_region){ PC_BDA_COM_PORTS, PC_BDA_BASE_MEM_KIB + 2 };
		ranges[1] = (struct pc_region){ PC_EBDA_START, PC_EBDA_START + 2 };
		ranges[2] = (struct pc_region){ PC_ROM_START, PC_ROM_END };
	}
}

int pc_memmap_unbacked(const struct guest_ram_layout *l, uint64_t gpa, struct pc_region *r)
{
	/* What is backed, in address order; the gaps are the regions. */
	const struct pc_region backed[] = {
		{ 0, l->low },
		{ PC_IOAPIC_BASE, PC_IOAPIC_BASE + PC_APIC_SIZE },
		{ PC_LAPIC_BASE, PC_LAPIC_BASE + PC_APIC_SIZE },
		{ l->high_base, l->high_base + l->high },
		{ PC_MEMMAP_GPA_LIMIT, PC_MEMMAP_GPA_LIMIT },
	};
	uint64_t pos = 0;
	int idx = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(backed); i++) {
		if (backed[i].start > pos) {
			if (gpa >= pos && gpa < backed[i].start) {
				*r = (struct pc_region){ pos, backed[i].start };
				return idx;
			}
			idx++;
		}
		if (gpa >= backed[i].start && gpa < backed[i].end)
			return -1;
		pos = MAX(pos, backed[i].end);
	}
	return -1;
}

const char *pc_memmap_unbacked_msg(char *buf, size_t size, const char *vm, uint64_t gpa,
				   bool write, const struct pc_region *r)
{
	hv_snprintf(buf, size,
		    "vm %s: unbacked guest-physical %#llx (%s); further accesses to [%#llx, %#llx) are not logged",
		    vm, (unsigned long long)gpa, write ? "write, dropped" : "read, all ones",
		    (unsigned long long)r->start, (unsigned long long)r->end);
	return buf;
}
