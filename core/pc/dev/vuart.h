/*
 * Virtual 16550A UART, as a PC guest sees it on COM1 (0x3f8, IRQ 4) or
 * COM2 (0x2f8, IRQ 3): the register set Linux's 8250 driver probes and
 * drives, a 16-byte receive FIFO, and an interrupt output wired like a PC
 * (gated by MCR.OUT2).
 *
 * Transmit is instant: a byte written to THR goes straight to the tx
 * callback (the hypervisor's console multiplexer), so THR and the
 * transmitter are always empty (LSR.THRE and LSR.TEMT stay set). Receive
 * is fed by the host console through vuart_receive().
 *
 * Runs in vCPU context (port handlers) and in whatever context feeds the
 * console input (vuart_receive()); each UART has its own lock, taken with
 * interrupts off. The tx callback and the irq line are called after the
 * lock is dropped, never under it.
 */
#ifndef CORE_DEV_VUART_H
#define CORE_DEV_VUART_H

#include "core/lib/compiler.h"
#include "core/pc/dev/irq_drive.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"

/* Ports claimed: base .. base + VUART_NR_PORTS - 1. */
#define VUART_NR_PORTS  8
#define VUART_FIFO_SIZE 16

/* Register offsets from the base port. */
#define VUART_RBR 0	/* receive buffer (read, DLAB=0) */
#define VUART_THR 0	/* transmit holding (write, DLAB=0) */
#define VUART_DLL 0	/* divisor latch low (DLAB=1) */
#define VUART_IER 1	/* interrupt enable (DLAB=0) */
#define VUART_DLM 1	/* divisor latch high (DLAB=1) */
#define VUART_IIR 2	/* interrupt identification (read) */
#define VUART_FCR 2	/* FIFO control (write) */
#define VUART_LCR 3	/* line control */
#define VUART_MCR 4	/* modem control */
#define VUART_LSR 5	/* line status */
#define VUART_MSR 6	/* modem status */
#define VUART_SCR 7	/* scratch */

/* IER: the four interrupt enables; bits 7:4 read as 0 on a 16550A. */
#define VUART_IER_RDI  BIT(0)	/* received data available / timeout */
#define VUART_IER_THRI BIT(1)	/* THR empty */
#define VUART_IER_RLSI BIT(2)	/* receiver line status */
#define VUART_IER_MSI  BIT(3)	/* modem status */
#define VUART_IER_MASK 0x0f

/* IIR: bit 0 clear when an interrupt is pending, its source in bits 3:1. */
#define VUART_IIR_NO_INT   0x01
#define VUART_IIR_MSI      0x00
#define VUART_IIR_THRI     0x02
#define VUART_IIR_RDI      0x04
#define VUART_IIR_RLSI     0x06
#define VUART_IIR_TIMEOUT  0x0c
#define VUART_IIR_ID_MASK  0x0f
#define VUART_IIR_FIFO_ENABLED 0xc0

/* FCR (write only). */
#define VUART_FCR_ENABLE   BIT(0)
#define VUART_FCR_CLEAR_RX BIT(1)
#define VUART_FCR_CLEAR_TX BIT(2)
#define VUART_FCR_DMA      BIT(3)
#define VUART_FCR_TRIG_MASK 0xc0
#define VUART_FCR_TRIG_1   0x00
#define VUART_FCR_TRIG_4   0x40
#define VUART_FCR_TRIG_8   0x80
#define VUART_FCR_TRIG_14  0xc0

/* LCR. */
#define VUART_LCR_8N1  0x03
#define VUART_LCR_DLAB BIT(7)

/* MCR: bits 7:5 read as 0 on a 16550A. */
#define VUART_MCR_DTR  BIT(0)
#define VUART_MCR_RTS  BIT(1)
#define VUART_MCR_OUT1 BIT(2)
#define VUART_MCR_OUT2 BIT(3)	/* PC: enables the IRQ output buffer */
#define VUART_MCR_LOOP BIT(4)
#define VUART_MCR_MASK 0x1f

