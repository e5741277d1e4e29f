/*
 * Hosted test of core/vtimer.c: virtual periodic timers on per-vCPU lists.
 *
 * Scenario: a VM's vCPUs (struct vtimer_vcpu) carry timers that fire into
 * probe sinks counting what they get. Time is virtual: every call gets an
 * explicit now, so no case depends on how fast the host runs. Single-CPU
 * cases pin the arithmetic: ticks every period, catch-up after a gap under
 * both missed-tick policies, one-shots, stop and restart, period changes,
 * the earliest deadline, save/restore, migration, sinks that call back.
 * Threaded cases: destroy waits for a running delivery; the XSA-336 race
 * (a timer moves while a group 2 or 3 caller waits for its old owner's
 * lock), step by step and at random; and a stress run of 8 vCPUs with exit,
 * migrator, reconfiguration and audit threads against a model that counts
 * every period that came due, so that no tick is lost or delivered twice.
 *
 * Runs on the host under pthreads; each thread registers a distinct CPU id
 * with shim_set_cpu() (the main thread is CPU 0). A watchdog turns a
 * deadlock into a failure that says which CPU holds which vCPU lock.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/vtimer.h"
#include "tests/host/check.h"

#define MS 1000000ull			/* virtual ns */
#define US 1000ull
#define WAIT_NS     10000000000ull	/* bound on any wait for a thread */
#define WATCHDOG_NS 20000000000ull	/* no progress this long: deadlock */
#define MAX_VCPUS   8

/* xorshift64: reproducible per-thread choices. */
static uint64_t rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static uint64_t rand_below(uint64_t *state, uint64_t n)
{
	return rand_next(state) % n;
}

/* ---- Threads, failures from threads, watchdog ------------------------ */

struct vt_worker {
	pthread_t thread;
	unsigned int cpu;
	unsigned int index;
	void (*fn)(struct vt_worker *w);
	/* What the thread is doing, for the watchdog: a static string. */
	const char *doing;
};

static void *vt_worker_main(void *arg)
{
	struct vt_worker *w = arg;

	shim_set_cpu(w->cpu);
	w->fn(w);
	atomic_store(&w->doing, "finished");
	return NULL;
}

static void vt_worker_start(struct vt_worker *w, unsigned int cpu,
			    unsigned int index,
			    void (*fn)(struct vt_worker *w))
{
	w->cpu = cpu;
	w->index = index;
	w->fn = fn;
	w->doing = "starting";
	if (pthread_create(&w->thread, NULL, vt_worker_main, w)) {
		perror("pthread_create");
		exit(2);
	}
}

static void vt_worker_join(struct vt_worker *w)
{
	pthread_join(w->thread, NULL);
}

static void worker_doing(struct vt_worker *w, const char *what)
{
	atomic_store(&w->doing, what);
}

/* Failures seen by worker threads (CHECK is not thread-safe). */
static uint32_t thread_failures;

