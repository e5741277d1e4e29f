# pc-testdev's lines written by several vCPUs at once through a slow line
# handler: every line ends at the level last written.
HOST_TESTS += test_vtestdev_race
test_vtestdev_race_SRCS := core/pc/dev/vtestdev.c
test_vtestdev_race_SAN := asan tsan
