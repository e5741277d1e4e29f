/*
 * AMD-V exits: from the VMCB after #VMEXIT to the normalised struct
 * vm_exit (core/exit.h), and the event-injection encoding that shares
 * the EXITINTINFO/EVENTINJ format (AMD64 APM vol. 2, 15.7 "Intercept
 * Operation", 15.20 "Event Injection", appendix C "SVM Intercept Exit
 * Codes").
 *
 * Runs on the vCPU's own thread right after svm_vmrun() returned,
 * interrupts off, the vCPU loaded on this CPU; no lock held or taken.
 * Nothing here touches the hardware itself: it only reads and writes the
 * VMCB in memory.
 */
#include "asm/msr.h"
#include "core/lib/string.h"
#include "svm/svm.h"

/* ------------------------------------------------------------------------
 * Event injection and delivery
 */

int svm_queue_event(struct svm_vcpu *v, const struct vm_event *ev)
{
	struct vmcb *vmcb = v->vmcb;
	struct vm_event e = *ev;
	uint64_t inj;

	if (svm_event_queued(v))
		return -EBUSY;
	if (!e.valid || !vm_event_valid(&e))
		return -EINVAL;
	if (e.type == EVENT_NMI)
		e.vector = 2;
	/* Real mode pushes no error code; EV=1 there is an illegal injection. */
	if (!(vmcb->save.cr0 & X86_CR0_PE))
		e.has_error = false;

	/* Hardware and soft exceptions alike: RIP decides fault or trap. */
	inj = event_info_encode(&e, false);
	if (e.has_error)
		inj |= (uint64_t)e.error_code << SVM_EVTINJ_ERROR_SHIFT;
	vmcb->control.event_inj = inj;
	v->inj = e;
	return 0;
}

void svm_exit_event_done(struct svm_vcpu *v)
{
	struct vmcb *vmcb = v->vmcb;
	uint64_t info = vmcb->control.exit_int_info;
	bool refused = svm_exit_code(vmcb) == SVM_EXIT_INVALID;
	bool in_flight;

	v->inj_undelivered = false;
	if (v->inj.valid) {
		in_flight = event_info_is((uint32_t)info, &v->inj, false);
		if (in_flight || refused) {
			v->inj_undelivered = true;
			/* svm_run() moved RIP past the INT for the return address. */
			if (vm_event_is_soft(&v->inj) && !svm_features.nrips)
				v->common.regs.rip -= v->inj.insn_len;
		} else if (v->inj.type == EVENT_NMI) {
			/* Delivered: the guest's NMI handler runs until its IRET. */
			v->nmi_masked = true;
			svm_intercept_misc1(v, SVM_INTERCEPT_IRET, true);
		}
	}
	v->inj.valid = false;
	vmcb->control.event_inj = 0;
}

/*
 * The event to re-inject: ours if it did not get through, else what
 * EXITINTINFO shows being delivered. Software-generated events the guest
 * raised itself (INT n, INT3, INTO) are left out: RIP still points at the
 * instruction, which runs again.
 */
static void svm_exit_event_info(struct svm_vcpu *v, struct vm_exit *exit)
{
	uint64_t info = v->vmcb->control.exit_int_info;
	struct vm_event *ev = &exit->event;

	if (v->inj_undelivered) {
		*ev = v->inj;
		ev->valid = true;
		return;
	}
	/* INT3 and INTO show as exceptions here. */
	if ((info & EVENT_INFO_TYPE_MASK) == EVENT_INFO_TYPE_HW_EXC &&
	    ((info & EVENT_INFO_VECTOR_MASK) == VEC_BP || (info & EVENT_INFO_VECTOR_MASK) == VEC_OF))
		return;
	event_info_decode((uint32_t)info, (uint32_t)(info >> SVM_EVTINJ_ERROR_SHIFT), ev);
}

/* ------------------------------------------------------------------------
 * Guest context and instruction length
 */

enum guest_cpu_mode svm_guest_mode(const struct vmcb *vmcb)
{
	const struct vmcb_save *s = &vmcb->save;

	return guest_cpu_mode(s->cr0, s->efer, s->rflags, s->cs.attrib);
}

static void svm_exit_guest_info(const struct vmcb *vmcb, struct vm_exit *exit)
{
	exit->guest.mode = svm_guest_mode(vmcb);
	exit->guest.cpl = vmcb->save.cpl;
	exit->guest.cs_base = vmcb->save.cs.base;
	exit->guest.cr0 = vmcb->save.cr0;
	exit->guest.cr3 = vmcb->save.cr3;
	exit->guest.cr4 = vmcb->save.cr4;
	exit->guest.efer = vmcb->save.efer & ~(uint64_t)EFER_SVME;
}