static void __printf(1, 2) thread_fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&thread_failures, 1) >= 10)
		return;		/* the first ten say enough */
	va_start(ap, fmt);
	fprintf(stderr, "  CPU %u: ", smp_processor_id());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define TCHECK(cond)							\
	do {								\
		if (!(cond))						\
			thread_fail("%s:%d: check failed: %s",		\
				    __FILE__, __LINE__, #cond);		\
	} while (0)

/* Waits until *p == v, at most WAIT_NS. True if it got there. */
static bool wait_u32(const uint32_t *p, uint32_t v)
{
	uint64_t deadline = time_now_ns() + WAIT_NS;

	while (atomic_load(p) != v) {
		if (time_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * Watchdog over a threaded case: while the case runs, some worker bumps
 * progress at least every few milliseconds. If progress stands still for
 * WATCHDOG_NS, the case is deadlocked (or livelocked): print who holds
 * which vCPU lock and what every worker is doing, and abort rather than
 * hang.
 */
static struct {
	pthread_t thread;
	uint32_t stop;			/* atomic */
	uint64_t progress;		/* atomic, bumped by the workers */
	struct vt_worker *workers;
	unsigned int nr_workers;
	struct vtimer_vcpu *vcpus;
	unsigned int nr_vcpus;
} watchdog;

static void watchdog_bump(void)
{
	__atomic_fetch_add(&watchdog.progress, 1, __ATOMIC_RELAXED);
}

static void watchdog_report(void)
{
	unsigned int i;

	fprintf(stderr, "  watchdog: no progress for %llu s; lock holders:\n",
		WATCHDOG_NS / 1000000000ull);
	for (i = 0; i < watchdog.nr_vcpus; i++) {
		spinlock_t *l = &watchdog.vcpus[i].lock;
		uint32_t head = atomic_load(&l->head);
		uint32_t tail = atomic_load(&l->tail);
		uint32_t owner = atomic_load(&l->owner);

		fprintf(stderr, "    vcpu %u lock: %s, holder CPU %d, %u waiting\n",
			watchdog.vcpus[i].id, head == tail ? "free" : "held",
			(int)owner - 1, head == tail ? 0 : tail - head - 1);
	}
	for (i = 0; i < watchdog.nr_workers; i++)
		fprintf(stderr, "    CPU %u: %s\n", watchdog.workers[i].cpu,
			atomic_load(&watchdog.workers[i].doing));
	fflush(stderr);
	abort();
}

static void *watchdog_main(void *arg)
{
	uint64_t seen = 0, since = time_now_ns();

	(void)arg;
	while (!atomic_load(&watchdog.stop)) {
		uint64_t now = time_now_ns();
		uint64_t p = __atomic_load_n(&watchdog.progress,
					     __ATOMIC_RELAXED);

		if (p != seen) {
			seen = p;
			since = now;
		} else if (now - since > WATCHDOG_NS) {
			watchdog_report();
		}
		usleep(10000);
	}
	return NULL;
}

static void watchdog_start(struct vt_worker *workers, unsigned int nr_workers,
			   struct vtimer_vcpu *vcpus, unsigned int nr_vcpus)
{
	/* progress only counts up; the workers may be bumping it already. */
	watchdog.stop = 0;
	watchdog.workers = workers;
	watchdog.nr_workers = nr_workers;
	watchdog.vcpus = vcpus;
	watchdog.nr_vcpus = nr_vcpus;
	if (pthread_create(&watchdog.thread, NULL, watchdog_main, NULL)) {
		perror("pthread_create");
		exit(2);
	}
}

static void watchdog_stop(void)
{
	atomic_store(&watchdog.stop, 1);
	pthread_join(watchdog.thread, NULL);
}

/* ---- Probe sink and kick counter ------------------------------------- */

struct probe {
	/* Atomic: ticks and fire() calls received. */
	uint64_t ticks;
	uint64_t calls;
	/* Atomic: fire() calls made under the vCPU lock, or with no ticks. */
	uint32_t bad;
	/* Last call (single-CPU cases). */
	struct vtimer_vcpu *last_v;
	unsigned int last_irq;
	unsigned int last_ticks;
	/* Optional: called from fire() after the counting. */
	void (*hook)(struct probe *p, struct vtimer_vcpu *v);
	struct vtimer *t;
};

static void probe_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		       unsigned int ticks)
{
	struct probe *p = ctx;

	/* Callbacks run after the lock is dropped. */
	if (spin_is_locked(&v->lock) || ticks == 0)
		atomic_fetch_add(&p->bad, 1);
	atomic_fetch_add(&p->ticks, ticks);
	atomic_fetch_add(&p->calls, 1);
	p->last_v = v;
	p->last_irq = irq;
	p->last_ticks = ticks;
	if (p->hook)
		p->hook(p, v);
}

static const struct vtimer_sink probe_sink = {
	.fire = probe_fire,
	.name = "probe",
};

static uint32_t kicks[MAX_VCPUS];	/* atomic, by vCPU id */

static void count_kick(struct vtimer_vcpu *v)
{
	/* Kicks come after the lock is dropped, too. */
	if (!spin_is_locked(&v->lock))
		atomic_fetch_add(&kicks[v->id], 1);
}

static void probe_reset(struct probe *p)
{
	memset(p, 0, sizeof(*p));
}

static void vcpus_init(struct vtimer_vcpu *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		vtimer_vcpu_init(&v[i], i, count_kick);
		atomic_store(&kicks[i], 0);
	}
}

/* True if t is on v's list; takes v's lock (group 1). */
static bool on_list(struct vtimer_vcpu *v, struct vtimer *t)
{
	struct vtimer *pos;
	bool found = false;

	vtimer_vcpu_lock(v);
	list_for_each_entry(pos, &v->timers, node)
		found |= pos == t;
	vtimer_vcpu_unlock(v);
	return found;
}

static unsigned int list_length(struct vtimer_vcpu *v)
{
	struct vtimer *pos;
	unsigned int n = 0;

	vtimer_vcpu_lock(v);
	list_for_each_entry(pos, &v->timers, node)
		n++;
	vtimer_vcpu_unlock(v);
	return n;
}

/* ---- Single CPU -------------------------------------------------------- */

/* A periodic timer ticks once per period, on its deadlines exactly. */
static void periodic_every_period(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;
	uint64_t k;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	CHECK_EQ(t.state, VTIMER_INACTIVE);
	CHECK_EQ(vtimer_next_deadline(&v), VTIMER_NEVER);
	CHECK_EQ(vtimer_update_irq(&v, 100 * MS), 0);

	CHECK_EQ(vtimer_start(&t, &v, 0, 10 * MS, 10 * MS), 0);
	CHECK(on_list(&v, &t));
	CHECK_EQ(vtimer_next_deadline(&v), 10 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 5 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v, 10 * MS - 1), 0);
	CHECK_EQ(p.calls, 0);
	CHECK_EQ(vtimer_update_irq(&v, 10 * MS), 1);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.ticks, 1);
	CHECK(p.last_v == &v);
	CHECK_EQ(p.last_ticks, 1);
	CHECK_EQ(vtimer_update_irq(&v, 10 * MS), 0);
	CHECK_EQ(vtimer_next_deadline(&v), 20 * MS);
	CHECK_EQ(vtimer_remaining(&t, 13 * MS), 7 * MS);

	/* Exits at odd times between deadlines: one tick per deadline. */
	for (k = 2; k <= 100; k++) {
		CHECK_EQ(vtimer_update_irq(&v, k * 10 * MS - 3 * US), 0);
		CHECK_EQ(vtimer_update_irq(&v, k * 10 * MS + 7 * US), 1);
	}
	CHECK_EQ(p.ticks, 100);
	CHECK_EQ(p.calls, 100);
	CHECK_EQ(t.delivered, 100);
	CHECK_EQ(vtimer_next_deadline(&v), 1010 * MS);
	CHECK_EQ(p.bad, 0);
	CHECK_EQ(vtimer_stop(&t, 1005 * MS), 0);
	vtimer_destroy(&t);
	vtimer_vcpu_destroy(&v);
}

/* After a long gap, every missed period is a tick; deadlines stay on grid. */
static void catch_up_delay(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&t, &v, 0, 10 * MS, 10 * MS);

	/* Deadlines 10..90 ms: 9 ticks in one delivery. */
	CHECK_EQ(vtimer_update_irq(&v, 95 * MS + 1), 9);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last_ticks, 9);
	CHECK_EQ(vtimer_next_deadline(&v), 100 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 100 * MS), 1);
	/* 110 ms .. 10 s: 990 deadlines. */
	CHECK_EQ(vtimer_update_irq(&v, 10000 * MS), 990);
	CHECK_EQ(vtimer_next_deadline(&v), 10010 * MS);
	CHECK_EQ(p.ticks, 1000);
	CHECK_EQ(t.delivered, 1000);
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
}

/* After a long gap, missed periods collapse into one tick; no drift. */
static void catch_up_no_missed(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 8, VTIMER_NO_MISSED);
	vtimer_start(&t, &v, 0, 10 * MS, 10 * MS);

	CHECK_EQ(vtimer_update_irq(&v, 95 * MS + 1), 1);
	CHECK_EQ(p.last_ticks, 1);
	CHECK_EQ(p.last_irq, 8);
	/* Next deadline on the grid, not 10 ms after the late exit. */
	CHECK_EQ(vtimer_next_deadline(&v), 100 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 100 * MS), 1);
	CHECK_EQ(vtimer_update_irq(&v, 10000 * MS), 1);
	CHECK_EQ(vtimer_next_deadline(&v), 10010 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 10010 * MS), 1);
	CHECK_EQ(p.ticks, 4);
	CHECK_EQ(p.calls, 4);
	vtimer_destroy(&t);
}

/* A one-shot fires once, even late, then leaves the list. */
static void one_shot(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&t, &v, 0, 5 * MS, 0);
	CHECK_EQ(vtimer_remaining(&t, 1 * MS), 4 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 4 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v, 5 * MS), 1);
	CHECK_EQ(t.state, VTIMER_INACTIVE);
	CHECK(!on_list(&v, &t));
	CHECK_EQ(vtimer_next_deadline(&v), VTIMER_NEVER);
	CHECK_EQ(vtimer_remaining(&t, 6 * MS), VTIMER_NEVER);
	CHECK_EQ(vtimer_set_period(&t, 1 * MS, 6 * MS), -ENOENT);
	CHECK_EQ(vtimer_update_irq(&v, 100 * MS), 0);
	CHECK_EQ(p.ticks, 1);

	/* Late by many "periods": still one tick, under either policy. */
	vtimer_start(&t, &v, 100 * MS, 105 * MS, 0);
	CHECK_EQ(vtimer_update_irq(&v, 900 * MS), 1);
	CHECK_EQ(p.ticks, 2);
	CHECK_EQ(t.state, VTIMER_INACTIVE);

	/* Due but not delivered: stays listed, and the vCPU must not sleep. */
	vtimer_start(&t, &v, 900 * MS, 910 * MS, 0);
	CHECK_EQ(vtimer_remaining(&t, 920 * MS), VTIMER_NEVER);
	CHECK(on_list(&v, &t));
	CHECK_EQ(vtimer_next_deadline(&v), 0);
	CHECK_EQ(vtimer_update_irq(&v, 920 * MS), 1);
	CHECK(!on_list(&v, &t));
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
}

