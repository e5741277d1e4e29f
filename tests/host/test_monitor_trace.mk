# The monitor's trace command over real flight recorders, with the
# launcher's VM lookup replaced: the last N exits, bad arguments.
HOST_TESTS += test_monitor_trace
test_monitor_trace_SRCS := core/sched.c core/sched_balance.c core/launch/monitor_trace.c core/launch/monitor.c core/launch/line_edit.c \
	core/launch/console_mux.c core/exit_rec.c core/lib/cmdline.c core/lib/string.c core/lib/cpu_idle.c
test_monitor_trace_SAN := asan
