# Guest RAM zeroed on first touch: chunk mapping, the loader's kept ranges,
# and racing touches (no chunk zeroed twice over data written after it).
HOST_TESTS += test_ram_zero
test_ram_zero_SRCS := core/ram_zero.c core/lib/string.c
test_ram_zero_SAN := asan tsan
