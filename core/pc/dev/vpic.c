/*
 * Virtual 8259A PIC pair with the PIIX ELCR (see core/pc/dev/vpic.h).
 *
 * Runs in any context, any CPU, interrupts in either state: vCPU port-I/O
 * exits, the INTA step of interrupt injection, device timer callbacks.
 * Takes only p->lock (with interrupts off, since a timer callback may
 * run in an interrupt handler); drives the INTR line after dropping it.
 *
 * Model: each chip keeps IRR, ISR, IMR and the input levels. An edge
 * input latches IRR on a low-to-high change of its level; a level input
 * (ICW1.LTIM or its ELCR bit) has IRR follow the line, so a request that
 * drops before INTA is lost and INTA answers with the spurious IR7. The
 * slave's INT output is master IR2: while the slave has a deliverable
 * request, master IRR2 is (re)latched at every update, as QEMU and KVM
 * do, so a slave request that stays pending across an INTA is not lost.
 * Priority is rotating: 'lowest' is the IR of lowest priority (7 at
 * reset), the one after it the highest.
 */
#include "core/pc/dev/vpic.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/lib/platform.h"

#define VPIC_MASTER 0
#define VPIC_SLAVE  1

/* ELCR bits that exist on PIIX: IRQ 0, 1, 2, 8 and 13 are edge only. */
#define VPIC_ELCR_MASK_MASTER 0xf8
#define VPIC_ELCR_MASK_SLAVE  0xde

/* Spurious requests are answered as IR7 of the chip that was asked. */
#define VPIC_SPURIOUS_IR 7

/* Init sequence: the ICW the next data-port write is (0: operational). */
#define VPIC_INIT_DONE 0
#define VPIC_INIT_ICW2 2
#define VPIC_INIT_ICW3 3
#define VPIC_INIT_ICW4 4

static uint8_t chip_level_mask(const struct vpic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* Rank of @ir in the rotating order: 0 is the highest priority. */
static unsigned int chip_rank(const struct vpic_chip *c, unsigned int ir)
{
	return (ir - c->lowest - 1) & 7;
}

/* Highest-priority IR set in @mask, or -1 if @mask is empty. */
static int chip_highest(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned int r = 0; r < 8; r++) {
		unsigned int ir = (c->lowest + 1 + r) & 7;

		if (mask & BIT(ir))
			return (int)ir;
	}
	return -1;
}

/*
 * The IR this chip would deliver at INTA now, or -1: the highest unmasked
 * request, if no in-service level of equal or higher priority blocks it.
 * In special mask mode masked in-service levels do not block; in special
 * fully nested mode the master's IR2 does not block the slave.
 */
static int chip_pending(const struct vpic_chip *c, bool master)
{
	uint8_t in_service = c->isr;
	int ir, cur;

	if (c->init_step != VPIC_INIT_DONE)
		return -1;
	ir = chip_highest(c, c->irr & ~c->imr);
	if (ir < 0)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (master && c->sfnm)
		in_service &= ~BIT(VPIC_CASCADE_IRQ);
	cur = chip_highest(c, in_service);
	if (cur >= 0 && chip_rank(c, (unsigned int)cur) <= chip_rank(c, (unsigned int)ir))
		return -1;
	return ir;
}

