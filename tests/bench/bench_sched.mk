# The scheduler's run queues (per-CPU locks) against the same code under
# one global lock, 1 to 16 hosted CPUs doing wake/block/preempt cycles
# with cross-CPU wakes and pulls.
BENCHES += bench_sched
bench_sched_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c tests/bench/bench_sched_one_lock.c
