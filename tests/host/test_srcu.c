/*
 * Hosted test of the SRCU-like epoch (core/srcu.c).
 *
 * Scenario: one domain per case; reader slots on threads that stand for
 * CPUs (shim_set_cpu()). Single-thread nesting and registration; a writer
 * that must wait for a reader that entered before its publish (nested,
 * held open by the test) and must not wait for one that entered after its
 * epoch bump; the once-only stuck report; and a stress of eight readers
 * dereferencing a published object while a writer replaces and frees it.
 * The objects come from malloc(), so that ASan sees every free, and their
 * magic is poisoned before the free, so that a late reader fails its
 * check under any build (and races the poisoning store under TSan).
 *
 * Every wait for another thread is bounded (TEST_WAIT_NS): a broken
 * srcu_synchronize() fails a case instead of hanging it.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/srcu.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE   MiB(16)

#define STRESS_READERS     8
#define STRESS_READ_ITERS  20000	/* per reader */
#define STRESS_CHURN_ITERS 200		/* register/sections/unregister rounds */
#define STRESS_MIN_WRITES  50

#define OBJ_MAGIC  0x5352435521474f4full
#define OBJ_POISON 0xdeadbeefdeadbeefull
#define OBJ_WORDS  6

static const struct boot_mem_region arena_map[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

static void setup(void)
{
	setup_heap_on(arena_map, ARRAY_SIZE(arena_map));
}

/* ---------------------------------------------------------------------
 * The protected object.
 */

struct obj {
	uint64_t magic;
	uint64_t seq;			/* publish order */
	uint64_t words[OBJ_WORDS];
	uint64_t sum;			/* of seq and words */
};

static struct obj *obj_new(uint64_t seq)
{
	struct obj *o = malloc(sizeof(*o));
	unsigned int i;

	if (!o) {
		perror("malloc");
		exit(2);
	}
	o->seq = seq;
	o->sum = seq;
	for (i = 0; i < OBJ_WORDS; i++) {
		o->words[i] = seq * 0x9e3779b97f4a7c15ull + i;
		o->sum += o->words[i];
	}
	o->magic = OBJ_MAGIC;
	return o;
}

static bool obj_intact(const struct obj *o)
{
	uint64_t sum = o->seq;
	unsigned int i;

	for (i = 0; i < OBJ_WORDS; i++)
		sum += o->words[i];
	return o->magic == OBJ_MAGIC && sum == o->sum;
}

/* Poisons and frees an object no reader can reach any more. */
static void obj_free(struct obj *o)
{
	o->magic = OBJ_POISON;
	o->sum = ~o->sum;
	free(o);
}

/* ---------------------------------------------------------------------
 * Single thread.
 */

static unsigned long depth_of(const struct srcu_reader *r)
{
	return atomic_load(&r->state) & SRCU_NEST_MASK;
}

static void nesting_and_registration(void)
{
	struct srcu_reader r[3] = { 0 };
	struct srcu_struct s;
	unsigned long i;

	setup();
	CHECK_EQ(srcu_init(&s, 2), 0);
	CHECK_EQ(srcu_reader_register(&s, &r[0]), 0);
	CHECK_EQ(srcu_reader_register(&s, &r[1]), 0);
	CHECK_EQ(srcu_reader_register(&s, &r[2]), -ENOSPC);
	CHECK(r[2].domain == NULL);
	CHECK(r[0].domain == &s);
	CHECK_EQ(s.nr_readers, 2);

	/* Each slot is aligned to a cache line of its own. */
	CHECK(IS_ALIGNED((uintptr_t)&r[1], SRCU_CACHELINE));
	CHECK_EQ(sizeof(r[0]), SRCU_CACHELINE);

	/* Nesting: the outermost entry's epoch stays until the last exit. */
	srcu_synchronize(&s);
	srcu_synchronize(&s);
	CHECK_EQ(s.epoch, 2);
	CHECK(!srcu_read_held(&r[0]));
	srcu_read_lock(&r[0]);
	CHECK(srcu_read_held(&r[0]));
	CHECK_EQ(r[0].state >> SRCU_NEST_BITS, 2);
	CHECK_EQ(depth_of(&r[0]), 1);
	for (i = 2; i <= 100; i++) {
		srcu_read_lock(&r[0]);
		CHECK_EQ(depth_of(&r[0]), i);
	}
	CHECK_EQ(r[0].state >> SRCU_NEST_BITS, 2);
	for (i = 100; i > 1; i--) {
		srcu_read_unlock(&r[0]);
		CHECK_EQ(depth_of(&r[0]), i - 1);
		CHECK(srcu_read_held(&r[0]));
	}
	srcu_read_unlock(&r[0]);
	CHECK(!srcu_read_held(&r[0]));
	CHECK_EQ(r[0].state, 0);	/* quiescent slots read 0 */
	CHECK(!srcu_read_held(&r[1]));	/* the other slot was never touched */

	/* Unregistering frees a place; the last one moves into it. */
	srcu_reader_unregister(&s, &r[0]);
	CHECK(r[0].domain == NULL);
	CHECK_EQ(s.nr_readers, 1);
	CHECK(s.readers[0] == &r[1]);
	CHECK_EQ(srcu_reader_register(&s, &r[2]), 0);
	CHECK_EQ(srcu_reader_register(&s, &r[0]), -ENOSPC);
	srcu_reader_unregister(&s, &r[1]);
	srcu_reader_unregister(&s, &r[2]);
	CHECK_EQ(s.nr_readers, 0);
	srcu_destroy(&s);
	CHECK(s.readers == NULL);
}

/* With no reader inside a section, synchronize returns at once, each time. */
static void synchronize_no_readers(void)
{
	struct srcu_reader r[4] = { 0 };
	struct srcu_struct s, empty;
	unsigned int i;

	setup();
	CHECK_EQ(srcu_init(&empty, 0), 0);
	srcu_synchronize(&empty);
	CHECK_EQ(empty.epoch, 1);
	srcu_destroy(&empty);

	CHECK_EQ(srcu_init(&s, ARRAY_SIZE(r)), 0);
	for (i = 0; i < ARRAY_SIZE(r); i++)
		CHECK_EQ(srcu_reader_register(&s, &r[i]), 0);
	/* Sections that ended before the call do not hold it up either. */
	for (i = 0; i < 1000; i++) {
		srcu_read_lock(&r[i % ARRAY_SIZE(r)]);
		srcu_read_unlock(&r[i % ARRAY_SIZE(r)]);
		srcu_synchronize(&s);
	}
	CHECK_EQ(s.epoch, 1000);
	srcu_destroy(&s);
	for (i = 0; i < ARRAY_SIZE(r); i++)
		CHECK(r[i].domain == NULL);
}

/* ---------------------------------------------------------------------
 * Two threads: who waits for whom.
 */

struct pub {
	struct srcu_struct s;
	struct srcu_reader readers[4];
	struct obj *gp;			/* srcu-protected */
	unsigned long step;		/* atomic: handshake, early reader */
	unsigned long late_step;	/* atomic: handshake, late reader */
	unsigned long sync_done;	/* atomic: the writer returned */
	unsigned long reader_ok[4];	/* atomic: reader's checks passed */
};

static struct pub pub;
static const char *const pub_reader_names[] = {
	"early", "late", "holder", "spare",
};

static void pub_setup(void)
{
	unsigned int i;

	setup();
	memset(&pub, 0, sizeof(pub));
	CHECK_EQ(srcu_init(&pub.s, ARRAY_SIZE(pub.readers)), 0);
	for (i = 0; i < ARRAY_SIZE(pub.readers); i++) {
		pub.readers[i].name = pub_reader_names[i];
		CHECK_EQ(srcu_reader_register(&pub.s, &pub.readers[i]), 0);
	}
	pub.gp = obj_new(1);
}

static void pub_teardown(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pub.readers); i++)
		CHECK(!srcu_read_held(&pub.readers[i]));
	srcu_destroy(&pub.s);
	obj_free(pub.gp);
}

