/*
 * The scheduler (core/sched.h, docs/scheduler.md).
 *
 * Locks: each run queue's lock guards its lists, its counters and the
 * fields of the threads placed on it (struct sched_thread says which).
 * Taken with interrupts off. Two queues' locks (a migration) are taken in
 * CPU-id order. The lock of the queue a thread switches on is held across
 * platform_ctx_switch() and dropped by the thread switched to, in
 * sched_finish_switch(): no other CPU sees a thread whose context is half
 * saved (Linux's finish_task_switch()). IPIs are sent after the lock is
 * dropped. Nothing else is taken under a queue lock except the timer arm
 * (a CPU register) and time_now_ns().
 */
#include "core/lib/cpu_idle.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/sched_rq.h"

struct sched_rq sched_rqs[SCHED_MAX_CPUS];
unsigned int sched_cpu_ids;

#ifdef SCHED_ONE_LOCK
spinlock_t sched_one_lock = SPINLOCK_INIT;
#endif

struct sched_rq *sched_rq_of(unsigned int cpu)
{
	ASSERT(cpu < SCHED_MAX_CPUS);
	return &sched_rqs[cpu];
}

static struct sched_rq *this_rq(void)
{
	return sched_rq_of(smp_processor_id());
}

void sched_thread_init(struct sched_thread *t, const char *name, uint32_t weight,
		       enum sched_prio prio, uint64_t affinity)
{
	*t = (struct sched_thread){
		.name = name,
		.weight = weight ? MIN(weight, SCHED_WEIGHT_MAX) : SCHED_WEIGHT_DEFAULT,
		.prio = (uint8_t)prio,
		.affinity = affinity,
		.cpu = -1,
		.state = SCHED_BLOCKED,
		.deadline = UINT64_MAX,
	};
	list_init(&t->run_link);
	list_init(&t->placed_link);
}

void sched_init_cpu(unsigned int cpu, struct sched_thread *idle,
		    struct sched_thread *curr)
{
	struct sched_rq *rq = sched_rq_of(cpu);

	spin_lock_init(rq_lock_of(rq));
	list_init(&rq->runnable);
	list_init(&rq->placed);
	idle->cpu = (int)cpu;
	idle->prio = SCHED_PRIO_IDLE;
	idle->state = SCHED_RUNNING;
	idle->on_cpu = curr == idle;
	rq->idle = idle;
	rq->curr = curr;
	rq->slice_end = UINT64_MAX;
	if (curr != idle) {
		curr->cpu = (int)cpu;
		curr->state = SCHED_RUNNING;
		curr->on_cpu = true;
		curr->exec_start = time_now_ns();
		list_add_tail(&curr->placed_link, &rq->placed);
		WRITE_ONCE(rq->nr_placed, 1);
		WRITE_ONCE(rq->nr_runnable, 1);
	}
	/* Pairs with the acquire in sched_cpu_online(). */
	__atomic_store_n(&rq->online, true, __ATOMIC_RELEASE);
	/* CPUs come up concurrently: raise the scan's end, never lower it. */
	for (unsigned int ids = __atomic_load_n(&sched_cpu_ids, __ATOMIC_RELAXED);
	     ids < cpu + 1 &&
	     !__atomic_compare_exchange_n(&sched_cpu_ids, &ids, cpu + 1, false,
					  __ATOMIC_RELEASE, __ATOMIC_RELAXED);)
		;
}

/*
 * Locks the queue t is placed on and returns it, or NULL if t is placed
 * nowhere. t->cpu can change until the lock is held (a migration), so it
 * is read again under the lock (Xen's vcpu_schedule_lock()).
 */
static struct sched_rq *rq_lock_thread(struct sched_thread *t, unsigned long *flags)
{
	for (;;) {
		int cpu = READ_ONCE(t->cpu);
		struct sched_rq *rq;

		if (cpu < 0)
			return NULL;
		rq = sched_rq_of((unsigned int)cpu);
		*flags = spin_lock_irqsave(rq_lock_of(rq));
		if (READ_ONCE(t->cpu) == cpu)
			return rq;
		spin_unlock_irqrestore(rq_lock_of(rq), *flags);
	}
}

/* Charges curr for the time since it last was: weighted by its weight. */
static void rq_account(struct sched_rq *rq, uint64_t now)
{
	struct sched_thread *c = rq->curr;
	uint64_t ran;

	spin_assert_held(rq_lock_of(rq));
	if (c == rq->idle || now <= c->exec_start) {
		c->exec_start = MAX(c->exec_start, now);
		return;
	}
	ran = now - c->exec_start;
	c->exec_start = now;
	WRITE_ONCE(c->ran_ns, c->ran_ns + ran);
	c->vruntime += ran * SCHED_WEIGHT_UNIT / c->weight;
}

