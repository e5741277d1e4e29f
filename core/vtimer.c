/*
 * Virtual periodic timers on per-vCPU lists (see core/vtimer.h and
 * docs/vtimer.md).
 *
 * Runs in vCPU context, in the scheduler and in VM set-up and teardown;
 * any CPU, interrupts in either state. Takes only vCPU timer locks, at
 * most two at a time and then in id order; calls sinks and kicks only
 * after dropping them.
 */
#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/vtimer.h"

/*
 * Deliveries one pass of vtimer_update_irq() collects before it drops the
 * lock and fires them. A vCPU has a handful of timers (PIT, RTC, LAPIC,
 * HPET comparators); if more come due at once, the update takes another
 * pass.
 */
#define VTIMER_BATCH 8

/* One collected delivery, fired after the vCPU's lock is dropped. */
struct vtimer_delivery {
	struct vtimer *t;		/* for the inflight count only */
	const struct vtimer_sink *sink;
	void *ctx;
	unsigned int irq;
	unsigned int ticks;
};

void vtimer_vcpu_init(struct vtimer_vcpu *v, unsigned int id,
		      void (*kick)(struct vtimer_vcpu *v))
{
	spin_lock_init(&v->lock);
	list_init(&v->timers);
	v->frozen = false;
	v->broken = NULL;
	v->id = id;
	v->kick = kick;
}

void vtimer_vcpu_destroy(struct vtimer_vcpu *v)
{
	vtimer_vcpu_lock(v);
	/* A list the check found broken is abandoned, not emptied. */
	ASSERT(list_empty(&v->timers) || v->broken);
	vtimer_vcpu_unlock(v);
}

void vtimer_init(struct vtimer *t, struct vtimer_vcpu *v,
		 const struct vtimer_sink *sink, void *ctx, unsigned int irq,
		 enum vtimer_missed missed)
{
	ASSERT(sink && sink->fire);
	t->owner = v;
	list_init(&t->node);
	t->state = VTIMER_INACTIVE;
	t->frozen = false;
	t->deadline_ns = VTIMER_NEVER;
	t->left_ns = VTIMER_NEVER;
	t->period_ns = 0;
	t->pending = 0;
	t->raised = t->reraise = false;
	t->delivered = 0;
	t->discarded = 0;
	t->missed = missed;
	t->sink = sink;
	t->ctx = ctx;
	t->irq = irq;
	t->inflight = 0;
}

/* ---- Lock helpers ----------------------------------------------------- */

struct vtimer_vcpu *vtimer_lock(struct vtimer *t)
{
	for (;;) {
		/* Only a hint until re-checked under the lock. */
		struct vtimer_vcpu *v = READ_ONCE(t->owner);

		vtimer_vcpu_lock(v);
		/*
		 * The owner changes only under both the old and the new
		 * owner's locks. If it is still v, it stays v while we hold
		 * v's lock; if not, it moved between the read and the lock,
		 * and t is no longer on v's list: try its new owner.
		 * READ_ONCE because a mover that holds the other two locks
		 * may be writing it right now.
		 */
		if (likely(READ_ONCE(t->owner) == v))
			return v;
		vtimer_vcpu_unlock(v);
	}
}

void vtimer_unlock(struct vtimer *t)
{
	struct vtimer_vcpu *v = t->owner;	/* stable: we hold its lock */

	spin_assert_held(&v->lock);
	vtimer_vcpu_unlock(v);
}

/* Locks a and b, lower id first; one lock if they are the same vCPU. */
static void vtimer_vcpu_lock_two(struct vtimer_vcpu *a, struct vtimer_vcpu *b)
{
	if (a == b) {
		vtimer_vcpu_lock(a);
		return;
	}
	ASSERT(a->id != b->id);
	if (a->id < b->id) {
		vtimer_vcpu_lock(a);
		vtimer_vcpu_lock(b);
	} else {
		vtimer_vcpu_lock(b);
		vtimer_vcpu_lock(a);
	}
}

/* Drops the locks vtimer_vcpu_lock_two(a, b) took. */
static void vtimer_vcpu_unlock_two(struct vtimer_vcpu *a, struct vtimer_vcpu *b)
{
	if (a != b)
		vtimer_vcpu_unlock(b);
	vtimer_vcpu_unlock(a);
}

