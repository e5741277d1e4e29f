# The VM-exit flight recorder, one thread: ring lengths, the recorder off,
# an empty ring, the two halves of an entry and its layout, wrap-around,
# the printed lines.
HOST_TESTS += test_exit_rec
test_exit_rec_SRCS := core/exit_rec.c core/lib/string.c
test_exit_rec_SAN := asan
