/*
 * Hosted test of core/pc/dev/vtestdev.c: pc-testdev's IRQ lines, wired as
 * the virtual PC wires them (core/pc/vpc.c: line n < 16 is ISA IRQ n, the
 * PIC's input n and the IOAPIC's pin n, IRQ 0 on pin 2; lines 16-23 the
 * IOAPIC's pins) into a real 8259 pair and a real IOAPIC with two real
 * local APICs behind it. The guest's side is what a kvm-unit-tests style
 * kernel does: program an entry, raise a line, take the vector, EOI.
 * Single thread.
 */
#include "core/pc/dev/vioapic.h"
#include "core/pc/dev/vpic.h"
#include "core/pc/dev/vtestdev.h"
#include "core/pc/machine.h"
#include "tests/host/check.h"

#define BASE		0x2000
#define NR_APICS	2

static struct vtestdev td;
static struct vioapic io;
static struct vpic pic;
static struct vlapic apic[NR_APICS];
static struct vtimer_vcpu vcpu[NR_APICS];
static struct vapic_bus bus;
static struct irq_line lines[VTESTDEV_NR_LINES];
static unsigned int kicks, intr_level, line_sets;

static uint64_t test_clock(void)
{
	return 0;
}

static uint64_t test_tsc(void *ctx)
{
	return 0;
}

static void op_kick(void *ctx)
{
	kicks++;
}

static void op_nmi(void *ctx)
{
}

static void op_eoi_level(void *ctx, uint8_t vector)
{
	vioapic_eoi(&io, vector);
}

static const struct vlapic_ops ops = {
	.kick = op_kick, .nmi = op_nmi, .eoi_level = op_eoi_level,
};

static void intr_set(void *ctx, unsigned int line, int level)
{
	intr_level = (unsigned int)level;
}

/* As vpc_testdev_irq_set() wires a line. */
static void line_set(void *ctx, unsigned int n, int level)
{
	line_sets++;
	if (n < 16) {
		vpic_set_irq(&pic, n, level);
		vioapic_set_irq(&io, n == PC_IRQ_PIT ? PC_PIT_IOAPIC_PIN : n, level);
	} else {
		vioapic_set_irq(&io, n, level);
	}
}

static void setup(void)
{
	static const struct irq_line intr = { .set = intr_set };

	bus = (struct vapic_bus){ 0 };
	kicks = intr_level = line_sets = 0;
	vioapic_init(&io, &bus);
	for (unsigned int i = 0; i < NR_APICS; i++) {
		vtimer_vcpu_init(&vcpu[i], i, NULL);
		CHECK_EQ(vlapic_init(&apic[i], i, &vcpu[i], &ops, NULL, test_clock, test_tsc,
				     1000000), 0);
		vapic_bus_attach(&bus, &apic[i]);
		CHECK_EQ(vlapic_mmio_write(&apic[i], APIC_REG_SVR, 4, APIC_SVR_ENABLE | 0xff), 0);
	}
	vpic_init(&pic, &intr);
	for (unsigned int n = 0; n < VTESTDEV_NR_LINES; n++)
		lines[n] = (struct irq_line){ .set = line_set, .line = n };
	vtestdev_init(&td, BASE, lines);
}

static void teardown(void)
{
	for (unsigned int i = 0; i < NR_APICS; i++) {
		vlapic_destroy(&apic[i]);
		vtimer_vcpu_destroy(&vcpu[i]);
	}
}

static void out(uint16_t port, unsigned int size, uint32_t v)
{
	CHECK_EQ(vtestdev_io_ops.write(&td, port, size, v), 0);
}

static void io_wr(uint32_t idx, uint32_t val)
{
	CHECK_EQ(vioapic_mmio_ops.write(&io, PC_IOAPIC_BASE + VIOAPIC_MMIO_REGSEL, 4, idx), 0);
	CHECK_EQ(vioapic_mmio_ops.write(&io, PC_IOAPIC_BASE + VIOAPIC_MMIO_WINDOW, 4, val), 0);
}

static uint32_t io_rd(uint32_t idx)
{
	uint64_t v = 0;

	CHECK_EQ(vioapic_mmio_ops.write(&io, PC_IOAPIC_BASE + VIOAPIC_MMIO_REGSEL, 4, idx), 0);
	CHECK_EQ(vioapic_mmio_ops.read(&io, PC_IOAPIC_BASE + VIOAPIC_MMIO_WINDOW, 4, &v), 0);
	return (uint32_t)v;
}

static void route(unsigned int pin, uint8_t dest, uint32_t low)
{
	io_wr(0x11 + 2 * pin, (uint32_t)dest << 24);
	io_wr(0x10 + 2 * pin, low);
}

static bool remote_irr(unsigned int pin)
{
	return io_rd(0x10 + 2 * pin) & IOAPIC_RTE_REMOTE_IRR;
}

static bool irr_has(unsigned int n, uint8_t vec)
{
	uint64_t v = 0;

	vlapic_mmio_read(&apic[n], APIC_REG_IRR + (vec / 32) * 16, 4, &v);
	return v >> (vec % 32) & 1;
}

