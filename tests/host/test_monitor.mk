# The console monitor's command registry: registration rules, keys run
# their command, the help line built from the registered commands.
HOST_TESTS += test_monitor
test_monitor_SRCS := core/launch/monitor.c core/launch/console_mux.c core/lib/string.c
test_monitor_SAN := asan
