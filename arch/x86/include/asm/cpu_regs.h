/*
 * Architectural bits and reset values of the x86 registers the host and
 * its guests share (CR0, CR4, RFLAGS, DR6, DR7) and the exception
 * vectors: the one copy, for the host, the backends and the virtual PC.
 * Constants and pure predicates: any context, hosted tests included.
 */
#ifndef ASM_CPU_REGS_H
#define ASM_CPU_REGS_H

#include "core/lib/compiler.h"

#define X86_CR0_PE BIT(0)
#define X86_CR0_MP BIT(1)
#define X86_CR0_EM BIT(2)
#define X86_CR0_TS BIT(3)
#define X86_CR0_ET BIT(4)
#define X86_CR0_NE BIT(5)
#define X86_CR0_WP BIT(16)
#define X86_CR0_AM BIT(18)
#define X86_CR0_NW BIT(29)
#define X86_CR0_CD BIT(30)
#define X86_CR0_PG BIT(31)
#define X86_CR0_RESET (X86_CR0_CD | X86_CR0_NW | X86_CR0_ET)	/* after RESET/INIT */
/* Every CR0 bit the architecture defines; MOV to CR0 with any other raises #GP. */
#define X86_CR0_DEFINED ((uint64_t)(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
			 X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | \
			 X86_CR0_NW | X86_CR0_CD | X86_CR0_PG))

#define X86_CR4_DE         BIT(3)
#define X86_CR4_PSE        BIT(4)
#define X86_CR4_PAE        BIT(5)
#define X86_CR4_PGE        BIT(7)
#define X86_CR4_OSFXSR     BIT(9)
#define X86_CR4_OSXMMEXCPT BIT(10)
#define X86_CR4_LA57       BIT(12)
#define X86_CR4_VMXE       BIT(13)
#define X86_CR4_SMXE       BIT(14)
#define X86_CR4_OSXSAVE    BIT(18)
#define X86_CR4_PCIDE      BIT(17)
#define X86_CR4_SMAP       BIT(21)
/*
 * CR4 bits defined by either vendor up to CET (bit 23); bit 15 and bits
 * 24 and up are left out. Which of them a CPU accepts depends on CPUID.
 */
#define X86_CR4_DEFINED    (GENMASK_ULL(14, 0) | GENMASK_ULL(23, 16))

#define X86_RFLAGS_FIXED BIT(1)		/* reads as 1 */
#define X86_RFLAGS_TF    BIT(8)
#define X86_RFLAGS_IF    BIT(9)
#define X86_RFLAGS_DF    BIT(10)
#define X86_RFLAGS_RF    BIT(16)
#define X86_RFLAGS_VM    BIT(17)
#define X86_RFLAGS_AC    BIT(18)
/* CF 1 PF AF ZF SF TF IF DF OF IOPL NT, RF VM AC VIF VIP ID; the rest reads 0. */
#define X86_RFLAGS_DEFINED (GENMASK_ULL(21, 16) | GENMASK_ULL(14, 6) | BIT_ULL(4) | \
			    BIT_ULL(2) | BIT_ULL(1) | BIT_ULL(0))

/*
 * A linear address is canonical when its bits above the implemented
 * width (48, or 57 with CR4.LA57) copy the top implemented bit.
 */
static inline bool x86_canonical(uint64_t addr, bool la57)
{
	unsigned int shift = la57 ? 64 - 57 : 64 - 48;

	return (uint64_t)((int64_t)(addr << shift) >> shift) == addr;
}

#define X86_DR6_RESET 0xffff0ff0ull	/* also the bits that read as 1 */
#define X86_DR7_RESET 0x400ull
/* The x87 control word after FINIT and MXCSR after reset (all exceptions masked). */
#define X86_FCW_RESET   0x37fu
#define X86_MXCSR_RESET 0x1f80u

/* DR6: which condition raised the #DB. */
#define X86_DR6_B(n)	BIT_ULL(n)	/* breakpoint n (0-3) matched */
#define X86_DR6_B_ALL	0xfull
#define X86_DR6_BD	BIT_ULL(13)	/* MOV DR with DR7.GD set */
#define X86_DR6_BS	BIT_ULL(14)	/* single step (RFLAGS.TF) */
/* DR7: breakpoint n enabled (local, global), its condition and length. */
#define X86_DR7_L(n)	BIT_ULL(2 * (n))
#define X86_DR7_G(n)	BIT_ULL(2 * (n) + 1)
#define X86_DR7_LE	BIT_ULL(8)
#define X86_DR7_GE	BIT_ULL(9)
#define X86_DR7_GD	BIT_ULL(13)
#define X86_DR7_RW_SHIFT(n)	(16 + 4 * (n))	/* 00 exec, 01 write, 11 read/write */
#define X86_DR7_LEN_SHIFT(n)	(18 + 4 * (n))	/* 00 1 byte, 01 2, 11 4, 10 8 */
#define X86_DR7_RW_EXEC		0ull
#define X86_DR7_RW_WRITE	1ull
#define X86_DR7_RW_ACCESS	3ull

/* Exception vectors: 0 to VEC_EXCEPTIONS - 1. */
#define VEC_DE  0
#define VEC_DB  1
#define VEC_NMI 2
#define VEC_BP  3
#define VEC_OF  4
#define VEC_UD  6
#define VEC_DF  8
#define VEC_TS  10
#define VEC_NP  11
#define VEC_SS  12
#define VEC_GP  13
#define VEC_PF  14
#define VEC_AC  17
#define VEC_MC  18
#define VEC_CP  21
#define VEC_VC  29
#define VEC_SX  30
#define VEC_EXCEPTIONS 32

/* #PF error code: what the access was and why it failed. */
#define X86_PF_P    BIT(0)	/* a protection violation (0: not present) */
#define X86_PF_W    BIT(1)	/* a write */
#define X86_PF_U    BIT(2)	/* at CPL 3 */
#define X86_PF_RSVD BIT(3)	/* a reserved bit set in an entry */

#define X86_IO_PORTS 0x10000u	/* the I/O port space: ports 0-0xffff */

#endif
