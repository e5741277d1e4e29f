# TDP MMU zaps on one CPU, EPT and NPT: leaves and tables in and out of
# range, straddling large leaves, invalidations blocking faults, memslot
# delete/move/read-only, reclaim batches that overflow.
HOST_TESTS += test_tdp_zap
test_tdp_zap_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_zap_SAN := asan tsan
