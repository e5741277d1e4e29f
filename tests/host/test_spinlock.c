/*
 * Hosted test of core/lib/spinlock.h: the ticket spinlock's single-CPU
 * semantics, mutual exclusion and exact counting under eight threads,
 * FIFO hand-over, and the bounded-wait report.
 *
 * Runs on the host under pthreads; each thread registers a distinct CPU id
 * with shim_set_cpu() (the main thread is CPU 0, workers 1..N).
 */
#include <pthread.h>
#include <time.h>

#include "core/lib/spinlock.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define NR_WORKERS     8
#define COUNT_ITERS    4000	/* per worker, counter_exact */
#define MUTEX_ITERS    1500	/* per worker, mutual_exclusion */
#define FIFO_WAITERS   6

/* ---------------------------------------------------------------------- */

static spinlock_t static_lock = SPINLOCK_INIT;

static void single_thread(void)
{
	unsigned int self = smp_processor_id() + 1;
	unsigned long flags, expect_flags;
	spinlock_t l;
	int i;

	CHECK(!spin_is_locked(&static_lock));
	CHECK_EQ(static_lock.owner, 0);

	spin_lock_init(&l);
	CHECK(!spin_is_locked(&l));
	CHECK_EQ(l.owner, 0);

	spin_lock(&l);
	CHECK(spin_is_locked(&l));
	CHECK_EQ(l.owner, self);
	spin_assert_held(&l);
	CHECK(!spin_trylock(&l));
	CHECK_EQ(l.owner, self);	/* a failed trylock changes nothing */
	CHECK_EQ(l.tail - l.head, 1);
	spin_unlock(&l);
	CHECK(!spin_is_locked(&l));
	CHECK_EQ(l.owner, 0);

	CHECK(spin_trylock(&l));
	CHECK(spin_is_locked(&l));
	CHECK_EQ(l.owner, self);
	spin_assert_held(&l);
	CHECK(!spin_trylock(&l));
	spin_unlock(&l);
	CHECK(!spin_is_locked(&l));

	expect_flags = irq_save();
	irq_restore(expect_flags);
	flags = spin_lock_irqsave(&l);
	CHECK_EQ(flags, expect_flags);
	CHECK(spin_is_locked(&l));
	spin_assert_held(&l);
	spin_unlock_irqrestore(&l, flags);
	CHECK(!spin_is_locked(&l));
	CHECK_EQ(l.owner, 0);

	/* Three acquisitions so far: three tickets handed out and served. */
	CHECK_EQ(l.head, 3);
	CHECK_EQ(l.tail, 3);

	/* Tickets wrap at 2^32 without losing the lock's state. */
	l.head = l.tail = UINT32_MAX - 1;
	for (i = 0; i < 4; i++) {
		spin_lock(&l);
		CHECK(spin_is_locked(&l));
		CHECK(!spin_trylock(&l));
		spin_unlock(&l);
		CHECK(!spin_is_locked(&l));
		CHECK(spin_trylock(&l));
		spin_unlock(&l);
	}
	CHECK_EQ(l.head, 6);
	CHECK_EQ(l.tail, 6);
}

/* ---------------------------------------------------------------------- */

static spinlock_t other_lock = SPINLOCK_INIT;
static uint32_t other_step;

static void trylock_other_fn(struct worker *w)
{
	/* Step 1: CPU 0 holds the lock. */
	w->result = spin_trylock(&other_lock);
	atomic_store(&other_step, 2);
	/* Step 3: CPU 0 has released it. */
	if (!wait_u32(&other_step, 3))
		return;
	if (spin_trylock(&other_lock)) {
		w->result |= 2;
		if (atomic_load(&other_lock.owner) == w->cpu + 1)
			w->result |= 4;
		atomic_store(&other_step, 4);
		/* Step 5: CPU 0 has looked at the lock. */
		wait_u32(&other_step, 5);
		spin_unlock(&other_lock);
	}
}

