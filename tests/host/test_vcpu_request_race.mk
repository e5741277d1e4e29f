# vCPU requests and kicks under races: the entry/halt race aimed at with
# two threads, and a stress test of vCPU threads against sender threads
# (no request lost, no kick missed, IPIs only to vCPUs in guest mode).
HOST_TESTS += test_vcpu_request_race
test_vcpu_request_race_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c core/vcpu_request.c
test_vcpu_request_race_SAN := asan tsan
