# Pausing vCPUs and calls on their threads (core/vcpu_ctl.c) on running
# run loops, with the halt model on, under ASan and TSan.
HOST_TESTS += test_vcpu_ctl
test_vcpu_ctl_SRCS = $(VCPU_RUN_TEST_SRCS)
test_vcpu_ctl_SAN := asan tsan
