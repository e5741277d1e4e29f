/*
 * AMD-V backend: feature probe, per-CPU enable, ASIDs, vCPUs (one VMCB,
 * one I/O and one MSR permission map each), the world switch around
 * svm_vmrun(), event injection and the interrupt/NMI windows, and the
 * operations table core/backend.h calls (AMD64 APM vol. 2, chapter 15).
 *
 * Where the code runs:
 *  - svm_probe(): boot CPU, once, before any other CPU enables SVM.
 *  - svm_cpu_enable()/svm_cpu_disable(): on the CPU concerned; they touch
 *    only that CPU's svm_cpus[] slot and MSRs.
 *  - vcpu_create/destroy: any CPU, thread context (frame allocator, heap).
 *  - every other entry: the vCPU's own thread, vCPU loaded on this CPU;
 *    svm_run() with interrupts disabled. Nothing here is shared between
 *    CPUs (a vCPU's VMCB and maps belong to its thread; a CPU's ASID state
 *    to that CPU), so there are no locks.
 *
 * State moves between core and the VMCB at these points only: regs at
 * every entry and exit (svm_run()), the rest through get/set_state and
 * get/set_msr (svm_state.c) and the setters here. Every VMCB write
 * outside svm_run() marks its clean-bit group dirty (svm_dirty()).
 */
#include "asm/cpu.h"
#include "asm/msr.h"
#include "asm/percpu.h"
#include "core/lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "svm/svm.h"

/* CPUID_LEAF_SVM EDX. */
#define   CPUID_SVM_NP           BIT(0)
#define   CPUID_SVM_LBRV         BIT(1)
#define   CPUID_SVM_SVML         BIT(2)
#define   CPUID_SVM_NRIPS        BIT(3)
#define   CPUID_SVM_TSC_RATE     BIT(4)
#define   CPUID_SVM_VMCB_CLEAN   BIT(5)
#define   CPUID_SVM_FLUSH_ASID   BIT(6)
#define   CPUID_SVM_DECODE       BIT(7)
#define   CPUID_SVM_PAUSE_FILTER BIT(10)
#define   CPUID_SVM_PAUSE_THRESH BIT(12)
#define   CPUID_SVM_VGIF         BIT(16)

/* Host-safety and run-loop intercepts every vCPU starts with (docs/svm.md). */
#define SVM_MISC1_DEFAULT (SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI | \
			   SVM_INTERCEPT_INIT | SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVD | \
			   SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA | \
			   SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT | \
			   SVM_INTERCEPT_SHUTDOWN)
#define SVM_MISC2_DEFAULT (SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | \
			   SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE | \
			   SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT | \
			   SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT | \
			   SVM_INTERCEPT_MWAIT_ARMED | SVM_INTERCEPT_XSETBV | \
			   SVM_INTERCEPT_WBINVD)

/* Groups whose host-side changes svm_run() checks before VMRUN. */
#define SVM_DIRTY_CHECKED (VMCB_CLEAN_INTERCEPTS | VMCB_CLEAN_IOPM | VMCB_CLEAN_ASID | \
			   VMCB_CLEAN_NP | VMCB_CLEAN_CRX | VMCB_CLEAN_DRX | VMCB_CLEAN_SEG)

struct svm_features svm_features;
static int svm_probe_result = 1;	/* 1: not probed yet */
static const char *svm_probe_why;

/*
 * Per physical CPU; each slot is touched only by its own CPU (enable,
 * disable, load, put, run all run there).
 */
struct svm_cpu {
	bool enabled;
	unsigned int loaded;		/* vCPUs loaded here */
	paddr_t hsave_pa;		/* VM_HSAVE_PA: VMRUN's host state */
	paddr_t host_save_pa;		/* VMSAVE/VMLOAD of the host's FS/GS/TR/... */
	uint64_t asid_generation;	/* bumped when the ASIDs run out */
	uint32_t next_asid;		/* next free ASID of this generation */
	struct svm_vcpu *dr_owner;	/* vCPU whose DR0-DR3 are in the CPU */
};

static struct svm_cpu svm_cpus[MAX_CPUS];

/* ------------------------------------------------------------------------
 * Probe and per-CPU enable
 */

