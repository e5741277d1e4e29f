/*
 * The virtualization backend: one operations table that svm/ and vmx/
 * each fill, chosen once at boot by backend_init(). core/ calls the
 * backend_*() wrappers below and never asks which vendor it runs on
 * (KVM's kvm_x86_ops; Xen's NULL-checking wrappers for optional hooks).
 *
 * Where the code runs (each entry's comment adds to this):
 *  - probe, backend_init(): the boot CPU, once, after the heap is up.
 *  - cpu_enable/cpu_disable: on the CPU concerned, interrupts off or on,
 *    no vCPU loaded there.
 *  - vcpu_create/vcpu_destroy: any CPU, thread context; destroy only when
 *    the vCPU is loaded nowhere.
 *  - everything that takes a struct backend_vcpu: the vCPU's own thread,
 *    with the vCPU loaded on the running CPU (between vcpu_load and
 *    vcpu_put). These touch the hardware control block (VMCB/VMCS), which
 *    is not shared; no lock is needed and none is taken.
 *  - run: also with interrupts disabled (vcpu_enter_guest_mode() in
 *    core/vcpu_request.h); it returns with interrupts still disabled.
 *
 * docs/svm.md describes the SVM implementation and how VMX maps onto
 * each entry.
 */
#ifndef CORE_BACKEND_H
#define CORE_BACKEND_H

#include "asm/atomic.h"
#include "core/exit.h"
#include "core/guest_state.h"
#include "core/guest_xstate.h"
#include "core/lib/compiler.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

/* ------------------------------------------------------------------------
 * Capabilities, TLB scopes, the operations table
 */

enum backend_tdp_format {
	BACKEND_TDP_NPT,	/* AMD nested page tables: long-mode PTE format */
	BACKEND_TDP_EPT,	/* Intel EPT format */
};

#define BACKEND_TDP_2M BIT(0)
#define BACKEND_TDP_1G BIT(1)

/* What the chosen backend offers; filled by probe. */
struct backend_caps {
	enum backend_tdp_format tdp_format;
	unsigned int tdp_levels;	/* levels the TDP root must have: 4 or 5 */
	unsigned int tdp_large;		/* BACKEND_TDP_* leaf sizes */
	unsigned int phys_bits;		/* host MAXPHYADDR */
	bool insn_len_on_exit;		/* exits report instruction lengths */
	bool decode_assists;		/* exits name CR/DR/INVLPG operands */
	bool tagged_tlb;		/* ASIDs / VPIDs: no flush on every entry */
	bool real_mode;			/* real-mode guests run natively */
	/* RDTSCP and RDPID run in the guest on its own TSC_AUX (guest_xstate.h). */
	bool tsc_aux;
	/*
	 * A spinning guest's PAUSEs exit only after a long run of them (AMD-V's
	 * pause filter, VT-x's PAUSE-loop exiting), so the exit is on for good;
	 * false: every PAUSE would exit, and core turns the exit on only
	 * while the vCPU's CPU has another runnable thread (set_pause_exit).
	 */
	bool pause_filtered;
};

/*
 * What a TLB flush covers; always only translations the guest can use.
 * The flush takes effect at the latest on the vCPU's next entry.
 */
enum backend_tlb_scope {
	/* This vCPU's translations derived from its guest page tables. */
	BACKEND_TLB_GUEST,
	/* Those, and everything derived from the VM's TDP tables. */
	BACKEND_TLB_TDP,
	/* Every guest translation cached by the running physical CPU. */
	BACKEND_TLB_ALL,
};

/*
 * Per-vCPU backend state: this common part first, the vendor's own after
 * it (struct svm_vcpu embeds it as its first member). core/ allocates
 * nothing of it and reads only these fields.
 */
struct backend_vcpu {
	struct guest_regs regs;	/* see struct guest_regs; vCPU thread only */
	unsigned int id;	/* vCPU index in its VM, set at creation */
	int cpu;		/* physical CPU it is loaded on, -1: none */
	/*
	 * The last event backend_inject_event() queued, for the flight
	 * recorder (core/exit_rec.h); the run loop reads and clears it
	 * around each entry. vCPU thread only.
	 */
	struct vm_event queued;
	/* x87/SSE/AVX registers and XCR0 (core/guest_xstate.h); vCPU thread only. */
	struct guest_xstate xs;
};
_Static_assert(offsetof(struct backend_vcpu, regs) == 0, "regs first (svm_entry.S)");

typedef void (*backend_print_fn)(void *ctx, const char *fmt, ...) __printf(2, 3);

