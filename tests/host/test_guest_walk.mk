# The guest page walker: every paging mode, large pages, NX, stops at a
# not-present entry, a reserved bit, or an entry outside guest RAM.
HOST_TESTS += test_guest_walk
test_guest_walk_SRCS := core/guest_walk.c core/lib/string.c
test_guest_walk_SAN := asan
