/*
 * Hosted test of core/vtimer.c on one CPU: virtual periodic timers on
 * per-vCPU lists.
 *
 * Scenario: a VM's vCPUs (struct vtimer_vcpu) carry timers that fire into
 * probe sinks counting what they get (tests/host/test_vtimer.h). The cases
 * pin the arithmetic: ticks every period, catch-up after a gap under both
 * missed-tick policies, one-shots, stop and restart, period changes, the
 * earliest deadline, save/restore, migration, sinks that call back, many
 * timers due at once, and the invariant check finding lists corrupted
 * by hand.
 */
#include "tests/host/test_vtimer.h"

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

/*
 * The run loop's update hands back the next deadline from its own hold of
 * the lock: the value vtimer_next_deadline() gives right after, whether
 * ticks are still owed (0), a one-shot retired, deadlines moved by a
 * save and restore, more timers came due than one batch holds, or none
 * is armed; a sink that
 * re-arms its timer from the delivery leaves the value stale, and kicks.
 */
static void rearm_from_sink(struct probe *p, struct vtimer_vcpu *v)
{
	vtimer_start(p->t, v, cb_now, cb_now + 1 * MS, 0);
}

static void update_next_is_next_deadline(void)
{
	enum { N = 11 };
	struct vtimer_vcpu v;
	struct vtimer t[N];
	struct probe p;
	uint64_t next, now;
	unsigned int i;

	probe_reset(&p);
	vcpus_init(&v, 1);
	for (i = 0; i < N; i++)
		vtimer_init(&t[i], &v, &probe_sink, &p, i,
			    i % 2 ? VTIMER_NO_MISSED : VTIMER_DELAY_MISSED);
	CHECK_EQ(vtimer_update_irq_next(&v, 0, &next), 0);
	CHECK_EQ(next, VTIMER_NEVER);
	vtimer_start(&t[0], &v, 0, 5 * MS, 0);			/* one-shot */
	vtimer_start(&t[1], &v, 0, 3 * MS, 4 * MS);
	vtimer_start(&t[2], &v, 0, 2 * MS, 1 * MS);
	for (now = 0; now <= 40 * MS; now += 700 * US) {
		if (now == 14 * MS)
			vtimer_save(&v, now);	/* off the CPU: no update */
		if (now >= 14 * MS && now < 21 * MS)
			continue;
		if (now == 21 * MS)
			vtimer_restore(&v, now);	/* deadlines moved */
		vtimer_update_irq_next(&v, now, &next);
		CHECK_EQ(next, vtimer_next_deadline(&v));
	}
	/* More due at once than a batch: the last pass's value. */
	for (i = 3; i < N; i++)
		vtimer_start(&t[i], &v, now, now + i * US, 1 * MS);
	now += 5 * MS;
	CHECK(vtimer_update_irq_next(&v, now, &next) >= N - 3);
	CHECK_EQ(next, vtimer_next_deadline(&v));
	for (i = 0; i < N; i++)
		vtimer_stop(&t[i], now);
	vtimer_update_irq_next(&v, now, &next);
	CHECK_EQ(next, VTIMER_NEVER);

	/* Re-armed from the sink: stale, and the vCPU is kicked. */
	p.hook = rearm_from_sink;
	p.t = &t[0];
	cb_now = now + 1 * MS;
	vtimer_start(&t[0], &v, now, cb_now, 0);
	atomic_store(&kicks[0], 0);
	CHECK_EQ(vtimer_update_irq_next(&v, cb_now, &next), 1);
	CHECK_EQ(next, VTIMER_NEVER);
	CHECK_EQ(vtimer_next_deadline(&v), cb_now + 1 * MS);
	CHECK(atomic_load(&kicks[0]) >= 1);
	CHECK_EQ(p.bad, 0);
	for (i = 0; i < N; i++)
		vtimer_destroy(&t[i]);
	vtimer_vcpu_destroy(&v);
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

/* Did the check record exactly this violation on v? */
static bool broken_is(struct vtimer_vcpu *v, const char *what)
{
	const char *got = vtimer_vcpu_broken(v);

	if (got && !strcmp(got, what))
		return true;
	fprintf(stderr, "  vCPU %u: broken is \"%s\", expected \"%s\"\n", v->id,
		got ? got : "(none)", what);
	return false;
}

/*
 * The invariant check (VTIMER_CHECK): lists corrupted by hand the way a
 * missing lock or a move without an unlink would corrupt them are found
 * by the next walk, start, stop or migration, recorded on the vCPU with
 * what was wrong, and left alone: nothing is delivered from them.
 */
static void invariant_check(void)
{
	struct vtimer_vcpu v[2];
	struct vtimer t[2];
	struct probe p;

	/* A timer on one list whose owner names the other vCPU. */
	probe_reset(&p);
	vcpus_init(v, 2);
	vtimer_init(&t[0], &v[0], &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&t[0], &v[0], 0, 1 * MS, 1 * MS);
	CHECK(vtimer_vcpu_broken(&v[0]) == NULL);
	t[0].owner = &v[1];
	CHECK_EQ(vtimer_update_irq(&v[0], 5 * MS), 0);
	CHECK(broken_is(&v[0], "a timer on this vCPU's list names another owner"));
	CHECK_EQ(p.calls, 0);

	/* A timer put on a second list without leaving the first. */
	probe_reset(&p);
	vcpus_init(v, 2);
	vtimer_init(&t[0], &v[0], &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_init(&t[1], &v[1], &probe_sink, &p, 1, VTIMER_DELAY_MISSED);
	vtimer_start(&t[0], &v[0], 0, 1 * MS, 1 * MS);
	vtimer_start(&t[1], &v[1], 0, 1 * MS, 1 * MS);
	list_add_tail(&t[0].node, &v[1].timers);
	CHECK_EQ(vtimer_update_irq(&v[0], 5 * MS), 0);
	CHECK(broken_is(&v[0], "a timer's links lead to another list"));
	vtimer_update_irq(&v[1], 5 * MS);
	CHECK(vtimer_vcpu_broken(&v[1]) != NULL);

	/* An ACTIVE timer on no list: stop and migrate refuse to touch it. */
	probe_reset(&p);
	vcpus_init(v, 2);
	vtimer_init(&t[0], &v[0], &probe_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&t[0], &v[0], 0, 1 * MS, 1 * MS);
	list_del_init(&t[0].node);
	vtimer_migrate(&t[0], &v[1], 2 * MS);
	CHECK(broken_is(&v[0], "an ACTIVE timer is on no list"));
	CHECK(t[0].owner == &v[0]);
	CHECK_EQ(vtimer_stop(&t[0], 3 * MS), 0);
	CHECK_EQ(t[0].state, VTIMER_ACTIVE);
	CHECK(vtimer_vcpu_broken(&v[1]) == NULL);
	/* Teardown after a violation: no list operation on doubtful links. */
	vtimer_destroy(&t[0]);
	CHECK_EQ(t[0].state, VTIMER_DEAD);
	vtimer_vcpu_destroy(&v[0]);
	vtimer_vcpu_destroy(&v[1]);
}

/* probe_sink, counting on ack: fire() raises one owed tick at a time. */
static const struct vtimer_sink probe_ack_sink = {
	.fire = probe_fire,
	.name = "probe ack",
	.ack = true,
};

/*
 * Ticks counted when the guest takes them (docs/vtimer.md, "Delivery"):
 * late ticks are owed and raised one at a time, each counted once on
 * vtimer_ack(), across a move and a save/restore of the owner; a raised
 * tick not taken is raised again when a new period comes; the backlog
 * stops at one second's worth; a stop drops what is owed.
 */
static void ack_one_at_a_time(void)
{
	struct vtimer_vcpu v[2];
	struct vtimer t;
	struct probe p;
	uint64_t next;
	unsigned int k;

	probe_reset(&p);
	vcpus_init(v, 2);
	vtimer_init(&t, &v[0], &probe_ack_sink, &p, 0, VTIMER_DELAY_MISSED);
	vtimer_start(&t, &v[0], 0, 10 * MS, 10 * MS);

	/*
	 * Nine periods late: one raised, nine owed; the run loop's deadline
	 * from the same update is the next period, not 0 (which would make
	 * the vCPU exit at once, again and again, until the guest takes it).
	 */
	CHECK_EQ(vtimer_update_irq_next(&v[0], 95 * MS, &next), 1);
	CHECK_EQ(next, 100 * MS);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last_ticks, 1);
	CHECK_EQ(t.pending, 9);
	CHECK_EQ(t.delivered, 0);
	/* The raised one waits on the guest: no busy exits meanwhile. */
	CHECK_EQ(vtimer_next_deadline(&v[0]), 100 * MS);
	CHECK_EQ(vtimer_update_irq(&v[0], 95 * MS), 0);
	/*
	 * Taken on v0 itself: counted, the next is due at once, and v0 is
	 * kicked all the same: its run loop took its deadline before the
	 * injection that took the tick.
	 */
	CHECK(vtimer_ack(&t, &v[0], 95 * MS));
	CHECK_EQ(t.delivered, 1);
	CHECK_EQ(t.pending, 8);
	CHECK_EQ(atomic_load(&kicks[0]), 2);	/* the start's and the ack's */
	CHECK_EQ(vtimer_next_deadline(&v[0]), 0);
	CHECK_EQ(vtimer_update_irq(&v[0], 95 * MS), 1);

	/* Moved with one raised: the count travels, v1 raises no second. */
	vtimer_migrate(&t, &v[1], 95 * MS);
	CHECK_EQ(t.pending, 8);
	CHECK_EQ(vtimer_update_irq(&v[0], 95 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v[1], 95 * MS), 0);
	/* The guest took it on v0 (its IRR had it): v1 is kicked. */
	k = atomic_load(&kicks[1]);
	CHECK(vtimer_ack(&t, &v[0], 95 * MS));
	CHECK_EQ(atomic_load(&kicks[1]), k + 1);
	CHECK_EQ(t.pending, 7);
	CHECK_EQ(vtimer_update_irq(&v[1], 95 * MS), 1);

	/* v1 descheduled 100 ms: time stops, the owed ones stay owed. */
	vtimer_save(&v[1], 96 * MS);
	CHECK(vtimer_ack(&t, &v[1], 150 * MS));
	CHECK_EQ(t.pending, 6);
	vtimer_restore(&v[1], 196 * MS);
	CHECK_EQ(vtimer_next_deadline(&v[1]), 0);
	for (k = 0; k < 6; k++) {
		CHECK_EQ(vtimer_update_irq(&v[1], 196 * MS), 1);
		CHECK_EQ(vtimer_update_irq(&v[1], 196 * MS), 0);	/* one */
		CHECK(vtimer_ack(&t, &v[1], 196 * MS));
	}
	CHECK(!vtimer_ack(&t, &v[1], 196 * MS));	/* none owed: not counted */
	CHECK_EQ(t.delivered, 9);
	CHECK_EQ(t.pending, 0);
	/* The deadline moved by the 100 ms off: 100 -> 200 ms. */
	CHECK_EQ(vtimer_next_deadline(&v[1]), 200 * MS);

	/* Raised, not taken (masked line): raised again at the next period. */
	CHECK_EQ(vtimer_update_irq(&v[1], 200 * MS), 1);
	k = (unsigned int)p.calls;
	CHECK_EQ(vtimer_update_irq(&v[1], 205 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v[1], 210 * MS), 1);
	CHECK_EQ(p.calls, k + 1);
	CHECK_EQ(t.pending, 2);
	CHECK(vtimer_ack(&t, &v[1], 210 * MS));
	CHECK(vtimer_ack(&t, &v[1], 210 * MS));	/* both raises reached the guest */
	CHECK(!vtimer_ack(&t, &v[1], 210 * MS));
	CHECK_EQ(t.delivered, 11);

	/*
	 * Raised on v1, moved to v0 before the guest took it: v0 raises it
	 * again at the next period, not at once (whether the interrupt still
	 * waits in v1's IRR is the device's to say: test_timer_route).
	 */
	CHECK_EQ(vtimer_update_irq(&v[1], 220 * MS), 1);
	vtimer_migrate(&t, &v[0], 221 * MS);
	k = (unsigned int)p.calls;
	CHECK_EQ(vtimer_next_deadline(&v[0]), 230 * MS);	/* no busy exits */
	CHECK_EQ(vtimer_update_irq(&v[0], 225 * MS), 0);
	CHECK_EQ(vtimer_update_irq(&v[0], 230 * MS), 1);
	CHECK_EQ(p.calls, k + 1);
	CHECK(p.last_v == &v[0]);
	CHECK_EQ(p.last_ticks, 12);		/* the same tick's number */
	CHECK_EQ(t.pending, 2);
	vtimer_migrate(&t, &v[1], 230 * MS);
	while (vtimer_ack(&t, &v[1], 230 * MS))
		;
	CHECK_EQ(t.delivered, 11 + 2);
	CHECK_EQ(vtimer_update_irq(&v[1], 235 * MS), 0);

	/* Five seconds with nothing taken: 100 owed (1 s), the rest dropped. */
	CHECK_EQ(vtimer_update_irq(&v[1], 5230 * MS), 1);
	CHECK_EQ(t.pending, VTIMER_ACK_BACKLOG_NS / (10 * MS));
	CHECK_EQ(t.discarded, 500 - 100);
	/* A stop drops them all, the raised one too; a late ack counts none. */
	CHECK_EQ(vtimer_stop(&t, 5230 * MS), 100);
	CHECK(!vtimer_ack(&t, &v[1], 5230 * MS));
	CHECK_EQ(t.delivered, 13);
	CHECK_EQ(p.bad, 0);
	vtimer_destroy(&t);
	vtimer_vcpu_destroy(&v[0]);
	vtimer_vcpu_destroy(&v[1]);
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
	RUN(update_next_is_next_deadline);
	RUN(many_due_at_once);
	RUN(invariant_check);
	RUN(ack_one_at_a_time);
	return check_done();
}
