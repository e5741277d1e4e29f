# The virtual PC's memory map: what the firmware leaves below 1 MiB (the
# BIOS data area, the EBDA, the ROM's 0xff) and nothing else, the
# unbacked regions around RAM and the device pages, the once-per-region
# log limit (racing vCPU threads: one wins) and the log line.
HOST_TESTS += test_memmap
test_memmap_SRCS := core/pc/memmap.c core/lib/string.c
test_memmap_SAN := asan tsan
