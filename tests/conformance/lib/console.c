/*
 * Conformance kernels: COM1 (a polled 16550 at 0x3f8) and a small printf
 * (%d %u %x %s %c %p, width, '0' flag, 'l' and 'll'). Any CPU may print;
 * one lock keeps lines whole.
 */
#include "conf.h"

#define COM1      0x3f8
#define UART_THR  0
#define UART_IER  1
#define UART_FCR  2
#define UART_LCR  3
#define UART_MCR  4
#define UART_LSR  5
#define LSR_THRE  BIT(5)
#define LCR_DLAB  BIT(7)
#define LCR_8N1   0x03

static volatile u32 console_lock;

void console_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + 0, 1);		/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);	/* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03);	/* DTR, RTS */
}

static void com1_putc(char c)
{
	u32 spins = 0;

	/* A UART that never drains must not hang the kernel. */
	while (!(inb(COM1 + UART_LSR) & LSR_THRE) && ++spins < 1000000)
		pause();
	outb(COM1 + UART_THR, (u8)c);
}

struct out {
	char *buf;
	size_t size, len;
};

static void out_c(struct out *o, char c)
{
	if (o->buf) {
		if (o->len + 1 < o->size)
			o->buf[o->len] = c;
	} else {
		if (c == '\n')
			com1_putc('\r');
		com1_putc(c);
	}
	o->len++;
}

static void out_num(struct out *o, u64 v, u32 base, int neg, int width, char pad)
{
	char tmp[24];
	int n = 0;
	u32 r;

	do {
		v = udiv64(v, base, &r);
		tmp[n++] = "0123456789abcdef"[r];
	} while (v);
	if (neg)
		tmp[n++] = '-';
	for (; width > n; width--)
		out_c(o, pad);
	while (n)
		out_c(o, tmp[--n]);
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int width = 0, lng = 0;
		char pad = ' ';
		u64 v;

		if (*fmt != '%') {
			out_c(o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t s = lng > 1 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
			out_num(o, s < 0 ? (u64)-s : (u64)s, 10, s < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
			v = lng > 1 ? va_arg(ap, u64) : va_arg(ap, u32);
			out_num(o, v, *fmt == 'u' ? 10 : 16, 0, width, pad);
			break;
		case 'p':
			out_c(o, '0');
			out_c(o, 'x');
			out_num(o, va_arg(ap, u32), 16, 0, 8, '0');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (int n = (int)strlen(s); width > n; width--)
				out_c(o, ' ');
			while (*s)
				out_c(o, *s++);
			break;
		}
		case 'c':
			out_c(o, (char)va_arg(ap, int));
			break;
		case '\0':
			return;
		default:
			out_c(o, *fmt);
		}
	}
}

void vprintf(const char *fmt, va_list ap)
{
	struct out o = { 0 };
	u32 flags;

	asm volatile("pushfl; popl %0; cli" : "=r"(flags) :: "memory");
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		pause();
	format(&o, fmt, ap);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	if (flags & BIT(9))
		sti();
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct out o = { .buf = buf, .size = size };
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}