/* LSR. */
#define VUART_LSR_DR   BIT(0)	/* data ready */
#define VUART_LSR_OE   BIT(1)	/* overrun error */
#define VUART_LSR_PE   BIT(2)	/* parity error */
#define VUART_LSR_FE   BIT(3)	/* framing error */
#define VUART_LSR_BI   BIT(4)	/* break interrupt */
#define VUART_LSR_THRE BIT(5)	/* THR empty */
#define VUART_LSR_TEMT BIT(6)	/* transmitter empty */
#define VUART_LSR_FIFOE BIT(7)	/* error in receive FIFO */
#define VUART_LSR_ERRORS (VUART_LSR_OE | VUART_LSR_PE | VUART_LSR_FE | \
			  VUART_LSR_BI)

/* MSR: deltas in bits 3:0 (cleared by reading MSR), lines in bits 7:4. */
#define VUART_MSR_DCTS BIT(0)
#define VUART_MSR_DDSR BIT(1)
#define VUART_MSR_TERI BIT(2)	/* RI went from on to off */
#define VUART_MSR_DDCD BIT(3)
#define VUART_MSR_CTS  BIT(4)
#define VUART_MSR_DSR  BIT(5)
#define VUART_MSR_RI   BIT(6)
#define VUART_MSR_DCD  BIT(7)
#define VUART_MSR_DELTAS 0x0f

struct vuart {
	spinlock_t lock;

	/* u->lock guards every field from here to irq_level. */
	uint8_t rx_fifo[VUART_FIFO_SIZE];
	uint8_t rx_head;	/* index of the oldest byte */
	uint8_t rx_count;	/* bytes held; at most 1 with the FIFO off */
	uint8_t rx_last;	/* last byte read; RBR reads it when empty */
	uint8_t ier;
	uint8_t fcr;		/* ENABLE, DMA and trigger bits as written */
	uint8_t lcr;
	uint8_t mcr;
	uint8_t lsr;		/* error bits only; DR, THRE, TEMT derived */
	uint8_t msr;		/* lines and deltas */
	uint8_t scr;
	uint8_t dll, dlm;
	bool thre_pending;	/* THR-empty interrupt raised, not yet taken */

	/*
	 * Interrupt level the registers ask for, under u->lock, and the
	 * line's driver (core/pc/dev/irq_drive.h, vuart_irq_sync()).
	 */
	uint32_t irq_level;
	struct irq_drive drive;

	/* Set by vuart_init(), read-only afterwards. */
	uint16_t base;
	struct irq_line irq;
	void (*tx)(void *ctx, uint8_t byte);
	void *tx_ctx;
};

/*
 * Brings @u to its power-on state at ports @base..@base+7: FIFO off,
 * interrupts disabled, line deasserted (irq is not called), modem inputs
 * CTS, DSR and DCD on (a console is always there). @irq is copied (NULL:
 * not wired); @tx (NULL: output dropped) gets each byte the guest
 * transmits.
 */
void vuart_init(struct vuart *u, uint16_t base, const struct irq_line *irq,
		void (*tx)(void *ctx, uint8_t byte), void *tx_ctx);

/*
 * Port handlers for base..base+7; dev is the struct vuart. A 2- or 4-byte
 * access is taken as that many byte accesses at consecutive ports, as the
 * ISA bus splits it; bytes past base+7 read as 0xff and are ignored on
 * write.
 */
extern const struct vdev_io_ops vuart_io_ops;

/*
 * Host console input: puts @n bytes from @buf into the receiver as if
 * they arrived on the line back to back, then the line goes idle. Bytes
 * that find the receiver full are lost and set LSR.OE, as on the chip;
 * in loopback mode the line input is disconnected and every byte is
 * dropped. Returns how many bytes reached the receiver. Any context.
 */
size_t vuart_receive(struct vuart *u, const uint8_t *buf, size_t n);

/*
 * Bytes the receiver takes now without overrun: lets the console keep
 * input back instead of losing it. Stale as soon as it returns, but only
 * the guest drains the receiver, so it can only grow before the caller's
 * vuart_receive() (unless the guest shrinks the FIFO by turning it off).
 */
size_t vuart_rx_space(struct vuart *u);

/*
 * Prints the registers (IER, IIR level, LCR, MCR, LSR, MSR, divisor) and
 * the receive FIFO's fill, one line per print() call; copied under the
 * lock first.
 */
void vuart_dump(struct vuart *u, void (*print)(void *ctx, const char *line), void *ctx);

#endif
