/* Architectural MSR numbers and bits used by the host. */
#ifndef ASM_MSR_H
#define ASM_MSR_H

#include "core/lib/compiler.h"

#define MSR_IA32_APIC_BASE        0x0000001b
#define   APIC_BASE_BSP           BIT(8)
#define   APIC_BASE_EXTD          BIT(10)	/* x2APIC mode */
#define   APIC_BASE_EN            BIT(11)
#define   APIC_BASE_ADDR_MASK     0x000ffffffffff000ull
#define MSR_IA32_FEATURE_CONTROL  0x0000003a
#define MSR_IA32_PAT              0x00000277
#define MSR_PLATFORM_INFO         0x000000ce

#define MSR_IA32_SYSENTER_CS      0x00000174
#define MSR_IA32_SYSENTER_ESP     0x00000175
#define MSR_IA32_SYSENTER_EIP     0x00000176

#define MSR_X2APIC_BASE           0x00000800	/* + (xAPIC offset >> 4) */

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
#define MSR_GS_BASE               0xc0000101
#define MSR_KERNEL_GS_BASE        0xc0000102

#endif
