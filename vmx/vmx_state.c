/*
 * Intel VT-x backend: guest state in and out of the VMCS (segments,
 * control registers through the guest/host masks and read shadows, the
 * MSRs the VMCS or the CPU holds), the registers VMX leaves live in the
 * CPU, the software check of the guest-state rules of SDM 26.3.1 that
 * names a failed entry, and the monitor's dump.
 *
 * Runs on the vCPU's own thread with the vCPU loaded on this CPU, or
 * before its first load (vmx_vmcs_enter() borrows the CPU then); no
 * lock held or taken.
 */
#include "asm/cpu.h"
#include "asm/msr.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "vmx/vmx.h"

/* EFER bits an Intel CPU defines. */
#define EFER_DEFINED (uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* ------------------------------------------------------------------------
 * Live registers (docs/vmx.md, "Guest state")
 */

static inline uint64_t vmx_read_dr6(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline void vmx_write_dr6(uint64_t v)
{
	__asm__ __volatile__("mov %0, %%dr6" :: "r"(v));
}

void vmx_live_load(struct vmx_vcpu *v)
{
	const struct vmx_live *l = &v->live;

	write_cr2(l->cr2);
	vmx_write_dr6(l->dr6);
	write_dr0_3(l->dr);
	wrmsr(MSR_STAR, l->star);
	wrmsr(MSR_LSTAR, l->lstar);
	wrmsr(MSR_CSTAR, l->cstar);
	wrmsr(MSR_SFMASK, l->sfmask);
	wrmsr(MSR_KERNEL_GS_BASE, l->kernel_gs_base);
}

void vmx_live_save(struct vmx_vcpu *v)
{
	struct vmx_live *l = &v->live;

	l->cr2 = read_cr2();
	l->dr6 = vmx_read_dr6();
	read_dr0_3(l->dr);
	l->star = rdmsr(MSR_STAR);
	l->lstar = rdmsr(MSR_LSTAR);
	l->cstar = rdmsr(MSR_CSTAR);
	l->sfmask = rdmsr(MSR_SFMASK);
	l->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
}

/* ------------------------------------------------------------------------
 * Control registers
 */

uint64_t vmx_cr0_hw(uint64_t cr0)
{
	const struct vmx_features *f = &vmx_features;
	uint64_t fixed0 = f->cr0_fixed0;

	if (f->unrestricted)
		fixed0 &= ~(uint64_t)(X86_CR0_PE | X86_CR0_PG);
	return (cr0 | fixed0) & (f->cr0_fixed1 | 0xffffffff00000000ull);
}

uint64_t vmx_cr4_hw(uint64_t cr4)
{
	const struct vmx_features *f = &vmx_features;

	return (cr4 | f->cr4_fixed0 | X86_CR4_VMXE) & (f->cr4_fixed1 | X86_CR4_VMXE);
}

uint64_t vmx_guest_cr0(const struct vmx_vcpu *v)
{
	return (vmcs_read(VMCS_GUEST_CR0) & ~v->cr0_mask) |
	       (vmcs_read(VMCS_CR0_SHADOW) & v->cr0_mask);
}

uint64_t vmx_guest_cr4(const struct vmx_vcpu *v)
{
	return (vmcs_read(VMCS_GUEST_CR4) & ~v->cr4_mask) |
	       (vmcs_read(VMCS_CR4_SHADOW) & v->cr4_mask);
}

/* ------------------------------------------------------------------------
 * Guest state
 */

static uint64_t vmx_live_get(const struct vmx_vcpu *v, const uint64_t *saved,
			     uint64_t (*read)(void))
{
	return vmx_live_here(v) ? read() : *saved;
}

static uint64_t rd_star(void) { return rdmsr(MSR_STAR); }
static uint64_t rd_lstar(void) { return rdmsr(MSR_LSTAR); }
static uint64_t rd_cstar(void) { return rdmsr(MSR_CSTAR); }
static uint64_t rd_sfmask(void) { return rdmsr(MSR_SFMASK); }
static uint64_t rd_kgs(void) { return rdmsr(MSR_KERNEL_GS_BASE); }

void vmx_get_state(struct backend_vcpu *bv, struct guest_state *st)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags = vmx_vmcs_enter(v);
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->regs = bv->regs;
	for (i = 0; i < SEG_COUNT; i++) {
		struct guest_segment *s = &st->seg[i];

		s->selector = (uint16_t)vmcs_read(VMCS_GUEST_ES_SEL + 2 * i);
		s->base = vmcs_read(VMCS_GUEST_ES_BASE + 2 * i);
		s->limit = vmcs_read32(VMCS_GUEST_ES_LIMIT + 2 * i);
		s->attr = vmx_attr_from_ar(vmcs_read32(VMCS_GUEST_ES_AR + 2 * i));
	}
	st->gdtr.base = vmcs_read(VMCS_GUEST_GDTR_BASE);
	st->gdtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_GDTR_LIMIT);
	st->idtr.base = vmcs_read(VMCS_GUEST_IDTR_BASE);
	st->idtr.limit = (uint16_t)vmcs_read(VMCS_GUEST_IDTR_LIMIT);
	st->cr0 = vmx_guest_cr0(v);
	st->cr2 = vmx_live_get(v, &v->live.cr2, read_cr2);
	st->cr3 = vmcs_read(VMCS_GUEST_CR3);
	st->cr4 = vmx_guest_cr4(v);
	st->cr8 = v->cr8;
	st->efer = vmcs_read(VMCS_GUEST_EFER);
	st->dr6 = vmx_live_get(v, &v->live.dr6, vmx_read_dr6);
	if (vmx_live_here(v))
		read_dr0_3(st->dr);
	else
		memcpy(st->dr, v->live.dr, sizeof(st->dr));
	st->dr7 = vmcs_read(VMCS_GUEST_DR7);
	st->pat = vmx_features.pat ? vmcs_read(VMCS_GUEST_PAT) : v->pat;
	st->star = vmx_live_get(v, &v->live.star, rd_star);
	st->lstar = vmx_live_get(v, &v->live.lstar, rd_lstar);
	st->cstar = vmx_live_get(v, &v->live.cstar, rd_cstar);
	st->sfmask = vmx_live_get(v, &v->live.sfmask, rd_sfmask);
	st->kernel_gs_base = vmx_live_get(v, &v->live.kernel_gs_base, rd_kgs);
	st->sysenter_cs = vmcs_read(VMCS_GUEST_SYSENTER_CS);
	st->sysenter_esp = vmcs_read(VMCS_GUEST_SYSENTER_ESP);
	st->sysenter_eip = vmcs_read(VMCS_GUEST_SYSENTER_EIP);
	st->interrupt_shadow = (v->intr_state & VMX_INTR_SHADOW) && bv->regs.rip == v->exit_rip;
	st->nmi_masked = v->intr_state & VMX_INTR_NMI;
	vmx_vmcs_exit(v, flags);
}

