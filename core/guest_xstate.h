/*
 * A vCPU's extended state: its x87/SSE/AVX registers in an XSAVE area of
 * its own and its XCR0 (docs/security.md, "What each vCPU owns"). The
 * backends call these, keyed by the vCPU, never by the CPU:
 *
 *   vcpu_create   guest_xstate_init(): reset area, XCR0 = 1
 *   vcpu_load     guest_xstate_load(): the vCPU's registers into the CPU
 *   entry         guest_xstate_enter(): the guest's XCR0 if not the host's
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
};

static inline int guest_xstate_init(struct guest_xstate *xs)
{
	xs->area = platform_xstate_alloc();
	xs->xcr0 = XCR0_RESET;
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

/* XCR0 is switched by neither VMRUN nor VM entry: done around them. */
static inline void guest_xstate_enter(const struct guest_xstate *xs)
{
	uint64_t host = platform_xcr0_host();

	if (host && xs->xcr0 != host)
		platform_xcr0_write(xs->xcr0);
}

static inline void guest_xstate_exit(const struct guest_xstate *xs)
{
	uint64_t host = platform_xcr0_host();

	if (host && xs->xcr0 != host)
		platform_xcr0_write(host);
}

#endif