/* min_vruntime follows the smallest vCPU vruntime here, never back. */
static void rq_update_min(struct sched_rq *rq)
{
	uint64_t m = UINT64_MAX;
	struct sched_thread *t;

	if (rq->curr->state == SCHED_RUNNING && rq->curr->prio == SCHED_PRIO_VCPU)
		m = rq->curr->vruntime;
	list_for_each_entry(t, &rq->runnable, run_link)
		if (t->prio == SCHED_PRIO_VCPU)
			m = MIN(m, t->vruntime);
	if (m != UINT64_MAX && m > rq->min_vruntime)
		rq->min_vruntime = m;
}

void sched_rq_sync_min(struct sched_rq *rq, uint64_t now)
{
	rq_account(rq, now);
	rq_update_min(rq);
}

/* The highest priority first, then the smallest vruntime; NULL: none. */
static struct sched_thread *rq_pick(struct sched_rq *rq)
{
	struct sched_thread *best = NULL, *t;

	list_for_each_entry(t, &rq->runnable, run_link)
		if (!best || t->prio > best->prio ||
		    (t->prio == best->prio && t->vruntime < best->vruntime))
			best = t;
	return best;
}

static void rq_set_slice(struct sched_rq *rq, uint64_t start)
{
	WRITE_ONCE(rq->slice_end, READ_ONCE(rq->nr_runnable) > 1 ?
		   start + SCHED_SLICE_NS : UINT64_MAX);
}

/* Whether t, just made runnable on rq, should take the CPU from curr. */
static bool rq_should_preempt(struct sched_rq *rq, const struct sched_thread *t,
			      uint64_t now)
{
	struct sched_thread *c = rq->curr;

	if (c == rq->idle || c->state != SCHED_RUNNING || t->prio > c->prio)
		return true;
	if (t->prio < c->prio)
		return false;
	rq_account(rq, now);
	return t->vruntime + SCHED_WAKE_GRAN_NS < c->vruntime;
}

/* Adds runnable t to rq; asks curr to yield if t should preempt it. */
bool sched_rq_enqueue(struct sched_rq *rq, struct sched_thread *t, uint64_t now)
{
	bool preempt;

	t->state = SCHED_RUNNABLE;
	list_add_tail(&t->run_link, &rq->runnable);
	WRITE_ONCE(rq->nr_runnable, rq->nr_runnable + 1);
	preempt = rq_should_preempt(rq, t, now);
	if (preempt)
		WRITE_ONCE(rq->need_resched, 1);
	else if (READ_ONCE(rq->slice_end) == UINT64_MAX)
		rq_set_slice(rq, rq->curr->exec_start);
	return preempt;
}

/*
 * Blocked t becomes runnable on rq. A sleeper starts no further behind
 * than the queue's minimum less SCHED_WAKE_CREDIT_NS: it gets a little
 * ahead for having slept, never a debt it could run down for long.
 */
static bool rq_wake_locked(struct sched_rq *rq, struct sched_thread *t, uint64_t now)
{
	uint64_t floor;

	ASSERT(t->state == SCHED_BLOCKED);
	/* The minimum as of now: curr may have run alone for long. */
	rq_account(rq, now);
	rq_update_min(rq);
	floor = rq->min_vruntime > SCHED_WAKE_CREDIT_NS ?
		rq->min_vruntime - SCHED_WAKE_CREDIT_NS : 0;
	if (t->vruntime < floor)
		t->vruntime = floor;
	t->woken = true;
	return sched_rq_enqueue(rq, t, now);
}

int sched_rq_kick_cpu(const struct sched_rq *rq, bool preempt)
{
	unsigned int cpu = rq_cpu(rq);

	return preempt && cpu != smp_processor_id() ? (int)cpu : -1;
}

/* Sends the kicks decided under a queue's lock, after dropping it. */
static void sched_send_kicks(int preempt_cpu, int balance_cpu)
{
	if (preempt_cpu >= 0)
		platform_kick_cpu((unsigned int)preempt_cpu);
	if (balance_cpu >= 0 && balance_cpu != preempt_cpu)
		platform_kick_cpu((unsigned int)balance_cpu);
}

