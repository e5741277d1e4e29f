/*
 * Intel VT-x backend: what vmx.c, vmx_probe.c, vmx_state.c, vmx_exit.c
 * and vmx_entry.S share. Everything outside goes through vmx_backend_ops
 * and core/backend.h.
 *
 * Where the code runs: see core/backend.h. A VMCS can be read or written
 * only while it is current on the running CPU: every entry that touches
 * it brackets the accesses with vmx_vmcs_enter()/vmx_vmcs_exit(), which
 * make it current (VMPTRLD) with interrupts off, and, for a vCPU loaded
 * nowhere (state set right after vcpu_create), VMCLEAR it again after, so
 * that it can still be loaded on any CPU. No lock: a vCPU's VMCS, bitmaps
 * and struct belong to its own thread; a CPU's struct vmx_cpu to that CPU.
 * The VPID allocator is the only shared state (vmx_vpid_lock).
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "core/guest_state.h"
#include "vmx/vmcs.h"

#ifndef __ASSEMBLY__

#include "asm/percpu.h"
#include "asm/msr.h"
#include "core/backend.h"
#include "core/event_info.h"

/* Exceptions always intercepted (as svm/: docs/vmx.md). */
#define VMX_EXC_ALWAYS (BIT(VEC_DB) | BIT(VEC_UD) | BIT(VEC_AC) | BIT(VEC_MC))

/* What the capability MSRs say; written once by the probe. */
struct vmx_features {
	uint32_t revision;
	uint64_t ept_vpid_cap;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/* The controls every VMCS gets (required bits included). */
	uint32_t pin, proc, proc2, exit, entry;
	uint32_t proc_may1;		/* allowed-1 bits of the primary controls */
	uint64_t guest_efer;		/* EFER bits a guest may set (efer_valid()) */
	unsigned int phys_bits;
	bool true_ctls;
	bool ins_outs_info;		/* exit instruction info for INS/OUTS */
	bool unrestricted;
	bool vpid;
	bool ept_ad;
	bool pat;			/* load/save IA32_PAT */
	bool invept_single;
	bool invvpid_single;
	bool ple;			/* PAUSE-loop exiting (proc2 bit 10) */
	bool pause_exiting;		/* PAUSE exiting (primary bit 30) may be set */
	bool preempt_timer;		/* pin-based bit 6, set in pin */
	unsigned int preempt_rate;	/* one timer tick per 2^rate TSC ticks */
};

extern struct vmx_features vmx_features;

/*
 * Registers VMX does not switch and the host never uses: they stay live
 * in the CPU while the vCPU "owns" it (vmx_cpu.live_owner), and are kept
 * in struct vmx_live otherwise (docs/vmx.md, "Guest state").
 */
struct vmx_live {
	uint64_t cr2, dr6;
	uint64_t dr[4];		/* DR0-DR3 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
};

/* Per physical CPU; each slot touched only by its CPU. */
struct vmx_cpu {
	bool enabled;
	paddr_t vmxon_pa;
	struct vmx_vcpu *current;	/* VMCS current here (VMPTRLD), or NULL */
	struct vmx_vcpu *live_owner;	/* vCPU whose vmx_live is in the CPU */
};

extern struct vmx_cpu vmx_cpus[MAX_CPUS];

/* TLB work for the next entry (bits). */
#define VMX_FLUSH_GUEST BIT(0)	/* INVVPID single-context */
#define VMX_FLUSH_TDP   BIT(1)	/* INVEPT single-context */
#define VMX_FLUSH_ALL   BIT(2)	/* INVEPT and INVVPID all-context */

struct vmx_vcpu {
	struct backend_vcpu common;	/* first: core's view of it */

	void *vmcs;
	paddr_t vmcs_pa;
	uint8_t *msr_bitmap;		/* 4 KiB */
	paddr_t msr_bitmap_pa;
	uint8_t *io_bitmap;		/* A then B: 8 KiB, contiguous */
	paddr_t io_bitmap_pa;
	uint16_t vpid;			/* 0: none (no VPID support) */

	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	int last_cpu;			/* CPU of the last entry, -1: none */
	uint8_t tlb_flush;		/* VMX_FLUSH_* for the next entry */
	uint64_t eptp;			/* 0: no TDP root yet */

	/* Controls as last written to the VMCS. */
	uint32_t proc;
	uint32_t entry;
	uint32_t exc_core;		/* exception intercepts core asked for */