/* Instruction length from next - rip, if plausible; 0 otherwise. */
static uint8_t svm_len_from_next(uint64_t next, uint64_t rip)
{
	uint64_t len = next - rip;

	return (next && len >= 1 && len <= X86_INSN_MAX_LEN) ? (uint8_t)len : 0;
}

/* ------------------------------------------------------------------------
 * The NMI window (docs/svm.md, "NMI window")
 */

/*
 * Called on every exit before the reason is decoded. Ends NMI blocking
 * once the guest has moved past the IRET it was blocked at, and finishes
 * a single step svm_run() started for the NMI window: strips the TF/RF
 * it added and, if the exit is that step's #DB trap, consumes it.
 * Returns true if the exit was consumed (reason set).
 */
static bool svm_exit_nmi_step(struct svm_vcpu *v, struct vm_exit *exit)
{
	struct guest_regs *r = &v->common.regs;
	const uint64_t ours = X86_RFLAGS_TF | X86_RFLAGS_RF;
	bool stepped;

	if (v->iret_pending && r->rip != v->iret_rip) {
		v->iret_pending = false;
		v->nmi_masked = false;
	}
	if (!v->step_active)
		return false;
	v->step_active = false;
	stepped = exit->raw == SVM_EXIT_EXCP_BASE + VEC_DB && r->rip != v->step_rip;
	if (!stepped) {
		/* The instruction did not complete: RFLAGS still has our bits. */
		r->rflags = (r->rflags & ~ours) | v->step_guest_flags;
		return false;
	}
	/*
	 * It completed and trapped. An IRET loaded RFLAGS from the stack;
	 * any other instruction kept our TF. RF is clear after a completed
	 * instruction either way.
	 */
	if (!v->step_was_iret)
		r->rflags = (r->rflags & ~ours) | (v->step_guest_flags & X86_RFLAGS_TF);
	if (v->step_guest_flags & X86_RFLAGS_TF) {
		/* The guest was single-stepping too: the trap is also its own. */
		struct vm_event db = { .valid = true, .type = EVENT_EXCEPTION,
				       .vector = VEC_DB };

		svm_queue_event(v, &db);
	} else {
		v->vmcb->save.dr6 = v->step_saved_dr6;
		svm_dirty(v, VMCB_CLEAN_DRX);
	}
	if (v->nmi_window && !v->nmi_masked && !svm_in_shadow(v)) {
		v->nmi_window = false;
		exit->reason = EXIT_NMI_WINDOW;
	} else {
		exit->reason = EXIT_EXCEPTION;
		exit->exception.vector = VEC_DB;
		exit->handled = true;
	}
	return true;
}

static void svm_exit_iret(struct svm_vcpu *v, struct vm_exit *exit)
{
	/*
	 * The IRET has not run yet; NMIs stay blocked until it has. Watch
	 * for RIP to move (svm_exit_nmi_step()); svm_run() single-steps over
	 * it if an NMI is waiting for the window.
	 */
	svm_intercept_misc1(v, SVM_INTERCEPT_IRET, false);
	v->iret_pending = true;
	v->iret_rip = v->common.regs.rip;
	exit->reason = EXIT_IRET;
	exit->handled = true;
}

/* ------------------------------------------------------------------------
 * Exit classes
 */

static void svm_exit_cr(struct svm_vcpu *v, struct vm_exit *exit)
{
	uint64_t code = exit->raw;

	exit->reason = EXIT_CR_ACCESS;
	exit->cr.write = code >= SVM_EXIT_CR0_WRITE;
	exit->cr.cr = code & 0xf;
	exit->cr.gpr = EXIT_GPR_UNKNOWN;
	exit->cr.type = CR_ACCESS_UNDECODED;
	if (!svm_features.decode_assists)
		return;
	if (exit->qual & SVM_CR_INFO_MOV) {
		exit->cr.type = CR_ACCESS_MOV;
		exit->cr.gpr = exit->qual & SVM_CR_INFO_GPR_MASK;
	} else if (exit->cr.write && exit->cr.cr == 0) {
		exit->cr.type = CR_ACCESS_LMSW_CLTS;
	}
}

