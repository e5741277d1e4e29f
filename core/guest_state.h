/*
 * The x86 CPU state of a guest as everything outside the backends sees
 * it: general registers, segments with their hidden parts, descriptor
 * tables, control registers and the MSRs the hardware switches; and the
 * architectural starting states (power-on, INIT, SIPI, flat protected
 * mode, long mode) that every loader builds on. Plain data and inline
 * helpers: no locks, any context.
 */
#ifndef CORE_GUEST_STATE_H
#define CORE_GUEST_STATE_H

/* Offsets in struct guest_regs for the backends' entry code; checked below. */
#define GUEST_REGS_RAX  0x00
#define GUEST_REGS_RCX  0x08
#define GUEST_REGS_RDX  0x10
#define GUEST_REGS_RBX  0x18
#define GUEST_REGS_RSP  0x20
#define GUEST_REGS_RBP  0x28
#define GUEST_REGS_RSI  0x30
#define GUEST_REGS_RDI  0x38
#define GUEST_REGS_R8   0x40
#define GUEST_REGS_R9   0x48
#define GUEST_REGS_R10  0x50
#define GUEST_REGS_R11  0x58
#define GUEST_REGS_R12  0x60
#define GUEST_REGS_R13  0x68
#define GUEST_REGS_R14  0x70
#define GUEST_REGS_R15  0x78

#ifdef __ASSEMBLY__

/*
 * For the entry code: every general register but RAX, RSP and RDI to or
 * from the struct guest_regs that \regs points to. RAX and RDI are left
 * to the caller (the pointer lives in one, the vendor's instruction may
 * want the other); RSP is in the VMCB / VMCS.
 */
.macro guest_regs_load regs
	movq GUEST_REGS_RCX(\regs), %rcx
	movq GUEST_REGS_RDX(\regs), %rdx
	movq GUEST_REGS_RBX(\regs), %rbx
	movq GUEST_REGS_RBP(\regs), %rbp
	movq GUEST_REGS_RSI(\regs), %rsi
	movq GUEST_REGS_R8(\regs), %r8
	movq GUEST_REGS_R9(\regs), %r9
	movq GUEST_REGS_R10(\regs), %r10
	movq GUEST_REGS_R11(\regs), %r11
	movq GUEST_REGS_R12(\regs), %r12
	movq GUEST_REGS_R13(\regs), %r13
	movq GUEST_REGS_R14(\regs), %r14
	movq GUEST_REGS_R15(\regs), %r15
.endm

.macro guest_regs_store regs
	movq %rcx, GUEST_REGS_RCX(\regs)
	movq %rdx, GUEST_REGS_RDX(\regs)
	movq %rbx, GUEST_REGS_RBX(\regs)
	movq %rbp, GUEST_REGS_RBP(\regs)
	movq %rsi, GUEST_REGS_RSI(\regs)
	movq %r8, GUEST_REGS_R8(\regs)
	movq %r9, GUEST_REGS_R9(\regs)
	movq %r10, GUEST_REGS_R10(\regs)
	movq %r11, GUEST_REGS_R11(\regs)
	movq %r12, GUEST_REGS_R12(\regs)
	movq %r13, GUEST_REGS_R13(\regs)
	movq %r14, GUEST_REGS_R14(\regs)
	movq %r15, GUEST_REGS_R15(\regs)
.endm

#else

#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/lib/compiler.h"

/* ------------------------------------------------------------------------
 * Guest register state
 */

/* General registers in the x86 encoding order (ModRM.reg + REX.R * 8). */
enum guest_gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

/*
 * What every exit handler reads and writes: the vCPU's general registers,
 * RIP and RFLAGS. Lives in struct backend_vcpu; backend_run() loads it
 * into the guest on entry and stores the guest's values back on exit, so
 * between exits it is the truth and handlers change it in place.
 */