int sched_place(struct sched_thread *t, int cpu)
{
	unsigned long flags;
	struct sched_rq *rq;
	int kick, balance_cpu;
	bool preempt;

	ASSERT(t->cpu < 0);
	if (cpu < 0) {
		unsigned int best_load = ~0u;

		for (unsigned int c = 0; c < SCHED_MAX_CPUS; c++) {
			unsigned int load;

			if (!(t->affinity & BIT_ULL(c)) || !sched_cpu_online(c))
				continue;
			load = READ_ONCE(sched_rqs[c].nr_placed);
			if (load < best_load) {
				best_load = load;
				cpu = (int)c;
			}
		}
	}
	if (cpu < 0 || cpu >= SCHED_MAX_CPUS || !(t->affinity & BIT_ULL(cpu)) ||
	    !sched_cpu_online((unsigned int)cpu))
		return -EINVAL;
	rq = sched_rq_of((unsigned int)cpu);
	flags = spin_lock_irqsave(rq_lock_of(rq));
	WRITE_ONCE(t->cpu, cpu);
	t->vruntime = rq->min_vruntime;
	list_add_tail(&t->placed_link, &rq->placed);
	WRITE_ONCE(rq->nr_placed, rq->nr_placed + 1);
	preempt = sched_rq_enqueue(rq, t, time_now_ns());
	kick = sched_rq_kick_cpu(rq, preempt);
	balance_cpu = sched_rq_balance_kick(rq, t);
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
	sched_send_kicks(kick, balance_cpu);
	return cpu;
}

bool sched_wake(struct sched_thread *t)
{
	bool woke = false, preempt = false;
	unsigned long flags;
	int kick = -1, balance_cpu = -1;
	struct sched_rq *rq;

	rq = rq_lock_thread(t, &flags);
	if (!rq)
		return false;
	if (t->state == SCHED_BLOCKED) {
		woke = true;
		preempt = rq_wake_locked(rq, t, time_now_ns());
		kick = sched_rq_kick_cpu(rq, preempt);
		balance_cpu = sched_rq_balance_kick(rq, t);
	} else if (t->state != SCHED_DEAD) {
		/* It runs, or is between its check and sched_block(). */
		t->wake_pending = true;
	}
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
	sched_send_kicks(kick, balance_cpu);
	return woke;
}

struct sched_thread *sched_current(void)
{
	return READ_ONCE(this_rq()->curr);
}

bool sched_need_resched(void)
{
	struct sched_rq *rq = this_rq();

	if (!READ_ONCE(rq->online))
		return false;
	return READ_ONCE(rq->need_resched) ||
	       time_now_ns() >= READ_ONCE(rq->slice_end);
}

/*
 * Puts curr back (if it still runs) and makes the best thread curr.
 * Returns it; the caller switches to it.
 */
static struct sched_thread *rq_switch_to(struct sched_rq *rq, uint64_t now,
					  struct sched_thread *want)
{
	struct sched_thread *prev = rq->curr, *next;

	rq_account(rq, now);
	if (prev != rq->idle && prev->state == SCHED_RUNNING) {
		prev->state = SCHED_RUNNABLE;
		prev->woken = false;
		list_add_tail(&prev->run_link, &rq->runnable);
	}
	next = want ? want : rq_pick(rq);
	if (next)
		list_del_init(&next->run_link);
	else
		next = rq->idle;
	next->state = SCHED_RUNNING;
	next->exec_start = now;
	WRITE_ONCE(rq->curr, next);
	WRITE_ONCE(rq->need_resched, 0);
	rq_update_min(rq);
	rq_set_slice(rq, now);
	return next;
}

/* rq_switch_to() the best runnable thread. */
static struct sched_thread *rq_switch_next(struct sched_rq *rq, uint64_t now)
{
	return rq_switch_to(rq, now, NULL);
}

/*
 * After a switch, on the thread switched to (its CPU may differ from the
 * one it left, after a migration): prev is off its CPU now; drop the lock
 * prev's switch held; run prev's exit if it ended.
 */
static void sched_finish_switch(unsigned long flags)
{
	struct sched_rq *rq = this_rq();
	struct sched_thread *prev = rq->prev, *dead = NULL;

	spin_assert_held(rq_lock_of(rq));
	rq->prev = NULL;
	prev->on_cpu = false;
	if (prev->state == SCHED_DEAD)
		dead = prev;
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
	if (dead && dead->exit_fn)
		dead->exit_fn(dead->arg);
}

