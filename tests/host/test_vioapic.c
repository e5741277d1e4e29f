/*
 * Hosted test of core/pc/dev/vioapic.c: the virtual I/O APIC.
 *
 * Scenario: an IOAPIC and four real local APICs (core/pc/dev/vlapic.c) on one
 * APIC bus, the LAPICs' level-EOI callback wired to vioapic_eoi() as the
 * virtual PC wires it. Every IOAPIC access goes through vioapic_mmio_ops
 * (IOREGSEL/IOWIN as a guest does it); what arrives is read back from the
 * LAPICs' IRR and their callbacks. Values are the 82093AA datasheet's:
 * version 0x20 with 24 entries, entry bits, edge/level semantics, remote
 * IRR and EOI, polarity, masking, and routing. Single thread.
 */
#include "core/pc/dev/vioapic.h"
#include "core/pc/machine.h"
#include "tests/host/check.h"

#define NR_APICS	4

static uint64_t test_clock(void)
{
	return 0;
}

static uint64_t test_tsc(void *ctx)
{
	return 0;
}

struct probe {
	unsigned int kicks, nmis;
};

static struct vioapic io;
static struct vlapic apic[NR_APICS];
static struct vtimer_vcpu vcpu[NR_APICS];
static struct probe probe[NR_APICS];
static struct vapic_bus bus;

static void op_kick(void *ctx)
{
	((struct probe *)ctx)->kicks++;
}

static void op_nmi(void *ctx)
{
	((struct probe *)ctx)->nmis++;
}

static void op_eoi_level(void *ctx, uint8_t vector)
{
	vioapic_eoi(&io, vector);
}

static const struct vlapic_ops ops = {
	.kick = op_kick, .nmi = op_nmi, .eoi_level = op_eoi_level,
};

static void setup(void)
{
	bus = (struct vapic_bus){ 0 };
	vioapic_init(&io, &bus);
	for (unsigned int i = 0; i < NR_APICS; i++) {
		probe[i] = (struct probe){ 0 };
		vtimer_vcpu_init(&vcpu[i], i, NULL);
		CHECK_EQ(vlapic_init(&apic[i], i, &vcpu[i], &ops, &probe[i],
				     test_clock, test_tsc, 1000000), 0);
		vapic_bus_attach(&bus, &apic[i]);
		CHECK_EQ(vlapic_mmio_write(&apic[i], APIC_REG_SVR, 4,
					   APIC_SVR_ENABLE | 0xff), 0);
	}
}

static void teardown(void)
{
	for (unsigned int i = 0; i < NR_APICS; i++) {
		vlapic_destroy(&apic[i]);
		vtimer_vcpu_destroy(&vcpu[i]);
	}
}

static void mmio_wr(uint64_t off, unsigned int size, uint32_t val)
{
	CHECK_EQ(vioapic_mmio_ops.write(&io, PC_IOAPIC_BASE + off, size, val), 0);
}

static uint32_t mmio_rd(uint64_t off, unsigned int size)
{
	uint64_t v = 0xdead;

	CHECK_EQ(vioapic_mmio_ops.read(&io, PC_IOAPIC_BASE + off, size, &v), 0);
	return (uint32_t)v;
}

static uint32_t io_rd(uint32_t idx)
{
	mmio_wr(VIOAPIC_MMIO_REGSEL, 4, idx);
	return mmio_rd(VIOAPIC_MMIO_WINDOW, 4);
}

static void io_wr(uint32_t idx, uint32_t val)
{
	mmio_wr(VIOAPIC_MMIO_REGSEL, 4, idx);
	mmio_wr(VIOAPIC_MMIO_WINDOW, 4, val);
}

/* Programs pin's entry: high half first, as Linux does, then low. */
static void route(unsigned int pin, uint8_t dest, uint32_t low)
{
	io_wr(0x10 + 2 * pin + 1, (uint32_t)dest << 24);
	io_wr(0x10 + 2 * pin, low);
}

