/*
 * Exit dispatch: one switch on the normalised reason into small
 * handlers, a shared step that advances RIP past the instruction that
 * exited. vCPU context, interrupts on, no lock held on entry. A handler
 * returns 0 to re-enter, or stops the VM (vm_stop says why) and returns
 * a negative value: a guest's error never stops the hypervisor.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/ram_zero.h"
#include "core/vcpu_run.h"
#include "core/pc/vpc.h"

static uint64_t *gpr(struct vcpu *vcpu, unsigned int r)
{
	return &vcpu->bv->regs.gpr[r];
}

static int vcpu_stop(struct vcpu *vcpu, const struct vm_exit *exit, const char *why)
{
	vm_stop(vcpu->vm, "vCPU %u: %s (rip %#llx)", vcpu->id, why,
		(unsigned long long)vcpu->bv->regs.rip);
	/* Exit counts and traces follow when the VM's end is reported. */
	vcpu_dump_state(vcpu);
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

	cpuid_policy(vcpu, (uint32_t)*gpr(vcpu, GPR_RAX), (uint32_t)*gpr(vcpu, GPR_RCX), out);
	*gpr(vcpu, GPR_RAX) = out[0];
	*gpr(vcpu, GPR_RBX) = out[1];
	*gpr(vcpu, GPR_RCX) = out[2];
	*gpr(vcpu, GPR_RDX) = out[3];
	return skip_insn(vcpu, exit);
}

/* The guest console: bytes to port 0xE9, one log line per guest line. */
static void guest_console_putc(struct vm *vm, char c)
{
	spin_lock(&vm->console_lock);
	if (c != '\n' && c != '\r')
		vm->console_line[vm->console_len++] = c;
	if (c == '\n' || vm->console_len == sizeof(vm->console_line) - 1) {
		vm->console_line[vm->console_len] = '\0';
		pr_info("[%s] %s", vm->name, vm->console_line);
		vm->console_len = 0;
	}
	spin_unlock(&vm->console_lock);
}

/* IN's result: a 32-bit IN zero-extends into RAX, narrower ones merge. */
static void io_set_result(uint64_t *rax, unsigned int size, uint32_t val)
{
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (size * 8)) - 1;

	*rax = size == 4 ? val : (*rax & ~mask) | (val & mask);
}

static int handle_io(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t *rax = gpr(vcpu, GPR_RAX);
	unsigned int size = exit->io.size;
	uint32_t val = (uint32_t)*rax;

	if (exit->io.string)
		return vcpu_stop(vcpu, exit, "string I/O is not emulated");
	if (!exit->io.in && exit->io.port == GUEST_PORT_CONSOLE) {
		guest_console_putc(vcpu->vm, (char)(val & 0xff));
		return skip_insn(vcpu, exit);
	}
	if (vcpu->vm->pc) {
		/* The virtual PC's devices; unclaimed ports float high. */
		vpc_port_io(vcpu, exit->io.port, size, exit->io.in, &val);
		if (exit->io.in)
			io_set_result(rax, size, val);
		return skip_insn(vcpu, exit);
	}
	if (exit->io.in) {
		/* No device behind the port: all ones, as on an empty bus. */
		io_set_result(rax, size, 0xffffffffu);
		return skip_insn(vcpu, exit);
	}
	if (exit->io.port == GUEST_PORT_EXIT) {
		vm_stop(vcpu->vm, "guest exit, status %llu",
			(unsigned long long)(val & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1)));
		return -1;
	}
	return skip_insn(vcpu, exit);	/* writes to absent devices are dropped */
}

/* MSR policy: emulated ones answer; every other MSR is #GP. */
static int handle_msr_read(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t val;
	int err = vcpu->vm->pc ? vpc_rdmsr(vcpu, exit->msr.index, &val) : -ENOENT;

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
	int err = vcpu->vm->pc ? vpc_wrmsr(vcpu, exit->msr.index, val) : -ENOENT;

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
	default:
		if (backend_set_msr(vcpu->bv, exit->msr.index, val) == 0)
			break;
		inject_exception(vcpu, VEC_GP, true, 0);
		return 0;
	}
	return skip_insn(vcpu, exit);
}

