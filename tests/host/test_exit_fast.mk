# The exit path's fast paths on a VM with the virtual PC, driven by the
# fake backend: the MMIO emulation decoding the instruction bytes an exit
# carries (SVM decode assists) exactly as the same bytes fetched from
# guest memory, falling back to the fetch when they end too soon; the PM
# timer's read and the PCI config cycles without their locks; HLT with its
# timer already due.
HOST_TESTS += test_exit_fast
# (=, not :=: VCPU_RUN_TEST_SRCS comes from test_vcpu_run.mk, included later)
test_exit_fast_SRCS = $(VCPU_RUN_TEST_SRCS)
test_exit_fast_SAN := asan tsan
