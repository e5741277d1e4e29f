/*
 * Virtual periodic timers: PIT channel 0, the RTC periodic interrupt, the
 * LAPIC timer and whatever else counts periods for a guest. One struct
 * vtimer per timer; while active it sits on the list of exactly one vCPU,
 * its owner, and fires into a pluggable interrupt sink.
 *
 * Runs in vCPU context (the exit path, the HLT path, device models), in
 * the scheduler (save/restore) and in VM set-up and teardown; interrupts in
 * either state. Spins, never sleeps. No vtimer lock is taken from an
 * interrupt handler, which is why the locks are taken without irqsave.
 *
 * Time is lazy: nothing runs when a deadline passes. vtimer_update_irq(),
 * called on every VM exit of a vCPU, finds the timers of that vCPU that
 * came due and delivers their ticks; a halted vCPU sleeps until
 * vtimer_next_deadline(). Every function that looks at time takes it as
 * now (time_now_ns() on the machine, a virtual clock in the tests), and
 * every function that changes a timer first brings it up to date at now,
 * so the result never depends on when the last exit happened.
 *
 * Locking: Xen's vpt after "x86/vpt: do not take pt_migrate rwlock in some
 * cases" (Xen commit 1f3d87c7; docs/races.md, "Timer moved while its
 * locker waits (XSA-336)" and "A global lock on every exit"). There is no
 * global lock; each vCPU's lock guards its list and the timers on it. The
 * users fall in three groups, each with its own helper below:
 *   1. functions that walk all timers of one vCPU: vtimer_vcpu_lock();
 *   2. functions that change one timer: vtimer_lock(), which locks the
 *      vCPU the timer is on and re-checks that it did not move meanwhile
 *      (the XSA-336 race);
 *   3. functions that change a timer's owner: vtimer_lock_pair(), which
 *      takes the old and the new owner's locks in id order.
 * The whole protocol is in docs/vtimer.md; lock order in docs/locking.md.
 */
#ifndef CORE_VTIMER_H
#define CORE_VTIMER_H

#include "core/lib/compiler.h"
#include "core/lib/list.h"
#include "core/lib/spinlock.h"

/*
 * The invariant check (docs/vtimer.md, "The invariant check"): every walk
 * of a vCPU's list and every start, stop and migration verifies that the
 * timers on the list are ACTIVE, owned by that vCPU and doubly linked to
 * their neighbours, and that an ACTIVE timer is on a list. A violation is
 * recorded on the vCPU (vtimer_vcpu_broken()); its run loop stops the VM.
 * On unless the build says VTIMER_CHECK=0.
 */
#ifndef VTIMER_CHECK
#define VTIMER_CHECK 1
#endif

/* "No deadline": an inactive timer, or a one-shot that has come due. */
#define VTIMER_NEVER UINT64_MAX

/*
 * What a timer does with the periods that passed while nobody delivered
 * them, and with the time its vCPU spends descheduled (Xen's timer modes).
 */
enum vtimer_missed {
	/*
	 * Every period is one tick, however late (Xen's
	 * delay_for_missed_ticks): a guest that counts ticks to keep time
	 * stays right. The timer's time stops while its vCPU is saved, so
	 * the periods a descheduled vCPU did not see are not owed.
	 */
	VTIMER_DELAY_MISSED,
	/*
	 * Missed periods collapse into one tick (Xen's
	 * no_missed_ticks_pending): for guests that read a clock on each
	 * tick. Time runs on while the vCPU is saved; a vCPU that comes
	 * back after several periods gets one tick.
	 */
	VTIMER_NO_MISSED,
};

enum vtimer_state {
	VTIMER_INACTIVE,	/* on no list */
	VTIMER_ACTIVE,		/* on owner->timers: armed, or ticks pending */
	VTIMER_DEAD,		/* destroyed; on no list */
};

struct vtimer_vcpu;

/*
 * Where a timer's ticks go: the device model that owns the timer (vPIT ->
 * vPIC, vRTC -> vIOAPIC, LAPIC timer -> its own IRR).
 */
