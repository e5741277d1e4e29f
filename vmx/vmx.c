/*
 * Intel VT-x backend: the current VMCS, VPIDs and the TLB, vCPUs (one
 * VMCS, one MSR bitmap, I/O bitmaps A and B each), the world switch around
 * vmx_vmenter(), windows, and the operations table core/backend.h calls
 * (Intel SDM vol. 3C, chapters 24-28). The probe and per-CPU VMX
 * operation are in vmx_probe.c; docs/vmx.md says which controls are used
 * and why.
 *
 * Where the code runs:
 *  - vcpu_create/destroy: any CPU, thread context. create borrows the
 *    running CPU for a moment to write the new VMCS (vmx_vmcs_enter()).
 *  - every other entry: the vCPU's own thread, vCPU loaded on this CPU
 *    (or, before its first load, loaded nowhere); vmx_run() with
 *    interrupts disabled.
 * Locks: vmx_vpid_lock guards the VPID bitmap (taken in create/destroy
 * only, interrupts saved); nothing else is shared between CPUs.
 */
#include "asm/cpu.h"
#include "asm/msr.h"
#include "asm/tsc.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/spte.h"
#include "vmx/vmx.h"

#define VMX_VPID_MAX         0xffffu
#define VMX_MSR_BITMAP_SIZE  4096
#define VMX_IO_BITMAP_SIZE   8192	/* A (0-0x7fff) then B */

struct vmx_cpu vmx_cpus[MAX_CPUS];

static spinlock_t vmx_vpid_lock = SPINLOCK_INIT;
static uint64_t vmx_vpid_used[(VMX_VPID_MAX + 1) / 64];	/* guarded by vmx_vpid_lock */

/* ------------------------------------------------------------------------
 * The current VMCS
 */

unsigned long vmx_vmcs_enter(struct vmx_vcpu *v)
{
	unsigned long flags = irq_save();
	unsigned int cpu = smp_processor_id();
	struct vmx_cpu *c = &vmx_cpus[cpu];

	ASSERT(c->enabled && !v->borrowed);
	if (v->common.cpu == (int)cpu) {
		if (c->current != v) {
			ASSERT(vmx_vmptrld(v->vmcs_pa));
			c->current = v;
		}
		return flags;
	}
	/* Loaded nowhere (set up before the first load): borrow this CPU. */
	ASSERT(v->common.cpu < 0);
	v->borrowed = true;
	v->borrow_prev = c->current;
	ASSERT(vmx_vmptrld(v->vmcs_pa));
	return flags;
}

void vmx_vmcs_exit(struct vmx_vcpu *v, unsigned long flags)
{
	if (v->borrowed) {
		vmx_vmclear(v->vmcs_pa);
		if (v->borrow_prev)
			ASSERT(vmx_vmptrld(v->borrow_prev->vmcs_pa));
		v->borrowed = false;
		v->borrow_prev = NULL;
	}
	irq_restore(flags);
}

/* ------------------------------------------------------------------------
 * VPIDs and the TLB
 */

static uint16_t vmx_vpid_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&vmx_vpid_lock);
	uint16_t vpid = 0;
	unsigned int i;

	for (i = 1; i <= VMX_VPID_MAX; i++) {
		if (!(vmx_vpid_used[i / 64] & BIT_ULL(i % 64))) {
			vmx_vpid_used[i / 64] |= BIT_ULL(i % 64);
			vpid = (uint16_t)i;
			break;
		}
	}
	spin_unlock_irqrestore(&vmx_vpid_lock, flags);
	return vpid;
}

static void vmx_vpid_free(uint16_t vpid)
{
	unsigned long flags;

	if (!vpid)
		return;
	flags = spin_lock_irqsave(&vmx_vpid_lock);
	vmx_vpid_used[vpid / 64] &= ~BIT_ULL(vpid % 64);
	spin_unlock_irqrestore(&vmx_vpid_lock, flags);
}

