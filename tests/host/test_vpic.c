/*
 * Hosted test of core/pc/dev/vpic.c: the 8259A PIC pair and its ELCR.
 *
 * Scenario: a guest programs the pair through port I/O as Linux's
 * init_8259A() does (ICW1 0x11, ICW2 0x30/0x38, ICW3 4/2, ICW4 1) and
 * devices drive ISA inputs; the CPU side runs vpic_ack() as the INTA cycle.
 * A probe on the INTR output records every level driven on it. Cases:
 * masking, edge latching, level mode through ELCR, priority with the
 * cascade, EOI variants, IRR/ISR reads and polling through OCW3, auto-EOI,
 * rotation, special mask mode, spurious IRQ 7 and 15, and an INTR handler
 * that acknowledges from inside the callback. A threaded case drives
 * inputs from four CPUs and checks that the line ends at the state's level.
 */
#include "core/pc/dev/vpic.h"
#include "tests/host/check.h"

#define BASE_M 0x30
#define BASE_S 0x38

/* The INTR probe: last level, and counts of raises and lowers. */
struct intr_probe {
	int level;
	int raises;
	int lowers;
	struct vpic *ack_from_cb;	/* if set: INTA inside the callback */
	int cb_vector;
};

static void intr_probe_set(void *ctx, unsigned int line, int level)
{
	struct intr_probe *pr = ctx;

	if (level)
		pr->raises++;
	else
		pr->lowers++;
	pr->level = level;
	if (level && pr->ack_from_cb)
		pr->cb_vector = vpic_ack(pr->ack_from_cb);
}

static void outb(struct vpic *p, uint16_t port, uint8_t v)
{
	CHECK_EQ(vpic_io_ops.write(p, port, 1, v), 0);
}

static uint8_t inb(struct vpic *p, uint16_t port)
{
	uint32_t v = 0xdeadbeef;

	CHECK_EQ(vpic_io_ops.read(p, port, 1, &v), 0);
	return (uint8_t)v;
}

/* Linux's init_8259A(auto_eoi), then every input unmasked. */
static void linux_init(struct vpic *p, bool auto_eoi)
{
	outb(p, 0x21, 0xff);
	outb(p, 0xa1, 0xff);
	outb(p, 0x20, 0x11);			/* ICW1: edge, cascade, ICW4 */
	outb(p, 0x21, BASE_M);			/* ICW2 */
	outb(p, 0x21, 1u << 2);			/* ICW3: slave on IR2 */
	outb(p, 0x21, auto_eoi ? 0x03 : 0x01);	/* ICW4: 8086 (+AEOI) */
	outb(p, 0xa0, 0x11);
	outb(p, 0xa1, BASE_S);
	outb(p, 0xa1, 2);			/* ICW3: slave id 2 */
	outb(p, 0xa1, 0x01);
	outb(p, 0x21, 0x00);
	outb(p, 0xa1, 0x00);
}

static void setup(struct vpic *p, struct intr_probe *pr, bool auto_eoi)
{
	struct irq_line l = { .set = intr_probe_set, .ctx = pr, .line = 0 };

	*pr = (struct intr_probe){ 0 };
	vpic_init(p, &l);
	linux_init(p, auto_eoi);
}

static void pulse(struct vpic *p, unsigned int irq)
{
	vpic_set_irq(p, irq, 1);
	vpic_set_irq(p, irq, 0);
}

static void eoi_master(struct vpic *p)
{
	outb(p, 0x20, 0x20);
}

static void eoi_slave_then_master(struct vpic *p)
{
	outb(p, 0xa0, 0x20);
	outb(p, 0x20, 0x20);
}

static uint8_t read_isr(struct vpic *p, uint16_t cmd)
{
	uint8_t v;

	outb(p, cmd, 0x0b);
	v = inb(p, cmd);
	outb(p, cmd, 0x0a);
	return v;
}

