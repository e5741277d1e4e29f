/*
 * CPUID leaves and the architectural feature bits the hypervisor reads
 * or hides: the one copy, for the host (arch/x86), the backends' probes
 * and the guest's CPUID policy (core/cpuid.c). Constants only: any
 * context, hosted tests included.
 */
#ifndef ASM_CPUID_H
#define ASM_CPUID_H

#include "core/lib/compiler.h"

#define CPUID_LEAF_BASIC_MAX      0x00000000u
#define CPUID_LEAF_FEATURES       0x00000001u
#define   CPUID_1_ECX_MONITOR     BIT(3)
#define   CPUID_1_ECX_VMX         BIT(5)
#define   CPUID_1_ECX_SMX         BIT(6)
#define   CPUID_1_ECX_FMA         BIT(12)
#define   CPUID_1_ECX_X2APIC      BIT(21)
#define   CPUID_1_ECX_TSC_DL      BIT(24)
#define   CPUID_1_ECX_XSAVE       BIT(26)
#define   CPUID_1_ECX_OSXSAVE     BIT(27)
#define   CPUID_1_ECX_AVX         BIT(28)
#define   CPUID_1_ECX_F16C        BIT(29)
#define   CPUID_1_ECX_HYPERVISOR  BIT(31)
#define   CPUID_1_EDX_MTRR        BIT(12)
#define CPUID_LEAF_EXT_FEATURES   0x00000007u	/* subleaf 0 */
#define   CPUID_7_EBX_AVX2        BIT(5)
/* F, DQ, IFMA, PF, ER, CD, BW, VL */
#define   CPUID_7_EBX_AVX512      (BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | \
				   BIT(30) | BIT(31))
#define   CPUID_7_ECX_VAES        BIT(9)
#define   CPUID_7_ECX_VPCLMULQDQ  BIT(10)
/* VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ */
#define   CPUID_7_ECX_AVX512      (BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
#define   CPUID_7_ECX_RDPID       BIT(22)
/* 4VNNIW, 4FMAPS, VP2INTERSECT, FP16 */
#define   CPUID_7_EDX_AVX512      (BIT(2) | BIT(3) | BIT(8) | BIT(23))
#define CPUID_LEAF_XSTATE         0x0000000du	/* subleaf: 0, 1, component */

#define CPUID_EXT_MAX             0x80000000u
#define CPUID_EXT_FEATURES        0x80000001u
#define   CPUID_80000001_ECX_SVM  BIT(2)
#define   CPUID_80000001_ECX_TCE  BIT(17)	/* translation cache extension: EFER.TCE */
#define   CPUID_80000001_EDX_NX   BIT(20)
#define   CPUID_80000001_EDX_FFXSR BIT(25)	/* fast FXSAVE/FXRSTOR: EFER.FFXSR */
#define   CPUID_80000001_EDX_GBPAGES BIT(26)
#define   CPUID_80000001_EDX_RDTSCP BIT(27)
#define CPUID_EXT_POWER           0x80000007u	/* advanced power management */
#define   CPUID_80000007_EDX_INVTSC BIT(8)	/* invariant TSC */
#define CPUID_EXT_ADDR_SIZES      0x80000008u
#define   CPUID_ADDR_SIZES_PHYS_MASK 0xffu	/* EAX[7:0]: physical address bits */
#define CPUID_PHYS_BITS_DEFAULT   36	/* without leaf 0x80000008 */
#define CPUID_LEAF_SVM            0x8000000au	/* AMD: SVM revision and features */
#define CPUID_EXT_FEATURES_21     0x80000021u	/* AMD: extended feature identifiers 2 */
#define   CPUID_80000021_EAX_AUTOIBRS BIT(8)	/* automatic IBRS: EFER.AIBRSE */

#endif