static void svm_exit_dr(struct svm_vcpu *v, struct vm_exit *exit)
{
	exit->reason = EXIT_DR_ACCESS;
	exit->dr.write = exit->raw >= SVM_EXIT_DR0_WRITE;
	exit->dr.dr = exit->raw & 0xf;
	exit->dr.gpr = svm_features.decode_assists ?
		       (uint8_t)(exit->qual & SVM_CR_INFO_GPR_MASK) : EXIT_GPR_UNKNOWN;
}

/*
 * #DB and #AC are intercepted for host safety (an endless delivery loop
 * hangs the CPU: CVE-2015-5307, CVE-2015-8104); unless core asked for
 * them they go straight back to the guest. #MC always goes to core: the
 * machine check belongs to the host.
 */
static void svm_exit_exception(struct svm_vcpu *v, struct vm_exit *exit)
{
	unsigned int vec = (unsigned int)(exit->raw - SVM_EXIT_EXCP_BASE);

	exit->reason = EXIT_EXCEPTION;
	exit->exception.vector = vec;
	exit->exception.has_error = x86_vector_has_error(vec);
	if (exit->exception.has_error)
		exit->exception.error_code = (uint32_t)exit->qual;
	if (vec == VEC_PF) {
		exit->gla = exit->info2;
		exit->gla_valid = true;
	}
	if (vec == VEC_BP && svm_debug_bp_injected(v)) {
		exit->handled = true;
		return;
	}
	/* The #DB has updated DR6 (core/exit.h: its bits in qual); not on Bochs. */
	if (vec == VEC_DB) {
		if (!(v->vmcb->save.dr6 & (X86_DR6_B_ALL | X86_DR6_BD | X86_DR6_BS))) {
			v->vmcb->save.dr6 |= svm_debug_db_cause(v);
			svm_dirty(v, VMCB_CLEAN_DRX);
		}
		exit->qual = v->vmcb->save.dr6;
	}
	if ((vec == VEC_DB || vec == VEC_AC) && !(v->exc_core & BIT(vec))) {
		struct vm_event ev = vm_exit_exception_event(exit);

		/*
		 * An event in flight takes the slot (core re-injects it); the
		 * #AC fault recurs when the instruction runs again, a #DB trap
		 * raised during that delivery is lost.
		 */
		if (!exit->event.valid)
			svm_queue_event(v, &ev);
		exit->handled = true;
	}
}

static void svm_exit_io(struct svm_vcpu *v, struct vm_exit *exit)
{
	uint64_t q = exit->qual;

	exit->reason = EXIT_IO;
	exit->io.port = (uint16_t)(q >> SVM_IOIO_PORT_SHIFT);
	exit->io.in = q & SVM_IOIO_TYPE_IN;
	exit->io.string = q & SVM_IOIO_STR;
	exit->io.rep = q & SVM_IOIO_REP;
	exit->io.size = (q & SVM_IOIO_SZ32) ? 4 : (q & SVM_IOIO_SZ16) ? 2 : 1;
	/* QEMU leaves the address-size bits zero: 0 = "decode it". */
	exit->io.addr_size = (q & SVM_IOIO_A64) ? 8 : (q & SVM_IOIO_A32) ? 4 :
			     (q & SVM_IOIO_A16) ? 2 : 0;
	exit->io.seg = svm_features.decode_assists ?
		       (uint8_t)((q & SVM_IOIO_SEG_MASK) >> SVM_IOIO_SEG_SHIFT) :
		       EXIT_SEG_UNKNOWN;
	/* EXITINFO2 is the next RIP, NRIP save or not. */
	exit->insn_len = svm_len_from_next(exit->info2, v->common.regs.rip);
}

static void svm_exit_npf(struct svm_vcpu *v, struct vm_exit *exit)
{
	uint64_t q = exit->qual;

	exit->reason = (q & SVM_NPF_RSV) ? EXIT_TDP_MISCONFIG : EXIT_TDP_FAULT;
	exit->gpa = exit->info2;
	exit->gpa_valid = true;
	exit->tdp.write = q & SVM_NPF_RW;
	exit->tdp.exec = q & SVM_NPF_ID;
	exit->tdp.read = !exit->tdp.write && !exit->tdp.exec;
	exit->tdp.user = q & SVM_NPF_US;
	exit->tdp.present = q & SVM_NPF_P;
	exit->tdp.rsvd = q & SVM_NPF_RSV;
	exit->tdp.final = q & SVM_NPF_FINAL;
	exit->tdp.walk = q & SVM_NPF_WALK;
	/*
	 * With decode assists the CPU saves the bytes it fetched at RIP
	 * (APM vol. 2, "Decode Assists"): the MMIO emulation decodes them without a
	 * guest page walk. None on a fault of the fetch itself, and none on
	 * some parts in the cases AMD's erratum 1096 names: the count is 0
	 * and the emulation fetches.
	 */
	if (svm_features.decode_assists && !exit->tdp.exec) {
		const struct vmcb *vmcb = v->vmcb;
		uint8_t n = MIN(vmcb->control.insn_fetched, (uint8_t)X86_INSN_MAX_LEN);

		memcpy(exit->insn_bytes, vmcb->control.insn_bytes, n);
		exit->insn_nbytes = n;
	}
}

