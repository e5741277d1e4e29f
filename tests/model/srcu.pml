/*
 * Model of the memslots epoch (core/srcu.c) for the spin model checker:
 * the read side's entry against srcu_synchronize(), on x86-TSO memory.
 * tests/model/run.sh checks it; docs/races.md ("Memslot set freed under a
 * reader") tells the interleaving it rules out.
 *
 * Memory. Every thread has a store buffer (a FIFO channel): a plain store
 * (MOV: smp_store_release(), a release or relaxed atomic store) goes into
 * it and reaches memory later, at a moment a drain process picks; a
 * thread's loads read memory, or its own latest buffered store (the
 * reader's own state, which only it writes, is kept in a local). A locked
 * instruction (XCHG, LOCK XADD) waits until its thread's buffer is empty
 * and then acts on memory in one step. That is x86-TSO, the only
 * reordering x86 does being a later load passing an earlier store.
 *
 * The reader, srcu_read_lock() .. srcu_read_unlock() (outermost):
 *   e = epoch                     smp_load_acquire(&s->epoch)
 *   state = e << 1 | 1            __atomic_exchange_n(SEQ_CST): XCHG
 *   now = epoch                   __atomic_load_n(SEQ_CST)
 *   now != e: state = now << 1 | 1  smp_store_release()
 *   p = set                       srcu_dereference()
 *   use *p                        assert: p not freed
 *   state = 0                     smp_store_release() in srcu_read_unlock()
 * (state packs the epoch above the depth as SRCU_NEST_BITS does, with one
 * bit of depth: only outermost sections matter to the writer.)
 *
 * The writer, memslots_commit() publishing set k and freeing set k - 1:
 *   set = k                       srcu_assign_pointer(): a plain store
 *   e = ++epoch                   atomic_add_return(): LOCK XADD
 *   for each reader: wait until its state is 0 or its epoch >= e
 *                                 srcu_wait_reader(), seq_cst loads
 *   free set k - 1                a ghost flag the reader's use checks
 *
 * READER_FENCE 1 is the code as it is. READER_FENCE 0 is the code with
 * the reader's store-load order gone: the exchange weakened to a release
 * store (a MOV: the state waits in the store buffer while the epoch is
 * read again), or the reload weakened to an acquire (in the C11 model the
 * reload may then be satisfied before the exchange's store is visible to
 * the writer, as an ARMv8.3 LDAPR passes an earlier STLR): either way the
 * state store becomes visible after the reload, which is what the model
 * does. Spin must find the freed set read in that variant, or the model
 * no longer checks anything (run.sh fails it).
 */
#ifndef READER_FENCE
#define READER_FENCE 1
#endif
#ifndef NR_READERS
#define NR_READERS 2
#endif
#ifndef NR_SECTIONS
#define NR_SECTIONS 2		/* outermost read sections per reader */
#endif
#ifndef NR_UPDATES
#define NR_UPDATES 2		/* sets published (and sets freed) */
#endif
#define SB_DEPTH 3		/* entries a store buffer holds */

byte epoch;			/* struct srcu_struct.epoch */
byte state[NR_READERS];		/* struct srcu_reader.state, in memory */
byte set;			/* the protected pointer: which set */
bool freed[NR_UPDATES + 1];	/* ghost: set i was freed */

chan rsb[NR_READERS] = [SB_DEPTH] of { byte };	/* reader store buffers: state */
chan wsb = [SB_DEPTH] of { byte };		/* writer store buffer: set */

#define STATE(e)	((e) * 2 + 1)
#define DEPTH(s)	((s) % 2)
#define EPOCH(s)	((s) / 2)
/* srcu_state_passed(): no section, or one that began at e or later. */
#define PASSED(s, e)	(DEPTH(s) == 0 || EPOCH(s) >= (e))

/* Stores leave reader r's buffer, in order, whenever they like. */
proctype reader_drain(byte r)
{
	byte v;
end:
	do
	:: atomic { rsb[r]?v -> state[r] = v }
	od
}

proctype writer_drain()
{
	byte v;
end:
	do
	:: atomic { wsb?v -> set = v }
	od
}

proctype reader(byte r)
{
	byte sec, e, now, p;

	for (sec : 1 .. NR_SECTIONS) {
		/* srcu_read_lock() */
		e = epoch;
#if READER_FENCE
		atomic { empty(rsb[r]) -> state[r] = STATE(e) }
#else
		rsb[r]!STATE(e);
#endif
		now = epoch;
		if
		:: now != e -> rsb[r]!STATE(now)
		:: else
		fi;
		/* the section: read the set and use it */
		p = set;
		assert(!freed[p]);
		/* srcu_read_unlock() */
		rsb[r]!0
	}
}

proctype writer()
{
	byte k, i, e;

	for (k : 1 .. NR_UPDATES) {
		/* publish set k, then srcu_synchronize() */
		wsb!k;
		atomic { empty(wsb) -> epoch++; e = epoch }
		for (i : 0 .. NR_READERS - 1) {
			PASSED(state[i], e)
		}
		freed[k - 1] = true
	}
}

init {
	byte i;

	atomic {
		for (i : 0 .. NR_READERS - 1) {
			run reader(i);
			run reader_drain(i)
		}
		run writer();
		run writer_drain()
	}
}
