/*
 * AMD-V backend: guest state in and out of the VMCB (segments, control
 * registers, the MSRs the VMCB holds) and the monitor's dump of a vCPU.
 *
 * Runs on the vCPU's own thread with the vCPU loaded on this CPU (or, for
 * svm_set_state() from svm_vcpu_create(), before anyone else can see the
 * vCPU); no lock held or taken. Every VMCB change marks its clean-bit
 * group dirty.
 */
#include "asm/cpu.h"
#include "asm/msr.h"
#include "core/lib/string.h"
#include "svm/svm.h"

/* ------------------------------------------------------------------------
 * Guest state
 */

static struct vmcb_seg *svm_vmcb_seg(struct vmcb *vmcb, unsigned int seg)
{
	switch (seg) {
	case SEG_ES: return &vmcb->save.es;
	case SEG_CS: return &vmcb->save.cs;
	case SEG_SS: return &vmcb->save.ss;
	case SEG_DS: return &vmcb->save.ds;
	case SEG_FS: return &vmcb->save.fs;
	case SEG_GS: return &vmcb->save.gs;
	case SEG_LDTR: return &vmcb->save.ldtr;
	default: return &vmcb->save.tr;
	}
}

static void svm_seg_load(struct vmcb_seg *d, const struct guest_segment *s)
{
	d->selector = s->selector;
	d->base = s->base;
	d->limit = s->limit;
	/* Unusable: not present, but SS keeps its DPL (the CPL). */
	d->attrib = (s->attr & SEG_ATTR_UNUSABLE) ? (s->attr & SEG_ATTR_DPL_MASK) :
		    (s->attr & 0xfff);
}

static void svm_seg_store(struct guest_segment *d, const struct vmcb_seg *s)
{
	d->selector = s->selector;
	d->base = s->base;
	d->limit = s->limit;
	d->attr = s->attrib & 0xfff;
	if (!(s->attrib & SEG_ATTR_P))
		d->attr |= SEG_ATTR_UNUSABLE;
}

void svm_get_state(struct backend_vcpu *bv, struct guest_state *st)
{
	struct svm_vcpu *v = to_svm(bv);
	const struct vmcb_save *s = &v->vmcb->save;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->regs = bv->regs;
	for (i = 0; i < SEG_COUNT; i++)
		svm_seg_store(&st->seg[i], svm_vmcb_seg(v->vmcb, i));
	st->gdtr = (struct guest_dtable){ s->gdtr.base, (uint16_t)s->gdtr.limit };
	st->idtr = (struct guest_dtable){ s->idtr.base, (uint16_t)s->idtr.limit };
	st->cr0 = s->cr0;
	st->cr2 = s->cr2;
	st->cr3 = s->cr3;
	st->cr4 = s->cr4;
	st->cr8 = v->vmcb->control.int_ctl & SVM_V_TPR_MASK;
	st->efer = s->efer & ~(uint64_t)EFER_SVME;
	if (v->dr_live)
		read_dr0_3(st->dr);
	else
		memcpy(st->dr, v->dr, sizeof(st->dr));
	st->dr6 = s->dr6;
	st->dr7 = s->dr7;
	st->pat = s->g_pat;
	st->star = s->star;
	st->lstar = s->lstar;
	st->cstar = s->cstar;
	st->sfmask = s->sfmask;
	st->kernel_gs_base = s->kernel_gs_base;
	st->sysenter_cs = s->sysenter_cs;
	st->sysenter_esp = s->sysenter_esp;
	st->sysenter_eip = s->sysenter_eip;
	st->interrupt_shadow = svm_in_shadow(v);
	st->nmi_masked = v->nmi_masked;
}