/* Stop before a deadline prevents the tick; restart arms afresh. */
static void stop_and_restart(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	CHECK_EQ(vtimer_stop(&t, 0), 0);	/* inactive: nothing */

	vtimer_start(&t, &v, 0, 10 * MS, 10 * MS);
	CHECK_EQ(vtimer_stop(&t, 5 * MS), 0);
	CHECK_EQ(t.state, VTIMER_INACTIVE);
	CHECK(!on_list(&v, &t));
	CHECK_EQ(vtimer_update_irq(&v, 100 * MS), 0);
	CHECK_EQ(p.calls, 0);

	/* Restart: ticks from the new first deadline on. */
	CHECK_EQ(vtimer_start(&t, &v, 100 * MS, 110 * MS, 10 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v, 110 * MS), 1);

	/* Stopped after a deadline nobody delivered: that tick is dropped. */
	CHECK_EQ(vtimer_stop(&t, 125 * MS), 1);
	CHECK_EQ(t.discarded, 1);
	CHECK_EQ(vtimer_update_irq(&v, 200 * MS), 0);

	/* Restart of a running timer ends the old programming the same way. */
	vtimer_start(&t, &v, 200 * MS, 210 * MS, 10 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 210 * MS), 1);
	CHECK_EQ(vtimer_start(&t, &v, 235 * MS, 240 * MS, 5 * MS), 2);
	CHECK_EQ(t.discarded, 3);
	CHECK_EQ(list_length(&v), 1);
	CHECK_EQ(vtimer_update_irq(&v, 239 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v, 240 * MS), 1);
	CHECK_EQ(vtimer_update_irq(&v, 250 * MS), 2);

	/* A first deadline already past is due at once. */
	vtimer_start(&t, &v, 300 * MS, 290 * MS, 0);
	CHECK_EQ(vtimer_next_deadline(&v), 290 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 300 * MS), 1);
	CHECK_EQ(p.ticks, 6);
	CHECK_EQ(t.delivered, 6);
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
	CHECK_EQ(t.state, VTIMER_DEAD);
}

/* A new period applies after the armed deadline; 0 makes a one-shot. */
static void set_period(void)
{
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(&v, 1);
	vtimer_init(&t, &v, &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	CHECK_EQ(vtimer_set_period(&t, 4 * MS, 0), -ENOENT);
	vtimer_start(&t, &v, 0, 10 * MS, 10 * MS);

	/* 10 and 20 ms came due under the old period; 30 ms stays armed. */
	CHECK_EQ(vtimer_set_period(&t, 4 * MS, 25 * MS), 0);
	CHECK_EQ(vtimer_next_deadline(&v), 0);
	CHECK_EQ(vtimer_remaining(&t, 25 * MS), 5 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 25 * MS), 2);
	CHECK_EQ(vtimer_next_deadline(&v), 30 * MS);
	/* 30, 34, 38 ms. */
	CHECK_EQ(vtimer_update_irq(&v, 38 * MS), 3);
	/* One-shot at the armed 42 ms. */
	CHECK_EQ(vtimer_set_period(&t, 0, 39 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v, 50 * MS), 1);
	CHECK_EQ(t.state, VTIMER_INACTIVE);
	CHECK_EQ(p.ticks, 6);
	vtimer_destroy(&t);
}

/* The HLT wake-up time is the earliest deadline of the vCPU's timers. */
static void next_deadline_is_min(void)
{
	struct vtimer_vcpu v[2];
	struct vtimer t[3];
	struct probe p[3];
	unsigned int i;

	vcpus_init(v, 2);
	for (i = 0; i < 3; i++) {
		probe_reset(&p[i]);
		vtimer_init(&t[i], &v[0], &probe_sink, &p[i], i,
			    VTIMER_DELAY_MISSED);
	}
	vtimer_start(&t[0], &v[0], 0, 10 * MS, 10 * MS);
	vtimer_start(&t[1], &v[0], 0, 7 * MS, 7 * MS);
	vtimer_start(&t[2], &v[0], 0, 30 * MS, 3 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[0]), 7 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[1]), VTIMER_NEVER);
	CHECK_EQ(vtimer_update_irq(&v[0], 7 * MS), 1);
	CHECK_EQ(vtimer_next_deadline(&v[0]), 10 * MS);
	CHECK_EQ(vtimer_update_irq(&v[0], 10 * MS), 1);
	CHECK_EQ(vtimer_next_deadline(&v[0]), 14 * MS);
	vtimer_stop(&t[1], 11 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[0]), 20 * MS);
	/* A timer moved away no longer counts; the new owner sees it. */
	vtimer_migrate(&t[0], &v[1], 11 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[0]), 30 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[1]), 20 * MS);
	for (i = 0; i < 3; i++)
		vtimer_destroy(&t[i]);
	CHECK_EQ(vtimer_next_deadline(&v[0]), VTIMER_NEVER);
	CHECK_EQ(vtimer_next_deadline(&v[1]), VTIMER_NEVER);
}

/*
 * While the vCPU is descheduled, a delay-for-missed-ticks timer stands
 * still (its deadlines move by the time off) and a no-missed-ticks timer
 * runs on and collapses what it missed into one tick.
 */
