/*
 * Per-CPU reader-writer spinlock: the reader's contended path and the
 * write side. See core/lib/percpu_rwlock.h for the design, the protocol and
 * the rules.
 *
 * Runs anywhere a CPU has an id below PERCPU_RWLOCK_SLOTS. Takes the
 * lock's own wait_lock and nothing else.
 */
#include "core/lib/percpu_rwlock.h"

#ifndef HV_HOSTED
#include "asm/percpu.h"
_Static_assert(PERCPU_RWLOCK_SLOTS == MAX_CPUS,
	       "one reader slot per possible CPU id");
#endif

/* What the writer that claimed the lock is doing, for the reports. */
static const char *percpu_rwlock_writer_state(struct percpu_rwlock *lock)
{
	return atomic_load(&lock->owner) ? "holds the lock" :
	       "waits for readers";
}

/*
 * One "lock stuck" line for a writer that has spun lock_stuck_loops times
 * waiting for the readers counted on @slot to leave.
 */
static __noinline void percpu_rwlock_report_drain(struct percpu_rwlock *lock,
						  unsigned int slot,
						  unsigned long spins,
						  void *caller)
{
	unsigned int cpu = smp_processor_id();

	lock_report_stuck("percpu_rwlock %p: writer on CPU %u spun %lu times; slot %u still holds %u readers%s; caller %p",
			  (void *)lock, cpu, spins, slot,
			  atomic_load(&lock->slots[slot].readers),
			  slot == cpu ?
			  " (its own CPU: read-held by the writer?)" : "",
			  caller);
}

/*
 * One "lock stuck" line for a reader (@side "reader") or a writer
 * ("writer") that has spun lock_stuck_loops times waiting for the writer
 * that claimed the lock to unlock. The values are hints: that writer may
 * be leaving as they are read.
 */
static __noinline void percpu_rwlock_report_claimed(struct percpu_rwlock *lock,
						    const char *side,
						    unsigned long spins,
						    void *caller)
{
	unsigned int cpu = smp_processor_id();
	unsigned int writer = atomic_load(&lock->writer);

	lock_report_stuck("percpu_rwlock %p: %s on CPU %u spun %lu times; writer on CPU %d %s%s; caller %p",
			  (void *)lock, side, cpu, spins, (int)writer - 1,
			  percpu_rwlock_writer_state(lock),
			  writer == cpu + 1 ? " (itself: recursive lock?)" : "",
			  caller);
}

/*
 * percpu_read_lock() raised slot @cpu and then found writer set. Returns
 * with the lock held for read, counted on the same slot.
 */
void __percpu_read_lock_slow(struct percpu_rwlock *lock, unsigned int cpu)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	void *caller = __builtin_return_address(0);
	unsigned long spins = 0;

	do {
		/*
		 * Take the add back first: the writer waits for this slot to
		 * drain, and this reader is not inside. Nothing to publish;
		 * release anyway, as cheap as relaxed for a LOCK'd RMW, so
		 * that every decrement of a slot is a release.
		 */
		__atomic_sub_fetch(&lock->slots[cpu].readers, 1,
				   __ATOMIC_RELEASE);

		/*
		 * Wait for the writer to be gone. Relaxed: this load only
		 * says when to try again; the seq_cst load below decides.
		 */
		while (atomic_load(&lock->writer)) {
			__lock_relax(++spins);
			if (unlikely(spins == limit))
				percpu_rwlock_report_claimed(lock, "reader",
							     spins, caller);
		}

		/*
		 * Again the reader's half of the store-buffering pair with
		 * percpu_write_lock() (see percpu_read_lock()); reading 0
		 * stored by percpu_write_unlock() acquires its section.
		 */
		__atomic_add_fetch(&lock->slots[cpu].readers, 1,
				   __ATOMIC_SEQ_CST);
	} while (__atomic_load_n(&lock->writer, __ATOMIC_SEQ_CST));
}

/*
 * Claims writer for the calling CPU if it is clear: the writer's half of
 * the store-buffering pair. Seq_cst: from this RMW on, a reader whose add
 * comes later in the total order sees writer set and backs out, and one
 * whose add came earlier is seen by the scan of the slots; pairs with the
 * seq_cst add and load of writer in percpu_read_lock(). Also the acquire
 * that pairs with the release store of the previous writer's
 * percpu_write_unlock(), whose 0 it reads.
 */