static void svm_exit_invalid(struct svm_vcpu *v, struct vm_exit *exit)
{
	const char *why = v->entry_check;

	if (!why)
		why = svm_vmcb_check(v->vmcb, &svm_features);
	exit->reason = EXIT_INVALID_STATE;
	exit->invalid.why = why ? why :
		"VMRUN refused the VMCB; no check of APM vol. 2 15.5.1 fails in software";
}

static void svm_exit_task_switch(struct svm_vcpu *v, struct vm_exit *exit)
{
	exit->reason = EXIT_TASK_SWITCH;
	exit->task.selector = (uint16_t)exit->qual;
	exit->task.source = (exit->info2 & SVM_TS_IRET) ? 1 :
			    (exit->info2 & SVM_TS_JMP) ? 2 : 0;
}

/* Reasons that need nothing but the mapping. */
static enum vm_exit_reason svm_exit_simple(uint64_t code)
{
	switch (code) {
	case SVM_EXIT_INTR:
		return EXIT_EXTERNAL_INTR;
	case SVM_EXIT_NMI:
		return EXIT_NMI;
	case SVM_EXIT_INIT:
		return EXIT_INIT;
	case SVM_EXIT_RDTSC:
		return EXIT_RDTSC;
	case SVM_EXIT_RDTSCP:
		return EXIT_RDTSCP;
	case SVM_EXIT_RDPMC:
		return EXIT_RDPMC;
	case SVM_EXIT_CPUID:
		return EXIT_CPUID;
	case SVM_EXIT_INVD:
		return EXIT_INVD;
	case SVM_EXIT_WBINVD:
		return EXIT_WBINVD;
	case SVM_EXIT_PAUSE:
		return EXIT_PAUSE;
	case SVM_EXIT_HLT:
		return EXIT_HLT;
	case SVM_EXIT_SHUTDOWN:
		return EXIT_TRIPLE_FAULT;
	case SVM_EXIT_VMMCALL:
		return EXIT_VMCALL;
	case SVM_EXIT_MONITOR:
		return EXIT_MONITOR;
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_ARMED:
		return EXIT_MWAIT;
	case SVM_EXIT_XSETBV:
		return EXIT_XSETBV;
	case SVM_EXIT_SWINT:
		return EXIT_SOFT_INT;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		return EXIT_VIRT_INSN;
	default:
		return EXIT_UNKNOWN;
	}
}

static void svm_exit_dispatch(struct svm_vcpu *v, struct vm_exit *exit)
{
	uint64_t code = exit->raw;

	if (code < SVM_EXIT_DR0_READ) {
		svm_exit_cr(v, exit);
		return;
	}
	if (code < SVM_EXIT_EXCP_BASE) {
		svm_exit_dr(v, exit);
		return;
	}
	if (code < SVM_EXIT_EXCP_BASE + 32) {
		svm_exit_exception(v, exit);
		return;
	}
	switch (code) {
	case SVM_EXIT_SMI:
		/* The host's SMI: firmware takes it once GIF is set again. */
		exit->reason = EXIT_SMI;
		exit->handled = true;
		break;
	case SVM_EXIT_VINTR:
		v->intr_window = false;
		v->vmcb->control.int_ctl &= ~(SVM_V_IRQ | SVM_V_INTR_PRIO_MASK | SVM_V_IGN_TPR);
		svm_dirty(v, VMCB_CLEAN_TPR);
		svm_intercept_misc1(v, SVM_INTERCEPT_VINTR, false);
		exit->reason = EXIT_INTR_WINDOW;
		break;
	case SVM_EXIT_CR0_SEL_WRITE:
		exit->reason = EXIT_CR_ACCESS;
		exit->cr.cr = 0;
		exit->cr.write = true;
		exit->cr.type = CR_ACCESS_CR0_SEL;
		exit->cr.gpr = EXIT_GPR_UNKNOWN;
		break;
	case SVM_EXIT_IRET:
		svm_exit_iret(v, exit);
		break;
	case SVM_EXIT_INVLPG:
		exit->reason = EXIT_INVLPG;
		if (svm_features.decode_assists) {
			exit->gla = exit->qual;
			exit->gla_valid = true;
		}
		break;
	case SVM_EXIT_IOIO:
		svm_exit_io(v, exit);
		break;
	case SVM_EXIT_MSR:
		exit->reason = (exit->qual & SVM_MSR_INFO_WRITE) ? EXIT_MSR_WRITE : EXIT_MSR_READ;
		exit->msr.index = (uint32_t)v->common.regs.gpr[GPR_RCX];
		break;
	case SVM_EXIT_TASK_SWITCH:
		svm_exit_task_switch(v, exit);
		break;
	case SVM_EXIT_NPF:
		svm_exit_npf(v, exit);
		break;
	case SVM_EXIT_INVALID:
		svm_exit_invalid(v, exit);
		break;
	default:
		exit->reason = svm_exit_simple(code);
		break;
	}
}

