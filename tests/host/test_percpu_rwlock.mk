# Per-CPU reader-writer lock: readers on their own slots, exclusive
# writers, writer preference, trylock, cookies across CPUs, stuck reports
# (core/lib/spinlock.c is in HOST_COMMON).
HOST_TESTS += test_percpu_rwlock
test_percpu_rwlock_SRCS := core/lib/percpu_rwlock.c
test_percpu_rwlock_SAN := asan tsan
