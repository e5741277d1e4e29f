/*
 * Reader-writer spinlock, modelled on Linux's qrwlock.
 *
 * Runs anywhere: any CPU, any context. As with spinlock_t, a lock that an
 * interrupt handler takes must be taken with the _irqsave variants
 * everywhere else. Compiled unchanged by the hosted tests (tests/host/).
 *
 * Which side it favours: writers, over readers that arrive after them.
 * A reader takes the lock with one atomic add and keeps it unless a writer
 * holds the lock or waits for it; then it backs out and queues. A writer
 * that cannot take the lock at once queues too, and when its turn comes
 * raises RWLOCK_WAITING, which turns every new reader away, and waits for
 * the readers already inside to drain. So a steady stream of readers (vCPU
 * page faults under mmu_lock for read) cannot starve a writer (a zap under
 * mmu_lock for write): once its turn in the queue comes, the writer waits
 * only for the read sections that were running when it raised
 * RWLOCK_WAITING.
 *
 * Contended arrivals of both kinds queue in FIFO order on wait_lock, an
 * internal ticket spinlock, and writers serialise among themselves there;
 * so readers are not starved by a stream of writers either: a reader that
 * queued before a writer gets in before it.
 *
 * The cost: a reader that arrives while a writer waits spins, even though
 * the lock is only held for read at that moment, until the writer has come
 * and gone. Read-side critical sections therefore lengthen the wait of
 * every reader behind a writer, not only of the writer.
 *
 * Recursion:
 *  - read_lock() on a CPU that already holds the lock for read deadlocks
 *    if a writer started waiting in between: the inner read_lock() queues
 *    behind the writer, and the writer waits for the outer read section.
 *    Linux lets readers in interrupt context skip the queue for this
 *    reason; this lock does not, so if an interrupt handler takes a lock
 *    for read, every other taker of that lock, readers included, must use
 *    the _irqsave variants. read_trylock() is the only safe nested read
 *    acquisition: it fails instead of waiting.
 *  - write_lock() is not recursive, and a writer must not take the lock
 *    for read: both wait for themselves forever.
 *
 * Debug: owner records smp_processor_id() + 1 of the writer holding the
 * lock (0 otherwise), for rwlock_assert_held_write() and the stuck report.
 * Readers are only counted, so rwlock_assert_held_read() can tell that
 * some reader holds the lock, not that the caller does. The bounded-wait
 * report is the spinlock's (see lock_stuck_loops in core/lib/spinlock.h).
 */
#ifndef CORE_RWLOCK_H
#define CORE_RWLOCK_H

#include "asm/atomic.h"
#include "core/lib/compiler.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/spinlock.h"

/* Layout of rwlock_t.cnts. */
#define RWLOCK_LOCKED       0x1u	/* a writer holds the lock */
#define RWLOCK_WAITING      0x2u	/* a writer waits for readers to drain */
#define RWLOCK_WMASK        (RWLOCK_LOCKED | RWLOCK_WAITING)
#define RWLOCK_READER_SHIFT 2		/* readers inside or passing by */
#define RWLOCK_READER_BIAS  (1u << RWLOCK_READER_SHIFT)

typedef struct rwlock {
	/*
	 * Readers << RWLOCK_READER_SHIFT | RWLOCK_WAITING | RWLOCK_LOCKED.
	 * The reader count includes, besides the readers inside, readers
	 * that have just added their bias and are about to take it back
	 * because a writer holds or waits.
	 */
	uint32_t cnts;
	/* smp_processor_id() + 1 of the writer, 0 if none. Debug only. */
	uint32_t owner;
	/*
	 * Queue of contended arrivals, both sides, in FIFO order. Only its
	 * holder may set RWLOCK_WAITING, and it keeps wait_lock until it
	 * has turned RWLOCK_WAITING into RWLOCK_LOCKED.
	 */
	spinlock_t wait_lock;
} rwlock_t;

#define RWLOCK_INIT { .cnts = 0, .owner = 0, .wait_lock = SPINLOCK_INIT }

/* Contended paths, in core/lib/rwlock.c. */
void __read_lock_slow(rwlock_t *lock);
void __write_lock_slow(rwlock_t *lock);

static inline void rwlock_init(rwlock_t *lock)
{
	*lock = (rwlock_t)RWLOCK_INIT;
}

/*
 * Takes the lock for read, together with other readers. Waits while a
 * writer holds the lock or waits for it. See the recursion rule above.
 */
static inline void read_lock(rwlock_t *lock)
{
	/*
	 * Acquire pairs with the release in write_unlock(): the previous
	 * writer's critical section is visible to this reader.
	 */
	uint32_t cnts = __atomic_add_fetch(&lock->cnts, RWLOCK_READER_BIAS,
					   __ATOMIC_ACQUIRE);

	if (unlikely(cnts & RWLOCK_WMASK))
		__read_lock_slow(lock);
}

/*
 * Takes the lock for read if no writer holds or waits for it; never spins.
 * Returns true if the caller now holds the lock for read.
 */
