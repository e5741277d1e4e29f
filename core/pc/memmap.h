/*
 * The guest-physical memory map of every virtual PC, decided once
 * (docs/platform.md, "Memory map"):
 *
 *   0 - 0x9fc00          RAM; the BIOS data area at 0x400 (COM ports,
 *                        EBDA segment, equipment word, base memory)
 *   0x9fc00 - 0xa0000    the EBDA (RAM, reserved in the e820 map)
 *   0xa0000 - 0xc0000    the VGA window: plain RAM, text at 0xb8000
 *   0xc0000 - 0x100000   ROM: a read-only memslot, 0xff where nothing is,
 *                        the ACPI tables from 0xe0000; writes are dropped
 *   0x100000 - low       RAM
 *   0xfec00000, 0xfee00000  the IOAPIC and local APIC pages
 *   high_base - ...      RAM above 4 GiB
 *
 * Everything else is unbacked: reads return all ones and writes are
 * dropped (open bus), one log line per VM and region, unless the VM's
 * configuration asks for the stop (`unbacked=stop`).
 *
 * Pure functions of their arguments, any context; pc_memmap_note_once()
 * is an atomic.
 */
#ifndef CORE_PC_MEMMAP_H
#define CORE_PC_MEMMAP_H

#include "core/guest_ram.h"
#include "core/pc/machine.h"

/* The BIOS data area's words a kernel reads (offsets from 0). */
#define PC_BDA_COM_PORTS	0x400	/* four words: COM1-COM4 base ports */
#define PC_BDA_EBDA_SEG		0x40e	/* segment of the EBDA */
#define PC_BDA_EQUIPMENT	0x410	/* the equipment word (INT 11h) */
#define PC_BDA_BASE_MEM_KIB	0x413	/* KiB of base memory (INT 12h) */

/* Equipment word bits, as a PC BIOS reports them. */
#define PC_EQUIP_FPU		BIT(1)
#define PC_EQUIP_VIDEO_80X25	(2u << 4)	/* initial video mode: 80x25 colour */
#define PC_EQUIP_SERIAL_SHIFT	9		/* bits 11:9: number of serial ports */
#define PC_EQUIP_SERIAL_PORTS	2
/* No diskette (bit 0 clear), no printer: an FPU, colour text, two COM ports. */
#define PC_EQUIPMENT_WORD	(PC_EQUIP_FPU | PC_EQUIP_VIDEO_80X25 | \
				 (PC_EQUIP_SERIAL_PORTS << PC_EQUIP_SERIAL_SHIFT))

/* The ranges pc_memmap_fill_low() writes, sorted (for ram_zero_keep()). */
#define PC_MEMMAP_FILLED 3

/* Unbacked regions: the gaps between RAM, ROM and the device pages. */
#define PC_MEMMAP_UNBACKED_MAX	4
#define PC_MEMMAP_GPA_LIMIT	(1ull << 52)
/* The index pc_memmap_note_once() takes for the ROM's dropped writes. */
#define PC_MEMMAP_ROM_REGION	PC_MEMMAP_UNBACKED_MAX

struct pc_region {
	uint64_t start, end;	/* [start, end) */
};

/*
 * Writes what a PC's firmware leaves below 1 MiB into low, the host view
 * of guest-physical 0 .. PC_ROM_END: the BIOS data area's words above,
 * the EBDA's size word, and 0xff over the ROM range (the ACPI tables go
 * on top afterwards). Touches nothing else. ranges (if not NULL) gets
 * the PC_MEMMAP_FILLED ranges written, in address order.
 */
void pc_memmap_fill_low(uint8_t *low, struct pc_region *ranges);

/*
 * The unbacked region of a PC with RAM laid out as l that holds gpa: its
 * index (0 .. PC_MEMMAP_UNBACKED_MAX - 1, in address order) with *r its
 * bounds, or -1 if gpa is RAM, ROM, a device page or past
 * PC_MEMMAP_GPA_LIMIT (*r untouched).
 */
int pc_memmap_unbacked(const struct guest_ram_layout *l, uint64_t gpa, struct pc_region *r);

/* True if gpa is in the ROM range. */
static inline bool pc_memmap_is_rom(uint64_t gpa)
{
	return gpa >= PC_ROM_START && gpa < PC_ROM_END;
}

/*
 * The rate limit of the open-bus log: true the first time region idx
 * (0 .. PC_MEMMAP_ROM_REGION) is noted in *logged, false ever after.
 * Any CPU (atomic).
 */
static inline bool pc_memmap_note_once(unsigned int *logged, unsigned int idx)
{
	unsigned int bit = 1u << idx;

	return !(__atomic_fetch_or(logged, bit, __ATOMIC_RELAXED) & bit);
}

/*
 * The one line logged for a region's first access: "vm NAME: unbacked
 * guest-physical 0x... (read, all ones); further accesses to [A, B) are
 * not logged" (write: "write, dropped"). Returns buf.
 */
const char *pc_memmap_unbacked_msg(char *buf, size_t size, const char *vm, uint64_t gpa,
				   bool write, const struct pc_region *r);

#endif
