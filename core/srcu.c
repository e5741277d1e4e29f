/*
 * SRCU-like epoch: read sections that write only their own slot, and the
 * writer's wait for every read section that could still see an old
 * version.
 *
 * Read side (srcu_read_lock, srcu_read_unlock, srcu_read_held): any
 * context, on the slot's owner only; no lock, no wait, no shared write.
 * Write side (srcu_synchronize) and registration: thread context, takes
 * the domain's lock (a leaf), may spin for as long as a read section
 * lasts. The proof sketch is in docs/locking.md ("SRCU epoch and
 * memslots"); the comments below name the pairings it relies on.
 */
#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/srcu.h"
#include "mm/heap.h"

static inline unsigned long srcu_depth(unsigned long state)
{
	return state & SRCU_NEST_MASK;
}

static inline unsigned long srcu_state_epoch(unsigned long state)
{
	return state >> SRCU_NEST_BITS;
}

/*
 * True once a reader whose state is @state no longer holds up a writer
 * that bumped the epoch to @epoch: it is in no read section, or its
 * outermost entry read @epoch or later. The comparison is done on the
 * shifted values as a signed difference, so that it stays right when the
 * epoch wraps (a reader can lag the epoch by a few steps at most: every
 * synchronize waits for its section).
 */
static inline bool srcu_state_passed(unsigned long state, unsigned long epoch)
{
	return !srcu_depth(state) ||
	       (long)((state & ~SRCU_NEST_MASK) - (epoch << SRCU_NEST_BITS)) >= 0;
}

int srcu_init(struct srcu_struct *s, unsigned int max_readers)
{
	s->readers = kcalloc(max_readers, sizeof(*s->readers));
	if (!s->readers)
		return -ENOMEM;
	s->nr_readers = 0;
	s->max_readers = max_readers;
	s->epoch = 0;
	spin_lock_init(&s->lock);
	return 0;
}

void srcu_destroy(struct srcu_struct *s)
{
	unsigned int i;

	spin_lock(&s->lock);
	for (i = 0; i < s->nr_readers; i++) {
		struct srcu_reader *r = s->readers[i];

		ASSERT(!srcu_depth(atomic_load(&r->state)));
		r->domain = NULL;
	}
	s->nr_readers = 0;
	s->max_readers = 0;
	spin_unlock(&s->lock);
	kfree(s->readers);
	s->readers = NULL;
}

/* Index of r among the registered readers, or -1. Caller holds s->lock. */
static int srcu_reader_index(struct srcu_struct *s,
			     const struct srcu_reader *r)
{
	unsigned int i;

	spin_assert_held(&s->lock);
	for (i = 0; i < s->nr_readers; i++) {
		if (s->readers[i] == r)
			return (int)i;
	}
	return -1;
}

int srcu_reader_register(struct srcu_struct *s, struct srcu_reader *r)
{
	int err = 0;

	spin_lock(&s->lock);
	ASSERT(srcu_reader_index(s, r) < 0);
	if (s->nr_readers == s->max_readers) {
		err = -ENOSPC;
		goto out_unlock;
	}
	/*
	 * Nobody reads the slot yet: the owner starts using it after this
	 * call (ordered by whatever hands the slot over), srcu_synchronize()
	 * only once it is in readers[] under the lock.
	 */
	atomic_store(&r->state, 0);
	r->domain = s;
	s->readers[s->nr_readers++] = r;
out_unlock:
	spin_unlock(&s->lock);
	return err;
}

void srcu_reader_unregister(struct srcu_struct *s, struct srcu_reader *r)
{
	int i;

	spin_lock(&s->lock);
	i = srcu_reader_index(s, r);
	ASSERT(i >= 0);
	ASSERT(!srcu_depth(atomic_load(&r->state)));
	s->readers[i] = s->readers[--s->nr_readers];
	s->readers[s->nr_readers] = NULL;
	r->domain = NULL;
	spin_unlock(&s->lock);
}