/* APIC n takes vec (the one pending) and EOIs it. */
static void handle(unsigned int n, uint8_t vec)
{
	CHECK_EQ(vlapic_pending_vector(&apic[n]), vec);
	vlapic_ack_vector(&apic[n], vec);
	CHECK_EQ(vlapic_mmio_write(&apic[n], APIC_REG_EOI, 4, 0), 0);
}

/* Levels as written, held; every line starts low. */
static void levels(void)
{
	uint32_t v = 0;

	setup();
	CHECK_EQ(vtestdev_levels(&td), 0);
	CHECK_EQ(line_sets, 0);
	out(BASE + 5, 1, 0x80);
	CHECK_EQ(vtestdev_levels(&td), BIT(5));
	out(BASE + 5, 1, 1);
	CHECK_EQ(vtestdev_levels(&td), BIT(5));
	out(BASE + 23, 1, 7);
	CHECK_EQ(vtestdev_levels(&td), BIT(5) | BIT(23));
	out(BASE + 5, 1, 0);
	CHECK_EQ(vtestdev_levels(&td), BIT(23));
	/* Wider writes: one line per byte, nothing past line 23. */
	out(BASE + 8, 2, 0x0100);
	CHECK_EQ(vtestdev_levels(&td), BIT(23) | BIT(9));
	out(BASE + 10, 4, 0x01000101);
	CHECK_EQ(vtestdev_levels(&td), BIT(23) | BIT(9) | BIT(10) | BIT(11) | BIT(13));
	out(BASE + 22, 4, 0x01010000);
	CHECK_EQ(vtestdev_levels(&td), BIT(9) | BIT(10) | BIT(11) | BIT(13));
	/* Reads: 0 on the block, floating past it. */
	CHECK_EQ(vtestdev_io_ops.read(&td, BASE, 4, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(vtestdev_io_ops.read(&td, BASE + 23, 2, &v), 0);
	CHECK_EQ(v, 0xffffff00u);
	teardown();
}

/* A level-triggered IOAPIC pin: remote IRR holds it until EOI, then re-delivers while high. */
static void ioapic_level(void)
{
	setup();
	route(18, 1, IOAPIC_RTE_LEVEL | 0x51);
	out(BASE + 18, 1, 1);
	CHECK(irr_has(1, 0x51));
	CHECK(remote_irr(18));
	handle(1, 0x51);
	/* Still high at the EOI: delivered again. */
	CHECK(irr_has(1, 0x51));
	CHECK(remote_irr(18));
	out(BASE + 18, 1, 0);
	handle(1, 0x51);
	CHECK(!remote_irr(18));
	CHECK(!irr_has(1, 0x51));
	/* Masked while high: nothing, unmasking delivers. */
	route(18, 1, IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 0x51);
	out(BASE + 18, 1, 1);
	CHECK(!irr_has(1, 0x51));
	route(18, 1, IOAPIC_RTE_LEVEL | 0x51);
	CHECK(irr_has(1, 0x51));
	out(BASE + 18, 1, 0);
	handle(1, 0x51);
	CHECK(!remote_irr(18));
	teardown();
}

/* An edge-triggered pin: one interrupt per rising edge. */
static void ioapic_edge(void)
{
	setup();
	route(PC_PIT_IOAPIC_PIN, 0, 0x30);
	out(BASE + 0, 1, 1);			/* line 0 is IRQ 0: pin 2 */
	CHECK(irr_has(0, 0x30));
	handle(0, 0x30);
	out(BASE + 0, 1, 1);			/* still high: no edge */
	CHECK(!irr_has(0, 0x30));
	out(BASE + 0, 1, 0);
	out(BASE + 0, 1, 1);
	CHECK(irr_has(0, 0x30));
	teardown();
}

/* Lines below 16 reach the PIC: ICW setup, unmask, INTR, vector. */
static void pic_line(void)
{
	static const uint8_t icw[][2] = {
		{ 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x28 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
		{ 0x21, 0xf7 }, { 0xa1, 0xff },	/* only IRQ 3 unmasked */
	};

	setup();
	for (unsigned int i = 0; i < ARRAY_SIZE(icw); i++)
		CHECK_EQ(vpic_io_ops.write(&pic, icw[i][0], 1, icw[i][1]), 0);
	out(BASE + 4, 1, 1);			/* masked at the PIC */
	CHECK(!vpic_has_interrupt(&pic));
	out(BASE + 3, 1, 1);
	CHECK(vpic_has_interrupt(&pic));
	CHECK_EQ(intr_level, 1);
	CHECK_EQ(vpic_ack(&pic), 0x23);
	out(BASE + 3, 1, 0);
	out(BASE + 16, 1, 1);			/* IOAPIC only: the PIC sees nothing */
	CHECK(!vpic_has_interrupt(&pic));
	teardown();
}

int main(void)
{
	shim_set_cpu(0);
	RUN(levels);
	RUN(ioapic_level);
	RUN(ioapic_edge);
	RUN(pic_line);
	return check_done();
}
