/*
 * Intel VT-x exits: from the VMCS after a VM exit to the normalised
 * struct vm_exit (core/exit.h), event injection through the VM-entry
 * interruption-information field, the control-register accesses the
 * backend emulates itself (the bits the guest/host masks keep, CR8), and
 * the names of exit reasons and VM-instruction errors (Intel SDM vol. 3C,
 * 24.8.3 "VM-Entry Controls for Event Injection", 27.2 "Recording VM-Exit
 * Information", appendix C "VMX Basic Exit Reasons", 31.4
 * "VM Instruction Error Numbers").
 *
 * Runs on the vCPU's own thread right after vmx_vmenter() returned (or
 * from vmx_inject_event()), interrupts off, the vCPU's VMCS current on
 * this CPU; no lock held or taken.
 */
#include "asm/cpu.h"
#include "core/lib/string.h"
#include "mm/spte.h"
#include "vmx/vmx.h"

/* ------------------------------------------------------------------------
 * Event injection and delivery
 */

int vmx_queue_event(struct vmx_vcpu *v, const struct vm_event *ev)
{
	struct vm_event e = *ev;
	uint32_t info;

	if (v->inj.valid)
		return -EBUSY;
	if (!e.valid || !vm_event_valid(&e))
		return -EINVAL;
	if (e.type == EVENT_NMI)
		e.vector = 2;
	/* Real mode pushes no error code; delivering one fails the entry. */
	if (!(vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE))
		e.has_error = false;
	info = event_info_encode(&e, true);
	if (e.has_error)
		vmcs_write(VMCS_ENTRY_EXC_ERROR_CODE, e.error_code);
	if (vm_event_is_soft(&e))
		vmcs_write(VMCS_ENTRY_INSN_LEN, e.insn_len);
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
	v->inj = e;
	return 0;
}

void vmx_exit_event_done(struct vmx_vcpu *v, bool entered)
{
	uint32_t idt;

	v->inj_undelivered = false;
	if (!v->inj.valid)
		return;
	if (!entered) {
		v->inj_undelivered = true;
	} else {
		idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
		v->inj_undelivered = event_info_is(idt, &v->inj, true);
	}
	v->inj.valid = false;
	/* A VM exit clears the valid bit; a failed entry leaves it. */
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
}

/*
 * The event to re-inject: ours if it did not get through, else what the
 * IDT-vectoring information shows being delivered. Software events the
 * guest raised itself (INT n, INT3, INTO, INT1) are left out: RIP still
 * points at the instruction, which runs again.
 */
static void vmx_exit_event_info(struct vmx_vcpu *v, struct vm_exit *exit)
{
	uint32_t idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	struct vm_event *ev = &exit->event;

	if (v->inj_undelivered) {
		*ev = v->inj;
		ev->valid = true;
		return;
	}
	if (!(idt & EVENT_INFO_VALID))
		return;
	event_info_decode(idt, vmcs_read32(VMCS_IDT_VECTORING_ERROR), ev);
}

/* ------------------------------------------------------------------------
 * Guest context
 */

/* With the guest's RFLAGS known (the exit read it): one VMREAD fewer. */
enum guest_cpu_mode vmx_guest_mode_rflags(uint64_t rflags)
{
	uint32_t cs_ar = vmcs_read32(VMCS_GUEST_ES_AR + 2 * SEG_CS);

	return guest_cpu_mode(vmcs_read(VMCS_GUEST_CR0), vmcs_read(VMCS_GUEST_EFER),
			      rflags, vmx_attr_from_ar(cs_ar));
}

enum guest_cpu_mode vmx_guest_mode(void)
{
	return vmx_guest_mode_rflags(vmcs_read(VMCS_GUEST_RFLAGS));
}

/*
 * The guest may have turned long mode on or off itself (CR0.PG with
 * EFER.LME): keep the IA-32e entry control in step with EFER.LMA (the CPU
 * stores it too), and give a guest that enters long mode with a 16-bit
 * busy TSS in TR the 64-bit type VM entry insists on, as KVM does.
 */