static inline bool read_trylock(rwlock_t *lock)
{
	uint32_t cnts = atomic_load(&lock->cnts);

	if (cnts & RWLOCK_WMASK)
		return false;
	/* Acquire pairs with the release in write_unlock(). */
	cnts = __atomic_add_fetch(&lock->cnts, RWLOCK_READER_BIAS,
				  __ATOMIC_ACQUIRE);
	if (likely(!(cnts & RWLOCK_WMASK)))
		return true;
	__atomic_sub_fetch(&lock->cnts, RWLOCK_READER_BIAS, __ATOMIC_RELAXED);
	return false;
}

/* Drops a read hold taken by read_lock() or read_trylock(). */
static inline void read_unlock(rwlock_t *lock)
{
	/*
	 * Release pairs with the acquire cmpxchg by which a writer takes
	 * the lock (write_lock(), write_trylock(), __write_lock_slow()):
	 * this read section is over before the writer's begins.
	 */
	uint32_t old = __atomic_fetch_sub(&lock->cnts, RWLOCK_READER_BIAS,
					  __ATOMIC_RELEASE);

	/* Catches most unbalanced read_unlock()s. */
	ASSERT(old >> RWLOCK_READER_SHIFT);
}

/*
 * Takes the lock for write, excluding readers and other writers. Waits in
 * FIFO order with the other contended arrivals, then for the readers
 * inside to drain; new readers are held off meanwhile.
 */
static inline void write_lock(rwlock_t *lock)
{
	uint32_t cnts = 0;

	/*
	 * Acquire pairs with the release in read_unlock() and
	 * write_unlock() of the previous holders.
	 */
	if (unlikely(!__atomic_compare_exchange_n(&lock->cnts, &cnts,
						  RWLOCK_LOCKED, false,
						  __ATOMIC_ACQUIRE,
						  __ATOMIC_RELAXED)))
		__write_lock_slow(lock);
	atomic_store(&lock->owner, smp_processor_id() + 1);
}

/*
 * Takes the lock for write if nobody holds it, waits for it, or is
 * passing by; never spins. Returns true if the caller now holds it.
 */
static inline bool write_trylock(rwlock_t *lock)
{
	uint32_t cnts = atomic_load(&lock->cnts);

	if (cnts)
		return false;
	/* Acquire pairs with the release in read_unlock(), write_unlock(). */
	if (!__atomic_compare_exchange_n(&lock->cnts, &cnts, RWLOCK_LOCKED,
					 false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	atomic_store(&lock->owner, smp_processor_id() + 1);
	return true;
}

/* Releases the lock held for write by the caller. */
static inline void write_unlock(rwlock_t *lock)
{
	uint32_t old;

	atomic_store(&lock->owner, 0);
	/*
	 * Clears RWLOCK_LOCKED, and only it: RWLOCK_WAITING and the bias of
	 * readers passing by belong to others. Release pairs with the
	 * acquire add in read_lock() / read_trylock(), the acquire loads in
	 * __read_lock_slow() and the acquire cmpxchg of the next writer.
	 */
	old = __atomic_fetch_sub(&lock->cnts, RWLOCK_LOCKED, __ATOMIC_RELEASE);
	/* Catches a write_unlock() of a lock not held for write. */
	ASSERT(old & RWLOCK_LOCKED);
}

/* As read_lock(), with interrupts disabled first; returns their state. */
static inline unsigned long read_lock_irqsave(rwlock_t *lock)
{
	unsigned long flags = irq_save();

	read_lock(lock);
	return flags;
}

/* As read_unlock(), then restores the state read_lock_irqsave() returned. */
static inline void read_unlock_irqrestore(rwlock_t *lock,
					  unsigned long flags)
{
	read_unlock(lock);
	irq_restore(flags);
}

/* As write_lock(), with interrupts disabled first; returns their state. */
static inline unsigned long write_lock_irqsave(rwlock_t *lock)
{
	unsigned long flags = irq_save();

	write_lock(lock);
	return flags;
}

/* As write_unlock(), then restores the state write_lock_irqsave() returned. */
static inline void write_unlock_irqrestore(rwlock_t *lock,
					   unsigned long flags)
{
	write_unlock(lock);
	irq_restore(flags);
}

/*
 * Asserts that the lock is held for read: by at least one reader, which
 * the caller cannot tell apart from itself. While a reader is inside, no
 * writer can hold the lock, so RWLOCK_LOCKED must be clear.
 */
static inline void rwlock_assert_held_read(rwlock_t *lock)
{
	uint32_t cnts = atomic_load(&lock->cnts);

	ASSERT((cnts >> RWLOCK_READER_SHIFT) != 0 &&
	       !(cnts & RWLOCK_LOCKED));
}

/* Asserts that the calling CPU holds the lock for write. */
static inline void rwlock_assert_held_write(rwlock_t *lock)
{
	ASSERT((atomic_load(&lock->cnts) & RWLOCK_LOCKED) &&
	       atomic_load(&lock->owner) == smp_processor_id() + 1);
}

#endif
