/*
 * XCR0 and the XSAVE area: the state components the hypervisor switches
 * per vCPU, the rules XSETBV enforces on XCR0 (SDM Vol. 1 13.3, APM Vol.
 * 2 11.5.2), and the layout of the standard-form area's first 576 bytes.
 * Constants and pure predicates: any context, hosted tests included.
 */
#ifndef ASM_XSTATE_H
#define ASM_XSTATE_H

#include "asm/cpuid.h"
#include "core/lib/compiler.h"
#include <stdbool.h>
#include <stdint.h>

#define XCR_XFEATURE_ENABLED 0	/* ECX of XGETBV/XSETBV: XCR0 */

#define XFEATURE_X87       BIT_ULL(0)
#define XFEATURE_SSE       BIT_ULL(1)
#define XFEATURE_AVX       BIT_ULL(2)	/* YMM upper halves */
#define XFEATURE_OPMASK    BIT_ULL(5)	/* AVX-512 k0-k7 */
#define XFEATURE_ZMM_HI256 BIT_ULL(6)	/* upper halves of ZMM0-15 */
#define XFEATURE_HI16_ZMM  BIT_ULL(7)	/* ZMM16-31 */
#define XFEATURE_AVX512    (XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | XFEATURE_HI16_ZMM)

/*
 * The components switched per vCPU. MPX, PKRU, AMX and the supervisor
 * components are not: a guest is never offered them.
 */
#define XFEATURE_SWITCHED  (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX | XFEATURE_AVX512)

#define XCR0_RESET         XFEATURE_X87	/* after RESET and INIT */

/* The legacy region (FXSAVE's image) and the header after it. */
#define XSAVE_LEGACY_SIZE  512u
#define XSAVE_HEADER_SIZE  64u
#define XSAVE_MIN_SIZE     (XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE)
#define XSAVE_ALIGN        64u
#define XSAVE_FCW_OFFSET   0u
#define XSAVE_MXCSR_OFFSET 24u
#define XSAVE_XSTATE_BV_OFFSET XSAVE_LEGACY_SIZE

/* CPUID leaf 0xD subleaf 1 EAX: XSAVEOPT, the only variant offered. */
#define CPUID_D_1_EAX_XSAVEOPT BIT(0)

/*
 * Of the components a CPU supports (CPUID 0xD.0 EDX:EAX), those the
 * hypervisor runs its guests with: the switched ones, AVX only with SSE,
 * AVX-512 only whole and with AVX.
 */
static inline uint64_t xcr0_usable(uint64_t supported)
{
	uint64_t m = supported & XFEATURE_SWITCHED;

	if (!(m & XFEATURE_X87) || !(m & XFEATURE_SSE))
		return m & XFEATURE_X87;
	if (!(m & XFEATURE_AVX))
		m &= ~XFEATURE_AVX512;
	if ((m & XFEATURE_AVX512) != XFEATURE_AVX512)
		m &= ~XFEATURE_AVX512;
	return m;
}

/*
 * Whether XSETBV may load @val into XCR0 for a guest offered @offered:
 * x87 set, AVX only with SSE, the three AVX-512 bits together and with
 * AVX, nothing outside @offered. Otherwise the CPU raises #GP(0).
 */
static inline bool xcr0_valid(uint64_t val, uint64_t offered)
{
	if (!(val & XFEATURE_X87) || (val & ~offered))
		return false;
	if ((val & XFEATURE_AVX) && !(val & XFEATURE_SSE))
		return false;
	if (val & XFEATURE_AVX512)
		return (val & XFEATURE_AVX512) == XFEATURE_AVX512 && (val & XFEATURE_AVX);
	return true;
}

/*
 * The standard-form XSAVE area's size for the components of @mask: the
 * end of the last one, as CPUID 0xD subleaf i (EAX size, EBX offset)
 * places it, and never less than the legacy region and the header.
 * @cpuid_fn: the CPUID to ask (the host's, or the platform's seam).
 */
static inline uint32_t xstate_size_for(uint64_t mask,
				       void (*cpuid_fn)(uint32_t leaf, uint32_t subleaf,
							uint32_t out[4]))
{
	uint32_t size = XSAVE_MIN_SIZE;

	for (unsigned int i = 2; i < 64; i++) {
		uint32_t r[4];

		if (!(mask & BIT_ULL(i)))
			continue;
		cpuid_fn(CPUID_LEAF_XSTATE, i, r);
		if (r[1] + r[0] > size)
			size = r[1] + r[0];
	}
	return size;
}

/*
 * Host only (arch/x86/fpu.c): fpu_probe() on the boot CPU before any
 * guest runs decides platform_xcr0_host() and the area's size;
 * fpu_cpu_init() on every CPU then sets CR4.OSFXSR, CR4.OSXSAVE and the
 * host's XCR0 for good.
 */
void fpu_probe(void);
void fpu_cpu_init(void);

#endif
