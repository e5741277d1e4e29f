/*
 * tests/bench/bench_sched.c measures the scheduler twice from the same
 * source: as core/sched.c is (per-CPU run-queue locks) and as
 * tests/bench/bench_sched_one_lock.c compiles it (SCHED_ONE_LOCK: every
 * queue under one global lock, its entry points renamed so that both live
 * in one process). The workload calls either through this table.
 */
#ifndef TESTS_BENCH_SCHED_H
#define TESTS_BENCH_SCHED_H

#include "core/sched.h"

struct sched_bench_ops {
	const char *name;
	struct sched_rq *(*rq_of)(unsigned int cpu);
	void (*init_cpu)(unsigned int cpu, struct sched_thread *idle,
			 struct sched_thread *curr);
	void (*thread_init)(struct sched_thread *t, const char *name, uint32_t weight,
			    enum sched_prio prio, uint64_t affinity);
	int (*place)(struct sched_thread *t, int cpu);
	bool (*wake)(struct sched_thread *t);
	struct sched_thread *(*current)(void);
	bool (*need_resched)(void);
	void (*preempt)(void);
	void (*block)(void);
	struct sched_thread *(*pull)(unsigned int cpu);
};

extern const struct sched_bench_ops sched_one_lock_ops;

#endif
