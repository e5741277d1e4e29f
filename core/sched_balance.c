/*
 * The scheduler's moves between CPUs (core/sched.h, docs/scheduler.md,
 * "What moves when"): the kick of an idle or lighter CPU when a queue
 * gains a runnable vCPU, an idle CPU's pull, the periodic balance of a
 * busy CPU, the migration of a named thread.
 *
 * Locks: two queues' locks, taken in CPU-id order (rq_lock_two()); the
 * other queues' counters are read without their locks to choose, then
 * checked again under both. Nothing is taken on the hot path of a busy
 * CPU: sched_balance_tick() reads its own timestamp and returns until it
 * is due.
 */
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/sched_rq.h"

/*
 * Reads the other queues' counters without their locks: a CPU that has
 * just stopped idling (or gained a thread) gets a kick it does not need,
 * and one that has just gone idle pulls on its own.
 */
int sched_rq_balance_kick(struct sched_rq *rq, const struct sched_thread *t)
{
	unsigned int self = rq_cpu(rq), n = rq->nr_runnable;
	int lighter = -1;

	spin_assert_held(rq_lock_of(rq));
	if (t->prio != SCHED_PRIO_VCPU || n < 2)
		return -1;
	for (unsigned int c = 0, end = sched_cpu_scan_end(); c < end; c++) {
		unsigned int m;

		if (c == self || !(t->affinity & BIT_ULL(c)) || !sched_cpu_online(c))
			continue;
		m = READ_ONCE(sched_rqs[c].nr_runnable);
		if (!m)
			return (int)c;
		/*
		 * Only when the gap reaches SCHED_BALANCE_GAP: once kicked,
		 * the lighter CPU's one-shot follows the gap on its own
		 * (sched_rq_balance_deadline()), so wider gaps need no kick.
		 */
		if (lighter < 0 && m + SCHED_BALANCE_GAP == n)
			lighter = (int)c;
	}
	return lighter;
}

uint64_t sched_rq_balance_deadline(unsigned int cpu)
{
	unsigned int mine = READ_ONCE(sched_rqs[cpu].nr_runnable);

	if (!mine)
		return UINT64_MAX;	/* idle: sched_idle() has its own rule */
	for (unsigned int c = 0, end = sched_cpu_scan_end(); c < end; c++)
		if (c != cpu && sched_cpu_online(c) &&
		    READ_ONCE(sched_rqs[c].nr_runnable) >= mine + SCHED_BALANCE_GAP)
			return READ_ONCE(sched_rqs[cpu].balance_next);
	return UINT64_MAX;
}

/* Locks two queues in CPU-id order (a before b when a's id is lower). */
static unsigned long rq_lock_two(struct sched_rq *a, struct sched_rq *b)
{
	unsigned long flags;

	if (a > b) {
		struct sched_rq *x = a;

		a = b;
		b = x;
	}
	flags = spin_lock_irqsave(rq_lock_of(a));
	if (rq_lock_of(b) != rq_lock_of(a))
		spin_lock(rq_lock_of(b));
	return flags;
}

static void rq_unlock_two(struct sched_rq *a, struct sched_rq *b, unsigned long flags)
{
	if (rq_lock_of(b) != rq_lock_of(a))
		spin_unlock(rq_lock_of(b));
	spin_unlock_irqrestore(rq_lock_of(a), flags);
}

/*
 * Moves t from src to dst, both locked; t is switched out (runnable or
 * blocked). Its vruntime keeps its distance to the queue's minimum
 * (lag), re-based on the new queue's.
 */
static bool rq_move(struct sched_rq *src, struct sched_rq *dst, struct sched_thread *t)
{
	bool runnable = t->state == SCHED_RUNNABLE, preempt = false;
	uint64_t now = time_now_ns(), lag;

	ASSERT(!t->on_cpu && t->state != SCHED_RUNNING && t->state != SCHED_DEAD);
	/*
	 * Both minimums as of now: a busy destination's curr may have run
	 * alone for long since its minimum last moved, and a thread placed
	 * on that old minimum would then run unopposed until it caught up.
	 */
	sched_rq_sync_min(src, now);
	sched_rq_sync_min(dst, now);
	lag = t->vruntime > src->min_vruntime ? t->vruntime - src->min_vruntime : 0;
	list_del_init(&t->placed_link);
	WRITE_ONCE(src->nr_placed, src->nr_placed - 1);
	if (runnable) {
		list_del_init(&t->run_link);
		WRITE_ONCE(src->nr_runnable, src->nr_runnable - 1);
	}
	WRITE_ONCE(t->cpu, (int)rq_cpu(dst));
	t->vruntime = dst->min_vruntime + lag;
	WRITE_ONCE(t->migrations, t->migrations + 1);
	list_add_tail(&t->placed_link, &dst->placed);
	WRITE_ONCE(dst->nr_placed, dst->nr_placed + 1);
	if (runnable)
		preempt = sched_rq_enqueue(dst, t, now);
	return preempt;
}

