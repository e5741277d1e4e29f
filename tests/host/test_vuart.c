/*
 * Virtual 16550A UART (core/pc/dev/vuart.c) driven through its port handlers
 * as a guest would: register read-back, transmit, receive FIFO and
 * trigger levels, IIR priorities, IER masking, OUT2 gating of the irq
 * line, the THRE interrupt as Linux's 8250 probe and startup test it,
 * loopback, FIFO reset, and Linux's whole autoconfig sequence.
 */
#include "core/pc/dev/vuart.h"
#include "core/pc/machine.h"
#include "tests/host/check.h"

#define BASE PC_COM1_BASE

struct rig {
	struct vuart u;
	uint8_t tx[256];
	size_t ntx;
	int level;		/* last level driven, -1 before any */
	int irq_calls;
};

static void rig_tx(void *ctx, uint8_t byte)
{
	struct rig *r = ctx;

	if (r->ntx < sizeof(r->tx))
		r->tx[r->ntx++] = byte;
}

static void rig_irq_set(void *ctx, unsigned int line, int level)
{
	struct rig *r = ctx;

	CHECK_EQ(line, PC_IRQ_COM1);
	r->level = level;
	r->irq_calls++;
}

static void rig_init(struct rig *r)
{
	struct irq_line irq = { .set = rig_irq_set, .ctx = r,
				.line = PC_IRQ_COM1 };

	memset(r, 0, sizeof(*r));
	r->level = -1;
	vuart_init(&r->u, BASE, &irq, rig_tx, r);
}

static void out(struct rig *r, unsigned int off, uint8_t val)
{
	CHECK_EQ(vuart_io_ops.write(&r->u, BASE + off, 1, val), 0);
}

static uint8_t in(struct rig *r, unsigned int off)
{
	uint32_t v = 0xdeadbeef;

	CHECK_EQ(vuart_io_ops.read(&r->u, BASE + off, 1, &v), 0);
	return (uint8_t)v;
}

static void feed(struct rig *r, const char *s)
{
	size_t n = strlen(s);

	CHECK_EQ(vuart_receive(&r->u, (const uint8_t *)s, n), n);
}

static void test_scratch(void)
{
	struct rig r;
	unsigned int v;

	rig_init(&r);
	for (v = 0; v < 256; v += 0x11) {
		out(&r, VUART_SCR, (uint8_t)v);
		CHECK_EQ(in(&r, VUART_SCR), v);
	}
	/* Scratch is there with DLAB set too. */
	out(&r, VUART_LCR, VUART_LCR_DLAB);
	out(&r, VUART_SCR, 0xa5);
	CHECK_EQ(in(&r, VUART_SCR), 0xa5);
}

static void test_divisor_latch(void)
{
	struct rig r;
	uint32_t v;

	rig_init(&r);
	out(&r, VUART_IER, VUART_IER_RDI);
	feed(&r, "x");
	out(&r, VUART_LCR, VUART_LCR_DLAB | VUART_LCR_8N1);
	out(&r, VUART_DLL, 0x01);	/* 115200 */
	out(&r, VUART_DLM, 0x00);
	CHECK_EQ(in(&r, VUART_DLL), 0x01);
	CHECK_EQ(in(&r, VUART_DLM), 0x00);
	out(&r, VUART_DLL, 0x34);
	out(&r, VUART_DLM, 0x12);
	CHECK_EQ(in(&r, VUART_DLL), 0x34);
	CHECK_EQ(in(&r, VUART_DLM), 0x12);
	/* A 16-bit access covers DLL and DLM, low byte first. */
	CHECK_EQ(vuart_io_ops.write(&r.u, BASE, 2, 0x0180), 0);
	CHECK_EQ(vuart_io_ops.read(&r.u, BASE, 2, &v), 0);
	CHECK_EQ(v, 0x0180);
	/* The latch shadowed RBR, THR and IER: all untouched. */
	CHECK_EQ(r.ntx, 0);
	out(&r, VUART_LCR, VUART_LCR_8N1);
	CHECK_EQ(in(&r, VUART_IER), VUART_IER_RDI);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, VUART_LSR_DR);
	CHECK_EQ(in(&r, VUART_RBR), 'x');
	out(&r, VUART_LCR, VUART_LCR_DLAB);
	CHECK_EQ(in(&r, VUART_DLL), 0x80);
	CHECK_EQ(in(&r, VUART_DLM), 0x01);
	/* Past the eight ports: all ones, writes dropped. */
	CHECK_EQ(vuart_io_ops.read(&r.u, BASE + 6, 4, &v), 0);
	CHECK_EQ(v >> 16, 0xffff);
}

