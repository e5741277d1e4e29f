/*
 * A vCPU's x87, SSE, AVX and AVX-512 registers (core/guest_xstate.h says
 * when): neither VMRUN nor VM entry switches them, and the hypervisor
 * never uses them (it is built without SSE), so a guest runs on whatever
 * its physical CPU holds. The backends save them into the vCPU's area at
 * vcpu_put and restore them at vcpu_load; a new area holds the reset
 * state, so a vCPU's first load starts from it and no value of a VM that
 * ran on the CPU before reaches it (docs/security.md).
 *
 * With XSAVE, every CPU keeps CR4.OSXSAVE set and XCR0 at the host's
 * value (every switched component the CPU supports) while the hypervisor
 * runs: XSAVEOPT/XSAVE and XRSTOR with that mask cover every component a
 * guest can enable, since a guest's XCR0 is a subset of it. The area is
 * in the standard form. Its header's XSTATE_BV is zero in a new area, so
 * the first XRSTOR puts every component but MXCSR in its initial
 * configuration (x87: FCW 0x37F; SSE: XMM zero; AVX: upper halves zero;
 * AVX-512: opmasks and upper registers zero); MXCSR is loaded from the
 * legacy region whenever SSE or AVX is requested, so it holds 0x1F80.
 * Without XSAVE, FXSAVE and FXRSTOR of the legacy region do the same.
 *
 * IA32_TSC_AUX, which the hypervisor never reads, is written only when a
 * vCPU about to enter has another value than the CPU holds: the CPU's
 * current value is kept in its per-CPU area (percpu.tsc_aux).
 *
 * Runs on the vCPU's CPU with interrupts off (save, restore, XCR0,
 * TSC_AUX), or in a vCPU thread (alloc, free), or at boot (probe, per-CPU
 * init).
 */
#include "asm/cpu.h"
#include "asm/cpu_regs.h"
#include "asm/cpuid.h"
#include "asm/msr.h"
#include "asm/percpu.h"
#include "asm/xstate.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/string.h"
#include "mm/frame.h"

static uint64_t host_xcr0;	/* set by fpu_probe(), read-only after */
static uint32_t area_size = XSAVE_LEGACY_SIZE;
static bool have_xsaveopt;
static bool have_tsc_aux;	/* RDTSCP or RDPID: IA32_TSC_AUX exists */

void fpu_probe(void)
{
	uint32_t r[4];

	platform_cpuid(CPUID_EXT_FEATURES, 0, r);
	have_tsc_aux = r[3] & CPUID_80000001_EDX_RDTSCP;
	platform_cpuid(CPUID_LEAF_EXT_FEATURES, 0, r);
	have_tsc_aux |= (r[2] & CPUID_7_ECX_RDPID) != 0;
	platform_cpuid(CPUID_LEAF_FEATURES, 0, r);
	if (!(r[2] & CPUID_1_ECX_XSAVE)) {
		pr_info("fpu: no XSAVE: x87 and SSE switched with FXSAVE/FXRSTOR, no AVX for guests");
		return;
	}
	platform_cpuid(CPUID_LEAF_XSTATE, 0, r);
	host_xcr0 = xcr0_usable(((uint64_t)r[3] << 32) | r[0]);
	area_size = xstate_size_for(host_xcr0, platform_cpuid);
	platform_cpuid(CPUID_LEAF_XSTATE, 1, r);
	have_xsaveopt = r[0] & CPUID_D_1_EAX_XSAVEOPT;
	pr_info("fpu: XCR0 %#llx switched per vCPU, %u-byte areas, %s",
		(unsigned long long)host_xcr0, area_size,
		have_xsaveopt ? "XSAVEOPT" : "XSAVE (no XSAVEOPT)");
}

void fpu_cpu_init(void)
{
	uint64_t cr4 = read_cr4() | X86_CR4_OSFXSR;

	if (host_xcr0)
		cr4 |= X86_CR4_OSXSAVE;
	write_cr4(cr4);
	if (host_xcr0)
		platform_xcr0_write(host_xcr0);
	/* No value of the firmware's or of an earlier VM's: 0, as this_cpu() says. */
	this_cpu()->tsc_aux = 0;
	if (have_tsc_aux)
		wrmsr(MSR_TSC_AUX, 0);
}

void platform_tsc_aux_load(uint32_t val)
{
	struct percpu *pc = this_cpu();

	if (!have_tsc_aux || pc->tsc_aux == val)
		return;
	wrmsr(MSR_TSC_AUX, val);
	pc->tsc_aux = val;
}

uint64_t platform_xcr0_host(void)
{
	return host_xcr0;
}

void platform_xcr0_write(uint64_t val)
{
	__asm__ __volatile__("xsetbv"
			     : : "c"(XCR_XFEATURE_ENABLED), "a"((uint32_t)val),
			       "d"((uint32_t)(val >> 32)));
}

uint64_t platform_xcr0_read(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(XCR_XFEATURE_ENABLED));
	return ((uint64_t)hi << 32) | lo;
}

static size_t area_pages(void)
{
	return (area_size + PAGE_SIZE - 1) / PAGE_SIZE;
}

void *platform_xstate_alloc(void)
{
	uint8_t *area;
	paddr_t pa;
	uint16_t fcw = X86_FCW_RESET;
	uint32_t mxcsr = X86_MXCSR_RESET;

	if (frame_alloc_contig(area_pages(), 1, &pa))
		return NULL;
	area = phys_to_virt(pa);
	memset(area, 0, area_pages() * PAGE_SIZE);
	memcpy(area + XSAVE_FCW_OFFSET, &fcw, sizeof(fcw));
	memcpy(area + XSAVE_MXCSR_OFFSET, &mxcsr, sizeof(mxcsr));
	return area;
}

void platform_xstate_free(void *area)
{
	if (area)
		frame_free_contig(virt_to_phys(area), area_pages());
}

void platform_xstate_save(void *area)
{
	uint32_t lo = (uint32_t)host_xcr0, hi = (uint32_t)(host_xcr0 >> 32);

	if (!host_xcr0)
		__asm__ __volatile__("fxsave64 (%0)" : : "r"(area) : "memory");
	else if (have_xsaveopt)
		__asm__ __volatile__("xsaveopt64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
	else
		__asm__ __volatile__("xsave64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}

void platform_xstate_restore(const void *area)
{
	uint32_t lo = (uint32_t)host_xcr0, hi = (uint32_t)(host_xcr0 >> 32);

	if (!host_xcr0)
		__asm__ __volatile__("fxrstor64 (%0)" : : "r"(area) : "memory");
	else
		__asm__ __volatile__("xrstor64 (%0)" : : "r"(area), "a"(lo), "d"(hi) : "memory");
}
