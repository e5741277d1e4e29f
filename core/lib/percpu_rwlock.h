/*
 * Per-CPU reader-writer spinlock: a read side that writes only the
 * reader's own cache line.
 *
 * Runs anywhere a CPU has an id below PERCPU_RWLOCK_SLOTS: vCPU and
 * thread context. No _irqsave variants: a lock taken by an interrupt
 * handler would need them on every other path, and none does today.
 * Compiled unchanged by the hosted tests (tests/host/).
 *
 * Why: rwlock_t's read side is one atomic add on one shared word, so
 * readers on different CPUs bounce its cache line and parallel read
 * sections (vCPU page faults under mmu_lock for read) do not scale
 * (docs/tdp-mmu.md, "Benchmark"). Here each CPU counts its read holds in
 * a slot of its own, on a 64-byte line of its own; the shared lines are
 * only read by readers, and written only by writers.
 *
 * The trade-off:
 *  - read side: one LOCK'd add on the CPU's own slot and one load of
 *    `writer`, a line that stays shared in every cache while no writer
 *    comes; unlock is one LOCK'd subtract on the same slot;
 *  - write side: claims `writer` with one cmpxchg, then scans all
 *    PERCPU_RWLOCK_SLOTS slots until each reads 0, i.e. 64 cache lines
 *    per acquisition even when no reader is about. Use it where writers
 *    are rare (zaps, memslot updates), never as a general-purpose lock;
 *  - memory: PERCPU_RWLOCK_SLOTS + 1 cache lines (4160 bytes) per lock.
 *
 * Protocol. The reader's entry and the writer's entry form a
 * store-buffering (Dekker) pair, each side a seq_cst read-modify-write of
 * its own word followed by a seq_cst load of the other side's:
 *
 *   reader (percpu_read_lock)          writer (percpu_write_lock)
 *     slot[cpu] += 1     (LOCK XADD)     writer: 0 -> cpu + 1 (LOCK CMPXCHG)
 *     w = writer         (seq_cst)       for each slot: wait for 0 (seq_cst)
 *     w ? back out, wait, retry
 *
 * In the seq_cst total order one of the two entries comes first. If the
 * reader's add does, the writer's scan sees the slot raised and waits for
 * the reader's release subtract in percpu_read_unlock(). If the writer's
 * cmpxchg does, the reader sees `writer` set, takes its add back before
 * it touches anything the lock protects, and waits. Never both blind:
 * that is the exclusion. The reader's load of `writer` that finds 0 after
 * a writer left reads percpu_write_unlock()'s release store, so the
 * writer's critical section happens before the reader's; the next
 * writer's cmpxchg reads it too. A full fence between store and load
 * would do the same job, but GCC rejects __atomic_thread_fence() under
 * -fsanitize=thread (and TSan does not model fences); on x86 the LOCK'd
 * instructions are the fences.
 *
 * Which side it favours: writers. A writer claims `writer` first and then
 * waits only for the read sections that were already inside; every reader
 * arriving after that backs out and waits until the writer has been and
 * gone, so a steady stream of readers (faults) cannot starve a writer (a
 * zap). Readers have no queue: a reader that backs out retries when
 * `writer` clears, and a back-to-back stream of writers could hold it
 * off; writers are rare by the rule above.
 *
 * Among writers: one that finds `writer` clear takes it at once (as
 * qrwlock's write fast path does); one that does not queues in FIFO order
 * on wait_lock, an internal ticket spinlock, and only the head of that
 * queue competes with arriving writers. A purely FIFO hand-over would
 * stall every writer behind a queued one that is not running: hosted, on
 * a 2-CPU host, tdp_mmu_page_fault_exclusive() fell from 12 M faults/s
 * on one thread to under 30 000 on 2 to 16 threads that way; it keeps
 * 13 to 15 M with this fast path.
 *
 * Read holds are counted per CPU, not per thread of execution:
 * percpu_read_lock() returns the slot it counted in, as a cookie that
 * percpu_read_unlock() takes, so a reader that moved CPU inside its
 * section (it should not: vCPUs are pinned while they run) still
 * releases the slot it raised.
 *
 * Recursion, the same rule as rwlock_t:
 *  - percpu_read_lock() on a CPU that already holds the lock for read
 *    deadlocks if a writer claimed `writer` in between: the inner reader
 *    waits for the writer, the writer for the outer read section. Readers
 *    may nest only where no writer can start waiting between the outer
 *    and the inner acquisition; percpu_read_trylock() is the only safe
 *    nested acquisition (it fails instead of waiting).
 *  - percpu_write_lock() is not recursive, a writer must not take the
 *    lock for read, nor a reader for write: each waits for itself forever
 *    (and its bounded-wait report names its own CPU as the holder).
 *
 * Debug: `writer` holds smp_processor_id() + 1 of the writer that claimed
 * it, and owner the same once that writer holds the lock (0 while it
 * waits for readers), for percpu_rwlock_assert_held_write() and the stuck
 * reports. The CPU's slot tells percpu_rwlock_assert_held_read() that
 * this CPU holds the lock for read (in the hosted build, where threads may
 * share a CPU id, that some thread with this id does). The bounded-wait
 * report is the spinlock's (lock_stuck_loops in core/lib/spinlock.h).
 */