/*
 * Another CPU's trylock fails while the lock is held, and records that CPU
 * as owner once it succeeds.
 */
static void trylock_other_cpu(void)
{
	struct worker w;

	spin_lock(&other_lock);
	atomic_store(&other_step, 1);
	worker_start(&w, 1, trylock_other_fn, NULL);
	CHECK(wait_u32(&other_step, 2));
	spin_unlock(&other_lock);
	atomic_store(&other_step, 3);
	CHECK(wait_u32(&other_step, 4));
	CHECK(spin_is_locked(&other_lock));
	CHECK(!spin_trylock(&other_lock));
	CHECK_EQ(atomic_load(&other_lock.owner), 2);
	atomic_store(&other_step, 5);
	worker_join(&w);
	CHECK_EQ(w.result, 2 | 4);	/* first try failed, second held it */
	CHECK(!spin_is_locked(&other_lock));
}

/* ---------------------------------------------------------------------- */

static spinlock_t count_lock = SPINLOCK_INIT;
static unsigned long count;	/* count_lock */

static void counter_fn(struct worker *w)
{
	int i;

	for (i = 0; i < COUNT_ITERS; i++) {
		spin_lock(&count_lock);
		count++;
		spin_unlock(&count_lock);
	}
}

/* A plain counter incremented under the lock by eight CPUs is exact. */
static void counter_exact(void)
{
	struct worker w[NR_WORKERS];
	unsigned int i;

	count = 0;
	for (i = 0; i < NR_WORKERS; i++)
		worker_start(&w[i], i + 1, counter_fn, NULL);
	for (i = 0; i < NR_WORKERS; i++)
		worker_join(&w[i]);
	CHECK_EQ(count, (unsigned long)NR_WORKERS * COUNT_ITERS);
	CHECK(!spin_is_locked(&count_lock));
	CHECK_EQ(count_lock.head, NR_WORKERS * COUNT_ITERS);
}

/* ---------------------------------------------------------------------- */

static spinlock_t mutex_lock = SPINLOCK_INIT;
static uint32_t mutex_inside;	/* atomic: CPUs inside the section */
static uint32_t mutex_max_inside;	/* atomic: most ever seen inside */
static uint64_t mutex_words[4];	/* mutex_lock: always all equal */

static void mutex_note_inside(void)
{
	uint32_t n = atomic_add_return(&mutex_inside, 1);
	uint32_t max = atomic_load(&mutex_max_inside);

	while (n > max && !atomic_try_cmpxchg(&mutex_max_inside, &max, n))
		;
}

/* Runs one critical section; returns 1 if it found the words unequal. */
static unsigned long mutex_section(uint64_t stamp)
{
	unsigned long bad = 0;
	unsigned int i;

	mutex_note_inside();
	spin_assert_held(&mutex_lock);
	for (i = 1; i < ARRAY_SIZE(mutex_words); i++)
		bad |= mutex_words[i] != mutex_words[0];
	for (i = 0; i < ARRAY_SIZE(mutex_words); i++) {
		mutex_words[i] = stamp;
		barrier();	/* widen the window another CPU would hit */
	}
	atomic_sub_return(&mutex_inside, 1);
	return bad;
}

static void mutex_fn(struct worker *w)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * w->cpu;
	unsigned long flags;
	int i;

	for (i = 0; i < MUTEX_ITERS; i++) {
		uint64_t r = rand_next(&seed);

		switch (r % 3) {
		case 0:
			spin_lock(&mutex_lock);
			w->result += mutex_section(r);
			spin_unlock(&mutex_lock);
			break;
		case 1:
			if (!spin_trylock(&mutex_lock))
				break;
			w->result += mutex_section(r);
			spin_unlock(&mutex_lock);
			break;
		default:
			flags = spin_lock_irqsave(&mutex_lock);
			w->result += mutex_section(r);
			spin_unlock_irqrestore(&mutex_lock, flags);
			break;
		}
	}
}

