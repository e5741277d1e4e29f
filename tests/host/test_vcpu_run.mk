# The run loop and the exit dispatch on a test-payload VM, driven by a fake
# backend: every exit reason's dispatch, re-injection of an interrupted
# event, HLT woken by a timer and by a request, a halted vCPU re-armed by
# the kick of a timer armed on it from another thread, the one-shot and
# IPI hypercalls' argument checks, the run deadline handed to the backend
# at every entry (TSan for the threads). VCPU_RUN_TEST_SRCS
# serves the other run-loop tests (test_vcpu_run_pc, test_vcpu_stop, ...).
VCPU_RUN_TEST_SRCS := core/vcpu_run.c core/vcpu_exit.c core/cpuid.c core/guest_mem.c \
	core/insn_len.c core/ram_zero.c core/backend.c core/vm.c core/vcpu_ctl.c core/vcpu_request.c \
	core/exit_rec.c core/vcpu_debug.c core/string_io.c core/vcpu_string_io.c core/guest_walk.c core/vtimer.c core/memslots.c core/srcu.c \
	core/lib/percpu_rwlock.c mm/tdp_mmu.c core/lib/cpu_idle.c core/sched.c core/sched_balance.c \
	mm/tdp_mmu_zap.c mm/tdp_mmu_dirty.c mm/frame.c mm/heap.c core/lib/string.c \
	core/payload/payload_platform.c core/pc/vpc.c core/pc/vpc_vcpu.c core/pc/vpc_kvmclock.c core/pc/vpc_pveoi.c core/pvclock.c core/pc/memmap.c core/pc/mmio_emul.c \
	core/pc/dev/vuart.c core/pc/dev/vpic.c core/pc/dev/vpit.c core/pc/dev/vlapic.c core/pc/dev/vlapic_timer.c core/pc/dev/vapic_bus.c \
	core/pc/dev/vioapic.c core/pc/dev/vrtc.c core/pc/dev/vpci.c core/pc/dev/vacpi_pm.c \
	core/pc/dev/vkbc.c core/pc/dev/vdebug_exit.c core/pc/dev/vdebugcon.c core/pc/dev/vfw_cfg.c \
	core/pc/dev/vshutdown.c core/pc/dev/vtestdev.c
HOST_TESTS += test_vcpu_run
test_vcpu_run_SRCS := $(VCPU_RUN_TEST_SRCS)
test_vcpu_run_SAN := asan tsan
