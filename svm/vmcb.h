/*
 * The AMD-V Virtual Machine Control Block and its constants (AMD64 APM
 * vol. 2, appendix B "Layout of VMCB", appendix C "SVM Intercept Exit
 * Codes", section 15). Every field the SVM backend uses has its offset
 * checked below; reserved space is named after its offset.
 *
 * Types and constants only; runs anywhere (also built on the host).
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include "core/lib/compiler.h"

/* ------------------------------------------------------------------------
 * Control area, offsets 0x000-0x3ff
 */

/* Intercept vector 3 (offset 0x00c). */
#define SVM_INTERCEPT_INTR         BIT(0)
#define SVM_INTERCEPT_NMI          BIT(1)
#define SVM_INTERCEPT_SMI          BIT(2)
#define SVM_INTERCEPT_INIT         BIT(3)
#define SVM_INTERCEPT_VINTR        BIT(4)
#define SVM_INTERCEPT_CR0_SEL      BIT(5)
#define SVM_INTERCEPT_RDTSC        BIT(14)
#define SVM_INTERCEPT_RDPMC        BIT(15)
#define SVM_INTERCEPT_CPUID        BIT(18)
#define SVM_INTERCEPT_RSM          BIT(19)
#define SVM_INTERCEPT_IRET         BIT(20)
#define SVM_INTERCEPT_INTN         BIT(21)
#define SVM_INTERCEPT_INVD         BIT(22)
#define SVM_INTERCEPT_PAUSE        BIT(23)
/* PAUSEs before the intercept fires, and the most cycles between two (KVM's). */
#define SVM_PAUSE_FILTER_COUNT     3000
#define SVM_PAUSE_FILTER_THRESH    128
#define SVM_INTERCEPT_HLT          BIT(24)
#define SVM_INTERCEPT_INVLPG       BIT(25)
#define SVM_INTERCEPT_INVLPGA      BIT(26)
#define SVM_INTERCEPT_IOIO_PROT    BIT(27)
#define SVM_INTERCEPT_MSR_PROT     BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH  BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE  BIT(30)
#define SVM_INTERCEPT_SHUTDOWN     BIT(31)

/* Intercept vector 4 (offset 0x010). */
#define SVM_INTERCEPT_VMRUN        BIT(0)
#define SVM_INTERCEPT_VMMCALL      BIT(1)
#define SVM_INTERCEPT_VMLOAD       BIT(2)
#define SVM_INTERCEPT_VMSAVE       BIT(3)
#define SVM_INTERCEPT_STGI         BIT(4)
#define SVM_INTERCEPT_CLGI         BIT(5)
#define SVM_INTERCEPT_SKINIT       BIT(6)
#define SVM_INTERCEPT_RDTSCP       BIT(7)
#define SVM_INTERCEPT_ICEBP        BIT(8)
#define SVM_INTERCEPT_WBINVD       BIT(9)
#define SVM_INTERCEPT_MONITOR      BIT(10)
#define SVM_INTERCEPT_MWAIT        BIT(11)
#define SVM_INTERCEPT_MWAIT_ARMED  BIT(12)
#define SVM_INTERCEPT_XSETBV       BIT(13)

/* int_ctl (offset 0x060, low word of the V_* quadword). */
#define SVM_V_TPR_MASK             0xfu
#define SVM_V_IRQ                  BIT(8)
#define SVM_V_GIF                  BIT(9)
#define SVM_V_INTR_PRIO_SHIFT      16
#define SVM_V_INTR_PRIO_MASK       (0xfu << SVM_V_INTR_PRIO_SHIFT)
#define SVM_V_IGN_TPR              BIT(20)
#define SVM_V_INTR_MASKING         BIT(24)
#define SVM_V_GIF_ENABLE           BIT(25)

/* int_state (offset 0x068). */
#define SVM_INT_STATE_SHADOW       BIT(0)

/* tlb_control (offset 0x05c). */
#define SVM_TLB_CONTROL_NONE       0x00
#define SVM_TLB_CONTROL_FLUSH_ALL  0x01	/* every ASID, every entry */
#define SVM_TLB_CONTROL_FLUSH_ASID 0x03	/* this guest's ASID (flush-by-ASID) */

