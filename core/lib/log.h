/*
 * Console log: one line per call, prefixed with seconds since boot.
 * Runs anywhere; lines from several CPUs never interleave.
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdarg.h>
#include "core/lib/compiler.h"

enum log_level {
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* Messages above this level are dropped (boot option loglevel=). */
extern int log_level_max;

void log_printf(int level, const char *fmt, ...) __printf(2, 3);
void log_vprintf(int level, const char *fmt, va_list ap);
/* Unprefixed output, for dumps that build a line in several calls. */
void log_raw(const char *fmt, ...) __printf(1, 2);
/*
 * Console bytes on a guest's behalf (the console drain, boot CPU), under
 * the same lock as the log's lines, so that neither splits the other.
 * whole_line: s is a line of its own, begun on a fresh line if the
 * cursor is inside one. Bytes that end inside a line make the next log
 * line, or whole guest line, begin on a fresh one.
 */
void log_write_guest(const char *s, size_t n, bool whole_line);

/*
 * A prompt line kept below the console's lines (the console monitor's):
 * hide() is called before, and show() after, every log line and every
 * whole guest line, under log_lock (never during a panic). They write
 * with console_write() only and take no lock.
 */
void log_set_prompt(void (*hide)(void), void (*show)(void));

/*
 * Runs fn(ctx) under log_lock, interrupts off: what writes to the
 * console outside the log (the monitor's line editor) and must not be
 * split by a log line. fn takes no lock.
 */
void log_locked(void (*fn)(void *ctx), void *ctx);

#define pr_err(...)   log_printf(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  log_printf(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_printf(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_DEBUG, __VA_ARGS__)

/* Host corruption or a hypervisor bug: report and stop the machine. */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define BUG_ON(cond)							\
	do {								\
		if (unlikely(cond))					\
			panic("BUG at %s:%d: %s", __FILE__, __LINE__,	\
			      #cond);					\
	} while (0)

#define ASSERT(cond) BUG_ON(!(cond))

#endif