void svm_exit_decode(struct svm_vcpu *v, struct vm_exit *exit)
{
	const struct vmcb *vmcb = v->vmcb;

	memset(exit, 0, sizeof(*exit));
	exit->raw = svm_exit_code(vmcb);
	exit->qual = vmcb->control.exit_info1;
	exit->info2 = vmcb->control.exit_info2;
	svm_exit_guest_info(vmcb, exit);
	svm_exit_event_info(v, exit);
	if (svm_features.nrips)
		exit->insn_len = svm_len_from_next(vmcb->control.next_rip,
						   v->common.regs.rip);
	if (!svm_exit_nmi_step(v, exit))
		svm_exit_dispatch(v, exit);
}

/* ------------------------------------------------------------------------
 * VMEXIT_INVALID: which consistency check failed (APM vol. 2, 15.5.1)
 */

/* EFER bits an AMD CPU may define: SCE LME LMA NXE SVME LMSLE FFXSR TCE MCOMMIT INTWB AUTOIBRS. */
#define EFER_DEFINED ((uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME) | \
		      BIT_ULL(13) | BIT_ULL(14) | BIT_ULL(15) | BIT_ULL(17) | BIT_ULL(18) | \
		      BIT_ULL(21))
/* CR4 bits an AMD CPU may define (VMXE and SMXE are Intel's, reserved here). */
#define CR4_DEFINED (GENMASK_ULL(12, 0) | GENMASK_ULL(18, 16) | GENMASK_ULL(23, 20))

static const char *svm_check_state(const struct vmcb_save *s, uint64_t phys_mask)
{
	bool long_paging = (s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG);

	if (!(s->efer & EFER_SVME))
		return "guest EFER.SVME is clear";
	if (s->efer & ~EFER_DEFINED)
		return "guest EFER has a reserved bit set";
	if (s->cr0 >> 32)
		return "guest CR0[63:32] not zero";
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return "guest CR0.NW set with CR0.CD clear";
	if (s->cr4 & ~CR4_DEFINED)
		return "guest CR4 has a reserved bit set";
	if ((s->efer & EFER_LMA) && (s->cr3 & ~phys_mask & ~0xfffull))
		return "guest CR3 has bits beyond MAXPHYADDR set";
	if ((s->dr6 >> 32) || (s->dr7 >> 32))
		return "guest DR6 or DR7 bits 63:32 not zero";
	if (long_paging && !(s->cr4 & X86_CR4_PAE))
		return "guest EFER.LME and CR0.PG set with CR4.PAE clear";
	if (long_paging && !(s->cr0 & X86_CR0_PE))
		return "guest EFER.LME and CR0.PG set with CR0.PE clear";
	if (long_paging && (s->cr4 & X86_CR4_PAE) && (s->cs.attrib & SEG_ATTR_L) &&
	    (s->cs.attrib & SEG_ATTR_DB))
		return "guest in long mode with CS.L and CS.D both set";
	return NULL;
}

