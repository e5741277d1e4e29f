/*
 * VT-x debug support for a guest debugger (core/vcpu_debug.h): the
 * guest's debug registers, MOV-DR exiting and the monitor trap flag.
 *
 * DR7 is in the VMCS (loaded on entry, saved on exit); DR0-DR3 and DR6
 * are live registers, in the CPU while the vCPU owns it and in struct
 * vmx_live otherwise (docs/vmx.md, "Guest state"). A #DB that exits
 * leaves DR6 alone: its bits are in the exit qualification. The monitor
 * trap flag is offered by some CPUs only (Bochs 2.7 offers it on none of
 * its models: docs/debugging.md); without it core steps with RFLAGS.TF.
 *
 * vCPU context: the vCPU's own thread with the vCPU loaded; the VMCS is
 * made current around each access (vmx_vmcs_enter()). No lock.
 */
#include "asm/cpu.h"
#include "core/lib/string.h"
#include "vmx/vmx.h"

static inline uint64_t vmx_dbg_read_dr6(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void vmx_dbg_write_dr6(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%dr6" :: "r"(v));
}

void vmx_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags = vmx_vmcs_enter(v);

	if (vmx_live_here(v)) {
		read_dr0_3(d->dr);
		d->dr6 = vmx_dbg_read_dr6();
	} else {
		memcpy(d->dr, v->live.dr, sizeof(d->dr));
		d->dr6 = v->live.dr6;
	}
	d->dr7 = vmcs_read(VMCS_GUEST_DR7);
	vmx_vmcs_exit(v, flags);
}

void vmx_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags = vmx_vmcs_enter(v);

	memcpy(v->live.dr, d->dr, sizeof(v->live.dr));
	v->live.dr6 = (uint32_t)d->dr6;
	if (vmx_live_here(v)) {
		write_dr0_3(v->live.dr);
		vmx_dbg_write_dr6(v->live.dr6);
	}
	/* VM entry refuses DR7 bits 63:32 set. */
	vmcs_write(VMCS_GUEST_DR7, (uint32_t)d->dr7);
	vmx_vmcs_exit(v, flags);
}

int vmx_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags)
{
	struct vmx_vcpu *v = to_vmx(bv);
	bool dr_exit = flags & BACKEND_DEBUG_DR_EXIT;
	bool mtf = flags & BACKEND_DEBUG_MTF;
	unsigned long irq;

	if ((mtf && !(vmx_features.proc_may1 & PROC_MONITOR_TRAP_FLAG)) ||
	    (dr_exit && !(vmx_features.proc_may1 & PROC_MOV_DR_EXITING)))
		return -ENOTSUP;
	irq = vmx_vmcs_enter(v);
	vmx_write_proc(v, PROC_MOV_DR_EXITING, dr_exit);
	vmx_write_proc(v, PROC_MONITOR_TRAP_FLAG, mtf);
	vmx_vmcs_exit(v, irq);
	return 0;
}
