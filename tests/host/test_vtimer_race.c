/*
 * Hosted test of core/vtimer.c on several threads: virtual periodic timers
 * on per-vCPU lists, moved and reprogrammed while other CPUs use them.
 *
 * Scenario: destroy waits for a delivery that is running; the XSA-336 race
 * (a timer moves while a group 2 or 3 caller waits for its old owner's
 * lock), step by step and at random; and a stress run of 8 vCPUs with
 * exit, migrator, reconfiguration and audit threads against a model that
 * counts every period that came due, so that no tick is lost or delivered
 * twice. A watchdog (tests/host/test_vtimer.h) turns a deadlock into a
 * failure that says which CPU holds which vCPU lock.
 */
#include "tests/host/test_vtimer.h"

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
	until = time_now_ns() + TEST_WAIT_NS;
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
	RUN(destroy_waits_for_fire);
	RUN(xsa336_stop_vs_migrate);
	RUN(xsa336_start_vs_migrate);
	RUN(xsa336_random);
	RUN(stress);
	return check_done();
}
