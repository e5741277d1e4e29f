/*
 * Conformance kernel "pci": configuration space through mechanism #1 (the
 * address at 0xcf8, the data at 0xcfc-0xcff). A host bridge at 00:00.0, an
 * ISA bridge on bus 0 (a PC's), all ones from functions nobody answers,
 * byte and word reads agreeing with the dword, the address register's
 * read-back.
 */
#include "conf.h"

const char conf_kernel[] = "pci";

#define PCI_ADDR       0xcf8
#define PCI_DATA       0xcfc
#define PCI_ENABLE     BIT(31)
#define PCI_ID         0x00
#define PCI_CLASS      0x08		/* revision, prog-if, subclass, class */
#define PCI_HEADER     0x0c		/* header type in bits 23:16 */
#define CLASS_HOST     0x0600
#define CLASS_ISA      0x0601
#define HEADER_MULTI   0x80

static u32 cfg_addr(u32 bus, u32 dev, u32 fn, u32 off)
{
	return PCI_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

static u32 cfg_read32(u32 bus, u32 dev, u32 fn, u32 off)
{
	outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
	return inl(PCI_DATA);
}

static u16 cfg_read16(u32 bus, u32 dev, u32 fn, u32 off)
{
	outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
	return inw(PCI_DATA + (off & 2));
}

static u8 cfg_read8(u32 bus, u32 dev, u32 fn, u32 off)
{
	outl(PCI_ADDR, cfg_addr(bus, dev, fn, off));
	return inb(PCI_DATA + (off & 3));
}

void kmain(u32 magic, u32 info)
{
	u32 id = cfg_read32(0, 0, 0, PCI_ID), cls, isa = 0, missing = 0, partial = 0;
	u32 want;

	check("host_bridge_id", (id & 0xffff) != 0xffff && (id & 0xffff) != 0,
	      "00:00.0 vendor/device 0x%08x", id);
	cls = cfg_read32(0, 0, 0, PCI_CLASS) >> 16;
	check("host_bridge_class", cls == CLASS_HOST, "00:00.0 class 0x%04x, expected 0x%04x",
	      cls, CLASS_HOST);
	printf("00:00.0 %04x:%04x\n", id & 0xffff, id >> 16);

	for (u32 dev = 0; dev < 32; dev++) {
		u32 nfn = (cfg_read32(0, dev, 0, PCI_HEADER) >> 16) & HEADER_MULTI ? 8 : 1;

		for (u32 fn = 0; fn < nfn; fn++) {
			u32 v = cfg_read32(0, dev, fn, PCI_ID);

			if ((v & 0xffff) == 0xffff) {
				/* Nobody there: every register reads all ones. */
				if (cfg_read32(0, dev, fn, PCI_CLASS) != 0xffffffff)
					partial++;
				missing++;
				continue;
			}
			cls = cfg_read32(0, dev, fn, PCI_CLASS) >> 16;
			printf("00:%02x.%u %04x:%04x class %04x\n", dev, fn, v & 0xffff, v >> 16, cls);
			if (cls == CLASS_ISA)
				isa++;
		}
	}
	check("isa_bridge", isa == 1, "%u ISA bridges on bus 0 (a PC has one)", isa);
	check("missing_all_ones", missing > 0 && !partial,
	      "%u empty functions on bus 0, %u of them not all ones past the ID", missing, partial);
	id = cfg_read32(0xff, 0x1f, 7, PCI_ID);
	check("missing_bus", id == 0xffffffff, "ff:1f.7 reads 0x%08x, expected all ones", id);

	id = cfg_read32(0, 0, 0, PCI_ID);
	want = (u32)cfg_read16(0, 0, 0, 0) | (u32)cfg_read16(0, 0, 0, 2) << 16;
	check("word_reads", want == id, "words 0x%08x, dword 0x%08x", want, id);
	want = 0;
	for (u32 i = 0; i < 4; i++)
		want |= (u32)cfg_read8(0, 0, 0, i) << (8 * i);
	check("byte_reads", want == id, "bytes 0x%08x, dword 0x%08x", want, id);

	outl(PCI_ADDR, cfg_addr(0, 3, 1, 0x40));
	want = inl(PCI_ADDR);
	check("address_readback", want == cfg_addr(0, 3, 1, 0x40), "0xcf8 reads 0x%08x, wrote 0x%08x",
	      want, cfg_addr(0, 3, 1, 0x40));
	outl(PCI_ADDR, 0);
}