struct vtimer_vcpu *vtimer_lock_pair(struct vtimer *t, struct vtimer_vcpu *to)
{
	for (;;) {
		/* Only a hint until re-checked under the locks. */
		struct vtimer_vcpu *from = READ_ONCE(t->owner);

		vtimer_vcpu_lock_two(from, to);
		/* As in vtimer_lock(): if still from, stable from now on. */
		if (likely(READ_ONCE(t->owner) == from))
			return from;
		vtimer_vcpu_unlock_two(from, to);
	}
}

void vtimer_unlock_pair(struct vtimer_vcpu *from, struct vtimer_vcpu *to)
{
	spin_assert_held(&from->lock);
	spin_assert_held(&to->lock);
	vtimer_vcpu_unlock_two(from, to);
}

/* ---- Timer arithmetic; all with the owner's lock held ----------------- */

/*
 * Asserts that the caller holds the lock of t's owner: the lock that
 * guards t's fields and the list t is on. A caller that locked a vCPU t
 * has left (the XSA-336 race) fails here.
 */
static void vtimer_assert_locked(const struct vtimer *t)
{
	spin_assert_held(&t->owner->lock);
}

/* ---- The invariant check (VTIMER_CHECK) ------------------------------- */

/*
 * More timers than any vCPU has (PIT, two RTC timers, LAPIC, HPET
 * comparators): a walk that gets this far is going round a list that is
 * no longer the vCPU's own.
 */
#define VTIMER_CHECK_MAX_WALK 64

/* Records the first violation on v (its lock held); returns false. */
static bool vtimer_note_broken(struct vtimer_vcpu *v, const char *what)
{
	spin_assert_held(&v->lock);
	if (!v->broken)
		WRITE_ONCE(v->broken, what);
	return false;
}

/*
 * Is t, met on v's list right after prev, where it should be: ACTIVE,
 * owned by v, and linked back to prev? A timer that was put on a second
 * list, or moved without being unlinked, fails one of the three. v's
 * lock held.
 */
static bool vtimer_check_on_list(struct vtimer_vcpu *v, struct vtimer *t,
				 const struct list_head *prev)
{
	if (!VTIMER_CHECK)
		return true;
	if (t->node.prev != prev)
		return vtimer_note_broken(v, "a timer's links lead to another list");
	if (t->owner != v)
		return vtimer_note_broken(v, "a timer on this vCPU's list names another owner");
	if (t->state != VTIMER_ACTIVE)
		return vtimer_note_broken(v, "a timer on this vCPU's list is not ACTIVE");
	return true;
}

/*
 * Before a start, stop or migration changes t (its owner's lock held):
 * an ACTIVE timer is on a list, its neighbours point back at it; any
 * other timer is on none.
 */
static bool vtimer_check_one(struct vtimer *t)
{
	struct vtimer_vcpu *v = t->owner;
	bool linked = !list_empty(&t->node);

	if (!VTIMER_CHECK)
		return true;
	spin_assert_held(&v->lock);
	if (t->state == VTIMER_ACTIVE && !linked)
		return vtimer_note_broken(v, "an ACTIVE timer is on no list");
	if (t->state != VTIMER_ACTIVE && linked)
		return vtimer_note_broken(v, "a timer that is not ACTIVE is on a list");
	if (linked && (t->node.next->prev != &t->node ||
		       t->node.prev->next != &t->node))
		return vtimer_note_broken(v, "a timer's neighbours do not point back at it");
	return true;
}

/*
 * The most ticks t may owe when its sink counts on ack: one second's worth
 * of periods (VTIMER_ACK_BACKLOG_NS), at least one.
 */
static uint64_t vtimer_ack_backlog(const struct vtimer *t)
{
	if (!t->period_ns || t->period_ns >= VTIMER_ACK_BACKLOG_NS)
		return 1;
	return VTIMER_ACK_BACKLOG_NS / t->period_ns;
}

/* Adds ticks that came due to t's pending ones, as t's policy says. */
static void vtimer_add_pending(struct vtimer *t, uint64_t ticks)
{
	uint64_t cap;

	if (t->missed == VTIMER_NO_MISSED)
		t->pending = 1;
	else if (__builtin_add_overflow(t->pending, ticks, &t->pending))
		t->pending = UINT64_MAX;
	if (!t->sink->ack)
		return;
	/* A raised tick not taken yet is raised again with the new ones. */
	t->reraise = t->raised;
	cap = vtimer_ack_backlog(t);
	if (t->pending > cap) {
		t->discarded += t->pending - cap;
		t->pending = cap;
	}
}