#ifndef CORE_PERCPU_RWLOCK_H
#define CORE_PERCPU_RWLOCK_H

#include "asm/atomic.h"
#include "core/lib/compiler.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/spinlock.h"

/*
 * Reader slots per lock, one per possible CPU id: the hypervisor's
 * MAX_CPUS (asm/percpu.h; core/lib/percpu_rwlock.c checks that they agree).
 * A CPU with a larger id cannot take the lock (BUG_ON).
 */
#define PERCPU_RWLOCK_SLOTS 64

struct percpu_rwlock_slot {
	/*
	 * Read holds counted on this slot, plus, for a moment, readers
	 * that raised it and are about to take it back because a writer
	 * waits or holds. Changed only by atomic RMWs: by readers running
	 * on this CPU (and by readers releasing a hold they took here).
	 * Read by writers (seq_cst loads).
	 */
	uint32_t readers;
} __aligned(64);

struct percpu_rwlock {
	/*
	 * The line readers read on every entry; written by writers only,
	 * so it stays shared in every cache while no writer comes.
	 *
	 * writer: smp_processor_id() + 1 of the writer from the moment it
	 * claims the lock (and starts waiting for the readers to drain)
	 * until it unlocks; 0 otherwise. Claimed by a seq_cst cmpxchg from
	 * 0, cleared by its claimant with a release store.
	 */
	uint32_t writer;
	/*
	 * smp_processor_id() + 1 of the writer holding the lock, readers
	 * drained; 0 otherwise. Written by that writer only. Debug only.
	 */
	uint32_t owner;
	/* Queue of writers that found writer claimed, FIFO. */
	spinlock_t wait_lock;

	struct percpu_rwlock_slot slots[PERCPU_RWLOCK_SLOTS];
};

_Static_assert(offsetof(struct percpu_rwlock, slots) == 64,
	       "writer and wait_lock fit one line, apart from the slots");

#define PERCPU_RWLOCK_INIT					\
	{ .writer = 0, .owner = 0, .wait_lock = SPINLOCK_INIT,	\
	  .slots = { { 0 } } }

/* The reader's contended path, in core/lib/percpu_rwlock.c. */
void __percpu_read_lock_slow(struct percpu_rwlock *lock, unsigned int cpu);

static inline void percpu_rwlock_init(struct percpu_rwlock *lock)
{
	*lock = (struct percpu_rwlock)PERCPU_RWLOCK_INIT;
}

/* The slot of the running CPU; BUG if its id has none. */
static __always_inline unsigned int percpu_rwlock_this_slot(void)
{
	unsigned int cpu = smp_processor_id();

	BUG_ON(cpu >= PERCPU_RWLOCK_SLOTS);
	return cpu;
}

/*
 * Takes the lock for read, together with other readers. Waits while a
 * writer holds the lock or waits for it. Returns the cookie to give
 * percpu_read_unlock(). See the recursion rule above.
 */
