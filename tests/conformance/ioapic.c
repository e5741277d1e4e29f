/*
 * Conformance kernel "ioapic": the I/O APIC's redirection of ISA lines that
 * QEMU's pc-testdev drives (a byte written to port 0x2000 + n sets ISA IRQ
 * n's level). Edge and level triggering, masking, remote IRR set while a
 * level interrupt is in service and cleared by the EOI, re-delivery of a
 * level still asserted at EOI, the EOI register of version 0x20. The 8259s
 * are masked throughout.
 */
#include "conf.h"

const char conf_kernel[] = "ioapic";

#define TESTDEV_IRQ   0x2000
#define IRQ_EDGE      14
#define IRQ_LEVEL     15
#define VEC_EDGE      0x60
#define VEC_LEVEL     0x61
#define IOAPIC_ID_REG 0x00
#define IOAPIC_VER    0x01
#define SETTLE_US     2000

static u32 pin_edge, pin_level;
static volatile u32 edge_hits, level_hits, level_lower_at, level_no_eoi;
static volatile u32 level_rte_in_handler;

static void set_line(u32 irq, int level)
{
	outb(TESTDEV_IRQ + irq, (u8)level);
}

static void edge_handler(struct frame *f)
{
	edge_hits++;
	lapic_eoi();
}

/* Lowers the line at the level_lower_at-th delivery; EOIs every one
 * unless level_no_eoi. */
static void level_handler(struct frame *f)
{
	level_rte_in_handler = ioapic_rte_lo(pin_level);
	if (++level_hits >= level_lower_at)
		set_line(IRQ_LEVEL, 0);
	if (!level_no_eoi)
		lapic_eoi();
}

static void settle(void)
{
	delay_us(SETTLE_US);
}

static void test_version(void)
{
	u32 ver = ioapic_read(IOAPIC_VER);
	u32 max = (ver >> 16) & 0xff;

	check("version", (ver & 0xff) >= 0x11 && (ver & 0xff) <= 0x20 && max >= 23,
	      "version register 0x%x: version 0x%x, %u entries (expected 0x11..0x20, >= 24)",
	      ver, ver & 0xff, max + 1);
}

static void test_rte_rw(void)
{
	u32 lo = RTE_MASKED | RTE_LEVEL | RTE_ACTIVE_LOW | 0x77, got_lo, got_hi;

	ioapic_route(pin_edge, lo, 0x0f);
	got_lo = ioapic_rte_lo(pin_edge);
	got_hi = ioapic_read(IOREDTBL(pin_edge) + 1);
	check("rte_rw", (got_lo & 0x1ffff & ~RTE_REMOTE_IRR) == lo && got_hi >> 24 == 0x0f,
	      "wrote 0x%x/0x%x, read 0x%x/0x%x", lo, 0x0f << 24, got_lo, got_hi);
	ioapic_route(pin_edge, RTE_MASKED, 0);
}

static void test_edge(u32 self)
{
	ioapic_route(pin_edge, VEC_EDGE, self);
	edge_hits = 0;
	set_line(IRQ_EDGE, 1);
	settle();
	check("edge", edge_hits == 1, "%u interrupts for a rising edge", edge_hits);
	settle();
	check("edge_held", edge_hits == 1, "%u interrupts while the line stayed high", edge_hits);
	set_line(IRQ_EDGE, 0);
	set_line(IRQ_EDGE, 1);
	settle();
	set_line(IRQ_EDGE, 0);
	check("edge_again", edge_hits == 2, "%u interrupts for two rising edges", edge_hits);

	ioapic_route(pin_edge, RTE_MASKED | VEC_EDGE, self);
	edge_hits = 0;
	set_line(IRQ_EDGE, 1);
	settle();
	set_line(IRQ_EDGE, 0);
	check("edge_masked", edge_hits == 0, "%u interrupts from a masked pin", edge_hits);
}