/*
 * Brings t up to date at now: every deadline at or before now becomes a
 * tick, and the next deadline is the first one after now. Deadlines stay
 * on the grid first_deadline + k * period however late now is, so lazy
 * evaluation never drifts. A one-shot's deadline becomes VTIMER_NEVER.
 * Frozen and inactive timers do not move.
 */
static void vtimer_advance(struct vtimer *t, uint64_t now)
{
	uint64_t missed, step;

	if (t->state != VTIMER_ACTIVE || t->frozen ||
	    t->deadline_ns == VTIMER_NEVER || t->deadline_ns > now)
		return;
	if (!t->period_ns) {
		t->deadline_ns = VTIMER_NEVER;
		vtimer_add_pending(t, 1);
		return;
	}
	missed = (now - t->deadline_ns) / t->period_ns + 1;
	/* Past the end of time (584 years of ns): no further deadline. */
	if (__builtin_mul_overflow(missed, t->period_ns, &step) ||
	    __builtin_add_overflow(t->deadline_ns, step, &t->deadline_ns))
		t->deadline_ns = VTIMER_NEVER;
	vtimer_add_pending(t, missed);
}

/* True if t has a deadline to come: active and not a spent one-shot. */
static bool vtimer_armed(const struct vtimer *t)
{
	if (t->state != VTIMER_ACTIVE)
		return false;
	return (t->frozen ? t->left_ns : t->deadline_ns) != VTIMER_NEVER;
}

/*
 * Stops t's time at now: brings it up to date, so that the ticks owed so
 * far stay pending, and keeps the time left to its next deadline.
 */
static void vtimer_freeze(struct vtimer *t, uint64_t now)
{
	vtimer_assert_locked(t);
	ASSERT(t->state == VTIMER_ACTIVE && !t->frozen &&
	       t->missed == VTIMER_DELAY_MISSED);
	vtimer_advance(t, now);
	/* After the advance the deadline lies after now, or is NEVER. */
	t->left_ns = t->deadline_ns == VTIMER_NEVER ?
		     VTIMER_NEVER : t->deadline_ns - now;
	t->frozen = true;
}

/* Lets t's time run again from now, with the time it had left. */
static void vtimer_thaw(struct vtimer *t, uint64_t now)
{
	vtimer_assert_locked(t);
	ASSERT(t->state == VTIMER_ACTIVE && t->frozen);
	if (t->left_ns == VTIMER_NEVER ||
	    __builtin_add_overflow(now, t->left_ns, &t->deadline_ns))
		t->deadline_ns = VTIMER_NEVER;
	t->frozen = false;
}

/*
 * Takes active t off its owner's list and leaves it inactive, dropping
 * its pending ticks; returns how many it dropped.
 */
static uint64_t vtimer_unlink(struct vtimer *t)
{
	uint64_t dropped = t->pending;

	vtimer_assert_locked(t);
	ASSERT(t->state == VTIMER_ACTIVE);
	list_del_init(&t->node);
	t->state = VTIMER_INACTIVE;
	t->frozen = false;
	t->deadline_ns = VTIMER_NEVER;
	t->left_ns = VTIMER_NEVER;
	t->pending = 0;
	t->raised = t->reraise = false;
	t->discarded += dropped;
	return dropped;
}

/*
 * Ends t's current programming at now: brings it up to date and unlinks
 * it. Returns the ticks that were due and undelivered, now dropped; 0 for
 * an inactive t.
 */
static uint64_t vtimer_cancel(struct vtimer *t, uint64_t now)
{
	vtimer_assert_locked(t);
	if (t->state != VTIMER_ACTIVE)
		return 0;
	vtimer_advance(t, now);
	return vtimer_unlink(t);
}

/*
 * Moves up to UINT_MAX of t's pending ticks into delivery d, to be fired
 * once the lock is dropped.
 */
static void vtimer_collect(struct vtimer *t, struct vtimer_delivery *d)
{
	unsigned int ticks = t->pending > UINT32_MAX ?
			     UINT32_MAX : (unsigned int)t->pending;

	d->t = t;
	d->sink = t->sink;
	d->ctx = t->ctx;
	d->irq = t->irq;
	d->ticks = ticks;
	t->pending -= ticks;
	t->delivered += ticks;
	/*
	 * Under the owner's lock: vtimer_destroy() takes the lock after
	 * unlinking t, so it sees this increment (its acquire load pairs
	 * with the decrement after fire() in vtimer_update_irq()).
	 */
	atomic_fetch_add(&t->inflight, 1);
}

