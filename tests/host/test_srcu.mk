# SRCU-like epoch: nesting and registration, synchronize waiting for the
# readers that entered before it and not for those after its epoch bump,
# the stuck report, and eight readers against a writer that frees.
HOST_TESTS += test_srcu
test_srcu_SRCS := core/srcu.c mm/heap.c mm/frame.c
test_srcu_SAN := asan tsan
