/*
 * Intel VT-x architectural definitions: VMCS field encodings, control
 * bits, capability MSRs, exit reasons and the formats of the exit
 * information fields (Intel SDM vol. 3C, chapters 24-28 and appendices
 * A-C). Constants only; runs anywhere.
 *
 * A field encoding packs width (bits 14:13: 0 16-bit, 1 64-bit, 2 32-bit,
 * 3 natural width), type (bits 11:10: 0 control, 1 exit information,
 * 2 guest state, 3 host state) and an index (bits 9:1); bit 0 selects the
 * high half of a 64-bit field. The static_asserts below check a few
 * encodings against that rule so a typo in the width or type shows.
 */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#ifndef __ASSEMBLY__
#include "core/lib/compiler.h"
#endif

#define VMCS_ENC(width, type, index) (((width) << 13) | ((type) << 10) | ((index) << 1))
#define VMCS_W16 0
#define VMCS_W64 1
#define VMCS_W32 2
#define VMCS_WNAT 3
#define VMCS_WIDTH(enc) (((enc) >> 13) & 3)

/* ------------------------------------------------------------------------
 * 16-bit fields
 */
#define VMCS_VPID                   0x0000
#define VMCS_GUEST_ES_SEL           0x0800	/* + 2 * segment (x86 order), LDTR 0x080c, TR 0x080e */
#define VMCS_HOST_ES_SEL            0x0c00
#define VMCS_HOST_CS_SEL            0x0c02
#define VMCS_HOST_SS_SEL            0x0c04
#define VMCS_HOST_DS_SEL            0x0c06
#define VMCS_HOST_FS_SEL            0x0c08
#define VMCS_HOST_GS_SEL            0x0c0a
#define VMCS_HOST_TR_SEL            0x0c0c

/* ------------------------------------------------------------------------
 * 64-bit fields
 */
#define VMCS_IO_BITMAP_A            0x2000
#define VMCS_IO_BITMAP_B            0x2002
#define VMCS_MSR_BITMAP             0x2004
#define VMCS_TSC_OFFSET             0x2010
#define VMCS_VIRTUAL_APIC_PAGE      0x2012
#define VMCS_EPT_POINTER            0x201a
#define VMCS_GUEST_PHYS_ADDR        0x2400
#define VMCS_LINK_POINTER           0x2800
#define VMCS_GUEST_DEBUGCTL         0x2802
#define VMCS_GUEST_PAT              0x2804
#define VMCS_GUEST_EFER             0x2806
#define VMCS_GUEST_PDPTE0           0x280a
#define VMCS_HOST_PAT               0x2c00
#define VMCS_HOST_EFER              0x2c02

/* ------------------------------------------------------------------------
 * 32-bit fields
 */
#define VMCS_PIN_CTLS               0x4000
#define VMCS_PROC_CTLS              0x4002
#define VMCS_EXCEPTION_BITMAP       0x4004
#define VMCS_PF_ERROR_MASK          0x4006
#define VMCS_PF_ERROR_MATCH         0x4008
#define VMCS_CR3_TARGET_COUNT       0x400a
#define VMCS_EXIT_CTLS              0x400c
#define VMCS_EXIT_MSR_STORE_COUNT   0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT    0x4010
#define VMCS_ENTRY_CTLS             0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT   0x4014
#define VMCS_ENTRY_INTR_INFO        0x4016
#define VMCS_ENTRY_EXC_ERROR_CODE   0x4018
#define VMCS_ENTRY_INSN_LEN         0x401a
#define VMCS_TPR_THRESHOLD          0x401c
#define VMCS_PROC_CTLS2             0x401e
#define VMCS_PLE_GAP                0x4020
#define VMCS_PLE_WINDOW             0x4022
#define VMCS_INSN_ERROR             0x4400
#define VMCS_EXIT_REASON            0x4402
#define VMCS_EXIT_INTR_INFO         0x4404
#define VMCS_EXIT_INTR_ERROR_CODE   0x4406
#define VMCS_IDT_VECTORING_INFO     0x4408
#define VMCS_IDT_VECTORING_ERROR    0x440a
#define VMCS_EXIT_INSN_LEN          0x440c
#define VMCS_EXIT_INSN_INFO         0x440e
#define VMCS_GUEST_ES_LIMIT         0x4800	/* + 2 * segment */
#define VMCS_GUEST_GDTR_LIMIT       0x4810
#define VMCS_GUEST_IDTR_LIMIT       0x4812
#define VMCS_GUEST_ES_AR            0x4814	/* + 2 * segment */
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY         0x4826
#define VMCS_GUEST_SYSENTER_CS      0x482a
#define VMCS_PREEMPT_TIMER          0x482e
#define VMCS_HOST_SYSENTER_CS       0x4c00