/*
 * A sink that counts on ack: should the update raise (again) one of t's
 * owed ticks? The first owed one when none is raised, and a raised one
 * again when more periods came due before the guest took it (it may have
 * been raised while the line was masked). The ticks stay pending until
 * vtimer_ack().
 */
static bool vtimer_ack_due(const struct vtimer *t)
{
	if (!t->pending)
		return false;
	if (!t->raised)
		return true;
	/*
	 * Raised again for new periods: the device pulses it only if its
	 * interrupt is no longer waiting in an IRR (vtimer_sink.ack).
	 */
	return t->reraise;
}

/* Collects the raise of one owed tick of t into d (vtimer_ack_due()). */
static void vtimer_collect_raise(struct vtimer *t, struct vtimer_delivery *d)
{
	d->t = t;
	d->sink = t->sink;
	d->ctx = t->ctx;
	d->irq = t->irq;
	/*
	 * The tick's number (taken so far + 1): a raise that reaches the
	 * device after the guest took that tick is stale, and the device
	 * drops it (vtimer_sink.ack).
	 */
	d->ticks = (unsigned int)(t->delivered + 1);
	t->raised = true;
	t->reraise = false;
	atomic_fetch_add(&t->inflight, 1);	/* as in vtimer_collect() */
}

/* ---- Group 1 ---------------------------------------------------------- */

/* The update; with next, also the earliest deadline its last pass leaves. */
static unsigned long __vtimer_update_irq(struct vtimer_vcpu *v, uint64_t now, uint64_t *next)
{
	struct vtimer_delivery batch[VTIMER_BATCH];
	struct list_head *prev, *pos;
	unsigned long total = 0;
	unsigned int n, i, seen;
	struct vtimer *t;
	uint64_t earliest;
	bool more;

	do {
		n = 0;
		seen = 0;
		more = false;
		earliest = VTIMER_NEVER;
		vtimer_vcpu_lock(v);
		ASSERT(!v->frozen);
		/*
		 * By hand rather than list_for_each_entry_safe(): the walk
		 * checks each timer's back link against where it came from
		 * (VTIMER_CHECK), and stops at the first doubt.
		 */
		for (prev = &v->timers; (pos = prev->next) != &v->timers;) {
			t = list_entry(pos, struct vtimer, node);
			if (v->broken)
				break;
			if (VTIMER_CHECK && ++seen > VTIMER_CHECK_MAX_WALK) {
				vtimer_note_broken(v, "the list does not end: a timer is on two lists");
				break;
			}
			if (!vtimer_check_on_list(v, t, prev))
				break;
			vtimer_advance(t, now);
			if (t->sink->ack ? vtimer_ack_due(t) : t->pending != 0) {
				if (n == ARRAY_SIZE(batch)) {
					more = true;
					break;
				}
				if (t->sink->ack)
					vtimer_collect_raise(t, &batch[n++]);
				else
					vtimer_collect(t, &batch[n++]);
				more |= !t->sink->ack && t->pending != 0;
			}
			/* A one-shot that has delivered its tick retires. */
			if (!t->pending && t->deadline_ns == VTIMER_NEVER) {
				vtimer_unlink(t);	/* prev->next is the next one */
				continue;
			}
			prev = pos;
			/* As vtimer_next_deadline() counts it. */
			if (t->sink->ack ? vtimer_ack_due(t) : t->pending != 0)
				earliest = 0;
			else if (!t->frozen)
				earliest = MIN(earliest, t->deadline_ns);
		}
		vtimer_vcpu_unlock(v);

		/* Sinks run with no lock held: they may call back into us. */
		for (i = 0; i < n; i++) {
			batch[i].sink->fire(v, batch[i].ctx, batch[i].irq,
					    batch[i].ticks);
			total += batch[i].sink->ack ? 1 : batch[i].ticks;
			/*
			 * fire() is done with ctx. Release: pairs with the
			 * acquire load in vtimer_destroy(), after which the
			 * timer may be freed, so this is its last use here.
			 */
			atomic_fetch_sub(&batch[i].t->inflight, 1);
		}
	} while (more);
	if (next)
		*next = earliest;
	return total;
}

unsigned long vtimer_update_irq(struct vtimer_vcpu *v, uint64_t now)
{
	return __vtimer_update_irq(v, now, NULL);
}

unsigned long vtimer_update_irq_next(struct vtimer_vcpu *v, uint64_t now, uint64_t *next)
{
	return __vtimer_update_irq(v, now, next);
}

