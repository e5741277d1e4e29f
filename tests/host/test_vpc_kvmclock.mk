# KVM's paravirtual clock on the virtual PC: the TSC-to-ns scale over a
# range of TSC rates against the guest's formula, the CPUID leaves with
# paravirt=kvm and none, the kvmclock MSRs (the structure in guest RAM,
# its version protocol, the refused addresses, the old MSRs' #GP), the
# rewrite at each load with the backend's TSC offset, the stable bit,
# the wall clock and INIT.
HOST_TESTS += test_vpc_kvmclock
test_vpc_kvmclock_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vpc_kvmclock_SAN := asan
