/*
 * What the hosted tests of core/vtimer.c share (test_vtimer.c,
 * test_vtimer_race.c): worker threads that stand for CPUs, failures
 * reported from threads, a watchdog that turns a deadlock into a failure
 * saying which CPU holds which vCPU lock, and a probe sink that counts the
 * ticks it gets.
 *
 * Time is virtual: every call gets an explicit now, so no case depends on
 * how fast the host runs. Each thread registers a distinct CPU id with
 * shim_set_cpu() (the main thread is CPU 0).
 */
#ifndef TESTS_HOST_TEST_VTIMER_H
#define TESTS_HOST_TEST_VTIMER_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/vtimer.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define MS 1000000ull			/* virtual ns */
#define US 1000ull
#define WATCHDOG_NS 20000000000ull	/* no progress this long: deadlock */
#define MAX_VCPUS   8

/* ---- Threads, failures from threads, watchdog ------------------------ */

struct vt_worker {
	pthread_t thread;
	unsigned int cpu;
	unsigned int index;
	void (*fn)(struct vt_worker *w);
	/* What the thread is doing, for the watchdog: a static string. */
	const char *doing;
};

static inline void *vt_worker_main(void *arg)
{
	struct vt_worker *w = arg;

	shim_set_cpu(w->cpu);
	w->fn(w);
	atomic_store(&w->doing, "finished");
	return NULL;
}

static inline void vt_worker_start(struct vt_worker *w, unsigned int cpu,
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

static inline void vt_worker_join(struct vt_worker *w)
{
	pthread_join(w->thread, NULL);
}

static inline void worker_doing(struct vt_worker *w, const char *what)
{
	atomic_store(&w->doing, what);
}

/* Failures seen by worker threads (CHECK is not thread-safe). */
static uint32_t thread_failures;

static inline void __printf(1, 2) thread_fail(const char *fmt, ...)
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

static inline void watchdog_bump(void)
{
	__atomic_fetch_add(&watchdog.progress, 1, __ATOMIC_RELAXED);
}

static inline void watchdog_report(void)
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

static inline void *watchdog_main(void *arg)
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

static inline void watchdog_start(struct vt_worker *workers, unsigned int nr_workers,
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

static inline void watchdog_stop(void)
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

static inline void probe_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
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

static inline void count_kick(struct vtimer_vcpu *v)
{
	/* Kicks come after the lock is dropped, too. */
	if (!spin_is_locked(&v->lock))
		atomic_fetch_add(&kicks[v->id], 1);
}

static inline void probe_reset(struct probe *p)
{
	memset(p, 0, sizeof(*p));
}

static inline void vcpus_init(struct vtimer_vcpu *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		vtimer_vcpu_init(&v[i], i, count_kick);
		atomic_store(&kicks[i], 0);
	}
}

/* True if t is on v's list; takes v's lock (group 1). */
static inline bool on_list(struct vtimer_vcpu *v, struct vtimer *t)
{
	struct vtimer *pos;
	bool found = false;

	vtimer_vcpu_lock(v);
	list_for_each_entry(pos, &v->timers, node)
		found |= pos == t;
	vtimer_vcpu_unlock(v);
	return found;
}

static inline unsigned int list_length(struct vtimer_vcpu *v)
{
	struct vtimer *pos;
	unsigned int n = 0;

	vtimer_vcpu_lock(v);
	list_for_each_entry(pos, &v->timers, node)
		n++;
	vtimer_vcpu_unlock(v);
	return n;
}

#endif
