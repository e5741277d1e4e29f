/*
 * The normalised VM exit record: what a backend (svm/, vmx/) makes of one
 * hardware exit, and what core/ dispatches on. core/ never looks at a
 * VMCB or VMCS; everything the exit handlers need is here, in one
 * vocabulary for both vendors.
 *
 * Types only, plus exit_reason_name(); runs anywhere. A record is filled
 * by backend_run() on the vCPU's own thread and read by that thread; it is
 * not shared.
 *
 * Contract for the run loop (docs/svm.md, "Run loop contract"):
 *  1. if event.valid, re-inject it (backend_inject_event()) before
 *     anything else: an event was being delivered when the exit happened
 *     and has not reached the guest;
 *  2. count the exit under its reason;
 *  3. if handled, re-enter: the backend has done all there is to do;
 *  4. otherwise dispatch on reason. Handlers that complete an instruction
 *     advance RIP by insn_len; insn_len 0 means the hardware did not say
 *     (SVM without NRIP save): decode the instruction at CS.base + RIP
 *     with insn_decode() (core/insn_len.h) in the mode guest.mode names.
 */
#ifndef CORE_EXIT_H
#define CORE_EXIT_H

#include "asm/cpu.h"
#include "core/guest_state.h"
#include "core/lib/compiler.h"

enum vm_exit_reason {
	EXIT_UNKNOWN,		/* raw code not understood; the VM cannot go on */
	EXIT_CPUID,
	EXIT_HLT,
	EXIT_IO,		/* IN/OUT/INS/OUTS on an intercepted port: io */
	EXIT_MSR_READ,		/* RDMSR of an intercepted MSR: msr */
	EXIT_MSR_WRITE,		/* WRMSR: msr; the value is EDX:EAX in regs */
	EXIT_CR_ACCESS,		/* cr */
	EXIT_DR_ACCESS,		/* dr */
	EXIT_TDP_FAULT,		/* NPF / EPT violation: gpa, tdp */
	EXIT_TDP_MISCONFIG,	/* EPT misconfiguration / NPF on a reserved bit */
	EXIT_EXTERNAL_INTR,	/* a host interrupt arrived; it is still pending */
	EXIT_NMI,		/* a host NMI arrived; the host takes it on exit */
	EXIT_SMI,		/* a host SMI arrived; firmware takes it on exit */
	EXIT_INTR_WINDOW,	/* the guest can take an interrupt now */
	EXIT_NMI_WINDOW,	/* the guest can take an NMI now */
	EXIT_TRIPLE_FAULT,	/* SVM SHUTDOWN / VMX triple fault */
	EXIT_VMCALL,		/* VMMCALL / VMCALL */
	EXIT_XSETBV,		/* index in ECX, value EDX:EAX */
	EXIT_EXCEPTION,		/* intercepted guest exception: exception */
	EXIT_INVLPG,		/* gla if gla_valid */
	EXIT_INIT,		/* an INIT signal arrived for this CPU */
	EXIT_SIPI,		/* VMX wait-for-SIPI left: sipi */
	EXIT_INVALID_STATE,	/* entry refused: invalid.why */
	EXIT_VIRT_INSN,		/* the guest executed an SVM / VMX instruction */
	EXIT_PAUSE,
	EXIT_RDTSC,
	EXIT_RDTSCP,
	EXIT_RDPMC,
	EXIT_INVD,
	EXIT_WBINVD,
	EXIT_MONITOR,
	EXIT_MWAIT,
	EXIT_IRET,		/* NMI-blocking bookkeeping (SVM); always handled */
	EXIT_TASK_SWITCH,	/* task */
	EXIT_SOFT_INT,		/* INT n intercepted (SVM, while #BP is: QEMU's INT3) */
	EXIT_MTF,		/* monitor trap flag: one guest instruction done */
	EXIT_PREEMPT_TIMER,	/* VMX preemption timer: the run's deadline passed */
	EXIT_NR
};