static void case_power_on_masked(void)
{
	struct vpic p;
	struct intr_probe pr = { 0 };
	struct irq_line l = { .set = intr_probe_set, .ctx = &pr };

	vpic_init(&p, &l);
	CHECK_EQ(inb(&p, 0x21), 0xff);
	CHECK_EQ(inb(&p, 0xa1), 0xff);
	pulse(&p, 0);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(pr.raises, 0);
	/* Unclaimed bytes of a wide access read as ones. */
	uint32_t v = 0;
	vpic_io_ops.read(&p, 0x21, 2, &v);
	CHECK_EQ(v, 0xffff);
}

static void case_linux_init(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	CHECK_EQ(inb(&p, 0x21), 0x00);
	CHECK_EQ(inb(&p, 0xa1), 0x00);
	CHECK_EQ(inb(&p, 0x20), 0x00);		/* IRR, read by default */
	CHECK_EQ(pr.raises, 0);
	pulse(&p, 0);
	CHECK(vpic_has_interrupt(&p));
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	eoi_master(&p);
	pulse(&p, 12);
	CHECK_EQ(vpic_ack(&p), BASE_S + 4);
	eoi_slave_then_master(&p);
	CHECK_EQ(read_isr(&p, 0x20), 0);
	CHECK_EQ(read_isr(&p, 0xa0), 0);
	CHECK(!vpic_has_interrupt(&p));
	/* Re-running ICW1 (a reboot) clears ISR and leaves no request. */
	pulse(&p, 3);
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	pulse(&p, 4);
	linux_init(&p, false);
	CHECK_EQ(read_isr(&p, 0x20), 0);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(pr.level, 0);
}

static void case_mask(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	outb(&p, 0x21, 0x02);			/* mask IRQ 1 */
	CHECK_EQ(inb(&p, 0x21), 0x02);
	pulse(&p, 1);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(pr.raises, 0);
	CHECK_EQ(inb(&p, 0x20), 0x02);		/* latched in IRR though */
	outb(&p, 0x21, 0x00);
	CHECK(vpic_has_interrupt(&p));
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	eoi_master(&p);

	/* Masking IR2 on the master hides the whole slave. */
	outb(&p, 0x21, 0x04);
	pulse(&p, 9);
	CHECK(!vpic_has_interrupt(&p));
	outb(&p, 0x21, 0x00);
	CHECK_EQ(vpic_ack(&p), BASE_S + 1);
	eoi_slave_then_master(&p);

	/* A slave mask bit hides its input only. */
	outb(&p, 0xa1, 0x01);
	pulse(&p, 8);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(inb(&p, 0xa0), 0x01);
	outb(&p, 0xa1, 0x00);
	CHECK_EQ(vpic_ack(&p), BASE_S + 0);
}

static void case_edge_latch(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	/* A line held high gives one interrupt per rising edge. */
	vpic_set_irq(&p, 4, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 4);
	eoi_master(&p);
	CHECK(!vpic_has_interrupt(&p));
	vpic_set_irq(&p, 4, 1);			/* still high: no edge */
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(inb(&p, 0x20), 0x00);
	vpic_set_irq(&p, 4, 0);
	CHECK(!vpic_has_interrupt(&p));
	vpic_set_irq(&p, 4, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 4);
	eoi_master(&p);

	/* The latch holds after the line drops again. */
	pulse(&p, 6);
	CHECK_EQ(inb(&p, 0x20), 0x40);
	CHECK_EQ(vpic_ack(&p), BASE_M + 6);
	CHECK_EQ(inb(&p, 0x20), 0x00);

	/* Two edges before INTA are one interrupt. */
	eoi_master(&p);
	pulse(&p, 6);
	pulse(&p, 6);
	CHECK_EQ(vpic_ack(&p), BASE_M + 6);
	eoi_master(&p);
	CHECK(!vpic_has_interrupt(&p));
}