/* ------------------------------------------------------------------------
 * Natural-width fields
 */
#define VMCS_CR0_MASK               0x6000
#define VMCS_CR4_MASK               0x6002
#define VMCS_CR0_SHADOW             0x6004
#define VMCS_CR4_SHADOW             0x6006
#define VMCS_EXIT_QUAL              0x6400
#define VMCS_GUEST_LINEAR_ADDR      0x640a
#define VMCS_GUEST_CR0              0x6800
#define VMCS_GUEST_CR3              0x6802
#define VMCS_GUEST_CR4              0x6804
#define VMCS_GUEST_ES_BASE          0x6806	/* + 2 * segment */
#define VMCS_GUEST_GDTR_BASE        0x6816
#define VMCS_GUEST_IDTR_BASE        0x6818
#define VMCS_GUEST_DR7              0x681a
#define VMCS_GUEST_RSP              0x681c
#define VMCS_GUEST_RIP              0x681e
#define VMCS_GUEST_RFLAGS           0x6820
#define VMCS_GUEST_PENDING_DBG      0x6822
#define VMCS_GUEST_SYSENTER_ESP     0x6824
#define VMCS_GUEST_SYSENTER_EIP     0x6826
#define VMCS_HOST_CR0               0x6c00
#define VMCS_HOST_CR3               0x6c02
#define VMCS_HOST_CR4               0x6c04
#define VMCS_HOST_FS_BASE           0x6c06
#define VMCS_HOST_GS_BASE           0x6c08
#define VMCS_HOST_TR_BASE           0x6c0a
#define VMCS_HOST_GDTR_BASE         0x6c0c
#define VMCS_HOST_IDTR_BASE         0x6c0e
#define VMCS_HOST_SYSENTER_ESP      0x6c10
#define VMCS_HOST_SYSENTER_EIP      0x6c12
#define VMCS_HOST_RSP               0x6c14
#define VMCS_HOST_RIP               0x6c16

#ifndef __ASSEMBLY__
_Static_assert(VMCS_VPID == VMCS_ENC(VMCS_W16, 0, 0), "VPID encoding");
_Static_assert(VMCS_GUEST_ES_SEL + 2 * 7 == VMCS_ENC(VMCS_W16, 2, 7), "TR selector encoding");
_Static_assert(VMCS_EPT_POINTER == VMCS_ENC(VMCS_W64, 0, 13), "EPTP encoding");
_Static_assert(VMCS_GUEST_EFER == VMCS_ENC(VMCS_W64, 2, 3), "guest EFER encoding");
_Static_assert(VMCS_HOST_EFER == VMCS_ENC(VMCS_W64, 3, 1), "host EFER encoding");
_Static_assert(VMCS_PROC_CTLS2 == VMCS_ENC(VMCS_W32, 0, 15), "secondary controls encoding");
_Static_assert(VMCS_EXIT_INSN_LEN == VMCS_ENC(VMCS_W32, 1, 6), "exit insn length encoding");
_Static_assert(VMCS_GUEST_ES_AR + 2 * 7 == 0x4822 && VMCS_GUEST_INTERRUPTIBILITY == 0x4824,
	       "TR access rights precede the interruptibility state");
_Static_assert(VMCS_GUEST_SYSENTER_CS == VMCS_ENC(VMCS_W32, 2, 21), "guest SYSENTER_CS");
_Static_assert(VMCS_GUEST_RFLAGS == VMCS_ENC(VMCS_WNAT, 2, 16), "guest RFLAGS encoding");
_Static_assert(VMCS_HOST_RIP == VMCS_ENC(VMCS_WNAT, 3, 11), "host RIP encoding");
_Static_assert(VMCS_WIDTH(VMCS_EXIT_QUAL) == VMCS_WNAT && VMCS_WIDTH(VMCS_LINK_POINTER) == VMCS_W64,
	       "widths");
#endif

/* ------------------------------------------------------------------------
 * Capability MSRs (SDM appendix A)
 */
