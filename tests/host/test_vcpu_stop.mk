# The ways the run loop ends a VM, on the fake backend: a refused entry, a
# broken timer list (before an entry and while halted), a stop from any
# vCPU thread or from outside while the others run (TSan for the threads).
HOST_TESTS += test_vcpu_stop
test_vcpu_stop_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vcpu_stop_SAN := asan tsan