static void case_level_elcr(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	/* IRQ 0, 1, 2, 8 and 13 have no ELCR bit. */
	outb(&p, 0x4d0, 0xff);
	outb(&p, 0x4d1, 0xff);
	CHECK_EQ(inb(&p, 0x4d0), 0xf8);
	CHECK_EQ(inb(&p, 0x4d1), 0xde);
	outb(&p, 0x4d0, 0x20);			/* IRQ 5 level */
	outb(&p, 0x4d1, 0x04);			/* IRQ 10 level */
	CHECK_EQ(inb(&p, 0x4d0), 0x20);
	CHECK_EQ(inb(&p, 0x4d1), 0x04);

	/* A level input requests for as long as it is high. */
	vpic_set_irq(&p, 5, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 5);
	CHECK(!vpic_has_interrupt(&p));		/* ISR blocks it */
	eoi_master(&p);
	CHECK(vpic_has_interrupt(&p));		/* line still high */
	CHECK_EQ(vpic_ack(&p), BASE_M + 5);
	vpic_set_irq(&p, 5, 0);			/* handler quiets the device */
	eoi_master(&p);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(inb(&p, 0x20), 0x00);

	/* The same on the slave, through the cascade. */
	vpic_set_irq(&p, 10, 1);
	CHECK_EQ(vpic_ack(&p), BASE_S + 2);
	eoi_slave_then_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_S + 2);
	vpic_set_irq(&p, 10, 0);
	eoi_slave_then_master(&p);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(pr.level, 0);

	/* ICW1.LTIM makes every input of the chip level triggered. */
	outb(&p, 0x20, 0x19);
	outb(&p, 0x21, BASE_M);
	outb(&p, 0x21, 4);
	outb(&p, 0x21, 1);
	vpic_set_irq(&p, 1, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	eoi_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	vpic_set_irq(&p, 1, 0);
	eoi_master(&p);
	CHECK(!vpic_has_interrupt(&p));
}

static void case_priority(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	pulse(&p, 1);
	pulse(&p, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	CHECK(!vpic_has_interrupt(&p));		/* IRQ 1 waits for the EOI */
	eoi_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	eoi_master(&p);

	/* The slave ranks as IR2: below IRQ 1, above IRQ 3. */
	pulse(&p, 3);
	pulse(&p, 14);
	pulse(&p, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	eoi_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_S + 6);
	eoi_slave_then_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	eoi_master(&p);

	/* On the slave, IRQ 8 before IRQ 15. */
	pulse(&p, 15);
	pulse(&p, 8);
	CHECK_EQ(vpic_ack(&p), BASE_S + 0);
	CHECK(!vpic_has_interrupt(&p));
	eoi_slave_then_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_S + 7);
	eoi_slave_then_master(&p);
	CHECK(!vpic_has_interrupt(&p));

	/* A higher priority request nests over one in service. */
	pulse(&p, 3);
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	pulse(&p, 5);
	CHECK(!vpic_has_interrupt(&p));
	pulse(&p, 0);
	CHECK(vpic_has_interrupt(&p));
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	CHECK_EQ(read_isr(&p, 0x20), 0x09);
	eoi_master(&p);				/* clears IRQ 0 */
	CHECK_EQ(read_isr(&p, 0x20), 0x08);
	CHECK(!vpic_has_interrupt(&p));
	eoi_master(&p);				/* clears IRQ 3 */
	CHECK_EQ(vpic_ack(&p), BASE_M + 5);
}