#define MSR_IA32_VMX_BASIC          0x480
#define MSR_IA32_VMX_PINBASED       0x481
#define MSR_IA32_VMX_PROCBASED      0x482
#define MSR_IA32_VMX_EXIT           0x483
#define MSR_IA32_VMX_ENTRY          0x484
#define MSR_IA32_VMX_MISC           0x485
#define MSR_IA32_VMX_CR0_FIXED0     0x486
#define MSR_IA32_VMX_CR0_FIXED1     0x487
#define MSR_IA32_VMX_CR4_FIXED0     0x488
#define MSR_IA32_VMX_CR4_FIXED1     0x489
#define MSR_IA32_VMX_PROCBASED2     0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP   0x48c
#define MSR_IA32_VMX_TRUE_PINBASED  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED 0x48e
#define MSR_IA32_VMX_TRUE_EXIT      0x48f
#define MSR_IA32_VMX_TRUE_ENTRY     0x490

#define VMX_BASIC_REVISION_MASK     0x7fffffffull
#define VMX_BASIC_SIZE_SHIFT        32
#define VMX_BASIC_SIZE_MASK         0x1fffull
#define VMX_BASIC_INS_OUTS          BIT_ULL(54)
#define VMX_BASIC_TRUE_CTLS         BIT_ULL(55)

/* IA32_VMX_MISC: the preemption timer counts down once per 2^rate TSC ticks. */
#define VMX_MISC_PREEMPT_RATE_MASK  0x1full

/*
 * PAUSE-loop exiting (KVM's defaults, in TSC cycles): PAUSEs at most
 * PLE_GAP apart are one loop, which exits once it has lasted PLE_WINDOW.
 */
#define VMX_PLE_GAP                 128
#define VMX_PLE_WINDOW              4096

#define EPT_CAP_WALK4               BIT_ULL(6)
#define EPT_CAP_WB                  BIT_ULL(14)
#define EPT_CAP_2M                  BIT_ULL(16)
#define EPT_CAP_1G                  BIT_ULL(17)
#define EPT_CAP_INVEPT              BIT_ULL(20)
#define EPT_CAP_AD                  BIT_ULL(21)
#define EPT_CAP_INVEPT_SINGLE       BIT_ULL(25)
#define EPT_CAP_INVEPT_ALL          BIT_ULL(26)
#define VPID_CAP_INVVPID            BIT_ULL(32)
#define VPID_CAP_INVVPID_SINGLE     BIT_ULL(41)
#define VPID_CAP_INVVPID_ALL        BIT_ULL(42)

/* INVEPT / INVVPID types. */
#define INVEPT_SINGLE               1
#define INVEPT_ALL                  2
#define INVVPID_SINGLE              1
#define INVVPID_ALL                 2

/* ------------------------------------------------------------------------
 * Controls
 */
#define PIN_EXT_INTR_EXITING        BIT(0)
#define PIN_NMI_EXITING             BIT(3)
#define PIN_VIRTUAL_NMIS            BIT(5)
#define PIN_PREEMPT_TIMER           BIT(6)

#define PROC_INTR_WINDOW            BIT(2)
#define PROC_TSC_OFFSETTING         BIT(3)
#define PROC_HLT_EXITING            BIT(7)
#define PROC_INVLPG_EXITING         BIT(9)
#define PROC_MWAIT_EXITING          BIT(10)
#define PROC_RDPMC_EXITING          BIT(11)
#define PROC_RDTSC_EXITING          BIT(12)
#define PROC_CR3_LOAD_EXITING       BIT(15)
#define PROC_CR3_STORE_EXITING      BIT(16)
#define PROC_CR8_LOAD_EXITING       BIT(19)
#define PROC_CR8_STORE_EXITING      BIT(20)
#define PROC_TPR_SHADOW             BIT(21)
#define PROC_NMI_WINDOW             BIT(22)
#define PROC_MOV_DR_EXITING         BIT(23)
#define PROC_UNCOND_IO_EXITING      BIT(24)
#define PROC_IO_BITMAPS             BIT(25)
#define PROC_MONITOR_TRAP_FLAG      BIT(27)
#define PROC_MSR_BITMAPS            BIT(28)
#define PROC_MONITOR_EXITING        BIT(29)
#define PROC_PAUSE_EXITING          BIT(30)
#define PROC_SECONDARY              BIT(31)

