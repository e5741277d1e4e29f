# The scheduler's balancing: an idle CPU kicked into a pull, its periodic
# look while idle, the periodic balance between busy CPUs, the statistics
# the monitor shows.
HOST_TESTS += test_sched_balance
test_sched_balance_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c
test_sched_balance_SAN := asan