struct guest_regs {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;
	uint64_t rflags;
};
_Static_assert(sizeof(struct guest_regs) == 18 * 8, "guest_regs layout (svm_entry.S)");
#define GUEST_REGS_CHECK(r) \
	_Static_assert(offsetof(struct guest_regs, gpr[GPR_##r]) == GUEST_REGS_##r, \
		       "entry code offset of " #r)
GUEST_REGS_CHECK(RAX);
GUEST_REGS_CHECK(RCX);
GUEST_REGS_CHECK(RDX);
GUEST_REGS_CHECK(RBX);
GUEST_REGS_CHECK(RSP);
GUEST_REGS_CHECK(RBP);
GUEST_REGS_CHECK(RSI);
GUEST_REGS_CHECK(RDI);
GUEST_REGS_CHECK(R8);
GUEST_REGS_CHECK(R9);
GUEST_REGS_CHECK(R10);
GUEST_REGS_CHECK(R11);
GUEST_REGS_CHECK(R12);
GUEST_REGS_CHECK(R13);
GUEST_REGS_CHECK(R14);
GUEST_REGS_CHECK(R15);
#undef GUEST_REGS_CHECK

/* Segment registers in the x86 encoding order, then LDTR and TR. */
enum guest_seg {
	SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR,
	SEG_COUNT
};

/*
 * A segment register with its hidden part. attr holds the descriptor's
 * attribute bits packed as in the VMCB (bits 40-47 and 52-55 of the
 * descriptor in bits 0-11), plus SEG_ATTR_UNUSABLE (a null selector was
 * loaded: VMX's "unusable", SVM's P=0).
 */
struct guest_segment {
	uint64_t base;
	uint32_t limit;		/* in bytes, G already applied */
	uint16_t selector;
	uint32_t attr;
};

#define SEG_ATTR_TYPE_MASK  0xfu
#define SEG_ATTR_S          BIT(4)	/* code/data (not system) */
#define SEG_ATTR_DPL_SHIFT  5
#define SEG_ATTR_DPL_MASK   (3u << SEG_ATTR_DPL_SHIFT)
#define SEG_ATTR_P          BIT(7)
#define SEG_ATTR_AVL        BIT(8)
#define SEG_ATTR_L          BIT(9)	/* 64-bit code */
#define SEG_ATTR_DB         BIT(10)	/* 32-bit default size */
#define SEG_ATTR_G          BIT(11)
#define SEG_ATTR_UNUSABLE   BIT(16)

/* Bits of a code/data segment's type, then whole types. */
#define SEG_TYPE_A          0x1u	/* accessed */
#define SEG_TYPE_RW         0x2u	/* code: readable; data: writable */
#define SEG_TYPE_EC         0x4u	/* code: conforming; data: expand-down */
#define SEG_TYPE_CODE       0x8u

#define SEG_TYPE_DATA_RWA   0x3u	/* read/write, accessed */
#define SEG_TYPE_CODE_XRA   0xbu	/* execute/read, accessed */
#define SEG_TYPE_LDT        0x2u
#define SEG_TYPE_TSS16_BUSY 0x3u
#define SEG_TYPE_TSS_BUSY   0xbu	/* 32-bit / 64-bit TSS, busy */

struct guest_dtable {
	uint64_t base;
	uint16_t limit;
};

/*
 * Everything a loader sets up and the monitor shows: registers, control
 * and segment state, the MSRs the hardware switches. The guest_state_init
 * helpers below build the usual starting points.
 */
struct guest_state {
	struct guest_regs regs;
	struct guest_segment seg[SEG_COUNT];
	struct guest_dtable gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;		/* as the guest sees it (no SVME) */
	uint64_t dr[4];		/* DR0-DR3: 0 after RESET and INIT */
	uint64_t dr6, dr7;
	uint64_t pat;
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	bool interrupt_shadow;	/* after STI / MOV SS: no interrupt yet */
	bool nmi_masked;	/* an NMI handler runs (until its IRET) */
};

/* ------------------------------------------------------------------------
 * Starting states for loaders. Each fills the whole of *st; the caller
 * sets the registers the boot protocol wants (RSI = boot_params, ...)
 * and passes *st to backend_set_state().
 */

static inline void guest_segment_set(struct guest_segment *s, uint16_t sel,
				     uint64_t base, uint32_t limit, uint32_t attr)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attr = attr;
}

/* Everything but segments and control registers at its reset value. */
static inline void guest_state_clear(struct guest_state *st)
{
	*st = (struct guest_state){
		.regs.rflags = X86_RFLAGS_FIXED,
		.gdtr.limit = 0xffff,
		.idtr.limit = 0xffff,
		.dr6 = X86_DR6_RESET,
		.dr7 = X86_DR7_RESET,
		.pat = PAT_RESET,
	};
	guest_segment_set(&st->seg[SEG_LDTR], 0, 0, 0xffff,
			  SEG_ATTR_P | SEG_TYPE_LDT);
	guest_segment_set(&st->seg[SEG_TR], 0, 0, 0xffff,
			  SEG_ATTR_P | SEG_TYPE_TSS_BUSY);
}

/*
 * Real mode at cs:ip, as after INIT-SIPI-SIPI with vector v for
 * cs = v << 8, ip = 0. Data segments at 0 with 64 KiB limits.
 */
static inline void guest_state_init_real(struct guest_state *st, uint16_t cs, uint16_t ip)
{
	const uint32_t data = SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_DATA_RWA;
	unsigned int i;

	guest_state_clear(st);
	for (i = SEG_ES; i <= SEG_GS; i++)
		guest_segment_set(&st->seg[i], 0, 0, 0xffff, data);
	guest_segment_set(&st->seg[SEG_CS], cs, (uint64_t)cs << 4, 0xffff,
			  SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_CODE_XRA);
	st->regs.rip = ip;
	st->cr0 = X86_CR0_ET;
}

/* The x86 power-on state: F000:FFF0 with CS base 0xffff0000. */
static inline void guest_state_init_reset(struct guest_state *st)
{
	guest_state_init_real(st, 0xf000, 0xfff0);
	st->seg[SEG_CS].base = 0xffff0000ull;
	st->cr0 = X86_CR0_RESET;
}

/*
 * 32-bit flat protected mode, paging off, at entry: CS = cs_sel, all data
 * segments = ds_sel, 4 GiB limits. What Multiboot asks for (with EAX and
 * EBX set by the caller); the GDT the selectors name is the guest's
 * business (gdtr stays empty until the guest loads its own).
 */
static inline void guest_state_init_flat32(struct guest_state *st, uint32_t entry,
					   uint16_t cs_sel, uint16_t ds_sel)
{
	const uint32_t flat = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_ATTR_G;
	unsigned int i;

	guest_state_clear(st);
	for (i = SEG_ES; i <= SEG_GS; i++)
		guest_segment_set(&st->seg[i], ds_sel, 0, 0xffffffff,
				  flat | SEG_TYPE_DATA_RWA);
	guest_segment_set(&st->seg[SEG_CS], cs_sel, 0, 0xffffffff,
			  flat | SEG_TYPE_CODE_XRA);
	st->regs.rip = entry;
	st->cr0 = X86_CR0_PE | X86_CR0_ET;
}

/*
 * 64-bit long mode at entry with paging through the 4-level tables at
 * cr3 (which the caller has built in guest memory); CS = cs_sel (64-bit),
 * data segments = ds_sel. What the Linux 64-bit boot protocol asks for
 * (__BOOT_CS 0x10, __BOOT_DS 0x18, RSI = boot_params).
 */
static inline void guest_state_init_long64(struct guest_state *st, uint64_t entry,
					   uint64_t cr3, uint16_t cs_sel, uint16_t ds_sel)
{
	guest_state_init_flat32(st, 0, cs_sel, ds_sel);
	st->seg[SEG_CS].attr = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_L | SEG_ATTR_G |
			       SEG_TYPE_CODE_XRA;
	st->regs.rip = entry;
	st->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	st->cr3 = cr3;
	st->cr4 = X86_CR4_PAE;
	st->efer = EFER_LME | EFER_LMA;
}

#endif /* __ASSEMBLY__ */

#endif
