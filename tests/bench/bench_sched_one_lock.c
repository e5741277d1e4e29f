/*
 * The baseline of tests/bench/bench_sched.c: core/sched.c and
 * core/sched_balance.c compiled with SCHED_ONE_LOCK (every run queue
 * under one global lock), their entry points and shared internals renamed
 * so that they link beside the real ones. Nothing else differs.
 */
#define SCHED_ONE_LOCK
#define sched_rq_of        one_lock_sched_rq_of
#define sched_thread_init  one_lock_sched_thread_init
#define sched_init_cpu     one_lock_sched_init_cpu
#define sched_place        one_lock_sched_place
#define sched_wake         one_lock_sched_wake
#define sched_current      one_lock_sched_current
#define sched_need_resched one_lock_sched_need_resched
#define sched_preempt      one_lock_sched_preempt
#define sched_block        one_lock_sched_block
#define sched_set_deadline one_lock_sched_set_deadline
#define sched_sleep_until  one_lock_sched_sleep_until
#define sched_relax        one_lock_sched_relax
#define sched_exit         one_lock_sched_exit
#define sched_cpu_deadline one_lock_sched_cpu_deadline
#define sched_wake_due     one_lock_sched_wake_due
#define sched_idle         one_lock_sched_idle
#define sched_pull         one_lock_sched_pull
#define sched_migrate      one_lock_sched_migrate
#define sched_thread_start one_lock_sched_thread_start
#define sched_cpu_shared   one_lock_sched_cpu_shared
#define sched_yield_spin   one_lock_sched_yield_spin
#define sched_thread_stat  one_lock_sched_thread_stat
#define sched_rq_stat      one_lock_sched_rq_stat
#define sched_balance_tick one_lock_sched_balance_tick
#define sched_rqs          one_lock_sched_rqs
#define sched_cpu_ids      one_lock_sched_cpu_ids
#define sched_rq_enqueue   one_lock_sched_rq_enqueue
#define sched_rq_kick_cpu  one_lock_sched_rq_kick_cpu
#define sched_rq_sync_min  one_lock_sched_rq_sync_min
#define sched_rq_balance_kick     one_lock_sched_rq_balance_kick
#define sched_rq_balance_deadline one_lock_sched_rq_balance_deadline

#include "core/sched.c"
#include "core/sched_balance.c"
#include "tests/bench/bench_sched.h"

const struct sched_bench_ops sched_one_lock_ops = {
	.name = "one lock",
	.rq_of = sched_rq_of,
	.init_cpu = sched_init_cpu,
	.thread_init = sched_thread_init,
	.place = sched_place,
	.wake = sched_wake,
	.current = sched_current,
	.need_resched = sched_need_resched,
	.preempt = sched_preempt,
	.block = sched_block,
	.pull = sched_pull,
};