/* nested_ctl (offset 0x090). */
#define SVM_NESTED_CTL_NP_ENABLE   BIT(0)

/*
 * EVENTINJ (0x0a8) and EXITINTINFO (0x088): one format, bits 31:0 as
 * core/event_info.h has them, the error code in bits 63:32.
 */
#define SVM_EVTINJ_ERROR_SHIFT     32

/*
 * VMCB clean bits (offset 0x0c0): a set bit tells the CPU that the group
 * has not changed since the last VMRUN of this VMCB on this CPU.
 */
#define VMCB_CLEAN_INTERCEPTS      BIT(0)	/* intercepts, TSC offset, pause filter */
#define VMCB_CLEAN_IOPM            BIT(1)	/* IOPM/MSRPM bases (and contents) */
#define VMCB_CLEAN_ASID            BIT(2)
#define VMCB_CLEAN_TPR             BIT(3)	/* V_TPR .. V_INTR_VECTOR */
#define VMCB_CLEAN_NP              BIT(4)	/* NP_ENABLE, N_CR3, G_PAT */
#define VMCB_CLEAN_CRX             BIT(5)	/* CR0, CR3, CR4, EFER */
#define VMCB_CLEAN_DRX             BIT(6)	/* DR6, DR7 */
#define VMCB_CLEAN_DT              BIT(7)	/* GDTR, IDTR */
#define VMCB_CLEAN_SEG             BIT(8)	/* CS, DS, SS, ES, CPL */
#define VMCB_CLEAN_CR2             BIT(9)
#define VMCB_CLEAN_LBR             BIT(10)
#define VMCB_CLEAN_AVIC            BIT(11)
#define VMCB_CLEAN_ALL             0xfffu

/* Exit codes (EXITCODE, offset 0x070). */
#define SVM_EXIT_CR0_READ          0x000	/* + n: read of CRn */
#define SVM_EXIT_CR0_WRITE         0x010	/* + n: write of CRn */
#define SVM_EXIT_DR0_READ          0x020
#define SVM_EXIT_DR0_WRITE         0x030
#define SVM_EXIT_EXCP_BASE         0x040	/* + vector */
#define SVM_EXIT_INTR              0x060
#define SVM_EXIT_NMI               0x061
#define SVM_EXIT_SMI               0x062
#define SVM_EXIT_INIT              0x063
#define SVM_EXIT_VINTR             0x064
#define SVM_EXIT_CR0_SEL_WRITE     0x065
#define SVM_EXIT_IDTR_READ         0x066
#define SVM_EXIT_TR_WRITE          0x06d
#define SVM_EXIT_RDTSC             0x06e
#define SVM_EXIT_RDPMC             0x06f
#define SVM_EXIT_PUSHF             0x070
#define SVM_EXIT_POPF              0x071
#define SVM_EXIT_CPUID             0x072
#define SVM_EXIT_RSM               0x073
#define SVM_EXIT_IRET              0x074
#define SVM_EXIT_SWINT             0x075
#define SVM_EXIT_INVD              0x076
#define SVM_EXIT_PAUSE             0x077
#define SVM_EXIT_HLT               0x078
#define SVM_EXIT_INVLPG            0x079
#define SVM_EXIT_INVLPGA           0x07a
#define SVM_EXIT_IOIO              0x07b
#define SVM_EXIT_MSR               0x07c
#define SVM_EXIT_TASK_SWITCH       0x07d
#define SVM_EXIT_FERR_FREEZE       0x07e
#define SVM_EXIT_SHUTDOWN          0x07f
#define SVM_EXIT_VMRUN             0x080
#define SVM_EXIT_VMMCALL           0x081
#define SVM_EXIT_VMLOAD            0x082
#define SVM_EXIT_VMSAVE            0x083
#define SVM_EXIT_STGI              0x084
#define SVM_EXIT_CLGI              0x085
#define SVM_EXIT_SKINIT            0x086
#define SVM_EXIT_RDTSCP            0x087
#define SVM_EXIT_ICEBP             0x088
#define SVM_EXIT_WBINVD            0x089
#define SVM_EXIT_MONITOR           0x08a
#define SVM_EXIT_MWAIT             0x08b
#define SVM_EXIT_MWAIT_ARMED       0x08c
#define SVM_EXIT_XSETBV            0x08d
#define SVM_EXIT_RDPRU             0x08e
#define SVM_EXIT_NPF               0x400
#define SVM_EXIT_AVIC_INCOMPLETE   0x401
#define SVM_EXIT_AVIC_NOACCEL      0x402
#define SVM_EXIT_VMGEXIT           0x403
#define SVM_EXIT_INVALID           (~0ull)	/* VMRUN refused the VMCB */
#define SVM_EXIT_BUSY              (~1ull)

