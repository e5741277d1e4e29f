/*
 * Exit dispatch: one switch on the normalised reason into small
 * handlers, a shared step that advances RIP past the instruction that
 * exited. What depends on the VM's platform (ports, device pages, the
 * platform's MSRs, hypercalls, interrupt sources) goes through its table
 * (core/vm_platform.h). vCPU context, interrupts on, no lock held on
 * entry. A handler returns 0 to re-enter, or stops the VM (vm_stop says
 * why) and returns a negative value: a guest's error never stops the
 * hypervisor.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "asm/xstate.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/ram_zero.h"
#include "core/sched.h"
#include "core/string_io.h"
#include "core/vcpu_ctl.h"
#include "core/vcpu_debug.h"
#include "core/vcpu_run.h"

static uint64_t *gpr(struct vcpu *vcpu, unsigned int r)
{
	return &vcpu->bv->regs.gpr[r];
}

static int vcpu_stop(struct vcpu *vcpu, const struct vm_exit *exit, const char *why)
{
	vm_stop_error(vcpu->vm, "vCPU %u: %s (rip %#llx)", vcpu->id, why,
		      (unsigned long long)vcpu->bv->regs.rip);
	/*
	 * Every vCPU's state and last exits follow when the VM's end is
	 * reported (vm_print_error_dump()), once all have left their loops.
	 */
	return -1;
}

/* The shared step: RIP past the instruction that exited. */
static int skip_insn(struct vcpu *vcpu, const struct vm_exit *exit)
{
	int len = guest_insn_len(vcpu, exit);

	if (len <= 0)
		return vcpu_stop(vcpu, exit, "cannot decode the instruction that exited");
	vcpu->bv->regs.rip += (unsigned int)len;
	if (exit->guest.mode != GUEST_MODE_LONG64)
		vcpu->bv->regs.rip &= 0xffffffffull;
	return 0;
}

static int inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error,
			    uint32_t error)
{
	struct vm_event ev = {
		.valid = true, .type = EVENT_EXCEPTION, .vector = vector,
		.has_error = has_error, .error_code = error,
	};

	return backend_inject_event(vcpu->bv, &ev);
}

static int handle_cpuid(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint32_t out[4];

	cpuid_policy(vcpu, (uint32_t)*gpr(vcpu, GPR_RAX), (uint32_t)*gpr(vcpu, GPR_RCX),
		     exit->guest.cr4, out);
	*gpr(vcpu, GPR_RAX) = out[0];
	*gpr(vcpu, GPR_RBX) = out[1];
	*gpr(vcpu, GPR_RCX) = out[2];
	*gpr(vcpu, GPR_RDX) = out[3];
	return skip_insn(vcpu, exit);
}

/*
 * XSETBV: XCR0 (ECX 0) takes EDX:EAX if the CPU would take it for the
 * components offered (asm/xstate.h, xcr0_valid()); otherwise #GP(0), as
 * on the CPU. CR4.OSXSAVE clear (#UD) and CPL > 0 (#GP) fault before the
 * exit on both vendors. The value is loaded at the next entry
 * (core/guest_xstate.h).
 */
