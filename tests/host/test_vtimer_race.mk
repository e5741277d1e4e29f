# Virtual periodic timers on several threads: destroy against a running
# delivery, the XSA-336 owner re-check, and a many-thread stress test
# checked against a model (no tick lost or doubled).
HOST_TESTS += test_vtimer_race
test_vtimer_race_SRCS := core/vtimer.c
test_vtimer_race_SAN := asan tsan