/* The flushes asked for, on this CPU, right before the entry. */
static void vmx_entry_tlb(struct vmx_vcpu *v)
{
	const struct vmx_features *f = &vmx_features;
	uint8_t want = v->tlb_flush;

	v->tlb_flush = 0;
	if (want & VMX_FLUSH_ALL) {
		vmx_invept(INVEPT_ALL, 0);
		if (f->vpid)
			vmx_invvpid(INVVPID_ALL, 0);
		return;
	}
	if (want & VMX_FLUSH_TDP) {
		/* Combined mappings of this EPTP: every VPID's, so the guest's too. */
		if (!f->invept_single || !vmx_invept(INVEPT_SINGLE, v->eptp))
			vmx_invept(INVEPT_ALL, 0);
	} else if ((want & VMX_FLUSH_GUEST) && v->vpid) {
		if (!f->invvpid_single || !vmx_invvpid(INVVPID_SINGLE, v->vpid))
			vmx_invvpid(INVVPID_ALL, 0);
	}
	/* Without VPID every entry and exit flushes the linear mappings anyway. */
}

static void vmx_tlb_flush(struct backend_vcpu *bv, enum backend_tlb_scope scope)
{
	struct vmx_vcpu *v = to_vmx(bv);

	v->tlb_flush |= scope == BACKEND_TLB_ALL ? VMX_FLUSH_ALL :
			scope == BACKEND_TLB_TDP ? VMX_FLUSH_TDP : VMX_FLUSH_GUEST;
}

/* ------------------------------------------------------------------------
 * Bitmaps and intercepts
 */

/*
 * MSR bitmap (SDM 24.6.9): read-low at 0, read-high (0xc0000000-) at
 * 1024, write-low at 2048, write-high at 3072; 0x2000 MSRs each.
 */
static int __vmx_set_msr_intercept(struct vmx_vcpu *v, uint32_t msr, bool read, bool write)
{
	size_t base;

	if (msr <= 0x1fff)
		base = 0;
	else if (msr - 0xc0000000u <= 0x1fff)
		base = 1024 * 8;
	else
		return -ERANGE;
	bitmap_assign_bit(v->msr_bitmap, base + (msr & 0x1fff), read);
	bitmap_assign_bit(v->msr_bitmap, base + 2048 * 8 + (msr & 0x1fff), write);
	return 0;
}

static int vmx_set_msr_intercept(struct backend_vcpu *bv, uint32_t msr, bool read, bool write)
{
	/* EFER.LMA and the IA-32e entry control must stay in step: keep it. */
	if (msr == MSR_EFER && !(read && write))
		return -EPERM;
	if (msr == MSR_IA32_PAT && !vmx_features.pat && !(read && write))
		return -EPERM;
	return __vmx_set_msr_intercept(to_vmx(bv), msr, read, write);
}

static int vmx_set_io_intercept(struct backend_vcpu *bv, uint32_t port, uint32_t count, bool on)
{
	return backend_io_bitmap_assign(to_vmx(bv)->io_bitmap, port, count, on);
}

static int vmx_set_exception_intercept(struct backend_vcpu *bv, unsigned int vector, bool on)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags;

	if (vector >= VEC_EXCEPTIONS)
		return -EINVAL;
	if (on)
		v->exc_core |= BIT(vector);
	else
		v->exc_core &= ~BIT(vector);
	flags = vmx_vmcs_enter(v);
	vmcs_write(VMCS_EXCEPTION_BITMAP, v->exc_core | VMX_EXC_ALWAYS);
	vmx_vmcs_exit(v, flags);
	return 0;
}

/* Current VMCS: sets or clears primary processor-based controls. */
void vmx_write_proc(struct vmx_vcpu *v, uint32_t bits, bool on)
{
	uint32_t proc = on ? v->proc | bits : v->proc & ~bits;

	if (proc == v->proc)
		return;
	v->proc = proc;
	vmcs_write(VMCS_PROC_CTLS, proc);
}

/* ------------------------------------------------------------------------
 * vCPUs
 */