static void save_restore(void)
{
	struct vtimer_vcpu v;
	struct vtimer a, b;
	struct probe pa, pb;

	probe_reset(&pa);
	probe_reset(&pb);
	vcpus_init(&v, 1);
	vtimer_init(&a, &v, &probe_sink, &pa, 0, VTIMER_DELAY_MISSED);
	vtimer_init(&b, &v, &probe_sink, &pb, 8, VTIMER_NO_MISSED);
	vtimer_start(&a, &v, 0, 10 * MS, 10 * MS);
	vtimer_start(&b, &v, 0, 10 * MS, 10 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 12 * MS), 2);

	vtimer_save(&v, 15 * MS);
	CHECK(a.frozen);
	CHECK(!b.frozen);
	CHECK_EQ(vtimer_remaining(&a, 60 * MS), 5 * MS);
	CHECK_EQ(vtimer_next_deadline(&v), 20 * MS);	/* b only */
	vtimer_restore(&v, 115 * MS);
	CHECK(!a.frozen);
	/* Off for 100 ms: a's 20 ms deadline is now 120 ms; b's stays. */
	CHECK_EQ(vtimer_remaining(&a, 115 * MS), 5 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 115 * MS), 1);
	CHECK_EQ(pa.ticks, 1);
	CHECK_EQ(pb.ticks, 2);		/* 20..110 ms collapsed into one */
	CHECK_EQ(vtimer_next_deadline(&v), 120 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 120 * MS), 2);

	/* Overdue at the save: the tick owed stays owed across the gap. */
	vtimer_save(&v, 137 * MS);		/* a's 130 ms is due */
	CHECK_EQ(vtimer_next_deadline(&v), 0);
	vtimer_restore(&v, 500 * MS);
	CHECK_EQ(vtimer_remaining(&a, 500 * MS), 3 * MS);
	CHECK_EQ(vtimer_update_irq(&v, 500 * MS), 2);	/* a's owed, b's */
	CHECK_EQ(vtimer_update_irq(&v, 503 * MS), 1);	/* a */
	CHECK_EQ(pa.ticks, 4);
	CHECK_EQ(pb.ticks, 4);

	/* A timer started while its vCPU is off starts frozen. */
	vtimer_stop(&a, 503 * MS);
	vtimer_save(&v, 504 * MS);
	vtimer_start(&a, &v, 505 * MS, 510 * MS, 10 * MS);
	CHECK(a.frozen);
	vtimer_restore(&v, 1000 * MS);
	CHECK_EQ(vtimer_remaining(&a, 1000 * MS), 5 * MS);
	vtimer_destroy(&a);
	vtimer_destroy(&b);
}

/* Migration moves the list node, the owner and the pending ticks. */
static void migrate_moves_everything(void)
{
	struct vtimer_vcpu v[3];
	struct vtimer t;
	struct probe p;

	probe_reset(&p);
	vcpus_init(v, 3);
	vtimer_init(&t, &v[0], &probe_sink, &p, 0, VTIMER_DELAY_MISSED);

	/* Inactive: only the owner changes, and no one is kicked. */
	vtimer_migrate(&t, &v[2], 0);
	CHECK(t.owner == &v[2]);
	CHECK_EQ(list_length(&v[2]), 0);
	CHECK_EQ(kicks[2], 0);

	vtimer_start(&t, &v[0], 0, 10 * MS, 10 * MS);
	CHECK(t.owner == &v[0]);
	CHECK_EQ(kicks[0], 1);
	CHECK(!on_list(&v[2], &t));
	vtimer_migrate(&t, &v[1], 5 * MS);
	CHECK(t.owner == &v[1]);
	CHECK(on_list(&v[1], &t));
	CHECK_EQ(list_length(&v[0]), 0);
	CHECK_EQ(kicks[1], 1);
	CHECK_EQ(vtimer_update_irq(&v[0], 10 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v[1], 10 * MS), 1);
	CHECK(p.last_v == &v[1]);

	/* Ticks that came due on v1 and were not delivered go along. */
	vtimer_set_period(&t, 10 * MS, 35 * MS);	/* 20, 30 ms pending */
	vtimer_migrate(&t, &v[0], 35 * MS);
	CHECK_EQ(vtimer_update_irq(&v[1], 35 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v[0], 35 * MS), 2);
	CHECK(p.last_v == &v[0]);

	/* To itself: nothing moves, no kick. */
	vtimer_migrate(&t, &v[0], 36 * MS);
	CHECK_EQ(list_length(&v[0]), 1);
	CHECK_EQ(kicks[0], 2);		/* the start and the move back */

	/* Onto a saved vCPU: freezes. Back to a running one: thaws. */
	vtimer_save(&v[2], 36 * MS);
	vtimer_migrate(&t, &v[2], 37 * MS);
	CHECK(t.frozen);
	CHECK_EQ(vtimer_remaining(&t, 90 * MS), 3 * MS);
	vtimer_migrate(&t, &v[1], 100 * MS);
	CHECK(!t.frozen);
	CHECK_EQ(vtimer_remaining(&t, 100 * MS), 3 * MS);
	CHECK_EQ(vtimer_update_irq(&v[1], 103 * MS), 1);
	vtimer_restore(&v[2], 110 * MS);
	CHECK_EQ(p.ticks, 4);
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
	vtimer_vcpu_destroy(&v[0]);
	vtimer_vcpu_destroy(&v[1]);
	vtimer_vcpu_destroy(&v[2]);
}

/* A sink may re-arm, retune and move its own timer: it runs unlocked. */
static struct vtimer_vcpu cb_vcpus[2];
static uint64_t cb_now;

static void rearm_hook(struct probe *p, struct vtimer_vcpu *v)
{
	if (p->calls < 3) {
		/* The LAPIC one-shot pattern: re-arm from the interrupt. */
		vtimer_start(p->t, v, cb_now, cb_now + 1 * MS, 0);
	} else if (p->calls == 3) {
		vtimer_start(p->t, v, cb_now, cb_now + 1 * MS, 1 * MS);
		vtimer_set_period(p->t, 2 * MS, cb_now);
		vtimer_migrate(p->t, &cb_vcpus[1], cb_now);
	} else {
		vtimer_stop(p->t, cb_now);
	}
}