/* Publishes object seq 2, waits for the readers of seq 1, frees it. */
static void pub_writer_fn(struct worker *w)
{
	struct obj *old = pub.gp;

	srcu_assign_pointer(pub.gp, obj_new(2));
	srcu_synchronize(&pub.s);
	obj_free(old);
	atomic_store(&pub.sync_done, 1);
}

/*
 * Reader 0: enters (twice nested) before the publish, and leaves step by
 * step as the test lets it: inner section at step 2, outer at step 4.
 */
static void pub_early_reader_fn(struct worker *w)
{
	struct srcu_reader *r = &pub.readers[0];
	const struct obj *o;
	bool ok;

	srcu_read_lock(r);
	o = srcu_dereference(pub.gp);
	srcu_read_lock(r);
	ok = o->seq == 1 && obj_intact(o);
	atomic_store(&pub.step, 1);
	ok &= wait_ul(&pub.step, 2);
	srcu_read_unlock(r);
	ok &= obj_intact(o);
	atomic_store(&pub.step, 3);
	ok &= wait_ul(&pub.step, 4);
	/* Still the old object, still intact: the writer has not freed it. */
	ok &= o->seq == 1 && obj_intact(o);
	srcu_read_unlock(r);
	atomic_store(&pub.reader_ok[0], ok);
}

