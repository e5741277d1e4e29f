# The vms.cfg parser: syntax, every key's limits, every error message.
HOST_TESTS += test_vmconfig
test_vmconfig_SRCS := core/launch/vmconfig.c core/launch/vmconfig_values.c
test_vmconfig_SAN := asan