/* Current VMCS: EFER with LMA = LME && CR0.PG and the IA-32e control to match. */
static void vmx_write_efer(struct vmx_vcpu *v, uint64_t efer, uint64_t cr0)
{
	bool lma = (efer & EFER_LME) && (cr0 & X86_CR0_PG);
	uint32_t entry;

	efer &= ~(uint64_t)EFER_LMA;
	if (lma)
		efer |= EFER_LMA;
	vmcs_write(VMCS_GUEST_EFER, efer);
	entry = lma ? v->entry | ENTRY_CTL_IA32E : v->entry & ~ENTRY_CTL_IA32E;
	if (entry != v->entry) {
		v->entry = entry;
		vmcs_write(VMCS_ENTRY_CTLS, entry);
	}
}

void vmx_write_state(struct vmx_vcpu *v, const struct guest_state *st)
{
	struct backend_vcpu *bv = &v->common;
	uint32_t intr = 0;
	unsigned int i;

	bv->regs = st->regs;
	for (i = 0; i < SEG_COUNT; i++) {
		const struct guest_segment *s = &st->seg[i];

		vmcs_write(VMCS_GUEST_ES_SEL + 2 * i, s->selector);
		vmcs_write(VMCS_GUEST_ES_BASE + 2 * i, s->base);
		vmcs_write(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
		uint32_t ar = vmx_ar_from_attr(s->attr);

		/*
		 * The reset state's TR (no TSS loaded) as a 32-bit busy TSS,
		 * as KVM does: VM entry in IA-32e mode refuses the 16-bit
		 * type, and Bochs refuses to enable long mode with it.
		 */
		if (i == SEG_TR && s->selector == 0 &&
		    (ar & VMX_AR_TYPE_MASK) == SEG_TYPE_TSS16_BUSY)
			ar = (ar & ~VMX_AR_TYPE_MASK) | SEG_TYPE_TSS_BUSY;
		vmcs_write(VMCS_GUEST_ES_AR + 2 * i, ar);
	}
	vmcs_write(VMCS_GUEST_GDTR_BASE, st->gdtr.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, st->gdtr.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, st->idtr.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, st->idtr.limit);
	vmcs_write(VMCS_GUEST_CR0, vmx_cr0_hw(st->cr0));
	vmcs_write(VMCS_CR0_SHADOW, st->cr0);
	vmcs_write(VMCS_GUEST_CR3, st->cr3);
	vmcs_write(VMCS_GUEST_CR4, vmx_cr4_hw(st->cr4));
	vmcs_write(VMCS_CR4_SHADOW, st->cr4);
	vmx_write_efer(v, st->efer, st->cr0);
	vmcs_write(VMCS_GUEST_DR7, st->dr7);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	v->pat = st->pat;
	if (vmx_features.pat)
		vmcs_write(VMCS_GUEST_PAT, st->pat);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, st->sysenter_cs);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, st->sysenter_esp);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, st->sysenter_eip);
	vmx_write_rsp_rip_rflags(v);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, VMX_ACTIVITY_ACTIVE);
	/* STI blocking needs IF set; without it the shadow is MOV SS's. */
	if (st->interrupt_shadow)
		intr = (st->regs.rflags & X86_RFLAGS_IF) ? VMX_INTR_STI : VMX_INTR_MOV_SS;
	if (st->nmi_masked)
		intr |= VMX_INTR_NMI;
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr);
	v->intr_state = intr;
	v->exit_rip = st->regs.rip;
	v->cr8 = st->cr8 & 0xf;
	v->live = (struct vmx_live){
		.cr2 = st->cr2, .dr6 = st->dr6, .star = st->star, .lstar = st->lstar,
		.cstar = st->cstar, .sfmask = st->sfmask,
		.kernel_gs_base = st->kernel_gs_base,
	};
	memcpy(v->live.dr, st->dr, sizeof(v->live.dr));
	if (vmx_live_here(v))
		vmx_live_load(v);
}