/*
 * lock, trylock and irqsave mixed at random by eight CPUs: never two CPUs
 * inside, the holder is always recorded as owner, and a multi-word update
 * is never seen half done.
 */
static void mutual_exclusion(void)
{
	struct worker w[NR_WORKERS];
	unsigned int i;

	for (i = 0; i < NR_WORKERS; i++)
		worker_start(&w[i], i + 1, mutex_fn, NULL);
	for (i = 0; i < NR_WORKERS; i++) {
		worker_join(&w[i]);
		CHECK_EQ(w[i].result, 0);
	}
	CHECK_EQ(atomic_load(&mutex_max_inside), 1);
	CHECK_EQ(atomic_load(&mutex_inside), 0);
	CHECK(!spin_is_locked(&mutex_lock));
}

/* ---------------------------------------------------------------------- */

static spinlock_t fifo_lock = SPINLOCK_INIT;
static unsigned int fifo_order[FIFO_WAITERS];	/* fifo_lock */
static unsigned int fifo_next;			/* fifo_lock */

static void fifo_fn(struct worker *w)
{
	spin_lock(&fifo_lock);
	fifo_order[fifo_next++] = w->cpu;
	spin_unlock(&fifo_lock);
}

/*
 * Waiters are served in the order they arrived. CPU 0 holds the lock and
 * starts each waiter only once the previous one has taken its ticket, so
 * the arrival order is known.
 */
static void fifo_order_kept(void)
{
	struct worker w[FIFO_WAITERS];
	unsigned int i;

	spin_lock(&fifo_lock);
	for (i = 0; i < FIFO_WAITERS; i++) {
		worker_start(&w[i], i + 1, fifo_fn, NULL);
		/* Ticket i + 1 taken: CPU i + 1 is queued. */
		CHECK(wait_u32(&fifo_lock.tail, i + 2));
	}
	spin_unlock(&fifo_lock);
	for (i = 0; i < FIFO_WAITERS; i++)
		worker_join(&w[i]);

	CHECK_EQ(fifo_next, FIFO_WAITERS);
	for (i = 0; i < FIFO_WAITERS; i++)
		CHECK_EQ(fifo_order[i], i + 1);
}

/* ---------------------------------------------------------------------- */

static spinlock_t stuck_lock = SPINLOCK_INIT;

static void stuck_fn(struct worker *w)
{
	spin_lock(&stuck_lock);
	spin_unlock(&stuck_lock);
}

/*
 * A waiter that spins past lock_stuck_loops reports the lock once and keeps
 * waiting; it gets the lock when the holder lets go.
 */
static void stuck_report(void)
{
	unsigned long saved = lock_stuck_loops;
	unsigned long before = atomic_load(&lock_stuck_reports);
	uint64_t until;
	struct worker w;

	WRITE_ONCE(lock_stuck_loops, 1000);
	spin_lock(&stuck_lock);
	worker_start(&w, 1, stuck_fn, NULL);

	until = time_now_ns() + TEST_WAIT_NS;
	while (atomic_load(&lock_stuck_reports) == before &&
	       time_now_ns() < until)
		shim_pause();
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);

	/* Let the waiter spin well past the limit again: still one report. */
	until = time_now_ns() + 50000000ull;
	while (time_now_ns() < until)
		shim_pause();
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);
	CHECK(spin_is_locked(&stuck_lock));

	spin_unlock(&stuck_lock);
	worker_join(&w);
	CHECK(!spin_is_locked(&stuck_lock));
	CHECK_EQ(stuck_lock.head, 2);
	WRITE_ONCE(lock_stuck_loops, saved);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(single_thread);
	RUN(trylock_other_cpu);
	RUN(counter_exact);
	RUN(mutual_exclusion);
	RUN(fifo_order_kept);
	RUN(stuck_report);
	return check_done();
}