/* Drives input @ir of one chip to @level; see the model above. */
static void chip_set_input(struct vpic_chip *c, unsigned int ir, bool level)
{
	uint8_t bit = BIT(ir);

	if (chip_level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/* Level inputs take IRR from the line after a trigger mode change. */
static void chip_resync_level(struct vpic_chip *c)
{
	uint8_t lvl = chip_level_mask(c);

	c->irr = (c->irr & ~lvl) | (c->lines & lvl);
}

/* Acknowledge of @ir (INTA or a poll read): IRR to ISR, or auto-EOI. */
static void chip_intack(struct vpic_chip *c, unsigned int ir)
{
	uint8_t bit = BIT(ir);

	/* A level input keeps requesting while its line is high. */
	if (!(chip_level_mask(c) & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->lowest = ir;
	} else {
		c->isr |= bit;
	}
}

/* Feeds the slave's INT output to master IR2; lock held. */
static void vpic_update_cascade(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];
	bool out = chip_pending(&p->chip[VPIC_SLAVE], false) >= 0;

	spin_assert_held(&p->lock);
	if (out)
		m->lines &= ~BIT(VPIC_CASCADE_IRQ);	/* re-latch: see above */
	chip_set_input(m, VPIC_CASCADE_IRQ, out);
}

/* The level INTR should have, or -1 if it has it already; lock held. */
static int vpic_drive_sample(void *dev)
{
	struct vpic *p = dev;
	int level = chip_pending(&p->chip[VPIC_MASTER], true) >= 0;

	if (level == p->out_level)
		return -1;
	p->out_level = level;
	return level;
}

/*
 * Drops p->lock (taken with spin_lock_irqsave(), @flags) and brings the
 * INTR line to the level the state now calls for, one driver at a time
 * with each caller bounded (core/pc/dev/irq_drive.h). Every function that
 * changes the state leaves through here. A line handler may call back
 * into the vpic (vpic_ack()) on the driving CPU; the helper drives once
 * more for such a nested change.
 */
static void vpic_unlock_and_drive(struct vpic *p, unsigned long flags)
{
	irq_drive_unlock(&p->drive, &p->lock, flags, irq_drive_change(&p->drive),
			 vpic_drive_sample, p, &p->intr);
}

static void chip_reset(struct vpic_chip *c, uint8_t elcr_mask)
{
	*c = (struct vpic_chip){
		.imr = 0xff,
		.elcr_mask = elcr_mask,
		.lowest = 7,
	};
}

void vpic_init(struct vpic *p, const struct irq_line *intr)
{
	spin_lock_init(&p->lock);
	chip_reset(&p->chip[VPIC_MASTER], VPIC_ELCR_MASK_MASTER);
	chip_reset(&p->chip[VPIC_SLAVE], VPIC_ELCR_MASK_SLAVE);
	p->chip[VPIC_SLAVE].vector_base = 0x08;
	p->out_level = 0;
	p->drive = (struct irq_drive){ 0 };
	p->intr = intr ? *intr : (struct irq_line){ 0 };
}

void vpic_set_irq(struct vpic *p, unsigned int irq, int level)
{
	unsigned long flags;

	/* Wiring is the hypervisor's: a bad number is our bug. */
	ASSERT(irq < VPIC_NR_IRQS);
	if (irq == VPIC_CASCADE_IRQ)
		return;
	flags = spin_lock_irqsave(&p->lock);
	chip_set_input(&p->chip[irq >> 3], irq & 7, level != 0);
	vpic_update_cascade(p);
	vpic_unlock_and_drive(p, flags);
}

void vpic_irq_line_set(void *ctx, unsigned int line, int level)
{
	vpic_set_irq(ctx, line, level);
}

bool vpic_has_interrupt(struct vpic *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool ret = chip_pending(&p->chip[VPIC_MASTER], true) >= 0;

	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

bool vpic_irq_requested(struct vpic *p, unsigned int irq)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	const struct vpic_chip *c = &p->chip[irq < 8 ? VPIC_MASTER : VPIC_SLAVE];
	uint8_t bit = (uint8_t)(1u << (irq & 7));
	bool ret = (c->irr & bit) && !(c->imr & bit);

	spin_unlock_irqrestore(&p->lock, flags);
	return ret;
}

int vpic_ack(struct vpic *p)
{
	int isa_irq;

	return vpic_ack_isa(p, &isa_irq);
}

int vpic_ack_isa(struct vpic *p, int *isa_irq)
{
	struct vpic_chip *m = &p->chip[VPIC_MASTER];
	struct vpic_chip *s = &p->chip[VPIC_SLAVE];
	unsigned long flags = spin_lock_irqsave(&p->lock);
	int ir = chip_pending(m, true);
	int vector;

	*isa_irq = -1;
	if (ir < 0) {
		/* The request went away after INTR: no ISR bit is set. */
		vector = m->vector_base + VPIC_SPURIOUS_IR;
	} else if (ir != VPIC_CASCADE_IRQ) {
		chip_intack(m, (unsigned int)ir);
		vector = m->vector_base + ir;
		*isa_irq = ir;
	} else {
		/*
		 * The master acknowledges IR2 and hands the vector cycle to
		 * the slave, which answers IR7 if its request has gone: the
		 * master's IR2 then stays in service (spurious IRQ 15).
		 */
		int sir = chip_pending(s, false);

		chip_intack(m, VPIC_CASCADE_IRQ);
		if (sir < 0) {
			vector = s->vector_base + VPIC_SPURIOUS_IR;
		} else {
			chip_intack(s, (unsigned int)sir);
			vector = s->vector_base + sir;
			*isa_irq = 8 + sir;
		}
	}
	vpic_update_cascade(p);
	vpic_unlock_and_drive(p, flags);
	return vector;
}

/* ICW1: starts the init sequence and resets most of the chip. */
static void chip_write_icw1(struct vpic_chip *c, uint8_t val)
{
	c->ltim = val & PIC_ICW1_LTIM;
	c->single = val & PIC_ICW1_SNGL;
	c->need_icw4 = val & PIC_ICW1_IC4;
	/* The edge sense is reset: an edge input needs a new rising edge. */
	c->irr = 0;
	chip_resync_level(c);
	c->isr = 0;
	c->imr = 0;
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!c->need_icw4) {
		c->auto_eoi = false;
		c->sfnm = false;
	}
	c->init_step = VPIC_INIT_ICW2;
}

/* The ICW2-ICW4 writes to the data port during the init sequence. */
static void chip_write_icw(struct vpic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case VPIC_INIT_ICW2:
		c->vector_base = val & 0xf8;
		if (!c->single)
			c->init_step = VPIC_INIT_ICW3;
		else
			c->init_step = c->need_icw4 ? VPIC_INIT_ICW4 : VPIC_INIT_DONE;
		break;
	case VPIC_INIT_ICW3:
		/* The cascade is wired to IR2 whatever the guest says. */
		c->icw3 = val;
		c->init_step = c->need_icw4 ? VPIC_INIT_ICW4 : VPIC_INIT_DONE;
		break;
	case VPIC_INIT_ICW4:
		/* 8080 mode (uPM = 0) has no meaning on x86: run as 8086. */
		c->auto_eoi = val & PIC_ICW4_AEOI;
		c->sfnm = val & PIC_ICW4_SFNM;
		c->init_step = VPIC_INIT_DONE;
		break;
	}
}

