/*
 * Sleepable-RCU-like epoch scheme: the read side of memslots (and of the
 * TDP MMU's page-table reclaim).
 *
 * A reader enters and leaves a read section by writing only its own
 * counter, which lives in a struct srcu_reader of its own (one per vCPU
 * and one per physical CPU for code that is not a vCPU), on a cache line
 * of its own: the read side writes no shared cache line. A writer
 * publishes a new version of the protected data with a release store, then
 * calls srcu_synchronize(), which returns once every read section that
 * could have seen the old version has ended. The writer may then free it.
 *
 * A reader slot is used by one thread of execution at a time (its vCPU's
 * thread, or its CPU with interrupts off); sections nest. A vCPU holds no
 * read section while in guest mode, so srcu_synchronize() never waits on a
 * guest. srcu_synchronize() spins: call it with no spinlock held that a
 * reader could need to leave its section, and never from inside a read
 * section of the same domain (it would wait for itself).
 *
 * Where it runs: the read side anywhere, on the slot's owner, lock-free and
 * wait-free; srcu_synchronize() and (un)registration in thread context,
 * under the domain's own leaf spinlock.
 *
 * The algorithm and its proof are in docs/locking.md ("SRCU epoch and
 * memslots"); the race it rules out in docs/races.md ("Memslot set freed
 * under a reader").
 */
#ifndef CORE_SRCU_H
#define CORE_SRCU_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"

#define SRCU_CACHELINE 64

/*
 * Layout of srcu_reader.state: the domain's epoch as the reader's
 * outermost srcu_read_lock() found it, above SRCU_NEST_BITS bits of
 * nesting depth. 0 (depth 0) means "in no read section".
 */
#define SRCU_NEST_BITS 16
#define SRCU_NEST_MASK ((1ul << SRCU_NEST_BITS) - 1)

struct srcu_reader {
	/*
	 * Written by the owning reader only (release stores); read by
	 * srcu_synchronize() with acquire loads. See SRCU_NEST_BITS.
	 */
	unsigned long state;
	/* Set by srcu_reader_register(), cleared by unregister; domain->lock. */
	struct srcu_struct *domain;
	/*
	 * Optional name for the stuck report ("vcpu 3", "cpu 1"); set by the
	 * owner before srcu_reader_register(), never changed while
	 * registered. NULL: the report shows the slot's address only.
	 */
	const char *name;
} __aligned(SRCU_CACHELINE);

struct srcu_struct {
	/* Readers registered with srcu_reader_register(); lock. */
	struct srcu_reader **readers;
	unsigned int nr_readers;
	unsigned int max_readers;
	/*
	 * Global epoch; advanced by srcu_synchronize() only, under lock.
	 * Read locklessly by every outermost srcu_read_lock().
	 */
	unsigned long epoch __aligned(SRCU_CACHELINE);
	/* Serialises writers (srcu_synchronize) and registration. Leaf. */
	spinlock_t lock;
};

/* Sets up a domain for at most max_readers readers; -ENOMEM on failure. */
int srcu_init(struct srcu_struct *s, unsigned int max_readers);
/* Tears down a domain whose registered readers all hold no read section. */
void srcu_destroy(struct srcu_struct *s);

/*
 * Adds a reader slot to the domain (at vCPU or CPU creation, before the
 * slot is used). The slot starts outside any read section. Returns 0, or
 * -ENOSPC when the domain is full. Registering a slot twice is a bug.
 */
int srcu_reader_register(struct srcu_struct *s, struct srcu_reader *r);
/* Removes a registered slot that holds no read section. */
void srcu_reader_unregister(struct srcu_struct *s, struct srcu_reader *r);

/*
 * Enters a read section (nests, up to SRCU_NEST_MASK deep). The outermost
 * entry is a full barrier (an exchange on the slot's own state): pairs
 * with the epoch bump in srcu_synchronize().
 */
void srcu_read_lock(struct srcu_reader *r);
/* Leaves the innermost read section (release). */
void srcu_read_unlock(struct srcu_reader *r);
/* True while r holds a read section (for assertions; owner only). */
bool srcu_read_held(const struct srcu_reader *r);

/*
 * Waits until every read section that began before this call has ended.
 * Any store the caller made before the call is visible to every read
 * section that begins after srcu_synchronize() returns; every read
 * section that may have seen the old value has ended, and its accesses
 * happen before the return. Writer context only; may spin for as long as
 * the longest such read section (reported once, see lock_stuck_loops).
 */
void srcu_synchronize(struct srcu_struct *s);

/* Publish/read helpers for an SRCU-protected pointer. */
#define srcu_assign_pointer(p, v) smp_store_release(&(p), (v))
#define srcu_dereference(p)       smp_load_acquire(&(p))

#endif