static void test_lcr_mcr_readback(void)
{
	struct rig r;

	rig_init(&r);
	CHECK_EQ(in(&r, VUART_LCR), 0);
	CHECK_EQ(in(&r, VUART_MCR), 0);
	out(&r, VUART_LCR, 0x1b);	/* 8 bits, 1 stop, even parity */
	CHECK_EQ(in(&r, VUART_LCR), 0x1b);
	out(&r, VUART_LCR, 0xbf);
	CHECK_EQ(in(&r, VUART_LCR), 0xbf);
	out(&r, VUART_LCR, VUART_LCR_8N1);
	out(&r, VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT2);
	CHECK_EQ(in(&r, VUART_MCR), 0x0b);
	/* Bits 7:5 do not exist on a 16550A. */
	out(&r, VUART_MCR, 0xff);
	CHECK_EQ(in(&r, VUART_MCR), VUART_MCR_MASK);
	/* IER bits 7:4 neither (Linux's UUE test relies on it). */
	out(&r, VUART_IER, 0xff);
	CHECK_EQ(in(&r, VUART_IER), VUART_IER_MASK);
}

static void test_tx_order(void)
{
	static const char msg[] = "Linux version 6.x\r\n";
	struct rig r;
	size_t i;

	rig_init(&r);
	for (i = 0; msg[i]; i++) {
		CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_THRE, VUART_LSR_THRE);
		out(&r, VUART_THR, (uint8_t)msg[i]);
	}
	CHECK_EQ(r.ntx, strlen(msg));
	CHECK(memcmp(r.tx, msg, strlen(msg)) == 0);
	/* A 4-byte OUT at THR writes THR, then IER, FCR, LCR. */
	r.ntx = 0;
	CHECK_EQ(vuart_io_ops.write(&r.u, BASE, 4, 0x03c10041), 0);
	CHECK_EQ(r.ntx, 1);
	CHECK_EQ(r.tx[0], 'A');
	CHECK_EQ(in(&r, VUART_IER), 0x00);
	CHECK_EQ(in(&r, VUART_LCR), 0x03);
	CHECK_EQ(in(&r, VUART_IIR) & VUART_IIR_FIFO_ENABLED,
		 VUART_IIR_FIFO_ENABLED);
}

