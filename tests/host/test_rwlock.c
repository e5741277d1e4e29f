/*
 * Hosted test of core/lib/rwlock.h: single-CPU semantics, readers sharing the
 * lock, writers excluding everyone under eight threads, writer preference
 * (deterministic and under a stream of readers), trylock across CPUs, and
 * the bounded-wait report.
 *
 * Runs on the host under pthreads; each thread registers a distinct CPU id
 * with shim_set_cpu() (the main thread is CPU 0, workers 1..N).
 */
#include <pthread.h>
#include <time.h>

#include "core/lib/rwlock.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define NR_WORKERS         8
#define MIX_ITERS          3000		/* per worker, writer_exclusive */
#define STREAM_READERS     3		/* writer_not_starved */
#define STREAM_ITERS       300		/* per reader */
#define STREAM_PATIENCE_NS 2000000ull	/* a reader waits for a successor */
#define STREAM_WRITER_GAP  20		/* read sections between writes */
#define STREAM_WORST_NS    2000000000ull	/* bound on one write_lock() */

static unsigned int readers_of(rwlock_t *l)
{
	return atomic_load(&l->cnts) >> RWLOCK_READER_SHIFT;
}

/* ---------------------------------------------------------------------- */

static rwlock_t static_lock = RWLOCK_INIT;