static void vmx_exit_track_lma(struct vmx_vcpu *v, uint64_t efer)
{
	bool lma = efer & EFER_LMA;
	uint32_t tr;

	if (lma == !!(v->entry & ENTRY_CTL_IA32E))
		return;
	v->entry = lma ? v->entry | ENTRY_CTL_IA32E : v->entry & ~ENTRY_CTL_IA32E;
	vmcs_write(VMCS_ENTRY_CTLS, v->entry);
	tr = vmcs_read32(VMCS_GUEST_ES_AR + 2 * SEG_TR);
	if (lma && (tr & VMX_AR_TYPE_MASK) == SEG_TYPE_TSS16_BUSY)
		vmcs_write(VMCS_GUEST_ES_AR + 2 * SEG_TR, (tr & ~VMX_AR_TYPE_MASK) |
			   SEG_TYPE_TSS_BUSY);
}

static void vmx_exit_guest_info(struct vmx_vcpu *v, struct vm_exit *exit)
{
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);

	vmx_exit_track_lma(v, efer);
	/* RFLAGS: the exit's read, or after a failed entry what it wrote. */
	exit->guest.mode = vmx_guest_mode_rflags(v->vmcs_rflags);
	exit->guest.cpl = (vmcs_read32(VMCS_GUEST_ES_AR + 2 * SEG_SS) & VMX_AR_DPL_MASK) >>
			  VMX_AR_DPL_SHIFT;
	exit->guest.cs_base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_CS);
	exit->guest.cr0 = vmx_guest_cr0(v);
	exit->guest.cr3 = vmcs_read(VMCS_GUEST_CR3);
	exit->guest.cr4 = vmx_guest_cr4(v);
	exit->guest.efer = efer;
}

/* ------------------------------------------------------------------------
 * Exits the backend completes itself
 */

static void vmx_inject_gp(struct vmx_vcpu *v)
{
	struct vm_event gp = { .valid = true, .type = EVENT_EXCEPTION,
			       .vector = VEC_GP, .has_error = true };

	vmx_queue_event(v, &gp);
}

/* A guest write of CR0 through the mask: shadow and hardware value. */
static bool vmx_emulate_cr0(struct vmx_vcpu *v, uint64_t val, struct vm_exit *exit)
{
	uint64_t efer;

	if (val >> 32) {
		vmx_inject_gp(v);
		return false;
	}
	if (!vmx_features.unrestricted &&
	    (val & (X86_CR0_PE | X86_CR0_PG)) != (X86_CR0_PE | X86_CR0_PG)) {
		exit->reason = EXIT_INVALID_STATE;
		exit->handled = false;
		exit->invalid.why = "the guest cleared CR0.PE or CR0.PG, which needs "
				    "unrestricted guest";
		return false;
	}
	vmcs_write(VMCS_CR0_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, vmx_cr0_hw(val));
	efer = vmcs_read(VMCS_GUEST_EFER);
	if ((efer & EFER_LME) && (val & X86_CR0_PG))
		efer |= EFER_LMA;
	else
		efer &= ~(uint64_t)EFER_LMA;
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmx_exit_track_lma(v, efer);
	return true;
}

/* A guest write of CR4 through the mask: only reserved bits and VMXE exit. */
static bool vmx_emulate_cr4(struct vmx_vcpu *v, uint64_t val)
{
	const struct vmx_features *f = &vmx_features;

	if ((val & X86_CR4_VMXE) || (val & ~(f->cr4_fixed1 & ~(uint64_t)X86_CR4_VMXE))) {
		vmx_inject_gp(v);
		return false;
	}
	vmcs_write(VMCS_CR4_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, vmx_cr4_hw(val));
	return true;
}