int vmx_set_state(struct backend_vcpu *bv, const struct guest_state *st)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < SEG_COUNT; i++)
		if (st->seg[i].attr & ~(0xfffu | SEG_ATTR_UNUSABLE))
			return -EINVAL;
	if (st->cr8 > 0xf)
		return -EINVAL;
	if (!vmx_features.unrestricted && !(st->cr0 & X86_CR0_PE)) {
		pr_err("vmx: vCPU %u: real-mode guests need unrestricted guest, "
		       "which this CPU lacks", bv->id);
		return -ENOTSUP;	/* EOPNOTSUPP: the same value, 95 */
	}
	if (!vmx_features.unrestricted && !(st->cr0 & X86_CR0_PG)) {
		pr_err("vmx: vCPU %u: protected mode without paging needs unrestricted "
		       "guest, which this CPU lacks", bv->id);
		return -ENOTSUP;	/* EOPNOTSUPP: the same value, 95 */
	}
	flags = vmx_vmcs_enter(v);
	vmx_write_state(v, st);
	vmx_vmcs_exit(v, flags);
	return 0;
}

int vmx_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val)
{
	struct vmx_vcpu *v = to_vmx(bv);
	bool live = vmx_live_here(v);
	unsigned long flags;
	int err = 0;

	switch (msr) {
	case MSR_STAR: *val = live ? rdmsr(msr) : v->live.star; return 0;
	case MSR_LSTAR: *val = live ? rdmsr(msr) : v->live.lstar; return 0;
	case MSR_CSTAR: *val = live ? rdmsr(msr) : v->live.cstar; return 0;
	case MSR_SFMASK: *val = live ? rdmsr(msr) : v->live.sfmask; return 0;
	case MSR_KERNEL_GS_BASE: *val = live ? rdmsr(msr) : v->live.kernel_gs_base; return 0;
	default: break;
	}
	flags = vmx_vmcs_enter(v);
	switch (msr) {
	case MSR_EFER: *val = vmcs_read(VMCS_GUEST_EFER); break;
	case MSR_IA32_PAT: *val = vmx_features.pat ? vmcs_read(VMCS_GUEST_PAT) : v->pat; break;
	case MSR_FS_BASE: *val = vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_FS); break;
	case MSR_GS_BASE: *val = vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_GS); break;
	case MSR_IA32_SYSENTER_CS: *val = vmcs_read(VMCS_GUEST_SYSENTER_CS); break;
	case MSR_IA32_SYSENTER_ESP: *val = vmcs_read(VMCS_GUEST_SYSENTER_ESP); break;
	case MSR_IA32_SYSENTER_EIP: *val = vmcs_read(VMCS_GUEST_SYSENTER_EIP); break;
	default: err = -ENOENT; break;
	}
	vmx_vmcs_exit(v, flags);
	return err;
}

