# Memslots behind the epoch: every refused update leaves the set as it
# was, lookups at every edge and in O(log n), hook ranges and their place
# around the publish, dirty-log harvests, and eight faulting readers over
# a model TDP MMU against a writer (core/lib/rwlock.c for the model's lock).
HOST_TESTS += test_memslots
test_memslots_SRCS := core/memslots.c core/srcu.c core/lib/rwlock.c mm/heap.c mm/frame.c
test_memslots_SAN := asan tsan
