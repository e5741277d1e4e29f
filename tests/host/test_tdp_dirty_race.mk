# Six vCPUs write through the walker while logging is turned on, a
# harvester collects dirty logs and an ager marks pages for access
# tracking: every write made after logging began is in a later harvest.
# EPT and NPT.
HOST_TESTS += test_tdp_dirty_race
test_tdp_dirty_race_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_dirty_race_SAN := asan tsan