int vmx_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val)
{
	struct vmx_vcpu *v = to_vmx(bv);
	uint64_t *saved = NULL;
	unsigned long flags;
	int err = 0;

	switch (msr) {
	case MSR_STAR: saved = &v->live.star; break;
	case MSR_LSTAR: saved = &v->live.lstar; break;
	case MSR_CSTAR: saved = &v->live.cstar; break;
	case MSR_SFMASK: saved = &v->live.sfmask; break;
	case MSR_KERNEL_GS_BASE: saved = &v->live.kernel_gs_base; break;
	default: break;
	}
	if (saved) {
		*saved = val;
		if (vmx_live_here(v))
			wrmsr(msr, val);
		return 0;
	}
	flags = vmx_vmcs_enter(v);
	switch (msr) {
	case MSR_EFER:
		if (!efer_valid(val, vmcs_read(VMCS_GUEST_EFER), vmx_features.guest_efer,
				vmx_guest_cr0(v) & X86_CR0_PG)) {
			err = -EINVAL;
			break;
		}
		/* LMA is the CPU's to set: LME && CR0.PG, as paging made it. */
		vmx_write_efer(v, val, vmx_guest_cr0(v));
		break;
	case MSR_IA32_PAT:
		if (!pat_valid(val)) {
			err = -EINVAL;	/* the entry would fail on the guest PAT */
			break;
		}
		v->pat = val;
		if (vmx_features.pat)
			vmcs_write(VMCS_GUEST_PAT, val);
		break;
	case MSR_FS_BASE: vmcs_write(VMCS_GUEST_ES_BASE + 2 * SEG_FS, val); break;
	case MSR_GS_BASE: vmcs_write(VMCS_GUEST_ES_BASE + 2 * SEG_GS, val); break;
	case MSR_IA32_SYSENTER_CS: vmcs_write(VMCS_GUEST_SYSENTER_CS, val); break;
	case MSR_IA32_SYSENTER_ESP: vmcs_write(VMCS_GUEST_SYSENTER_ESP, val); break;
	case MSR_IA32_SYSENTER_EIP: vmcs_write(VMCS_GUEST_SYSENTER_EIP, val); break;
	default: err = -ENOENT; break;
	}
	vmx_vmcs_exit(v, flags);
	return err;
}

