# The CPUID policy table against a fake host CPUID: what passes through,
# what is hidden, the computed fields and the hypervisor's own leaves.
HOST_TESTS += test_cpuid
test_cpuid_SRCS := core/cpuid.c core/backend.c
test_cpuid_SAN := asan