static void chip_write_ocw2(struct vpic_chip *c, uint8_t val)
{
	unsigned int level = PIC_OCW2_LEVEL(val);
	int ir;

	switch (PIC_OCW2_CMD(val)) {
	case PIC_OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case PIC_OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case PIC_OCW2_EOI:
	case PIC_OCW2_ROTATE_EOI:
		ir = chip_highest(c, c->isr);
		if (ir < 0)
			break;
		c->isr &= ~BIT(ir);
		if (PIC_OCW2_CMD(val) == PIC_OCW2_ROTATE_EOI)
			c->lowest = (uint8_t)ir;
		break;
	case PIC_OCW2_SPECIFIC_EOI:
		c->isr &= ~BIT(level);
		break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~BIT(level);
		c->lowest = level;
		break;
	case PIC_OCW2_SET_PRIORITY:
		c->lowest = level;
		break;
	case PIC_OCW2_NOP:
		break;
	}
}

static void chip_write_ocw3(struct vpic_chip *c, uint8_t val)
{
	if (val & PIC_OCW3_ESMM)
		c->special_mask = val & PIC_OCW3_SMM;
	if (val & PIC_OCW3_POLL)
		c->poll = true;
	if (val & PIC_OCW3_RR)
		c->read_isr = val & PIC_OCW3_RIS;
}

/*
 * A poll-mode read: acknowledges the highest deliverable request as INTA
 * would and returns PIC_POLL_INT | its IR, or 0 if there is none.
 */