/* ------------------------------------------------------------------------
 * Guest-state checks of a failed entry (SDM 26.3.1), the common ones
 */

static bool vmx_canonical(uint64_t a)
{
	return (uint64_t)(((int64_t)a << 16) >> 16) == a;
}

/* Limit and G agree (SDM 26.3.1.2, "Limit"). */
static bool vmx_limit_ok(uint32_t limit, uint32_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & VMX_AR_G))
		return false;
	if ((limit & 0xfff00000u) && !(ar & VMX_AR_G))
		return false;
	return true;
}

static const char *vmx_check_segments(bool ia32e, bool ug, bool real)
{
	static const char *const names[SEG_COUNT] = {
		"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR",
	};
	static char buf[96];
	uint32_t ar[SEG_COUNT], cs, ss, tr, ldtr;
	unsigned int i, type;

	for (i = 0; i < SEG_COUNT; i++) {
		ar[i] = vmcs_read32(VMCS_GUEST_ES_AR + 2 * i);
		if (!(ar[i] & VMX_AR_UNUSABLE) && (ar[i] & VMX_AR_RESERVED)) {
			hv_snprintf(buf, sizeof(buf), "guest %s access rights have reserved bits set",
				    names[i]);
			return buf;
		}
		if (!(ar[i] & VMX_AR_UNUSABLE) &&
		    !vmx_limit_ok(vmcs_read32(VMCS_GUEST_ES_LIMIT + 2 * i), ar[i])) {
			hv_snprintf(buf, sizeof(buf), "guest %s limit and granularity disagree",
				    names[i]);
			return buf;
		}
	}
	cs = ar[SEG_CS];
	ss = ar[SEG_SS];
	tr = ar[SEG_TR];
	ldtr = ar[SEG_LDTR];
	type = cs & VMX_AR_TYPE_MASK;
	if ((type & (SEG_TYPE_CODE | SEG_TYPE_A)) != (SEG_TYPE_CODE | SEG_TYPE_A) &&
	    !(ug && type == SEG_TYPE_DATA_RWA))
		return "guest CS type is not an accessed code segment";
	if (!(cs & VMX_AR_S) || !(cs & VMX_AR_P) || (cs & VMX_AR_UNUSABLE))
		return "guest CS not present or not a code/data descriptor";
	if (type == SEG_TYPE_DATA_RWA && (cs & VMX_AR_DPL_MASK))
		return "guest CS type 3 (unrestricted guest) with DPL not 0";
	if ((type & SEG_TYPE_CODE) && !(type & SEG_TYPE_EC) &&
	    (cs & VMX_AR_DPL_MASK) != (ss & VMX_AR_DPL_MASK))
		return "guest CS DPL differs from SS DPL (non-conforming code)";
	if (ia32e && (cs & VMX_AR_L) && (cs & VMX_AR_DB))
		return "guest in IA-32e mode with CS.L and CS.D both set";
	if (!(ss & VMX_AR_UNUSABLE)) {
		type = ss & VMX_AR_TYPE_MASK;
		if ((type & (SEG_TYPE_CODE | SEG_TYPE_RW | SEG_TYPE_A)) != (SEG_TYPE_RW | SEG_TYPE_A))
			return "guest SS type is not a writable accessed data segment";
		if (!(ss & VMX_AR_S) || !(ss & VMX_AR_P))
			return "guest SS not present or not a code/data descriptor";
	}
	if (real && (ss & VMX_AR_DPL_MASK))
		return "guest SS DPL not 0 with CR0.PE clear";
	for (i = SEG_ES; i <= SEG_GS; i++) {
		if (i == SEG_CS || i == SEG_SS || (ar[i] & VMX_AR_UNUSABLE))
			continue;
		if (!(ar[i] & SEG_TYPE_A) || !(ar[i] & VMX_AR_S) || !(ar[i] & VMX_AR_P) ||
		    ((ar[i] & SEG_TYPE_CODE) && !(ar[i] & SEG_TYPE_RW))) {
			hv_snprintf(buf, sizeof(buf), "guest %s is not an accessed, present, "
				    "readable segment", names[i]);
			return buf;
		}
	}
	type = tr & VMX_AR_TYPE_MASK;
	if (!(type == SEG_TYPE_TSS_BUSY || (!ia32e && type == SEG_TYPE_TSS16_BUSY)))
		return ia32e ? "guest TR is not a busy 64-bit TSS (IA-32e mode)" :
			       "guest TR is not a busy TSS";
	if ((tr & VMX_AR_S) || !(tr & VMX_AR_P) || (tr & VMX_AR_UNUSABLE))
		return "guest TR unusable, not present or not a system descriptor";
	if (!(ldtr & VMX_AR_UNUSABLE) &&
	    ((ldtr & VMX_AR_TYPE_MASK) != SEG_TYPE_LDT || (ldtr & VMX_AR_S) || !(ldtr & VMX_AR_P)))
		return "guest LDTR is usable but not a present LDT descriptor";
	if (!vmx_canonical(vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_FS)) ||
	    !vmx_canonical(vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_GS)) ||
	    !vmx_canonical(vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_TR)))
		return "guest FS, GS or TR base not canonical";
	if (vmcs_read(VMCS_GUEST_ES_BASE + 2 * SEG_CS) >> 32)
		return "guest CS base bits 63:32 not zero";
	return NULL;
}