static int svm_probe_features(struct svm_features *f, const char **why)
{
	struct cpuid_regs r;

	cpuid(CPUID_EXT_MAX, &r);
	if (r.eax < CPUID_LEAF_SVM) {
		*why = "no AMD-V (CPUID leaf 0x8000000a absent)";
		return -ENODEV;
	}
	cpuid(CPUID_EXT_FEATURES, &r);
	if (!(r.ecx & CPUID_80000001_ECX_SVM)) {
		*why = "no AMD-V (CPUID 0x80000001 ECX.SVM clear)";
		return -ENODEV;
	}
	f->gbpages = r.edx & CPUID_80000001_EDX_GBPAGES;
	if (!(r.edx & CPUID_80000001_EDX_NX)) {
		*why = "no NX: nested page tables could not forbid execution";
		return -ENODEV;
	}

	cpuid(CPUID_LEAF_SVM, &r);
	f->revision = r.eax & 0xff;
	f->nasid = r.ebx;
	f->np = r.edx & CPUID_SVM_NP;
	f->lbrv = r.edx & CPUID_SVM_LBRV;
	f->svml = r.edx & CPUID_SVM_SVML;
	f->nrips = r.edx & CPUID_SVM_NRIPS;
	f->tsc_rate = r.edx & CPUID_SVM_TSC_RATE;
	f->vmcb_clean = r.edx & CPUID_SVM_VMCB_CLEAN;
	f->flush_by_asid = r.edx & CPUID_SVM_FLUSH_ASID;
	f->decode_assists = r.edx & CPUID_SVM_DECODE;
	f->pause_filter = r.edx & CPUID_SVM_PAUSE_FILTER;
	f->pause_threshold = r.edx & CPUID_SVM_PAUSE_THRESH;
	f->vgif = r.edx & CPUID_SVM_VGIF;

	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		*why = (rdmsr(MSR_VM_CR) & VM_CR_LOCK) ?
		       "AMD-V disabled by the firmware (VM_CR.SVMDIS, locked): enable SVM in its setup" :
		       "AMD-V disabled (VM_CR.SVMDIS set)";
		return -ENODEV;
	}
	if (!f->np) {
		*why = "no nested paging (CPUID 0x8000000a EDX.NP clear)";
		return -ENODEV;
	}
	if (f->nasid < 2) {
		*why = "no ASID for guests (CPUID 0x8000000a EBX < 2)";
		return -ENODEV;
	}
	f->max_asid = f->nasid - 1;

	f->phys_bits = cpuid_phys_bits();
	/* Nested paging walks with the host's paging mode. */
	f->npt_levels = (read_cr4() & X86_CR4_LA57) ? 5 : 4;
	return 0;
}

/* What is missing, said once. */
static void svm_report_features(const struct svm_features *f)
{
	pr_info("svm: AMD-V revision %u, %u ASIDs, nested paging with %u levels, "
		"%u-bit physical addresses", f->revision, f->nasid, f->npt_levels,
		f->phys_bits);
	if (!f->nrips)
		pr_info("svm: no NRIP save: instruction lengths decoded in software");
	if (!f->decode_assists)
		pr_info("svm: no decode assists: MOV CR/DR and INVLPG operands decoded in software");
	if (!f->flush_by_asid)
		pr_info("svm: no flush-by-ASID: a vCPU's TLB flush takes a fresh ASID, "
			"all ASIDs flushed (TLB_CONTROL=1) when a CPU runs out");
	if (!f->vmcb_clean)
		pr_info("svm: no VMCB clean bits: VMRUN reloads the whole VMCB");
	if (!f->gbpages)
		pr_info("svm: no 1 GiB pages: nested mappings up to 2 MiB");
}

/*
 * Can this machine run AMD-V guests with nested paging? Boot CPU; the
 * first call probes and logs, later calls return the same answer.
 * Returns 0, or -ENODEV with *why saying what is missing.
 */
int svm_probe(const char **why)
{
	if (svm_probe_result > 0) {
		svm_probe_result = svm_probe_features(&svm_features, &svm_probe_why);
		if (svm_probe_result == 0)
			svm_report_features(&svm_features);
	}
	if (svm_probe_result)
		*why = svm_probe_why;
	return svm_probe_result;
}