static void test_lsr_bits(void)
{
	uint8_t buf[VUART_FIFO_SIZE + 3];
	struct rig r;
	unsigned int i;

	rig_init(&r);
	CHECK_EQ(in(&r, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	CHECK_EQ(vuart_rx_space(&r.u), 1);

	/* FIFO off: one holding register; a second byte overruns it. */
	feed(&r, "a");
	CHECK_EQ(in(&r, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT |
				    VUART_LSR_DR);
	feed(&r, "b");
	CHECK_EQ(in(&r, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT |
				    VUART_LSR_DR | VUART_LSR_OE);
	/* Reading LSR cleared OE. */
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_OE, 0);
	CHECK_EQ(in(&r, VUART_RBR), 'b');
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);

	/* FIFO on: 16 bytes fit, the rest are lost. */
	out(&r, VUART_FCR, VUART_FCR_ENABLE);
	CHECK_EQ(vuart_rx_space(&r.u), VUART_FIFO_SIZE);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('A' + i);
	CHECK_EQ(vuart_receive(&r.u, buf, sizeof(buf)), VUART_FIFO_SIZE);
	CHECK_EQ(vuart_rx_space(&r.u), 0);
	CHECK_EQ(in(&r, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT |
				    VUART_LSR_DR | VUART_LSR_OE);
	for (i = 0; i < VUART_FIFO_SIZE; i++) {
		CHECK_EQ(in(&r, VUART_LSR) & (VUART_LSR_DR | VUART_LSR_OE),
			 VUART_LSR_DR);
		CHECK_EQ(in(&r, VUART_RBR), 'A' + i);
	}
	CHECK_EQ(in(&r, VUART_LSR), VUART_LSR_THRE | VUART_LSR_TEMT);
	/* FIFO wraps around its ring. */
	feed(&r, "0123456789");
	for (i = 0; i < 10; i++)
		CHECK_EQ(in(&r, VUART_RBR), '0' + i);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_fifo_trigger_levels(void)
{
	static const struct { uint8_t fcr; unsigned int level; } trig[] = {
		{ VUART_FCR_TRIG_1, 1 }, { VUART_FCR_TRIG_4, 4 },
		{ VUART_FCR_TRIG_8, 8 }, { VUART_FCR_TRIG_14, 14 },
	};
	struct rig r;
	unsigned int t, i;

	rig_init(&r);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	out(&r, VUART_IER, VUART_IER_RDI);
	for (t = 0; t < ARRAY_SIZE(trig); t++) {
		out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX |
				   trig[t].fcr);
		CHECK_EQ(in(&r, VUART_IIR), 0xc1);
		CHECK(r.level != 1);
		for (i = 1; i <= trig[t].level; i++) {
			feed(&r, "z");
			/* Below the trigger the idle line times out. */
			CHECK_EQ(in(&r, VUART_IIR), i < trig[t].level ?
				 0xc0 | VUART_IIR_TIMEOUT :
				 0xc0 | VUART_IIR_RDI);
			CHECK_EQ(r.level, 1);
		}
		/* Draining below the trigger: a timeout again. */
		in(&r, VUART_RBR);
		CHECK_EQ(in(&r, VUART_IIR), trig[t].level > 1 ?
			 0xc0 | VUART_IIR_TIMEOUT : 0xc1);
		while (in(&r, VUART_LSR) & VUART_LSR_DR)
			in(&r, VUART_RBR);
		CHECK_EQ(in(&r, VUART_IIR), 0xc1);
		CHECK_EQ(r.level, 0);
	}
	/* FIFO off: RDI for the one byte, no FIFO bits. */
	out(&r, VUART_FCR, 0);
	feed(&r, "q");
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_RDI);
}

static void test_iir_priority(void)
{
	struct rig r;

	rig_init(&r);
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIG_4);
	out(&r, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_RTS);
	in(&r, VUART_MSR);
	/* Every source at once: modem delta, THRE, data, overrun. */
	out(&r, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_RTS | VUART_MCR_LOOP);
	out(&r, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_RTS);
	CHECK(in(&r, VUART_MSR) & VUART_MSR_DELTAS);
	out(&r, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_RTS | VUART_MCR_LOOP);
	out(&r, VUART_MCR, VUART_MCR_OUT2 | VUART_MCR_RTS);
	feed(&r, "0123456789abcdef");
	CHECK_EQ(vuart_receive(&r.u, (const uint8_t *)"!", 1), 0);
	out(&r, VUART_IER, VUART_IER_MASK);
	CHECK_EQ(r.level, 1);

	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_RLSI);
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_RLSI);
	CHECK(in(&r, VUART_LSR) & VUART_LSR_OE);
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_RDI);
	while (in(&r, VUART_LSR) & VUART_LSR_DR) {
		CHECK(in(&r, VUART_IIR) & (VUART_IIR_RDI | VUART_IIR_TIMEOUT));
		in(&r, VUART_RBR);
	}
	/* THRE is taken by the read that reports it. */
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_THRI);
	CHECK_EQ(r.level, 1);
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_MSI);
	CHECK_EQ(r.level, 1);
	CHECK(in(&r, VUART_MSR) & VUART_MSR_DELTAS);
	CHECK_EQ(in(&r, VUART_IIR), 0xc1);
	CHECK_EQ(r.level, 0);
}

