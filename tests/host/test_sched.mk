# The scheduler: pick, weights, affinity, wake-ups, deadlines, pulls and
# migrations, then four hosted CPUs at once on sixteen threads.
HOST_TESTS += test_sched
test_sched_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c
test_sched_SAN := asan tsan
