# Debug intercepts for a guest debugger (core/vcpu_debug.c) on the run
# loop with the fake backend: #BP classification and re-injection, steps
# (TF and MTF) with interrupts held off and emulated instructions ending
# their step, the guest's own TF trap after an emulated instruction, #DB
# classification from DR6, MOV DR on the guest's shadow
# and its restoration.
HOST_TESTS += test_vcpu_debug
test_vcpu_debug_SRCS = $(VCPU_RUN_TEST_SRCS)
test_vcpu_debug_SAN := asan