static void test_ier_masking(void)
{
	struct rig r;

	rig_init(&r);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	feed(&r, "a");
	feed(&r, "b");	/* overrun */
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	CHECK(r.level != 1);
	out(&r, VUART_IER, VUART_IER_RDI);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_RDI);
	CHECK_EQ(r.level, 1);
	out(&r, VUART_IER, VUART_IER_RLSI);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_RLSI);
	out(&r, VUART_IER, VUART_IER_MSI);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	CHECK_EQ(r.level, 0);
	/* The conditions stayed pending behind the mask. */
	CHECK_EQ(in(&r, VUART_LSR) & (VUART_LSR_DR | VUART_LSR_OE),
		 VUART_LSR_DR | VUART_LSR_OE);
}

static void test_out2_gating(void)
{
	struct rig r;
	int calls;

	rig_init(&r);
	out(&r, VUART_IER, VUART_IER_RDI);
	feed(&r, "a");
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_RDI);
	CHECK_EQ(r.irq_calls, 0);	/* pending, but OUT2 off */
	out(&r, VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT1);
	CHECK_EQ(r.irq_calls, 0);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	CHECK_EQ(r.level, 1);
	CHECK_EQ(r.irq_calls, 1);
	/* Only changes reach the line. */
	calls = r.irq_calls;
	in(&r, VUART_LSR);
	in(&r, VUART_IIR);
	CHECK_EQ(r.irq_calls, calls);
	out(&r, VUART_MCR, 0);
	CHECK_EQ(r.level, 0);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	CHECK_EQ(r.level, 1);
	in(&r, VUART_RBR);
	CHECK_EQ(r.level, 0);
	CHECK_EQ(r.irq_calls, 4);
}

/* serial8250_do_startup(): the THRE re-assert and TXEN tests. */
static void test_thre_linux_startup(void)
{
	uint8_t iir1, iir, lsr;
	struct rig r;

	rig_init(&r);
	out(&r, VUART_FCR, VUART_FCR_ENABLE);
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX |
			   VUART_FCR_CLEAR_TX);
	out(&r, VUART_FCR, 0);
	in(&r, VUART_LSR);
	in(&r, VUART_RBR);
	in(&r, VUART_IIR);
	in(&r, VUART_MSR);

	/* UART_BUG_THRE: iir1 must show THRE, and so must iir. */
	CHECK(in(&r, VUART_LSR) & VUART_LSR_THRE);
	out(&r, VUART_IER, VUART_IER_THRI);
	iir1 = in(&r, VUART_IIR);
	out(&r, VUART_IER, 0);
	out(&r, VUART_IER, VUART_IER_THRI);
	iir = in(&r, VUART_IIR);
	out(&r, VUART_IER, 0);
	CHECK_EQ(iir1 & VUART_IIR_ID_MASK, VUART_IIR_THRI);
	CHECK_EQ(iir & VUART_IIR_ID_MASK, VUART_IIR_THRI);

	/* UART_BUG_TXEN: enabling THRI must show an interrupt. */
	out(&r, VUART_LCR, VUART_LCR_8N1);
	out(&r, VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT2);
	out(&r, VUART_IER, VUART_IER_THRI);
	CHECK_EQ(r.level, 1);
	lsr = in(&r, VUART_LSR);
	iir = in(&r, VUART_IIR);
	out(&r, VUART_IER, 0);
	CHECK(lsr & VUART_LSR_TEMT);
	CHECK_EQ(iir & VUART_IIR_NO_INT, 0);
	CHECK_EQ(r.level, 0);

	/* Taken by the IIR read; stays clear until THR is written. */
	out(&r, VUART_IER, VUART_IER_THRI);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_THRI);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	CHECK_EQ(r.level, 0);
	out(&r, VUART_IER, VUART_IER_THRI);	/* already on: no edge */
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	out(&r, VUART_THR, 'k');		/* sent at once: re-armed */
	CHECK_EQ(r.level, 1);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_THRI);
	CHECK_EQ(r.level, 0);
	CHECK_EQ(r.ntx, 1);
}