	uint64_t cr0_mask, cr4_mask;	/* guest/host masks */
	uint64_t tsc_offset;		/* as in the VMCS */
	uint64_t cr8;			/* emulated (CR8 exiting) */
	uint64_t run_deadline;		/* time_now_ns() by which the guest exits */
	uint64_t pat;			/* without load/save IA32_PAT */
	struct vmx_live live;

	/* Borrowed VMCS bookkeeping (vmx_vmcs_enter()). */
	struct vmx_vcpu *borrow_prev;
	bool borrowed;

	/*
	 * RSP, RIP and RFLAGS as the VMCS holds them: read at the exit,
	 * written by vmx_write_state() or the entry. The entry writes only
	 * those of common.regs that differ (vmx_entry_regs()), so whatever
	 * changed them (core's emulation, a debugger, the monitor) reaches
	 * the VMCS and nothing else costs a VMWRITE.
	 */
	uint64_t vmcs_rsp, vmcs_rip, vmcs_rflags;
	/* Entries, and the VMWRITEs of guest state they made (the monitor's vmcs). */
	uint64_t entries, entry_writes;

	/* Exit bookkeeping. */
	uint64_t exit_rip;		/* RIP at the last exit */
	uint32_t intr_state;		/* interruptibility at the last exit */
	bool intr_window, nmi_window;
	struct vm_event inj;		/* queued for the next entry */
	bool inj_undelivered;
	uint32_t insn_error;		/* VM-instruction error of a failed entry */
	const char *entry_check;	/* own check of the state before a failed entry */
};

static inline struct vmx_vcpu *to_vmx(struct backend_vcpu *bv)
{
	return container_of(bv, struct vmx_vcpu, common);
}

/* ------------------------------------------------------------------------
 * VMX instructions. Each returns true on success (CF = ZF = 0).
 */

static inline bool vmx_vmxon(paddr_t pa)
{
	bool ok;

	__asm__ __volatile__("vmxon %1; seta %0" : "=q"(ok) : "m"(pa) : "cc", "memory");
	return ok;
}

static inline void vmx_vmxoff(void)
{
	__asm__ __volatile__("vmxoff" ::: "cc", "memory");
}

static inline bool vmx_vmclear(paddr_t pa)
{
	bool ok;

	__asm__ __volatile__("vmclear %1; seta %0" : "=q"(ok) : "m"(pa) : "cc", "memory");
	return ok;
}

static inline bool vmx_vmptrld(paddr_t pa)
{
	bool ok;

	__asm__ __volatile__("vmptrld %1; seta %0" : "=q"(ok) : "m"(pa) : "cc", "memory");
	return ok;
}

static inline uint64_t vmcs_read(uint32_t field)
{
	uint64_t val;

	__asm__ __volatile__("vmread %1, %0" : "=r"(val) : "r"((uint64_t)field) : "cc");
	return val;
}

static inline uint32_t vmcs_read32(uint32_t field)
{
	return (uint32_t)vmcs_read(field);
}

/* Returns false if the field does not exist or is read-only. */
static inline bool vmcs_write(uint32_t field, uint64_t val)
{
	bool ok;

	__asm__ __volatile__("vmwrite %2, %1; seta %0"
			     : "=q"(ok) : "r"((uint64_t)field), "rm"(val) : "cc");
	return ok;
}

static inline bool vmx_invept(unsigned long type, uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };
	bool ok;

	__asm__ __volatile__("invept %1, %2; seta %0"
			     : "=q"(ok) : "m"(desc), "r"(type) : "cc", "memory");
	return ok;
}

static inline bool vmx_invvpid(unsigned long type, uint16_t vpid)
{
	struct { uint64_t vpid, gla; } desc = { vpid, 0 };
	bool ok;

	__asm__ __volatile__("invvpid %1, %2; seta %0"
			     : "=q"(ok) : "m"(desc), "r"(type) : "cc", "memory");
	return ok;
}

/* ------------------------------------------------------------------------
 * Shared helpers
 */

/* Makes v's VMCS current here; returns the flags for vmx_vmcs_exit(). */
unsigned long vmx_vmcs_enter(struct vmx_vcpu *v);
void vmx_vmcs_exit(struct vmx_vcpu *v, unsigned long flags);

/* v's live registers are in this CPU right now. */
static inline bool vmx_live_here(const struct vmx_vcpu *v)
{
	return v->common.cpu >= 0 && vmx_cpus[v->common.cpu].live_owner == v;
}