static void synchronize_waits_for_reader(void)
{
	struct worker reader, writer;

	pub_setup();
	worker_start(&reader, 1, pub_early_reader_fn, NULL);
	CHECK(wait_ul(&pub.step, 1));
	worker_start(&writer, 2, pub_writer_fn, NULL);
	/* The writer has published and bumped the epoch: it is waiting. */
	CHECK(wait_ul(&pub.s.epoch, 1));
	CHECK(stays_not(&pub.sync_done, 1));

	/* Leaving the inner section is not enough. */
	atomic_store(&pub.step, 2);
	CHECK(wait_ul(&pub.step, 3));
	CHECK(stays_not(&pub.sync_done, 1));

	atomic_store(&pub.step, 4);
	CHECK(wait_ul(&pub.sync_done, 1));
	worker_join(&reader);
	worker_join(&writer);
	CHECK_EQ(pub.reader_ok[0], 1);
	CHECK_EQ(pub.gp->seq, 2);
	pub_teardown();
}

/* Reader 1: enters once the writer is waiting; must find object seq 2. */
static void pub_late_reader_fn(struct worker *w)
{
	struct srcu_reader *r = &pub.readers[1];
	const struct obj *o;
	bool ok;

	srcu_read_lock(r);
	o = srcu_dereference(pub.gp);
	ok = o->seq == 2 && obj_intact(o);
	atomic_store(&pub.late_step, 1);
	ok &= wait_ul(&pub.late_step, 2);
	ok &= obj_intact(o);
	srcu_read_unlock(r);
	atomic_store(&pub.reader_ok[1], ok);
}

/*
 * A reader that enters after the writer's epoch bump sees the new object
 * and does not hold the writer up, even while it stays inside.
 */
static void synchronize_ignores_later_reader(void)
{
	struct worker early, late, writer;

	pub_setup();
	worker_start(&early, 1, pub_early_reader_fn, NULL);
	CHECK(wait_ul(&pub.step, 1));
	worker_start(&writer, 2, pub_writer_fn, NULL);
	CHECK(wait_ul(&pub.s.epoch, 1));

	/* Late reader inside, after the bump; the writer still waits. */
	worker_start(&late, 3, pub_late_reader_fn, NULL);
	CHECK(wait_ul(&pub.late_step, 1));
	CHECK(stays_not(&pub.sync_done, 1));

	/* The early reader leaves: the writer returns, the late one stays. */
	atomic_store(&pub.step, 2);
	CHECK(wait_ul(&pub.step, 3));
	atomic_store(&pub.step, 4);
	worker_join(&early);
	CHECK(wait_ul(&pub.sync_done, 1));
	CHECK(srcu_read_held(&pub.readers[1]));
	atomic_store(&pub.late_step, 2);
	worker_join(&late);
	worker_join(&writer);
	CHECK_EQ(pub.reader_ok[0], 1);
	CHECK_EQ(pub.reader_ok[1], 1);
	pub_teardown();
}

/* Reader 2: holds a section until step 1. */
static void pub_holder_fn(struct worker *w)
{
	struct srcu_reader *r = &pub.readers[2];

	srcu_read_lock(r);
	atomic_store(&pub.reader_ok[2], 1);
	wait_ul(&pub.step, 1);
	srcu_read_unlock(r);
}

static unsigned long wait_report(unsigned long before)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while (atomic_load(&lock_stuck_reports) == before &&
	       time_now_ns() < deadline)
		sched_yield();
	return atomic_load(&lock_stuck_reports);
}

/*
 * A writer held up by a long read section reports it once, names the
 * reader, and keeps waiting until the section ends.
 */
static void stuck_report(void)
{
	unsigned long saved = lock_stuck_loops;
	unsigned long before = atomic_load(&lock_stuck_reports);
	struct worker holder, writer;

	pub_setup();
	WRITE_ONCE(lock_stuck_loops, 1000);
	worker_start(&holder, 1, pub_holder_fn, NULL);
	CHECK(wait_ul(&pub.reader_ok[2], 1));
	worker_start(&writer, 2, pub_writer_fn, NULL);
	CHECK_EQ(wait_report(before), before + 1);
	/* Once only, and still waiting. */
	CHECK(stays_not(&pub.sync_done, 1));
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);
	atomic_store(&pub.step, 1);
	CHECK(wait_ul(&pub.sync_done, 1));
	worker_join(&holder);
	worker_join(&writer);
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);
	WRITE_ONCE(lock_stuck_loops, saved);
	pub_teardown();
}