static void sink_calls_back(void)
{
	struct vtimer t;
	struct probe p;
	uint64_t k;

	probe_reset(&p);
	vcpus_init(cb_vcpus, 2);
	vtimer_init(&t, &cb_vcpus[0], &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	p.hook = rearm_hook;
	p.t = &t;
	vtimer_start(&t, &cb_vcpus[0], 0, 1 * MS, 0);
	for (k = 1; k <= 3; k++) {
		cb_now = k * MS;
		CHECK_EQ(vtimer_update_irq(&cb_vcpus[0], cb_now), 1);
		CHECK_EQ(p.calls, k);
	}
	CHECK(t.owner == &cb_vcpus[1]);
	CHECK_EQ(vtimer_next_deadline(&cb_vcpus[1]), 4 * MS);
	cb_now = 4 * MS;
	CHECK_EQ(vtimer_update_irq(&cb_vcpus[1], cb_now), 1);
	CHECK_EQ(t.state, VTIMER_INACTIVE);
	CHECK_EQ(p.ticks, 4);
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
}

/* More timers due at once than one batch holds: all are delivered. */
static void many_due_at_once(void)
{
	enum { N = 21 };
	struct vtimer_vcpu v;
	struct vtimer t[N];
	struct probe p;
	unsigned int i;

	probe_reset(&p);
	vcpus_init(&v, 1);
	for (i = 0; i < N; i++) {
		vtimer_init(&t[i], &v, &probe_sink, &p, i, VTIMER_DELAY_MISSED);
		vtimer_start(&t[i], &v, 0, (i + 1) * US, 1 * MS);
	}
	CHECK_EQ(vtimer_update_irq(&v, 1 * MS), N);
	CHECK_EQ(p.calls, N);
	CHECK_EQ(vtimer_update_irq(&v, 3 * MS), 2 * N);
	CHECK_EQ(p.bad, 0);
	for (i = 0; i < N; i++)
		vtimer_destroy(&t[i]);
	vtimer_vcpu_destroy(&v);
}

/* ---- Destroy waits for a delivery that is running -------------------- */

static struct {
	struct vtimer_vcpu v;
	struct vtimer t;
	struct probe p;
	uint32_t in_fire;	/* atomic */
	uint32_t release;	/* atomic */
	uint32_t destroyed;	/* atomic */
} dw;

static void dw_block_hook(struct probe *p, struct vtimer_vcpu *v)
{
	atomic_store(&dw.in_fire, 1);
	wait_u32(&dw.release, 1);
}

static void dw_update_fn(struct vt_worker *w)
{
	vtimer_update_irq(&dw.v, 10 * MS);
}

static void dw_destroy_fn(struct vt_worker *w)
{
	vtimer_destroy(&dw.t);
	atomic_store(&dw.destroyed, 1);
}

static void destroy_waits_for_fire(void)
{
	struct vt_worker upd, des;
	uint64_t until;
	bool dead = false;

	probe_reset(&dw.p);
	dw.p.hook = dw_block_hook;
	vcpus_init(&dw.v, 1);
	vtimer_init(&dw.t, &dw.v, &probe_sink, &dw.p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&dw.t, &dw.v, 0, 10 * MS, 10 * MS);

	vt_worker_start(&upd, 1, 0, dw_update_fn);
	CHECK(wait_u32(&dw.in_fire, 1));
	vt_worker_start(&des, 2, 0, dw_destroy_fn);
	/* Destroy unlinks at once, then waits for the sink to return. */
	until = time_now_ns() + WAIT_NS;
	while (!dead && time_now_ns() < until) {
		vtimer_vcpu_lock(&dw.v);
		dead = dw.t.state == VTIMER_DEAD;
		vtimer_vcpu_unlock(&dw.v);
		sched_yield();
	}
	CHECK(dead);
	CHECK(!on_list(&dw.v, &dw.t));
	/* Give a wrong destroy time to return early; the right one cannot. */
	until = time_now_ns() + 20000000ull;
	while (time_now_ns() < until)
		sched_yield();
	CHECK_EQ(atomic_load(&dw.destroyed), 0);
	CHECK_EQ(atomic_load(&dw.t.inflight), 1);

	atomic_store(&dw.release, 1);
	vt_worker_join(&upd);
	vt_worker_join(&des);
	CHECK_EQ(dw.destroyed, 1);
	CHECK_EQ(dw.t.inflight, 0);
	CHECK_EQ(dw.p.ticks, 1);
	vtimer_vcpu_destroy(&dw.v);
}

/* ---- XSA-336: a timer moves while its locker waits ------------------- */

static struct {
	struct vtimer_vcpu v[3];
	struct vtimer t;
	struct probe p;
	uint64_t dropped;
} xs;

static void xs_migrate_fn(struct vt_worker *w)
{
	vtimer_migrate(&xs.t, &xs.v[w->index], 30 * MS);
}

static void xs_stop_fn(struct vt_worker *w)
{
	xs.dropped = vtimer_stop(&xs.t, 30 * MS);
}

static void xs_start_fn(struct vt_worker *w)
{
	vtimer_start(&xs.t, &xs.v[1], 30 * MS, 40 * MS, 10 * MS);
}

static void xs_setup(void)
{
	probe_reset(&xs.p);
	vcpus_init(xs.v, 3);
	vtimer_init(&xs.t, &xs.v[0], &probe_sink, &xs.p, 0,
		    VTIMER_DELAY_MISSED);
	vtimer_start(&xs.t, &xs.v[0], 0, 10 * MS, 10 * MS);
}

/*
 * Group 2 against group 3, step by step. CPU 0 holds v0's lock. A mover
 * queues for it to take the timer to v1; then a stopper reads the owner
 * (v0) and queues behind the mover. When CPU 0 lets go, the timer leaves
 * v0's list before the stopper gets v0's lock: the stopper must notice the
 * owner changed and stop the timer under v1's lock. Without the re-check
 * it would unlink the node from v1's list holding only v0's lock.
 */
static void xsa336_stop_vs_migrate(void)
{
	struct vt_worker mover, stopper;
	uint32_t base, v1_base;

	xs_setup();
	vtimer_vcpu_lock(&xs.v[0]);
	base = xs.v[0].lock.tail;
	v1_base = xs.v[1].lock.tail;
	vt_worker_start(&mover, 1, 1, xs_migrate_fn);
	CHECK(wait_u32(&xs.v[0].lock.tail, base + 1));	/* mover queued */
	vt_worker_start(&stopper, 2, 0, xs_stop_fn);
	CHECK(wait_u32(&xs.v[0].lock.tail, base + 2));	/* stopper behind */
	vtimer_vcpu_unlock(&xs.v[0]);
	vt_worker_join(&mover);
	vt_worker_join(&stopper);

	/* The stopper retried: one pass over v0's lock, then v1's. */
	CHECK_EQ(xs.v[0].lock.tail, base + 2);
	CHECK_EQ(xs.v[1].lock.tail, v1_base + 2);	/* mover, stopper */
	CHECK(xs.t.owner == &xs.v[1]);
	CHECK_EQ(xs.t.state, VTIMER_INACTIVE);
	CHECK_EQ(xs.dropped, 3);			/* 10, 20, 30 ms */
	CHECK_EQ(list_length(&xs.v[0]), 0);
	CHECK_EQ(list_length(&xs.v[1]), 0);
	vtimer_destroy(&xs.t);
}

/*
 * Group 3 against group 3: a start towards v1 read owner v0 and waits for
 * v0's lock behind a move to v2. It must retry with the locks of v2 and v1
 * (in id order: v1 first) and take the timer off v2's list.
 */
static void xsa336_start_vs_migrate(void)
{
	struct vt_worker mover, starter;
	uint32_t base, v2_base;

	xs_setup();
	vtimer_vcpu_lock(&xs.v[0]);
	base = xs.v[0].lock.tail;
	v2_base = xs.v[2].lock.tail;
	vt_worker_start(&mover, 1, 2, xs_migrate_fn);
	CHECK(wait_u32(&xs.v[0].lock.tail, base + 1));
	vt_worker_start(&starter, 2, 0, xs_start_fn);
	CHECK(wait_u32(&xs.v[0].lock.tail, base + 2));
	vtimer_vcpu_unlock(&xs.v[0]);
	vt_worker_join(&mover);
	vt_worker_join(&starter);

	/* The starter retried: v0's lock once, then v2's with v1's. */
	CHECK_EQ(xs.v[0].lock.tail, base + 2);
	CHECK_EQ(xs.v[2].lock.tail, v2_base + 2);	/* mover, starter */
	CHECK(xs.t.owner == &xs.v[1]);
	CHECK_EQ(xs.t.state, VTIMER_ACTIVE);
	CHECK(on_list(&xs.v[1], &xs.t));
	CHECK_EQ(list_length(&xs.v[0]), 0);
	CHECK_EQ(list_length(&xs.v[1]), 1);
	CHECK_EQ(list_length(&xs.v[2]), 0);
	CHECK_EQ(xs.t.discarded, 3);
	CHECK_EQ(vtimer_update_irq(&xs.v[1], 40 * MS), 1);
	vtimer_destroy(&xs.t);
}

/*
 * The same race at random: movers shuttle four timers among three vCPUs
 * while lockers use vtimer_lock() and the group 2 calls. Whatever vCPU
 * vtimer_lock() returns must be locked by the caller, be the owner, and
 * hold the timer on its list; the owner must not change while locked.
 */
#define RACE_VCPUS   3
#define RACE_TIMERS  4
#define RACE_MOVERS  2
#define RACE_LOCKERS 3
#define RACE_ITERS   4000

static struct {
	struct vtimer_vcpu v[RACE_VCPUS];
	struct vtimer t[RACE_TIMERS];
	struct probe p[RACE_TIMERS];
} rc;

static void race_mover_fn(struct vt_worker *w)
{
	uint64_t seed = 0x51ed2701u + w->cpu;
	unsigned int i;

	for (i = 0; i < RACE_ITERS; i++) {
		struct vtimer *t = &rc.t[rand_below(&seed, RACE_TIMERS)];
		struct vtimer_vcpu *to = &rc.v[rand_below(&seed, RACE_VCPUS)];

		worker_doing(w, "vtimer_migrate");
		vtimer_migrate(t, to, 0);
		watchdog_bump();
	}
}

static void race_locker_fn(struct vt_worker *w)
{
	uint64_t seed = 0x10c4e12u + w->cpu;
	unsigned int i;

	for (i = 0; i < RACE_ITERS; i++) {
		struct vtimer *t = &rc.t[rand_below(&seed, RACE_TIMERS)];
		struct vtimer_vcpu *v;
		struct vtimer *pos;
		bool found = false;

		switch (rand_below(&seed, 4)) {
		case 0:
			worker_doing(w, "vtimer_set_period");
			vtimer_set_period(t, MS + rand_below(&seed, MS), 0);
			break;
		case 1:
			worker_doing(w, "vtimer_remaining");
			TCHECK(vtimer_remaining(t, 0) != 0);
			break;
		default:
			worker_doing(w, "vtimer_lock");
			v = vtimer_lock(t);
			TCHECK(atomic_load(&v->lock.owner) ==
			       smp_processor_id() + 1);
			TCHECK(READ_ONCE(t->owner) == v);
			list_for_each_entry(pos, &v->timers, node)
				found |= pos == t;
			TCHECK(found == (t->state == VTIMER_ACTIVE));
			if (i % 8 == 0)
				sched_yield();	/* let a mover try now */
			TCHECK(READ_ONCE(t->owner) == v);
			vtimer_unlock(t);
			break;
		}
		watchdog_bump();
	}
}

static void xsa336_random(void)
{
	struct vt_worker w[RACE_MOVERS + RACE_LOCKERS];
	unsigned int i, n = 0;

	vcpus_init(rc.v, RACE_VCPUS);
	for (i = 0; i < RACE_TIMERS; i++) {
		probe_reset(&rc.p[i]);
		vtimer_init(&rc.t[i], &rc.v[i % RACE_VCPUS], &probe_sink,
			    &rc.p[i], i, VTIMER_DELAY_MISSED);
		if (i < RACE_TIMERS - 1)	/* one stays inactive */
			vtimer_start(&rc.t[i], &rc.v[i % RACE_VCPUS], 0,
				     10 * MS, 10 * MS);
	}
	atomic_store(&thread_failures, 0);
	for (i = 0; i < RACE_MOVERS; i++, n++)
		vt_worker_start(&w[n], 1 + n, n, race_mover_fn);
	for (i = 0; i < RACE_LOCKERS; i++, n++)
		vt_worker_start(&w[n], 1 + n, n, race_locker_fn);
	watchdog_start(w, n, rc.v, RACE_VCPUS);
	for (i = 0; i < n; i++)
		vt_worker_join(&w[i]);
	watchdog_stop();
	CHECK_EQ(thread_failures, 0);

	for (i = 0; i < RACE_TIMERS; i++) {
		CHECK_EQ(on_list(rc.t[i].owner, &rc.t[i]),
			 i < RACE_TIMERS - 1);
		vtimer_destroy(&rc.t[i]);
	}
	for (i = 0; i < RACE_VCPUS; i++)
		CHECK_EQ(list_length(&rc.v[i]), 0);
}

/* ---- Stress: 8 vCPUs, every kind of caller at once, against a model --- */

/*
 * Time advances in phases. In each phase every thread uses the same now,
 * the phase's virtual time, which only the main thread changes, between
 * two barriers. Every vtimer call brings the timers it touches up to date
 * at now before it changes anything, and bringing a timer up to date twice
 * at the same now is a no-op, so the outcome of a phase does not depend on
 * how its calls interleave: a model that replays only the reconfiguration
 * calls (and brings itself up to date at their now) knows how many periods
 * each timer saw come due while it was programmed. Each of those is a tick
 * that must reach the sink exactly once, or come back as discarded from
 * vtimer_stop()/vtimer_start() (delay-for-missed-ticks timers); a
 * no-missed-ticks timer delivers one tick per delivery, and at most that.
 *
 * Threads: one exit thread per vCPU (updates; a zero-length save/restore
 * that exercises freezing and thawing while timers move in and out),
 * movers (vtimer_migrate() at random, and vtimer_lock() checks),
 * reconfigurers (start, stop, set_period, remaining; each owns a fixed
 * share of the timers and their model), and an auditor that locks all
 * vCPUs in id order and checks that every timer is on exactly its
 * owner's list iff it is active.
 */
#define ST_VCPUS      8
#define ST_TIMERS     24
#define ST_MOVERS     2
#define ST_RECONFS    2
#define ST_WORKERS    (ST_VCPUS + ST_MOVERS + ST_RECONFS + 1)
#define ST_PHASES     2000
#define ST_UPDATES    3	/* per exit thread and phase */
#define ST_MOVES      4	/* per mover and phase */
#define ST_OPS        4	/* per reconfigurer and phase */
#define ST_AUDITS     2	/* per phase */

struct st_timer {
	struct vtimer t;
	/* Atomic, from the sink. */
	uint64_t fired;
	uint64_t calls;
	/* The reconfigurer's (index % ST_RECONFS), the main thread's at the end. */
	uint64_t dropped;	/* returned by vtimer_stop()/vtimer_start() */
	bool m_on;		/* model: programmed, not stopped */
	uint64_t m_deadline;	/* model: next deadline; NEVER: one-shot spent */
	uint64_t m_period;
	uint64_t m_expected;	/* model: periods come due while programmed */
};

static struct {
	struct vtimer_vcpu v[ST_VCPUS];
	struct st_timer t[ST_TIMERS];
	uint64_t now;		/* atomic; the phase's virtual time */
	pthread_barrier_t start, end;
} st;

static void model_advance(struct st_timer *s, uint64_t now)
{
	uint64_t n;

	if (!s->m_on || s->m_deadline == VTIMER_NEVER || s->m_deadline > now)
		return;
	if (!s->m_period) {
		s->m_expected++;
		s->m_deadline = VTIMER_NEVER;
		return;
	}
	n = (now - s->m_deadline) / s->m_period + 1;
	s->m_deadline += n * s->m_period;
	s->m_expected += n;
}

static bool model_armed(const struct st_timer *s)
{
	return s->m_on && s->m_deadline != VTIMER_NEVER;
}

static void st_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		    unsigned int ticks)
{
	struct st_timer *s = ctx;
	unsigned int cpu = smp_processor_id();

	/* Delivered by the update of v, on v's exit thread (or CPU 0). */
	TCHECK(cpu == 0 || v == &st.v[cpu - 1]);
	TCHECK(irq == (unsigned int)(s - st.t));
	TCHECK(ticks >= 1);
	TCHECK(s->t.missed == VTIMER_DELAY_MISSED || ticks == 1);
	atomic_fetch_add(&s->fired, ticks);
	atomic_fetch_add(&s->calls, 1);
}