static void case_eoi(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	pulse(&p, 4);
	CHECK_EQ(vpic_ack(&p), BASE_M + 4);
	pulse(&p, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	CHECK_EQ(read_isr(&p, 0x20), 0x12);
	/* Specific EOI clears the named level, not the highest. */
	outb(&p, 0x20, 0x60 | 4);
	CHECK_EQ(read_isr(&p, 0x20), 0x02);
	outb(&p, 0x20, 0x60 | 1);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);
	/* A non-specific EOI with nothing in service is harmless. */
	eoi_master(&p);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);

	/* Slave: specific EOI on both chips, as some BIOSes do. */
	pulse(&p, 11);
	CHECK_EQ(vpic_ack(&p), BASE_S + 3);
	CHECK_EQ(read_isr(&p, 0xa0), 0x08);
	CHECK_EQ(read_isr(&p, 0x20), 0x04);
	outb(&p, 0xa0, 0x60 | 3);
	outb(&p, 0x20, 0x60 | 2);
	CHECK_EQ(read_isr(&p, 0xa0), 0x00);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);

	/* Until the master's IR2 EOI, another slave request waits. */
	pulse(&p, 9);
	CHECK_EQ(vpic_ack(&p), BASE_S + 1);
	pulse(&p, 13);
	outb(&p, 0xa0, 0x20);
	CHECK(!vpic_has_interrupt(&p));
	outb(&p, 0x20, 0x20);
	CHECK_EQ(vpic_ack(&p), BASE_S + 5);
}

static void case_ocw3_reads_and_poll(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	outb(&p, 0x21, 0x80);			/* mask IRQ 7 */
	pulse(&p, 7);
	pulse(&p, 3);
	outb(&p, 0x20, 0x0a);			/* read IRR */
	CHECK_EQ(inb(&p, 0x20), 0x88);
	CHECK_EQ(inb(&p, 0x20), 0x88);		/* the selection sticks */
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	outb(&p, 0x20, 0x0b);			/* read ISR */
	CHECK_EQ(inb(&p, 0x20), 0x08);
	CHECK_EQ(inb(&p, 0x21), 0x80);		/* data port: IMR */
	outb(&p, 0x20, 0x08);			/* OCW3, no RR: no change */
	CHECK_EQ(inb(&p, 0x20), 0x08);
	outb(&p, 0x20, 0x0a);
	CHECK_EQ(inb(&p, 0x20), 0x80);
	eoi_master(&p);

	/* Poll: the read acknowledges and returns I | level. */
	pulse(&p, 5);
	outb(&p, 0x20, 0x0c);
	CHECK_EQ(inb(&p, 0x20), 0x80 | 5);
	CHECK_EQ(read_isr(&p, 0x20), 0x20);
	CHECK_EQ(pr.level, 0);
	eoi_master(&p);
	outb(&p, 0x20, 0x0c);
	CHECK_EQ(inb(&p, 0x20), 0x00);		/* nothing pending */
	CHECK_EQ(inb(&p, 0x20), 0x80);		/* poll is one read only */

	/* Poll on the slave. */
	pulse(&p, 13);
	outb(&p, 0xa0, 0x0c);
	CHECK_EQ(inb(&p, 0xa1), 0x80 | 5);	/* either port */
	CHECK_EQ(read_isr(&p, 0xa0), 0x20);
}

static void case_auto_eoi(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, true);
	pulse(&p, 3);
	pulse(&p, 4);
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);
	CHECK(vpic_has_interrupt(&p));		/* no EOI needed */
	CHECK_EQ(vpic_ack(&p), BASE_M + 4);
	CHECK(!vpic_has_interrupt(&p));
	CHECK_EQ(pr.level, 0);

	/* Master in AEOI, slave not: the slave still wants its EOI. */
	pulse(&p, 12);
	CHECK_EQ(vpic_ack(&p), BASE_S + 4);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);
	CHECK_EQ(read_isr(&p, 0xa0), 0x10);
	pulse(&p, 13);
	CHECK(!vpic_has_interrupt(&p));
	outb(&p, 0xa0, 0x20);
	CHECK_EQ(vpic_ack(&p), BASE_S + 5);

	/* Rotate in auto-EOI mode: the served level becomes lowest. */
	outb(&p, 0xa0, 0x20);
	outb(&p, 0x20, 0x80);
	pulse(&p, 0);
	pulse(&p, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	pulse(&p, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);	/* IRQ 0 now ranks last */
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	outb(&p, 0x20, 0x00);			/* rotate off */
}

