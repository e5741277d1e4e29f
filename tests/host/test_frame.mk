# Physical frame allocator: counts against a model of the memory map,
# contiguous and limited allocations, bad maps, panics on bad frees, and
# 4 threads allocating and freeing at once.
HOST_TESTS += test_frame
test_frame_SRCS := mm/frame.c
test_frame_SAN := asan tsan