static uint32_t rte_low(unsigned int pin)
{
	return io_rd(0x10 + 2 * pin);
}

static bool irr_has(unsigned int n, uint8_t vec)
{
	uint64_t v = 0;

	vlapic_mmio_read(&apic[n], APIC_REG_IRR + (vec / 32) * 16, 4, &v);
	return v >> (vec % 32) & 1;
}

/* Which APICs have vec in IRR, as a bitmask. */
static uint32_t who_has(uint8_t vec)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < NR_APICS; i++)
		m |= (uint32_t)irr_has(i, vec) << i;
	return m;
}

/* APIC n injects vec (it must be the one pending) and EOIs it. */
static void handle(unsigned int n, uint8_t vec)
{
	CHECK_EQ(vlapic_pending_vector(&apic[n]), vec);
	vlapic_ack_vector(&apic[n], vec);
	CHECK_EQ(vlapic_mmio_write(&apic[n], APIC_REG_EOI, 4, 0), 0);
}

/* ---- Registers --------------------------------------------------------- */

static void registers(void)
{
	setup();
	CHECK_EQ(io_rd(VIOAPIC_REG_VERSION), 0x00170020);
	CHECK_EQ(io_rd(VIOAPIC_REG_ID), 0);
	io_wr(VIOAPIC_REG_ID, 0xffffffffu);
	CHECK_EQ(io_rd(VIOAPIC_REG_ID), 0x0f000000);
	CHECK_EQ(io_rd(VIOAPIC_REG_ARB), 0x0f000000);
	io_wr(VIOAPIC_REG_VERSION, 0);
	CHECK_EQ(io_rd(VIOAPIC_REG_VERSION), 0x00170020);
	/* Every entry masked at reset. */
	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++) {
		CHECK_EQ(rte_low(pin), 0x10000);
		CHECK_EQ(io_rd(0x11 + 2 * pin), 0);
	}
	/* Past the table, nothing. */
	CHECK_EQ(io_rd(0x40), 0);
	/* Delivery status and remote IRR are read-only. */
	io_wr(0x10 + 2 * 5, 0xffffffffu);
	CHECK_EQ(rte_low(5), 0x1afff);
	io_wr(0x11 + 2 * 5, 0xffffffffu);
	CHECK_EQ(io_rd(0x11 + 2 * 5), 0xff000000u);
	/* IOREGSEL reads back; only 32-bit accesses count. */
	mmio_wr(VIOAPIC_MMIO_REGSEL, 4, 0x01);
	CHECK_EQ(mmio_rd(VIOAPIC_MMIO_REGSEL, 4), 0x01);
	mmio_wr(VIOAPIC_MMIO_REGSEL, 1, 0x10);
	CHECK_EQ(mmio_rd(VIOAPIC_MMIO_REGSEL, 4), 0x01);
	CHECK_EQ(mmio_rd(VIOAPIC_MMIO_WINDOW, 2), 0);
	CHECK_EQ(mmio_rd(VIOAPIC_MMIO_WINDOW, 4), 0x00170020);
	CHECK_EQ(mmio_rd(0x20, 4), 0);
	vioapic_reset(&io);
	CHECK_EQ(rte_low(5), 0x10000);
	teardown();
}

/* ---- Pin logic --------------------------------------------------------- */