static void vmx_exit_cr(struct vmx_vcpu *v, struct vm_exit *exit)
{
	uint64_t q = exit->qual, *gpr;
	unsigned int type = (q >> VMX_CR_TYPE_SHIFT) & 3;
	uint64_t cr0 = vmx_guest_cr0(v);
	bool done = true;

	exit->reason = EXIT_CR_ACCESS;
	exit->cr.cr = q & VMX_CR_NUM_MASK;
	exit->cr.gpr = (q >> VMX_CR_GPR_SHIFT) & 0xf;
	exit->cr.write = type != VMX_CR_TYPE_MOV_FROM;
	exit->cr.type = type == VMX_CR_TYPE_CLTS ? CR_ACCESS_CLTS :
			type == VMX_CR_TYPE_LMSW ? CR_ACCESS_LMSW : CR_ACCESS_MOV;
	exit->cr.lmsw_data = (uint16_t)(q >> VMX_CR_LMSW_SHIFT);
	exit->handled = true;
	gpr = &v->common.regs.gpr[exit->cr.gpr];

	switch (type) {
	case VMX_CR_TYPE_MOV_TO:
		if (exit->cr.cr == 0)
			done = vmx_emulate_cr0(v, *gpr, exit);
		else if (exit->cr.cr == 4)
			done = vmx_emulate_cr4(v, *gpr);
		else if (exit->cr.cr == 3)
			vmcs_write(VMCS_GUEST_CR3, *gpr);
		else if (exit->cr.cr == 8)
			v->cr8 = *gpr & 0xf;
		break;
	case VMX_CR_TYPE_MOV_FROM:
		*gpr = exit->cr.cr == 3 ? vmcs_read(VMCS_GUEST_CR3) : v->cr8;
		break;
	case VMX_CR_TYPE_CLTS:
		done = vmx_emulate_cr0(v, cr0 & ~(uint64_t)X86_CR0_TS, exit);
		break;
	default:
		/* LMSW: PE, MP, EM, TS; PE can be set but not cleared. */
		done = vmx_emulate_cr0(v, (cr0 & ~0xeull) | (exit->cr.lmsw_data & 0xf), exit);
		break;
	}
	if (done)
		v->common.regs.rip += exit->insn_len;
}

/* ------------------------------------------------------------------------
 * VMMCALL (AMD's hypercall) is #UD on Intel: the test payloads use it
 */

/* One byte of guest-physical memory through the vCPU's EPT tables. */
static bool vmx_read_gpa_byte(const struct vmx_vcpu *v, uint64_t gpa, uint8_t *out)
{
	const uint64_t *table = phys_to_virt(v->eptp & SPTE_ADDR_MASK);
	int level;

	for (level = 4; level >= 1; level--) {
		uint64_t e = spte_read(&table[SPTE_INDEX(gpa >> PAGE_SHIFT, level)]);

		if (!(e & EPT_R))
			return false;
		if (level == 1 || (e & EPT_LARGE)) {
			uint64_t size = TDP_LEVEL_PAGES(level) << PAGE_SHIFT;
			paddr_t hpa = spte_leaf_pa(e, level) | (gpa & (size - 1));

			*out = *(const uint8_t *)phys_to_virt(hpa);
			return true;
		}
		table = phys_to_virt(spte_table_pa(e));
	}
	return false;
}

/*
 * Is the #UD at CS:RIP a VMMCALL (0F 01 D9)? Only without guest paging,
 * where the linear address is the guest-physical one; a paged guest
 * gets its #UD.
 */
static bool vmx_ud_is_vmmcall(struct vmx_vcpu *v, const struct vm_exit *exit)
{
	static const uint8_t vmmcall[3] = { 0x0f, 0x01, 0xd9 };
	uint64_t la = exit->guest.cs_base + v->common.regs.rip;
	unsigned int i;
	uint8_t b;

	if (exit->guest.cr0 & X86_CR0_PG)
		return false;
	if (exit->guest.mode != GUEST_MODE_LONG64)
		la &= 0xffffffffull;
	for (i = 0; i < sizeof(vmmcall); i++)
		if (!vmx_read_gpa_byte(v, la + i, &b) || b != vmmcall[i])
			return false;
	return true;
}

/*
 * Exceptions and host NMIs (basic reason 0). A host NMI is handed to the
 * host's handler right here; #DB and #AC are intercepted for host safety
 * (endless delivery loops: CVE-2015-5307, CVE-2015-8104) and go back to
 * the guest unless core asked for them; #MC and the rest go to core.
 */