#define PROC2_EPT                   BIT(1)
#define PROC2_RDTSCP                BIT(3)
#define PROC2_VPID                  BIT(5)
#define PROC2_WBINVD_EXITING        BIT(6)
#define PROC2_UNRESTRICTED          BIT(7)
#define PROC2_PAUSE_LOOP            BIT(10)
#define PROC2_INVPCID               BIT(12)
#define PROC2_XSAVES                BIT(20)

#define EXIT_CTL_SAVE_DEBUG         BIT(2)
#define EXIT_CTL_HOST_64            BIT(9)
#define EXIT_CTL_ACK_INTR           BIT(15)
#define EXIT_CTL_SAVE_PAT           BIT(18)
#define EXIT_CTL_LOAD_PAT           BIT(19)
#define EXIT_CTL_SAVE_EFER          BIT(20)
#define EXIT_CTL_LOAD_EFER          BIT(21)

#define ENTRY_CTL_LOAD_DEBUG        BIT(2)
#define ENTRY_CTL_IA32E             BIT(9)
#define ENTRY_CTL_LOAD_PAT          BIT(14)
#define ENTRY_CTL_LOAD_EFER         BIT(15)

/* ------------------------------------------------------------------------
 * Guest state formats
 */

/* Segment access rights (SDM 24.4.1, table 24-2). */
#define VMX_AR_TYPE_MASK            0xfu
#define VMX_AR_S                    BIT(4)
#define VMX_AR_DPL_SHIFT            5
#define VMX_AR_DPL_MASK             (3u << 5)
#define VMX_AR_P                    BIT(7)
#define VMX_AR_AVL                  BIT(12)
#define VMX_AR_L                    BIT(13)
#define VMX_AR_DB                   BIT(14)
#define VMX_AR_G                    BIT(15)
#define VMX_AR_UNUSABLE             BIT(16)
#define VMX_AR_RESERVED             0xfffe0f00u	/* bits 11:8 and 31:17 */

/* Interruptibility state (SDM 24.4.2, table 24-3). */
#define VMX_INTR_STI                BIT(0)
#define VMX_INTR_MOV_SS             BIT(1)
#define VMX_INTR_SMI                BIT(2)
#define VMX_INTR_NMI                BIT(3)
#define VMX_INTR_SHADOW             (VMX_INTR_STI | VMX_INTR_MOV_SS)

#define VMX_ACTIVITY_ACTIVE         0
#define VMX_ACTIVITY_HLT            1
#define VMX_ACTIVITY_SHUTDOWN       2
#define VMX_ACTIVITY_WAIT_SIPI      3

/* ------------------------------------------------------------------------
 * Event information: VM-entry interruption information, VM-exit
 * interruption information, IDT-vectoring information (SDM 24.8.3,
 * 24.9.2, 24.9.3): one layout, core/event_info.h's, plus the bit below
 * (exit interruption information only).
 */
#define VMX_EVT_NMI_UNBLOCK_IRET    BIT(12)

/* ------------------------------------------------------------------------
 * Basic exit reasons (SDM appendix C)
 */