static void edge_triggered(void)
{
	const struct irq_line line = { .set = vioapic_irq_line_set, .ctx = &io,
				       .line = 4 };

	setup();
	route(4, 1, 0x34);				/* edge, high, physical 1 */
	vioapic_set_irq(&io, 4, 1);
	CHECK_EQ(who_has(0x34), 1u << 1);
	CHECK_EQ(probe[1].kicks, 1);
	handle(1, 0x34);
	/* Staying high is no new edge. */
	vioapic_set_irq(&io, 4, 1);
	CHECK_EQ(who_has(0x34), 0);
	vioapic_set_irq(&io, 4, 0);
	CHECK_EQ(who_has(0x34), 0);
	/* A pulse through an irq_line is one edge. */
	irq_line_pulse(&line);
	CHECK_EQ(who_has(0x34), 1u << 1);
	handle(1, 0x34);
	CHECK_EQ(rte_low(4) & IOAPIC_RTE_REMOTE_IRR, 0);
	/* Masked: an edge is lost, unmasking does not bring it back. */
	route(4, 1, 0x34 | IOAPIC_RTE_MASKED);
	irq_line_pulse(&line);
	route(4, 1, 0x34);
	CHECK_EQ(who_has(0x34), 0);
	/* Active low: the falling edge counts. */
	route(4, 1, 0x34 | IOAPIC_RTE_POLARITY_LOW);
	vioapic_set_irq(&io, 4, 1);
	CHECK_EQ(who_has(0x34), 0);
	vioapic_set_irq(&io, 4, 0);
	CHECK_EQ(who_has(0x34), 1u << 1);
	/* Pins past 23 are ignored. */
	vioapic_set_irq(&io, 24, 1);
	teardown();
}