struct vtimer_sink {
	/*
	 * Hands over ticks (>= 1) of the timer whose ctx and irq these are.
	 * The ticks are the sink's from then on: it injects them one by one
	 * as the guest acknowledges them, or coalesces them, as its device
	 * does; the timer never delivers them again.
	 *
	 * Called only by vtimer_update_irq(), on the exit path of v, the
	 * vCPU that owned the timer when the ticks were collected, with no
	 * vtimer lock held: it may call any vtimer function, including on
	 * its own timer (re-arming a one-shot), except vtimer_destroy() of
	 * its own timer, which waits for this call to return. Around a
	 * migration it may run for the same timer on the old and the new
	 * owner at once.
	 */
	void (*fire)(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		     unsigned int ticks);
	const char *name;
	/*
	 * Ticks are counted when the guest takes them (Xen's vpt:
	 * pending_intr_nr, pt_intr_post()). The timer keeps the ticks owed
	 * and fire() gets one at a time: "raise tick number ticks" (the
	 * ticks taken so far + 1, mod 2^32; raised again, the same number).
	 * A raise may reach the device after the guest took that tick (the
	 * fire() of a re-raise runs unlocked while the guest takes it on
	 * another vCPU): the device drops a raise whose number is not after
	 * the last one taken, or the next owed tick would be shown twice. The
	 * device reports with vtimer_ack() that the guest took it, and only
	 * then is the next owed one raised. If more periods come due while
	 * one is raised and not taken, fire() is called again for the same
	 * tick (raising an interrupt already pending is idempotent; one
	 * raised while the line was masked is not lost for good); the device
	 * pulses such a re-raise only if the tick's interrupt is not still
	 * waiting in an IRR, where a move may have left it. At most
	 * VTIMER_ACK_BACKLOG_NS of periods are owed; older ones are
	 * discarded. Meant for VTIMER_DELAY_MISSED timers.
	 */
	bool ack;
};

/*
 * The most a timer whose sink counts on ack may owe, in time: at least one
 * tick, at most this many periods' worth. A guest that kept interrupts off
 * for longer gets one second of ticks, not a storm.
 */
#define VTIMER_ACK_BACKLOG_NS 1000000000ull


/*
 * The timer part of a vCPU; struct vcpu embeds it. Must outlive every
 * timer that names it as owner, active or not: a vCPU is torn down only
 * after its VM's timers are destroyed or moved away.
 */
struct vtimer_vcpu {
	/*
	 * Guards timers and frozen below, and every field of every timer
	 * whose owner is this vCPU. Taken only through the helpers below.
	 */
	spinlock_t lock;

	/* lock: */
	struct list_head timers;	/* the ACTIVE timers owned by this vCPU */
	bool frozen;			/* between vtimer_save() and _restore() */
	/*
	 * The first invariant violation found on this vCPU's list, NULL if
	 * none; written once under the lock, read with READ_ONCE by
	 * vtimer_vcpu_broken(). A timer whose links are in doubt is left
	 * alone from then on.
	 */
	const char *broken;

	/* Fixed at vtimer_vcpu_init(): */
	unsigned int id;		/* lock order: lower id first; unique */
	/*
	 * Called with no vtimer lock held, from any CPU, after a timer was
	 * started on or moved to this vCPU, so that the vCPU, if it is
	 * halted, sleeps until the new vtimer_next_deadline(). NULL: no one
	 * needs telling (the tests; a vCPU that never halts).
	 */
	void (*kick)(struct vtimer_vcpu *v);
};

struct vtimer {
	/*
	 * The vCPU whose lock guards the fields below. Written only with
	 * the locks of both the old and the new owner held (group 3), so
	 * holding either keeps it stable. Read without a lock only by
	 * vtimer_lock() and vtimer_lock_pair(), with READ_ONCE, and
	 * re-checked by them under the lock. Never NULL after vtimer_init().
	 */
	struct vtimer_vcpu *owner;

	/* owner->lock: */
	struct list_head node;	/* on owner->timers iff state == ACTIVE */
	enum vtimer_state state;
	/*
	 * A VTIMER_DELAY_MISSED timer on a frozen (saved) owner is frozen:
	 * its time stands still and left_ns replaces deadline_ns.
	 */
	bool frozen;
	uint64_t deadline_ns;	/* next deadline; VTIMER_NEVER: one-shot done */
	uint64_t left_ns;	/* frozen: time to the deadline at the freeze */
	uint64_t period_ns;	/* 0: one-shot */
	/*
	 * Ticks come due, not yet handed to the sink; for a sink that
	 * counts on ack (vtimer_sink.ack), the ticks owed until the guest
	 * takes them, the raised one included.
	 */
	uint64_t pending;
	/*
	 * Sink counts on ack: one tick was raised (fire() called) and the
	 * guest has not taken it yet; reraise: more periods came due since.
	 */
	bool raised, reraise;
	uint64_t delivered;	/* ticks handed to the sink (ack: taken), ever */
	uint64_t discarded;	/* ticks dropped by stop/start/destroy, ever */