/* Host fields that depend on the CPU: written at every load. */
static void vmx_host_cpu_fields(void)
{
	struct percpu *pc = this_cpu();
	struct desc_ptr idt;

	__asm__ __volatile__("sidt %0" : "=m"(idt));
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)pc);
	vmcs_write(VMCS_HOST_TR_BASE, (uint64_t)&pc->tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (uint64_t)pc->gdt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idt.base);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	if (vmx_features.pat)
		vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
}

/* Everything but the guest state, into the current (fresh) VMCS. */
static void vmx_vmcs_init(struct vmx_vcpu *v)
{
	const struct vmx_features *f = &vmx_features;

	vmcs_write(VMCS_PIN_CTLS, f->pin);
	v->proc = f->proc;
	vmcs_write(VMCS_PROC_CTLS, v->proc);
	vmcs_write(VMCS_PROC_CTLS2, f->proc2);
	if (f->ple) {
		vmcs_write(VMCS_PLE_GAP, VMX_PLE_GAP);
		vmcs_write(VMCS_PLE_WINDOW, VMX_PLE_WINDOW);
	}
	vmcs_write(VMCS_EXIT_CTLS, f->exit);
	v->entry = f->entry;
	vmcs_write(VMCS_ENTRY_CTLS, v->entry);
	vmcs_write(VMCS_EXCEPTION_BITMAP, VMX_EXC_ALWAYS);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_IO_BITMAP_A, v->io_bitmap_pa);
	vmcs_write(VMCS_IO_BITMAP_B, v->io_bitmap_pa + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, v->msr_bitmap_pa);
	v->tsc_offset = 0;
	vmcs_write(VMCS_TSC_OFFSET, v->tsc_offset);
	vmcs_write(VMCS_LINK_POINTER, ~0ull);
	if (v->vpid)
		vmcs_write(VMCS_VPID, v->vpid);
	/*
	 * CR0: the bits VMX fixes (NE; PE and PG without unrestricted
	 * guest) belong to the host, the guest sees its own values through
	 * the shadow. CR4: VMXE and the fixed bits likewise.
	 */
	v->cr0_mask = (f->cr0_fixed0 | ~f->cr0_fixed1) & 0xffffffffull;
	if (f->unrestricted)
		v->cr0_mask &= ~(uint64_t)(X86_CR0_PE | X86_CR0_PG);
	v->cr4_mask = (f->cr4_fixed0 | ~f->cr4_fixed1 | X86_CR4_VMXE) & 0xffffffffull;
	vmcs_write(VMCS_CR0_MASK, v->cr0_mask);
	vmcs_write(VMCS_CR4_MASK, v->cr4_mask);

	vmcs_write(VMCS_HOST_CS_SEL, SEL_CODE64);
	vmcs_write(VMCS_HOST_SS_SEL, SEL_DATA);
	vmcs_write(VMCS_HOST_DS_SEL, SEL_DATA);
	vmcs_write(VMCS_HOST_ES_SEL, SEL_DATA);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, SEL_TSS);
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_RIP, (uint64_t)vmx_exit_point);
	vmx_host_cpu_fields();
}