static const char *vmx_check_events(struct vmx_vcpu *v, uint64_t rflags, bool real)
{
	uint32_t intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	uint32_t info = vmcs_read32(VMCS_ENTRY_INTR_INFO);
	uint32_t type = info & EVENT_INFO_TYPE_MASK;

	if ((intr & VMX_INTR_STI) && (intr & VMX_INTR_MOV_SS))
		return "guest interruptibility has STI and MOV SS blocking both set";
	if ((intr & VMX_INTR_STI) && !(rflags & X86_RFLAGS_IF))
		return "guest STI blocking with RFLAGS.IF clear";
	if (vmcs_read32(VMCS_GUEST_ACTIVITY) > VMX_ACTIVITY_WAIT_SIPI)
		return "guest activity state invalid";
	if (!(info & EVENT_INFO_VALID))
		return NULL;
	if (type == EVENT_INFO_TYPE_EXTINT && !(rflags & X86_RFLAGS_IF))
		return "injecting an external interrupt with RFLAGS.IF clear";
	if (type == EVENT_INFO_TYPE_EXTINT && (intr & VMX_INTR_SHADOW))
		return "injecting an external interrupt in an STI / MOV SS shadow";
	if (type == EVENT_INFO_TYPE_NMI && (intr & (VMX_INTR_MOV_SS | VMX_INTR_NMI)))
		return "injecting an NMI while NMIs or MOV SS shadow block it";
	if ((info & EVENT_INFO_ERROR_VALID) && real)
		return "injecting an error code with CR0.PE clear";
	return NULL;
}

