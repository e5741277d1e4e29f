/*
 * Debug intercepts for a guest debugger (a GDB stub): software
 * breakpoints (#BP), single steps, hardware breakpoints and watchpoints
 * (DR0-DR3/DR7), and the hook through which the run loop reports each
 * stop they cause. Vendor-free: the backends' part goes through
 * core/backend.h (set_exception_intercept, get_dregs/set_dregs,
 * set_debug_ctl); docs/debugging.md, "Debug intercepts".
 *
 * Where it runs: everything here on the vCPU's own thread, with the vCPU
 * loaded (between exits of its run loop, or from the debug hook). No lock:
 * the state belongs to the vCPU's thread.
 *
 * Who owns the debug registers: the guest, until the debugger sets a
 * hardware breakpoint. From then until the debugger has none left, the
 * debugger's DR0-DR3/DR7 are in the CPU; the guest's own DR0-DR3, DR6
 * and DR7 live in a shadow, and its MOV to or from a DR exits and is
 * served from the shadow. When the debugger releases them the shadow goes
 * back into the CPU.
 *
 * How a #BP and a #DB are classified:
 *  - #BP (INT3 at RIP): the hook decides (it knows where it planted its
 *    INT3s). Its answer true: a stop, RIP at the INT3; false: the #BP is
 *    the guest's own and is re-injected unchanged (its IDT handler runs
 *    with the return address past the INT3, as on bare metal).
 *  - #DB with DR6.Bn for a breakpoint n the debugger set: a hardware
 *    breakpoint (execution: RIP at the instruction, which then runs with
 *    RFLAGS.RF) or a watchpoint (RIP past the access).
 *  - #DB with DR6.BS while the debugger steps: the step is done.
 *  - any other #DB is the guest's: re-injected with DR6 as the CPU sets it
 *    (in the shadow while the debugger owns the registers).
 *
 * Single steps use the monitor trap flag where the CPU has it (VT-x);
 * otherwise RFLAGS.TF, set by the hypervisor before each entry and taken
 * out of RFLAGS after each exit (the guest's own TF is kept). While a step
 * is in progress no interrupt or NMI is injected (the sources keep them
 * pending), as QEMU's gdbstub does by default. An instruction the
 * hypervisor emulates (I/O, CPUID, MSRs, MMIO, hypercalls) ends its step
 * right after the emulation. Limits (TF only): the guest's PUSHF during a
 * step pushes TF set; a POPF or IRET stepped over keeps the guest's old
 * TF; a trap of the guest's own TF that coincides with a step is lost.
 */
#ifndef CORE_VCPU_DEBUG_H
#define CORE_VCPU_DEBUG_H

#include "core/vm.h"

#define VCPU_DEBUG_HW_NR 4

enum vcpu_debug_hw_kind {
	VCPU_DEBUG_HW_EXEC,	/* instruction breakpoint (len 1) */
	VCPU_DEBUG_HW_WRITE,	/* data write watchpoint */
	VCPU_DEBUG_HW_ACCESS,	/* data read/write watchpoint */
};

/* What the debugger wants on one vCPU. */
struct vcpu_debug_cfg {
	bool sw_breakpoints;	/* intercept #BP, ask the hook about each */
	bool step;		/* a stop after each guest instruction */
	struct {
		uint64_t addr;	/* guest linear; aligned to len */
		uint8_t kind;	/* enum vcpu_debug_hw_kind */
		uint8_t len;	/* 1, 2, 4 or 8 */
		bool on;
	} hw[VCPU_DEBUG_HW_NR];
};

enum vcpu_debug_stop_kind {
	VCPU_DEBUG_STOP_SW_BP,	/* INT3 at rip */
	VCPU_DEBUG_STOP_HW_BP,	/* hardware breakpoint hw at rip */
	VCPU_DEBUG_STOP_WATCH,	/* watchpoint hw on addr; rip past the access */
	VCPU_DEBUG_STOP_STEP,	/* one instruction done; rip is the next */
};

struct vcpu_debug_stop {
	enum vcpu_debug_stop_kind kind;
	unsigned int hw;	/* HW_BP, WATCH: the breakpoint's index */
	uint64_t addr;		/* WATCH: the watched address */
	uint64_t rip;		/* the guest's RIP now (not linear: CS.base apart) */
};

/*
 * The per-VM hook (vm->debug_stop): called on the vCPU's thread for each
 * stop the debugger caused, with the guest's registers as they are after
 * it. Must not block long: the debugger pauses the VM through a request,
 * which the loop services right after the hook. Returns whether the stop
 * is the debugger's; false is meaningful only for VCPU_DEBUG_STOP_SW_BP
 * (the guest's own INT3: re-injected). It may call vcpu_debug_set().
 */
typedef bool (*vcpu_debug_stop_fn)(struct vcpu *vcpu, const struct vcpu_debug_stop *why);

/*
 * Arms what cfg asks for on vcpu (vCPU thread; cfg with nothing on
 * disarms and releases the debug registers). Returns 0; -EINVAL for a
 * malformed breakpoint (length, alignment, kind), changing nothing;
 * -ENOTSUP if the backend has no debug support; -ENOMEM.
 */
int vcpu_debug_set(struct vcpu *vcpu, const struct vcpu_debug_cfg *cfg);

/* Frees vcpu's debug state (vm_destroy()). */
void vcpu_debug_free(struct vcpu *vcpu);

/*
 * The run loop's calls (core/vcpu_run.c). vcpu_debug_entry() before each
 * entry: returns true when no interrupt or NMI may be injected now (a step
 * is in progress). vcpu_debug_exit() right after the exit: takes the step's
 * TF out of RFLAGS. vcpu_debug_exit_done() after the exit was handled,
 * with the RIP of the exit: if the handler completed the instruction, ends
 * a debugger's step there, or raises the single-step #DB of the guest's
 * own TF (debugger or not, as the CPU would have).
 */
bool vcpu_debug_entry(struct vcpu *vcpu);
void vcpu_debug_exit(struct vcpu *vcpu, const struct vm_exit *exit);
void vcpu_debug_exit_done(struct vcpu *vcpu, const struct vm_exit *exit, uint64_t exit_rip);

/*
 * Exits of the debug intercepts (core/vcpu_exit.c): #BP, #DB, INT n (SVM),
 * MTF and DR accesses. 0 to re-enter, < 0 the VM was stopped.
 */
int vcpu_debug_handle_exit(struct vcpu *vcpu, struct vm_exit *exit);

#endif