static int vmx_vcpu_create(unsigned int id, struct backend_vcpu **out)
{
	struct guest_state st;
	struct vmx_vcpu *v;
	unsigned long flags;
	size_t i;
	int err;

	if (!vmx_cpus[smp_processor_id()].enabled)
		return -ENODEV;
	v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = frame_alloc_zeroed(&v->vmcs_pa);
	if (err)
		goto free_vcpu;
	err = frame_alloc_zeroed(&v->msr_bitmap_pa);
	if (err)
		goto free_vmcs;
	err = frame_alloc_contig(VMX_IO_BITMAP_SIZE / PAGE_SIZE, 1, &v->io_bitmap_pa);
	if (err)
		goto free_msr;
	err = guest_xstate_init(&v->common.xs);
	if (err)
		goto free_io;
	if (vmx_features.vpid) {
		v->vpid = vmx_vpid_alloc();
		if (!v->vpid) {
			err = -ENOSPC;
			goto free_xstate;
		}
	}
	v->vmcs = phys_to_virt(v->vmcs_pa);
	v->msr_bitmap = phys_to_virt(v->msr_bitmap_pa);
	v->io_bitmap = phys_to_virt(v->io_bitmap_pa);
	*(uint32_t *)v->vmcs = vmx_features.revision;
	v->common.id = id;
	v->common.cpu = -1;
	v->last_cpu = -1;
	v->pat = PAT_RESET;
	v->run_deadline = UINT64_MAX;
	memset(v->io_bitmap, 0xff, VMX_IO_BITMAP_SIZE);
	memset(v->msr_bitmap, 0xff, VMX_MSR_BITMAP_SIZE);
	for (i = 0; i < BACKEND_PASSTHROUGH_MSRS; i++)
		__vmx_set_msr_intercept(v, backend_passthrough_msrs[i], false, false);

	flags = irq_save();
	err = vmx_vmclear(v->vmcs_pa) ? 0 : -EIO;
	irq_restore(flags);
	if (err)
		goto free_vpid;
	flags = vmx_vmcs_enter(v);
	vmx_vmcs_init(v);
	guest_state_init_reset(&st);
	vmx_write_state(v, &st);
	vmx_vmcs_exit(v, flags);
	*out = &v->common;
	return 0;

free_vpid:
	vmx_vpid_free(v->vpid);
free_xstate:
	guest_xstate_destroy(&v->common.xs);
free_io:
	frame_free_contig(v->io_bitmap_pa, VMX_IO_BITMAP_SIZE / PAGE_SIZE);
free_msr:
	frame_free(v->msr_bitmap_pa);
free_vmcs:
	frame_free(v->vmcs_pa);
free_vcpu:
	kfree(v);
	return err;
}

static void vmx_vcpu_destroy(struct backend_vcpu *bv)
{
	struct vmx_vcpu *v = to_vmx(bv);

	ASSERT(bv->cpu < 0);
	vmx_vpid_free(v->vpid);
	guest_xstate_destroy(&bv->xs);
	frame_free_contig(v->io_bitmap_pa, VMX_IO_BITMAP_SIZE / PAGE_SIZE);
	frame_free(v->msr_bitmap_pa);
	frame_free(v->vmcs_pa);
	kfree(v);
}

static void vmx_vcpu_load(struct backend_vcpu *bv)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned int cpu = smp_processor_id();
	struct vmx_cpu *c = &vmx_cpus[cpu];

	ASSERT(bv->cpu < 0 && c->enabled);
	ASSERT(vmx_vmptrld(v->vmcs_pa));
	c->current = v;
	bv->cpu = (int)cpu;
	v->launched = false;
	vmx_host_cpu_fields();
	guest_xstate_load(&bv->xs);
}

static void vmx_vcpu_put(struct backend_vcpu *bv)
{
	struct vmx_vcpu *v = to_vmx(bv);
	struct vmx_cpu *c = &vmx_cpus[smp_processor_id()];
	unsigned long flags = irq_save();

	ASSERT(bv->cpu == (int)smp_processor_id());
	guest_xstate_put(&bv->xs);
	if (c->live_owner == v) {
		vmx_live_save(v);
		c->live_owner = NULL;
	}
	vmx_vmclear(v->vmcs_pa);
	if (c->current == v)
		c->current = NULL;
	v->launched = false;
	bv->cpu = -1;
	irq_restore(flags);
}

static int vmx_set_tdp_root(struct backend_vcpu *bv, paddr_t root, unsigned int levels)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags;

	if (levels != 4 || !IS_ALIGNED(root, PAGE_SIZE) || root >> vmx_features.phys_bits)
		return -EINVAL;
	v->eptp = spte_ept_pointer(root, (int)levels, vmx_features.ept_ad);
	flags = vmx_vmcs_enter(v);
	vmcs_write(VMCS_EPT_POINTER, v->eptp);
	vmx_vmcs_exit(v, flags);
	vmx_tlb_flush(bv, BACKEND_TLB_TDP);
	return 0;
}