static int svm_backend_probe(struct backend_caps *caps, const char **why)
{
	int err = svm_probe(why);

	if (err)
		return err;
	*caps = (struct backend_caps){
		.tdp_format = BACKEND_TDP_NPT,
		.tdp_levels = svm_features.npt_levels,
		.tdp_large = BACKEND_TDP_2M | (svm_features.gbpages ? BACKEND_TDP_1G : 0),
		.phys_bits = svm_features.phys_bits,
		.insn_len_on_exit = svm_features.nrips,
		.decode_assists = svm_features.decode_assists,
		.tagged_tlb = true,
		.real_mode = true,
		.tsc_aux = true,
		.pause_filtered = svm_features.pause_filter,
	};
	if (!svm_features.pause_filter)
		pr_info("svm: no PAUSE filter: PAUSE exits only while a vCPU shares its CPU");
	return 0;
}

/*
 * Makes the running CPU ready for VMRUN: EFER.SVME, a host save area in
 * VM_HSAVE_PA, a page for the host's VMSAVE state, a fresh ASID space,
 * and EFER.NXE: nested page walks use the host's EFER.NXE, without which
 * the NX bit of a nested entry is reserved (every access through it
 * would fault as a reserved-bit NPF). Call on every CPU that will run
 * vCPUs, after svm_probe() succeeded on the boot CPU. Returns 0 (also if
 * already enabled), -ENODEV without a successful probe, -EPERM if this
 * CPU has SVM disabled, -ENOMEM; on error the CPU is unchanged.
 */
int svm_cpu_enable(void)
{
	unsigned int cpu = smp_processor_id();
	struct svm_cpu *c = &svm_cpus[cpu];
	unsigned long flags;
	int err;

	if (svm_probe_result != 0)
		return -ENODEV;
	if (c->enabled)
		return 0;
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		pr_err("svm: CPU %u: AMD-V disabled (VM_CR.SVMDIS)", cpu);
		return -EPERM;
	}
	err = frame_alloc_zeroed(&c->hsave_pa);
	if (err)
		goto fail;
	err = frame_alloc_zeroed(&c->host_save_pa);
	if (err)
		goto free_hsave;

	flags = irq_save();
	wrmsr(MSR_VM_HSAVE_PA, c->hsave_pa);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	irq_restore(flags);
	/* The first ASID taken starts a generation, which flushes the TLB. */
	c->asid_generation = 1;
	c->next_asid = svm_features.max_asid + 1;
	c->loaded = 0;
	c->enabled = true;
	return 0;

free_hsave:
	frame_free(c->hsave_pa);
fail:
	pr_err("svm: CPU %u: no memory for the host save areas", cpu);
	return err;
}

/*
 * Undoes svm_cpu_enable() on the running CPU (EFER.NXE stays: the host
 * may have come to rely on it); no vCPU may be loaded here.
 */
void svm_cpu_disable(void)
{
	struct svm_cpu *c = &svm_cpus[smp_processor_id()];
	unsigned long flags;

	if (!c->enabled)
		return;
	ASSERT(c->loaded == 0);
	flags = irq_save();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, 0);
	irq_restore(flags);
	frame_free(c->host_save_pa);
	frame_free(c->hsave_pa);
	c->enabled = false;
}

/* ------------------------------------------------------------------------
 * ASIDs and TLB (docs/svm.md, "ASIDs")
 */

