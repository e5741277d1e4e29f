/*
 * Conformance kernels: local APIC (xAPIC MMIO), I/O APIC and 8259 helpers.
 * Paging is off: the APIC pages are used at their physical addresses.
 */
#include "conf.h"

#define MSR_APIC_BASE    0x1b
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_MASK   0xfffff000u
#define SVR_ENABLE       BIT(8)
#define LVT_EXTINT       (7u << 8)

#define IOAPIC_REGSEL    0x00
#define IOAPIC_WIN       0x10
#define IOAPIC_EOI       0x40

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI   0x20

u32 lapic_base;

u32 lapic_read(u32 reg)
{
	return mmio_read32(lapic_base + reg);
}

void lapic_write(u32 reg, u32 v)
{
	mmio_write32(lapic_base + reg, v);
}

void lapic_init(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic_base = (u32)base & APIC_BASE_MASK;
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
}

void lapic_extint(void)
{
	lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

int lapic_send_ipi(u32 dest, u32 lo)
{
	lapic_write(LAPIC_ICR_HI, dest << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	for (u32 i = 0; i < 1000000; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_PENDING))
			return 0;
	return -1;
}

static u32 ioapic_addr(void)
{
	return acpi.ioapic_addr ? acpi.ioapic_addr : IOAPIC_DEFAULT;
}

u32 ioapic_read(u32 reg)
{
	mmio_write32(ioapic_addr() + IOAPIC_REGSEL, reg);
	return mmio_read32(ioapic_addr() + IOAPIC_WIN);
}

void ioapic_write(u32 reg, u32 v)
{
	mmio_write32(ioapic_addr() + IOAPIC_REGSEL, reg);
	mmio_write32(ioapic_addr() + IOAPIC_WIN, v);
}

void ioapic_write_eoi(u8 vector)
{
	mmio_write32(ioapic_addr() + IOAPIC_EOI, vector);
}

/* The high half first, so the entry is never live with a stale destination. */
void ioapic_route(u32 pin, u32 lo, u32 dest)
{
	ioapic_write(IOREDTBL(pin), RTE_MASKED);
	ioapic_write(IOREDTBL(pin) + 1, dest << 24);
	ioapic_write(IOREDTBL(pin), lo);
}

u32 ioapic_rte_lo(u32 pin)
{
	return ioapic_read(IOREDTBL(pin));
}

void pic_init(u8 base)
{
	outb(PIC1_CMD, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, base);		/* ICW2: vector base */
	outb(PIC2_DATA, base + 8);
	outb(PIC1_DATA, 0x04);		/* ICW3: slave on IR2 */
	outb(PIC2_DATA, 0x02);
	outb(PIC1_DATA, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	pic_set_mask(0xffff);
}

void pic_set_mask(u16 mask)
{
	outb(PIC1_DATA, (u8)mask);
	outb(PIC2_DATA, (u8)(mask >> 8));
}

void pic_eoi(u32 irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}