static void case_rotate_and_priority(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	/* Rotate on non-specific EOI: IRQ 0 becomes lowest. */
	pulse(&p, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	outb(&p, 0x20, 0xa0);
	pulse(&p, 0);
	pulse(&p, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	outb(&p, 0x20, 0x20);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	outb(&p, 0x20, 0x20);

	/* Set priority: IRQ 4 lowest, so IRQ 5 is the highest. */
	outb(&p, 0x20, 0xc0 | 4);
	pulse(&p, 4);
	pulse(&p, 0);
	pulse(&p, 5);
	CHECK_EQ(vpic_ack(&p), BASE_M + 5);
	eoi_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	/* Rotate on specific EOI: clears 0, makes it lowest. */
	outb(&p, 0x20, 0xe0 | 0);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);
	pulse(&p, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 4);
	eoi_master(&p);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	/* OCW2 no-op */
	outb(&p, 0x20, 0x40);
	CHECK_EQ(read_isr(&p, 0x20), 0x01);
}

static void case_special_mask(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	pulse(&p, 3);
	CHECK_EQ(vpic_ack(&p), BASE_M + 3);
	pulse(&p, 5);
	CHECK(!vpic_has_interrupt(&p));
	/* The handler masks its own level and enters special mask mode. */
	outb(&p, 0x21, 0x08);
	outb(&p, 0x20, 0x68);
	CHECK(vpic_has_interrupt(&p));
	CHECK_EQ(vpic_ack(&p), BASE_M + 5);
	outb(&p, 0x20, 0x60 | 5);
	outb(&p, 0x20, 0x48);			/* leave special mask mode */
	outb(&p, 0x21, 0x00);
	pulse(&p, 6);
	CHECK(!vpic_has_interrupt(&p));		/* IRQ 3 blocks again */
	outb(&p, 0x20, 0x60 | 3);
	CHECK_EQ(vpic_ack(&p), BASE_M + 6);
}

static void case_spurious(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	outb(&p, 0x4d0, 0x20);
	outb(&p, 0x4d1, 0x04);
	/* A level request that vanishes before INTA: IRQ 7, no ISR bit. */
	vpic_set_irq(&p, 5, 1);
	CHECK_EQ(pr.level, 1);
	vpic_set_irq(&p, 5, 0);
	CHECK_EQ(pr.level, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 7);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);

	/* Masked between INTR and INTA: the same. */
	pulse(&p, 1);
	outb(&p, 0x21, 0x02);
	CHECK_EQ(pr.level, 0);
	CHECK_EQ(vpic_ack(&p), BASE_M + 7);
	CHECK_EQ(read_isr(&p, 0x20), 0x00);
	outb(&p, 0x21, 0x00);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);	/* still latched */
	eoi_master(&p);

	/* On the slave: IRQ 15, master IR2 in service, slave ISR clear. */
	vpic_set_irq(&p, 10, 1);
	vpic_set_irq(&p, 10, 0);
	CHECK(vpic_has_interrupt(&p));		/* master IR2 latched the edge */
	CHECK_EQ(vpic_ack(&p), BASE_S + 7);
	CHECK_EQ(read_isr(&p, 0xa0), 0x00);
	CHECK_EQ(read_isr(&p, 0x20), 0x04);
	eoi_master(&p);				/* what Linux does for it */
	CHECK(!vpic_has_interrupt(&p));

	/* INTA with nothing at all pending. */
	CHECK_EQ(vpic_ack(&p), BASE_M + 7);
}