void vtimer_save(struct vtimer_vcpu *v, uint64_t now)
{
	struct vtimer *t;

	vtimer_vcpu_lock(v);
	ASSERT(!v->frozen);
	v->frozen = true;
	list_for_each_entry(t, &v->timers, node) {
		if (t->missed == VTIMER_DELAY_MISSED)
			vtimer_freeze(t, now);
	}
	vtimer_vcpu_unlock(v);
}

void vtimer_restore(struct vtimer_vcpu *v, uint64_t now)
{
	struct vtimer *t;

	vtimer_vcpu_lock(v);
	ASSERT(v->frozen);
	v->frozen = false;
	list_for_each_entry(t, &v->timers, node) {
		if (t->frozen)
			vtimer_thaw(t, now);
	}
	vtimer_vcpu_unlock(v);
}

uint64_t vtimer_next_deadline(struct vtimer_vcpu *v)
{
	uint64_t next = VTIMER_NEVER;
	struct vtimer *t;

	vtimer_vcpu_lock(v);
	list_for_each_entry(t, &v->timers, node) {
		/* A raised tick waits for the guest to take it, not for v. */
		if (t->sink->ack ? vtimer_ack_due(t) : t->pending != 0) {
			next = 0;
			break;
		}
		if (!t->frozen)
			next = MIN(next, t->deadline_ns);
	}
	vtimer_vcpu_unlock(v);
	return next;
}

/* ---- Group 2 ---------------------------------------------------------- */

uint64_t vtimer_stop(struct vtimer *t, uint64_t now)
{
	uint64_t dropped;

	vtimer_lock(t);
	ASSERT(t->state != VTIMER_DEAD);
	dropped = vtimer_check_one(t) ? vtimer_cancel(t, now) : 0;
	vtimer_unlock(t);
	return dropped;
}

int vtimer_set_period(struct vtimer *t, uint64_t period_ns, uint64_t now)
{
	int ret = -ENOENT;

	vtimer_lock(t);
	ASSERT(t->state != VTIMER_DEAD);
	/* Deadlines up to now are the old period's. */
	vtimer_advance(t, now);
	if (vtimer_armed(t)) {
		t->period_ns = period_ns;
		ret = 0;
	}
	vtimer_unlock(t);
	return ret;
}

uint64_t vtimer_remaining(struct vtimer *t, uint64_t now)
{
	uint64_t left = VTIMER_NEVER;

	vtimer_lock(t);
	ASSERT(t->state != VTIMER_DEAD);
	vtimer_advance(t, now);
	if (vtimer_armed(t))
		left = t->frozen ? t->left_ns : t->deadline_ns - now;
	vtimer_unlock(t);
	return left;
}

bool vtimer_ack(struct vtimer *t, struct vtimer_vcpu *by, uint64_t now)
{
	struct vtimer_vcpu *v;
	bool taken = false, kick = false;

	if (!t->sink->ack)		/* fixed at vtimer_init() */
		return false;
	v = vtimer_lock(t);
	/*
	 * Under the owner's lock, re-checked (vtimer_lock()): the ack may
	 * come from any vCPU (the one the interrupt reached, a register C
	 * read) while t moves; the owed count travels with t under both
	 * owners' locks (vtimer_migrate()), so with the re-check an ack
	 * counts against the count t has now, never against a copy left on
	 * the vCPU it came from (the XSA-336 race, docs/races.md).
	 * Brought up to date first, so the backlog the ack leaves is the
	 * one at now, whenever the last update ran.
	 */
	vtimer_advance(t, now);
	if (t->state == VTIMER_ACTIVE && t->pending) {
		/*
		 * Counted even if raised was cleared meanwhile: each tick
		 * the guest takes was raised for an owed one (two raises
		 * reach two vCPUs only when the timer moved between them and
		 * the first was no longer waiting in an IRR, and then a
		 * second tick was owed).
		 */
		t->pending--;
		t->delivered++;
		t->raised = t->reraise = false;
		taken = true;
		/*
		 * The owner is kicked even when it is the vCPU taking the
		 * tick: its run loop read its next deadline in the update,
		 * before the injection that took this tick, so without the
		 * request the next owed tick would wait for its next exit.
		 */
		kick = t->pending != 0;
	}
	vtimer_unlock(t);

	/* The next owed tick: raised by the owner's next update. */
	if (kick && v->kick)
		v->kick(v);
	return taken;
}

