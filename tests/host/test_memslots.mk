# Memslots behind the epoch, one update at a time: every refused update
# leaves the set as it was, lookups at every edge and in O(log n), hook
# ranges and their place around the publish, dirty-log harvests.
HOST_TESTS += test_memslots
test_memslots_SRCS := core/memslots.c core/srcu.c mm/heap.c mm/frame.c
test_memslots_SAN := asan tsan