/* HLT ends on an interrupt the guest takes, or on an NMI or INIT. */
static bool vcpu_hlt_ready(struct vcpu *vcpu)
{
	if (vcpu->vm->pc && vpc_vcpu_wake_pending(vcpu))
		return true;
	return (vcpu->bv->regs.rflags & X86_RFLAGS_IF) && vcpu_irq_pending(vcpu);
}

/*
 * HLT: the vCPU blocks until an interrupt it can take is pending, a timer
 * is due or a request arrives; its physical CPU halts meanwhile.
 */
static int handle_hlt(struct vcpu *vcpu, struct vm_exit *exit)
{
	int err = skip_insn(vcpu, exit);

	if (err)
		return err;
	vcpu_block(vcpu, vcpu_hlt_ready);
	return 0;
}

static int handle_tdp_fault(struct vcpu *vcpu, struct vm_exit *exit)
{
	unsigned int access = (exit->tdp.write ? TDP_ACC_WRITE : 0) |
			      (exit->tdp.exec ? TDP_ACC_EXEC : 0) | TDP_ACC_READ;
	char why[96];

	/* RAM first touched: zeroed before a mapping can exist. */
	if (vcpu->vm->ram_zero)
		ram_zero_touch(vcpu->vm->ram_zero, exit->gpa & PAGE_MASK, PAGE_SIZE);
	switch (tdp_mmu_page_fault(&vcpu->vm->mmu, &vcpu->srcu, exit->gpa, access)) {
	case TDP_FAULT_FIXED:
	case TDP_FAULT_RETRY:
		return 0;
	case TDP_FAULT_NO_SLOT:
		/* A device register of the virtual PC (the APIC, the IOAPIC)? */
		if (vcpu->vm->pc && vpc_mmio_claims(vcpu->vm, exit->gpa))
			return vpc_handle_mmio(vcpu, exit);
		hv_snprintf(why, sizeof(why), "touched guest-physical %#llx outside every memslot",
			    (unsigned long long)exit->gpa);
		return vcpu_stop(vcpu, exit, why);
	case TDP_FAULT_READONLY:
		hv_snprintf(why, sizeof(why), "wrote read-only guest-physical %#llx",
			    (unsigned long long)exit->gpa);
		return vcpu_stop(vcpu, exit, why);
	default:
		return vcpu_stop(vcpu, exit, "out of memory for the TDP tables");
	}
}

static int handle_vmcall(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint64_t *rax = gpr(vcpu, GPR_RAX);

	switch (*rax) {
	case HC_TIMER_ONESHOT: {
		uint64_t now = time_now_ns();

		WRITE_ONCE(vcpu->pv_timer_vector, (uint8_t)*gpr(vcpu, GPR_RCX));
		vtimer_start(&vcpu->pv_timer, &vcpu->timers, now,
			     now + *gpr(vcpu, GPR_RBX) * 1000, 0);
		*rax = 0;
		break;
	}
	case HC_VCPU_ID:
		*rax = vcpu->id;
		break;
	default:
		*rax = (uint64_t)-1;
		break;
	}
	return skip_insn(vcpu, exit);
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
	case EXIT_EXTERNAL_INTR:
	case EXIT_NMI:
	case EXIT_SMI:
	case EXIT_INTR_WINDOW:
	case EXIT_NMI_WINDOW:
	case EXIT_IRET:
	case EXIT_PAUSE:
		return 0;
	case EXIT_VIRT_INSN:
		inject_exception(vcpu, VEC_UD, false, 0);
		return 0;
	case EXIT_TRIPLE_FAULT:
		return vcpu_stop(vcpu, exit, "triple fault");
	case EXIT_INVALID_STATE:
		return vcpu_stop(vcpu, exit, "the CPU refused the guest state");
	case EXIT_TDP_MISCONFIG:
		return vcpu_stop(vcpu, exit, "TDP misconfiguration (hypervisor bug)");
	default:
		return vcpu_stop(vcpu, exit, exit_reason_name(exit->reason));
	}
}
