/*
 * Inside the scheduler: what core/sched.c (the queues, the pick, blocking
 * and waking) and core/sched_balance.c (moves between CPUs) share. Not
 * for any other file: core/sched.h is the interface.
 */
#ifndef CORE_SCHED_RQ_H
#define CORE_SCHED_RQ_H

#include "core/sched.h"

extern struct sched_rq sched_rqs[SCHED_MAX_CPUS];

/*
 * One past the highest CPU id set up (sched_init_cpu()): the scans of the
 * other queues stop there. It only grows.
 */
extern unsigned int sched_cpu_ids;

static inline unsigned int sched_cpu_scan_end(void)
{
	return MIN(__atomic_load_n(&sched_cpu_ids, __ATOMIC_ACQUIRE),
		   (unsigned int)SCHED_MAX_CPUS);
}

/*
 * The lock of a queue. SCHED_ONE_LOCK is a baseline for
 * tests/bench/bench_sched.c only: every queue under one global lock, as a
 * scheduler with a single run-queue lock would be; the rest of the code
 * stays the same (two queues' "two" locks are then that one, taken once).
 */
#ifdef SCHED_ONE_LOCK
extern spinlock_t sched_one_lock;
#endif

static inline spinlock_t *rq_lock_of(struct sched_rq *rq)
{
#ifdef SCHED_ONE_LOCK
	(void)rq;
	return &sched_one_lock;
#else
	return &rq->lock;
#endif
}

static inline unsigned int rq_cpu(const struct sched_rq *rq)
{
	return (unsigned int)(rq - sched_rqs);
}

static inline bool sched_cpu_online(unsigned int cpu)
{
	/* Pairs with the release in sched_init_cpu(). */
	return cpu < SCHED_MAX_CPUS &&
	       __atomic_load_n(&sched_rqs[cpu].online, __ATOMIC_ACQUIRE);
}

/*
 * Charges rq's (locked) curr up to now and brings its min_vruntime up to
 * date: the base a thread moved in is placed on.
 */
void sched_rq_sync_min(struct sched_rq *rq, uint64_t now);

/* Adds runnable t to rq (locked); true: t should preempt rq's curr. */
bool sched_rq_enqueue(struct sched_rq *rq, struct sched_thread *t, uint64_t now);

/* The CPU to interrupt for a preemption decided on rq, or -1. */
int sched_rq_kick_cpu(const struct sched_rq *rq, bool preempt);

/*
 * A CPU of t's affinity to kick into balancing, now that vCPU t has been
 * made runnable on rq (locked): an idle one (it pulls in its idle step),
 * else one that this made two runnable threads lighter than rq (it pulls
 * at its next balance, sched_balance_tick()); -1: none.
 */
int sched_rq_balance_kick(struct sched_rq *rq, const struct sched_thread *t);

/*
 * When CPU cpu, running a thread, must next look at the other queues
 * (its one-shot fires then): its next balance while another CPU has two
 * runnable threads more than it; UINT64_MAX otherwise. Lockless reads.
 */
uint64_t sched_rq_balance_deadline(unsigned int cpu);

#endif
