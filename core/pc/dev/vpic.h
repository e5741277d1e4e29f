/*
 * Virtual 8259A PIC pair, as on the PC: the master at ports 0x20/0x21, the
 * slave at 0xa0/0xa1 cascaded on master IR2, and the PIIX edge/level
 * control registers (ELCR) at 0x4d0/0x4d1.
 *
 * Inputs: vpic_set_irq() with ISA IRQ 0-15 (usable as an irq_line .set
 * through vpic_irq_line_set(), ctx = the vpic). Output: the INTR pin, an
 * irq_line driven with 1 while an unmasked request is deliverable and with
 * 0 when none is; the CPU side then runs the INTA cycle with vpic_ack().
 *
 * Runs in any context: vCPU port-I/O exits, device timer callbacks, any
 * CPU. One spinlock guards the pair; the INTR line is driven after it is
 * dropped (see vpic_unlock_and_drive() in vpic.c).
 */
#ifndef CORE_DEV_VPIC_H
#define CORE_DEV_VPIC_H

#include "core/lib/compiler.h"
#include "core/pc/dev/irq_drive.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"

#define VPIC_MASTER_CMD		0x20
#define VPIC_MASTER_DATA	0x21
#define VPIC_SLAVE_CMD		0xa0
#define VPIC_SLAVE_DATA		0xa1
#define VPIC_ELCR_MASTER	0x4d0
#define VPIC_ELCR_SLAVE		0x4d1

#define VPIC_NR_IRQS		16
/* The master input the slave's INT output drives. */
#define VPIC_CASCADE_IRQ	2

/* ICW1: written to the command port with bit 4 set. */
#define PIC_ICW1_IC4		BIT(0)	/* ICW4 follows */
#define PIC_ICW1_SNGL		BIT(1)	/* single PIC: no ICW3 */
#define PIC_ICW1_ADI		BIT(2)	/* 8080 call interval, ignored */
#define PIC_ICW1_LTIM		BIT(3)	/* every input level triggered */
#define PIC_ICW1_INIT		BIT(4)
/* ICW4 */
#define PIC_ICW4_8086		BIT(0)	/* 8086 mode (else 8080 mode) */
#define PIC_ICW4_AEOI		BIT(1)	/* automatic EOI */
#define PIC_ICW4_MS		BIT(2)	/* buffered master, ignored */
#define PIC_ICW4_BUF		BIT(3)	/* buffered mode, ignored */
#define PIC_ICW4_SFNM		BIT(4)	/* special fully nested mode */
/* OCW2: command port, bits 4-3 = 00. R, SL, EOI in bits 7-5, level 2-0. */
#define PIC_OCW2_LEVEL(v)	((v) & 7u)
#define PIC_OCW2_CMD(v)		(((v) >> 5) & 7u)
#define PIC_OCW2_ROTATE_AEOI_CLEAR	0u
#define PIC_OCW2_EOI			1u
#define PIC_OCW2_NOP			2u
#define PIC_OCW2_SPECIFIC_EOI		3u
#define PIC_OCW2_ROTATE_AEOI_SET	4u
#define PIC_OCW2_ROTATE_EOI		5u
#define PIC_OCW2_SET_PRIORITY		6u
#define PIC_OCW2_ROTATE_SPECIFIC_EOI	7u
/* OCW3: command port, bits 4-3 = 01. */
#define PIC_OCW3_SEL		BIT(3)
#define PIC_OCW3_RIS		BIT(0)	/* read ISR (else IRR) ... */
#define PIC_OCW3_RR		BIT(1)	/* ... if this is set */
#define PIC_OCW3_POLL		BIT(2)
#define PIC_OCW3_SMM		BIT(5)	/* special mask mode on ... */
#define PIC_OCW3_ESMM		BIT(6)	/* ... if this is set */
/* The byte a poll-mode read returns: I bit and the level. */
#define PIC_POLL_INT		BIT(7)

