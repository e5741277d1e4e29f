# Per-exit timer update: per-vCPU locks against the same code under a global
# rwlock's read side (Xen's pt_migrate before the fix), 1 to 16 vCPUs.
BENCHES += bench_vtimer
bench_vtimer_SRCS := core/vtimer.c core/lib/rwlock.c
