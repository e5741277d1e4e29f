# Keyboard controller reset line (0xFE to port 0x64) and port 0x92.
HOST_TESTS += test_vkbc
test_vkbc_SRCS := core/pc/dev/vkbc.c
test_vkbc_SAN := asan