/* Only set_tsc_offset writes the field (the CPU never does): no VMREAD. */
static uint64_t vmx_get_tsc_offset(struct backend_vcpu *bv)
{
	return to_vmx(bv)->tsc_offset;
}

static void vmx_set_tsc_offset(struct backend_vcpu *bv, uint64_t offset)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags;

	if (offset == v->tsc_offset)
		return;
	flags = vmx_vmcs_enter(v);
	vmcs_write(VMCS_TSC_OFFSET, offset);
	v->tsc_offset = offset;
	vmx_vmcs_exit(v, flags);
}

/* ------------------------------------------------------------------------
 * Events and windows
 */

static int vmx_inject_event(struct backend_vcpu *bv, const struct vm_event *ev)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags = vmx_vmcs_enter(v);
	int err = vmx_queue_event(v, ev);

	vmx_vmcs_exit(v, flags);
	return err;
}

/* The STI / MOV SS shadow of the last exit still applies (RIP not moved). */
static bool vmx_in_shadow(const struct vmx_vcpu *v)
{
	return (v->intr_state & VMX_INTR_SHADOW) && v->common.regs.rip == v->exit_rip;
}

static bool vmx_interrupt_allowed(struct backend_vcpu *bv)
{
	struct vmx_vcpu *v = to_vmx(bv);

	return (bv->regs.rflags & X86_RFLAGS_IF) && !vmx_in_shadow(v) && !v->inj.valid;
}

static bool vmx_nmi_allowed(struct backend_vcpu *bv)
{
	struct vmx_vcpu *v = to_vmx(bv);

	return !(v->intr_state & VMX_INTR_NMI) && !vmx_in_shadow(v) && !v->inj.valid;
}

static void vmx_set_window(struct vmx_vcpu *v, uint32_t bit, bool on)
{
	unsigned long flags = vmx_vmcs_enter(v);

	vmx_write_proc(v, bit, on);
	vmx_vmcs_exit(v, flags);
}

static void vmx_set_intr_window(struct backend_vcpu *bv, bool on)
{
	struct vmx_vcpu *v = to_vmx(bv);

	if (on == v->intr_window)
		return;
	v->intr_window = on;
	vmx_set_window(v, PROC_INTR_WINDOW, on);
}

static void vmx_set_nmi_window(struct backend_vcpu *bv, bool on)
{
	struct vmx_vcpu *v = to_vmx(bv);

	if (on == v->nmi_window)
		return;
	v->nmi_window = on;
	vmx_set_window(v, PROC_NMI_WINDOW, on);
}

/*
 * Without PAUSE-loop exiting every PAUSE would exit: core sets PAUSE
 * exiting only while the vCPU shares its CPU. With it, the exit is
 * filtered for good (backend_caps.pause_filtered) and this is not called.
 */
static void vmx_set_pause_exit(struct backend_vcpu *bv, bool on)
{
	struct vmx_vcpu *v = to_vmx(bv);

	if (vmx_features.ple || !vmx_features.pause_exiting ||
	    !!(v->proc & PROC_PAUSE_EXITING) == on)
		return;
	vmx_set_window(v, PROC_PAUSE_EXITING, on);
}

static void vmx_set_run_deadline(struct backend_vcpu *bv, uint64_t deadline_ns)
{
	to_vmx(bv)->run_deadline = deadline_ns;
}

/* ------------------------------------------------------------------------
 * The world switch
 */

/* A VMWRITE of guest state by the entry, counted. */
static void vmx_entry_write(struct vmx_vcpu *v, uint32_t field, uint64_t val)
{
	vmcs_write(field, val);
	v->entry_writes++;
}

/*
 * The preemption timer's count for this entry: the time to run_deadline
 * in timer ticks. At most VMX_PREEMPT_MAX_NS (a bound, not a deadline:
 * an exit a second costs nothing), at least VMX_PREEMPT_MIN_NS, so that
 * an entry made after its deadline (an emulated CPU's switch can take
 * longer than a slice) still runs some guest instructions: on hardware
 * the host timer's interrupt, already pending, ends that run first.
 */