static uint8_t chip_read_poll(struct vpic_chip *c, bool master)
{
	int ir = chip_pending(c, master);

	if (ir < 0)
		return 0;
	chip_intack(c, (unsigned int)ir);
	return PIC_POLL_INT | (uint8_t)ir;
}

/* One byte at one port; lock held. */
static uint8_t vpic_read_byte(struct vpic *p, uint16_t port)
{
	struct vpic_chip *c;
	unsigned int idx;

	switch (port) {
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE:
		return p->chip[port - VPIC_ELCR_MASTER].elcr;
	case VPIC_MASTER_CMD:
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_CMD:
	case VPIC_SLAVE_DATA:
		break;
	default:
		return 0xff;
	}
	idx = port >= VPIC_SLAVE_CMD ? VPIC_SLAVE : VPIC_MASTER;
	c = &p->chip[idx];
	/* The read after a poll command is the poll, from either port. */
	if (c->poll) {
		c->poll = false;
		return chip_read_poll(c, idx == VPIC_MASTER);
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/* One byte at one port; lock held. */
static void vpic_write_byte(struct vpic *p, uint16_t port, uint8_t val)
{
	struct vpic_chip *c;

	switch (port) {
	case VPIC_ELCR_MASTER:
	case VPIC_ELCR_SLAVE:
		c = &p->chip[port - VPIC_ELCR_MASTER];
		c->elcr = val & c->elcr_mask;
		chip_resync_level(c);
		return;
	case VPIC_MASTER_CMD:
	case VPIC_MASTER_DATA:
	case VPIC_SLAVE_CMD:
	case VPIC_SLAVE_DATA:
		break;
	default:
		return;
	}
	c = &p->chip[port >= VPIC_SLAVE_CMD ? VPIC_SLAVE : VPIC_MASTER];
	if (port & 1) {
		if (c->init_step != VPIC_INIT_DONE)
			chip_write_icw(c, val);
		else
			c->imr = val;	/* OCW1 */
	} else if (val & PIC_ICW1_INIT) {
		chip_write_icw1(c, val);
	} else if (val & PIC_OCW3_SEL) {
		chip_write_ocw3(c, val);
	} else {
		chip_write_ocw2(c, val);
	}
}

/* A wider access covers consecutive ports, lowest byte first. */
static int vpic_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	struct vpic *p = dev;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint32_t v = 0;

	for (unsigned int i = 0; i < size && i < 4; i++)
		v |= (uint32_t)vpic_read_byte(p, (uint16_t)(port + i)) << (8 * i);
	vpic_update_cascade(p);		/* a poll read acknowledges */
	vpic_unlock_and_drive(p, flags);
	*val = v;
	return 0;
}

static int vpic_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vpic *p = dev;
	unsigned long flags = spin_lock_irqsave(&p->lock);

	for (unsigned int i = 0; i < size && i < 4; i++)
		vpic_write_byte(p, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
	vpic_update_cascade(p);
	vpic_unlock_and_drive(p, flags);
	return 0;
}

const struct vdev_io_ops vpic_io_ops = {
	.read = vpic_io_read,
	.write = vpic_io_write,
};

void vpic_dump(struct vpic *p, void (*print)(void *ctx, const char *line), void *ctx)
{
	static const char *const names[2] = { "master", "slave" };
	struct vpic_chip c[2];
	char line[128];

	/* Copied under the lock, printed after it. */
	spin_lock(&p->lock);
	c[0] = p->chip[0];
	c[1] = p->chip[1];
	spin_unlock(&p->lock);
	for (unsigned int i = 0; i < 2; i++) {
		hv_snprintf(line, sizeof(line),
			    "pic %s: vectors %02x-%02x irr %02x isr %02x imr %02x elcr %02x%s%s",
			    names[i], c[i].vector_base, c[i].vector_base + 7, c[i].irr, c[i].isr,
			    c[i].imr, c[i].elcr, c[i].init_step ? " (initialising)" : "",
			    c[i].auto_eoi ? " auto-EOI" : "");
		print(ctx, line);
	}
}