void srcu_read_lock(struct srcu_reader *r)
{
	/* Only the owner writes state, so its own view is current. */
	unsigned long state = atomic_load(&r->state);
	struct srcu_struct *s = r->domain;
	unsigned long epoch, now;

	if (srcu_depth(state)) {
		/*
		 * Nested: the outermost entry's epoch and barrier cover it.
		 * Release all the same (a plain MOV on x86): every store to
		 * state is one, so a writer's acquire of any of them orders
		 * the sections this slot has finished before its free.
		 */
		ASSERT(srcu_depth(state) != SRCU_NEST_MASK);
		smp_store_release(&r->state, state + 1);
		return;
	}
	ASSERT(s != NULL);
	/*
	 * Acquire pairs with the epoch bump in srcu_synchronize(), a
	 * seq_cst RMW and so a release: if this reads a writer's bump, the
	 * version that writer published is visible to this section, and the
	 * writer, finding the snapshot at or past its epoch, does not wait.
	 */
	epoch = smp_load_acquire(&s->epoch);
	/*
	 * The entry: a seq_cst exchange (XCHG, a full barrier on x86, as
	 * Linux's smp_store_mb()). Release, so that every earlier section
	 * of this slot happens before a writer's acquire of this value; and
	 * the reader's store of a store-buffering pair with the writer in
	 * srcu_synchronize(), whose epoch bump and seq_cst loads of the
	 * reader states are the other half. The reader's load is the one
	 * below.
	 */
	__atomic_exchange_n(&r->state, (epoch << SRCU_NEST_BITS) | 1,
			    __ATOMIC_SEQ_CST);
	/*
	 * The reader's load of the store-buffering pair: either the
	 * writer's seq_cst load of state sees the exchange above (and waits
	 * for this section, or sees that it need not), or this load sees
	 * the writer's bump, synchronizes with it and makes its published
	 * version visible to the section. A bump seen here that the
	 * snapshot missed goes into the state, so that the writer that made
	 * it need not wait for this section.
	 */
	now = __atomic_load_n(&s->epoch, __ATOMIC_SEQ_CST);
	if (unlikely(now != epoch))
		smp_store_release(&r->state, (now << SRCU_NEST_BITS) | 1);
}

void srcu_read_unlock(struct srcu_reader *r)
{
	unsigned long state = atomic_load(&r->state);

	ASSERT(srcu_depth(state) != 0);
	/*
	 * Release: the section's loads of the protected data are done before
	 * a writer that reads the new state frees that data. Pairs with the
	 * acquire load in srcu_wait_reader(). The outermost exit clears the
	 * epoch too, so a quiescent slot always reads 0.
	 */
	smp_store_release(&r->state, srcu_depth(state) == 1 ? 0 : state - 1);
}

bool srcu_read_held(const struct srcu_reader *r)
{
	return srcu_depth(atomic_load(&r->state)) != 0;
}

static __noinline void srcu_report_stuck(struct srcu_struct *s,
					 const struct srcu_reader *r,
					 unsigned int slot, unsigned long state,
					 unsigned long epoch,
					 unsigned long spins, void *caller)
{
	lock_report_stuck("srcu %p: CPU %u spun %lu times in srcu_synchronize() for reader %s%s%p (slot %u of %u), in a read section since epoch %lu, depth %lu; waiting for epoch %lu; caller %p",
			  (void *)s, smp_processor_id(), spins,
			  r->name ? r->name : "", r->name ? " " : "",
			  (const void *)r, slot, s->nr_readers,
			  srcu_state_epoch(state), srcu_depth(state), epoch,
			  caller);
}

/*
 * Spins until reader r has passed @epoch (see srcu_state_passed()),
 * reporting once if that takes lock_stuck_loops steps. Caller holds
 * s->lock and has bumped the epoch to @epoch.
 */
static void srcu_wait_reader(struct srcu_struct *s, struct srcu_reader *r,
			     unsigned int slot, unsigned long epoch,
			     void *caller)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0, state;

	spin_assert_held(&s->lock);
	/*
	 * Seq_cst: the writer's load of the store-buffering pair (see
	 * srcu_synchronize()). Also an acquire, pairing with the release
	 * stores and the exchange in srcu_read_unlock() and
	 * srcu_read_lock(): every access of the sections this slot finished
	 * before the value read here happens before the caller's free.
	 */
	while (!srcu_state_passed(state = __atomic_load_n(&r->state,
							   __ATOMIC_SEQ_CST),
				  epoch)) {
		__lock_relax(++spins);
		if (unlikely(spins == limit))
			srcu_report_stuck(s, r, slot, state, epoch, spins,
					  caller);
	}
}

void srcu_synchronize(struct srcu_struct *s)
{
	void *caller = __builtin_return_address(0);
	unsigned long epoch;
	unsigned int i;

	spin_lock(&s->lock);
	/*
	 * The bump: a seq_cst RMW (LOCK XADD, a full barrier on x86).
	 * Release, so that the caller's publish before it is visible to a
	 * reader whose epoch load (acquire or seq_cst) in srcu_read_lock()
	 * reads this bump, or a later one: the later bumps are RMWs, in this
	 * one's release sequence. And the writer's store of the
	 * store-buffering pair whose writer load is the seq_cst load of
	 * each reader's state in srcu_wait_reader(); the reader's half is
	 * the exchange and the seq_cst epoch load in srcu_read_lock().
	 */
	epoch = atomic_add_return(&s->epoch, 1);
	for (i = 0; i < s->nr_readers; i++)
		srcu_wait_reader(s, s->readers[i], i, epoch, caller);
	spin_unlock(&s->lock);
}