/* Current VMCS: RSP, RIP and RFLAGS of v's registers, written and noted. */
static inline void vmx_write_rsp_rip_rflags(struct vmx_vcpu *v)
{
	const struct guest_regs *r = &v->common.regs;

	vmcs_write(VMCS_GUEST_RSP, r->gpr[GPR_RSP]);
	vmcs_write(VMCS_GUEST_RIP, r->rip);
	vmcs_write(VMCS_GUEST_RFLAGS, r->rflags);
	v->vmcs_rsp = r->gpr[GPR_RSP];
	v->vmcs_rip = r->rip;
	v->vmcs_rflags = r->rflags;
}

/* VMX access rights from the VMCB-style packing of struct guest_segment. */
static inline uint32_t vmx_ar_from_attr(uint32_t attr)
{
	if (attr & SEG_ATTR_UNUSABLE)
		return VMX_AR_UNUSABLE | (attr & (SEG_ATTR_DPL_MASK | SEG_ATTR_TYPE_MASK | SEG_ATTR_S));
	return (attr & 0xffu) | ((attr & 0xf00u) << 4);
}

static inline uint32_t vmx_attr_from_ar(uint32_t ar)
{
	uint32_t attr = (ar & 0xffu) | ((ar >> 4) & 0xf00u);

	return (ar & VMX_AR_UNUSABLE) ? attr | SEG_ATTR_UNUSABLE : attr;
}

/* vmx_debug.c: the backend entries of the same names (core/backend.h). */
void vmx_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d);
void vmx_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d);
int vmx_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags);

/* vmx.c */
void vmx_write_proc(struct vmx_vcpu *v, uint32_t bits, bool on);

/* vmx_probe.c: the backend entries of the same names. */
int vmx_backend_probe(struct backend_caps *caps, const char **why);
int vmx_cpu_enable(void);
void vmx_cpu_disable(void);

/* vmx_state.c: the backend entries of the same names; VMCS not yet current. */
void vmx_get_state(struct backend_vcpu *bv, struct guest_state *st);
int vmx_set_state(struct backend_vcpu *bv, const struct guest_state *st);
int vmx_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val);
int vmx_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val);
void vmx_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx);
/* vmx_dump.c: the backend's dump_control and queued_event. */
void vmx_dump_control(struct backend_vcpu *bv, backend_print_fn print, void *ctx);
bool vmx_queued_event(struct backend_vcpu *bv, struct vm_event *ev);
/* Writes st into the current VMCS (no policy checks). */
void vmx_write_state(struct vmx_vcpu *v, const struct guest_state *st);
/* Loads / saves v's live registers (struct vmx_live) into / from this CPU. */
void vmx_live_load(struct vmx_vcpu *v);
void vmx_live_save(struct vmx_vcpu *v);
/* Guest CR0 / CR4 as the guest sees them (shadows under the masks). */
uint64_t vmx_guest_cr0(const struct vmx_vcpu *v);
uint64_t vmx_guest_cr4(const struct vmx_vcpu *v);
/* The hardware CR0 / CR4 for a guest value. */
uint64_t vmx_cr0_hw(uint64_t cr0);
uint64_t vmx_cr4_hw(uint64_t cr4);
/*
 * The first VM-entry check of SDM 26.3.1 (guest state) the current VMCS
 * fails, or NULL.
 */
const char *vmx_check_guest_state(struct vmx_vcpu *v);

/* vmx_exit.c; the VMCS is current. */
void vmx_exit_decode(struct vmx_vcpu *v, uint32_t reason, struct vm_exit *exit);
int vmx_queue_event(struct vmx_vcpu *v, const struct vm_event *ev);
/* After an exit (or failed entry): did the queued event get through? */
void vmx_exit_event_done(struct vmx_vcpu *v, bool entered);
const char *vmx_exit_reason_name(uint64_t reason);
const char *vmx_insn_error_name(uint32_t err);
enum guest_cpu_mode vmx_guest_mode(void);
enum guest_cpu_mode vmx_guest_mode_rflags(uint64_t rflags);

/*
 * vmx_entry.S: loads the guest GPRs other than RSP from regs, VMLAUNCH
 * (launched == 0) or VMRESUME, and on VM exit stores them back. Returns
 * 0 after a VM exit, 1 if the instruction failed (VMfailValid or
 * VMfailInvalid: the guest never ran). Interrupts off; callee-saved
 * registers preserved. HOST_RSP is written here, HOST_RIP must point at
 * vmx_exit_point.
 */
int vmx_vmenter(struct guest_regs *regs, int launched);
extern char vmx_exit_point[];

#endif /* __ASSEMBLY__ */
#endif
