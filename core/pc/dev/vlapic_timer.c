/*
 * Virtual local APIC: the timer, in one-shot, periodic and TSC-deadline
 * mode, on a vtimer owned by the APIC's vCPU ("Timer" in vlapic.h).
 *
 * The __vlapic_ functions run with a->lock held and take the owner's
 * vtimer lock inside it (order: vlapic.lock, then vtimer_vcpu.lock); the
 * sink, vlapic_timer_fire(), runs with no vtimer lock held and takes
 * a->lock.
 */
#include "core/pc/dev/vlapic_internal.h"
#include "core/lib/platform.h"

#define NS_PER_MS		1000000ull

uint64_t vlapic_now(const struct vlapic *a)
{
	return a->clock_ns ? a->clock_ns() : time_now_ns();
}

unsigned int __vlapic_timer_mode(const struct vlapic *a)
{
	unsigned int m = (a->lvt[VLAPIC_LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK) >>
			 APIC_LVT_TIMER_MODE_SHIFT;

	/* Mode 3 is reserved: it counts as one-shot. */
	return m == APIC_TIMER_PERIODIC || m == APIC_TIMER_TSC_DEADLINE ?
	       m : APIC_TIMER_ONESHOT;
}

/* Bus clocks per count: TDCR bits 3,1:0 = 000 -> 2 ... 110 -> 128, 111 -> 1. */
uint64_t __vlapic_divisor(const struct vlapic *a)
{
	unsigned int code = (a->tdcr & 3u) | (a->tdcr >> 1 & 4u);

	return 1ull << ((code + 1) & 7);
}

/*
 * (Re)arms the count-down timer at now with first_count counts to the
 * first interrupt (1 count = divisor ns); stops it if first_count or the
 * initial count is 0.
 */
void __vlapic_timer_program(struct vlapic *a, uint64_t now,
				   uint64_t first_count)
{
	uint64_t div = __vlapic_divisor(a), period = 0;

	if (!a->tmict || !first_count) {
		vtimer_stop(&a->timer, now);
		return;
	}
	if (__vlapic_timer_mode(a) == APIC_TIMER_PERIODIC)
		period = MAX(a->tmict * div, VLAPIC_MIN_PERIOD_NS);
	vtimer_start(&a->timer, a->owner, now, now + first_count * div, period);
}

/* TMCCT at now: counts left to the next interrupt, 0 once a one-shot ended. */
uint32_t __vlapic_timer_current(struct vlapic *a, uint64_t now)
{
	uint64_t div = __vlapic_divisor(a), left;

	if (__vlapic_timer_mode(a) == APIC_TIMER_TSC_DEADLINE || !a->tmict)
		return 0;
	left = vtimer_remaining(&a->timer, now);
	if (left == VTIMER_NEVER)
		return 0;
	return (uint32_t)MIN((left + div - 1) / div, (uint64_t)a->tmict);
}

/* ns for cycles TSC cycles, rounded up; VTIMER_NEVER past 2^64. */
static uint64_t vlapic_tsc_to_ns(const struct vlapic *a, uint64_t cycles)
{
	uint64_t q = cycles / a->tsc_khz, r = cycles % a->tsc_khz, ns;

	if (__builtin_mul_overflow(q, NS_PER_MS, &ns) ||
	    __builtin_add_overflow(ns, (r * NS_PER_MS + a->tsc_khz - 1) /
				       a->tsc_khz, &ns))
		return VTIMER_NEVER;
	return ns;
}

/* Arms the timer for IA32_TSC_DEADLINE (0: disarmed). */
void __vlapic_deadline_program(struct vlapic *a, uint64_t now)
{
	uint64_t tsc, ns = 0, first;

	if (!a->tsc_deadline) {
		vtimer_stop(&a->timer, now);
		return;
	}
	tsc = a->read_tsc(a->ctx);
	if (a->tsc_deadline > tsc)
		ns = vlapic_tsc_to_ns(a, a->tsc_deadline - tsc);
	if (ns == VTIMER_NEVER || __builtin_add_overflow(now, ns, &first)) {
		vtimer_stop(&a->timer, now);	/* beyond the end of time */
		return;
	}
	vtimer_start(&a->timer, a->owner, now, first, 0);
}

/* The timer came due: one interrupt unless the LVT is masked. */
static void vlapic_timer_fire(struct vtimer_vcpu *v, void *ctx,
			      unsigned int irq, unsigned int ticks)
{
	struct vlapic *a = ctx;
	struct vlapic_after after;
	uint32_t lvt;

	vlapic_after_init(&after);
	spin_lock(&a->lock);
	/* SDM 10.5.4.1: the MSR reads 0 once the deadline has passed. */
	if (__vlapic_timer_mode(a) == APIC_TIMER_TSC_DEADLINE)
		a->tsc_deadline = 0;
	lvt = a->lvt[VLAPIC_LVT_TIMER];
	if (!(lvt & APIC_LVT_MASKED))
		after.kick = __vlapic_accept(a, lvt & APIC_VECTOR_MASK, false);
	vlapic_unlock_act(a, &after);
}

const struct vtimer_sink vlapic_timer_sink = {
	.fire = vlapic_timer_fire,
	.name = "vlapic",
};
