/*
 * The x87, SSE and AVX registers of a vCPU that starts. Neither VMRUN nor
 * VM entry switches them, and the hypervisor never uses them (it is built
 * without SSE), so a guest runs on whatever the registers of its physical
 * CPU hold: without this, a VM started on a CPU where another VM ran
 * would read that VM's last XMM/YMM values (docs/security.md, "Limits").
 * Until the FPU state is saved and restored per vCPU, every vCPU starts
 * from the registers' reset values instead: FCW 0x37F, FSW 0, every x87
 * register empty, MXCSR 0x1F80, XMM0-XMM15 zero, and every component XCR0
 * enables above SSE (AVX's upper halves, AVX-512's opmasks and upper
 * registers, ...) in its initial configuration.
 *
 * FXRSTOR from an image of those values sets x87 and SSE (CR4.OSFXSR is
 * set around it, else it may leave the XMM registers and MXCSR alone);
 * then, where the CPU has XSAVE, XRSTOR of the same image with an
 * XSTATE_BV of zero puts every other enabled component in its initial
 * configuration, which is how the SDM defines XRSTOR of a component whose
 * bit is clear. CR4 is restored afterwards; XCR0 is left as it is.
 */
#include "asm/cpu.h"
#include "asm/cpu_regs.h"
#include "asm/cpuid.h"
#include "core/lib/platform.h"

/* The legacy region (FXSAVE's 512 bytes) and the XSAVE header. */
struct fpu_reset_image {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved0;		/* abridged tag word: 0 = all empty */
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t regs[512 - 32];		/* ST0-7, XMM0-15, the rest zero */
	uint64_t xstate_bv, xcomp_bv;	/* the header: standard form, all init */
	uint8_t header_rest[48];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct fpu_reset_image) == 576, "legacy region + XSAVE header");

static const struct fpu_reset_image reset_image = {
	.fcw = X86_FCW_RESET,
	.mxcsr = X86_MXCSR_RESET,
};

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

void platform_fpu_reset(void)
{
	uint64_t cr4 = read_cr4();
	uint64_t work = cr4 | X86_CR4_OSFXSR;
	struct cpuid_regs r;
	bool xsave;

	cpuid(1, &r);
	xsave = r.ecx & CPUID_1_ECX_XSAVE;
	if (xsave)
		work |= X86_CR4_OSXSAVE;
	if (work != cr4)
		write_cr4(work);
	asm volatile("fninit; fxrstor64 %0" : : "m"(reset_image));
	if (xsave) {
		/* Components 2 and up; x87 and SSE were set just above. */
		uint64_t rfbm = xgetbv0() & ~3ull;

		if (rfbm)
			asm volatile("xrstor64 %0"
				     : : "m"(reset_image), "a"((uint32_t)rfbm),
				       "d"((uint32_t)(rfbm >> 32)));
	}
	if (work != cr4)
		write_cr4(cr4);
}
