/*
 * Architectural MSR numbers and bits: the one copy, for the host and for
 * what guests see.
 */
#ifndef ASM_MSR_H
#define ASM_MSR_H

#include "core/lib/compiler.h"

#define MSR_IA32_TSC              0x00000010
#define MSR_IA32_PLATFORM_ID      0x00000017
#define MSR_IA32_APIC_BASE        0x0000001b
#define   APIC_BASE_BSP           BIT(8)
#define   APIC_BASE_EXTD          BIT(10)	/* x2APIC mode */
#define   APIC_BASE_EN            BIT(11)	/* global enable */
#define   APIC_BASE_ADDR_MASK     0x000ffffffffff000ull
#define   APIC_BASE_DEFAULT       0xfee00000ull	/* after reset */
#define MSR_IA32_BIOS_SIGN_ID     0x0000008b
#define MSR_IA32_MTRRCAP          0x000000fe
#define MSR_IA32_MCG_CAP          0x00000179
#define MSR_IA32_MCG_STATUS       0x0000017a
#define MSR_IA32_MISC_ENABLE      0x000001a0
#define   MISC_ENABLE_FAST_STRINGS BIT(0)
#define MSR_IA32_MTRR_DEF_TYPE    0x000002ff
#define MSR_IA32_TSC_DEADLINE     0x000006e0
#define MSR_IA32_FEATURE_CONTROL  0x0000003a
#define   FEATURE_CONTROL_LOCK    BIT_ULL(0)
#define   FEATURE_CONTROL_VMXON_SMX BIT_ULL(1)
#define   FEATURE_CONTROL_VMXON   BIT_ULL(2)	/* outside SMX */
#define MSR_IA32_PAT              0x00000277
#define   PAT_TYPE_UC             0x00	/* memory types an entry may hold */
#define   PAT_TYPE_WC             0x01
#define   PAT_TYPE_WT             0x04
#define   PAT_TYPE_WP             0x05
#define   PAT_TYPE_WB             0x06
#define   PAT_TYPE_UC_MINUS       0x07
#define   PAT_ENTRIES             8
#define   PAT_ENTRY_BITS          8
#define   PAT_RESET               0x0007040600070406ull	/* WB WT UC- UC, twice */
#define MSR_PLATFORM_INFO         0x000000ce

#define MSR_IA32_SYSENTER_CS      0x00000174
#define MSR_IA32_SYSENTER_ESP     0x00000175
#define MSR_IA32_SYSENTER_EIP     0x00000176

#define MSR_X2APIC_BASE           0x00000800	/* + (xAPIC offset >> 4) */
#define MSR_X2APIC_LAST           0x000008ff

#define MSR_EFER                  0xc0000080
#define   EFER_SCE                BIT(0)
#define   EFER_LME                BIT(8)
#define   EFER_LMA                BIT(10)
#define   EFER_NXE                BIT(11)
#define   EFER_SVME               BIT(12)
#define MSR_STAR                  0xc0000081
#define MSR_LSTAR                 0xc0000082
#define MSR_CSTAR                 0xc0000083
#define MSR_SFMASK                0xc0000084
#define MSR_FS_BASE               0xc0000100
#define MSR_TSC_AUX               0xc0000103	/* RDTSCP's ECX, RDPID's value; bits 63:32 reserved */
#define MSR_GS_BASE               0xc0000101
#define MSR_KERNEL_GS_BASE        0xc0000102
#define MSR_K8_INT_PENDING_MSG    0xc0010055

/* Every entry of a PAT value names a memory type (else WRMSR raises #GP). */
static inline bool pat_valid(uint64_t pat)
{
	unsigned int i;

	for (i = 0; i < PAT_ENTRIES; i++) {
		unsigned int type = (pat >> (i * PAT_ENTRY_BITS)) & 0xff;

		if (type != PAT_TYPE_UC && type != PAT_TYPE_WC && type != PAT_TYPE_WT &&
		    type != PAT_TYPE_WP && type != PAT_TYPE_WB && type != PAT_TYPE_UC_MINUS)
			return false;
	}
	return true;
}

/* EFER bits every 64-bit CPU has: SYSCALL and long mode. */
#define EFER_BASE_BITS            ((uint64_t)(EFER_SCE | EFER_LME | EFER_LMA))

/*
 * A WRMSR to EFER as the CPU checks it (else #GP): no bit outside allowed
 * (what the CPU offers the guest: EFER_BASE_BITS, NXE with NX; never SVME,
 * which CPUID hides), and LME unchanged while paging is on. LMA is the
 * CPU's own: WRMSR ignores the value written there.
 */
static inline bool efer_valid(uint64_t efer, uint64_t old, uint64_t allowed, bool paging)
{
	if (efer & ~allowed)
		return false;
	return !paging || !((efer ^ old) & EFER_LME);
}

#endif