/* A fresh ASID of this CPU's generation; no stale entry can carry it. */
static void svm_asid_new(struct svm_vcpu *v, struct svm_cpu *c)
{
	if (c->next_asid > svm_features.max_asid) {
		c->asid_generation++;
		c->next_asid = 1;
		v->vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	v->vmcb->control.guest_asid = c->next_asid++;
	v->asid_generation = c->asid_generation;
	svm_dirty(v, VMCB_CLEAN_ASID);
}

/* ASID, TLB control and clean bits for the entry about to happen on cpu. */
static void svm_entry_tlb(struct svm_vcpu *v, struct svm_cpu *c, int cpu)
{
	struct vmcb_control *ctl = &v->vmcb->control;
	bool new_asid = v->asid_generation != c->asid_generation;

	if (v->last_cpu != cpu) {
		/* Its old ASID here may hold translations from before it left. */
		new_asid = true;
		v->dirty = VMCB_CLEAN_ALL;
		v->last_cpu = cpu;
	}
	if (v->tlb_flush == SVM_FLUSH_ALL) {
		ctl->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	} else if (v->tlb_flush == SVM_FLUSH_OWN) {
		if (svm_features.flush_by_asid)
			ctl->tlb_control = SVM_TLB_CONTROL_FLUSH_ASID;
		else
			new_asid = true;
	}
	if (new_asid)
		svm_asid_new(v, c);
	v->tlb_flush = SVM_FLUSH_NONE;
	ctl->clean = svm_features.vmcb_clean ? VMCB_CLEAN_ALL & ~v->dirty : 0;
}

static void svm_tlb_flush(struct backend_vcpu *bv, enum backend_tlb_scope scope)
{
	struct svm_vcpu *v = to_svm(bv);
	uint8_t want = scope == BACKEND_TLB_ALL ? SVM_FLUSH_ALL : SVM_FLUSH_OWN;

	/* NPT translations are tagged with the guest's ASID like the rest. */
	if (want > v->tlb_flush)
		v->tlb_flush = want;
}

/* ------------------------------------------------------------------------
 * Permission maps
 */

/* Bit of the read intercept of msr in the MSRPM, or -ERANGE. */
static int svm_msrpm_bit(uint32_t msr, size_t *bit)
{
	static const uint32_t bases[] = { 0x00000000, 0xc0000000, 0xc0010000 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		if (msr - bases[i] < SVM_MSRPM_RANGE_MSRS) {
			*bit = i * SVM_MSRPM_RANGE_BYTES * 8 + (msr - bases[i]) * 2;
			return 0;
		}
	}
	return -ERANGE;
}

static int __svm_set_msr_intercept(struct svm_vcpu *v, uint32_t msr, bool read, bool write)
{
	size_t bit;

	if (svm_msrpm_bit(msr, &bit))
		return -ERANGE;
	bitmap_assign_bit(v->msrpm, bit, read);
	bitmap_assign_bit(v->msrpm, bit + 1, write);
	svm_dirty(v, VMCB_CLEAN_IOPM);
	return 0;
}

static int svm_set_msr_intercept(struct backend_vcpu *bv, uint32_t msr, bool read, bool write)
{
	/* The VMCB's EFER has SVME set, which the guest must not see or clear. */
	if (msr == MSR_EFER && !(read && write))
		return -EPERM;
	return __svm_set_msr_intercept(to_svm(bv), msr, read, write);
}

static int svm_set_io_intercept(struct backend_vcpu *bv, uint32_t port, uint32_t count, bool on)
{
	struct svm_vcpu *v = to_svm(bv);
	int err = backend_io_bitmap_assign(v->iopm, port, count, on);

	if (!err)
		svm_dirty(v, VMCB_CLEAN_IOPM);
	return err;
}

static int svm_set_exception_intercept(struct backend_vcpu *bv, unsigned int vector, bool on)
{
	struct svm_vcpu *v = to_svm(bv);

	if (vector >= VEC_EXCEPTIONS)
		return -EINVAL;
	if (on)
		v->exc_core |= BIT(vector);
	else
		v->exc_core &= ~BIT(vector);
	svm_intercept_exceptions_update(v);
	/* QEMU checks INT3 against the INT n intercept (docs/debugging.md). */
	if (vector == VEC_BP)
		svm_intercept_misc1(v, SVM_INTERCEPT_INTN, on);
	return 0;
}

static int svm_set_cr_intercept(struct backend_vcpu *bv, unsigned int cr, bool read, bool write)
{
	struct svm_vcpu *v = to_svm(bv);
	uint32_t bits, want;

	if (cr > 15)
		return -EINVAL;
	bits = BIT(cr) | BIT(cr + 16);
	want = (read ? BIT(cr) : 0) | (write ? BIT(cr + 16) : 0);
	v->vmcb->control.intercept_cr = (v->vmcb->control.intercept_cr & ~bits) | want;
	svm_dirty(v, VMCB_CLEAN_INTERCEPTS);
	return 0;
}

/* ------------------------------------------------------------------------
 * vCPUs
 */

static void svm_vmcb_init(struct svm_vcpu *v)
{
	struct vmcb_control *c = &v->vmcb->control;
	size_t i;

	c->intercept_exceptions = SVM_EXC_ALWAYS;
	c->intercept_misc1 = SVM_MISC1_DEFAULT;
	c->intercept_misc2 = SVM_MISC2_DEFAULT;
	/*
	 * With the filter, PAUSE exits after SVM_PAUSE_FILTER_COUNT of them
	 * (those SVM_PAUSE_FILTER_THRESH cycles apart or closer, where the
	 * threshold exists): a spin on a lock, not a guest's occasional
	 * cpu_relax(). Without it core sets the intercept while needed.
	 */
	if (svm_features.pause_filter) {
		c->intercept_misc1 |= SVM_INTERCEPT_PAUSE;
		c->pause_filter_count = SVM_PAUSE_FILTER_COUNT;
		if (svm_features.pause_threshold)
			c->pause_filter_threshold = SVM_PAUSE_FILTER_THRESH;
	}
	c->iopm_base_pa = v->iopm_pa;
	c->msrpm_base_pa = v->msrpm_pa;
	/* Guest IF masks virtual interrupts only; physical ones always exit. */
	c->int_ctl = SVM_V_INTR_MASKING;
	memset(v->iopm, 0xff, SVM_IOPM_SIZE);
	memset(v->msrpm, 0xff, SVM_MSRPM_SIZE);
	/* The VMCB switches them exactly (VMLOAD/VMSAVE). */
	for (i = 0; i < BACKEND_PASSTHROUGH_MSRS; i++)
		__svm_set_msr_intercept(v, backend_passthrough_msrs[i], false, false);
}

static int svm_vcpu_create(unsigned int id, struct backend_vcpu **out)
{
	struct guest_state st;
	struct svm_vcpu *v;
	int err;

	v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = frame_alloc_zeroed(&v->vmcb_pa);
	if (err)
		goto free_vcpu;
	err = frame_alloc_contig(SVM_IOPM_SIZE / PAGE_SIZE, 1, &v->iopm_pa);
	if (err)
		goto free_vmcb;
	err = frame_alloc_contig(SVM_MSRPM_SIZE / PAGE_SIZE, 1, &v->msrpm_pa);
	if (err)
		goto free_iopm;
	err = guest_xstate_init(&v->common.xs);
	if (err)
		goto free_msrpm;
	v->vmcb = phys_to_virt(v->vmcb_pa);
	v->iopm = phys_to_virt(v->iopm_pa);
	v->msrpm = phys_to_virt(v->msrpm_pa);
	v->common.id = id;
	v->common.cpu = -1;
	v->last_cpu = -1;
	svm_vmcb_init(v);
	guest_state_init_reset(&st);
	err = svm_set_state(&v->common, &st);
	ASSERT(err == 0);
	*out = &v->common;
	return 0;

free_msrpm:
	frame_free_contig(v->msrpm_pa, SVM_MSRPM_SIZE / PAGE_SIZE);
free_iopm:
	frame_free_contig(v->iopm_pa, SVM_IOPM_SIZE / PAGE_SIZE);
free_vmcb:
	frame_free(v->vmcb_pa);
free_vcpu:
	kfree(v);
	return err;
}

static void svm_vcpu_destroy(struct backend_vcpu *bv)
{
	struct svm_vcpu *v = to_svm(bv);

	ASSERT(bv->cpu < 0);
	guest_xstate_destroy(&bv->xs);
	frame_free_contig(v->msrpm_pa, SVM_MSRPM_SIZE / PAGE_SIZE);
	frame_free_contig(v->iopm_pa, SVM_IOPM_SIZE / PAGE_SIZE);
	frame_free(v->vmcb_pa);
	kfree(v);
}

static void svm_vcpu_load(struct backend_vcpu *bv)
{
	unsigned int cpu = smp_processor_id();

	ASSERT(bv->cpu < 0 && svm_cpus[cpu].enabled);
	bv->cpu = (int)cpu;
	svm_cpus[cpu].loaded++;
	guest_xstate_load(&bv->xs);
}

static void svm_vcpu_put(struct backend_vcpu *bv)
{
	struct svm_vcpu *v = to_svm(bv);
	struct svm_cpu *c = &svm_cpus[smp_processor_id()];

	ASSERT(bv->cpu == (int)smp_processor_id());
	guest_xstate_put(&bv->xs);
	if (c->dr_owner == v) {
		read_dr0_3(v->dr);
		v->dr_live = false;
		c->dr_owner = NULL;
	}
	c->loaded--;
	bv->cpu = -1;
}

static int svm_set_tdp_root(struct backend_vcpu *bv, paddr_t root, unsigned int levels)
{
	struct svm_vcpu *v = to_svm(bv);

	if (levels != svm_features.npt_levels || !IS_ALIGNED(root, PAGE_SIZE) ||
	    root >> svm_features.phys_bits)
		return -EINVAL;
	v->vmcb->control.nested_cr3 = root;
	v->vmcb->control.nested_ctl |= SVM_NESTED_CTL_NP_ENABLE;
	svm_dirty(v, VMCB_CLEAN_NP);
	v->tdp_root_set = true;
	svm_tlb_flush(bv, BACKEND_TLB_TDP);
	return 0;
}

static uint64_t svm_get_tsc_offset(struct backend_vcpu *bv)
{
	return to_svm(bv)->vmcb->control.tsc_offset;
}

static void svm_set_tsc_offset(struct backend_vcpu *bv, uint64_t offset)
{
	struct svm_vcpu *v = to_svm(bv);

	v->vmcb->control.tsc_offset = offset;
	svm_dirty(v, VMCB_CLEAN_INTERCEPTS);
}

/* ------------------------------------------------------------------------
 * Events and windows
 */

static int svm_inject_event(struct backend_vcpu *bv, const struct vm_event *ev)
{
	return svm_queue_event(to_svm(bv), ev);
}

static bool svm_interrupt_allowed(struct backend_vcpu *bv)
{
	struct svm_vcpu *v = to_svm(bv);

	return (bv->regs.rflags & X86_RFLAGS_IF) && !svm_in_shadow(v) &&
	       !svm_event_queued(v);
}

static bool svm_nmi_allowed(struct backend_vcpu *bv)
{
	struct svm_vcpu *v = to_svm(bv);

	return !v->nmi_masked && !svm_in_shadow(v) && !svm_event_queued(v);
}

/* A virtual interrupt at top priority whose delivery is intercepted. */
static void svm_set_intr_window(struct backend_vcpu *bv, bool on)
{
	struct svm_vcpu *v = to_svm(bv);
	struct vmcb_control *c = &v->vmcb->control;
	const uint32_t virq = SVM_V_IRQ | SVM_V_INTR_PRIO_MASK | SVM_V_IGN_TPR;

	if (on == v->intr_window)
		return;
	v->intr_window = on;
	c->int_ctl = on ? c->int_ctl | virq : c->int_ctl & ~virq;
	c->int_vector = 0;
	svm_dirty(v, VMCB_CLEAN_TPR);
	svm_intercept_misc1(v, SVM_INTERCEPT_VINTR, on);
}

/* Where PAUSE is not filtered: its intercept, set only when it changes. */
static void svm_set_pause_exit(struct backend_vcpu *bv, bool on)
{
	struct svm_vcpu *v = to_svm(bv);

	if (svm_features.pause_filter ||
	    !!(v->vmcb->control.intercept_misc1 & SVM_INTERCEPT_PAUSE) == on)
		return;
	svm_intercept_misc1(v, SVM_INTERCEPT_PAUSE, on);
}

/* Works with the IRET intercept and svm_entry_nmi_step() (docs/svm.md). */
static void svm_set_nmi_window(struct backend_vcpu *bv, bool on)
{
	to_svm(bv)->nmi_window = on;
}

/*
 * Single-steps the next guest instruction when an NMI waits for a window
 * that one instruction opens: the pending IRET, or an interrupt shadow.
 * Not with an event queued: its delivery would push our TF into the
 * guest's frame; the next exit gives core its chance instead.
 */
static void svm_entry_nmi_step(struct svm_vcpu *v)
{
	struct vmcb_save *s = &v->vmcb->save;

	v->step_active = v->nmi_window && !svm_event_queued(v) &&
			 (v->iret_pending || !v->nmi_masked);
	if (!v->step_active)
		return;
	v->step_was_iret = v->iret_pending;
	v->step_rip = s->rip;
	v->step_guest_flags = s->rflags & (X86_RFLAGS_TF | X86_RFLAGS_RF);
	v->step_saved_dr6 = s->dr6;
	s->rflags |= X86_RFLAGS_TF | X86_RFLAGS_RF;
}

/* ------------------------------------------------------------------------
 * The world switch
 */

static void svm_entry_regs(struct svm_vcpu *v)
{
	const struct guest_regs *r = &v->common.regs;
	struct vmcb *vmcb = v->vmcb;

	/* Moving RIP completed the instruction: its shadow is over. */
	if (r->rip != v->exit_rip)
		vmcb->control.int_state &= ~SVM_INT_STATE_SHADOW;
	vmcb->save.rax = r->gpr[GPR_RAX];
	vmcb->save.rsp = r->gpr[GPR_RSP];
	vmcb->save.rip = r->rip;
	vmcb->save.rflags = r->rflags;
	/*
	 * A soft event returns past its instruction: with NRIP save the CPU
	 * takes that address from nRIP, without it from RIP.
	 */
	if (v->inj.valid && vm_event_is_soft(&v->inj)) {
		if (svm_features.nrips)
			vmcb->control.next_rip = r->rip + v->inj.insn_len;
		else
			vmcb->save.rip = r->rip + v->inj.insn_len;
	}
}

static void svm_exit_regs(struct svm_vcpu *v)
{
	struct guest_regs *r = &v->common.regs;
	const struct vmcb *vmcb = v->vmcb;

	r->gpr[GPR_RAX] = vmcb->save.rax;
	r->gpr[GPR_RSP] = vmcb->save.rsp;
	r->rip = vmcb->save.rip;
	r->rflags = vmcb->save.rflags;
}

/* v's DR0-DR3 into this CPU, saving another vCPU's first. */
static void svm_entry_dr(struct svm_vcpu *v, struct svm_cpu *c)
{
	if (c->dr_owner == v)
		return;
	if (c->dr_owner) {
		read_dr0_3(c->dr_owner->dr);
		c->dr_owner->dr_live = false;
	}
	write_dr0_3(v->dr);
	v->dr_live = true;
	c->dr_owner = v;
}

static int svm_run(struct backend_vcpu *bv, struct vm_exit *exit)
{
	struct svm_vcpu *v = to_svm(bv);
	int cpu = (int)smp_processor_id();
	struct svm_cpu *c = &svm_cpus[cpu];

	ASSERT(!(read_rflags() & X86_RFLAGS_IF));
	ASSERT(bv->cpu == cpu && c->enabled);
	if (!v->tdp_root_set)
		return -EINVAL;

	svm_entry_tlb(v, c, cpu);
	svm_entry_dr(v, c);
	svm_entry_regs(v);
	svm_entry_nmi_step(v);
	/* State the guest did not produce itself: say what VMRUN would refuse. */
	v->entry_check = (v->dirty & SVM_DIRTY_CHECKED) || svm_event_queued(v) ?
			 svm_vmcb_check(v->vmcb, &svm_features) : NULL;
	svm_debug_entry(v);
	guest_xstate_enter(&bv->xs);
	svm_vmrun(&bv->regs, v->vmcb_pa, c->host_save_pa);
	guest_xstate_exit(&bv->xs);
	svm_debug_exit(v);

	v->vmcb->control.tlb_control = SVM_TLB_CONTROL_NONE;
	v->dirty = 0;
	/* Refused: the guest never ran; QEMU has even put host state there. */
	if (svm_exit_code(v->vmcb) != SVM_EXIT_INVALID)
		svm_exit_regs(v);
	svm_exit_event_done(v);
	v->exit_rip = bv->regs.rip;
	svm_exit_decode(v, exit);
	return 0;
}

/* ------------------------------------------------------------------------
 * The operations table
 */

const struct backend_ops svm_backend_ops = {
	.name = "svm",
	.probe = svm_backend_probe,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.vcpu_create = svm_vcpu_create,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_load = svm_vcpu_load,
	.vcpu_put = svm_vcpu_put,
	.get_state = svm_get_state,
	.set_state = svm_set_state,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.run = svm_run,
	.inject_event = svm_inject_event,
	.interrupt_allowed = svm_interrupt_allowed,
	.nmi_allowed = svm_nmi_allowed,
	.set_intr_window = svm_set_intr_window,
	.set_nmi_window = svm_set_nmi_window,
	.tlb_flush = svm_tlb_flush,
	.set_tdp_root = svm_set_tdp_root,
	.set_msr_intercept = svm_set_msr_intercept,
	.set_io_intercept = svm_set_io_intercept,
	.get_tsc_offset = svm_get_tsc_offset,
	.set_tsc_offset = svm_set_tsc_offset,
	.dump = svm_dump,
	.set_exception_intercept = svm_set_exception_intercept,
	.set_cr_intercept = svm_set_cr_intercept,
	.exit_raw_name = svm_exit_code_name,
	.get_dregs = svm_get_dregs,
	.set_dregs = svm_set_dregs,
	.set_debug_ctl = svm_set_debug_ctl,
	.dump_control = svm_dump_control,
	.queued_event = svm_queued_event,
	.set_pause_exit = svm_set_pause_exit,
};
