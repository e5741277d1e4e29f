# vCPU requests and kicks: request/entry/halt semantics, one IPI per kick,
# mask iteration, WAIT, the stuck report (core/lib/spinlock.c is in
# HOST_COMMON).
HOST_TESTS += test_vcpu_request
test_vcpu_request_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c core/vcpu_request.c
test_vcpu_request_SAN := asan tsan
