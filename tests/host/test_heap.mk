# Heap: every size from 0 to five pages, class boundaries, reuse, kzalloc
# and kcalloc, exhaustion, panics on bad frees, and 4 threads at once.
HOST_TESTS += test_heap
test_heap_SRCS := mm/heap.c mm/frame.c
test_heap_SAN := asan tsan