/* autoconfig_irq(): the probe write that must raise the line. */
static void test_thre_linux_irq_probe(void)
{
	struct rig r;

	rig_init(&r);
	out(&r, VUART_MCR, VUART_MCR_DTR | VUART_MCR_RTS | VUART_MCR_OUT2);
	out(&r, VUART_IER, 0);
	in(&r, VUART_LSR);
	in(&r, VUART_RBR);
	in(&r, VUART_IIR);
	in(&r, VUART_MSR);
	CHECK(r.level != 1);
	/* probe_irq_on() */
	out(&r, VUART_IER, 0x0f);
	in(&r, VUART_LSR);
	in(&r, VUART_RBR);
	in(&r, VUART_IIR);	/* takes the THRE the IER write raised */
	in(&r, VUART_MSR);
	out(&r, VUART_THR, 0xff);
	CHECK_EQ(r.level, 1);	/* probe_irq_off() sees IRQ 4 */
	out(&r, VUART_IER, 0);
	CHECK_EQ(r.level, 0);
	CHECK_EQ(r.ntx, 1);
	CHECK_EQ(r.tx[0], 0xff);
}

/* autoconfig() and autoconfig_16550a() must settle on a plain 16550A. */
static void test_linux_autoconfig(void)
{
	uint8_t scratch, scratch2, scratch3, save_mcr, save_lcr, status1,
		status2;
	struct rig r;

	rig_init(&r);
	scratch = in(&r, VUART_IER);
	out(&r, VUART_IER, 0);
	scratch2 = in(&r, VUART_IER) & 0x0f;
	out(&r, VUART_IER, 0x0f);
	scratch3 = in(&r, VUART_IER) & 0x0f;
	out(&r, VUART_IER, scratch);
	CHECK_EQ(scratch2, 0);
	CHECK_EQ(scratch3, 0x0f);

	save_mcr = in(&r, VUART_MCR);
	save_lcr = in(&r, VUART_LCR);
	out(&r, VUART_MCR, VUART_MCR_LOOP | 0x0a);
	status1 = in(&r, VUART_MSR) & 0xf0;
	out(&r, VUART_MCR, save_mcr);
	CHECK_EQ(status1, 0x90);

	out(&r, VUART_LCR, 0xbf);
	out(&r, 2, 0);			/* EFR, which a 16550A lacks */
	out(&r, VUART_LCR, 0);
	out(&r, VUART_FCR, VUART_FCR_ENABLE);
	CHECK_EQ(in(&r, VUART_IIR) >> 6, 3);	/* 16550A */

	/* No EFR behind LCR 0x80 or 0xbf: offset 2 reads the IIR. */
	out(&r, VUART_LCR, 0x80);
	CHECK(in(&r, 2) != 0);
	out(&r, VUART_LCR, 0xbf);
	CHECK(in(&r, 2) != 0);
	/* Not a NatSemi part: EXCR1 does not follow MCR.LOOP. */
	out(&r, VUART_LCR, 0);
	status1 = in(&r, VUART_MCR);
	out(&r, VUART_LCR, 0xe0);
	status2 = in(&r, 2);
	CHECK_EQ((status1 ^ status2) & VUART_MCR_LOOP, 0);
	out(&r, VUART_LCR, 0);
	out(&r, VUART_MCR, status1 ^ VUART_MCR_LOOP);
	out(&r, VUART_LCR, 0xe0);
	status2 = in(&r, 2);
	out(&r, VUART_LCR, 0);
	out(&r, VUART_MCR, status1);
	CHECK_EQ((status1 ^ status2) & VUART_MCR_LOOP, 0);
	/* Not a TI16750: IIR bit 5 never sets. */
	out(&r, VUART_FCR, VUART_FCR_ENABLE | 0x20);
	CHECK_EQ(in(&r, VUART_IIR) & 0xe0, 0xc0);
	out(&r, VUART_LCR, 0x80);
	out(&r, VUART_FCR, VUART_FCR_ENABLE | 0x20);
	CHECK_EQ(in(&r, VUART_IIR) & 0xe0, 0xc0);
	out(&r, VUART_LCR, 0);
	/* Not an XScale: IER.UUE (bit 6) does not stick. */
	out(&r, VUART_IER, in(&r, VUART_IER) | 0x40);
	CHECK_EQ(in(&r, VUART_IER) & 0x40, 0);

	out(&r, VUART_LCR, save_lcr);
	CHECK_EQ(in(&r, VUART_LCR), save_lcr);
	CHECK_EQ(r.ntx, 0);
}

