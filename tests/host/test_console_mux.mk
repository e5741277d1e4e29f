# Guest console output against a UART that holds the drain: two vCPUs'
# output finishes while it does, then comes out in order, tagged lines
# whole, the overflow counted in one drop line; unfocused lines and the
# filter without the guest's control characters; log lines never split.
HOST_TESTS += test_console_mux
test_console_mux_SRCS := core/launch/console_mux.c core/lib/string.c
test_console_mux_SAN := asan tsan