static void case_intr_line(void)
{
	struct vpic p;
	struct intr_probe pr;

	setup(&p, &pr, false);
	CHECK_EQ(pr.raises, 0);
	CHECK_EQ(pr.lowers, 0);
	pulse(&p, 0);
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(pr.raises, 1);
	pulse(&p, 1);				/* already high: not driven again */
	CHECK_EQ(pr.raises, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 0);
	CHECK_EQ(pr.level, 0);			/* IRQ 1 blocked by ISR */
	CHECK_EQ(pr.lowers, 1);
	eoi_master(&p);
	CHECK_EQ(pr.level, 1);			/* IRQ 1 deliverable now */
	CHECK_EQ(pr.raises, 2);
	outb(&p, 0x21, 0x02);
	CHECK_EQ(pr.level, 0);
	outb(&p, 0x21, 0x00);
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 1);
	CHECK_EQ(pr.level, 0);
	eoi_master(&p);
	CHECK_EQ(pr.level, 0);
	CHECK_EQ(pr.raises, 3);
	CHECK_EQ(pr.lowers, 3);

	/* Through the cascade. */
	pulse(&p, 8);
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(vpic_ack(&p), BASE_S + 0);
	CHECK_EQ(pr.level, 0);
	pulse(&p, 9);
	CHECK_EQ(pr.level, 0);
	outb(&p, 0xa0, 0x20);
	CHECK_EQ(pr.level, 0);			/* master IR2 in service */
	outb(&p, 0x20, 0x20);
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(vpic_ack(&p), BASE_S + 1);
	CHECK_EQ(pr.level, 0);

	/* As an irq_line input. */
	eoi_slave_then_master(&p);
	struct irq_line in = { .set = vpic_irq_line_set, .ctx = &p, .line = 6 };
	irq_line_pulse(&in);
	CHECK_EQ(pr.level, 1);
	CHECK_EQ(vpic_ack(&p), BASE_M + 6);
	/* IRQ 2 is the cascade: not an input. */
	vpic_set_irq(&p, 2, 1);
	CHECK_EQ(inb(&p, 0x20), 0x00);
}

static void case_ack_from_callback(void)
{
	struct vpic p;
	struct intr_probe pr;

	/* An INTR handler that runs INTA at once must not deadlock. */
	setup(&p, &pr, true);
	pr.ack_from_cb = &p;
	pulse(&p, 4);
	CHECK_EQ(pr.cb_vector, BASE_M + 4);
	CHECK_EQ(pr.level, 0);			/* lowered after the ack */
	CHECK(!vpic_has_interrupt(&p));
	pulse(&p, 11);
	CHECK_EQ(pr.cb_vector, BASE_S + 3);
	CHECK_EQ(pr.level, 0);
}

/* Threaded: inputs from several CPUs; the line ends at the state's level. */
struct stress_ctx {
	struct vpic p;
	struct intr_probe pr;
};

static void stress_worker(struct worker *w)
{
	struct stress_ctx *s = w->arg;
	static const unsigned int irqs[] = { 1, 3, 9, 12 };
	unsigned int irq = irqs[w->cpu - 1];

	for (int i = 0; i < 20000; i++) {
		pulse(&s->p, irq);
		if (i % 3 == 0)
			vpic_ack(&s->p);
	}
}

static void case_threads(void)
{
	static struct stress_ctx s;
	struct worker w[4];

	setup(&s.p, &s.pr, true);
	for (unsigned int i = 0; i < 4; i++)
		worker_start(&w[i], i + 1, stress_worker, &s);
	for (unsigned int i = 0; i < 4; i++)
		worker_join(&w[i]);
	CHECK_EQ(s.pr.level, vpic_has_interrupt(&s.p));
	while (vpic_has_interrupt(&s.p))
		vpic_ack(&s.p);
	CHECK_EQ(s.pr.level, 0);
	CHECK_EQ(s.p.drive.driver, 0);
}

int main(void)
{
	RUN(case_power_on_masked);
	RUN(case_linux_init);
	RUN(case_mask);
	RUN(case_edge_latch);
	RUN(case_level_elcr);
	RUN(case_priority);
	RUN(case_eoi);
	RUN(case_ocw3_reads_and_poll);
	RUN(case_auto_eoi);
	RUN(case_rotate_and_priority);
	RUN(case_special_mask);
	RUN(case_spurious);
	RUN(case_intr_line);
	RUN(case_ack_from_callback);
	RUN(case_threads);
	return check_done();
}