#define VMX_PREEMPT_MAX_NS 1000000000ull
#define VMX_PREEMPT_MIN_NS 20000ull

static void vmx_entry_preempt_timer(struct vmx_vcpu *v)
{
	uint64_t now = time_now_ns(), ns = 0, ticks;

	if (v->run_deadline > now)
		ns = MIN(v->run_deadline - now, VMX_PREEMPT_MAX_NS);
	ns = MAX(ns, VMX_PREEMPT_MIN_NS);
	ticks = (ns * tsc_hz / 1000000000ull) >> vmx_features.preempt_rate;
	vmcs_write(VMCS_PREEMPT_TIMER, MIN(ticks, (uint64_t)UINT32_MAX));
}

static void vmx_entry_regs(struct vmx_vcpu *v)
{
	const struct guest_regs *r = &v->common.regs;

	/*
	 * Moving RIP completed the instruction: its shadow is over, and so
	 * is the single-step trap the exit may have left pending for it
	 * (Bochs does): raising that is core's (core/vcpu_debug.h).
	 */
	if (r->rip != v->exit_rip) {
		if (v->intr_state & VMX_INTR_SHADOW) {
			v->intr_state &= ~VMX_INTR_SHADOW;
			vmx_entry_write(v, VMCS_GUEST_INTERRUPTIBILITY, v->intr_state);
		}
		vmx_entry_write(v, VMCS_GUEST_PENDING_DBG, 0);
	}
	/*
	 * A TF core set (a debugger's step) inside an STI or MOV-SS shadow:
	 * VM entry wants the single-step trap pending (SDM 26.3.1.5).
	 */
	if ((r->rflags & X86_RFLAGS_TF) && (v->intr_state & VMX_INTR_SHADOW))
		vmx_entry_write(v, VMCS_GUEST_PENDING_DBG,
				vmcs_read(VMCS_GUEST_PENDING_DBG) | X86_DR6_BS);
	/*
	 * Only what changed since the exit read it or vmx_write_state()
	 * wrote it (KVM keeps the same in regs_dirty): an I/O or CPUID exit
	 * moves RIP alone, an EPT fault or an interrupt none of the three.
	 */
	if (r->gpr[GPR_RSP] != v->vmcs_rsp) {
		vmx_entry_write(v, VMCS_GUEST_RSP, r->gpr[GPR_RSP]);
		v->vmcs_rsp = r->gpr[GPR_RSP];
	}
	if (r->rip != v->vmcs_rip) {
		vmx_entry_write(v, VMCS_GUEST_RIP, r->rip);
		v->vmcs_rip = r->rip;
	}
	if (r->rflags != v->vmcs_rflags) {
		vmx_entry_write(v, VMCS_GUEST_RFLAGS, r->rflags);
		v->vmcs_rflags = r->rflags;
	}
}

static void vmx_exit_regs(struct vmx_vcpu *v)
{
	struct guest_regs *r = &v->common.regs;

	v->vmcs_rsp = r->gpr[GPR_RSP] = vmcs_read(VMCS_GUEST_RSP);
	v->vmcs_rip = r->rip = vmcs_read(VMCS_GUEST_RIP);
	v->vmcs_rflags = r->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	v->intr_state = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
}

/* The live registers of v into this CPU, saving another vCPU's first. */
static void vmx_entry_live(struct vmx_vcpu *v, struct vmx_cpu *c)
{
	if (c->live_owner == v)
		return;
	if (c->live_owner)
		vmx_live_save(c->live_owner);
	vmx_live_load(v);
	c->live_owner = v;
}

