/*
 * Ticket spinlock: the hypervisor's mutual-exclusion lock.
 *
 * Runs anywhere: any CPU, any context. A lock that is also taken from an
 * interrupt handler must be taken with spin_lock_irqsave() everywhere else,
 * or the handler can spin forever on a lock its own CPU holds. Compiled
 * unchanged by the hosted tests (tests/host/), where CPUs are pthreads.
 *
 * Fairness: strictly FIFO. An arriving CPU takes the next ticket from tail
 * with one LOCK XADD and spins until head, the ticket being served, reaches
 * it; the holder hands over by advancing head. No waiter can be overtaken,
 * so no waiter starves, but a waiter that is not running (a preempted
 * hosted thread; a CPU of this hypervisor when it runs as a guest itself)
 * stalls every ticket behind it: keep critical sections short and never
 * wait for anything under a spinlock.
 *
 * Not recursive: a CPU that takes a lock it already holds waits behind its
 * own ticket forever. The bounded-wait report (lock_stuck_loops below) names
 * the holder, which then is the reporting CPU itself.
 *
 * Debug: owner records smp_processor_id() + 1 of the holder (0 when free),
 * for spin_assert_held() and for the stuck report. It is written with
 * relaxed atomics and only by the holder, so it is exact on the holder's
 * own CPU and a hint everywhere else.
 */
#ifndef CORE_SPINLOCK_H
#define CORE_SPINLOCK_H

#include "asm/atomic.h"
#include "core/lib/compiler.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

typedef struct spinlock {
	/*
	 * Ticket now served. Written only by the holder, with a release
	 * store in spin_unlock(); read by waiters with acquire loads.
	 */
	uint32_t head;
	/* Next ticket to hand out. Advanced by arrivals with LOCK XADD. */
	uint32_t tail;
	/* smp_processor_id() + 1 of the holder, 0 when free. Debug only. */
	uint32_t owner;
} spinlock_t;

#define SPINLOCK_INIT { .head = 0, .tail = 0, .owner = 0 }

/*
 * Bounded-wait debug aid, shared with rwlock_t. A waiter that has spun
 * lock_stuck_loops times without getting the lock reports it once, with
 * the holder if known, and then keeps spinning: the report is a hint for
 * whoever reads the console, never an error path. 0 disables the report.
 * At 2^28 PAUSE loops a waiter reports after roughly one second (~10
 * cycles per PAUSE, older cores) to ten seconds (~140, Skylake and later);
 * hosted, where a step is a short sleep, tests lower the limit.
 */
#define LOCK_STUCK_LOOPS_DEFAULT (1ul << 28)
extern unsigned long lock_stuck_loops;
/* Reports made since boot; read by the tests and by "who holds what". */
extern unsigned long lock_stuck_reports;

/*
 * Writes one "lock stuck" line, prefixed like a pr_err() line, straight to
 * the console and counts it. Bypasses pr_err() and its log_lock, so that a
 * stuck log_lock can be reported too and a report never waits on a lock;
 * the line may therefore interleave with another CPU's output. Any
 * context; takes no lock.
 */
void lock_report_stuck(const char *fmt, ...) __printf(1, 2);

/*
 * One step of a contended wait, spins steps into it: a PAUSE on the
 * machine; in the hosted build a sleep after a short spin (see
 * platform_wait_contended() in core/lib/platform.h).
 */
static __always_inline void __lock_relax(unsigned long spins)
{
	platform_wait_contended(spins);
}

/* Contended path of spin_lock(): waits until ticket is served. */
void __spin_lock_wait(spinlock_t *lock, uint32_t ticket);

static inline void spin_lock_init(spinlock_t *lock)
{
	*lock = (spinlock_t)SPINLOCK_INIT;
}

/*
 * Takes the lock, waiting in FIFO order behind earlier arrivals. Acquire:
 * nothing in the critical section moves above it.
 */
static inline void spin_lock(spinlock_t *lock)
{
	uint32_t ticket = atomic_fetch_add(&lock->tail, 1);

	/* Pairs with the release store of head in spin_unlock(). */
	if (unlikely(smp_load_acquire(&lock->head) != ticket))
		__spin_lock_wait(lock, ticket);
	atomic_store(&lock->owner, smp_processor_id() + 1);
}

/*
 * Takes the lock only if it is free and nobody waits for it; never spins.
 * Returns true if the lock is now held by the caller.
 */
static inline bool spin_trylock(spinlock_t *lock)
{
	/* Pairs with the release store of head in spin_unlock(). */
	uint32_t head = smp_load_acquire(&lock->head);

	/*
	 * The lock is free iff tail == head. Taking ticket head with a
	 * cmpxchg on tail cannot take a ticket that is not served yet:
	 * head never passes tail and only grows, so tail == head at the
	 * cmpxchg means head is still the value loaded above (barring a
	 * wrap of all 2^32 tickets in between).
	 */
	if (atomic_load(&lock->tail) != head ||
	    !atomic_try_cmpxchg(&lock->tail, &head, head + 1))
		return false;
	atomic_store(&lock->owner, smp_processor_id() + 1);
	return true;
}

/* Releases a lock held by the caller and serves the next ticket. */
static inline void spin_unlock(spinlock_t *lock)
{
	/* Catches an unlock of a free lock and most double unlocks. */
	ASSERT(atomic_load(&lock->owner) != 0);
	atomic_store(&lock->owner, 0);
	/*
	 * Release: the critical section, and the owner reset above, are
	 * visible to the next holder. Pairs with the acquire loads of head
	 * in spin_lock(), spin_trylock() and __spin_lock_wait().
	 */
	smp_store_release(&lock->head, atomic_load(&lock->head) + 1);
}

/*
 * Disables interrupts on this CPU, then takes the lock. Returns the
 * previous interrupt state for spin_unlock_irqrestore().
 */
static inline unsigned long spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irq_save();

	spin_lock(lock);
	return flags;
}

/*
 * Releases the lock, then restores the interrupt state that
 * spin_lock_irqsave() returned.
 */
static inline void spin_unlock_irqrestore(spinlock_t *lock,
					  unsigned long flags)
{
	spin_unlock(lock);
	irq_restore(flags);
}

/*
 * True if some CPU held or waited for the lock at one instant during the
 * call. Stale as soon as it returns: for assertions and reports only,
 * never to decide whether to take the lock.
 */
static inline bool spin_is_locked(spinlock_t *lock)
{
	/* head first: tail >= head always, so equal values mean free. */
	uint32_t head = smp_load_acquire(&lock->head);

	return atomic_load(&lock->tail) != head;
}

/* Asserts that the calling CPU holds the lock. */
static inline void spin_assert_held(spinlock_t *lock)
{
	ASSERT(atomic_load(&lock->owner) == smp_processor_id() + 1);
}

#endif