static const struct vtimer_sink st_sink = {
	.fire = st_fire,
	.name = "stress",
};

static uint64_t st_now(void)
{
	return atomic_load(&st.now);
}

static void st_phase_begin(struct vt_worker *w)
{
	worker_doing(w, "at the phase barrier");
	pthread_barrier_wait(&st.start);
}

static void st_phase_end(struct vt_worker *w)
{
	worker_doing(w, "at the phase barrier");
	pthread_barrier_wait(&st.end);
}

static void st_exit_fn(struct vt_worker *w)
{
	struct vtimer_vcpu *v = &st.v[w->index];
	unsigned int phase, i;

	for (phase = 0; phase < ST_PHASES; phase++) {
		uint64_t now;

		st_phase_begin(w);
		now = st_now();
		for (i = 0; i < ST_UPDATES; i++) {
			worker_doing(w, "vtimer_update_irq");
			vtimer_update_irq(v, now);
			watchdog_bump();
			sched_yield();
		}
		worker_doing(w, "vtimer_next_deadline");
		vtimer_next_deadline(v);
		if (phase % 4 == w->index % 4) {
			/* Off and back at the same now: nothing shifts. */
			worker_doing(w, "vtimer_save");
			vtimer_save(v, now);
			sched_yield();
			worker_doing(w, "vtimer_restore");
			vtimer_restore(v, now);
			worker_doing(w, "vtimer_update_irq");
			vtimer_update_irq(v, now);
		}
		watchdog_bump();
		st_phase_end(w);
	}
}