/* The guest's debug registers as the CPU uses them (set_dregs, get_dregs). */
struct backend_dregs {
	uint64_t dr[4];		/* DR0-DR3 */
	uint64_t dr6, dr7;	/* bits 63:32 zero */
};

/* set_debug_ctl flags: what a guest debugger needs (core/vcpu_debug.c). */
#define BACKEND_DEBUG_DR_EXIT	BIT(0)	/* MOV to/from DRn exits: EXIT_DR_ACCESS */
#define BACKEND_DEBUG_HOST_DR	BIT(1)	/* DR0-DR3/DR7 hold the host's (a debugger's) values */
#define BACKEND_DEBUG_MTF	BIT(2)	/* one EXIT_MTF after each guest instruction */

/*
 * The entries, mandatory (M) and optional (O), as one list from which
 * the table and the check of mandatory entries are generated. Contracts:
 *
 * probe(caps, why): can this machine run the backend? 0 with *caps
 *   filled, or -ENODEV with *why saying why not ("no SVM", "disabled by
 *   the firmware"). Reports missing optional features once in the log.
 * cpu_enable(): make the running CPU ready to run guests (SVM: EFER.SVME,
 *   host save area; VMX: VMXON). 0, or -errno with the CPU unchanged.
 * cpu_disable(): undo cpu_enable() on the running CPU.
 * vcpu_create(id, out): new vCPU in the x86 power-on state, intercepts at
 *   their defaults (docs/svm.md), no TDP root. -ENOMEM, nothing left.
 * vcpu_destroy(bv): free it; it must be loaded nowhere.
 * vcpu_load(bv) / vcpu_put(bv): the vCPU starts / stops being runnable on
 *   the running CPU (VMX: VMPTRLD / VMCLEAR), its x87/SSE/AVX registers
 *   restored / saved (core/guest_xstate.h). Interrupts off.
 * get_state / set_state: the whole state; set_state returns -EINVAL for
 *   state the backend cannot represent (the hardware checks the rest on
 *   entry and reports EXIT_INVALID_STATE).
 * get_msr / set_msr: MSRs held in the control block (EFER, PAT, the
 *   SYSCALL/SYSENTER MSRs, FS/GS/KERNEL_GS base). -ENOENT for others.
 *   No policy: the caller has decided the access is allowed. set_msr
 *   returns -EINVAL, changing nothing, for a value the CPU's WRMSR would
 *   refuse with #GP (a PAT entry with a reserved memory type, a reserved
 *   EFER bit, LME changed while paging is on): the caller injects #GP.
 * run(bv, exit): enter the guest with bv->regs, return at the next exit
 *   with bv->regs updated and *exit filled. 0, or -errno if the entry
 *   could not even be attempted (no TDP root: -EINVAL).
 * inject_event(bv, ev): deliver ev on the next entry. -EBUSY if an event
 *   is already queued, -EINVAL if ev is malformed.
 * interrupt_allowed / nmi_allowed: would an interrupt / NMI injected now
 *   be taken at once (IF, interrupt shadow, NMI blocking, no event
 *   queued)?
 * set_intr_window / set_nmi_window(bv, on): ask for one EXIT_INTR_WINDOW
 *   / EXIT_NMI_WINDOW as soon as the guest can take the event; the
 *   request ends with that exit, or when turned off.
 * tlb_flush(bv, scope): see enum backend_tlb_scope.
 * set_tdp_root(bv, root, levels): guest-physical translation through the
 *   table at root, caps.tdp_levels deep; flushes the vCPU's TLB context.
 * set_msr_intercept(bv, msr, read, write): intercept (true) or pass
 *   through (false) each direction. -ERANGE if the MSR is outside the
 *   bitmap (always intercepted), -EPERM if the backend must keep it
 *   intercepted (EFER under SVM).
 * set_io_intercept(bv, port, count, on): ports [port, port + count).
 *   -ERANGE past port 0xffff.
 * get_tsc_offset / set_tsc_offset: guest TSC = host TSC + offset.
 * dump(bv, print, ctx): control block and guest state, for the monitor
 *   and for error reports, line by line through print.
 * set_exception_intercept(bv, vector, on) [optional]: report guest
 *   exceptions of vector as EXIT_EXCEPTION. -EINVAL for vector >= 32.
 * set_cr_intercept(bv, cr, read, write) [optional]: report accesses to
 *   CRn as EXIT_CR_ACCESS.
 * exit_raw_name(raw) [optional]: the vendor's name of a raw exit code.
 * get_dregs / set_dregs(bv, d) [optional]: the guest's DR0-DR3, DR6 and
 *   DR7, wherever the backend keeps them (the CPU, the control block).
 * set_debug_ctl(bv, flags) [optional]: BACKEND_DEBUG_* from now on (0:
 *   none). -ENOTSUP, changing nothing, for BACKEND_DEBUG_MTF where the
 *   CPU has no monitor trap flag. With BACKEND_DEBUG_HOST_DR the backend
 *   may load DR7 into the CPU itself before entry (SVM under QEMU TCG,
 *   docs/debugging.md) and disables it again after the exit.
 * With VEC_BP intercepted (set_exception_intercept), an SVM backend also
 *   intercepts INT n and reports it as EXIT_SOFT_INT: QEMU checks INT3
 *   against that intercept instead of #BP's. An EXIT_EXCEPTION of VEC_DB
 *   has the DR6 bits of the #DB (B0-B3, BD, BS) in qual, under both.
 * dump_control(bv, print, ctx) [optional]: the whole control block, one
 *   field a line by the vendor's name and its value (VMCB: the control
 *   and save areas; VMCS: controls, guest and host state, exit
 *   information; a field this CPU lacks says so), for the monitor's
 *   `vmcs`. Read-only. The vCPU's thread, outside guest mode (VMREAD
 *   works only where the VMCS is current): the monitor runs it through
 *   vcpu_call().
 * queued_event(bv, ev) [optional]: the event queued for the next entry
 *   (inject_event, or a re-injection after an exit) into *ev; false with
 *   *ev untouched if none. Read-only; the vCPU's thread.
 */
