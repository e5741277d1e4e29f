/*
 * Hosted test of core/lib/percpu_rwlock.h: single-CPU semantics and layout,
 * readers sharing the lock on their own slots, writers excluding everyone
 * under eight threads, writer preference (step by step and under a relay
 * of readers), trylock across CPUs, and the bounded-wait reports.
 *
 * Runs on the host under pthreads; each thread registers a distinct CPU id
 * with shim_set_cpu() (the main thread is CPU 0, workers 1..N).
 *
 * Mutants these cases were run against, and catch: a reader that skips
 * the check of writer, and a writer that does not wait for the slots
 * (writer_exclusive sees a reader beside a writer, by its checks or by
 * percpu_rwlock_assert_held_read(); writer_waiting_blocks_readers sees the
 * reader get in first; writer_not_starved sees the value change under a
 * reader); a relaxed instead of a release subtract in percpu_read_unlock()
 * (TSan reports writer_exclusive's words).
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/percpu_rwlock.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define NR_WORKERS         8
#define MIX_ITERS          3000		/* per worker, writer_exclusive */
#define STREAM_READERS     3		/* writer_not_starved */
#define STREAM_ITERS       300		/* per reader */
#define STREAM_PATIENCE_NS 2000000ull	/* a reader waits for a successor */
#define STREAM_WRITER_GAP  20		/* read sections between writes */
#define STREAM_WORST_NS    2000000000ull	/* bound on one write lock */
#define SETTLE_NS          20000000ull	/* let a blocked thread get stuck */

static void test_sleep_ns(uint64_t ns)
{
	uint64_t end = time_now_ns() + ns;

	while (time_now_ns() < end)
		shim_pause();
}

static uint32_t slot_of(struct percpu_rwlock *l, unsigned int cpu)
{
	return atomic_load(&l->slots[cpu].readers);
}

