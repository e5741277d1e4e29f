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
 * Where log lines go: console_write() unless a writer is set (the console
 * monitor's, which keeps its prompt line below them). The writer is
 * called under log_lock, never during a panic; it may take no lock but
 * with spin_trylock().
 */
void log_set_writer(void (*write)(const char *s, size_t n));

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
