# Boot command line parser.
HOST_TESTS += test_cmdline
test_cmdline_SRCS := core/cmdline.c core/string.c
test_cmdline_SAN := asan