static void vmx_entry_failed(struct vmx_vcpu *v, struct vm_exit *exit)
{
	v->insn_error = vmcs_read32(VMCS_INSN_ERROR);
	pr_err("vmx: vCPU %u: %s failed: VM-instruction error %u (%s)", v->common.id,
	       v->launched ? "VMRESUME" : "VMLAUNCH", v->insn_error,
	       vmx_insn_error_name(v->insn_error));
	vmx_exit_event_done(v, false);
	memset(exit, 0, sizeof(*exit));
	exit->reason = EXIT_INVALID_STATE;
	exit->invalid.why = vmx_insn_error_name(v->insn_error);
}

static int vmx_run(struct backend_vcpu *bv, struct vm_exit *exit)
{
	struct vmx_vcpu *v = to_vmx(bv);
	int cpu = (int)smp_processor_id();
	struct vmx_cpu *c = &vmx_cpus[cpu];
	static bool said_no_vpid;
	uint32_t reason;
	int err;

	ASSERT(!(read_rflags() & X86_RFLAGS_IF));
	ASSERT(bv->cpu == cpu && c->enabled);
	if (!v->eptp)
		return -EINVAL;
	if (c->current != v) {
		ASSERT(vmx_vmptrld(v->vmcs_pa));
		c->current = v;
	}
	if (v->last_cpu != cpu) {
		/* What this vCPU's VPID and EPTP left here before may be stale. */
		v->tlb_flush |= VMX_FLUSH_TDP | VMX_FLUSH_GUEST;
		v->last_cpu = cpu;
		vmx_host_cpu_fields();
	}
	if (!vmx_features.vpid && !said_no_vpid) {
		said_no_vpid = true;
		pr_info("vmx: no VPID: every VM entry and exit flushes the guest TLB");
	}
	vmx_entry_tlb(v);
	vmx_entry_live(v, c);
	vmx_entry_regs(v);
	v->entries++;
	if (vmx_features.preempt_timer)
		vmx_entry_preempt_timer(v);
	v->entry_check = NULL;

	guest_xstate_enter(&bv->xs);
	err = vmx_vmenter(&bv->regs, v->launched);
	guest_xstate_exit(&bv->xs);
	if (err) {
		vmx_entry_failed(v, exit);
		return -EIO;
	}
	v->launched = true;
	reason = vmcs_read32(VMCS_EXIT_REASON);
	if (reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		/* The guest never ran: RSP/RIP/RFLAGS in the VMCS are ours. */
		v->entry_check = vmx_check_guest_state(v);
		vmx_exit_event_done(v, false);
	} else {
		vmx_exit_regs(v);
		vmx_exit_event_done(v, true);
	}
	v->exit_rip = bv->regs.rip;
	vmx_exit_decode(v, reason, exit);
	return 0;
}

/* ------------------------------------------------------------------------
 * The operations table
 */

const struct backend_ops vmx_backend_ops = {
	.name = "vmx",
	.probe = vmx_backend_probe,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.get_state = vmx_get_state,
	.set_state = vmx_set_state,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.run = vmx_run,
	.inject_event = vmx_inject_event,
	.interrupt_allowed = vmx_interrupt_allowed,
	.nmi_allowed = vmx_nmi_allowed,
	.set_intr_window = vmx_set_intr_window,
	.set_nmi_window = vmx_set_nmi_window,
	.tlb_flush = vmx_tlb_flush,
	.set_tdp_root = vmx_set_tdp_root,
	.set_msr_intercept = vmx_set_msr_intercept,
	.set_io_intercept = vmx_set_io_intercept,
	.get_tsc_offset = vmx_get_tsc_offset,
	.set_tsc_offset = vmx_set_tsc_offset,
	.dump = vmx_dump,
	.set_exception_intercept = vmx_set_exception_intercept,
	.exit_raw_name = vmx_exit_reason_name,
	.get_dregs = vmx_get_dregs,
	.set_dregs = vmx_set_dregs,
	.set_debug_ctl = vmx_set_debug_ctl,
	.dump_control = vmx_dump_control,
	.queued_event = vmx_queued_event,
	.set_pause_exit = vmx_set_pause_exit,
	.set_run_deadline = vmx_set_run_deadline,
};