#define BACKEND_OPS(M, O)							\
	M(int, probe, (struct backend_caps *caps, const char **why))		\
	M(int, cpu_enable, (void))						\
	M(void, cpu_disable, (void))						\
	M(int, vcpu_create, (unsigned int id, struct backend_vcpu **out))	\
	M(void, vcpu_destroy, (struct backend_vcpu *bv))			\
	M(void, vcpu_load, (struct backend_vcpu *bv))				\
	M(void, vcpu_put, (struct backend_vcpu *bv))				\
	M(void, get_state, (struct backend_vcpu *bv, struct guest_state *st))	\
	M(int, set_state, (struct backend_vcpu *bv, const struct guest_state *st)) \
	M(int, get_msr, (struct backend_vcpu *bv, uint32_t msr, uint64_t *val))	\
	M(int, set_msr, (struct backend_vcpu *bv, uint32_t msr, uint64_t val))	\
	M(int, run, (struct backend_vcpu *bv, struct vm_exit *exit))		\
	M(int, inject_event, (struct backend_vcpu *bv, const struct vm_event *ev)) \
	M(bool, interrupt_allowed, (struct backend_vcpu *bv))			\
	M(bool, nmi_allowed, (struct backend_vcpu *bv))			\
	M(void, set_intr_window, (struct backend_vcpu *bv, bool on))		\
	M(void, set_nmi_window, (struct backend_vcpu *bv, bool on))		\
	M(void, tlb_flush, (struct backend_vcpu *bv, enum backend_tlb_scope scope)) \
	M(int, set_tdp_root, (struct backend_vcpu *bv, paddr_t root, unsigned int levels)) \
	M(int, set_msr_intercept, (struct backend_vcpu *bv, uint32_t msr, bool read, bool write)) \
	M(int, set_io_intercept, (struct backend_vcpu *bv, uint32_t port, uint32_t count, bool on)) \
	M(uint64_t, get_tsc_offset, (struct backend_vcpu *bv))			\
	M(void, set_tsc_offset, (struct backend_vcpu *bv, uint64_t offset))	\
	M(void, dump, (struct backend_vcpu *bv, backend_print_fn print, void *ctx)) \
	O(int, set_exception_intercept, (struct backend_vcpu *bv, unsigned int vector, bool on)) \
	O(int, set_cr_intercept, (struct backend_vcpu *bv, unsigned int cr, bool read, bool write)) \
	O(const char *, exit_raw_name, (uint64_t raw))				\
	O(void, get_dregs, (struct backend_vcpu *bv, struct backend_dregs *d))	\
	O(void, set_dregs, (struct backend_vcpu *bv, const struct backend_dregs *d)) \
	O(int, set_debug_ctl, (struct backend_vcpu *bv, unsigned int flags)) \
	O(void, dump_control, (struct backend_vcpu *bv, backend_print_fn print, void *ctx)) \
	O(bool, queued_event, (struct backend_vcpu *bv, struct vm_event *ev)) \
	O(void, set_pause_exit, (struct backend_vcpu *bv, bool on))		\
	O(void, set_run_deadline, (struct backend_vcpu *bv, uint64_t deadline_ns))