static void st_mover_fn(struct vt_worker *w)
{
	uint64_t seed = 0x3a7e0ull + w->cpu;
	unsigned int phase, i;

	for (phase = 0; phase < ST_PHASES; phase++) {
		uint64_t now;

		st_phase_begin(w);
		now = st_now();
		for (i = 0; i < ST_MOVES; i++) {
			struct st_timer *s = &st.t[rand_below(&seed, ST_TIMERS)];
			struct vtimer_vcpu *v;

			worker_doing(w, "vtimer_migrate");
			vtimer_migrate(&s->t,
				       &st.v[rand_below(&seed, ST_VCPUS)], now);
			/* Group 2 locker: the vCPU it gets owns the timer. */
			worker_doing(w, "vtimer_lock");
			v = vtimer_lock(&s->t);
			TCHECK(s->t.owner == v);
			TCHECK((s->t.state == VTIMER_ACTIVE) ==
			       list_node_linked(&s->t.node));
			vtimer_unlock(&s->t);
			watchdog_bump();
		}
		st_phase_end(w);
	}
}

/* One random reconfiguration of s at now, mirrored in the model. */
static void st_reconf_one(struct vt_worker *w, struct st_timer *s, uint64_t now,
			  uint64_t *seed)
{
	unsigned int r = rand_below(seed, 8);
	uint64_t first, period, left;
	int ret;

	/* Whatever the call, it first brings the timer up to date at now. */
	model_advance(s, now);
	if (!s->m_on || r < 2) {
		first = now + 1 + rand_below(seed, 2 * MS);
		if (now > 200 * US && rand_below(seed, 4) == 0)
			first = now - rand_below(seed, 200 * US);  /* due */
		period = rand_below(seed, 5) == 0 ?
			 0 : 50 * US + rand_below(seed, 2 * MS);
		worker_doing(w, "vtimer_start");
		s->dropped += vtimer_start(&s->t,
					   &st.v[rand_below(seed, ST_VCPUS)],
					   now, first, period);
		s->m_on = true;
		s->m_deadline = first;
		s->m_period = period;
	} else if (r < 4) {
		worker_doing(w, "vtimer_stop");
		s->dropped += vtimer_stop(&s->t, now);
		s->m_on = false;
	} else if (r < 6) {
		period = 50 * US + rand_below(seed, 2 * MS);
		worker_doing(w, "vtimer_set_period");
		ret = vtimer_set_period(&s->t, period, now);
		TCHECK(ret == (model_armed(s) ? 0 : -ENOENT));
		if (!ret)
			s->m_period = period;
	} else {
		worker_doing(w, "vtimer_remaining");
		left = vtimer_remaining(&s->t, now);
		TCHECK(left == (model_armed(s) ?
				s->m_deadline - now : VTIMER_NEVER));
	}
}

static void st_reconf_fn(struct vt_worker *w)
{
	uint64_t seed = 0xc0ffee11ull + w->cpu;
	unsigned int phase, i, mine = ST_TIMERS / ST_RECONFS;

	for (phase = 0; phase < ST_PHASES; phase++) {
		uint64_t now;

		st_phase_begin(w);
		now = st_now();
		for (i = 0; i < ST_OPS; i++) {
			unsigned int k = rand_below(&seed, mine);

			st_reconf_one(w, &st.t[k * ST_RECONFS + w->index],
				      now, &seed);
			watchdog_bump();
		}
		st_phase_end(w);
	}
}

/*
 * Locks every vCPU in id order and checks list membership against owner
 * and state. Returns the number of failures (reported as they are found).
 */