	/* Fixed at vtimer_init(): */
	enum vtimer_missed missed;
	const struct vtimer_sink *sink;
	void *ctx;
	unsigned int irq;

	/*
	 * Atomic. Deliveries that vtimer_update_irq() collected and whose
	 * fire() has not returned yet; vtimer_destroy() waits for zero.
	 */
	uint32_t inflight;
};

/* Sets up v with no timers. id must differ from every other vCPU's. */
void vtimer_vcpu_init(struct vtimer_vcpu *v, unsigned int id,
		      void (*kick)(struct vtimer_vcpu *v));

/*
 * Asserts that no active timer is left on v, unless the invariant check
 * found v's list broken (then it is abandoned); call before freeing v.
 */
void vtimer_vcpu_destroy(struct vtimer_vcpu *v);

/*
 * Sets up t, inactive, owned by v, firing into sink with ctx and irq, with
 * the missed-tick policy missed. Before t is published to other CPUs.
 */
void vtimer_init(struct vtimer *t, struct vtimer_vcpu *v,
		 const struct vtimer_sink *sink, void *ctx, unsigned int irq,
		 enum vtimer_missed missed);

/* ---- Group 1: all timers of one vCPU (v->lock only) ------------------ */

/*
 * The per-exit interrupt update. Brings every timer of v up to date at
 * now, collects the ticks that came due, retires one-shots that have
 * delivered theirs, and hands the ticks to the sinks after dropping the
 * lock; a sink that counts on ack gets one owed tick raised at a time
 * (vtimer_sink.ack). Returns the number of ticks delivered or raised.
 *
 * Caller: v's own run loop, on every VM exit, before event injection.
 * Not while v is saved.
 */
unsigned long vtimer_update_irq(struct vtimer_vcpu *v, uint64_t now);

/*
 * vtimer_update_irq(), also storing in *next what vtimer_next_deadline()
 * would return right after it, read under the same hold of v's lock as
 * the update's last pass: the run loop's entry needs the lock once, not
 * twice. Stale as vtimer_next_deadline()'s result is, and covered the
 * same way: a timer armed or moved onto v afterwards (a sink's callback
 * included) comes with v->kick, whose request refuses the entry or kicks
 * the guest out of it (docs/races.md, "Timer armed on a halted vCPU").
 * A timer stopped meanwhile leaves *next early: one exit too many.
 */
unsigned long vtimer_update_irq_next(struct vtimer_vcpu *v, uint64_t now, uint64_t *next);

/*
 * The vCPU is descheduled at now: freezes its VTIMER_DELAY_MISSED timers
 * (bringing them up to date first, so that the ticks owed so far stay
 * owed). VTIMER_NO_MISSED timers run on. Caller: the scheduler, for a vCPU
 * that is not running.
 */
void vtimer_save(struct vtimer_vcpu *v, uint64_t now);

/*
 * The vCPU runs again at now: its frozen timers' deadlines move by the
 * time it was off. Caller: the scheduler, before v's next VM entry.
 */
void vtimer_restore(struct vtimer_vcpu *v, uint64_t now);

/*
 * The earliest deadline of v's timers: what a halted v sleeps until.
 * 0 if ticks are already waiting for delivery (do not sleep; a tick raised
 * and not yet taken by the guest waits on the guest, not on v), VTIMER_NEVER
 * if no timer is armed. Frozen timers do not count. Stale once returned:
 * whoever arms or moves a timer onto v calls v->kick afterwards.
 * Caller: v's HLT path, the scheduler, the monitor.
 */
uint64_t vtimer_next_deadline(struct vtimer_vcpu *v);

/* ---- Group 2: one timer (its owner's lock, re-checked) --------------- */

/*
 * Stops t at now. Ticks that came due by now but were not delivered yet
 * are discarded; returns how many (0 if t was inactive). A delivery that
 * vtimer_update_irq() collected before the stop may still be running.
 * Caller: the device model (guest reprogramming), any CPU.
 */
uint64_t vtimer_stop(struct vtimer *t, uint64_t now);

/*
 * Changes the period of active t at now: deadlines up to now keep the old
 * period, the armed deadline stays, later ones follow the new period. 0
 * turns t into a one-shot that ends at its armed deadline. Returns 0, or
 * -ENOENT if t is not active. Caller: the device model, any CPU.
 */
int vtimer_set_period(struct vtimer *t, uint64_t period_ns, uint64_t now);