/* Switches from prev to next with rq locked (flags from its irqsave). */
static void sched_switch(struct sched_rq *rq, struct sched_thread *prev,
			 struct sched_thread *next, unsigned long flags)
{
	if (next == prev) {
		spin_unlock_irqrestore(rq_lock_of(rq), flags);
		return;
	}
	WRITE_ONCE(next->switches, next->switches + 1);
	next->on_cpu = true;
	rq->prev = prev;
	platform_ctx_switch(&prev->sp, next->sp);
	sched_finish_switch(flags);
}

void sched_preempt(void)
{
	struct sched_rq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	struct sched_thread *prev = rq->curr;

	sched_switch(rq, prev, rq_switch_next(rq, time_now_ns()), flags);
}

bool sched_cpu_shared(void)
{
	struct sched_rq *rq = this_rq();

	return READ_ONCE(rq->online) && READ_ONCE(rq->nr_runnable) > 1;
}

/*
 * Whom running vCPU c should yield to: a runnable thread above the vCPUs
 * if any, else a vCPU of c's group, else any vCPU, the smallest vruntime
 * first among equals; NULL: none. rq locked.
 */
static struct sched_thread *rq_yield_target(struct sched_rq *rq, const struct sched_thread *c)
{
	struct sched_thread *best = rq_pick(rq), *to = NULL, *t;

	if (!best || best->prio > SCHED_PRIO_VCPU)
		return best;
	list_for_each_entry(t, &rq->runnable, run_link) {
		bool mine = c->group && t->group == c->group;

		if (t->prio != SCHED_PRIO_VCPU)
			continue;
		if (!to || mine > (c->group && to->group == c->group) ||
		    (mine == (c->group && to->group == c->group) && t->vruntime < to->vruntime))
			to = t;
	}
	return to;
}

void sched_yield_spin(void)
{
	struct sched_rq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	struct sched_thread *c = rq->curr, *to;

	to = c->prio == SCHED_PRIO_VCPU ? rq_yield_target(rq, c) : NULL;
	if (!to) {
		spin_unlock_irqrestore(rq_lock_of(rq), flags);
		return;
	}
	WRITE_ONCE(c->yields, c->yields + 1);
	WRITE_ONCE(rq->yields, rq->yields + 1);
	sched_switch(rq, c, rq_switch_to(rq, time_now_ns(), to), flags);
}

void sched_block(void)
{
	struct sched_rq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	struct sched_thread *t = rq->curr;

	ASSERT(t != rq->idle);
	if (t->wake_pending) {
		t->wake_pending = false;
		spin_unlock_irqrestore(rq_lock_of(rq), flags);
		return;
	}
	t->state = SCHED_BLOCKED;
	WRITE_ONCE(rq->nr_runnable, rq->nr_runnable - 1);
	sched_switch(rq, t, rq_switch_next(rq, time_now_ns()), flags);
}

void sched_set_deadline(uint64_t deadline_ns)
{
	/* Pairs with the acquire loads under the queue lock below. */
	__atomic_store_n(&sched_current()->deadline, deadline_ns, __ATOMIC_RELEASE);
}

void sched_sleep_until(uint64_t deadline_ns)
{
	sched_set_deadline(deadline_ns);
	sched_block();
}

void sched_relax(unsigned long spins)
{
	struct sched_rq *rq = this_rq();
	struct sched_thread *t;

	if (__atomic_load_n(&rq->online, __ATOMIC_ACQUIRE)) {
		t = READ_ONCE(rq->curr);
		if (t->prio == SCHED_PRIO_MONITOR) {
			sched_sleep_until(time_now_ns() + SCHED_RELAX_NS);
			return;
		}
	}
	platform_wait_contended(spins);
}

void sched_exit(void)
{
	struct sched_rq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	struct sched_thread *t = rq->curr;

	ASSERT(t != rq->idle);
	t->state = SCHED_DEAD;
	list_del_init(&t->placed_link);
	WRITE_ONCE(t->cpu, -1);
	WRITE_ONCE(rq->nr_placed, rq->nr_placed - 1);
	WRITE_ONCE(rq->nr_runnable, rq->nr_runnable - 1);
	sched_switch(rq, t, rq_switch_next(rq, time_now_ns()), flags);
}

uint64_t sched_cpu_deadline(unsigned int cpu)
{
	struct sched_rq *rq = sched_rq_of(cpu);
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	uint64_t d = READ_ONCE(rq->slice_end);
	struct sched_thread *t;

	list_for_each_entry(t, &rq->placed, placed_link)
		if (t->state == SCHED_BLOCKED)
			d = MIN(d, __atomic_load_n(&t->deadline, __ATOMIC_ACQUIRE));
	/* The scan of the other queues only where the balance comes first. */
	if (READ_ONCE(rq->balance_next) < d)
		d = MIN(d, sched_rq_balance_deadline(cpu));
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
	return d;
}

