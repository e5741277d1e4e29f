# Lockless leaf updates against zaps: access-tracking restores by the
# fast path while an ager marks and a zapper detaches tables, and the
# hardware's dirty-bit assist racing with zaps (no dirty bit lost).
# EPT and NPT.
HOST_TESTS += test_tdp_age_race
test_tdp_age_race_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_age_race_SAN := asan tsan
