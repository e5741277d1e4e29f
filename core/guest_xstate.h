/*
 * A vCPU's extended state: its x87/SSE/AVX registers in an XSAVE area of
 * its own and its XCR0 (docs/security.md, "What each vCPU owns"). The
 * backends call these, keyed by the vCPU, never by the CPU:
 *
 *   vcpu_create   guest_xstate_init(): reset area, XCR0 = 1
 *   vcpu_load     guest_xstate_load(): the vCPU's registers into the CPU
 *   entry         guest_xstate_enter(): the guest's XCR0 if not the host's,
 *                 its TSC_AUX if the CPU holds another
 *   exit          guest_xstate_exit(): the host's XCR0 back
 *   vcpu_put      guest_xstate_put(): the CPU's registers into the area
 *   vcpu_destroy  guest_xstate_destroy()
 *
 * Between load and put the CPU's registers are the vCPU's (the hypervisor
 * never uses them); a vCPU that moves or shares its CPU goes through put
 * and load, so no other vCPU ever runs on its values. Load, put, entry
 * and exit run on the vCPU's CPU with interrupts off; the XCR0 is the
 * vCPU thread's (written by the XSETBV exit, core/vcpu_exit.c).
 */
#ifndef CORE_GUEST_XSTATE_H
#define CORE_GUEST_XSTATE_H

#include "asm/xstate.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"

struct guest_xstate {
	void *area;		/* platform_xstate_alloc() */
	uint64_t xcr0;		/* the guest's XCR0: XFEATURE_* */
	uint32_t tsc_aux;	/* the guest's IA32_TSC_AUX (RDTSCP, RDPID) */
};

static inline int guest_xstate_init(struct guest_xstate *xs)
{
	xs->area = platform_xstate_alloc();
	xs->xcr0 = XCR0_RESET;
	xs->tsc_aux = 0;
	return xs->area ? 0 : -ENOMEM;
}

static inline void guest_xstate_destroy(struct guest_xstate *xs)
{
	platform_xstate_free(xs->area);
	xs->area = NULL;
}

static inline void guest_xstate_load(const struct guest_xstate *xs)
{
	platform_xstate_restore(xs->area);
}

static inline void guest_xstate_put(struct guest_xstate *xs)
{
	platform_xstate_save(xs->area);
}

/*
 * XCR0 and TSC_AUX are switched by neither VMRUN nor VM entry: done
 * around them. TSC_AUX stays the guest's after the exit (the hypervisor
 * never reads it); the CPU's copy is rewritten when another vCPU enters.
 */
static inline void guest_xstate_enter(const struct guest_xstate *xs)
{
	uint64_t host = platform_xcr0_host();

	platform_tsc_aux_load(xs->tsc_aux);

	if (host && xs->xcr0 != host)
		platform_xcr0_write(xs->xcr0);
}

/*
 * A CPU that ignores the XSETBV intercept (QEMU TCG's SVM) lets the
 * guest load XCR0 itself: what the guest loaded is its XCR0 if the CPU
 * would take it for the offered components (the host's set, as CPUID
 * 0xD offers it); anything else is not kept.
 */
static inline void guest_xstate_exit(struct guest_xstate *xs)
{
	uint64_t host = platform_xcr0_host();
	uint64_t now;

	if (!host)
		return;
	now = platform_xcr0_read();
	if (now != xs->xcr0 && xcr0_valid(now, host))
		xs->xcr0 = now;
	if (now != host)
		platform_xcr0_write(host);
}

#endif
