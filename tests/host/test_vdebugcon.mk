# QEMU's debug console: text passes, control characters and escape
# sequences are dropped, widths and the readback.
HOST_TESTS += test_vdebugcon
test_vdebugcon_SRCS := core/pc/dev/vdebugcon.c
test_vdebugcon_SAN := asan