struct backend_ops {
	const char *name;	/* "svm", "vmx" */
#define BACKEND_OP_FIELD(ret, op, args) ret (*op) args;
	BACKEND_OPS(BACKEND_OP_FIELD, BACKEND_OP_FIELD)
#undef BACKEND_OP_FIELD
};

/* The backends linked into the image. */
extern const struct backend_ops svm_backend_ops;
extern const struct backend_ops vmx_backend_ops;

/*
 * The MSRs every new vCPU passes through, in both backends: segment bases
 * and SYSENTER fields the VMCB / VMCS switch, and the SYSCALL MSRs and
 * KERNEL_GS_BASE (VMLOAD/VMSAVE under SVM; under VMX live in the CPU
 * while the vCPU owns it, docs/vmx.md "MSRs"). Defined in core/backend.c.
 */
#define BACKEND_PASSTHROUGH_MSRS 10
extern const uint32_t backend_passthrough_msrs[BACKEND_PASSTHROUGH_MSRS];

/*
 * For set_io_intercept: the I/O permission map both vendors use, one bit
 * per port, set = intercept. Ports [port, port + count) on or off;
 * -ERANGE past the port space.
 */
static inline int backend_io_bitmap_assign(uint8_t *map, uint32_t port, uint32_t count,
					   bool on)
{
	uint32_t p;

	if (port >= X86_IO_PORTS || count > X86_IO_PORTS - port)
		return -ERANGE;
	for (p = port; p < port + count; p++)
		bitmap_assign_bit(map, p, on);
	return 0;
}

/*
 * The table in use: set once by backend_init() on the boot CPU before any
 * other CPU enables the backend, constant afterwards. Defined in
 * core/backend.c.
 */
extern const struct backend_ops *backend;
extern struct backend_caps backend_caps;

/* Name of the first mandatory entry ops lacks, or NULL if none. */
static inline const char *backend_ops_missing(const struct backend_ops *ops)
{
#define BACKEND_OP_CHECK(ret, op, args) if (!ops->op) return #op;
#define BACKEND_OP_SKIP(ret, op, args)
	BACKEND_OPS(BACKEND_OP_CHECK, BACKEND_OP_SKIP)
#undef BACKEND_OP_CHECK
#undef BACKEND_OP_SKIP
	return NULL;
}

/*
 * Picks the first backend whose probe succeeds and makes it `backend`,
 * with its capabilities in backend_caps. Boot CPU, once. Returns 0, or
 * -ENODEV if none can run here (each one's reason is logged). A table
 * without one of its mandatory entries is a hypervisor bug.
 */
static inline int backend_init(void)
{
	static const struct backend_ops *const candidates[] = {
		&vmx_backend_ops,
		&svm_backend_ops,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(candidates); i++) {
		const struct backend_ops *ops = candidates[i];
		const char *missing = backend_ops_missing(ops);
		const char *why = "unknown reason";
		int err;

		if (missing)
			panic("backend %s lacks mandatory entry %s", ops->name, missing);
		err = ops->probe(&backend_caps, &why);
		if (err) {
			pr_info("backend: %s not usable: %s", ops->name, why);
			continue;
		}
		backend = ops;
		pr_info("backend: %s", ops->name);
		return 0;
	}
	return -ENODEV;
}

/* ------------------------------------------------------------------------
 * Wrappers: the only way core/ reaches the table.
 */

static inline int backend_cpu_enable(void)
{
	return backend->cpu_enable();
}

static inline void backend_cpu_disable(void)
{
	backend->cpu_disable();
}

static inline int backend_vcpu_create(unsigned int id, struct backend_vcpu **out)
{
	return backend->vcpu_create(id, out);
}

static inline void backend_vcpu_destroy(struct backend_vcpu *bv)
{
	backend->vcpu_destroy(bv);
}

static inline void backend_vcpu_load(struct backend_vcpu *bv)
{
	backend->vcpu_load(bv);
}

static inline void backend_vcpu_put(struct backend_vcpu *bv)
{
	backend->vcpu_put(bv);
}

static inline void backend_get_state(struct backend_vcpu *bv, struct guest_state *st)
{
	backend->get_state(bv, st);
}

static inline int backend_set_state(struct backend_vcpu *bv, const struct guest_state *st)
{
	return backend->set_state(bv, st);
}

static inline int backend_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val)
{
	return backend->get_msr(bv, msr, val);
}

static inline int backend_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val)
{
	return backend->set_msr(bv, msr, val);
}

static inline int backend_run(struct backend_vcpu *bv, struct vm_exit *exit)
{
	return backend->run(bv, exit);
}

