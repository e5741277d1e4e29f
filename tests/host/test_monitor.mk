# The console monitor's shell: registration rules (names and aliases),
# dispatch of command lines and their error lines, help, the argument
# parsers, and lines typed on the console through the multiplexer, with a
# guest's tagged line printed while a partial line is typed (the prompt
# redrawn after it), escape sequences split across polls, and a guest
# printing from another thread while lines are typed (TSan).
HOST_TESTS += test_monitor
test_monitor_SRCS := core/sched.c core/sched_balance.c core/launch/monitor.c core/launch/line_edit.c core/launch/console_mux.c \
	core/lib/cpu_idle.c core/lib/string.c
test_monitor_SAN := asan tsan