const char *vmx_check_guest_state(struct vmx_vcpu *v)
{
	const struct vmx_features *f = &vmx_features;
	uint64_t cr0 = vmcs_read(VMCS_GUEST_CR0), cr4 = vmcs_read(VMCS_GUEST_CR4);
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER), rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	uint64_t fixed0 = f->cr0_fixed0, phys_mask = (1ull << f->phys_bits) - 1;
	bool ia32e = v->entry & ENTRY_CTL_IA32E, ug = f->unrestricted;
	const char *why;

	if (ug)
		fixed0 &= ~(uint64_t)(X86_CR0_PE | X86_CR0_PG);
	if ((cr0 & fixed0) != fixed0 || (cr0 & ~f->cr0_fixed1 & 0xffffffffull) || (cr0 >> 32))
		return "guest CR0 outside IA32_VMX_CR0_FIXED0/1";
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return "guest CR0.PG set with CR0.PE clear";
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return "guest CR0.NW set with CR0.CD clear";
	if ((cr4 & f->cr4_fixed0) != f->cr4_fixed0 || (cr4 & ~f->cr4_fixed1))
		return "guest CR4 outside IA32_VMX_CR4_FIXED0/1";
	if (ia32e && (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE)))
		return "IA-32e mode guest without CR0.PG and CR4.PAE";
	if (!ia32e && (cr4 & X86_CR4_PCIDE))
		return "guest CR4.PCIDE set outside IA-32e mode";
	if (vmcs_read(VMCS_GUEST_CR3) & ~phys_mask & ~0xfffull)
		return "guest CR3 has bits beyond MAXPHYADDR set";
	if (vmcs_read(VMCS_GUEST_DR7) >> 32)
		return "guest DR7 bits 63:32 not zero";
	if (f->pat && !pat_valid(vmcs_read(VMCS_GUEST_PAT)))
		return "guest IA32_PAT holds an invalid memory type";
	if (efer & ~EFER_DEFINED & ~(uint64_t)EFER_NXE)
		return "guest IA32_EFER has a reserved bit set";
	if (!!(efer & EFER_LMA) != ia32e)
		return "guest EFER.LMA differs from the IA-32e mode guest entry control";
	if ((cr0 & X86_CR0_PG) && !!(efer & EFER_LMA) != !!(efer & EFER_LME))
		return "guest EFER.LMA differs from EFER.LME with CR0.PG set";
	why = vmx_check_segments(ia32e, ug, !(cr0 & X86_CR0_PE));
	if (why)
		return why;
	if (!vmx_canonical(vmcs_read(VMCS_GUEST_GDTR_BASE)) ||
	    !vmx_canonical(vmcs_read(VMCS_GUEST_IDTR_BASE)))
		return "guest GDTR or IDTR base not canonical";
	if (vmcs_read32(VMCS_GUEST_GDTR_LIMIT) >> 16 || vmcs_read32(VMCS_GUEST_IDTR_LIMIT) >> 16)
		return "guest GDTR or IDTR limit above 0xffff";
	if (!ia32e && (vmcs_read(VMCS_GUEST_RIP) >> 32))
		return "guest RIP bits 63:32 not zero outside IA-32e mode";
	if ((rflags & ~0x3f7fd7ull) || !(rflags & X86_RFLAGS_FIXED))
		return "guest RFLAGS reserved bits wrong (bit 1 must be 1; 3, 5, 15, 63:22 zero)";
	if ((rflags & X86_RFLAGS_VM) && (ia32e || !(cr0 & X86_CR0_PE)))
		return "guest RFLAGS.VM set in IA-32e mode or with CR0.PE clear";
	if (vmcs_read(VMCS_LINK_POINTER) != ~0ull)
		return "VMCS link pointer is not all ones";
	return vmx_check_events(v, rflags, !(cr0 & X86_CR0_PE));
}

/* ------------------------------------------------------------------------
 * Monitor dump
 */