static void level_remote_irr(void)
{
	setup();
	route(9, 2, 0x49 | IOAPIC_RTE_LEVEL);
	vioapic_set_irq(&io, 9, 1);
	CHECK_EQ(who_has(0x49), 1u << 2);
	CHECK(rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	/* Level: TMR set in the LAPIC. */
	uint64_t tmr = 0;
	vlapic_mmio_read(&apic[2], APIC_REG_TMR + 0x20, 4, &tmr);
	CHECK_EQ(tmr, 1u << 9);
	/* Remote IRR holds further messages. */
	vlapic_ack_vector(&apic[2], 0x49);
	vioapic_set_irq(&io, 9, 0);
	vioapic_set_irq(&io, 9, 1);
	CHECK_EQ(who_has(0x49), 0);
	/* LAPIC EOI with the line still high: cleared and sent again. */
	CHECK_EQ(vlapic_mmio_write(&apic[2], APIC_REG_EOI, 4, 0), 0);
	CHECK_EQ(who_has(0x49), 1u << 2);
	CHECK(rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	/* Line dropped before the EOI: cleared, nothing sent. */
	vlapic_ack_vector(&apic[2], 0x49);
	vioapic_set_irq(&io, 9, 0);
	CHECK_EQ(vlapic_mmio_write(&apic[2], APIC_REG_EOI, 4, 0), 0);
	CHECK_EQ(who_has(0x49), 0);
	CHECK_EQ(rte_low(9) & IOAPIC_RTE_REMOTE_IRR, 0);
	/* The IOAPIC's own EOI register (version 0x20) clears it too. */
	vioapic_set_irq(&io, 9, 1);
	CHECK(rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	vlapic_ack_vector(&apic[2], 0x49);
	mmio_wr(VIOAPIC_MMIO_EOI, 4, 0x48);		/* other vector: no */
	CHECK(rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	vioapic_set_irq(&io, 9, 0);
	mmio_wr(VIOAPIC_MMIO_EOI, 4, 0x49);
	CHECK_EQ(rte_low(9) & IOAPIC_RTE_REMOTE_IRR, 0);
	CHECK_EQ(who_has(0x49), 0);
	/* Switching the entry to edge drops a stale remote IRR. */
	vioapic_set_irq(&io, 9, 1);
	CHECK(rte_low(9) & IOAPIC_RTE_REMOTE_IRR);
	route(9, 2, 0x49);
	CHECK_EQ(rte_low(9) & IOAPIC_RTE_REMOTE_IRR, 0);
	teardown();
}

static void level_polarity_and_mask(void)
{
	setup();
	/* Active-low level (a PCI INTx line): asserted when driven low. */
	vioapic_set_irq(&io, 10, 1);			/* idle high */
	route(10, 3, 0x5a | IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY_LOW);
	CHECK_EQ(who_has(0x5a), 0);
	vioapic_set_irq(&io, 10, 0);
	CHECK_EQ(who_has(0x5a), 1u << 3);
	handle(3, 0x5a);				/* still low: again */
	CHECK_EQ(who_has(0x5a), 1u << 3);
	vlapic_ack_vector(&apic[3], 0x5a);
	vioapic_set_irq(&io, 10, 1);
	CHECK_EQ(vlapic_mmio_write(&apic[3], APIC_REG_EOI, 4, 0), 0);
	CHECK_EQ(who_has(0x5a), 0);
	/* Asserted while masked: sent when unmasked. */
	route(11, 0, 0x5b | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	vioapic_set_irq(&io, 11, 1);
	CHECK_EQ(who_has(0x5b), 0);
	CHECK_EQ(rte_low(11) & IOAPIC_RTE_REMOTE_IRR, 0);
	route(11, 0, 0x5b | IOAPIC_RTE_LEVEL);
	CHECK_EQ(who_has(0x5b), 1u << 0);
	/* Masked while in service: the EOI clears remote IRR, sends nothing. */
	vlapic_ack_vector(&apic[0], 0x5b);
	route(11, 0, 0x5b | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	CHECK_EQ(vlapic_mmio_write(&apic[0], APIC_REG_EOI, 4, 0), 0);
	CHECK_EQ(who_has(0x5b), 0);
	CHECK_EQ(rte_low(11) & IOAPIC_RTE_REMOTE_IRR, 0);
	teardown();
}

/* ---- Routing ----------------------------------------------------------- */

static void routing(void)
{
	setup();
	/* Physical destination: the chosen LAPIC only. */
	for (uint8_t d = 0; d < NR_APICS; d++) {
		route(1, d, 0x31);
		irq_line_pulse(&(struct irq_line){ vioapic_irq_line_set, &io, 1 });
		CHECK_EQ(who_has(0x31), 1u << d);
		handle(d, 0x31);
	}
	/* Logical flat: LDR bit n on APIC n. */
	for (unsigned int i = 0; i < NR_APICS; i++)
		CHECK_EQ(vlapic_mmio_write(&apic[i], APIC_REG_LDR, 4,
					   (1u << i) << 24), 0);
	route(3, 0x0a, 0x33 | IOAPIC_RTE_DEST_LOGICAL);
	vioapic_set_irq(&io, 3, 1);
	CHECK_EQ(who_has(0x33), 1u << 1 | 1u << 3);
	vioapic_set_irq(&io, 3, 0);
	/* Lowest priority among 0-3: the one with the lowest TPR. */
	for (unsigned int i = 0; i < NR_APICS; i++)
		CHECK_EQ(vlapic_mmio_write(&apic[i], APIC_REG_TPR, 4,
					   i == 2 ? 0x10 : 0x20), 0);
	route(6, 0x0f, 0x36 | IOAPIC_RTE_DEST_LOGICAL | VAPIC_DM_LOWEST << 8);
	vioapic_set_irq(&io, 6, 1);
	CHECK_EQ(who_has(0x36), 1u << 2);
	/* NMI delivery mode: the NMI callback, no vector. */
	route(7, 1, 0x37 | VAPIC_DM_NMI << 8);
	vioapic_set_irq(&io, 7, 1);
	CHECK_EQ(probe[1].nmis, 1);
	CHECK_EQ(who_has(0x37), 0);
	/* ExtINT: the target is told to look at the 8259. */
	unsigned int kicks = probe[0].kicks;
	route(0, 0, VAPIC_DM_EXTINT << 8);
	vioapic_set_irq(&io, 0, 1);
	CHECK_EQ(probe[0].kicks, kicks + 1);
	/* Destination 0xff in physical mode: every LAPIC. */
	route(8, 0xff, 0x38);
	vioapic_set_irq(&io, 8, 1);
	CHECK_EQ(who_has(0x38), (1u << NR_APICS) - 1);
	teardown();
}

int main(void)
{
	shim_set_cpu(0);
	RUN(registers);
	RUN(edge_triggered);
	RUN(level_remote_irr);
	RUN(level_polarity_and_mask);
	RUN(routing);
	return check_done();
}