/* The kinds of event that can be injected or be found in delivery. */
enum vm_event_type {
	EVENT_EXTINT,		/* external (maskable) interrupt */
	EVENT_NMI,
	EVENT_EXCEPTION,	/* hardware exception, maybe with an error code */
	EVENT_SOFT_INT,		/* INT n */
	EVENT_SOFT_EXCEPTION,	/* INT3, INTO */
	EVENT_PRIV_SOFT_EXCEPTION, /* INT1 (ICEBP) */
};

/*
 * One event. For injection, RIP (in the vCPU's regs) is where the guest
 * is; for the soft types it is the address of the INT instruction and
 * insn_len its length: the backend arranges for the return address to be
 * RIP + insn_len the way its hardware wants it.
 */
struct vm_event {
	bool valid;
	bool has_error;		/* EVENT_EXCEPTION only */
	uint8_t type;		/* enum vm_event_type */
	uint8_t vector;
	uint8_t insn_len;	/* soft types only */
	uint32_t error_code;
};

/*
 * The mode the guest's code runs in, for instruction decoding and
 * emulation. Compatibility mode reads as PROT16/PROT32 (what its CS.D
 * selects); GUEST_MODE_LONG64 is 64-bit mode proper (EFER.LMA, CS.L).
 */
enum guest_cpu_mode {
	GUEST_MODE_REAL,
	GUEST_MODE_V86,
	GUEST_MODE_PROT16,
	GUEST_MODE_PROT32,
	GUEST_MODE_LONG64,
};

/*
 * The mode from the registers that select it: CR0.PE, RFLAGS.VM,
 * EFER.LMA, and CS's L and D bits (cs_attr packed as struct
 * guest_segment's attr). The one computation, for both backends.
 */
static inline enum guest_cpu_mode guest_cpu_mode(uint64_t cr0, uint64_t efer,
						 uint64_t rflags, uint32_t cs_attr)
{
	if (!(cr0 & X86_CR0_PE))
		return GUEST_MODE_REAL;
	if (rflags & X86_RFLAGS_VM)
		return GUEST_MODE_V86;
	if ((efer & EFER_LMA) && (cs_attr & SEG_ATTR_L))
		return GUEST_MODE_LONG64;
	return (cs_attr & SEG_ATTR_DB) ? GUEST_MODE_PROT32 : GUEST_MODE_PROT16;
}

/* Code size of a mode in bits: 16, 32 or 64 (the insn_decode() mode). */
static inline unsigned int guest_mode_code_bits(enum guest_cpu_mode m)
{
	switch (m) {
	case GUEST_MODE_LONG64:
		return 64;
	case GUEST_MODE_PROT32:
		return 32;
	default:
		return 16;
	}
}

enum vm_cr_access_type {
	CR_ACCESS_UNDECODED,	/* the hardware did not say: decode the instruction */
	CR_ACCESS_MOV,		/* MOV to/from CRn; gpr names the register */
	CR_ACCESS_CLTS,
	CR_ACCESS_LMSW,		/* lmsw_data holds the source operand */
	CR_ACCESS_LMSW_CLTS,	/* LMSW or CLTS (SVM decode assists do not say which) */
	CR_ACCESS_CR0_SEL,	/* SVM selective CR0 write: a bit other than TS/MP changes */
};

/* A register operand the hardware did not name: decode the instruction. */
#define EXIT_GPR_UNKNOWN 0xff
/* A segment the hardware did not name (string I/O). */
#define EXIT_SEG_UNKNOWN 0xff

struct vm_exit {
	enum vm_exit_reason reason;
	/*
	 * The backend has dealt with the exit completely (an intercept it
	 * keeps for its own bookkeeping or for host safety, such as the
	 * reflection of #AC): count it and re-enter.
	 */
	bool handled;
	/* Length of the instruction that exited; 0 = not known. */
	uint8_t insn_len;
	/*
	 * The first insn_nbytes bytes of that instruction as the CPU fetched
	 * them, where the hardware hands them over (SVM decode assists on a
	 * nested page fault); 0: not given, fetch from guest memory. They
	 * may end before the instruction does.
	 */
	uint8_t insn_nbytes;
	uint8_t insn_bytes[X86_INSN_MAX_LEN];

