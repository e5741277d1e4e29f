# The concurrency core assembled: vCPU threads running a model of the run
# loop against memslot updates; remote TLB flushes through vCPU requests.
HOST_TESTS += test_vm
test_vm_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c core/backend.c core/vm.c core/vcpu_ctl.c core/vcpu_request.c core/vtimer.c core/memslots.c \
	core/exit_rec.c \
	core/srcu.c core/lib/percpu_rwlock.c mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c \
	mm/frame.c mm/heap.c core/lib/string.c
test_vm_SAN := asan tsan
