# TDP MMU fault path on one CPU, EPT and NPT: 4 KiB / 2 MiB / 1 GiB leaves
# by slot alignment, NO_SLOT and READONLY, dirty logging and access
# tracking fixed by the fast path.
HOST_TESTS += test_tdp_fault
test_tdp_fault_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_fault_SAN := asan tsan
