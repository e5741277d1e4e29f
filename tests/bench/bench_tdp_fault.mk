# Parallel TDP faults on distinct gfns under mmu_lock for read against the
# same fault code under mmu_lock for write, 1..16 threads.
BENCHES += bench_tdp_fault
bench_tdp_fault_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
