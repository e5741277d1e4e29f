# QEMU's isa-debug-exit: the exit status of every width on every port of
# 1-, 2- and 4-port ranges, reads.
HOST_TESTS += test_vdebug_exit
test_vdebug_exit_SRCS := core/pc/dev/vdebug_exit.c
test_vdebug_exit_SAN := asan