static void vmx_exit_exception(struct vmx_vcpu *v, struct vm_exit *exit)
{
	uint32_t info = (uint32_t)exit->info2;
	unsigned int vec = info & EVENT_INFO_VECTOR_MASK;

	if ((info & EVENT_INFO_TYPE_MASK) == EVENT_INFO_TYPE_NMI) {
		__asm__ __volatile__("int $2" ::: "memory");
		exit->reason = EXIT_NMI;
		exit->handled = true;
		return;
	}
	exit->reason = EXIT_EXCEPTION;
	exit->exception.vector = (uint8_t)vec;
	exit->exception.has_error = info & EVENT_INFO_ERROR_VALID;
	if (exit->exception.has_error)
		exit->exception.error_code = vmcs_read32(VMCS_EXIT_INTR_ERROR_CODE);
	if (vec == 14) {
		exit->gla = exit->qual;
		exit->gla_valid = true;
	}
	if (vec == VEC_UD && !(v->exc_core & BIT(vec)) && !exit->event.valid &&
	    vmx_ud_is_vmmcall(v, exit)) {
		exit->reason = EXIT_VMCALL;
		exit->insn_len = 3;
		return;
	}
	if ((vec == VEC_DB || vec == VEC_UD || vec == VEC_AC) &&
	    !(v->exc_core & BIT(vec))) {
		struct vm_event ev = vm_exit_exception_event(exit);

		/* A #DB exit leaves DR6 alone; the qualification has its bits. */
		if (vec == VEC_DB) {
			uint64_t dr6 = X86_DR6_RESET | (exit->qual & VMX_DB_DR6_BITS);

			__asm__ __volatile__("mov %0, %%dr6" :: "r"(dr6));
		}
		if (!exit->event.valid)
			vmx_queue_event(v, &ev);
		exit->handled = true;
	}
}

static void vmx_exit_io(struct vmx_vcpu *v, struct vm_exit *exit)
{
	uint64_t q = exit->qual;

	exit->reason = EXIT_IO;
	exit->io.port = (uint16_t)(q >> VMX_IO_PORT_SHIFT);
	exit->io.size = (uint8_t)((q & VMX_IO_SIZE_MASK) + 1);
	exit->io.in = q & VMX_IO_IN;
	exit->io.string = q & VMX_IO_STRING;
	exit->io.rep = q & VMX_IO_REP;
	exit->io.seg = EXIT_SEG_UNKNOWN;
	if (exit->io.string && vmx_features.ins_outs_info) {
		uint32_t info = vmcs_read32(VMCS_EXIT_INSN_INFO);

		exit->io.addr_size = (uint8_t)(2u << ((info >> VMX_INSN_INFO_ADDR_SHIFT) & 7));
		exit->io.seg = exit->io.in ? SEG_ES : (uint8_t)((info >> VMX_INSN_INFO_SEG_SHIFT) & 7);
	}
}

static void vmx_exit_ept(struct vmx_vcpu *v, struct vm_exit *exit, bool misconfig)
{
	uint64_t q = exit->qual;

	exit->gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	exit->gpa_valid = true;
	if (misconfig) {
		exit->reason = EXIT_TDP_MISCONFIG;
		exit->tdp.rsvd = true;
		return;
	}
	exit->reason = EXIT_TDP_FAULT;
	exit->tdp.read = q & VMX_EPT_READ;
	exit->tdp.write = q & VMX_EPT_WRITE;
	exit->tdp.exec = q & VMX_EPT_FETCH;
	exit->tdp.present = q & (VMX_EPT_READABLE | VMX_EPT_WRITABLE | VMX_EPT_EXECUTABLE);
	if (q & VMX_EPT_GLA_VALID) {
		exit->gla = vmcs_read(VMCS_GUEST_LINEAR_ADDR);
		exit->gla_valid = true;
		exit->tdp.final = q & VMX_EPT_FINAL;
		exit->tdp.walk = !(q & VMX_EPT_FINAL);
	}
}