	/* Vendor data, for traces and the monitor. */
	uint64_t raw;		/* SVM EXITCODE / VMX basic exit reason */
	uint64_t qual;		/* SVM EXITINFO1 / VMX exit qualification */
	uint64_t info2;		/* SVM EXITINFO2 / VMX exit interruption info */

	uint64_t gpa;		/* guest physical address (TDP exits) */
	uint64_t gla;		/* guest linear address, if gla_valid */
	bool gpa_valid;
	bool gla_valid;

	/* Guest state at the exit: what decoding and emulation need first. */
	struct {
		uint8_t mode;	/* enum guest_cpu_mode */
		uint8_t cpl;
		uint64_t cs_base;
		uint64_t cr0, cr3, cr4, efer;
	} guest;

	/* An event that was being delivered: re-inject it (see above). */
	struct vm_event event;

	union {
		struct {
			uint16_t port;
			uint8_t size;		/* 1, 2 or 4 bytes */
			uint8_t addr_size;	/* string: 2, 4, 8; 0 = not given */
			uint8_t seg;		/* string: x86 sreg number or EXIT_SEG_UNKNOWN */
			bool in;
			bool string;
			bool rep;
		} io;
		struct {
			uint32_t index;		/* ECX */
		} msr;
		struct {
			uint8_t cr;		/* 0, 2, 3, 4, 8 */
			uint8_t type;		/* enum vm_cr_access_type */
			uint8_t gpr;		/* GPR_* or EXIT_GPR_UNKNOWN */
			bool write;
			uint16_t lmsw_data;
		} cr;
		struct {
			uint8_t dr;
			uint8_t gpr;		/* GPR_* or EXIT_GPR_UNKNOWN */
			bool write;
		} dr;
		struct {
			uint8_t vector;
			bool has_error;
			uint32_t error_code;
			/* #PF: the faulting linear address is in gla. */
			/* #DB: qual holds its DR6 bits (B0-B3, BD, BS). */
		} exception;
		struct {
			bool read, write, exec;	/* the access that faulted */
			bool user;		/* a user-mode access */
			bool present;		/* the translation existed: permissions */
			bool final;		/* on the final GPA (the data access) */
			bool walk;		/* on a guest page-table access */
			bool rsvd;		/* a reserved bit was set in a TDP entry */
		} tdp;
		struct {
			const char *why;	/* the failing check, or a general hint */
		} invalid;
		struct {
			uint8_t vector;
		} sipi;
		struct {
			uint16_t selector;	/* the new TSS */
			uint8_t source;		/* 0 CALL, 1 IRET, 2 JMP, 3 gate */
		} task;
	};
};

/* Architectural event rules, the same under both vendors. */

static inline bool vm_event_is_soft(const struct vm_event *ev)
{
	return ev->type == EVENT_SOFT_INT || ev->type == EVENT_SOFT_EXCEPTION ||
	       ev->type == EVENT_PRIV_SOFT_EXCEPTION;
}

/* The intercepted exception of an EXIT_EXCEPTION, as an event to reflect. */
static inline struct vm_event vm_exit_exception_event(const struct vm_exit *exit)
{
	return (struct vm_event){
		.valid = true, .type = EVENT_EXCEPTION, .vector = exit->exception.vector,
		.has_error = exit->exception.has_error,
		.error_code = exit->exception.error_code,
	};
}

/* Exceptions that push an error code (#DF, #TS-#PF, #AC, #CP, #VC, #SX). */
static inline bool x86_vector_has_error(unsigned int vector)
{
	return vector == VEC_DF || (vector >= VEC_TS && vector <= VEC_PF) ||
	       vector == VEC_AC || vector == VEC_CP || vector == VEC_VC || vector == VEC_SX;
}