/* IOIO EXITINFO1. */
#define SVM_IOIO_TYPE_IN           BIT(0)
#define SVM_IOIO_STR               BIT(2)
#define SVM_IOIO_REP               BIT(3)
#define SVM_IOIO_SZ8               BIT(4)
#define SVM_IOIO_SZ16              BIT(5)
#define SVM_IOIO_SZ32              BIT(6)
#define SVM_IOIO_A16               BIT(7)
#define SVM_IOIO_A32               BIT(8)
#define SVM_IOIO_A64               BIT(9)
#define SVM_IOIO_SEG_SHIFT         10
#define SVM_IOIO_SEG_MASK          (7u << SVM_IOIO_SEG_SHIFT)
#define SVM_IOIO_PORT_SHIFT        16

/* NPF EXITINFO1 (the error code of the nested fault). */
#define SVM_NPF_P                  BIT_ULL(0)	/* the translation was present */
#define SVM_NPF_RW                 BIT_ULL(1)	/* a write */
#define SVM_NPF_US                 BIT_ULL(2)	/* a user access */
#define SVM_NPF_RSV                BIT_ULL(3)	/* a reserved bit was set */
#define SVM_NPF_ID                 BIT_ULL(4)	/* an instruction fetch */
#define SVM_NPF_FINAL              BIT_ULL(32)	/* on the final guest-physical address */
#define SVM_NPF_WALK               BIT_ULL(33)	/* on a guest page-table access */

/* CR and DR access EXITINFO1 with decode assists. */
#define SVM_CR_INFO_MOV            BIT_ULL(63)	/* MOV CRn (not LMSW/CLTS) */
#define SVM_CR_INFO_GPR_MASK       0xfull

/* MSR EXITINFO1. */
#define SVM_MSR_INFO_WRITE         1

/* Task switch EXITINFO2. */
#define SVM_TS_IRET                BIT_ULL(36)
#define SVM_TS_JMP                 BIT_ULL(38)
#define SVM_TS_HAS_ERROR           BIT_ULL(44)

/* MSR and I/O permission maps. */
#define SVM_IOPM_SIZE              (12 * 1024)
#define SVM_MSRPM_SIZE             (8 * 1024)
#define SVM_MSRPM_RANGE_MSRS       0x2000u	/* MSRs per range */
#define SVM_MSRPM_RANGE_BYTES      0x800u	/* bytes per range */

/* MSRs of SVM itself. */
#define MSR_VM_CR                  0xc0010114
#define   VM_CR_LOCK               BIT(3)
#define   VM_CR_SVMDIS             BIT(4)
#define MSR_VM_HSAVE_PA            0xc0010117