/* One 8259A. Every field is guarded by the owning vpic's lock. */
struct vpic_chip {
	uint8_t irr;		/* interrupt request register */
	uint8_t isr;		/* in-service register */
	uint8_t imr;		/* interrupt mask register (OCW1) */
	uint8_t lines;		/* input levels now, for edge detection */
	uint8_t elcr;		/* level-triggered inputs (ELCR) */
	uint8_t elcr_mask;	/* ELCR bits that exist */
	uint8_t vector_base;	/* ICW2 & 0xf8 */
	uint8_t icw3;
	uint8_t lowest;		/* IR of lowest priority (rotation), 7 at reset */
	uint8_t init_step;	/* next ICW expected: 0 = none (operational) */
	bool ltim;		/* ICW1.LTIM: all inputs level triggered */
	bool single;		/* ICW1.SNGL */
	bool need_icw4;		/* ICW1.IC4 */
	bool auto_eoi;		/* ICW4.AEOI */
	bool sfnm;		/* ICW4.SFNM */
	bool rotate_aeoi;	/* OCW2 rotate in auto-EOI mode */
	bool read_isr;		/* OCW3: command port reads ISR, else IRR */
	bool poll;		/* OCW3.P: the next read is a poll */
	bool special_mask;	/* OCW3 special mask mode */
};

struct vpic {
	spinlock_t lock;
	/* lock must be held when using these. */
	struct vpic_chip chip[2];	/* [0] master, [1] slave */
	int out_level;		/* level last driven on intr */
	struct irq_drive drive;	/* INTR's driver (core/pc/dev/irq_drive.h) */
	/* Constant after vpic_init(). */
	struct irq_line intr;
};

/*
 * Puts the pair in its power-on state: uninitialised, every input masked,
 * vectors 0x00/0x08 until the guest writes ICW2, all inputs edge
 * triggered. @intr (copied; NULL or a NULL .set: no output line) is the
 * INTR pin, driven with 1 while vpic_has_interrupt() and with 0 otherwise.
 */
void vpic_init(struct vpic *p, const struct irq_line *intr);

/*
 * Drives ISA input @irq (0-15) to @level (non-zero = high). An edge
 * triggered input latches a request on a rising edge; a level-triggered
 * one (ICW1.LTIM or ELCR) requests while high. IRQ 2 is the cascade and is
 * ignored here, as on the PC where ISA IRQ 2 reaches the slave as IRQ 9.
 */
void vpic_set_irq(struct vpic *p, unsigned int irq, int level);

/* vpic_set_irq() as an irq_line .set, with ctx = the struct vpic. */
void vpic_irq_line_set(void *ctx, unsigned int line, int level);

/* True if an unmasked request would be delivered by vpic_ack() now. */
bool vpic_has_interrupt(struct vpic *p);

/*
 * The INTA cycle: returns the vector of the highest-priority deliverable
 * request and moves it from IRR to ISR (none in auto-EOI mode), through
 * the slave when the master picks IR2. If the request vanished (masked,
 * level input dropped) returns the spurious vector: master base + 7, or
 * slave base + 7 with master IR2 left in service, as the 8259A does.
 */
int vpic_ack(struct vpic *p);

/*
 * vpic_ack() that also says which ISA input (0-15) it acknowledged in
 * *isa_irq, -1 for a spurious vector: the guest taking that input's
 * interrupt (the vPIT counts its IRQ 0 ticks there).
 */
int vpic_ack_isa(struct vpic *p, int *isa_irq);

/*
 * True if ISA input irq (0-15) has a request in its chip's IRR that its
 * mask lets through: an interrupt that will be delivered. Any CPU.
 */
bool vpic_irq_requested(struct vpic *p, unsigned int irq);

/* Ports 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1; dev is the struct vpic. */
extern const struct vdev_io_ops vpic_io_ops;

/*
 * Prints both chips (IRR, ISR, IMR, ELCR as bit masks, the vector bases),
 * one line per print() call; the state is copied under the lock first.
 */
void vpic_dump(struct vpic *p, void (*print)(void *ctx, const char *line), void *ctx);

#endif