static void test_loopback(void)
{
	static const char msg[] = "loop";
	struct rig r;
	size_t i;

	rig_init(&r);
	out(&r, VUART_FCR, VUART_FCR_ENABLE);
	/* Outside loopback the console's lines are on. */
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR |
				    VUART_MSR_DCD);
	out(&r, VUART_MCR, VUART_MCR_LOOP);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_DCTS | VUART_MSR_DDSR |
				    VUART_MSR_DDCD);
	CHECK_EQ(in(&r, VUART_MSR), 0);
	out(&r, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_DTR);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_DSR | VUART_MSR_DDSR);
	out(&r, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_RTS);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DCTS |
				    VUART_MSR_DDSR);
	out(&r, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT1);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_RI | VUART_MSR_DCTS);
	/* RI reports only its trailing edge. */
	out(&r, VUART_MCR, VUART_MCR_LOOP | VUART_MCR_OUT2);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_DCD | VUART_MSR_TERI |
				    VUART_MSR_DDCD);

	/* Writes come back as received data, nothing goes out. */
	for (i = 0; msg[i]; i++)
		out(&r, VUART_THR, (uint8_t)msg[i]);
	CHECK_EQ(r.ntx, 0);
	/* The line input is disconnected. */
	CHECK_EQ(vuart_receive(&r.u, (const uint8_t *)"X", 1), 0);
	CHECK_EQ(vuart_rx_space(&r.u), 0);
	/* Interrupts work inside, but OUT2's pin is off: line stays low. */
	out(&r, VUART_IER, VUART_IER_RDI);
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_RDI);
	CHECK(r.level != 1);
	for (i = 0; msg[i]; i++) {
		CHECK(in(&r, VUART_LSR) & VUART_LSR_DR);
		CHECK_EQ(in(&r, VUART_RBR), msg[i]);
	}
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
	/* Loopback overflows like the line does. */
	for (i = 0; i < VUART_FIFO_SIZE + 1; i++)
		out(&r, VUART_THR, (uint8_t)i);
	CHECK(in(&r, VUART_LSR) & VUART_LSR_OE);

	/* Leaving loopback: lines back to the console's, with deltas. */
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_CLEAR_RX);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	CHECK_EQ(in(&r, VUART_MSR), VUART_MSR_CTS | VUART_MSR_DSR |
				    VUART_MSR_DCD | VUART_MSR_DCTS |
				    VUART_MSR_DDSR);
	out(&r, VUART_THR, 'o');
	CHECK_EQ(r.ntx, 1);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
}

