# The VM builder: RAM layout and memslots, TDP parameters from the
# backend's caps, vCPUs with backend vCPUs and TDP roots, unwinding of a
# failed build, rebuild over the same RAM, vCPU threads on their CPUs.
HOST_TESTS += test_vm_build
test_vm_build_SRCS := core/sched.c core/sched_balance.c core/lib/cpu_idle.c core/vm_build.c core/vm.c core/vcpu_ctl.c core/ram_zero.c core/backend.c \
	core/exit_rec.c \
	core/vcpu_request.c core/vtimer.c core/memslots.c core/srcu.c core/lib/percpu_rwlock.c \
	mm/tdp_mmu.c mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c mm/frame.c mm/heap.c core/lib/string.c
test_vm_build_SAN := asan