static uint8_t svm_cpl_of(const struct guest_state *st)
{
	if (!(st->cr0 & X86_CR0_PE))
		return 0;
	if (st->regs.rflags & X86_RFLAGS_VM)
		return 3;
	return (st->seg[SEG_SS].attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
}

/* EFER as the VMCB must hold it: SVME set, LMA = LME && CR0.PG. */
static uint64_t svm_efer_for_vmcb(uint64_t efer, uint64_t cr0)
{
	efer &= ~(uint64_t)EFER_LMA;
	if ((efer & EFER_LME) && (cr0 & X86_CR0_PG))
		efer |= EFER_LMA;
	return efer | EFER_SVME;
}

int svm_set_state(struct backend_vcpu *bv, const struct guest_state *st)
{
	struct svm_vcpu *v = to_svm(bv);
	struct vmcb_save *s = &v->vmcb->save;
	unsigned int i;

	for (i = 0; i < SEG_COUNT; i++)
		if (st->seg[i].attr & ~(0xfffu | SEG_ATTR_UNUSABLE))
			return -EINVAL;
	if (st->cr8 > SVM_V_TPR_MASK)
		return -EINVAL;

	bv->regs = st->regs;
	for (i = 0; i < SEG_COUNT; i++)
		svm_seg_load(svm_vmcb_seg(v->vmcb, i), &st->seg[i]);
	s->gdtr = (struct vmcb_seg){ .base = st->gdtr.base, .limit = st->gdtr.limit };
	s->idtr = (struct vmcb_seg){ .base = st->idtr.base, .limit = st->idtr.limit };
	s->cpl = svm_cpl_of(st);
	s->cr0 = st->cr0;
	s->cr2 = st->cr2;
	s->cr3 = st->cr3;
	s->cr4 = st->cr4;
	s->efer = svm_efer_for_vmcb(st->efer, st->cr0);
	memcpy(v->dr, st->dr, sizeof(v->dr));
	if (v->dr_live)
		write_dr0_3(v->dr);
	s->dr6 = st->dr6;
	s->dr7 = st->dr7;
	s->g_pat = st->pat;
	s->star = st->star;
	s->lstar = st->lstar;
	s->cstar = st->cstar;
	s->sfmask = st->sfmask;
	s->kernel_gs_base = st->kernel_gs_base;
	s->sysenter_cs = st->sysenter_cs;
	s->sysenter_esp = st->sysenter_esp;
	s->sysenter_eip = st->sysenter_eip;
	v->vmcb->control.int_ctl = (v->vmcb->control.int_ctl & ~SVM_V_TPR_MASK) |
				   (uint32_t)st->cr8;
	v->vmcb->control.int_state = st->interrupt_shadow ? SVM_INT_STATE_SHADOW : 0;
	v->exit_rip = st->regs.rip;
	v->nmi_masked = st->nmi_masked;
	v->iret_pending = false;
	svm_intercept_misc1(v, SVM_INTERCEPT_IRET, st->nmi_masked);
	v->dirty = VMCB_CLEAN_ALL;
	return 0;
}

int svm_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val)
{
	const struct vmcb_save *s = &to_svm(bv)->vmcb->save;

	switch (msr) {
	case MSR_EFER: *val = s->efer & ~(uint64_t)EFER_SVME; break;
	case MSR_IA32_PAT: *val = s->g_pat; break;
	case MSR_STAR: *val = s->star; break;
	case MSR_LSTAR: *val = s->lstar; break;
	case MSR_CSTAR: *val = s->cstar; break;
	case MSR_SFMASK: *val = s->sfmask; break;
	case MSR_FS_BASE: *val = s->fs.base; break;
	case MSR_GS_BASE: *val = s->gs.base; break;
	case MSR_KERNEL_GS_BASE: *val = s->kernel_gs_base; break;
	case MSR_IA32_SYSENTER_CS: *val = s->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *val = s->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *val = s->sysenter_eip; break;
	default: return -ENOENT;
	}
	return 0;
}

/* The EFER bits a guest may set: the probe insists on NX; SVME is hidden. */
#define SVM_GUEST_EFER (EFER_BASE_BITS | EFER_NXE)

int svm_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val)
{
	struct svm_vcpu *v = to_svm(bv);
	struct vmcb_save *s = &v->vmcb->save;

	switch (msr) {
	case MSR_EFER:
		if (!efer_valid(val, s->efer, SVM_GUEST_EFER, s->cr0 & X86_CR0_PG))
			return -EINVAL;
		/* LMA is the CPU's to set; keep what paging has made it. */
		s->efer = (val & ~(uint64_t)EFER_LMA) | (s->efer & EFER_LMA) |
			  EFER_SVME;
		svm_dirty(v, VMCB_CLEAN_CRX);
		break;
	case MSR_IA32_PAT:
		if (!pat_valid(val))
			return -EINVAL;	/* VMRUN would refuse the G_PAT */
		s->g_pat = val;
		svm_dirty(v, VMCB_CLEAN_NP);
		break;
	case MSR_STAR: s->star = val; break;
	case MSR_LSTAR: s->lstar = val; break;
	case MSR_CSTAR: s->cstar = val; break;
	case MSR_SFMASK: s->sfmask = val; break;
	case MSR_FS_BASE: s->fs.base = val; break;
	case MSR_GS_BASE: s->gs.base = val; break;
	case MSR_KERNEL_GS_BASE: s->kernel_gs_base = val; break;
	case MSR_IA32_SYSENTER_CS: s->sysenter_cs = val; break;
	case MSR_IA32_SYSENTER_ESP: s->sysenter_esp = val; break;
	case MSR_IA32_SYSENTER_EIP: s->sysenter_eip = val; break;
	default: return -ENOENT;
	}
	/* The VMLOAD state has no clean bit: it is loaded on every entry. */
	return 0;
}