static inline int backend_inject_event(struct backend_vcpu *bv, const struct vm_event *ev)
{
	int err = backend->inject_event(bv, ev);

	if (!err)
		bv->queued = *ev;
	return err;
}

static inline bool backend_interrupt_allowed(struct backend_vcpu *bv)
{
	return backend->interrupt_allowed(bv);
}

static inline bool backend_nmi_allowed(struct backend_vcpu *bv)
{
	return backend->nmi_allowed(bv);
}

static inline void backend_set_intr_window(struct backend_vcpu *bv, bool on)
{
	backend->set_intr_window(bv, on);
}

static inline void backend_set_nmi_window(struct backend_vcpu *bv, bool on)
{
	backend->set_nmi_window(bv, on);
}

static inline void backend_tlb_flush(struct backend_vcpu *bv, enum backend_tlb_scope scope)
{
	backend->tlb_flush(bv, scope);
}

static inline int backend_set_tdp_root(struct backend_vcpu *bv, paddr_t root,
				       unsigned int levels)
{
	return backend->set_tdp_root(bv, root, levels);
}

static inline int backend_set_msr_intercept(struct backend_vcpu *bv, uint32_t msr,
					    bool read, bool write)
{
	return backend->set_msr_intercept(bv, msr, read, write);
}

static inline int backend_set_io_intercept(struct backend_vcpu *bv, uint32_t port,
					   uint32_t count, bool on)
{
	return backend->set_io_intercept(bv, port, count, on);
}

static inline uint64_t backend_get_tsc_offset(struct backend_vcpu *bv)
{
	return backend->get_tsc_offset(bv);
}

static inline void backend_set_tsc_offset(struct backend_vcpu *bv, uint64_t offset)
{
	backend->set_tsc_offset(bv, offset);
}

static inline void backend_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	backend->dump(bv, print, ctx);
}

static inline int backend_set_exception_intercept(struct backend_vcpu *bv,
						  unsigned int vector, bool on)
{
	if (!backend->set_exception_intercept)
		return -ENOTSUP;
	return backend->set_exception_intercept(bv, vector, on);
}

static inline int backend_set_cr_intercept(struct backend_vcpu *bv, unsigned int cr,
					   bool read, bool write)
{
	if (!backend->set_cr_intercept)
		return -ENOTSUP;
	return backend->set_cr_intercept(bv, cr, read, write);
}

/* Debug registers and controls: -ENOTSUP where the backend has none. */
static inline int backend_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d)
{
	if (!backend->get_dregs)
		return -ENOTSUP;
	backend->get_dregs(bv, d);
	return 0;
}

static inline int backend_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d)
{
	if (!backend->set_dregs)
		return -ENOTSUP;
	backend->set_dregs(bv, d);
	return 0;
}

static inline int backend_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags)
{
	if (!backend->set_debug_ctl)
		return flags ? -ENOTSUP : 0;
	return backend->set_debug_ctl(bv, flags);
}

/* The whole control block by field; -ENOTSUP if the backend has no such dump. */
static inline int backend_dump_control(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	if (!backend->dump_control)
		return -ENOTSUP;
	backend->dump_control(bv, print, ctx);
	return 0;
}

/* The event queued for the next entry; false if none (or not known). */
static inline bool backend_queued_event(struct backend_vcpu *bv, struct vm_event *ev)
{
	return backend->queued_event && backend->queued_event(bv, ev);
}

/*
 * PAUSE exits on or off (EXIT_PAUSE: the vCPU yields its CPU). A no-op
 * where the backend cannot intercept PAUSE or filters it for good
 * (backend_caps.pause_filtered).
 */
static inline void backend_set_pause_exit(struct backend_vcpu *bv, bool on)
{
	if (backend->set_pause_exit)
		backend->set_pause_exit(bv, on);
}

/*
 * The time (time_now_ns() scale; UINT64_MAX: none) by which the next run
 * of the guest must exit, for a backend that can bound the run itself
 * (VT-x's preemption timer: EXIT_PREEMPT_TIMER). The host timer armed
 * for the same deadline does it elsewhere; this holds where an emulated
 * CPU forces no exit for a host interrupt while the guest's IF is clear.
 */
static inline void backend_set_run_deadline(struct backend_vcpu *bv, uint64_t deadline_ns)
{
	if (backend->set_run_deadline)
		backend->set_run_deadline(bv, deadline_ns);
}

/* The vendor's name of a raw exit code, or "?" . */
static inline const char *backend_exit_raw_name(uint64_t raw)
{
	if (!backend->exit_raw_name)
		return "?";
	return backend->exit_raw_name(raw);
}

#endif