static int handle_xsetbv(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint32_t index = (uint32_t)*gpr(vcpu, GPR_RCX);
	uint64_t val = ((uint64_t)(uint32_t)*gpr(vcpu, GPR_RDX) << 32) |
		       (uint32_t)*gpr(vcpu, GPR_RAX);

	if (index != XCR_XFEATURE_ENABLED || !xcr0_valid(val, cpuid_xcr0_offered())) {
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
	vcpu->bv->xs.xcr0 = val;
	return skip_insn(vcpu, exit);
}

/* IN's result: a 32-bit IN zero-extends into RAX, narrower ones merge. */
static void io_set_result(uint64_t *rax, unsigned int size, uint32_t val)
{
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;

	*rax = size == 4 ? val : (*rax & ~mask) | (val & mask);
}

/*
 * Port I/O: the platform's devices answer; a port without one floats
 * high on reads and drops writes, as on an empty bus.
 */
static int handle_io(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t *rax = gpr(vcpu, GPR_RAX);
	unsigned int size = exit->io.size;
	uint32_t val = (uint32_t)*rax;
	int err;

	if (exit->io.string)
		return vcpu_string_io(vcpu, exit);
	err = vm_platform_port_io(vcpu, exit->io.port, size, exit->io.in, &val);
	if (err == -ENOENT)
		val = 0xffffffffu;
	else if (err)
		return -1;	/* the platform stopped the VM */
	if (exit->io.in)
		io_set_result(rax, size, val);
	return skip_insn(vcpu, exit);
}

/* MSR policy: emulated ones answer; every other MSR is #GP. */
static int handle_msr_read(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t val;
	int err = vm_platform_rdmsr(vcpu, exit->msr.index, &val);

	if (err == -EINVAL) {
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
	if (!err)
		goto done;
	switch (exit->msr.index) {
	case MSR_IA32_APIC_BASE:
		val = APIC_BASE_DEFAULT | APIC_BASE_EN | (vcpu->id == 0 ? APIC_BASE_BSP : 0);
		break;
	case MSR_IA32_MISC_ENABLE:
		val = MISC_ENABLE_FAST_STRINGS;
		break;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRRCAP:
	case MSR_IA32_MTRR_DEF_TYPE:
	case MSR_IA32_MCG_CAP:		/* machine check without banks */
	case MSR_IA32_MCG_STATUS:
	case MSR_K8_INT_PENDING_MSG:	/* no C1E: Linux's AMD E400 check reads it */
		val = 0;
		break;
	case MSR_TSC_AUX:
		if (!cpuid_tsc_aux_offered()) {
			inject_exception(vcpu, VEC_GP, true, 0);
			return 0;
		}
		val = vcpu->bv->xs.tsc_aux;
		break;
	default:
		if (backend_get_msr(vcpu->bv, exit->msr.index, &val) == 0)
			break;
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
done:
	*gpr(vcpu, GPR_RAX) = (uint32_t)val;
	*gpr(vcpu, GPR_RDX) = val >> 32;
	return skip_insn(vcpu, exit);
}

static int handle_msr_write(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t val = (uint32_t)*gpr(vcpu, GPR_RAX) | (*gpr(vcpu, GPR_RDX) << 32);
	int err = vm_platform_wrmsr(vcpu, exit->msr.index, val);

	if (err == -EINVAL) {
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
	if (!err)
		return skip_insn(vcpu, exit);
	switch (exit->msr.index) {
	case MSR_IA32_MISC_ENABLE:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRR_DEF_TYPE:
	case MSR_IA32_MCG_STATUS:
		break;	/* filtered: accepted and ignored */
	case MSR_TSC_AUX:	/* loaded at the next entry (core/guest_xstate.h) */
		if (!cpuid_tsc_aux_offered() || (val >> 32)) {
			inject_exception(vcpu, VEC_GP, true, 0);
			return 0;
		}
		vcpu->bv->xs.tsc_aux = (uint32_t)val;
		break;
	default:
		if (backend_set_msr(vcpu->bv, exit->msr.index, val) == 0)
			break;
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
	return skip_insn(vcpu, exit);
}

/* HLT ends on an interrupt the guest takes, or on an NMI or INIT. */
bool vcpu_hlt_ready(struct vcpu *vcpu)
{
	if (vm_platform_wake_pending(vcpu))
		return true;
	return (vcpu->bv->regs.rflags & X86_RFLAGS_IF) && vcpu_irq_pending(vcpu);
}

/*
 * PAUSE (backend_set_pause_exit(); with a filter, a long run of them):
 * the guest spins, likely on a lock that a vCPU switched out holds. With
 * another thread runnable here: past the PAUSE (a hint; without a filter
 * it would exit again at once), then the CPU goes to another runnable
 * vCPU, of the same VM first (sched_yield_spin()). Alone: back to the
 * PAUSE, which runs natively (the run loop clears an unfiltered
 * intercept first) or after a new filter count.
 */
static int handle_pause(struct vcpu *vcpu, struct vm_exit *exit)
{
	int err;

	if (!vcpu->req.thread || !sched_cpu_shared())
		return 0;
	err = skip_insn(vcpu, exit);
	if (err)
		return err;
	vcpu_sched_switch(vcpu, sched_yield_spin);
	return 0;
}

/*
 * HLT: the vCPU blocks until an interrupt it can take is pending (a timer
 * of its own may bring one); its physical CPU halts meanwhile. A request
 * (a TLB flush, a call from the monitor) interrupts the block to be
 * serviced but does not end the halt: the vCPU stays halted (vcpu->halted)
 * and the run loop blocks it again, as a CPU stays in HLT across an SMI.
 */
static int handle_hlt(struct vcpu *vcpu, struct vm_exit *exit)
{
	int err = skip_insn(vcpu, exit);

	if (err)
		return err;
	/*
	 * A timer already due (the guest halted just as its tick came) or
	 * an interrupt already pending: back into the guest at once, without
	 * the block's handshake with the wakers.
	 */
	if (vtimer_next_deadline(&vcpu->timers) <= time_now_ns())
		vtimer_update_irq(&vcpu->timers, time_now_ns());
	if (vcpu_hlt_ready(vcpu))
		return 0;
	vcpu_block(vcpu, vcpu_hlt_ready);
	vcpu->halted = !vcpu_hlt_ready(vcpu);
	return 0;
}

static int handle_tdp_fault(struct vcpu *vcpu, struct vm_exit *exit)
{
	unsigned int access = (exit->tdp.write ? TDP_ACC_WRITE : 0) |
			      (exit->tdp.exec ? TDP_ACC_EXEC : 0) | TDP_ACC_READ;
	char why[160];
	int err;

	/* RAM first touched: zeroed before a mapping can exist. */
	if (vcpu->vm->ram_zero)
		ram_zero_touch(vcpu->vm->ram_zero, exit->gpa & PAGE_MASK, PAGE_SIZE);
	switch (tdp_mmu_page_fault(&vcpu->vm->mmu, &vcpu->srcu, exit->gpa, access)) {
	case TDP_FAULT_FIXED:
	case TDP_FAULT_RETRY:
		return 0;
	case TDP_FAULT_NO_SLOT:
		/* A device register of the platform, or its open bus? */
		err = vm_platform_mmio(vcpu, exit, why, sizeof(why));
		if (!err)
			return 0;
		if (err != -ENOENT)
			return vcpu_stop(vcpu, exit, why);
		hv_snprintf(why, sizeof(why), "touched guest-physical %#llx outside every memslot",
			    (unsigned long long)exit->gpa);
		return vcpu_stop(vcpu, exit, why);
	case TDP_FAULT_READONLY:
		/* The platform's ROM, whose writes it drops? */
		err = vm_platform_mmio(vcpu, exit, why, sizeof(why));
		if (!err)
			return 0;
		if (err != -ENOENT)
			return vcpu_stop(vcpu, exit, why);
		hv_snprintf(why, sizeof(why), "wrote read-only guest-physical %#llx",
			    (unsigned long long)exit->gpa);
		return vcpu_stop(vcpu, exit, why);
	default:
		return vcpu_stop(vcpu, exit, "out of memory for the TDP tables");
	}
}

/* VMCALL/VMMCALL: the platform's hypercalls; without any, #UD as on bare metal. */
static int handle_vmcall(struct vcpu *vcpu, struct vm_exit *exit)
{
	if (vm_platform_hypercall(vcpu)) {
		inject_exception(vcpu, VEC_UD, false, 0);
		return 0;
	}
	return skip_insn(vcpu, exit);
}

/* The failing check the backend named, in the stop message. */
static int handle_invalid_state(struct vcpu *vcpu, struct vm_exit *exit)
{
	char why[128];

	hv_snprintf(why, sizeof(why), "the CPU refused the guest state: %s",
		    exit->invalid.why ? exit->invalid.why : "no reason given");
	return vcpu_stop(vcpu, exit, why);
}

int vcpu_handle_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	if (exit->handled)
		return 0;
	switch (exit->reason) {
	case EXIT_CPUID:
		return handle_cpuid(vcpu, exit);
	case EXIT_IO:
		return handle_io(vcpu, exit);
	case EXIT_MSR_READ:
		return handle_msr_read(vcpu, exit);
	case EXIT_MSR_WRITE:
		return handle_msr_write(vcpu, exit);
	case EXIT_HLT:
		return handle_hlt(vcpu, exit);
	case EXIT_TDP_FAULT:
		return handle_tdp_fault(vcpu, exit);
	case EXIT_VMCALL:
		return handle_vmcall(vcpu, exit);
	case EXIT_XSETBV:
		return handle_xsetbv(vcpu, exit);
	case EXIT_EXTERNAL_INTR:
	case EXIT_NMI:
	case EXIT_SMI:
	case EXIT_INTR_WINDOW:
	case EXIT_NMI_WINDOW:
	case EXIT_IRET:
	/* The run's deadline passed: the run loop preempts or fires timers. */
	case EXIT_PREEMPT_TIMER:
		return 0;
	case EXIT_PAUSE:
		return handle_pause(vcpu, exit);
	case EXIT_VIRT_INSN:
	case EXIT_RDTSCP:	/* neither backend asks for this exit */
		inject_exception(vcpu, VEC_UD, false, 0);
		return 0;
	case EXIT_WBINVD:
		/*
		 * No device is assigned to a guest, so nothing it owns needs
		 * the flush; done for real it would empty every cache the
		 * host and the other VMs share (KVM does the same).
		 */
		return skip_insn(vcpu, exit);
	case EXIT_EXCEPTION:
	case EXIT_SOFT_INT:
	case EXIT_MTF:
	case EXIT_DR_ACCESS:
		/* Only a debugger's intercepts reach here (core/vcpu_debug.h). */
		if (!vcpu->debug || (exit->reason == EXIT_EXCEPTION &&
				     exit->exception.vector != VEC_BP &&
				     exit->exception.vector != VEC_DB))
			return vcpu_stop(vcpu, exit, exit_reason_name(exit->reason));
		return vcpu_debug_handle_exit(vcpu, exit);
	case EXIT_TRIPLE_FAULT:
		return vcpu_stop(vcpu, exit, "triple fault");
	case EXIT_INVALID_STATE:
		return handle_invalid_state(vcpu, exit);
	case EXIT_TDP_MISCONFIG:
		return vcpu_stop(vcpu, exit, "TDP misconfiguration (hypervisor bug)");
	default:
		return vcpu_stop(vcpu, exit, exit_reason_name(exit->reason));
	}
}