static void vmx_exit_invalid(struct vmx_vcpu *v, uint32_t basic, struct vm_exit *exit)
{
	exit->reason = EXIT_INVALID_STATE;
	if (basic == VMX_EXIT_MSR_LOADING) {
		exit->invalid.why = "VM entry failed loading MSRs";
	} else if (basic == VMX_EXIT_MCE_DURING_ENTRY) {
		exit->invalid.why = "machine check during VM entry";
	} else if (v->entry_check) {
		exit->invalid.why = v->entry_check;
	} else {
		switch (exit->qual) {
		case VMX_ENTRY_FAIL_PDPTE:
			exit->invalid.why = "VM entry failed loading the guest's PDPTEs";
			break;
		case VMX_ENTRY_FAIL_NMI:
			exit->invalid.why = "VM entry failed: NMI injection with NMIs blocked";
			break;
		case VMX_ENTRY_FAIL_LINK:
			exit->invalid.why = "VM entry failed: invalid VMCS link pointer";
			break;
		default:
			exit->invalid.why = "VM entry refused the guest state; no check of "
					    "SDM 26.3.1 made in software fails";
			break;
		}
	}
}

/* Reasons that need nothing but the mapping. */
static enum vm_exit_reason vmx_exit_simple(uint32_t basic)
{
	switch (basic) {
	case VMX_EXIT_EXTERNAL_INTR: return EXIT_EXTERNAL_INTR;
	case VMX_EXIT_TRIPLE_FAULT: return EXIT_TRIPLE_FAULT;
	case VMX_EXIT_INIT: return EXIT_INIT;
	case VMX_EXIT_CPUID: return EXIT_CPUID;
	case VMX_EXIT_HLT: return EXIT_HLT;
	case VMX_EXIT_INVD: return EXIT_INVD;
	case VMX_EXIT_RDPMC: return EXIT_RDPMC;
	case VMX_EXIT_RDTSC: return EXIT_RDTSC;
	case VMX_EXIT_RDTSCP: return EXIT_RDTSCP;
	case VMX_EXIT_VMCALL: return EXIT_VMCALL;
	case VMX_EXIT_MWAIT: return EXIT_MWAIT;
	case VMX_EXIT_MONITOR: return EXIT_MONITOR;
	case VMX_EXIT_PAUSE: return EXIT_PAUSE;
	case VMX_EXIT_WBINVD: return EXIT_WBINVD;
	case VMX_EXIT_XSETBV: return EXIT_XSETBV;
	case VMX_EXIT_MTF: return EXIT_MTF;
	case VMX_EXIT_PREEMPT_TIMER: return EXIT_PREEMPT_TIMER;
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_VMCLEAR:
	case VMX_EXIT_VMLAUNCH:
	case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST:
	case VMX_EXIT_VMREAD:
	case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE:
	case VMX_EXIT_VMXOFF:
	case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID:
	case VMX_EXIT_VMFUNC:
		return EXIT_VIRT_INSN;
	default:
		return EXIT_UNKNOWN;
	}
}

static void vmx_exit_dispatch(struct vmx_vcpu *v, uint32_t basic, struct vm_exit *exit)
{
	switch (basic) {
	case VMX_EXIT_EXCEPTION_NMI:
		vmx_exit_exception(v, exit);
		break;
	case VMX_EXIT_IO_SMI:
	case VMX_EXIT_OTHER_SMI:
		exit->reason = EXIT_SMI;
		exit->handled = true;
		break;
	case VMX_EXIT_SIPI:
		exit->reason = EXIT_SIPI;
		exit->sipi.vector = (uint8_t)exit->qual;
		break;
	case VMX_EXIT_INTR_WINDOW:
		v->intr_window = false;
		vmx_write_proc(v, PROC_INTR_WINDOW, false);
		exit->reason = EXIT_INTR_WINDOW;
		break;
	case VMX_EXIT_NMI_WINDOW:
		v->nmi_window = false;
		vmx_write_proc(v, PROC_NMI_WINDOW, false);
		exit->reason = EXIT_NMI_WINDOW;
		break;
	case VMX_EXIT_TASK_SWITCH:
		exit->reason = EXIT_TASK_SWITCH;
		exit->task.selector = (uint16_t)exit->qual;
		exit->task.source = (uint8_t)((exit->qual >> VMX_TS_SOURCE_SHIFT) & 3);
		break;
	case VMX_EXIT_INVLPG:
		exit->reason = EXIT_INVLPG;
		exit->gla = exit->qual;
		exit->gla_valid = true;
		break;
	case VMX_EXIT_CR_ACCESS:
		vmx_exit_cr(v, exit);
		break;
	case VMX_EXIT_DR_ACCESS:
		exit->reason = EXIT_DR_ACCESS;
		exit->dr.dr = exit->qual & 7;
		exit->dr.write = !(exit->qual & BIT(4));
		exit->dr.gpr = (exit->qual >> 8) & 0xf;
		break;
	case VMX_EXIT_IO:
		vmx_exit_io(v, exit);
		break;
	case VMX_EXIT_RDMSR:
	case VMX_EXIT_WRMSR:
		exit->reason = basic == VMX_EXIT_RDMSR ? EXIT_MSR_READ : EXIT_MSR_WRITE;
		exit->msr.index = (uint32_t)v->common.regs.gpr[GPR_RCX];
		break;
	case VMX_EXIT_EPT_VIOLATION:
	case VMX_EXIT_EPT_MISCONFIG:
		vmx_exit_ept(v, exit, basic == VMX_EXIT_EPT_MISCONFIG);
		break;
	default:
		exit->reason = vmx_exit_simple(basic);
		break;
	}
}