static void test_level(u32 self)
{
	u32 rte;

	/* One delivery: the handler lowers the line before its EOI. */
	ioapic_route(pin_level, RTE_LEVEL | VEC_LEVEL, self);
	level_hits = 0;
	level_lower_at = 1;
	set_line(IRQ_LEVEL, 1);
	settle();
	rte = ioapic_rte_lo(pin_level);
	check("level", level_hits == 1, "%u interrupts for one assertion", level_hits);
	check("level_remote_irr", (level_rte_in_handler & RTE_REMOTE_IRR) && !(rte & RTE_REMOTE_IRR),
	      "remote IRR %u in the handler (expected 1), %u after the EOI (expected 0)",
	      !!(level_rte_in_handler & RTE_REMOTE_IRR), !!(rte & RTE_REMOTE_IRR));

	/* Still asserted at the EOI: delivered again until the third lowers it. */
	level_hits = 0;
	level_lower_at = 3;
	set_line(IRQ_LEVEL, 1);
	settle();
	check("level_redeliver", level_hits == 3,
	      "%u deliveries, expected 3 (line held high across two EOIs)", level_hits);

	/* Masked: nothing while asserted; unmasking delivers it. */
	ioapic_route(pin_level, RTE_MASKED | RTE_LEVEL | VEC_LEVEL, self);
	level_hits = 0;
	level_lower_at = 1;
	set_line(IRQ_LEVEL, 1);
	settle();
	check("level_masked", level_hits == 0, "%u interrupts from a masked pin", level_hits);
	ioapic_route(pin_level, RTE_LEVEL | VEC_LEVEL, self);
	settle();
	check("level_unmask", level_hits == 1, "%u interrupts on unmasking an asserted line",
	      level_hits);
	set_line(IRQ_LEVEL, 0);
	ioapic_route(pin_level, RTE_MASKED, 0);
}

/*
 * Version 0x20 has an EOI register: writing the vector there clears remote
 * IRR without the local APIC's EOI. The handler leaves the LAPIC EOI out;
 * the kernel sends it once the I/O APIC's has been seen.
 */
static void test_ioapic_eoi(u32 self)
{
	u32 before, after;

	if ((ioapic_read(IOAPIC_VER) & 0xff) < 0x20) {
		skip("level_eoi_register", "version 0x%x has no EOI register",
		     ioapic_read(IOAPIC_VER) & 0xff);
		return;
	}
	ioapic_route(pin_level, RTE_LEVEL | VEC_LEVEL, self);
	level_hits = 0;
	level_lower_at = 1;
	level_no_eoi = 1;
	set_line(IRQ_LEVEL, 1);
	settle();
	before = ioapic_rte_lo(pin_level);
	ioapic_write_eoi(VEC_LEVEL);
	after = ioapic_rte_lo(pin_level);
	lapic_eoi();
	level_no_eoi = 0;
	check("level_eoi_register", level_hits == 1 && (before & RTE_REMOTE_IRR) &&
	      !(after & RTE_REMOTE_IRR),
	      "%u interrupts; remote IRR %u before the EOI register write (expected 1), %u after "
	      "(expected 0)", level_hits, !!(before & RTE_REMOTE_IRR), !!(after & RTE_REMOTE_IRR));
	ioapic_route(pin_level, RTE_MASKED, 0);
}

void kmain(u32 magic, u32 info)
{
	u32 self;

	acpi_init();
	pin_edge = acpi.iso_gsi[IRQ_EDGE] - acpi.ioapic_gsi_base;
	pin_level = acpi.iso_gsi[IRQ_LEVEL] - acpi.ioapic_gsi_base;
	printf("I/O APIC at 0x%x, IRQ %u on pin %u, IRQ %u on pin %u\n",
	       acpi.ioapic_addr ? acpi.ioapic_addr : IOAPIC_DEFAULT, IRQ_EDGE, pin_edge,
	       IRQ_LEVEL, pin_level);
	pic_init(0x20);
	lapic_init();
	tsc_calibrate();
	self = lapic_id();
	set_line(IRQ_EDGE, 0);
	set_line(IRQ_LEVEL, 0);
	set_handler(VEC_EDGE, edge_handler);
	set_handler(VEC_LEVEL, level_handler);
	sti();
	test_version();
	test_rte_rw();
	test_edge(self);
	test_level(self);
	test_ioapic_eoi(self);
	cli();
}
