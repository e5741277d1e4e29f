/*
 * Reader-writer spinlock: the contended paths. See core/lib/rwlock.h for the
 * design and the rules.
 *
 * Runs anywhere: any CPU, any context, interrupts in either state. Takes
 * the lock's own wait_lock and nothing else.
 */
#include "core/lib/rwlock.h"

static __noinline void rwlock_report_stuck(rwlock_t *lock, const char *side,
					   unsigned long spins, void *caller)
{
	uint32_t cnts = atomic_load(&lock->cnts);
	unsigned int owner = atomic_load(&lock->owner);
	unsigned int cpu = smp_processor_id();
	const char *waiting = cnts & RWLOCK_WAITING ? ", writer waiting" : "";

	if (!owner) {
		lock_report_stuck("rwlock %p: %s on CPU %u spun %lu times; %u readers%s%s; caller %p",
				  (void *)lock, side, cpu, spins,
				  cnts >> RWLOCK_READER_SHIFT, waiting,
				  cnts & RWLOCK_LOCKED ?
				  ", held for write, writer not recorded" : "",
				  caller);
		return;
	}
	lock_report_stuck("rwlock %p: %s on CPU %u spun %lu times; %u readers%s, held for write by CPU %u%s; caller %p",
			  (void *)lock, side, cpu, spins,
			  cnts >> RWLOCK_READER_SHIFT, waiting, owner - 1,
			  owner - 1 == cpu ? " (itself: recursive lock?)" : "",
			  caller);
}

/*
 * read_lock() found RWLOCK_LOCKED or RWLOCK_WAITING after adding its bias.
 * Returns with the lock held for read.
 */
void __read_lock_slow(rwlock_t *lock)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;
	uint32_t cnts;

	/*
	 * Take the bias back first: a waiting writer must be able to see
	 * the readers drain, and this reader is not inside yet.
	 */
	__atomic_sub_fetch(&lock->cnts, RWLOCK_READER_BIAS, __ATOMIC_RELAXED);

	/*
	 * Queue behind earlier arrivals. Once this CPU holds wait_lock no
	 * writer is waiting (only a wait_lock holder sets RWLOCK_WAITING,
	 * and clears it before leaving), but one may still hold the lock.
	 */
	spin_lock(&lock->wait_lock);

	/*
	 * With this bias in place no writer can take the lock any more:
	 * the fast path and write_trylock() want cnts == 0, the slow path
	 * needs wait_lock. Only a writer already inside remains to wait for.
	 * Acquire, here and in the loop, pairs with the release in
	 * write_unlock().
	 */
	cnts = __atomic_add_fetch(&lock->cnts, RWLOCK_READER_BIAS,
				  __ATOMIC_ACQUIRE);
	while (cnts & RWLOCK_LOCKED) {
		__lock_relax(++spins);
		if (unlikely(spins == limit))
			rwlock_report_stuck(lock, "reader", spins,
					    __builtin_return_address(0));
		cnts = smp_load_acquire(&lock->cnts);
	}

	spin_unlock(&lock->wait_lock);
}

/*
 * write_lock() found the lock not free. Returns with the lock held for
 * write; write_lock() records the owner.
 */
void __write_lock_slow(rwlock_t *lock)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;
	uint32_t cnts;

	/* Serialise with other writers and with queued readers. */
	spin_lock(&lock->wait_lock);

	/*
	 * The holders seen by the fast path may have left while this CPU
	 * queued. Acquire pairs with the release in read_unlock() and
	 * write_unlock().
	 */
	cnts = 0;
	if (__atomic_compare_exchange_n(&lock->cnts, &cnts, RWLOCK_LOCKED,
					false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED))
		goto out;

	/*
	 * Turn new readers away. They see RWLOCK_WAITING in read_lock()
	 * and queue on wait_lock, held here until the lock is ours.
	 */
	__atomic_fetch_or(&lock->cnts, RWLOCK_WAITING, __ATOMIC_RELAXED);

	/*
	 * Wait for the readers inside, the readers passing by and a writer
	 * that took the lock by its fast path to leave, then swap WAITING
	 * for LOCKED in one step. A reader's bias may reappear between the
	 * load and the cmpxchg; it goes away again at once, because that
	 * reader sees RWLOCK_WAITING. Acquire pairs with the release in
	 * read_unlock() and write_unlock().
	 */
	for (;;) {
		cnts = RWLOCK_WAITING;
		if (__atomic_compare_exchange_n(&lock->cnts, &cnts,
						RWLOCK_LOCKED, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		do {
			__lock_relax(++spins);
			if (unlikely(spins == limit))
				rwlock_report_stuck(lock, "writer", spins,
						    __builtin_return_address(0));
		} while (atomic_load(&lock->cnts) != RWLOCK_WAITING);
	}
out:
	spin_unlock(&lock->wait_lock);
}
