/*
 * Ticket spinlock: the contended wait, and the "lock stuck" report that
 * spinlock_t and rwlock_t share.
 *
 * Runs anywhere: any CPU, any context, interrupts in either state. Takes
 * no lock of its own (the report writes to the console directly).
 */
#include <stdarg.h>

#include "core/lib/printf.h"
#include "core/lib/spinlock.h"

/* Read once at the start of each wait: a change affects later waits. */
unsigned long lock_stuck_loops = LOCK_STUCK_LOOPS_DEFAULT;
unsigned long lock_stuck_reports;

void lock_report_stuck(const char *fmt, ...)
{
	char line[256];
	uint64_t ns = time_now_ns();
	va_list ap;
	size_t len, room;
	int n;

	/* The same prefix as a log_printf(LOG_ERR, ...) line. */
	n = hv_snprintf(line, sizeof(line), "[%5llu.%06llu] error: lock stuck: ",
			(unsigned long long)(ns / 1000000000ull),
			(unsigned long long)(ns % 1000000000ull / 1000));
	len = MIN((size_t)MAX(n, 0), sizeof(line) - 2);
	/* Room for the message and hv_vsnprintf()'s NUL, less the newline. */
	room = sizeof(line) - len - 1;

	va_start(ap, fmt);
	n = hv_vsnprintf(line + len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += MIN((size_t)n, room - 1);
	line[len++] = '\n';

	console_write(line, len);
	atomic_fetch_add(&lock_stuck_reports, 1);
}

static __noinline void spin_report_stuck(spinlock_t *lock, uint32_t ticket,
					 unsigned long spins, void *caller)
{
	unsigned int owner = atomic_load(&lock->owner);
	unsigned int cpu = smp_processor_id();
	uint32_t head = atomic_load(&lock->head);
	uint32_t tail = atomic_load(&lock->tail);

	if (!owner) {
		lock_report_stuck("spinlock %p: CPU %u spun %lu times for ticket %u; serving %u, %u waiting, holder not recorded; caller %p",
				  (void *)lock, cpu, spins, ticket, head,
				  tail - head - 1, caller);
		return;
	}
	lock_report_stuck("spinlock %p: CPU %u spun %lu times for ticket %u; serving %u, %u waiting, held by CPU %u%s; caller %p",
			  (void *)lock, cpu, spins, ticket, head,
			  tail - head - 1, owner - 1,
			  owner - 1 == cpu ? " (itself: recursive lock?)" : "",
			  caller);
}

void __spin_lock_wait(spinlock_t *lock, uint32_t ticket)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;

	/* Pairs with the release store of head in spin_unlock(). */
	while (smp_load_acquire(&lock->head) != ticket) {
		__lock_relax(++spins);
		if (unlikely(spins == limit))
			spin_report_stuck(lock, ticket, spins,
					  __builtin_return_address(0));
	}
}