/*
 * An exit during event delivery by IRET, or of an EPT violation with
 * "NMI unblocking due to IRET": the guest's IRET unblocked NMIs, but the
 * exit put the blocking back; without this, NMIs would stay unblocked
 * across the guest's handler (SDM 27.2.3, 28.3.1.2).
 */
static void vmx_exit_nmi_unblock(struct vmx_vcpu *v, uint32_t basic, struct vm_exit *exit)
{
	bool unblock = false;

	if (exit->event.valid)
		return;
	if (basic == VMX_EXIT_EXCEPTION_NMI)
		unblock = (exit->info2 & VMX_EVT_NMI_UNBLOCK_IRET) &&
			  (exit->info2 & EVENT_INFO_VECTOR_MASK) != 8;
	else if (basic == VMX_EXIT_EPT_VIOLATION)
		unblock = exit->qual & VMX_EPT_NMI_UNBLOCK;
	if (unblock && !(v->intr_state & VMX_INTR_NMI)) {
		v->intr_state |= VMX_INTR_NMI;
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, v->intr_state);
	}
}

void vmx_exit_decode(struct vmx_vcpu *v, uint32_t reason, struct vm_exit *exit)
{
	uint32_t basic = reason & VMX_EXIT_REASON_BASIC_MASK;

	memset(exit, 0, sizeof(*exit));
	exit->raw = basic;
	exit->qual = vmcs_read(VMCS_EXIT_QUAL);
	exit->info2 = vmcs_read32(VMCS_EXIT_INTR_INFO);
	exit->insn_len = (uint8_t)vmcs_read32(VMCS_EXIT_INSN_LEN);
	if (exit->insn_len > 15)
		exit->insn_len = 0;
	vmx_exit_guest_info(v, exit);
	vmx_exit_event_info(v, exit);
	if (reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		vmx_exit_invalid(v, basic, exit);
		return;
	}
	vmx_exit_nmi_unblock(v, basic, exit);
	vmx_exit_dispatch(v, basic, exit);
}

/* ------------------------------------------------------------------------
 * Names
 */