static const char *svm_check_event(const struct vmcb *vmcb)
{
	uint64_t inj = vmcb->control.event_inj;
	uint32_t type = inj & EVENT_INFO_TYPE_MASK;
	unsigned int vector = inj & EVENT_INFO_VECTOR_MASK;

	if (!(inj & EVENT_INFO_VALID))
		return NULL;
	if (type != EVENT_INFO_TYPE_EXTINT && type != EVENT_INFO_TYPE_NMI &&
	    type != EVENT_INFO_TYPE_HW_EXC && type != EVENT_INFO_TYPE_SOFT_INT)
		return "EVENTINJ has a reserved type";
	if (type == EVENT_INFO_TYPE_HW_EXC && (vector == 2 || vector > 31))
		return "EVENTINJ injects an exception with vector 2 or above 31";
	if ((inj & EVENT_INFO_ERROR_VALID) && !(vmcb->save.cr0 & X86_CR0_PE))
		return "EVENTINJ pushes an error code in real mode";
	return NULL;
}

const char *svm_vmcb_check(const struct vmcb *vmcb, const struct svm_features *f)
{
	const struct vmcb_control *c = &vmcb->control;
	uint64_t phys_mask = f->phys_bits >= 64 ? ~0ull : (1ull << f->phys_bits) - 1;
	const char *why = svm_check_state(&vmcb->save, phys_mask);

	if (why)
		return why;
	if (!(c->intercept_misc2 & SVM_INTERCEPT_VMRUN))
		return "the VMRUN intercept is clear";
	if (c->guest_asid == 0)
		return "guest ASID is 0 (the host's)";
	if (c->iopm_base_pa + SVM_IOPM_SIZE > phys_mask ||
	    c->msrpm_base_pa + SVM_MSRPM_SIZE > phys_mask)
		return "IOPM or MSRPM extends beyond MAXPHYADDR";
	why = svm_check_event(vmcb);
	if (why)
		return why;
	if (c->nested_ctl & SVM_NESTED_CTL_NP_ENABLE) {
		if (!f->np)
			return "NP_ENABLE set but nested paging is not supported";
		if (c->nested_cr3 & ~phys_mask)
			return "N_CR3 has bits beyond MAXPHYADDR set";
		if (!pat_valid(vmcb->save.g_pat))
			return "G_PAT holds an invalid memory type";
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Names of exit codes, for traces and the monitor
 */

static const char *const svm_exit_names_0x60[] = {
	"INTR", "NMI", "SMI", "INIT", "VINTR", "CR0_SEL_WRITE", "IDTR_READ",
	"GDTR_READ", "LDTR_READ", "TR_READ", "IDTR_WRITE", "GDTR_WRITE",
	"LDTR_WRITE", "TR_WRITE", "RDTSC", "RDPMC", "PUSHF", "POPF", "CPUID",
	"RSM", "IRET", "SWINT", "INVD", "PAUSE", "HLT", "INVLPG", "INVLPGA",
	"IOIO", "MSR", "TASK_SWITCH", "FERR_FREEZE", "SHUTDOWN", "VMRUN",
	"VMMCALL", "VMLOAD", "VMSAVE", "STGI", "CLGI", "SKINIT", "RDTSCP",
	"ICEBP", "WBINVD", "MONITOR", "MWAIT", "MWAIT_ARMED", "XSETBV", "RDPRU",
};
_Static_assert(ARRAY_SIZE(svm_exit_names_0x60) == SVM_EXIT_RDPRU - SVM_EXIT_INTR + 1,
	       "one name per exit code 0x60-0x8e");

static const char *const svm_exception_names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "09", "TS", "NP",
	"SS", "GP", "PF", "15", "MF", "AC", "MC", "XM", "VE", "CP", "22", "23",
	"24", "25", "26", "27", "HV", "VC", "SX", "31",
};

const char *svm_exit_code_name(uint64_t code)
{
	static const char *const cr_names[4] = { "CR_READ", "CR_WRITE", "DR_READ", "DR_WRITE" };

	if (code < SVM_EXIT_EXCP_BASE)
		return cr_names[code >> 4];
	if (code < SVM_EXIT_EXCP_BASE + 32)
		return svm_exception_names[code - SVM_EXIT_EXCP_BASE];
	if (code >= SVM_EXIT_INTR && code <= SVM_EXIT_RDPRU)
		return svm_exit_names_0x60[code - SVM_EXIT_INTR];
	switch (code) {
	case SVM_EXIT_NPF:
		return "NPF";
	case SVM_EXIT_AVIC_INCOMPLETE:
		return "AVIC_INCOMPLETE_IPI";
	case SVM_EXIT_AVIC_NOACCEL:
		return "AVIC_NOACCEL";
	case SVM_EXIT_VMGEXIT:
		return "VMGEXIT";
	case SVM_EXIT_INVALID:
		return "INVALID";
	case SVM_EXIT_BUSY:
		return "BUSY";
	default:
		return "?";
	}
}
