/* Host 16550 UART: the hypervisor console. */
#ifndef DRIVERS_UART16550_H
#define DRIVERS_UART16550_H

#include "core/lib/compiler.h"

#define UART_COM1 0x3f8
#define UART_COM2 0x2f8
#define UART_COM3 0x3e8
#define UART_COM4 0x2e8
#define UART_CLOCK_HZ 1843200u	/* divisor base: 115200 * 16 */

struct uart {
	uint16_t port;
	uint32_t baud;
	bool present;
};

int uart_init(struct uart *u, uint16_t port, uint32_t baud);
void uart_putc(struct uart *u, char c);
/* Returns the next received byte, or -1 if none is waiting. */
int uart_getc(struct uart *u);

#endif