/*
 * Time from now to t's next deadline after bringing it up to date (for
 * counter reads: the vPIT's count, the LAPIC's TMCCT); for a frozen timer
 * the time that was left at the freeze. VTIMER_NEVER if t is inactive or
 * a one-shot that has come due. Caller: the device model, any CPU.
 */
uint64_t vtimer_remaining(struct vtimer *t, uint64_t now);

/*
 * Stops t for good, dropping its pending ticks, and waits until no
 * fire() for t is running; afterwards t may be freed. Caller: device
 * teardown, any CPU, not from t's own fire().
 */
void vtimer_destroy(struct vtimer *t);

/*
 * The guest took the tick t raised (a sink that counts on ack): the LAPIC
 * accepted its vector, the 8259 its INTA, or the RTC's register C was
 * read with PF set. Counts one owed tick as delivered; if more are owed,
 * the next is raised by t's owner's next vtimer_update_irq(), and the owner
 * is kicked (by, the vCPU calling or NULL, included: its run loop read its
 * deadline before the injection that acks). Returns true if a tick was owed.
 * Any CPU; no vtimer lock held.
 */
bool vtimer_ack(struct vtimer *t, struct vtimer_vcpu *by, uint64_t now);

/*
 * (Re)arms t at now on the vCPU that owns it, as vtimer_start() would on
 * that vCPU: a device that reprograms its timer leaves it where the last
 * vtimer_migrate() put it, and cannot move it back by racing with one.
 * Kicks the owner. Caller: the device model, any CPU.
 */
uint64_t vtimer_restart(struct vtimer *t, uint64_t now,
			uint64_t first_deadline_ns, uint64_t period_ns);

/*
 * The invariant violation found on v's list, or NULL. Caller: v's run
 * loop after vtimer_update_irq(), which stops the VM on a violation;
 * the tests.
 */
static inline const char *vtimer_vcpu_broken(const struct vtimer_vcpu *v)
{
	return READ_ONCE(v->broken);
}

/* ---- Group 3: change the owner (both vCPU locks, in id order) -------- */

/*
 * (Re)arms t on v at now: first deadline at first_deadline_ns (already
 * past: due at v's next exit), then every period_ns (0: one-shot). Any
 * previous programming ends as vtimer_stop() would end it; returns the
 * ticks that discarded. Kicks v. Caller: the device model, any CPU.
 */
uint64_t vtimer_start(struct vtimer *t, struct vtimer_vcpu *v, uint64_t now,
		      uint64_t first_deadline_ns, uint64_t period_ns);

/*
 * Moves t to vCPU to at now (a timer follows its vCPU, or the vCPU its
 * interrupt is now routed to). Deadlines and pending ticks travel with it;
 * a frozen timer thaws on a running vCPU and freezes on a saved one. An
 * inactive timer changes owner only. Kicks to if t is active.
 * Caller: any CPU.
 */
void vtimer_migrate(struct vtimer *t, struct vtimer_vcpu *to, uint64_t now);

/* ---- The lock helpers ------------------------------------------------ */

/*
 * Group 1: locks v, and with it its list and every timer it owns.
 * Callers: the group 1 functions above; code that inspects all timers of
 * v (the monitor, the tests).
 */
static inline void vtimer_vcpu_lock(struct vtimer_vcpu *v)
{
	spin_lock(&v->lock);
}

static inline void vtimer_vcpu_unlock(struct vtimer_vcpu *v)
{
	spin_unlock(&v->lock);
}

/*
 * Group 2: locks the vCPU that owns t and returns it; t cannot move until
 * vtimer_unlock(t). Reads t->owner without a lock, takes that vCPU's lock,
 * and retries if t moved in between: without the re-check a caller would
 * change t under the lock of a vCPU whose list t has left (XSA-336).
 * Callers: the group 2 functions above; code that reads one timer.
 */
struct vtimer_vcpu *vtimer_lock(struct vtimer *t);

/* Drops the lock vtimer_lock(t) took. */
void vtimer_unlock(struct vtimer *t);

/*
 * Group 3: locks t's owner and to, lower id first (one lock if they are
 * the same vCPU), re-checking the owner as vtimer_lock() does. Returns the
 * owner; t->owner may then be changed to to, and only to. Callers: the
 * group 3 functions above.
 */
struct vtimer_vcpu *vtimer_lock_pair(struct vtimer *t,
				     struct vtimer_vcpu *to);

/* Drops the locks vtimer_lock_pair() took; from is what it returned. */
void vtimer_unlock_pair(struct vtimer_vcpu *from, struct vtimer_vcpu *to);

#endif