/* ---------------------------------------------------------------------
 * Stress: eight readers, one writer replacing and freeing, one thread
 * registering and unregistering slots.
 */

static struct srcu_struct stress_srcu;
static struct obj *stress_gp;			/* srcu-protected */
static unsigned long stress_readers_done;	/* atomic */

static void stress_reader_fn(struct worker *w)
{
	struct srcu_reader *r = w->arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (w->cpu + 1);
	uint64_t last_seq = 0;
	unsigned long bad = 0;
	unsigned int i;

	for (i = 0; i < STRESS_READ_ITERS; i++) {
		uint64_t x = rand_next(&seed);
		const struct obj *o;

		srcu_read_lock(r);
		o = srcu_dereference(stress_gp);
		bad += !obj_intact(o);
		/* Publishes are seen in order: never an older object. */
		bad += o->seq < last_seq;
		last_seq = o->seq;
		if (x % 4 == 0) {
			/* Nested: a second look may see a newer object. */
			const struct obj *o2;

			srcu_read_lock(r);
			o2 = srcu_dereference(stress_gp);
			bad += !obj_intact(o2) || o2->seq < o->seq;
			srcu_read_unlock(r);
		}
		if (x % 64 == 1)
			sched_yield();	/* stay inside across a host switch */
		/* The first object is still intact after any delay. */
		bad += !obj_intact(o);
		srcu_read_unlock(r);
	}
	atomic_fetch_add(&stress_readers_done, 1);
	w->result = bad;
}

static bool stress_running(void)
{
	return atomic_load(&stress_readers_done) < STRESS_READERS;
}

/* result: objects replaced. */
static void stress_writer_fn(struct worker *w)
{
	uint64_t seq = 1;

	while (stress_running() || w->result < STRESS_MIN_WRITES) {
		struct obj *old = stress_gp;

		srcu_assign_pointer(stress_gp, obj_new(++seq));
		srcu_synchronize(&stress_srcu);
		obj_free(old);
		w->result++;
	}
}

/* Slots come and go while the writer synchronizes. result: failures. */
static void stress_churn_fn(struct worker *w)
{
	struct srcu_reader r = { 0 };
	unsigned int i, k;

	for (i = 0; i < STRESS_CHURN_ITERS; i++) {
		if (srcu_reader_register(&stress_srcu, &r)) {
			w->result++;
			return;
		}
		for (k = 0; k < 10; k++) {
			const struct obj *o;

			srcu_read_lock(&r);
			o = srcu_dereference(stress_gp);
			w->result += !obj_intact(o);
			srcu_read_unlock(&r);
		}
		srcu_reader_unregister(&stress_srcu, &r);
	}
}

static void stress_replace_and_free(void)
{
	static struct srcu_reader readers[STRESS_READERS];
	struct worker rw[STRESS_READERS], writer, churn;
	unsigned int i;

	setup();
	CHECK_EQ(srcu_init(&stress_srcu, STRESS_READERS + 1), 0);
	for (i = 0; i < STRESS_READERS; i++)
		CHECK_EQ(srcu_reader_register(&stress_srcu, &readers[i]), 0);
	stress_gp = obj_new(1);

	worker_start(&writer, 1, stress_writer_fn, NULL);
	worker_start(&churn, 2, stress_churn_fn, NULL);
	for (i = 0; i < STRESS_READERS; i++)
		worker_start(&rw[i], 3 + i, stress_reader_fn, &readers[i]);
	for (i = 0; i < STRESS_READERS; i++) {
		worker_join(&rw[i]);
		CHECK_EQ(rw[i].result, 0);
	}
	worker_join(&churn);
	worker_join(&writer);
	CHECK_EQ(churn.result, 0);
	CHECK(writer.result >= STRESS_MIN_WRITES);
	fprintf(stderr, "  stress: %lu objects replaced and freed during %u read sections\n",
		writer.result, STRESS_READERS * STRESS_READ_ITERS);
	CHECK_EQ(stress_srcu.epoch, writer.result);
	CHECK_EQ(stress_srcu.nr_readers, STRESS_READERS);
	srcu_destroy(&stress_srcu);
	obj_free(stress_gp);
}

int main(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, ARENA_SIZE);
	shim_set_cpu(0);

	RUN(nesting_and_registration);
	RUN(synchronize_no_readers);
	RUN(synchronize_waits_for_reader);
	RUN(synchronize_ignores_later_reader);
	RUN(stuck_report);
	RUN(stress_replace_and_free);
	return check_done();
}