unsigned int sched_wake_due(uint64_t now)
{
	struct sched_rq *rq = this_rq();
	unsigned long flags = spin_lock_irqsave(rq_lock_of(rq));
	struct sched_thread *t;
	unsigned int n = 0;

	list_for_each_entry(t, &rq->placed, placed_link) {
		if (t->state != SCHED_BLOCKED ||
		    __atomic_load_n(&t->deadline, __ATOMIC_ACQUIRE) > now)
			continue;
		rq_wake_locked(rq, t, now);
		n++;
	}
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
	return n;
}

static bool sched_other_cpu_online(unsigned int cpu)
{
	for (unsigned int c = 0; c < SCHED_MAX_CPUS; c++)
		if (c != cpu && sched_cpu_online(c))
			return true;
	return false;
}

void sched_idle(void)
{
	struct sched_rq *rq = this_rq();
	unsigned int me = smp_processor_id();
	uint64_t deadline;

	/* Pairs with the release in sched_init_cpu(). */
	if (!__atomic_load_n(&rq->online, __ATOMIC_ACQUIRE)) {
		cpu_idle_wait_irq();
		return;
	}
	sched_wake_due(time_now_ns());
	if (!READ_ONCE(rq->nr_runnable))
		sched_pull(me);
	if (READ_ONCE(rq->nr_runnable) || READ_ONCE(rq->need_resched)) {
		sched_preempt();
		return;
	}
	/*
	 * A wake-up after the check above finds the idle thread as curr and
	 * kicks this CPU: the IPI stays pending with interrupts off and ends
	 * the halt at once. Where other CPUs run, the halt also ends every
	 * SCHED_IDLE_PULL_NS to pull again: a queue that became overloaded
	 * without a kick here (its idle CPU chosen was another, or the
	 * thread's affinity changed the choice) does not stay so.
	 */
	deadline = sched_cpu_deadline(me);
	if (sched_other_cpu_online(me))
		deadline = MIN(deadline, time_now_ns() + SCHED_IDLE_PULL_NS);
	platform_timer_arm(deadline);
	cpu_idle_wait_irq();
}

void sched_thread_stat(struct sched_thread *t, struct sched_thread_stat *out)
{
	unsigned long flags;
	struct sched_rq *rq = rq_lock_thread(t, &flags);

	/* Unplaced (not yet, or ended), the counters no longer change. */
	*out = (struct sched_thread_stat){
		.cpu = -1, .state = SCHED_DEAD, .ran_ns = READ_ONCE(t->ran_ns),
		.switches = READ_ONCE(t->switches), .migrations = READ_ONCE(t->migrations),
		.yields = READ_ONCE(t->yields),
	};
	if (!rq)
		return;
	/* Read again under the lock: consistent with exec_start below. */
	out->ran_ns = t->ran_ns;
	out->switches = t->switches;
	out->migrations = t->migrations;
	out->yields = t->yields;
	out->cpu = t->cpu;
	out->state = (enum sched_state)t->state;
	if (rq->curr == t && t->state == SCHED_RUNNING) {
		uint64_t now = time_now_ns();

		out->ran_ns += now > t->exec_start ? now - t->exec_start : 0;
	}
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
}

void sched_rq_stat(unsigned int cpu, struct sched_rq_stat *out)
{
	struct sched_rq *rq = sched_rq_of(cpu);
	unsigned long flags;

	*out = (struct sched_rq_stat){ .online = sched_cpu_online(cpu) };
	if (!out->online)
		return;
	flags = spin_lock_irqsave(rq_lock_of(rq));
	out->nr_placed = rq->nr_placed;
	out->nr_runnable = rq->nr_runnable;
	out->curr = rq->curr == rq->idle ? NULL : rq->curr;
	out->pulls = rq->pulls;
	out->balance_pulls = rq->balance_pulls;
	out->yields = rq->yields;
	spin_unlock_irqrestore(rq_lock_of(rq), flags);
}

/* First code of a thread made by sched_thread_start(), on its own stack. */
static __noreturn void sched_thread_entry(void)
{
	struct sched_thread *t;

	sched_finish_switch(platform_irq_on_flags());
	t = sched_current();
	t->fn(t->arg);
	sched_exit();
	panic("sched: thread %s was switched to after its exit", t->name);
}

void sched_thread_start(struct sched_thread *t, void *stack_top,
			void (*fn)(void *arg), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->sp = platform_ctx_init(stack_top, sched_thread_entry);
}
