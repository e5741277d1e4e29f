# The run loop and the exit dispatch on a VM with the virtual PC, driven by
# a fake backend: injection priority (NMI, local APIC, 8259) with the INTA
# only on a real injection, HLT woken by an interrupt and by an NMI from
# another thread, INIT/SIPI start-up and ordering, the PC's ports, device
# pages and MSRs, #UD for VMCALL (TSan for the threads).
HOST_TESTS += test_vcpu_run_pc
test_vcpu_run_pc_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vcpu_run_pc_SAN := asan tsan
