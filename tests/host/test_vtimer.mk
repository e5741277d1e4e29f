# Virtual periodic timers on per-vCPU lists: tick arithmetic and missed-tick
# policies, save/restore, migration, the XSA-336 owner re-check, and a
# many-thread stress test checked against a model (no tick lost or doubled).
HOST_TESTS += test_vtimer
test_vtimer_SRCS := core/vtimer.c
test_vtimer_SAN := asan tsan
