# The exit profile's counts by (reason, RIP) over a real flight recorder:
# the top list's order, sampling between ticks, exits the ring overwrote
# counted as missed, a full table.
HOST_TESTS += test_exit_profile
test_exit_profile_SRCS := core/exit_profile.c core/exit_rec.c core/lib/string.c
test_exit_profile_SAN := asan
