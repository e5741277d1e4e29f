/*
 * Virtual 16550A UART: register model, receive FIFO and interrupt logic.
 *
 * Runs in vCPU context (vuart_io_ops, any vCPU) and in the console input
 * path (vuart_receive()); no locks held on entry. Every entry point takes
 * u->lock with interrupts off, updates the registers, recomputes the
 * interrupt level, drops the lock, and only then calls out: the tx
 * callback with the bytes the guest wrote, and the irq line when the
 * level changed (vuart_irq_sync()).
 *
 * Time: there is no baud-rate clock. Transmit completes at once, and
 * the receive line counts as idle whenever no vuart_receive() is under
 * way, so a FIFO holding fewer bytes than its trigger level reports a
 * character timeout (IIR 0xc) straight away rather than four character
 * times later. The divisor latch is stored and read back, nothing more.
 */
#include "core/pc/dev/vuart.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"

/* Line states the modem inputs show outside loopback: a console is on. */
#define VUART_MSR_EXTERNAL (VUART_MSR_CTS | VUART_MSR_DSR | VUART_MSR_DCD)

/* Power-on divisor: 12, 9600 baud from the PC's 1.8432 MHz clock. */
#define VUART_DIVISOR_RESET 12

/* Bytes the guest wrote during one access, sent after the lock drops. */
struct vuart_tx_batch {
	uint8_t bytes[4];
	unsigned int n;
};

static bool vuart_fifo_enabled(const struct vuart *u)
{
	return u->fcr & VUART_FCR_ENABLE;
}

static unsigned int vuart_rx_capacity(const struct vuart *u)
{
	return vuart_fifo_enabled(u) ? VUART_FIFO_SIZE : 1;
}

static unsigned int vuart_rx_trigger(const struct vuart *u)
{
	static const uint8_t levels[4] = { 1, 4, 8, 14 };

	return levels[(u->fcr & VUART_FCR_TRIG_MASK) >> 6];
}