#define VMX_EXIT_EXCEPTION_NMI      0
#define VMX_EXIT_EXTERNAL_INTR      1
#define VMX_EXIT_TRIPLE_FAULT       2
#define VMX_EXIT_INIT               3
#define VMX_EXIT_SIPI               4
#define VMX_EXIT_IO_SMI             5
#define VMX_EXIT_OTHER_SMI          6
#define VMX_EXIT_INTR_WINDOW        7
#define VMX_EXIT_NMI_WINDOW         8
#define VMX_EXIT_TASK_SWITCH        9
#define VMX_EXIT_CPUID              10
#define VMX_EXIT_GETSEC             11
#define VMX_EXIT_HLT                12
#define VMX_EXIT_INVD               13
#define VMX_EXIT_INVLPG             14
#define VMX_EXIT_RDPMC              15
#define VMX_EXIT_RDTSC              16
#define VMX_EXIT_RSM                17
#define VMX_EXIT_VMCALL             18
#define VMX_EXIT_VMCLEAR            19
#define VMX_EXIT_VMLAUNCH           20
#define VMX_EXIT_VMPTRLD            21
#define VMX_EXIT_VMPTRST            22
#define VMX_EXIT_VMREAD             23
#define VMX_EXIT_VMRESUME           24
#define VMX_EXIT_VMWRITE            25
#define VMX_EXIT_VMXOFF             26
#define VMX_EXIT_VMXON              27
#define VMX_EXIT_CR_ACCESS          28
#define VMX_EXIT_DR_ACCESS          29
#define VMX_EXIT_IO                 30
#define VMX_EXIT_RDMSR              31
#define VMX_EXIT_WRMSR              32
#define VMX_EXIT_INVALID_STATE      33
#define VMX_EXIT_MSR_LOADING        34
#define VMX_EXIT_MWAIT              36
#define VMX_EXIT_MTF                37
#define VMX_EXIT_MONITOR            39
#define VMX_EXIT_PAUSE              40
#define VMX_EXIT_MCE_DURING_ENTRY   41
#define VMX_EXIT_TPR_BELOW          43
#define VMX_EXIT_APIC_ACCESS        44
#define VMX_EXIT_EOI_INDUCED        45
#define VMX_EXIT_GDTR_IDTR          46
#define VMX_EXIT_LDTR_TR            47
#define VMX_EXIT_EPT_VIOLATION      48
#define VMX_EXIT_EPT_MISCONFIG      49
#define VMX_EXIT_INVEPT             50
#define VMX_EXIT_RDTSCP             51
#define VMX_EXIT_PREEMPT_TIMER      52
#define VMX_EXIT_INVVPID            53
#define VMX_EXIT_WBINVD             54
#define VMX_EXIT_XSETBV             55
#define VMX_EXIT_APIC_WRITE         56
#define VMX_EXIT_RDRAND             57
#define VMX_EXIT_INVPCID            58
#define VMX_EXIT_VMFUNC             59
#define VMX_EXIT_ENCLS              60
#define VMX_EXIT_RDSEED             61
#define VMX_EXIT_PML_FULL           62
#define VMX_EXIT_XSAVES             63
#define VMX_EXIT_XRSTORS            64
#define VMX_EXIT_MAX                64

#define VMX_EXIT_REASON_BASIC_MASK  0xffffu
#define VMX_EXIT_REASON_ENTRY_FAIL  BIT(31)

/* ------------------------------------------------------------------------
 * Exit qualifications (SDM 27.2.1)
 */
/* I/O instructions (table 27-5). */
#define VMX_IO_SIZE_MASK            0x7u	/* size - 1 */
#define VMX_IO_IN                   BIT(3)
#define VMX_IO_STRING               BIT(4)
#define VMX_IO_REP                  BIT(5)
#define VMX_IO_PORT_SHIFT           16
/* VM-exit instruction information of INS/OUTS (table 27-8). */
#define VMX_INSN_INFO_ADDR_SHIFT    7	/* 0 16-bit, 1 32-bit, 2 64-bit */
#define VMX_INSN_INFO_SEG_SHIFT     15
/* Control-register accesses (table 27-3). */
#define VMX_CR_NUM_MASK             0xfu
#define VMX_CR_TYPE_SHIFT           4
#define VMX_CR_TYPE_MOV_TO          0
#define VMX_CR_TYPE_MOV_FROM        1
#define VMX_CR_TYPE_CLTS            2
#define VMX_CR_TYPE_LMSW            3
#define VMX_CR_GPR_SHIFT            8
#define VMX_CR_LMSW_SHIFT           16
/* EPT violations (table 27-7). */
#define VMX_EPT_READ                BIT(0)
#define VMX_EPT_WRITE               BIT(1)
#define VMX_EPT_FETCH               BIT(2)
#define VMX_EPT_READABLE            BIT(3)
#define VMX_EPT_WRITABLE            BIT(4)
#define VMX_EPT_EXECUTABLE          BIT(5)
#define VMX_EPT_GLA_VALID           BIT(7)
#define VMX_EPT_FINAL               BIT(8)
#define VMX_EPT_NMI_UNBLOCK         BIT(12)
/* Task switches (table 27-2). */
#define VMX_TS_SOURCE_SHIFT         30
/* Debug exceptions: the DR6 bits the #DB would have set. */
#define VMX_DB_DR6_BITS             (0xfu | BIT(13) | BIT(14))

/* Entry failures: qualification of exit reason 33 (SDM 26.8). */
#define VMX_ENTRY_FAIL_PDPTE        2
#define VMX_ENTRY_FAIL_NMI          3
#define VMX_ENTRY_FAIL_LINK         4

#endif
