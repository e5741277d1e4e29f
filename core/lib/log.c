/*
 * Console log. Runs on any CPU, any context (exception handlers included);
 * takes only log_lock, a leaf lock, with interrupts off.
 *
 * Each line is formatted into a buffer on the stack first and written in
 * one go under log_lock, so lines from different CPUs never interleave.
 */
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/spinlock.h"

#define LOG_LINE_MAX 256

int log_level_max = LOG_INFO;

static spinlock_t log_lock = SPINLOCK_INIT;
static int panicking;
/*
 * Under log_lock: the last bytes written for a guest (log_write_guest())
 * left the cursor inside a line, which the next line of the hypervisor's
 * ends first.
 */
static bool guest_mid_line;

/* The prompt kept below the lines (log_set_prompt()); read under log_lock. */
static void (*prompt_hide)(void);
static void (*prompt_show)(void);

static const char *const log_level_tag[] = {
	[LOG_ERR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "",
};

/*
 * Writes one line under log_lock, unless a panic is under way: a panic
 * must print even if the lock holder is the CPU that faulted. panicking
 * is read once, so the unlock matches the lock.
 */
static void log_emit(const char *line, size_t len)
{
	unsigned long flags = irq_save();
	bool locked = !READ_ONCE(panicking);

	if (locked) {
		spin_lock(&log_lock);
		if (prompt_hide)
			prompt_hide();
	}
	if (guest_mid_line)
		console_write("\r\n", 2);
	guest_mid_line = false;
	console_write(line, len);
	if (locked) {
		if (prompt_show)
			prompt_show();
		spin_unlock(&log_lock);
	}
	irq_restore(flags);
}

void log_set_prompt(void (*hide)(void), void (*show)(void))
{
	unsigned long flags = irq_save();

	spin_lock(&log_lock);
	prompt_hide = hide;
	prompt_show = show;
	spin_unlock(&log_lock);
	irq_restore(flags);
}

void log_locked(void (*fn)(void *ctx), void *ctx)
{
	unsigned long flags = irq_save();

	spin_lock(&log_lock);
	fn(ctx);
	spin_unlock(&log_lock);
	irq_restore(flags);
}

void log_write_guest(const char *s, size_t n, bool whole_line)
{
	unsigned long flags;

	if (!n)
		return;
	flags = irq_save();
	spin_lock(&log_lock);
	if (whole_line && prompt_hide)
		prompt_hide();
	if (whole_line && guest_mid_line)
		console_write("\r\n", 2);
	console_write(s, n);
	guest_mid_line = s[n - 1] != '\n';
	if (whole_line && prompt_show)
		prompt_show();
	spin_unlock(&log_lock);
	irq_restore(flags);
}

void log_vprintf(int level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	uint64_t ns = time_now_ns();
	int n, m;

	if (level > log_level_max)
		return;
	if (level < 0 || level > LOG_DEBUG)
		level = LOG_ERR;
	n = hv_snprintf(line, sizeof(line), "[%5llu.%06llu] %s",
			(unsigned long long)(ns / 1000000000ull),
			(unsigned long long)(ns % 1000000000ull / 1000),
			log_level_tag[level]);
	m = hv_vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	n = m < 0 ? (int)sizeof(line) : n + m;	/* m < 0: longer than INT_MAX */
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	log_emit(line, (size_t)n);
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, fmt, ap);
	va_end(ap);
}

void log_raw(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hv_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	log_emit(line, (size_t)n);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	irq_save();
	WRITE_ONCE(panicking, 1);
	log_level_max = LOG_DEBUG;
	va_start(ap, fmt);
	log_vprintf(LOG_ERR, fmt, ap);
	va_end(ap);
	log_printf(LOG_ERR, "hv: panic on CPU %u, halting", smp_processor_id());
	platform_halt();
}
