# The Bochs shutdown port 0x8900: "Shutdown" byte by byte powers off;
# partial, wrong and restarted sequences do not.
HOST_TESTS += test_vshutdown
test_vshutdown_SRCS := core/pc/dev/vshutdown.c
test_vshutdown_SAN := asan