static void test_fcr_reset(void)
{
	struct rig r;

	rig_init(&r);
	out(&r, VUART_MCR, VUART_MCR_OUT2);
	out(&r, VUART_IER, VUART_IER_RDI);
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIG_8);
	feed(&r, "hello");
	CHECK_EQ(r.level, 1);
	/* CLEAR_RX empties the FIFO, keeps the trigger level. */
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIG_8 |
			   VUART_FCR_CLEAR_RX);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
	CHECK_EQ(in(&r, VUART_IIR), 0xc1);
	CHECK_EQ(r.level, 0);
	feed(&r, "12345678");
	CHECK_EQ(in(&r, VUART_IIR), 0xc0 | VUART_IIR_RDI);
	/* Turning the FIFO off empties it and drops the FIFO bits. */
	out(&r, VUART_FCR, 0);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	CHECK_EQ(r.level, 0);
	CHECK_EQ(vuart_rx_space(&r.u), 1);
	/* Other bits are ignored without ENABLE. */
	out(&r, VUART_FCR, VUART_FCR_TRIG_14);
	CHECK_EQ(in(&r, VUART_IIR), VUART_IIR_NO_INT);
	/* And turning it on empties it too. */
	feed(&r, "x");
	out(&r, VUART_FCR, VUART_FCR_ENABLE);
	CHECK_EQ(in(&r, VUART_LSR) & VUART_LSR_DR, 0);
	CHECK_EQ(in(&r, VUART_IIR), 0xc1);
	/* Re-writing ENABLE alone keeps the contents. */
	feed(&r, "y");
	out(&r, VUART_FCR, VUART_FCR_ENABLE | VUART_FCR_TRIG_4);
	CHECK_EQ(in(&r, VUART_RBR), 'y');
}

/* Irq line from several threads: it must end at the device's level. */
static void storm_irq_set(void *ctx, unsigned int line, int level)
{
	__atomic_store_n((int *)ctx, level, __ATOMIC_SEQ_CST);
}

static void storm_worker(struct worker *w)
{
	struct vuart *u = w->arg;
	uint32_t v;
	int i;

	for (i = 0; i < 20000; i++) {
		vuart_io_ops.write(u, BASE + VUART_IER, 1,
				   (i + w->cpu) & 1 ? VUART_IER_THRI : 0);
		vuart_io_ops.read(u, BASE + VUART_IIR, 1, &v);
	}
}

static void test_irq_line_converges(void)
{
	struct worker w[4];
	struct vuart u;
	int line = -1;
	struct irq_line irq = { .set = storm_irq_set, .ctx = &line, .line = 4 };
	uint32_t iir;
	unsigned int i;

	vuart_init(&u, BASE, &irq, NULL, NULL);
	vuart_io_ops.write(&u, BASE + VUART_MCR, 1, VUART_MCR_OUT2);
	for (i = 0; i < ARRAY_SIZE(w); i++)
		worker_start(&w[i], i + 1, storm_worker, &u);
	for (i = 0; i < ARRAY_SIZE(w); i++)
		worker_join(&w[i]);
	/* Quiescent: the line matches what IIR says (without taking it). */
	vuart_io_ops.write(&u, BASE + VUART_IER, 1, 0);
	vuart_io_ops.write(&u, BASE + VUART_IER, 1, VUART_IER_THRI);
	CHECK_EQ(line, 1);
	vuart_io_ops.read(&u, BASE + VUART_IIR, 1, &iir);
	CHECK_EQ(iir & 0xff, VUART_IIR_THRI);
	CHECK_EQ(line, 0);
}

int main(void)
{
	RUN(test_scratch);
	RUN(test_divisor_latch);
	RUN(test_lcr_mcr_readback);
	RUN(test_tx_order);
	RUN(test_lsr_bits);
	RUN(test_fifo_trigger_levels);
	RUN(test_iir_priority);
	RUN(test_ier_masking);
	RUN(test_out2_gating);
	RUN(test_thre_linux_startup);
	RUN(test_thre_linux_irq_probe);
	RUN(test_linux_autoconfig);
	RUN(test_loopback);
	RUN(test_fcr_reset);
	RUN(test_irq_line_converges);
	return check_done();
}
