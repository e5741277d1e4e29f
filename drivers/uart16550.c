/*
 * 16550 UART driver for the host console: polled transmit and receive,
 * 8N1, FIFOs on. Callers serialise (the log lock); runs with interrupts
 * off or on, any CPU.
 */
#include "asm/cpu.h"
#include "core/lib/errno.h"
#include "drivers/uart16550.h"

/* Register offsets from the base port. */
#define UART_RBR 0	/* receive buffer (read, DLAB=0) */
#define UART_THR 0	/* transmit holding (write, DLAB=0) */
#define UART_DLL 0	/* divisor latch low (DLAB=1) */
#define UART_IER 1	/* interrupt enable (DLAB=0) */
#define UART_DLM 1	/* divisor latch high (DLAB=1) */
#define UART_FCR 2	/* FIFO control (write) */
#define UART_LCR 3	/* line control */
#define UART_MCR 4	/* modem control */
#define UART_LSR 5	/* line status */
#define UART_SCR 7	/* scratch */

#define UART_LCR_8N1   0x03
#define UART_LCR_DLAB  0x80
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_TRIG_14 0xc0
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08
#define UART_LSR_DR   0x01	/* data ready */
#define UART_LSR_THRE 0x20	/* transmit holding register empty */

#define UART_TX_SPIN_LIMIT 1000000u

int uart_init(struct uart *u, uint16_t port, uint32_t baud)
{
	uint32_t divisor;

	u->present = false;
	if (baud == 0 || baud > UART_CLOCK_HZ / 16)
		return -EINVAL;
	divisor = UART_CLOCK_HZ / 16 / baud;
	if (divisor == 0 || divisor > 0xffff)
		return -EINVAL;

	/* The scratch register tells whether a UART answers at all. */
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return -ENODEV;

	outb(port + UART_IER, 0);
	outb(port + UART_LCR, UART_LCR_DLAB);
	outb(port + UART_DLL, divisor & 0xff);
	outb(port + UART_DLM, divisor >> 8);
	outb(port + UART_LCR, UART_LCR_8N1);
	outb(port + UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX |
	     UART_FCR_CLEAR_TX | UART_FCR_TRIG_14);
	outb(port + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	u->port = port;
	u->baud = baud;
	u->present = true;
	return 0;
}

void uart_putc(struct uart *u, char c)
{
	uint32_t spins = 0;

	if (!u->present)
		return;
	/* A wedged UART must not hang the CPU: give up after a bound. */
	while (!(inb(u->port + UART_LSR) & UART_LSR_THRE)) {
		if (++spins > UART_TX_SPIN_LIMIT)
			return;
		cpu_relax();
	}
	outb(u->port + UART_THR, (uint8_t)c);
}

int uart_getc(struct uart *u)
{
	if (!u->present || !(inb(u->port + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(u->port + UART_RBR);
}
