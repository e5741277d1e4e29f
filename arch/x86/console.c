/*
 * Host console: the 16550 UART chosen on the command line, and optionally
 * the 0xE9 debug port (Bochs' port_e9_hack, QEMU's -debugcon) for emulators
 * that only flush the UART's output file at exit. Callers serialise lines
 * (log_lock); any CPU.
 */
#include "asm/cpu.h"
#include "core/lib/platform.h"
#include "drivers/uart16550.h"

#define DEBUGCON_PORT 0xe9

static struct uart console_uart;
static bool console_debugcon;

int console_init(uint16_t port, uint32_t baud, bool debugcon)
{
	console_debugcon = debugcon;
	return uart_init(&console_uart, port, baud);
}

static void console_putc(char c)
{
	uart_putc(&console_uart, c);
	if (console_debugcon)
		outb(DEBUGCON_PORT, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc(&console_uart, '\r');
		console_putc(s[i]);
	}
}

int console_getc(void)
{
	return uart_getc(&console_uart);
}