/* True if no slot counts a reader, no writer is flagged or recorded. */
static bool lock_is_idle(struct percpu_rwlock *l)
{
	unsigned int i;

	for (i = 0; i < PERCPU_RWLOCK_SLOTS; i++) {
		if (slot_of(l, i))
			return false;
	}
	return !atomic_load(&l->writer) && !atomic_load(&l->owner) &&
	       !spin_is_locked(&l->wait_lock);
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock static_lock = PERCPU_RWLOCK_INIT;

static void take_read_on_bad_cpu(void *arg)
{
	struct percpu_rwlock *l = arg;

	shim_set_cpu(PERCPU_RWLOCK_SLOTS);
	percpu_read_lock(l);
}

static void single_thread(void)
{
	unsigned int self = smp_processor_id();
	struct percpu_rwlock l;
	unsigned int c1, c2;
	unsigned int i;

	/* Layout: the writer's line, then one line per slot. */
	CHECK_EQ(sizeof(struct percpu_rwlock),
		 64 * (PERCPU_RWLOCK_SLOTS + 1));
	CHECK_EQ(_Alignof(struct percpu_rwlock), 64);
	for (i = 0; i < PERCPU_RWLOCK_SLOTS; i++)
		CHECK_EQ(offsetof(struct percpu_rwlock, slots[i]),
			 64 * (i + 1));
	CHECK(lock_is_idle(&static_lock));

	percpu_rwlock_init(&l);
	CHECK(lock_is_idle(&l));

	/* Read side: counted on this CPU's slot only; nests without writers. */
	c1 = percpu_read_lock(&l);
	CHECK_EQ(c1, self);
	percpu_rwlock_assert_held_read(&l);
	CHECK_EQ(slot_of(&l, self), 1);
	CHECK(percpu_read_trylock(&l, &c2));
	CHECK_EQ(c2, self);
	CHECK_EQ(slot_of(&l, self), 2);
	CHECK(!percpu_write_trylock(&l));
	/* The failed try left no trace. */
	CHECK(!atomic_load(&l.writer));
	CHECK_EQ(l.owner, 0);
	CHECK(!spin_is_locked(&l.wait_lock));
	percpu_read_unlock(&l, c2);
	percpu_rwlock_assert_held_read(&l);
	percpu_read_unlock(&l, c1);
	CHECK(lock_is_idle(&l));

	/* Write side: excludes readers and writers, records the owner. */
	percpu_write_lock(&l);
	percpu_rwlock_assert_held_write(&l);
	CHECK_EQ(l.writer, self + 1);
	CHECK_EQ(l.owner, self + 1);
	CHECK(!percpu_read_trylock(&l, &c2));
	CHECK(!percpu_write_trylock(&l));
	CHECK_EQ(slot_of(&l, self), 0);	/* failed tries left no trace */
	CHECK_EQ(l.owner, self + 1);
	percpu_write_unlock(&l);
	CHECK(lock_is_idle(&l));

	CHECK(percpu_write_trylock(&l));
	percpu_rwlock_assert_held_write(&l);
	CHECK_EQ(l.owner, self + 1);
	percpu_write_unlock(&l);
	CHECK(percpu_read_trylock(&l, &c1));
	percpu_read_unlock(&l, c1);

	/*
	 * A reader that moves CPU inside its section releases the slot it
	 * raised, through the cookie.
	 */
	shim_set_cpu(5);
	c1 = percpu_read_lock(&l);
	CHECK_EQ(c1, 5);
	shim_set_cpu(7);
	percpu_read_unlock(&l, c1);
	shim_set_cpu(self);
	CHECK(lock_is_idle(&l));

	/* A CPU id without a slot cannot take the lock. */
	CHECK(expect_panic(take_read_on_bad_cpu, &l,
			   "cpu >= PERCPU_RWLOCK_SLOTS"));
	CHECK(lock_is_idle(&l));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock shared_lock = PERCPU_RWLOCK_INIT;
static uint32_t shared_inside;	/* atomic: readers inside */
static uint32_t shared_go;	/* atomic: CPU 0 has looked */

static void shared_fn(struct worker *w)
{
	unsigned int cookie = percpu_read_lock(&shared_lock);

	percpu_rwlock_assert_held_read(&shared_lock);
	atomic_add_return(&shared_inside, 1);
	/*
	 * Rendezvous inside the read section, bounded so that the case
	 * fails instead of hanging if readers excluded each other.
	 */
	w->result = wait_u32(&shared_inside, 2);
	wait_u32(&shared_go, 1);
	percpu_read_unlock(&shared_lock, cookie);
}

/* Two readers hold the lock at the same time, each on its own slot. */
static void readers_concurrent(void)
{
	struct worker w[2];
	unsigned int cookie;

	worker_start(&w[0], 1, shared_fn, NULL);
	worker_start(&w[1], 2, shared_fn, NULL);
	CHECK(wait_u32(&shared_inside, 2));
	CHECK_EQ(slot_of(&shared_lock, 1), 1);
	CHECK_EQ(slot_of(&shared_lock, 2), 1);
	CHECK_EQ(slot_of(&shared_lock, 0), 0);
	/* A third reader joins them; a writer cannot. */
	CHECK(!percpu_write_trylock(&shared_lock));
	CHECK(percpu_read_trylock(&shared_lock, &cookie));
	CHECK_EQ(slot_of(&shared_lock, 0), 1);
	percpu_read_unlock(&shared_lock, cookie);
	atomic_store(&shared_go, 1);
	worker_join(&w[0]);
	worker_join(&w[1]);
	CHECK_EQ(w[0].result, 1);
	CHECK_EQ(w[1].result, 1);
	CHECK(lock_is_idle(&shared_lock));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock mix_lock = PERCPU_RWLOCK_INIT;
static uint32_t mix_readers;	/* atomic: readers inside */
static uint32_t mix_writers;	/* atomic: writers inside */
/* mix_lock: */
static uint64_t mix_words[8];	/* always all equal */
static unsigned long mix_writes;

/*
 * Spins a little inside a section, so that a reader and a writer let in
 * together (a broken lock) overlap long enough to see each other.
 */
static void mix_linger(void)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		cpu_relax();
}

static bool mix_words_equal(void)
{
	bool ok = true;
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(mix_words); i++)
		ok &= mix_words[i] == mix_words[0];
	return ok;
}

static bool mix_read_section(void)
{
	bool ok = true;

	percpu_rwlock_assert_held_read(&mix_lock);
	atomic_add_return(&mix_readers, 1);
	ok &= atomic_load(&mix_writers) == 0;
	ok &= mix_words_equal();
	mix_linger();
	ok &= mix_words_equal();
	ok &= atomic_load(&mix_writers) == 0;
	atomic_sub_return(&mix_readers, 1);
	return ok;
}

static bool mix_write_section(uint64_t stamp)
{
	bool ok;
	unsigned int i;

	percpu_rwlock_assert_held_write(&mix_lock);
	ok = atomic_add_return(&mix_writers, 1) == 1;
	ok &= atomic_load(&mix_readers) == 0;
	for (i = 0; i < ARRAY_SIZE(mix_words); i++) {
		mix_words[i] = stamp;
		if (i == ARRAY_SIZE(mix_words) / 2)
			mix_linger();	/* half written */
	}
	mix_writes++;
	ok &= atomic_load(&mix_readers) == 0;
	atomic_sub_return(&mix_writers, 1);
	return ok;
}

/* result: failed checks in the low half, writes done in the high half. */
static void mix_fn(struct worker *w)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * w->cpu;
	unsigned long bad = 0, writes = 0;
	unsigned int cookie;
	int i;

	for (i = 0; i < MIX_ITERS; i++) {
		uint64_t r = rand_next(&seed);

		switch (r % 8) {
		case 0:
			percpu_write_lock(&mix_lock);
			bad += !mix_write_section(r);
			percpu_write_unlock(&mix_lock);
			writes++;
			break;
		case 1:
			if (!percpu_write_trylock(&mix_lock))
				break;
			bad += !mix_write_section(r);
			percpu_write_unlock(&mix_lock);
			writes++;
			break;
		case 2:
			if (!percpu_read_trylock(&mix_lock, &cookie))
				break;
			bad += !mix_read_section();
			percpu_read_unlock(&mix_lock, cookie);
			break;
		default:
			cookie = percpu_read_lock(&mix_lock);
			bad += !mix_read_section();
			percpu_read_unlock(&mix_lock, cookie);
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
	CHECK(lock_is_idle(&mix_lock));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock pref_lock = PERCPU_RWLOCK_INIT;
static char pref_order[2];	/* pref_lock, for write */
static uint32_t pref_next;	/* atomic: entries so far */
static uint32_t pref_reader_started;	/* atomic */

static void pref_writer_fn(struct worker *w)
{
	percpu_write_lock(&pref_lock);
	pref_order[atomic_fetch_add(&pref_next, 1)] = 'W';
	percpu_write_unlock(&pref_lock);
}

/*
 * Readers write pref_order too, which is safe only because this reader is
 * alone among readers here; a reader that got in beside the writer would
 * also be a data race for TSan to report.
 */
static void pref_reader_fn(struct worker *w)
{
	unsigned int cookie;

	atomic_store(&pref_reader_started, 1);
	cookie = percpu_read_lock(&pref_lock);
	pref_order[atomic_fetch_add(&pref_next, 1)] = 'R';
	percpu_read_unlock(&pref_lock, cookie);
}

/*
 * Writer preference, step by step. CPU 0 reads; a writer arrives and
 * waits; from then on no new reader gets in, neither by trylock nor by
 * percpu_read_lock(), until the writer has been and gone.
 */
static void writer_waiting_blocks_readers(void)
{
	struct worker writer, reader;
	unsigned int cookie, c2;

	cookie = percpu_read_lock(&pref_lock);
	worker_start(&writer, 1, pref_writer_fn, NULL);
	CHECK(wait_u32(&pref_lock.writer, 2));	/* claimed by CPU 1 */

	/* The lock is only read-held, yet a new reader is turned away. */
	CHECK(!percpu_read_trylock(&pref_lock, &c2));
	CHECK(!percpu_write_trylock(&pref_lock));
	CHECK_EQ(slot_of(&pref_lock, 0), 1);

	/*
	 * A blocking reader on another CPU backs out and waits: after a
	 * while its slot is down again and it has not got in.
	 */
	worker_start(&reader, 2, pref_reader_fn, NULL);
	CHECK(wait_u32(&pref_reader_started, 1));
	test_sleep_ns(SETTLE_NS);
	CHECK(wait_u32(&pref_lock.slots[2].readers, 0));
	CHECK_EQ(atomic_load(&pref_next), 0);
	CHECK_EQ(pref_lock.owner, 0);	/* the writer still waits for us */

	percpu_read_unlock(&pref_lock, cookie);
	worker_join(&writer);
	worker_join(&reader);
	CHECK_EQ(pref_next, 2);
	CHECK_EQ(pref_order[0], 'W');
	CHECK_EQ(pref_order[1], 'R');
	CHECK(lock_is_idle(&pref_lock));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock stream_lock = PERCPU_RWLOCK_INIT;
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
		unsigned int cookie;
		uint64_t v, deadline;
		uint32_t me;

		cookie = percpu_read_lock(&stream_lock);
		v = stream_value;
		me = atomic_add_return(&stream_entries, 1);
		/*
		 * Hand over hand: leave only once a later reader is inside,
		 * or after STREAM_PATIENCE_NS. A reader-preferring lock would
		 * then never be free while the readers cycle; this one turns
		 * the successor away while a writer waits, the patience runs
		 * out, and the writer gets in.
		 */
		deadline = time_now_ns() + STREAM_PATIENCE_NS;
		while (atomic_load(&stream_entries) == me &&
		       time_now_ns() < deadline)
			shim_pause();
		bad += stream_value != v;
		percpu_read_unlock(&stream_lock, cookie);
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

		percpu_write_lock(&stream_lock);
		if (stream_running()) {
			w->result++;
			stream_worst_wait_ns = MAX(stream_worst_wait_ns,
						   time_now_ns() - start);
		}
		stream_value++;
		percpu_write_unlock(&stream_lock);
		/* Let the relay run on before the next attempt. */
		while (atomic_load(&stream_entries) - seen <
		       STREAM_WRITER_GAP && stream_running())
			shim_pause();
	}
}

/*
 * Writer preference under load: readers on three CPUs relay the lock hand
 * over hand, so that some reader is always inside unless a waiting writer
 * turns new readers away; the writer still gets in, repeatedly and
 * promptly, while they run, and never while one of them is inside.
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
	fprintf(stderr, "  writer_not_starved: %lu writes during %u reads, longest percpu_write_lock() %llu us\n",
		writer.result, STREAM_READERS * STREAM_ITERS,
		(unsigned long long)stream_worst_wait_ns / 1000);
	CHECK(writer.result > 0);
	CHECK(stream_worst_wait_ns < STREAM_WORST_NS);
	CHECK(lock_is_idle(&stream_lock));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock try_lock = PERCPU_RWLOCK_INIT;
static uint32_t try_step;

static void try_holder_fn(struct worker *w)
{
	unsigned int cookie;

	/* Steps 1-2: hold for write; 3-4: hold for read. */
	percpu_write_lock(&try_lock);
	atomic_store(&try_step, 1);
	wait_u32(&try_step, 2);
	percpu_write_unlock(&try_lock);
	cookie = percpu_read_lock(&try_lock);
	atomic_store(&try_step, 3);
	wait_u32(&try_step, 4);
	percpu_read_unlock(&try_lock, cookie);
}

/* Trylock against another CPU's holds, both kinds. */
static void trylock_other_cpu(void)
{
	struct worker w;
	unsigned int cookie;

	worker_start(&w, 1, try_holder_fn, NULL);

	CHECK(wait_u32(&try_step, 1));
	CHECK_EQ(atomic_load(&try_lock.owner), 2);
	CHECK(!percpu_read_trylock(&try_lock, &cookie));
	CHECK(!percpu_write_trylock(&try_lock));
	CHECK_EQ(atomic_load(&try_lock.owner), 2);
	CHECK_EQ(slot_of(&try_lock, 0), 0);
	atomic_store(&try_step, 2);

	CHECK(wait_u32(&try_step, 3));
	CHECK(!percpu_write_trylock(&try_lock));
	CHECK(percpu_read_trylock(&try_lock, &cookie));
	CHECK_EQ(slot_of(&try_lock, 0), 1);
	CHECK_EQ(slot_of(&try_lock, 1), 1);
	percpu_read_unlock(&try_lock, cookie);
	atomic_store(&try_step, 4);

	worker_join(&w);
	CHECK(percpu_write_trylock(&try_lock));
	percpu_write_unlock(&try_lock);
	CHECK(lock_is_idle(&try_lock));
}

/* ---------------------------------------------------------------------- */

static struct percpu_rwlock stuck_lock = PERCPU_RWLOCK_INIT;
static uint32_t stuck_step;	/* atomic */

/* Holds the lock for read on CPU 3 until told to leave. */
static void stuck_holder_fn(struct worker *w)
{
	unsigned int cookie = percpu_read_lock(&stuck_lock);

	atomic_store(&stuck_step, 1);
	wait_u32(&stuck_step, 2);
	percpu_read_unlock(&stuck_lock, cookie);
}

static void stuck_writer_fn(struct worker *w)
{
	percpu_write_lock(&stuck_lock);
	percpu_write_unlock(&stuck_lock);
}

static void stuck_reader_fn(struct worker *w)
{
	unsigned int cookie = percpu_read_lock(&stuck_lock);

	percpu_read_unlock(&stuck_lock, cookie);
}

/* A second writer, queued behind the one that claimed the lock. */
static void stuck_writer2_fn(struct worker *w)
{
	percpu_write_lock(&stuck_lock);
	percpu_rwlock_assert_held_write(&stuck_lock);
	percpu_write_unlock(&stuck_lock);
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

/* stderr, where the shim's console goes, redirected to a file. */
struct capture {
	FILE *file;
	int saved_fd;
};

static bool capture_begin(struct capture *c)
{
	fflush(stderr);
	c->file = tmpfile();
	c->saved_fd = dup(STDERR_FILENO);
	if (!c->file || c->saved_fd < 0 ||
	    dup2(fileno(c->file), STDERR_FILENO) < 0) {
		perror("capture_begin");
		return false;
	}
	return true;
}

/* Restores stderr and returns what was written meanwhile (static). */
static const char *capture_end(struct capture *c)
{
	static char text[4096];
	size_t n;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	rewind(c->file);
	n = fread(text, 1, sizeof(text) - 1, c->file);
	text[n] = '\0';
	fclose(c->file);
	fputs(text, stderr);	/* the reports stay visible in the log */
	return text;
}

/*
 * A writer stuck behind a reader that never leaves reports once, naming
 * the lock and the slot still held, and gets the lock when the reader
 * finally goes; a reader and a second writer stuck behind that writer
 * report once each, naming it.
 */
static void stuck_report(void)
{
	unsigned long saved = lock_stuck_loops;
	unsigned long before = atomic_load(&lock_stuck_reports);
	struct worker holder, writer, reader, writer2;
	struct capture cap;
	char expect[192];
	const char *text;

	if (!capture_begin(&cap)) {
		CHECK(0);
		return;
	}
	WRITE_ONCE(lock_stuck_loops, 1000);

	worker_start(&holder, 3, stuck_holder_fn, NULL);
	CHECK(wait_u32(&stuck_step, 1));
	worker_start(&writer, 4, stuck_writer_fn, NULL);
	CHECK_EQ(wait_report(before), before + 1);
	CHECK_EQ(atomic_load(&stuck_lock.owner), 0);	/* still waiting */

	worker_start(&reader, 5, stuck_reader_fn, NULL);
	CHECK_EQ(wait_report(before + 1), before + 2);
	worker_start(&writer2, 6, stuck_writer2_fn, NULL);
	CHECK_EQ(wait_report(before + 2), before + 3);

	atomic_store(&stuck_step, 2);
	worker_join(&holder);
	worker_join(&writer);
	worker_join(&reader);
	worker_join(&writer2);
	WRITE_ONCE(lock_stuck_loops, saved);
	text = capture_end(&cap);

	snprintf(expect, sizeof(expect),
		 "lock stuck: percpu_rwlock %p: writer on CPU 4 spun 1000 times; slot 3 still holds 1 readers;",
		 (void *)&stuck_lock);
	CHECK(strstr(text, expect) != NULL);
	snprintf(expect, sizeof(expect),
		 "lock stuck: percpu_rwlock %p: reader on CPU 5 spun 1000 times; writer on CPU 4 waits for readers;",
		 (void *)&stuck_lock);
	CHECK(strstr(text, expect) != NULL);
	snprintf(expect, sizeof(expect),
		 "lock stuck: percpu_rwlock %p: writer on CPU 6 spun 1000 times; writer on CPU 4 waits for readers;",
		 (void *)&stuck_lock);
	CHECK(strstr(text, expect) != NULL);
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 3);
	CHECK(lock_is_idle(&stuck_lock));
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
