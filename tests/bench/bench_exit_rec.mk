# The run loop's per-exit recording: the counters alone, with the cycle
# sums (trace=0), and with the flight recorder (trace=256).
BENCHES += bench_exit_rec
bench_exit_rec_SRCS := core/exit_rec.c core/lib/string.c