static void vuart_rx_clear(struct vuart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/*
 * One byte into the receiver. Full FIFO: the byte is lost (it never
 * leaves the shift register). FIFO off: it overwrites the unread one.
 * Both set OE. Returns whether @byte can be read.
 */
static bool vuart_rx_push(struct vuart *u, uint8_t byte)
{
	spin_assert_held(&u->lock);
	if (u->rx_count == vuart_rx_capacity(u)) {
		u->lsr |= VUART_LSR_OE;
		if (vuart_fifo_enabled(u))
			return false;
		u->rx_fifo[u->rx_head] = byte;
		return true;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % VUART_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

static uint8_t vuart_rx_pop(struct vuart *u)
{
	spin_assert_held(&u->lock);
	if (u->rx_count) {
		u->rx_last = u->rx_fifo[u->rx_head];
		u->rx_head = (u->rx_head + 1) % VUART_FIFO_SIZE;
		u->rx_count--;
	}
	return u->rx_last;
}

static uint8_t vuart_lsr(const struct vuart *u)
{
	uint8_t lsr = u->lsr | VUART_LSR_THRE | VUART_LSR_TEMT;

	if (u->rx_count)
		lsr |= VUART_LSR_DR;
	return lsr;
}

/* MSR line bits as the modem inputs show them now. */
static uint8_t vuart_msr_lines(const struct vuart *u)
{
	uint8_t mcr = u->mcr;

	if (!(mcr & VUART_MCR_LOOP))
		return VUART_MSR_EXTERNAL;
	/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
	return (mcr & VUART_MCR_DTR ? VUART_MSR_DSR : 0) |
	       (mcr & VUART_MCR_RTS ? VUART_MSR_CTS : 0) |
	       (mcr & VUART_MCR_OUT1 ? VUART_MSR_RI : 0) |
	       (mcr & VUART_MCR_OUT2 ? VUART_MSR_DCD : 0);
}

/* Moves the MSR lines to their current state, latching the deltas. */
static void vuart_msr_update(struct vuart *u)
{
	uint8_t old = u->msr, now = vuart_msr_lines(u);
	uint8_t changed = old ^ now, delta = 0;

	if (changed & VUART_MSR_CTS)
		delta |= VUART_MSR_DCTS;
	if (changed & VUART_MSR_DSR)
		delta |= VUART_MSR_DDSR;
	if ((old & VUART_MSR_RI) && !(now & VUART_MSR_RI))
		delta |= VUART_MSR_TERI;
	if (changed & VUART_MSR_DCD)
		delta |= VUART_MSR_DDCD;
	u->msr = now | (old & VUART_MSR_DELTAS) | delta;
}

/*
 * IIR as the chip would show it now: the highest-priority enabled
 * source, receiver line status first, modem status last.
 */
static uint8_t vuart_iir(const struct vuart *u)
{
	uint8_t fifo = vuart_fifo_enabled(u) ? VUART_IIR_FIFO_ENABLED : 0;
	uint8_t ier = u->ier;

	if ((ier & VUART_IER_RLSI) && (u->lsr & VUART_LSR_ERRORS))
		return fifo | VUART_IIR_RLSI;
	if ((ier & VUART_IER_RDI) && u->rx_count) {
		if (fifo && u->rx_count < vuart_rx_trigger(u))
			return fifo | VUART_IIR_TIMEOUT;
		return fifo | VUART_IIR_RDI;
	}
	if ((ier & VUART_IER_THRI) && u->thre_pending)
		return fifo | VUART_IIR_THRI;
	if ((ier & VUART_IER_MSI) && (u->msr & VUART_MSR_DELTAS))
		return fifo | VUART_IIR_MSI;
	return fifo | VUART_IIR_NO_INT;
}

/*
 * Recomputes the interrupt output. On a PC the chip's INTR pin reaches
 * the PIC only through a buffer enabled by the OUT2 pin, and loopback
 * forces the OUT pins inactive, so the line is also low in loopback.
 * Returns whether the level changed: the caller then owes a
 * vuart_irq_sync() with *@seq, the change's number, once the lock is
 * dropped.
 */
static bool vuart_irq_update(struct vuart *u, uint32_t *seq)
{
	uint32_t level = !(vuart_iir(u) & VUART_IIR_NO_INT) &&
			 (u->mcr & (VUART_MCR_OUT2 | VUART_MCR_LOOP)) ==
				VUART_MCR_OUT2;

	spin_assert_held(&u->lock);
	if (level == u->irq_level)
		return false;
	u->irq_level = level;
	*seq = irq_drive_change(&u->drive);
	return true;
}

static int vuart_drive_sample(void *dev)
{
	return (int)((struct vuart *)dev)->irq_level;
}

/*
 * Drives the irq line to the level last computed under u->lock, for the
 * caller whose change was number @seq (core/pc/dev/irq_drive.h: one
 * driver at a time, each caller bounded). Called without the lock.
 */
static void vuart_irq_sync(struct vuart *u, uint32_t seq)
{
	irq_drive_unlock(&u->drive, &u->lock, spin_lock_irqsave(&u->lock), seq,
			 vuart_drive_sample, u, &u->irq);
}

static void vuart_write_thr(struct vuart *u, uint8_t val,
			    struct vuart_tx_batch *tx)
{
	if (u->mcr & VUART_MCR_LOOP)
		vuart_rx_push(u, val);
	else
		tx->bytes[tx->n++] = val;
	/* Taken by the transmitter at once: THR is empty again. */
	u->thre_pending = true;
}

static void vuart_write_ier(struct vuart *u, uint8_t val)
{
	val &= VUART_IER_MASK;
	/* Enabling THRI with THR empty raises it (Linux's THRE test). */
	if ((val & VUART_IER_THRI) && !(u->ier & VUART_IER_THRI))
		u->thre_pending = true;
	u->ier = val;
}

static void vuart_write_fcr(struct vuart *u, uint8_t val)
{
	/* Turning the FIFO on or off empties it. */
	if ((val ^ u->fcr) & VUART_FCR_ENABLE)
		vuart_rx_clear(u);
	/* The other bits are only taken with ENABLE set. */
	if (!(val & VUART_FCR_ENABLE)) {
		u->fcr &= ~VUART_FCR_ENABLE;
		return;
	}
	if (val & VUART_FCR_CLEAR_RX)
		vuart_rx_clear(u);
	/* CLEAR_TX: the transmit side is always empty. */
	u->fcr = val & (VUART_FCR_ENABLE | VUART_FCR_DMA | VUART_FCR_TRIG_MASK);
}

/* One byte written at @off. Caller holds u->lock. */
static void vuart_write_reg(struct vuart *u, unsigned int off, uint8_t val,
			    struct vuart_tx_batch *tx)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;

	switch (off) {
	case VUART_THR:
		if (dlab)
			u->dll = val;
		else
			vuart_write_thr(u, val, tx);
		break;
	case VUART_IER:
		if (dlab)
			u->dlm = val;
		else
			vuart_write_ier(u, val);
		break;
	case VUART_FCR:
		vuart_write_fcr(u, val);
		break;
	case VUART_LCR:
		u->lcr = val;
		break;
	case VUART_MCR:
		u->mcr = val & VUART_MCR_MASK;
		vuart_msr_update(u);
		break;
	case VUART_SCR:
		u->scr = val;
		break;
	default:
		/* LSR and MSR: factory test writes, ignored. */
		break;
	}
}

/* One byte read at @off, with its side effects. Caller holds u->lock. */
static uint8_t vuart_read_reg(struct vuart *u, unsigned int off)
{
	bool dlab = u->lcr & VUART_LCR_DLAB;
	uint8_t val;

	switch (off) {
	case VUART_RBR:
		return dlab ? u->dll : vuart_rx_pop(u);
	case VUART_IER:
		return dlab ? u->dlm : u->ier;
	case VUART_IIR:
		val = vuart_iir(u);
		/* Reading IIR is how a THRE interrupt is taken. */
		if ((val & VUART_IIR_ID_MASK) == VUART_IIR_THRI)
			u->thre_pending = false;
		return val;
	case VUART_LCR:
		return u->lcr;
	case VUART_MCR:
		return u->mcr;
	case VUART_LSR:
		val = vuart_lsr(u);
		u->lsr &= ~VUART_LSR_ERRORS;
		return val;
	case VUART_MSR:
		val = u->msr;
		u->msr &= ~VUART_MSR_DELTAS;
		return val;
	case VUART_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}

static int vuart_io_read(void *dev, uint16_t port, unsigned int size,
			 uint32_t *val)
{
	struct vuart *u = dev;
	unsigned int off = (uint16_t)(port - u->base), i;
	unsigned long flags;
	uint32_t v = 0;
	uint32_t seq;
	bool sync;

	flags = spin_lock_irqsave(&u->lock);
	for (i = 0; i < size && i < 4; i++) {
		uint8_t b = off + i < VUART_NR_PORTS ?
			    vuart_read_reg(u, off + i) : 0xff;

		v |= (uint32_t)b << (8 * i);
	}
	sync = vuart_irq_update(u, &seq);
	spin_unlock_irqrestore(&u->lock, flags);

	if (sync)
		vuart_irq_sync(u, seq);
	*val = v;
	return 0;
}

static int vuart_io_write(void *dev, uint16_t port, unsigned int size,
			  uint32_t val)
{
	struct vuart *u = dev;
	unsigned int off = (uint16_t)(port - u->base), i;
	struct vuart_tx_batch tx = { .n = 0 };
	unsigned long flags;
	uint32_t seq;
	bool sync;

	flags = spin_lock_irqsave(&u->lock);
	for (i = 0; i < size && i < 4; i++) {
		if (off + i < VUART_NR_PORTS)
			vuart_write_reg(u, off + i, (uint8_t)(val >> (8 * i)),
					&tx);
	}
	sync = vuart_irq_update(u, &seq);
	spin_unlock_irqrestore(&u->lock, flags);

	/*
	 * Output after the lock: one vCPU's bytes keep their order; bytes
	 * that two vCPUs write at once may reach tx in either order.
	 */
	if (u->tx) {
		for (i = 0; i < tx.n; i++)
			u->tx(u->tx_ctx, tx.bytes[i]);
	}
	if (sync)
		vuart_irq_sync(u, seq);
	return 0;
}

const struct vdev_io_ops vuart_io_ops = {
	.read = vuart_io_read,
	.write = vuart_io_write,
};

size_t vuart_receive(struct vuart *u, const uint8_t *buf, size_t n)
{
	unsigned long flags;
	size_t i, got = 0;
	uint32_t seq;
	bool sync;

	flags = spin_lock_irqsave(&u->lock);
	if (!(u->mcr & VUART_MCR_LOOP)) {
		for (i = 0; i < n; i++)
			got += vuart_rx_push(u, buf[i]);
	}
	sync = vuart_irq_update(u, &seq);
	spin_unlock_irqrestore(&u->lock, flags);

	if (sync)
		vuart_irq_sync(u, seq);
	return got;
}

size_t vuart_rx_space(struct vuart *u)
{
	unsigned long flags;
	size_t space;

	flags = spin_lock_irqsave(&u->lock);
	space = (u->mcr & VUART_MCR_LOOP) ? 0 :
		vuart_rx_capacity(u) - u->rx_count;
	spin_unlock_irqrestore(&u->lock, flags);
	return space;
}

void vuart_init(struct vuart *u, uint16_t base, const struct irq_line *irq,
		void (*tx)(void *ctx, uint8_t byte), void *tx_ctx)
{
	*u = (struct vuart){
		.lock = SPINLOCK_INIT,
		.msr = VUART_MSR_EXTERNAL,
		.dll = VUART_DIVISOR_RESET & 0xff,
		.dlm = VUART_DIVISOR_RESET >> 8,
		.base = base,
		.irq = irq ? *irq : (struct irq_line){ .set = NULL },
		.tx = tx,
		.tx_ctx = tx_ctx,
	};
}

void vuart_dump(struct vuart *u, void (*print)(void *ctx, const char *line), void *ctx)
{
	uint8_t ier, iir, lcr, mcr, lsr, msr, dll, dlm, rx;
	char line[128];

	spin_lock(&u->lock);
	ier = u->ier;
	iir = vuart_iir(u);
	lcr = u->lcr;
	mcr = u->mcr;
	lsr = vuart_lsr(u);
	msr = (u->msr & VUART_MSR_DELTAS) | vuart_msr_lines(u);
	dll = u->dll;
	dlm = u->dlm;
	rx = u->rx_count;
	spin_unlock(&u->lock);
	hv_snprintf(line, sizeof(line),
		    "uart %#x: ier %02x iir %02x lcr %02x mcr %02x lsr %02x msr %02x divisor %u, "
		    "%u byte(s) to read", u->base, ier, iir, lcr, mcr, lsr, msr,
		    (unsigned int)dlm << 8 | dll, rx);
	print(ctx, line);
}