static inline unsigned int percpu_read_lock(struct percpu_rwlock *lock)
{
	unsigned int cpu = percpu_rwlock_this_slot();

	/*
	 * The reader's half of the store-buffering pair: the seq_cst add
	 * comes before the seq_cst load of writer in the total order. Pairs
	 * with the cmpxchg of writer and the seq_cst slot loads in
	 * percpu_write_lock() / percpu_write_trylock(). The load, when it
	 * reads 0 stored by percpu_write_unlock(), is also the acquire that
	 * pairs with that release store.
	 */
	__atomic_add_fetch(&lock->slots[cpu].readers, 1, __ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&lock->writer, __ATOMIC_SEQ_CST)))
		__percpu_read_lock_slow(lock, cpu);
	return cpu;
}

/*
 * Takes the lock for read if no writer has claimed it (holds it or waits
 * for readers); never spins. Returns true, with *cookie set for
 * percpu_read_unlock(), if the caller now holds the lock for read.
 */
static inline bool percpu_read_trylock(struct percpu_rwlock *lock,
				       unsigned int *cookie)
{
	unsigned int cpu = percpu_rwlock_this_slot();

	/* Cheap early exit; the pair below decides. */
	if (atomic_load(&lock->writer))
		return false;
	/* The same pair as in percpu_read_lock(). */
	__atomic_add_fetch(&lock->slots[cpu].readers, 1, __ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&lock->writer, __ATOMIC_SEQ_CST))) {
		/*
		 * Never inside: nothing to publish. Release all the same,
		 * as every decrement of a slot (as cheap as relaxed for a
		 * LOCK'd RMW).
		 */
		__atomic_sub_fetch(&lock->slots[cpu].readers, 1,
				   __ATOMIC_RELEASE);
		return false;
	}
	*cookie = cpu;
	return true;
}

/*
 * Drops a read hold taken by percpu_read_lock() or percpu_read_trylock(),
 * given the cookie it returned.
 */
static inline void percpu_read_unlock(struct percpu_rwlock *lock,
				      unsigned int cookie)
{
	uint32_t old;

	ASSERT(cookie < PERCPU_RWLOCK_SLOTS);
	/*
	 * Release pairs with the seq_cst (hence acquire) slot loads by which
	 * a writer sees the slot drained in percpu_write_lock() /
	 * percpu_write_trylock(): this read section is over before the
	 * writer's begins.
	 */
	old = __atomic_fetch_sub(&lock->slots[cookie].readers, 1,
				 __ATOMIC_RELEASE);
	/* Catches an unlock with a wrong cookie or an unbalanced one. */
	ASSERT(old != 0);
}

/*
 * Takes the lock for write, excluding readers and other writers: claims
 * writer (queueing behind earlier writers if it is taken), which turns new
 * readers away, and waits for the read sections already inside to leave.
 * Scans every slot: see the trade-off above.
 */
void percpu_write_lock(struct percpu_rwlock *lock);

/*
 * Takes the lock for write if no other writer has claimed it and no
 * reader is inside or passing by; never spins. Returns true if the caller
 * now holds it. A failed attempt may make readers arriving during its
 * scan back out and retry.
 */
bool percpu_write_trylock(struct percpu_rwlock *lock);

/* Releases the lock held for write by the caller. */
void percpu_write_unlock(struct percpu_rwlock *lock);

/*
 * Asserts that the calling CPU holds the lock for read: its slot counts a
 * hold, and no writer holds the lock (a writer may be waiting: it waits
 * for this very hold).
 */
static inline void percpu_rwlock_assert_held_read(struct percpu_rwlock *lock)
{
	unsigned int cpu = percpu_rwlock_this_slot();

	ASSERT(atomic_load(&lock->slots[cpu].readers) != 0 &&
	       atomic_load(&lock->owner) == 0);
}

/* Asserts that the calling CPU holds the lock for write. */
static inline void percpu_rwlock_assert_held_write(struct percpu_rwlock *lock)
{
	unsigned int self = smp_processor_id() + 1;

	ASSERT(atomic_load(&lock->writer) == self &&
	       atomic_load(&lock->owner) == self);
}

#endif
