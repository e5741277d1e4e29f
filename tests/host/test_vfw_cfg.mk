# QEMU's fw_cfg, traditional I/O interface: the items, selection and
# offsets, unknown keys, and QEMU 7.2's answers to other access widths.
HOST_TESTS += test_vfw_cfg
test_vfw_cfg_SRCS := core/pc/dev/vfw_cfg.c core/lib/string.c
test_vfw_cfg_SAN := asan
