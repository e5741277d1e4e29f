# KVM's PV EOI on the virtual PC: the feature bit and MSR with paravirt=kvm
# only, the guest's word set for an edge-triggered vector alone in service
# and read back at the next exit (the local APIC's ISR, IRR and TMR with
# PV EOI on and off), a guest that writes the EOI register anyway, the
# cases that never use the word, the kick while it is set, HLT in the run
# loop after a PV EOI, refused addresses and INIT.
HOST_TESTS += test_vpc_pveoi
test_vpc_pveoi_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vpc_pveoi_SAN := asan
