# Reader-writer spinlock: shared readers, exclusive writers, writer
# preference, trylock, stuck report (core/lib/spinlock.c is in HOST_COMMON).
HOST_TESTS += test_rwlock
test_rwlock_SRCS := core/lib/rwlock.c
test_rwlock_SAN := asan tsan