int sched_migrate(struct sched_thread *t, unsigned int cpu)
{
	struct sched_rq *src, *dst;
	unsigned long flags;
	int from, kick = -1;

	if (!(t->affinity & BIT_ULL(cpu)) || !sched_cpu_online(cpu))
		return -EINVAL;
	dst = sched_rq_of(cpu);
	for (;;) {
		from = READ_ONCE(t->cpu);
		if (from < 0)
			return -EINVAL;
		src = sched_rq_of((unsigned int)from);
		if (src == dst)
			return 0;
		flags = rq_lock_two(src, dst);
		if (READ_ONCE(t->cpu) == from)
			break;
		rq_unlock_two(src, dst, flags);
	}
	if (t->on_cpu || t->state == SCHED_RUNNING || t->state == SCHED_DEAD) {
		rq_unlock_two(src, dst, flags);
		return -EBUSY;
	}
	kick = sched_rq_kick_cpu(dst, rq_move(src, dst, t));
	rq_unlock_two(src, dst, flags);
	if (kick >= 0)
		platform_kick_cpu((unsigned int)kick);
	return 0;
}

/* A thread of src that may move to cpu now: runnable, switched out. */
static struct sched_thread *rq_movable(struct sched_rq *src, unsigned int cpu)
{
	struct sched_thread *t;

	list_for_each_entry(t, &src->runnable, run_link)
		if (t->prio == SCHED_PRIO_VCPU && !t->on_cpu &&
		    (t->affinity & BIT_ULL(cpu)))
			return t;
	return NULL;
}

/*
 * The busiest queue but cpu's, with at least two runnable threads (one
 * waiting besides its curr), or NULL. Reads the counters without the
 * queues' locks: the caller checks again under them.
 */
static struct sched_rq *rq_busiest(unsigned int cpu)
{
	struct sched_rq *src = NULL;
	unsigned int most = 1;

	for (unsigned int c = 0, end = sched_cpu_scan_end(); c < end; c++) {
		unsigned int n;

		if (c == cpu || !sched_cpu_online(c))
			continue;
		n = READ_ONCE(sched_rqs[c].nr_runnable);
		if (n > most) {
			most = n;
			src = &sched_rqs[c];
		}
	}
	return src;
}

/*
 * Moves one runnable, switched-out vCPU that may run on cpu from the
 * busiest other queue to cpu's, if that queue has at least gap runnable
 * threads more than cpu's (checked under both locks). Returns it, or NULL.
 */
static struct sched_thread *rq_pull_gap(unsigned int cpu, unsigned int gap)
{
	struct sched_rq *dst = sched_rq_of(cpu), *src = rq_busiest(cpu);
	struct sched_thread *t = NULL;
	unsigned long flags;
	int kick = -1;

	if (!src)
		return NULL;
	flags = rq_lock_two(src, dst);
	if (src->nr_runnable >= dst->nr_runnable + gap)
		t = rq_movable(src, cpu);
	if (t) {
		kick = sched_rq_kick_cpu(dst, rq_move(src, dst, t));
		if (gap > 1)
			WRITE_ONCE(dst->balance_pulls, dst->balance_pulls + 1);
		else
			WRITE_ONCE(dst->pulls, dst->pulls + 1);
	}
	rq_unlock_two(src, dst, flags);
	if (kick >= 0)
		platform_kick_cpu((unsigned int)kick);
	return t;
}

struct sched_thread *sched_pull(unsigned int cpu)
{
	return rq_pull_gap(cpu, 1);
}

bool sched_balance_tick(uint64_t now)
{
	unsigned int me = smp_processor_id();
	struct sched_rq *rq = sched_rq_of(me);

	if (!__atomic_load_n(&rq->online, __ATOMIC_ACQUIRE) ||
	    now < READ_ONCE(rq->balance_next))
		return false;
	/* Only this CPU writes it: the rate limit costs no lock. */
	WRITE_ONCE(rq->balance_next, now + SCHED_BALANCE_NS);
	if (!READ_ONCE(rq->nr_runnable))
		return false;	/* idle: sched_idle() pulls */
	return rq_pull_gap(me, SCHED_BALANCE_GAP) != NULL;
}
