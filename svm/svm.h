/*
 * AMD-V backend: what svm.c, svm_state.c, svm_exit.c and svm_entry.S
 * share, and the three entry points the boot code calls directly
 * (svm_probe(), svm_cpu_enable(), svm_cpu_disable(); everything else goes
 * through svm_backend_ops and core/backend.h).
 *
 * Where the code runs: see core/backend.h; svm_vmrun() and everything
 * that touches a struct svm_vcpu run on the vCPU's own thread with the
 * vCPU loaded on the running CPU.
 */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "core/guest_state.h"

#ifndef __ASSEMBLY__

#include "asm/msr.h"
#include "core/backend.h"
#include "core/event_info.h"
#include "svm/vmcb.h"

/* Exceptions that are always intercepted (docs/svm.md, "Intercepts"). */
#define SVM_EXC_ALWAYS (BIT(VEC_DB) | BIT(VEC_AC) | BIT(VEC_MC))

/* What CPUID says the processor's AMD-V offers. Written once by svm_probe(). */
struct svm_features {
	uint32_t revision;
	uint32_t nasid;		/* ASIDs, 0 (the host's) included */
	uint32_t max_asid;	/* nasid - 1 */
	unsigned int phys_bits;
	unsigned int npt_levels;	/* 4, or 5 when the host runs with LA57 */
	bool np;
	bool lbrv;
	bool svml;
	bool nrips;
	bool tsc_rate;
	bool vmcb_clean;
	bool flush_by_asid;
	bool decode_assists;
	bool pause_filter;
	bool pause_threshold;
	bool vgif;
	bool gbpages;
};

extern struct svm_features svm_features;

/* Pending TLB work for the next entry, in increasing strength. */
enum svm_tlb_flush {
	SVM_FLUSH_NONE,
	SVM_FLUSH_OWN,		/* this vCPU's ASID: TLB_CONTROL=3 or a new ASID */
	SVM_FLUSH_ALL,		/* TLB_CONTROL=1 */
};

/*
 * One vCPU. Everything here belongs to the vCPU's own thread; nothing is
 * read by other CPUs, so there is no lock.
 */
struct svm_vcpu {
	struct backend_vcpu common;	/* first: core's view of it */

	struct vmcb *vmcb;		/* one frame */
	paddr_t vmcb_pa;
	uint8_t *iopm;			/* SVM_IOPM_SIZE, contiguous */
	paddr_t iopm_pa;
	uint8_t *msrpm;			/* SVM_MSRPM_SIZE, contiguous */
	paddr_t msrpm_pa;

	/* Entry bookkeeping. */
	int last_cpu;			/* CPU of the last VMRUN; -1: none yet */
	uint64_t asid_generation;	/* svm_cpu generation of guest_asid */
	uint32_t dirty;			/* VMCB_CLEAN_* groups changed since VMRUN */
	uint8_t tlb_flush;		/* enum svm_tlb_flush for the next entry */
	bool tdp_root_set;
	uint64_t exit_rip;		/* RIP at the last exit (shadow tracking) */

	/*
	 * The event queued in EVENTINJ for the next entry (inj.valid), as
	 * core gave it; after the exit, inj_undelivered says it did not
	 * reach the guest and is reported back for re-injection.
	 */
	struct vm_event inj;
	bool inj_undelivered;

	/*
	 * Guest NMI blocking, which SVM does not expose (docs/svm.md,
	 * "NMI window"): masked from the delivery of an NMI until the
	 * guest's next IRET has completed.
	 */
	bool nmi_masked;
	bool iret_pending;		/* IRET intercepted, not known completed */
	uint64_t iret_rip;		/* where that IRET is */
	bool nmi_window;		/* core asked for EXIT_NMI_WINDOW */
	bool intr_window;		/* core asked for EXIT_INTR_WINDOW */
	bool step_active;		/* this entry single-steps (TF) for the NMI window */
	bool step_was_iret;		/* ... over the pending IRET */
	uint64_t step_rip;		/* RIP the step started at */
	uint64_t step_guest_flags;	/* the guest's own TF and RF before it */
	uint64_t step_saved_dr6;	/* DR6 before it */

	/*
	 * DR0-DR3, which the VMCB does not hold: in the CPU while dr_live
	 * (svm_cpu.dr_owner, from the first entry there until the vCPU is
	 * put or another vCPU enters on that CPU), here otherwise.
	 */
	uint64_t dr[4];
	bool dr_live;

	uint32_t exc_core;		/* exception intercepts core asked for */
	/*
	 * DR0-DR3/DR7 are a debugger's (BACKEND_DEBUG_HOST_DR): DR7 is also
	 * loaded into the CPU around VMRUN (svm_debug.c, QEMU TCG).
	 */
	bool host_dr;
	uint64_t entry_rip;		/* RIP of the last VMRUN (svm_debug_entry()) */
	struct vm_event entry_inj;	/* the event that VMRUN injected */
	bool bp_bypass;			/* next VMRUN: #BP and INT n not intercepted */

	/*
	 * The consistency check svm_run() made before VMRUN of state the host
	 * had changed, or NULL: names the failure of a VMEXIT_INVALID where
	 * the VMCB no longer shows it (QEMU overwrites the save area).
	 */
	const char *entry_check;
};