struct vmcb_control {
	uint32_t intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	uint32_t intercept_dr;		/* 0x004: reads 15:0, writes 31:16 */
	uint32_t intercept_exceptions;	/* 0x008 */
	uint32_t intercept_misc1;	/* 0x00c: SVM_INTERCEPT_INTR .. SHUTDOWN */
	uint32_t intercept_misc2;	/* 0x010: SVM_INTERCEPT_VMRUN .. */
	uint32_t intercept_misc3;	/* 0x014 */
	uint8_t reserved_0x018[36];
	uint16_t pause_filter_threshold; /* 0x03c */
	uint16_t pause_filter_count;	/* 0x03e */
	uint64_t iopm_base_pa;		/* 0x040 */
	uint64_t msrpm_base_pa;		/* 0x048 */
	uint64_t tsc_offset;		/* 0x050 */
	uint32_t guest_asid;		/* 0x058 */
	uint8_t tlb_control;		/* 0x05c */
	uint8_t reserved_0x05d[3];
	uint32_t int_ctl;		/* 0x060: V_TPR, V_IRQ, V_INTR_* */
	uint32_t int_vector;		/* 0x064: V_INTR_VECTOR */
	uint32_t int_state;		/* 0x068: interrupt shadow */
	uint8_t reserved_0x06c[4];
	uint64_t exit_code;		/* 0x070 */
	uint64_t exit_info1;		/* 0x078 */
	uint64_t exit_info2;		/* 0x080 */
	uint64_t exit_int_info;		/* 0x088 */
	uint64_t nested_ctl;		/* 0x090: NP_ENABLE */
	uint64_t avic_apic_bar;		/* 0x098 */
	uint64_t ghcb_pa;		/* 0x0a0 */
	uint64_t event_inj;		/* 0x0a8 */
	uint64_t nested_cr3;		/* 0x0b0: N_CR3 */
	uint64_t virt_ext;		/* 0x0b8: LBR virtualization, V_VMLOAD */
	uint32_t clean;			/* 0x0c0: VMCB_CLEAN_* */
	uint32_t reserved_0x0c4;
	uint64_t next_rip;		/* 0x0c8: nRIP */
	uint8_t insn_fetched;		/* 0x0d0: bytes of insn_bytes valid */
	uint8_t insn_bytes[15];		/* 0x0d1 */
	uint8_t reserved_0x0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;		/* descriptor bits 40-47, 52-55 */
	uint32_t limit;
	uint64_t base;
} __packed;

struct vmcb_save {
	struct vmcb_seg es;		/* 0x000 */
	struct vmcb_seg cs;		/* 0x010 */
	struct vmcb_seg ss;		/* 0x020 */
	struct vmcb_seg ds;		/* 0x030 */
	struct vmcb_seg fs;		/* 0x040 */
	struct vmcb_seg gs;		/* 0x050 */
	struct vmcb_seg gdtr;		/* 0x060 */
	struct vmcb_seg ldtr;		/* 0x070 */
	struct vmcb_seg idtr;		/* 0x080 */
	struct vmcb_seg tr;		/* 0x090 */
	uint8_t reserved_0x0a0[43];
	uint8_t cpl;			/* 0x0cb */
	uint8_t reserved_0x0cc[4];
	uint64_t efer;			/* 0x0d0 */
	uint8_t reserved_0x0d8[112];
	uint64_t cr4;			/* 0x148 */
	uint64_t cr3;			/* 0x150 */
	uint64_t cr0;			/* 0x158 */
	uint64_t dr7;			/* 0x160 */
	uint64_t dr6;			/* 0x168 */
	uint64_t rflags;		/* 0x170 */
	uint64_t rip;			/* 0x178 */
	uint8_t reserved_0x180[88];
	uint64_t rsp;			/* 0x1d8 */
	uint64_t s_cet;			/* 0x1e0 */
	uint64_t ssp;			/* 0x1e8 */
	uint64_t isst_addr;		/* 0x1f0 */
	uint64_t rax;			/* 0x1f8 */
	uint64_t star;			/* 0x200 */
	uint64_t lstar;			/* 0x208 */
	uint64_t cstar;			/* 0x210 */
	uint64_t sfmask;		/* 0x218 */
	uint64_t kernel_gs_base;	/* 0x220 */
	uint64_t sysenter_cs;		/* 0x228 */
	uint64_t sysenter_esp;		/* 0x230 */
	uint64_t sysenter_eip;		/* 0x238 */
	uint64_t cr2;			/* 0x240 */
	uint8_t reserved_0x248[32];
	uint64_t g_pat;			/* 0x268 */
	uint64_t dbgctl;		/* 0x270 */
	uint64_t br_from;		/* 0x278 */
	uint64_t br_to;			/* 0x280 */
	uint64_t last_excp_from;	/* 0x288 */
	uint64_t last_excp_to;		/* 0x290 */
	uint8_t reserved_0x298[0xc00 - 0x298];
} __packed;

