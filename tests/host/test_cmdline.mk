# Boot command line parser.
HOST_TESTS += test_cmdline
test_cmdline_SRCS := core/lib/cmdline.c core/lib/string.c
test_cmdline_SAN := asan