static void single_thread(void)
{
	unsigned int self = smp_processor_id() + 1;
	unsigned long flags;
	rwlock_t l;

	CHECK_EQ(static_lock.cnts, 0);
	CHECK_EQ(static_lock.owner, 0);
	CHECK(!spin_is_locked(&static_lock.wait_lock));

	rwlock_init(&l);
	CHECK_EQ(l.cnts, 0);

	/* Read side: shared with itself while no writer waits. */
	read_lock(&l);
	rwlock_assert_held_read(&l);
	CHECK_EQ(readers_of(&l), 1);
	CHECK(read_trylock(&l));
	CHECK_EQ(readers_of(&l), 2);
	CHECK(!write_trylock(&l));
	CHECK_EQ(l.owner, 0);
	read_unlock(&l);
	rwlock_assert_held_read(&l);
	read_unlock(&l);
	CHECK_EQ(l.cnts, 0);

	/* Write side: excludes readers and writers, records the owner. */
	write_lock(&l);
	rwlock_assert_held_write(&l);
	CHECK_EQ(l.cnts, RWLOCK_LOCKED);
	CHECK_EQ(l.owner, self);
	CHECK(!read_trylock(&l));
	CHECK(!write_trylock(&l));
	CHECK_EQ(l.cnts, RWLOCK_LOCKED);	/* failed tries left no trace */
	write_unlock(&l);
	CHECK_EQ(l.cnts, 0);
	CHECK_EQ(l.owner, 0);

	CHECK(write_trylock(&l));
	rwlock_assert_held_write(&l);
	CHECK_EQ(l.owner, self);
	write_unlock(&l);
	CHECK(read_trylock(&l));
	read_unlock(&l);

	flags = read_lock_irqsave(&l);
	rwlock_assert_held_read(&l);
	read_unlock_irqrestore(&l, flags);
	flags = write_lock_irqsave(&l);
	rwlock_assert_held_write(&l);
	write_unlock_irqrestore(&l, flags);

	/* No contention: the internal queue was never used. */
	CHECK_EQ(l.cnts, 0);
	CHECK_EQ(l.owner, 0);
	CHECK_EQ(l.wait_lock.tail, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t shared_lock = RWLOCK_INIT;
static uint32_t shared_inside;	/* atomic: readers inside */
static uint32_t shared_go;	/* atomic: CPU 0 has looked */

static void shared_fn(struct worker *w)
{
	read_lock(&shared_lock);
	rwlock_assert_held_read(&shared_lock);
	atomic_add_return(&shared_inside, 1);
	/*
	 * Rendezvous inside the read section, bounded so that the case
	 * fails instead of hanging if readers excluded each other.
	 */
	w->result = wait_u32(&shared_inside, 2);
	wait_u32(&shared_go, 1);
	read_unlock(&shared_lock);
}

/* Two readers hold the lock at the same time. */
static void readers_concurrent(void)
{
	struct worker w[2];

	worker_start(&w[0], 1, shared_fn, NULL);
	worker_start(&w[1], 2, shared_fn, NULL);
	CHECK(wait_u32(&shared_inside, 2));
	CHECK_EQ(readers_of(&shared_lock), 2);
	/* A third reader joins them; a writer cannot. */
	CHECK(!write_trylock(&shared_lock));
	CHECK(read_trylock(&shared_lock));
	CHECK_EQ(readers_of(&shared_lock), 3);
	read_unlock(&shared_lock);
	atomic_store(&shared_go, 1);
	worker_join(&w[0]);
	worker_join(&w[1]);
	CHECK_EQ(w[0].result, 1);
	CHECK_EQ(w[1].result, 1);
	CHECK_EQ(shared_lock.cnts, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t mix_lock = RWLOCK_INIT;
static uint32_t mix_readers;	/* atomic: readers inside */
static uint32_t mix_writers;	/* atomic: writers inside */
/* mix_lock: */
static uint64_t mix_words[8];	/* always all equal */
static unsigned long mix_writes;

static bool mix_read_section(void)
{
	bool ok = true;
	unsigned int i;

	rwlock_assert_held_read(&mix_lock);
	atomic_add_return(&mix_readers, 1);
	ok &= atomic_load(&mix_writers) == 0;
	for (i = 1; i < ARRAY_SIZE(mix_words); i++)
		ok &= mix_words[i] == mix_words[0];
	atomic_sub_return(&mix_readers, 1);
	return ok;
}

static bool mix_write_section(uint64_t stamp)
{
	bool ok;
	unsigned int i;

	rwlock_assert_held_write(&mix_lock);
	ok = atomic_add_return(&mix_writers, 1) == 1;
	ok &= atomic_load(&mix_readers) == 0;
	for (i = 0; i < ARRAY_SIZE(mix_words); i++) {
		mix_words[i] = stamp;
		barrier();	/* widen the window a reader would hit */
	}
	mix_writes++;
	atomic_sub_return(&mix_writers, 1);
	return ok;
}

/* result: failed checks in the low half, writes done in the high half. */
static void mix_fn(struct worker *w)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * w->cpu;
	unsigned long bad = 0, writes = 0;
	unsigned long flags;
	int i;

	for (i = 0; i < MIX_ITERS; i++) {
		uint64_t r = rand_next(&seed);

		switch (r % 8) {
		case 0:
			write_lock(&mix_lock);
			bad += !mix_write_section(r);
			write_unlock(&mix_lock);
			writes++;
			break;
		case 1:
			if (!write_trylock(&mix_lock))
				break;
			bad += !mix_write_section(r);
			write_unlock(&mix_lock);
			writes++;
			break;
		case 2:
			if (!read_trylock(&mix_lock))
				break;
			bad += !mix_read_section();
			read_unlock(&mix_lock);
			break;
		case 3:
			flags = read_lock_irqsave(&mix_lock);
			bad += !mix_read_section();
			read_unlock_irqrestore(&mix_lock, flags);
			break;
		default:
			read_lock(&mix_lock);
			bad += !mix_read_section();
			read_unlock(&mix_lock);
			break;
		}
	}
	w->result = bad | writes << 32;
}

/*
 * Eight CPUs mixing reads and writes at random: a writer is always alone,
 * a reader never sees a writer or a half-written structure, and no write
 * is lost.
 */
static void writer_exclusive(void)
{
	struct worker w[NR_WORKERS];
	unsigned long writes = 0;
	unsigned int i;

	for (i = 0; i < NR_WORKERS; i++)
		worker_start(&w[i], i + 1, mix_fn, NULL);
	for (i = 0; i < NR_WORKERS; i++) {
		worker_join(&w[i]);
		CHECK_EQ(w[i].result & 0xffffffff, 0);
		writes += w[i].result >> 32;
	}
	CHECK(writes > 0);
	CHECK_EQ(mix_writes, writes);
	CHECK_EQ(mix_lock.cnts, 0);
	CHECK_EQ(mix_lock.owner, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t pref_lock = RWLOCK_INIT;
static char pref_order[2];	/* pref_lock */
static unsigned int pref_next;	/* pref_lock */

static void pref_writer_fn(struct worker *w)
{
	write_lock(&pref_lock);
	pref_order[pref_next++] = 'W';
	write_unlock(&pref_lock);
}

static void pref_reader_fn(struct worker *w)
{
	read_lock(&pref_lock);
	pref_order[pref_next++] = 'R';
	read_unlock(&pref_lock);
}

/*
 * Writer preference, step by step. CPU 0 reads; a writer arrives and
 * waits; from then on no new reader gets in, neither by trylock nor by
 * read_lock, until the writer has been and gone.
 */
static void writer_waiting_blocks_readers(void)
{
	struct worker writer, reader;

	read_lock(&pref_lock);
	worker_start(&writer, 1, pref_writer_fn, NULL);
	CHECK(wait_mask_u32(&pref_lock.cnts, RWLOCK_WAITING, RWLOCK_WAITING));

	/* The lock is only read-held, yet a new reader is turned away. */
	CHECK(!read_trylock(&pref_lock));
	CHECK(!write_trylock(&pref_lock));

	/* A blocking reader queues behind the writer: ticket 1 after its 0. */
	worker_start(&reader, 2, pref_reader_fn, NULL);
	CHECK(wait_u32(&pref_lock.wait_lock.tail, 2));
	CHECK_EQ(readers_of(&pref_lock), 1);

	read_unlock(&pref_lock);
	worker_join(&writer);
	worker_join(&reader);
	CHECK_EQ(pref_next, 2);
	CHECK_EQ(pref_order[0], 'W');
	CHECK_EQ(pref_order[1], 'R');
	CHECK_EQ(pref_lock.cnts, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t stream_lock = RWLOCK_INIT;
static uint32_t stream_started;		/* atomic: workers running */
static uint32_t stream_readers_done;	/* atomic */
static uint32_t stream_entries;		/* atomic: read sections entered */
static uint64_t stream_value;		/* stream_lock */

static bool stream_running(void)
{
	return atomic_load(&stream_readers_done) < STREAM_READERS;
}

static void stream_reader_fn(struct worker *w)
{
	unsigned long bad = 0;
	int i;

	atomic_add_return(&stream_started, 1);
	wait_u32(&stream_started, STREAM_READERS + 1);
	for (i = 0; i < STREAM_ITERS; i++) {
		uint64_t v, deadline;
		uint32_t me;

		read_lock(&stream_lock);
		v = stream_value;
		me = atomic_add_return(&stream_entries, 1);
		/*
		 * Hand over hand: leave only once a later reader is inside,
		 * or after STREAM_PATIENCE_NS. A reader-preferring lock would
		 * then never be free while the readers cycle; this one stops
		 * the successor behind a waiting writer, the patience runs
		 * out, and the writer gets in.
		 */
		deadline = time_now_ns() + STREAM_PATIENCE_NS;
		while (atomic_load(&stream_entries) == me &&
		       time_now_ns() < deadline)
			shim_pause();
		bad += stream_value != v;
		read_unlock(&stream_lock);
	}
	atomic_add_return(&stream_readers_done, 1);
	w->result = bad;
}

static uint64_t stream_worst_wait_ns;	/* written by the writer */

/* result: acquisitions made while the readers were still cycling. */
static void stream_writer_fn(struct worker *w)
{
	atomic_add_return(&stream_started, 1);
	wait_u32(&stream_started, STREAM_READERS + 1);
	while (stream_running()) {
		uint32_t seen = atomic_load(&stream_entries);
		uint64_t start = time_now_ns();

		write_lock(&stream_lock);
		if (stream_running()) {
			w->result++;
			stream_worst_wait_ns = MAX(stream_worst_wait_ns,
						   time_now_ns() - start);
		}
		stream_value++;
		write_unlock(&stream_lock);
		/* Let the relay run on before the next attempt. */
		while (atomic_load(&stream_entries) - seen < STREAM_WRITER_GAP &&
		       stream_running())
			shim_pause();
	}
}

/*
 * Writer preference under load: readers relay the lock hand over hand, so
 * that some reader is always inside unless a waiting writer holds new
 * readers off; the writer still gets in, repeatedly and promptly, while
 * they run.
 */
static void writer_not_starved(void)
{
	struct worker r[STREAM_READERS], writer;
	unsigned int i;

	worker_start(&writer, 1, stream_writer_fn, NULL);
	for (i = 0; i < STREAM_READERS; i++)
		worker_start(&r[i], i + 2, stream_reader_fn, NULL);
	for (i = 0; i < STREAM_READERS; i++) {
		worker_join(&r[i]);
		CHECK_EQ(r[i].result, 0);
	}
	worker_join(&writer);
	fprintf(stderr, "  writer_not_starved: %lu writes during %u reads, longest write_lock() %llu us\n",
		writer.result, STREAM_READERS * STREAM_ITERS,
		(unsigned long long)stream_worst_wait_ns / 1000);
	CHECK(writer.result > 0);
	CHECK(stream_worst_wait_ns < STREAM_WORST_NS);
	CHECK_EQ(stream_lock.cnts, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t try_lock = RWLOCK_INIT;
static uint32_t try_step;

static void try_holder_fn(struct worker *w)
{
	/* Steps 1-2: hold for write; 3-4: hold for read. */
	write_lock(&try_lock);
	atomic_store(&try_step, 1);
	wait_u32(&try_step, 2);
	write_unlock(&try_lock);
	read_lock(&try_lock);
	atomic_store(&try_step, 3);
	wait_u32(&try_step, 4);
	read_unlock(&try_lock);
}

/* Trylock against another CPU's holds, both kinds. */
static void trylock_other_cpu(void)
{
	struct worker w;

	worker_start(&w, 1, try_holder_fn, NULL);

	CHECK(wait_u32(&try_step, 1));
	CHECK_EQ(atomic_load(&try_lock.owner), 2);
	CHECK(!read_trylock(&try_lock));
	CHECK(!write_trylock(&try_lock));
	CHECK_EQ(atomic_load(&try_lock.owner), 2);
	atomic_store(&try_step, 2);

	CHECK(wait_u32(&try_step, 3));
	CHECK(!write_trylock(&try_lock));
	CHECK(read_trylock(&try_lock));
	CHECK_EQ(readers_of(&try_lock), 2);
	read_unlock(&try_lock);
	atomic_store(&try_step, 4);

	worker_join(&w);
	CHECK(write_trylock(&try_lock));
	write_unlock(&try_lock);
	CHECK_EQ(try_lock.cnts, 0);
}

/* ---------------------------------------------------------------------- */

static rwlock_t stuck_lock = RWLOCK_INIT;

static void stuck_reader_fn(struct worker *w)
{
	read_lock(&stuck_lock);
	read_unlock(&stuck_lock);
}

static void stuck_writer_fn(struct worker *w)
{
	write_lock(&stuck_lock);
	write_unlock(&stuck_lock);
}

/* Waits up to TEST_WAIT_NS for the report count to leave before. */
static unsigned long wait_report(unsigned long before)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while (atomic_load(&lock_stuck_reports) == before &&
	       time_now_ns() < deadline)
		shim_pause();
	return atomic_load(&lock_stuck_reports);
}

/*
 * A reader stuck behind a writer, and a writer stuck behind a reader,
 * each report the lock once and get it when the holder lets go.
 */
static void stuck_report(void)
{
	unsigned long saved = lock_stuck_loops;
	unsigned long before = atomic_load(&lock_stuck_reports);
	struct worker w;

	WRITE_ONCE(lock_stuck_loops, 1000);

	write_lock(&stuck_lock);
	worker_start(&w, 1, stuck_reader_fn, NULL);
	CHECK_EQ(wait_report(before), before + 1);
	write_unlock(&stuck_lock);
	worker_join(&w);

	read_lock(&stuck_lock);
	worker_start(&w, 2, stuck_writer_fn, NULL);
	CHECK_EQ(wait_report(before + 1), before + 2);
	read_unlock(&stuck_lock);
	worker_join(&w);

	CHECK_EQ(stuck_lock.cnts, 0);
	WRITE_ONCE(lock_stuck_loops, saved);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(single_thread);
	RUN(readers_concurrent);
	RUN(writer_exclusive);
	RUN(writer_waiting_blocks_readers);
	RUN(writer_not_starved);
	RUN(trylock_other_cpu);
	RUN(stuck_report);
	return check_done();
}