static inline struct svm_vcpu *to_svm(struct backend_vcpu *bv)
{
	return container_of(bv, struct svm_vcpu, common);
}

/* Marks VMCB groups as changed since the last VMRUN (clean bits). */
static inline void svm_dirty(struct svm_vcpu *v, uint32_t groups)
{
	v->dirty |= groups;
}

static inline void svm_intercept_misc1(struct svm_vcpu *v, uint32_t bits, bool on)
{
	if (on)
		v->vmcb->control.intercept_misc1 |= bits;
	else
		v->vmcb->control.intercept_misc1 &= ~bits;
	svm_dirty(v, VMCB_CLEAN_INTERCEPTS);
}

static inline void svm_intercept_exceptions_update(struct svm_vcpu *v)
{
	v->vmcb->control.intercept_exceptions = v->exc_core | SVM_EXC_ALWAYS;
	svm_dirty(v, VMCB_CLEAN_INTERCEPTS);
}

/*
 * EXITCODE, sign-extended from 32 bits: real hardware writes the 64-bit
 * -1 of VMEXIT_INVALID, QEMU writes 0xffffffff. No other code reaches
 * bit 31.
 */
static inline uint64_t svm_exit_code(const struct vmcb *vmcb)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)vmcb->control.exit_code;
}

static inline bool svm_event_queued(const struct svm_vcpu *v)
{
	return v->vmcb->control.event_inj & EVENT_INFO_VALID;
}

/* The interrupt shadow still applies: set at the exit, RIP not moved. */
static inline bool svm_in_shadow(const struct svm_vcpu *v)
{
	return (v->vmcb->control.int_state & SVM_INT_STATE_SHADOW) &&
	       v->common.regs.rip == v->exit_rip;
}

/* svm_debug.c: the backend entries of the same names (core/backend.h). */
void svm_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d);
void svm_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d);
int svm_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags);
/* Around svm_vmrun(), interrupts off: a debugger's DR7 into the CPU and out. */
void svm_debug_entry(struct svm_vcpu *v);
void svm_debug_exit(struct svm_vcpu *v);
/*
 * The DR6 cause bits of a #DB exit when the VMCB's DR6 has none (Bochs
 * intercepts before it updates DR6): execution breakpoints at RIP, BS
 * for a TF step that moved RIP, else every enabled data breakpoint.
 */
uint64_t svm_debug_db_cause(struct svm_vcpu *v);
/*
 * A #BP exit that is the #BP VMRUN injected (Bochs checks injected
 * events against the intercepts): queued again for an entry without the
 * #BP intercept. True if so (the exit is then handled).
 */
bool svm_debug_bp_injected(struct svm_vcpu *v);

/* svm.c */
int svm_probe(const char **why);
int svm_cpu_enable(void);
void svm_cpu_disable(void);

/* svm_state.c: the backend entries of the same names (core/backend.h). */
void svm_get_state(struct backend_vcpu *bv, struct guest_state *st);
int svm_set_state(struct backend_vcpu *bv, const struct guest_state *st);
int svm_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val);
int svm_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val);
void svm_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx);
/* svm_dump.c: the backend's dump_control and queued_event. */
void svm_dump_control(struct backend_vcpu *bv, backend_print_fn print, void *ctx);
bool svm_queued_event(struct backend_vcpu *bv, struct vm_event *ev);

/*
 * svm_exit.c: turns the #VMEXIT in v->vmcb into *exit (docs/svm.md);
 * v->common.regs already holds the guest's registers at the exit.
 */
void svm_exit_decode(struct svm_vcpu *v, struct vm_exit *exit);
/*
 * Queues ev in EVENTINJ for the next entry. -EBUSY if an event is queued
 * already, -EINVAL if ev cannot be injected as given.
 */
int svm_queue_event(struct svm_vcpu *v, const struct vm_event *ev);
/*
 * After the exit: did the queued event reach the guest? Sets
 * v->inj_undelivered, the NMI blocking it starts, and the RIP a soft
 * event moved; empties EVENTINJ.
 */
void svm_exit_event_done(struct svm_vcpu *v);
/* The first VMRUN consistency check the VMCB fails, or NULL. */
const char *svm_vmcb_check(const struct vmcb *vmcb, const struct svm_features *f);
/* "NPF", "IOIO", ... for an EXITCODE. */
const char *svm_exit_code_name(uint64_t code);
/* The mode the guest's code runs in, from the VMCB save area. */
enum guest_cpu_mode svm_guest_mode(const struct vmcb *vmcb);

/*
 * svm_entry.S: VMLOAD/VMRUN/VMSAVE with GIF clear around it. Loads the
 * guest GPRs other than RAX and RSP from regs (those two go through the
 * VMCB), enters the guest at vmcb_pa, and on #VMEXIT stores them back.
 * The host's FS, GS (its per-CPU pointer), TR, LDTR, KERNEL_GS_BASE and
 * SYSCALL/SYSENTER MSRs are saved to host_save_pa before and reloaded from
 * it after, before GIF is set again. Interrupts off on entry and on
 * return; callee-saved registers preserved.
 */
void svm_vmrun(struct guest_regs *regs, paddr_t vmcb_pa, paddr_t host_save_pa);

#endif /* __ASSEMBLY__ */
#endif