static __noinline void vtimer_report_stuck(struct vtimer *t,
					   unsigned long spins, void *caller)
{
	lock_report_stuck("vtimer %p (%s irq %u): CPU %u waited %lu times for %u deliveries to return; caller %p",
			  (void *)t, t->sink->name ? t->sink->name : "?",
			  t->irq, smp_processor_id(), spins,
			  smp_load_acquire(&t->inflight), caller);
}

void vtimer_destroy(struct vtimer *t)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;

	vtimer_lock(t);
	ASSERT(t->state != VTIMER_DEAD);
	/*
	 * A timer whose links the check doubts is left where it is: its VM
	 * has stopped on the violation and its lists die with it.
	 */
	if (t->state == VTIMER_ACTIVE && vtimer_check_one(t))
		vtimer_unlink(t);
	t->state = VTIMER_DEAD;
	vtimer_unlock(t);

	/*
	 * Dead and on no list: no update collects t any more. Wait for the
	 * deliveries collected before. Pairs with the release decrement
	 * after fire() in vtimer_update_irq(); the increments are ordered
	 * before us by the owner's lock (vtimer_collect()).
	 */
	while (smp_load_acquire(&t->inflight)) {
		__lock_relax(++spins);
		if (unlikely(spins == limit))
			vtimer_report_stuck(t, spins,
					    __builtin_return_address(0));
	}
}

/*
 * The body of vtimer_start() and vtimer_restart(): ends t's programming
 * and arms it on v, which is t's owner or becomes it. The locks of t's
 * owner and of v are held. Returns the ticks dropped; false in *armed if
 * the check found t's links in doubt (t is then left alone).
 */
static uint64_t __vtimer_arm(struct vtimer *t, struct vtimer_vcpu *v,
			     uint64_t now, uint64_t first_deadline_ns,
			     uint64_t period_ns, bool *armed)
{
	uint64_t dropped;

	ASSERT(t->state != VTIMER_DEAD);
	spin_assert_held(&v->lock);
	*armed = vtimer_check_one(t);
	if (!*armed)
		return 0;
	dropped = vtimer_cancel(t, now);
	/* Both locks held: the only place besides migrate to move t. */
	if (t->owner != v)
		WRITE_ONCE(t->owner, v);
	t->deadline_ns = first_deadline_ns;
	t->period_ns = period_ns;
	t->state = VTIMER_ACTIVE;
	list_add_tail(&t->node, &v->timers);
	if (v->frozen && t->missed == VTIMER_DELAY_MISSED)
		vtimer_freeze(t, now);
	return dropped;
}

uint64_t vtimer_restart(struct vtimer *t, uint64_t now,
			uint64_t first_deadline_ns, uint64_t period_ns)
{
	struct vtimer_vcpu *v = vtimer_lock(t);
	uint64_t dropped;
	bool armed;

	dropped = __vtimer_arm(t, v, now, first_deadline_ns, period_ns, &armed);
	vtimer_unlock(t);

	if (armed && v->kick)
		v->kick(v);
	return dropped;
}

/* ---- Group 3 ---------------------------------------------------------- */

uint64_t vtimer_start(struct vtimer *t, struct vtimer_vcpu *v, uint64_t now,
		      uint64_t first_deadline_ns, uint64_t period_ns)
{
	struct vtimer_vcpu *from = vtimer_lock_pair(t, v);
	uint64_t dropped;
	bool armed;

	dropped = __vtimer_arm(t, v, now, first_deadline_ns, period_ns, &armed);
	vtimer_unlock_pair(from, v);

	if (armed && v->kick)
		v->kick(v);
	return dropped;
}

void vtimer_migrate(struct vtimer *t, struct vtimer_vcpu *to, uint64_t now)
{
	struct vtimer_vcpu *from = vtimer_lock_pair(t, to);
	bool moved = false;

	vtimer_assert_locked(t);
	ASSERT(t->state != VTIMER_DEAD);
	if (from != to && vtimer_check_one(t)) {
		if (t->state == VTIMER_ACTIVE) {
			list_del_init(&t->node);
			list_add_tail(&t->node, &to->timers);
			if (t->frozen && !to->frozen)
				vtimer_thaw(t, now);
			else if (!t->frozen && to->frozen &&
				 t->missed == VTIMER_DELAY_MISSED)
				vtimer_freeze(t, now);
			moved = true;
		}
		/* Both locks held: see the rule at struct vtimer. */
		WRITE_ONCE(t->owner, to);
	}
	vtimer_unlock_pair(from, to);

	if (moved && to->kick)
		to->kick(to);
}