/* One 4 KiB page, 4 KiB aligned: also the layout of the host save areas. */
struct vmcb {
	struct vmcb_control control;	/* 0x000 */
	struct vmcb_save save;		/* 0x400 */
} __packed;

#define VMCB_CTRL(f, off) \
	_Static_assert(offsetof(struct vmcb, control.f) == (off), "VMCB control." #f)
#define VMCB_SAVE(f, off) \
	_Static_assert(offsetof(struct vmcb, save.f) == 0x400 + (off), "VMCB save." #f)

VMCB_CTRL(intercept_cr, 0x000);
VMCB_CTRL(intercept_dr, 0x004);
VMCB_CTRL(intercept_exceptions, 0x008);
VMCB_CTRL(intercept_misc1, 0x00c);
VMCB_CTRL(intercept_misc2, 0x010);
VMCB_CTRL(intercept_misc3, 0x014);
VMCB_CTRL(pause_filter_threshold, 0x03c);
VMCB_CTRL(pause_filter_count, 0x03e);
VMCB_CTRL(iopm_base_pa, 0x040);
VMCB_CTRL(msrpm_base_pa, 0x048);
VMCB_CTRL(tsc_offset, 0x050);
VMCB_CTRL(guest_asid, 0x058);
VMCB_CTRL(tlb_control, 0x05c);
VMCB_CTRL(int_ctl, 0x060);
VMCB_CTRL(int_vector, 0x064);
VMCB_CTRL(int_state, 0x068);
VMCB_CTRL(exit_code, 0x070);
VMCB_CTRL(exit_info1, 0x078);
VMCB_CTRL(exit_info2, 0x080);
VMCB_CTRL(exit_int_info, 0x088);
VMCB_CTRL(nested_ctl, 0x090);
VMCB_CTRL(event_inj, 0x0a8);
VMCB_CTRL(nested_cr3, 0x0b0);
VMCB_CTRL(virt_ext, 0x0b8);
VMCB_CTRL(clean, 0x0c0);
VMCB_CTRL(next_rip, 0x0c8);
VMCB_CTRL(insn_fetched, 0x0d0);
VMCB_CTRL(insn_bytes, 0x0d1);

VMCB_SAVE(es, 0x000);
VMCB_SAVE(cs, 0x010);
VMCB_SAVE(ss, 0x020);
VMCB_SAVE(ds, 0x030);
VMCB_SAVE(fs, 0x040);
VMCB_SAVE(gs, 0x050);
VMCB_SAVE(gdtr, 0x060);
VMCB_SAVE(ldtr, 0x070);
VMCB_SAVE(idtr, 0x080);
VMCB_SAVE(tr, 0x090);
VMCB_SAVE(cpl, 0x0cb);
VMCB_SAVE(efer, 0x0d0);
VMCB_SAVE(cr4, 0x148);
VMCB_SAVE(cr3, 0x150);
VMCB_SAVE(cr0, 0x158);
VMCB_SAVE(dr7, 0x160);
VMCB_SAVE(dr6, 0x168);
VMCB_SAVE(rflags, 0x170);
VMCB_SAVE(rip, 0x178);
VMCB_SAVE(rsp, 0x1d8);
VMCB_SAVE(rax, 0x1f8);
VMCB_SAVE(star, 0x200);
VMCB_SAVE(lstar, 0x208);
VMCB_SAVE(cstar, 0x210);
VMCB_SAVE(sfmask, 0x218);
VMCB_SAVE(kernel_gs_base, 0x220);
VMCB_SAVE(sysenter_cs, 0x228);
VMCB_SAVE(sysenter_esp, 0x230);
VMCB_SAVE(sysenter_eip, 0x238);
VMCB_SAVE(cr2, 0x240);
VMCB_SAVE(g_pat, 0x268);
VMCB_SAVE(dbgctl, 0x270);

_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment");
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

#undef VMCB_CTRL
#undef VMCB_SAVE

#endif
