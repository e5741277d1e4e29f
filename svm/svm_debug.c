/*
 * AMD-V debug support for a guest debugger (core/vcpu_debug.h): the
 * guest's debug registers, the DR-access intercepts, and the loading of a
 * debugger's DR7 into the CPU around VMRUN.
 *
 * DR6 and DR7 are in the VMCB (VMRUN loads them, #VMEXIT saves them);
 * DR0-DR3 are not, and live in the CPU from the vCPU's first entry there
 * (svm_vcpu.dr_live). QEMU 7.2 TCG loads DR7 on VMRUN without arming its
 * breakpoints, which only a MOV to DR7 does: while a debugger owns the
 * registers, svm_debug_entry() writes the VMCB's DR7 into the CPU just
 * before VMRUN, and svm_debug_exit() disables it again right after the
 * exit (docs/debugging.md, "Debug exits on emulators"). On hardware the
 * extra MOV is harmless: VMRUN loads the same value.
 *
 * vCPU context: the vCPU's own thread, the vCPU loaded on this CPU;
 * svm_debug_entry/exit with interrupts off. No lock.
 */
#include "core/lib/string.h"
#include "svm/svm.h"

/* DR0-DR7 reads and writes: bits 15:0 reads, 31:16 writes. */
#define SVM_INTERCEPT_DR_ALL 0x00ff00ffu

static inline void svm_write_dr7(uint64_t val)
{
	__asm__ __volatile__("mov %0, %%dr7" :: "r"(val));
}

void svm_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d)
{
	struct svm_vcpu *v = to_svm(bv);

	if (v->dr_live)
		read_dr0_3(d->dr);
	else
		memcpy(d->dr, v->dr, sizeof(d->dr));
	d->dr6 = v->vmcb->save.dr6;
	d->dr7 = v->vmcb->save.dr7;
}

void svm_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d)
{
	struct svm_vcpu *v = to_svm(bv);

	memcpy(v->dr, d->dr, sizeof(v->dr));
	if (v->dr_live)
		write_dr0_3(v->dr);
	/* VMRUN refuses bits 63:32 set. */
	v->vmcb->save.dr6 = (uint32_t)d->dr6;
	v->vmcb->save.dr7 = (uint32_t)d->dr7;
	svm_dirty(v, VMCB_CLEAN_DRX);
}

int svm_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags)
{
	struct svm_vcpu *v = to_svm(bv);

	/* AMD-V has no monitor trap flag: core steps with RFLAGS.TF. */
	if (flags & BACKEND_DEBUG_MTF)
		return -ENOTSUP;
	v->vmcb->control.intercept_dr = (flags & BACKEND_DEBUG_DR_EXIT) ? SVM_INTERCEPT_DR_ALL : 0;
	svm_dirty(v, VMCB_CLEAN_INTERCEPTS);
	v->host_dr = flags & BACKEND_DEBUG_HOST_DR;
	return 0;
}

void svm_debug_entry(struct svm_vcpu *v)
{
	v->entry_rip = v->vmcb->save.rip;
	v->entry_inj = v->inj;
	if (v->bp_bypass) {
		v->vmcb->control.intercept_exceptions &= ~BIT(VEC_BP);
		svm_intercept_misc1(v, SVM_INTERCEPT_INTN, false);
	}
	/* Only the debugger's values: a guest's own never reach host mode. */
	if (v->host_dr)
		svm_write_dr7(v->vmcb->save.dr7);
}

void svm_debug_exit(struct svm_vcpu *v)
{
	if (v->bp_bypass) {
		v->bp_bypass = false;
		svm_intercept_exceptions_update(v);
		svm_intercept_misc1(v, SVM_INTERCEPT_INTN, v->exc_core & BIT(VEC_BP));
	}
	if (v->host_dr)
		svm_write_dr7(X86_DR7_RESET);
}

uint64_t svm_debug_db_cause(struct svm_vcpu *v)
{
	const struct vmcb_save *s = &v->vmcb->save;
	uint64_t rip = s->cs.base + s->rip, dr7 = s->dr7, bits = 0, data = 0;
	uint64_t dr[4];
	unsigned int n;

	if (svm_guest_mode(v->vmcb) != GUEST_MODE_LONG64)
		rip &= 0xffffffffull;
	if (v->dr_live)
		read_dr0_3(dr);
	else
		memcpy(dr, v->dr, sizeof(dr));
	for (n = 0; n < 4; n++) {
		if (!(dr7 & (X86_DR7_L(n) | X86_DR7_G(n))))
			continue;
		if (((dr7 >> X86_DR7_RW_SHIFT(n)) & 3) == X86_DR7_RW_EXEC) {
			if (dr[n] == rip)
				bits |= X86_DR6_B(n);
		} else {
			data |= X86_DR6_B(n);
		}
	}
	if (bits)
		return bits;
	if ((s->rflags & X86_RFLAGS_TF) && s->rip != v->entry_rip)
		return X86_DR6_BS;
	return data;
}

bool svm_debug_bp_injected(struct svm_vcpu *v)
{
	const struct vm_event *ev = &v->entry_inj;

	if (!ev->valid || ev->vector != VEC_BP || ev->type != EVENT_SOFT_EXCEPTION ||
	    v->vmcb->save.rip != v->entry_rip || svm_event_queued(v))
		return false;
	svm_queue_event(v, ev);
	v->bp_bypass = true;
	return true;
}