static const char *const vmx_exit_names[VMX_EXIT_MAX + 1] = {
	[VMX_EXIT_EXCEPTION_NMI] = "EXCEPTION_NMI",
	[VMX_EXIT_EXTERNAL_INTR] = "EXTERNAL_INTERRUPT",
	[VMX_EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT",
	[VMX_EXIT_INIT] = "INIT",
	[VMX_EXIT_SIPI] = "SIPI",
	[VMX_EXIT_IO_SMI] = "IO_SMI",
	[VMX_EXIT_OTHER_SMI] = "OTHER_SMI",
	[VMX_EXIT_INTR_WINDOW] = "INTERRUPT_WINDOW",
	[VMX_EXIT_NMI_WINDOW] = "NMI_WINDOW",
	[VMX_EXIT_TASK_SWITCH] = "TASK_SWITCH",
	[VMX_EXIT_CPUID] = "CPUID",
	[VMX_EXIT_GETSEC] = "GETSEC",
	[VMX_EXIT_HLT] = "HLT",
	[VMX_EXIT_INVD] = "INVD",
	[VMX_EXIT_INVLPG] = "INVLPG",
	[VMX_EXIT_RDPMC] = "RDPMC",
	[VMX_EXIT_RDTSC] = "RDTSC",
	[VMX_EXIT_RSM] = "RSM",
	[VMX_EXIT_VMCALL] = "VMCALL",
	[VMX_EXIT_VMCLEAR] = "VMCLEAR",
	[VMX_EXIT_VMLAUNCH] = "VMLAUNCH",
	[VMX_EXIT_VMPTRLD] = "VMPTRLD",
	[VMX_EXIT_VMPTRST] = "VMPTRST",
	[VMX_EXIT_VMREAD] = "VMREAD",
	[VMX_EXIT_VMRESUME] = "VMRESUME",
	[VMX_EXIT_VMWRITE] = "VMWRITE",
	[VMX_EXIT_VMXOFF] = "VMXOFF",
	[VMX_EXIT_VMXON] = "VMXON",
	[VMX_EXIT_CR_ACCESS] = "CR_ACCESS",
	[VMX_EXIT_DR_ACCESS] = "DR_ACCESS",
	[VMX_EXIT_IO] = "IO_INSTRUCTION",
	[VMX_EXIT_RDMSR] = "RDMSR",
	[VMX_EXIT_WRMSR] = "WRMSR",
	[VMX_EXIT_INVALID_STATE] = "INVALID_GUEST_STATE",
	[VMX_EXIT_MSR_LOADING] = "MSR_LOADING",
	[VMX_EXIT_MWAIT] = "MWAIT",
	[VMX_EXIT_MTF] = "MONITOR_TRAP_FLAG",
	[VMX_EXIT_MONITOR] = "MONITOR",
	[VMX_EXIT_PAUSE] = "PAUSE",
	[VMX_EXIT_MCE_DURING_ENTRY] = "MCE_DURING_VMENTRY",
	[VMX_EXIT_TPR_BELOW] = "TPR_BELOW_THRESHOLD",
	[VMX_EXIT_APIC_ACCESS] = "APIC_ACCESS",
	[VMX_EXIT_EOI_INDUCED] = "EOI_INDUCED",
	[VMX_EXIT_GDTR_IDTR] = "GDTR_IDTR",
	[VMX_EXIT_LDTR_TR] = "LDTR_TR",
	[VMX_EXIT_EPT_VIOLATION] = "EPT_VIOLATION",
	[VMX_EXIT_EPT_MISCONFIG] = "EPT_MISCONFIG",
	[VMX_EXIT_INVEPT] = "INVEPT",
	[VMX_EXIT_RDTSCP] = "RDTSCP",
	[VMX_EXIT_PREEMPT_TIMER] = "PREEMPTION_TIMER",
	[VMX_EXIT_INVVPID] = "INVVPID",
	[VMX_EXIT_WBINVD] = "WBINVD",
	[VMX_EXIT_XSETBV] = "XSETBV",
	[VMX_EXIT_APIC_WRITE] = "APIC_WRITE",
	[VMX_EXIT_RDRAND] = "RDRAND",
	[VMX_EXIT_INVPCID] = "INVPCID",
	[VMX_EXIT_VMFUNC] = "VMFUNC",
	[VMX_EXIT_ENCLS] = "ENCLS",
	[VMX_EXIT_RDSEED] = "RDSEED",
	[VMX_EXIT_PML_FULL] = "PML_FULL",
	[VMX_EXIT_XSAVES] = "XSAVES",
	[VMX_EXIT_XRSTORS] = "XRSTORS",
};

const char *vmx_exit_reason_name(uint64_t reason)
{
	if (reason > VMX_EXIT_MAX || !vmx_exit_names[reason])
		return "?";
	return vmx_exit_names[reason];
}

const char *vmx_insn_error_name(uint32_t err)
{
	static const char *const names[] = {
		[1] = "VMCALL executed in VMX root operation",
		[2] = "VMCLEAR with invalid physical address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};

	if (err >= ARRAY_SIZE(names) || !names[err])
		return "unknown VM-instruction error";
	return names[err];
}
