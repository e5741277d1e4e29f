# core/lib/printf.c against the host libc (printf.c itself is in HOST_COMMON).
HOST_TESTS += test_printf
test_printf_SRCS :=
test_printf_SAN := asan
