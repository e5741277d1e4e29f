# String I/O through the exit dispatch on the virtual PC, driven by the
# fake backend: prefixes decoded where the exit leaves them out, a REP
# over several exits, a #PF in the middle with CR2 in the guest's state.
HOST_TESTS += test_vcpu_string_io
test_vcpu_string_io_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vcpu_string_io_SAN := asan
