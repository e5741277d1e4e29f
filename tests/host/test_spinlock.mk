# Ticket spinlock: semantics, mutual exclusion, FIFO order, stuck report.
# core/lib/spinlock.c itself is in HOST_COMMON.
HOST_TESTS += test_spinlock
test_spinlock_SRCS :=
test_spinlock_SAN := asan tsan