static __always_inline bool percpu_rwlock_claim(struct percpu_rwlock *lock,
						unsigned int cpu)
{
	uint32_t old = 0;

	return __atomic_compare_exchange_n(&lock->writer, &old, cpu + 1, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/*
 * percpu_write_lock() found writer claimed: queue behind the other
 * writers that did, and claim it when this CPU's turn comes and the
 * writer inside has left. Writers arriving meanwhile may still claim it
 * first (see "Among writers" in the header).
 */
static __noinline void percpu_rwlock_claim_slow(struct percpu_rwlock *lock,
						unsigned int cpu, void *caller)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;

	/* FIFO among the queued writers; the spinlock reports its own waits. */
	spin_lock(&lock->wait_lock);
	while (!percpu_rwlock_claim(lock, cpu)) {
		do {
			__lock_relax(++spins);
			if (unlikely(spins == limit))
				percpu_rwlock_report_claimed(lock, "writer",
							     spins, caller);
		} while (atomic_load(&lock->writer));
	}
	spin_unlock(&lock->wait_lock);
}

/*
 * The readers' count on @slot, as the scan sees it. Seq_cst: the load
 * comes after the claim of writer in the total order (the pair's other
 * half is the reader's add), and it acquires the release subtract of
 * percpu_read_unlock() that brought the slot to 0.
 */
static __always_inline uint32_t
percpu_rwlock_slot_load(struct percpu_rwlock *lock, unsigned int slot)
{
	return __atomic_load_n(&lock->slots[slot].readers, __ATOMIC_SEQ_CST);
}

void percpu_write_lock(struct percpu_rwlock *lock)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	void *caller = __builtin_return_address(0);
	unsigned int cpu = smp_processor_id();
	unsigned long spins = 0;
	unsigned int slot;

	if (unlikely(!percpu_rwlock_claim(lock, cpu)))
		percpu_rwlock_claim_slow(lock, cpu, caller);

	/*
	 * Wait for the read sections already inside. A slot once seen at 0
	 * stays free of read sections: a reader raising it later sees
	 * writer and takes its add back (it may be seen passing by if the
	 * scan is still on its slot; the scan then waits a moment longer).
	 */
	for (slot = 0; slot < PERCPU_RWLOCK_SLOTS; slot++) {
		while (percpu_rwlock_slot_load(lock, slot)) {
			__lock_relax(++spins);
			if (unlikely(spins == limit))
				percpu_rwlock_report_drain(lock, slot, spins,
							   caller);
		}
	}
	atomic_store(&lock->owner, cpu + 1);
}

bool percpu_write_trylock(struct percpu_rwlock *lock)
{
	unsigned int cpu = smp_processor_id();
	unsigned int slot;

	/* Cheap early exit, as in percpu_read_trylock(). */
	if (atomic_load(&lock->writer) || !percpu_rwlock_claim(lock, cpu))
		return false;
	for (slot = 0; slot < PERCPU_RWLOCK_SLOTS; slot++) {
		if (percpu_rwlock_slot_load(lock, slot)) {
			/*
			 * A reader is inside or passing by. Nothing was
			 * written under the lock; readers that backed out
			 * meanwhile retry when they see this store.
			 */
			smp_store_release(&lock->writer, 0);
			return false;
		}
	}
	atomic_store(&lock->owner, cpu + 1);
	return true;
}

void percpu_write_unlock(struct percpu_rwlock *lock)
{
	/* Catches a write unlock of a lock not held for write. */
	ASSERT(atomic_load(&lock->writer) != 0 &&
	       atomic_load(&lock->owner) != 0);
	atomic_store(&lock->owner, 0);
	/*
	 * Release pairs with the seq_cst loads of writer in
	 * percpu_read_lock(), percpu_read_trylock() and
	 * __percpu_read_lock_slow(), and with the next writer's cmpxchg in
	 * percpu_rwlock_claim(): whoever reads this 0 sees the whole write
	 * section.
	 */
	smp_store_release(&lock->writer, 0);
}
