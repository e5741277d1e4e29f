/*
 * Conformance kernels: the start (conf_main), the check lines and the end
 * (debug-exit port, else ACPI S5, else halt). Bootstrap CPU only.
 */
#include "conf.h"

#define DEBUG_EXIT_PORT 0xf4

static u32 passed, failed, skipped;

void conf_main(u32 magic, u32 info);
void conf_main(u32 magic, u32 info)
{
	console_init();
	idt_init();
	printf("\nconformance kernel %s\n", conf_kernel);
	kmain(magic, info);
	finish();
}

void pass(const char *name)
{
	passed++;
	printf("PASS %s.%s\n", conf_kernel, name);
}

static void line(const char *word, const char *name, const char *fmt, va_list ap)
{
	printf("%s %s.%s: ", word, conf_kernel, name);
	vprintf(fmt, ap);
	printf("\n");
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	failed++;
	va_start(ap, fmt);
	line("FAIL", name, fmt, ap);
	va_end(ap);
}

void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	skipped++;
	va_start(ap, fmt);
	line("SKIP", name, fmt, ap);
	va_end(ap);
}

int check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		pass(name);
		return 1;
	}
	failed++;
	va_start(ap, fmt);
	line("FAIL", name, fmt, ap);
	va_end(ap);
	return 0;
}

void finish(void)
{
	printf("END %s: %u passed, %u failed, %u skipped\n", conf_kernel, passed, failed, skipped);
	/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
	outl(DEBUG_EXIT_PORT, failed ? 1 : 0);
	printf("no debug-exit device at port 0x%x: ACPI poweroff\n", DEBUG_EXIT_PORT);
	acpi_poweroff();
	printf("still running: halted\n");
	for (;;)
		asm volatile("cli; hlt");
}
