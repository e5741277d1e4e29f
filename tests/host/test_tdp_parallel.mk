# Eight vCPU threads faulting in parallel under mmu_lock for read, on
# distinct and on the same pages (4 KiB and 2 MiB): right frames, one
# install per page, no table frame leaked by a lost cmpxchg. EPT and NPT.
HOST_TESTS += test_tdp_parallel
test_tdp_parallel_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_parallel_SAN := asan tsan
