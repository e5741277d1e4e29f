# Seven vCPUs fault and access guest memory while a slot is deleted,
# created and moved under them: no translation of a state already gone,
# no SPTE in a deleted or vacated range, ever again. EPT and NPT.
HOST_TESTS += test_tdp_slot_race
test_tdp_slot_race_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_slot_race_SAN := asan tsan