void vmx_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	static const char *const seg_names[SEG_COUNT] = {
		"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr",
	};
	struct vmx_vcpu *v = to_vmx(bv);
	const struct guest_regs *r = &bv->regs;
	unsigned long flags = vmx_vmcs_enter(v);
	uint32_t reason = vmcs_read32(VMCS_EXIT_REASON);
	unsigned int i;

	print(ctx, "vmx vCPU %u: CPU %d, VMCS %#llx, VPID %u, %s", bv->id, bv->cpu,
	      (unsigned long long)v->vmcs_pa, v->vpid, v->launched ? "launched" : "clear");
	print(ctx, "  controls pin %#x proc %#x proc2 %#x exit %#x entry %#x exc %#x",
	      vmcs_read32(VMCS_PIN_CTLS), vmcs_read32(VMCS_PROC_CTLS),
	      vmcs_read32(VMCS_PROC_CTLS2), vmcs_read32(VMCS_EXIT_CTLS),
	      vmcs_read32(VMCS_ENTRY_CTLS), vmcs_read32(VMCS_EXCEPTION_BITMAP));
	print(ctx, "  exit %s (%#x) qual %#llx intr %#x idt %#x len %u insn error %u",
	      vmx_exit_reason_name(reason & VMX_EXIT_REASON_BASIC_MASK), reason,
	      (unsigned long long)vmcs_read(VMCS_EXIT_QUAL), vmcs_read32(VMCS_EXIT_INTR_INFO),
	      vmcs_read32(VMCS_IDT_VECTORING_INFO), vmcs_read32(VMCS_EXIT_INSN_LEN),
	      vmcs_read32(VMCS_INSN_ERROR));
	print(ctx, "  entry intr %#x err %#x; interruptibility %#x activity %u tsc_offset %#llx",
	      vmcs_read32(VMCS_ENTRY_INTR_INFO), vmcs_read32(VMCS_ENTRY_EXC_ERROR_CODE),
	      vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY), vmcs_read32(VMCS_GUEST_ACTIVITY),
	      (unsigned long long)vmcs_read(VMCS_TSC_OFFSET));
	print(ctx, "  eptp %#llx pat %#llx efer %#llx; windows intr %d nmi %d",
	      (unsigned long long)vmcs_read(VMCS_EPT_POINTER),
	      (unsigned long long)(vmx_features.pat ? vmcs_read(VMCS_GUEST_PAT) : v->pat),
	      (unsigned long long)vmcs_read(VMCS_GUEST_EFER), v->intr_window, v->nmi_window);
	print(ctx, "  rip %016llx rsp %016llx rflags %08llx mode %u",
	      (unsigned long long)r->rip, (unsigned long long)r->gpr[GPR_RSP],
	      (unsigned long long)r->rflags, vmx_guest_mode());
	print(ctx, "  cr0 %016llx (shadow %llx) cr3 %016llx cr4 %016llx (shadow %llx)",
	      (unsigned long long)vmcs_read(VMCS_GUEST_CR0),
	      (unsigned long long)vmcs_read(VMCS_CR0_SHADOW),
	      (unsigned long long)vmcs_read(VMCS_GUEST_CR3),
	      (unsigned long long)vmcs_read(VMCS_GUEST_CR4),
	      (unsigned long long)vmcs_read(VMCS_CR4_SHADOW));
	for (i = 0; i < GPR_COUNT; i += 4)
		print(ctx, "  r%-2u %016llx %016llx %016llx %016llx", i,
		      (unsigned long long)r->gpr[i], (unsigned long long)r->gpr[i + 1],
		      (unsigned long long)r->gpr[i + 2], (unsigned long long)r->gpr[i + 3]);
	for (i = 0; i < SEG_COUNT; i++)
		print(ctx, "  %-4s sel %04llx ar %05x limit %08x base %016llx", seg_names[i],
		      (unsigned long long)vmcs_read(VMCS_GUEST_ES_SEL + 2 * i),
		      vmcs_read32(VMCS_GUEST_ES_AR + 2 * i),
		      vmcs_read32(VMCS_GUEST_ES_LIMIT + 2 * i),
		      (unsigned long long)vmcs_read(VMCS_GUEST_ES_BASE + 2 * i));
	print(ctx, "  gdtr base %016llx limit %04x idtr base %016llx limit %04x",
	      (unsigned long long)vmcs_read(VMCS_GUEST_GDTR_BASE),
	      vmcs_read32(VMCS_GUEST_GDTR_LIMIT),
	      (unsigned long long)vmcs_read(VMCS_GUEST_IDTR_BASE),
	      vmcs_read32(VMCS_GUEST_IDTR_LIMIT));
	vmx_vmcs_exit(v, flags);
}
