# String I/O (INS/OUTS) against a fake guest and port device: sizes,
# address sizes, DF, REP counts, batches per page, a fault in the middle,
# access rights, segment checks and overrides, the 16-bit wrap.
HOST_TESTS += test_string_io
test_string_io_SRCS := core/string_io.c core/guest_walk.c core/lib/string.c
test_string_io_SAN := asan