/* ------------------------------------------------------------------------
 * Monitor dump
 */

static void svm_dump_seg(backend_print_fn print, void *ctx, const char *name,
			 const struct vmcb_seg *s)
{
	print(ctx, "  %-4s sel %04x attr %03x limit %08x base %016llx", name,
	      s->selector, s->attrib, s->limit, (unsigned long long)s->base);
}

void svm_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	static const char *const seg_names[SEG_COUNT] = {
		"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr",
	};
	struct svm_vcpu *v = to_svm(bv);
	const struct vmcb_control *c = &v->vmcb->control;
	const struct vmcb_save *s = &v->vmcb->save;
	const struct guest_regs *r = &bv->regs;
	unsigned int i;

	print(ctx, "svm vCPU %u: CPU %d, VMCB %#llx, ASID %u (generation %llu)", bv->id,
	      bv->cpu, (unsigned long long)v->vmcb_pa, c->guest_asid,
	      (unsigned long long)v->asid_generation);
	print(ctx, "  intercepts cr %08x dr %08x exc %08x misc %08x %08x",
	      c->intercept_cr, c->intercept_dr, c->intercept_exceptions,
	      c->intercept_misc1, c->intercept_misc2);
	print(ctx, "  exit %s (%#llx) info1 %#llx info2 %#llx intinfo %#llx nrip %#llx",
	      svm_exit_code_name(svm_exit_code(v->vmcb)), (unsigned long long)c->exit_code,
	      (unsigned long long)c->exit_info1, (unsigned long long)c->exit_info2,
	      (unsigned long long)c->exit_int_info, (unsigned long long)c->next_rip);
	print(ctx, "  int_ctl %08x int_state %x event_inj %#llx tsc_offset %#llx",
	      c->int_ctl, c->int_state, (unsigned long long)c->event_inj,
	      (unsigned long long)c->tsc_offset);
	print(ctx, "  np %llu n_cr3 %#llx g_pat %#llx", (unsigned long long)c->nested_ctl,
	      (unsigned long long)c->nested_cr3, (unsigned long long)s->g_pat);
	print(ctx, "  nmi masked %d iret_pending %d window %d; intr window %d",
	      v->nmi_masked, v->iret_pending, v->nmi_window, v->intr_window);
	print(ctx, "  rip %016llx rsp %016llx rflags %08llx cpl %u mode %u",
	      (unsigned long long)r->rip, (unsigned long long)r->gpr[GPR_RSP],
	      (unsigned long long)r->rflags, s->cpl, svm_guest_mode(v->vmcb));
	print(ctx, "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx",
	      (unsigned long long)s->cr0, (unsigned long long)s->cr2,
	      (unsigned long long)s->cr3, (unsigned long long)s->cr4);
	print(ctx, "  efer %016llx dr6 %016llx dr7 %016llx",
	      (unsigned long long)s->efer, (unsigned long long)s->dr6,
	      (unsigned long long)s->dr7);
	for (i = 0; i < GPR_COUNT; i += 4)
		print(ctx, "  r%-2u %016llx %016llx %016llx %016llx", i,
		      (unsigned long long)r->gpr[i], (unsigned long long)r->gpr[i + 1],
		      (unsigned long long)r->gpr[i + 2], (unsigned long long)r->gpr[i + 3]);
	for (i = 0; i < SEG_COUNT; i++)
		svm_dump_seg(print, ctx, seg_names[i], svm_vmcb_seg(v->vmcb, i));
	print(ctx, "  gdtr base %016llx limit %04x idtr base %016llx limit %04x",
	      (unsigned long long)s->gdtr.base, s->gdtr.limit,
	      (unsigned long long)s->idtr.base, s->idtr.limit);
}
