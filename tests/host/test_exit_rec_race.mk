# The flight recorder read and dumped while a writer laps its ring as
# fast as it can: no entry read or printed may be torn (TSan too).
HOST_TESTS += test_exit_rec_race
test_exit_rec_race_SRCS := core/exit_rec.c core/lib/string.c
test_exit_rec_race_SAN := asan tsan