static unsigned int st_audit(void)
{
	unsigned int count[ST_TIMERS] = { 0 };
	unsigned int i, bad = 0;
	struct vtimer *t;

	for (i = 0; i < ST_VCPUS; i++)
		vtimer_vcpu_lock(&st.v[i]);
	for (i = 0; i < ST_VCPUS; i++) {
		struct vtimer_vcpu *v = &st.v[i];

		list_for_each_entry(t, &v->timers, node) {
			struct st_timer *s = container_of(t, struct st_timer, t);
			bool want_frozen = v->frozen &&
					   t->missed == VTIMER_DELAY_MISSED;

			count[s - st.t]++;
			if (t->owner != v || t->state != VTIMER_ACTIVE ||
			    t->frozen != want_frozen) {
				thread_fail("timer %u on vcpu %u: owner vcpu %d, state %d, frozen %d",
					    (unsigned int)(s - st.t), i,
					    (int)(t->owner - st.v), t->state,
					    t->frozen);
				bad++;
			}
		}
	}
	for (i = 0; i < ST_TIMERS; i++) {
		struct vtimer *t = &st.t[i].t;
		unsigned int want = t->state == VTIMER_ACTIVE;

		if (count[i] != want || t->owner < st.v ||
		    t->owner >= st.v + ST_VCPUS) {
			thread_fail("timer %u: on %u lists, state %d",
				    i, count[i], t->state);
			bad++;
		}
	}
	for (i = ST_VCPUS; i-- > 0;)
		vtimer_vcpu_unlock(&st.v[i]);
	return bad;
}

static void st_auditor_fn(struct vt_worker *w)
{
	unsigned int phase, i;

	for (phase = 0; phase < ST_PHASES; phase++) {
		st_phase_begin(w);
		for (i = 0; i < ST_AUDITS; i++) {
			worker_doing(w, "st_audit (all vCPU locks)");
			st_audit();
			watchdog_bump();
			sched_yield();
		}
		st_phase_end(w);
	}
}

static void stress(void)
{
	struct vt_worker w[ST_WORKERS];
	unsigned long saved_loops = lock_stuck_loops;
	uint64_t seed = 0x5eed5eedull, now = 0;
	uint64_t fired = 0, dropped = 0, expected = 0;
	unsigned int i, n = 0, phase;

	vcpus_init(st.v, ST_VCPUS);
	for (i = 0; i < ST_TIMERS; i++) {
		struct st_timer *s = &st.t[i];

		memset(s, 0, sizeof(*s));
		vtimer_init(&s->t, &st.v[i % ST_VCPUS], &st_sink, s, i,
			    i % 6 == 5 ? VTIMER_NO_MISSED : VTIMER_DELAY_MISSED);
		s->m_on = true;
		s->m_deadline = rand_below(&seed, 2 * MS);
		s->m_period = 50 * US + rand_below(&seed, 2 * MS);
		vtimer_start(&s->t, &st.v[i % ST_VCPUS], 0, s->m_deadline,
			     s->m_period);
	}
	atomic_store(&st.now, 0);
	atomic_store(&thread_failures, 0);
	pthread_barrier_init(&st.start, NULL, ST_WORKERS + 1);
	pthread_barrier_init(&st.end, NULL, ST_WORKERS + 1);
	/* A deadlocked lock says who holds it long before the watchdog. */
	WRITE_ONCE(lock_stuck_loops, 1ul << 20);

	for (i = 0; i < ST_VCPUS; i++, n++)
		vt_worker_start(&w[n], 1 + n, i, st_exit_fn);
	for (i = 0; i < ST_MOVERS; i++, n++)
		vt_worker_start(&w[n], 1 + n, i, st_mover_fn);
	for (i = 0; i < ST_RECONFS; i++, n++)
		vt_worker_start(&w[n], 1 + n, i, st_reconf_fn);
	vt_worker_start(&w[n], 1 + n, 0, st_auditor_fn);
	n++;
	watchdog_start(w, n, st.v, ST_VCPUS);

	for (phase = 0; phase < ST_PHASES; phase++) {
		/* Steps from a tenth of the shortest period to many periods. */
		now += 5 * US + rand_below(&seed, 3 * MS);
		atomic_store(&st.now, now);
		pthread_barrier_wait(&st.start);
		pthread_barrier_wait(&st.end);
	}
	for (i = 0; i < n; i++)
		vt_worker_join(&w[i]);
	watchdog_stop();
	WRITE_ONCE(lock_stuck_loops, saved_loops);
	pthread_barrier_destroy(&st.start);
	pthread_barrier_destroy(&st.end);
	CHECK_EQ(thread_failures, 0);

	/* Deliver what is left, then account for every period. */
	now += 10 * MS;
	for (i = 0; i < ST_VCPUS; i++)
		vtimer_update_irq(&st.v[i], now);
	CHECK_EQ(st_audit(), 0);
	for (i = 0; i < ST_TIMERS; i++) {
		struct st_timer *s = &st.t[i];

		model_advance(s, now);
		CHECK_EQ(s->t.inflight, 0);
		CHECK_EQ(s->t.pending, 0);
		CHECK_EQ(s->t.delivered, s->fired);
		CHECK_EQ(s->t.discarded, s->dropped);
		if (s->t.missed == VTIMER_DELAY_MISSED) {
			CHECK_EQ(s->fired + s->dropped, s->m_expected);
		} else {
			CHECK_EQ(s->calls, s->fired);
			CHECK(s->fired + s->dropped <= s->m_expected);
			CHECK(s->fired + s->dropped > 0 || !s->m_expected);
		}
		fired += s->fired;
		dropped += s->dropped;
		expected += s->m_expected;
	}
	for (i = 0; i < ST_TIMERS; i++)
		vtimer_destroy(&st.t[i].t);
	for (i = 0; i < ST_VCPUS; i++)
		vtimer_vcpu_destroy(&st.v[i]);
	CHECK(fired > 1000);
	printf("  stress: %u phases, %llu periods due, %llu ticks fired, %llu discarded by stop/start, %lu lock stuck reports\n",
	       ST_PHASES, (unsigned long long)expected,
	       (unsigned long long)fired, (unsigned long long)dropped,
	       atomic_load(&lock_stuck_reports));
}

int main(void)
{
	shim_set_cpu(0);
	RUN(periodic_every_period);
	RUN(catch_up_delay);
	RUN(catch_up_no_missed);
	RUN(one_shot);
	RUN(stop_and_restart);
	RUN(set_period);
	RUN(next_deadline_is_min);
	RUN(save_restore);
	RUN(migrate_moves_everything);
	RUN(sink_calls_back);
	RUN(many_due_at_once);
	RUN(destroy_waits_for_fire);
	RUN(xsa336_stop_vs_migrate);
	RUN(xsa336_start_vs_migrate);
	RUN(xsa336_random);
	RUN(stress);
	return check_done();
}