/*
 * Is ev well formed for injection? Both EVENTINJ (APM 15.20) and VM-entry
 * injection (SDM 26.2.1.3) refuse the same malformed events.
 */
static inline bool vm_event_valid(const struct vm_event *ev)
{
	switch (ev->type) {
	case EVENT_EXTINT:
	case EVENT_NMI:
		return !ev->has_error;
	case EVENT_EXCEPTION:
		return ev->vector < VEC_EXCEPTIONS && ev->vector != VEC_NMI &&
		       ev->has_error == x86_vector_has_error(ev->vector);
	case EVENT_SOFT_INT:
		return !ev->has_error && ev->insn_len >= 1 && ev->insn_len <= X86_INSN_MAX_LEN;
	case EVENT_SOFT_EXCEPTION:
		return (ev->vector == VEC_BP || ev->vector == VEC_OF) && !ev->has_error &&
		       ev->insn_len >= 1 && ev->insn_len <= X86_INSN_MAX_LEN;
	case EVENT_PRIV_SOFT_EXCEPTION:
		return ev->vector == VEC_DB && !ev->has_error &&
		       ev->insn_len >= 1 && ev->insn_len <= X86_INSN_MAX_LEN;
	default:
		return false;
	}
}

/* Short name of a reason, for statistics and traces ("CPUID", "IO"). */
static inline const char *exit_reason_name(enum vm_exit_reason r)
{
	static const char *const names[EXIT_NR] = {
		[EXIT_UNKNOWN] = "UNKNOWN",
		[EXIT_CPUID] = "CPUID",
		[EXIT_HLT] = "HLT",
		[EXIT_IO] = "IO",
		[EXIT_MSR_READ] = "MSR_READ",
		[EXIT_MSR_WRITE] = "MSR_WRITE",
		[EXIT_CR_ACCESS] = "CR_ACCESS",
		[EXIT_DR_ACCESS] = "DR_ACCESS",
		[EXIT_TDP_FAULT] = "TDP_FAULT",
		[EXIT_TDP_MISCONFIG] = "TDP_MISCONFIG",
		[EXIT_EXTERNAL_INTR] = "EXTERNAL_INTR",
		[EXIT_NMI] = "NMI",
		[EXIT_SMI] = "SMI",
		[EXIT_INTR_WINDOW] = "INTR_WINDOW",
		[EXIT_NMI_WINDOW] = "NMI_WINDOW",
		[EXIT_TRIPLE_FAULT] = "TRIPLE_FAULT",
		[EXIT_VMCALL] = "VMCALL",
		[EXIT_XSETBV] = "XSETBV",
		[EXIT_EXCEPTION] = "EXCEPTION",
		[EXIT_INVLPG] = "INVLPG",
		[EXIT_INIT] = "INIT",
		[EXIT_SIPI] = "SIPI",
		[EXIT_INVALID_STATE] = "INVALID_STATE",
		[EXIT_VIRT_INSN] = "VIRT_INSN",
		[EXIT_PAUSE] = "PAUSE",
		[EXIT_RDTSC] = "RDTSC",
		[EXIT_RDTSCP] = "RDTSCP",
		[EXIT_RDPMC] = "RDPMC",
		[EXIT_INVD] = "INVD",
		[EXIT_WBINVD] = "WBINVD",
		[EXIT_MONITOR] = "MONITOR",
		[EXIT_MWAIT] = "MWAIT",
		[EXIT_IRET] = "IRET",
		[EXIT_TASK_SWITCH] = "TASK_SWITCH",
		[EXIT_SOFT_INT] = "SOFT_INT",
		[EXIT_MTF] = "MTF",
		[EXIT_PREEMPT_TIMER] = "PREEMPT_TIMER",
	};

	if ((unsigned int)r >= EXIT_NR || !names[r])
		return "?";
	return names[r];
}

#endif
