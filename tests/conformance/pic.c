/*
 * Conformance kernel "pic": the 8259 pair, driven through QEMU's
 * pc-testdev ISA lines (port 0x2000 + n). Initialisation and the mask
 * register, IRR and ISR read through OCW3, EOI, an edge latched while
 * masked, the slave through the cascade, priority between two pending
 * requests, an in-service request holding back its own line until the EOI,
 * poll mode. Delivery through LINT0 as ExtINT; edge-triggered lines.
 */
#include "conf.h"

const char conf_kernel[] = "pic";

#define PIC1_CMD    0x20
#define PIC1_DATA   0x21
#define PIC2_CMD    0xa0
#define PIC2_DATA   0xa1
#define OCW3_IRR    0x0a
#define OCW3_ISR    0x0b
#define OCW3_POLL   0x0c
#define POLL_INT    BIT(7)
#define TESTDEV_IRQ 0x2000
#define VEC_BASE    0x20
#define IRQ_M       5		/* a master line nothing else drives */
#define IRQ_S       14		/* a slave line (IR6), edge; 10 and 11 are
				 * level-triggered PCI lines under SeaBIOS */
#define CASCADE     2
#define SETTLE_US   2000

static volatile u32 order[8], taken, no_eoi;
static volatile u8 isr_m_in_handler, isr_s_in_handler;

static void set_line(u32 irq, int level)
{
	outb(TESTDEV_IRQ + irq, (u8)level);
}

static u8 ocw3_read(u16 cmd, u8 ocw3)
{
	outb(cmd, ocw3);
	return inb(cmd);
}

static void pic_handler(struct frame *f)
{
	u32 irq = f->vector - VEC_BASE;

	isr_m_in_handler = ocw3_read(PIC1_CMD, OCW3_ISR);
	isr_s_in_handler = ocw3_read(PIC2_CMD, OCW3_ISR);
	if (taken < ARRAY_SIZE(order))
		order[taken] = irq;
	taken++;
	if (!no_eoi)
		pic_eoi(irq);
}

static void reset_counts(void)
{
	taken = 0;
	no_eoi = 0;
	for (u32 i = 0; i < ARRAY_SIZE(order); i++)
		order[i] = 0xff;
}

static void test_imr(void)
{
	u8 m, s;

	pic_set_mask(0x5aa5);
	m = inb(PIC1_DATA);
	s = inb(PIC2_DATA);
	check("imr_rw", m == 0xa5 && s == 0x5a, "wrote 0xa5/0x5a, read 0x%x/0x%x", m, s);
	pic_set_mask(0xffff);
}

static void test_edge_eoi(void)
{
	u8 isr_after;

	reset_counts();
	pic_set_mask((u16)~BIT(IRQ_M));
	set_line(IRQ_M, 1);
	delay_us(SETTLE_US);
	set_line(IRQ_M, 0);
	isr_after = ocw3_read(PIC1_CMD, OCW3_ISR);
	check("edge", taken == 1 && order[0] == IRQ_M, "%u interrupts, first IRQ %u", taken, order[0]);
	check("isr_eoi", (isr_m_in_handler & BIT(IRQ_M)) && !(isr_after & BIT(IRQ_M)),
	      "ISR 0x%x in the handler, 0x%x after its EOI", isr_m_in_handler, isr_after);
}

static void test_masked_latch(void)
{
	u8 irr;

	reset_counts();
	pic_set_mask(0xffff);
	set_line(IRQ_M, 1);
	delay_us(SETTLE_US);
	irr = ocw3_read(PIC1_CMD, OCW3_IRR);
	check("masked", taken == 0 && (irr & BIT(IRQ_M)), "%u interrupts while masked, IRR 0x%x",
	      taken, irr);
	pic_set_mask((u16)~BIT(IRQ_M));
	delay_us(SETTLE_US);
	set_line(IRQ_M, 0);
	check("unmask_delivers", taken == 1, "%u interrupts on unmasking a raised line", taken);
}

static void test_slave(void)
{
	reset_counts();
	pic_set_mask((u16)~(BIT(IRQ_S) | BIT(CASCADE)));
	set_line(IRQ_S, 1);
	delay_us(SETTLE_US);
	set_line(IRQ_S, 0);
	check("slave", taken == 1 && order[0] == IRQ_S &&
	      (isr_s_in_handler & BIT(IRQ_S - 8)) && (isr_m_in_handler & BIT(CASCADE)),
	      "%u interrupts (IRQ %u), slave ISR 0x%x, master ISR 0x%x", taken, order[0],
	      isr_s_in_handler, isr_m_in_handler);
}

/* IR2 (the cascade, IRQ 10 behind it) outranks IR5. */
static void test_priority(void)
{
	reset_counts();
	pic_set_mask((u16)~(BIT(IRQ_M) | BIT(IRQ_S) | BIT(CASCADE)));
	cli();
	set_line(IRQ_M, 1);
	set_line(IRQ_S, 1);
	sti();
	delay_us(SETTLE_US);
	set_line(IRQ_M, 0);
	set_line(IRQ_S, 0);
	check("priority", taken == 2 && order[0] == IRQ_S && order[1] == IRQ_M,
	      "%u interrupts, order IRQ %u then IRQ %u (expected %u then %u)", taken, order[0],
	      order[1], IRQ_S, IRQ_M);
}

static void test_in_service(void)
{
	reset_counts();
	no_eoi = 1;
	pic_set_mask((u16)~BIT(IRQ_M));
	set_line(IRQ_M, 1);
	delay_us(SETTLE_US);
	set_line(IRQ_M, 0);
	set_line(IRQ_M, 1);
	delay_us(SETTLE_US);
	check("in_service_blocks", taken == 1, "%u interrupts with the first still in service", taken);
	no_eoi = 0;
	pic_eoi(IRQ_M);
	delay_us(SETTLE_US);
	set_line(IRQ_M, 0);
	check("eoi_releases", taken == 2, "%u interrupts after the EOI (expected 2)", taken);
}

static void test_poll(void)
{
	u8 p, isr;

	reset_counts();
	cli();
	pic_set_mask((u16)~BIT(IRQ_M));
	set_line(IRQ_M, 1);
	outb(PIC1_CMD, OCW3_POLL);
	p = inb(PIC1_CMD);
	isr = ocw3_read(PIC1_CMD, OCW3_ISR);
	set_line(IRQ_M, 0);
	pic_eoi(IRQ_M);
	sti();
	delay_us(SETTLE_US);
	check("poll", p == (POLL_INT | IRQ_M) && (isr & BIT(IRQ_M)) && taken == 0,
	      "poll byte 0x%x (expected 0x%x), ISR 0x%x, %u interrupts", p, POLL_INT | IRQ_M,
	      isr, taken);
}

void kmain(u32 magic, u32 info)
{
	tsc_calibrate();
	pic_init(VEC_BASE);
	lapic_init();
	lapic_extint();
	for (u32 v = VEC_BASE; v < VEC_BASE + 16; v++)
		set_handler((u8)v, pic_handler);
	set_line(IRQ_M, 0);
	set_line(IRQ_S, 0);
	test_imr();
	sti();
	test_edge_eoi();
	test_masked_latch();
	test_slave();
	test_priority();
	test_in_service();
	test_poll();
	cli();
	pic_set_mask(0xffff);
}
