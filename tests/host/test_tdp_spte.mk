# SPTE encodings of EPT and NPT bit for bit, access-tracking round trips,
# the TDP walker's visiting order, and the software walk's hardware rules
# (permissions over levels, large leaves, misconfigurations) on hand-built
# trees.
HOST_TESTS += test_tdp_spte
test_tdp_spte_SRCS := mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	core/memslots.c core/srcu.c core/lib/percpu_rwlock.c mm/frame.c mm/heap.c
test_tdp_spte_SAN := asan tsan
