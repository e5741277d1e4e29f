# Virtual periodic timers on per-vCPU lists, on one CPU: tick arithmetic
# and missed-tick policies, one-shots, period changes, save/restore,
# migration, sinks that call back.
HOST_TESTS += test_vtimer
test_vtimer_SRCS := core/vtimer.c
test_vtimer_SAN := asan tsan
