/*
 * Virtual local APIC: registers, priorities, the timer and the APIC bus.
 *
 * Runs in vCPU context on any CPU. Register accesses, MSRs, injection and
 * the timer sink run on the owner vCPU; vlapic_set_irq() and
 * vapic_bus_deliver() on any CPU. Every function below whose name starts
 * with __vlapic_ runs with a->lock held; the public ones take it. Work that
 * must not happen under the lock (IPIs, the EOI callback, the kick) is
 * collected in a struct vlapic_after and done by vlapic_unlock_act().
 * With the lock held, vtimer_start()/_stop()/_remaining()/_set_period()
 * take the owner's vtimer lock inside it (order: vlapic.lock, then
 * vtimer_vcpu.lock); the sink takes a->lock with no vtimer lock held.
 */
#include "core/pc/dev/vlapic.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define NS_PER_MS		1000000ull
#define VLAPIC_FIRST_VECTOR	16	/* 0-15 are illegal */
#define VLAPIC_X2APIC_CLUSTER_SHIFT 16
#define VLAPIC_X2APIC_DEST_BITS	0xffffu

enum vlapic_mode {
	VLAPIC_MODE_DISABLED,
	VLAPIC_MODE_XAPIC,
	VLAPIC_MODE_X2APIC,
	VLAPIC_MODE_INVALID,	/* EXTD without EN */
};

/* What a locked section leaves for after the unlock. */
struct vlapic_after {
	bool kick;		/* a vector is injectable */
	bool send;		/* an IPI: msg */
	int eoi_vector;		/* level-triggered EOI, or -1 */
	struct vapic_msg msg;
};

/* Bits in the LVT entries that software can write. */
static const uint32_t vlapic_lvt_writable[VLAPIC_NR_LVT] = {
	[VLAPIC_LVT_TIMER] = APIC_VECTOR_MASK | APIC_LVT_MASKED |
			     APIC_LVT_TIMER_MODE_MASK,
	[VLAPIC_LVT_THERMAL] = APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_MASKED,
	[VLAPIC_LVT_PMC] = APIC_VECTOR_MASK | APIC_DM_MASK | APIC_LVT_MASKED,
	[VLAPIC_LVT_LINT0] = APIC_VECTOR_MASK | APIC_DM_MASK |
			     APIC_LVT_POLARITY_LOW | APIC_LVT_LEVEL |
			     APIC_LVT_MASKED,
	[VLAPIC_LVT_LINT1] = APIC_VECTOR_MASK | APIC_DM_MASK |
			     APIC_LVT_POLARITY_LOW | APIC_LVT_LEVEL |
			     APIC_LVT_MASKED,
	[VLAPIC_LVT_ERROR] = APIC_VECTOR_MASK | APIC_LVT_MASKED,
};

static const struct vtimer_sink vlapic_timer_sink;

/* ---- Vector bitmaps (IRR, ISR, TMR: register n holds vectors 32n..) --- */

static void vlapic_vec_set(uint32_t *map, uint8_t vec)
{
	map[vec / 32] |= 1u << (vec % 32);
}

static void vlapic_vec_clear(uint32_t *map, uint8_t vec)
{
	map[vec / 32] &= ~(1u << (vec % 32));
}

static bool vlapic_vec_test(const uint32_t *map, uint8_t vec)
{
	return map[vec / 32] >> (vec % 32) & 1;
}

/* The highest vector set in map, or -1. */
static int vlapic_vec_highest(const uint32_t *map)
{
	for (int i = 7; i >= 0; i--) {
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	}
	return -1;
}

/* ---- Mode and priorities (a->lock held) -------------------------------- */

static enum vlapic_mode vlapic_mode_of(uint64_t base)
{
	if (!(base & APIC_BASE_EN))
		return base & APIC_BASE_EXTD ? VLAPIC_MODE_INVALID :
					       VLAPIC_MODE_DISABLED;
	return base & APIC_BASE_EXTD ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

static bool __vlapic_x2apic(const struct vlapic *a)
{
	return vlapic_mode_of(a->apic_base) == VLAPIC_MODE_X2APIC;
}

static bool __vlapic_hw_enabled(const struct vlapic *a)
{
	return a->apic_base & APIC_BASE_EN;
}

static bool __vlapic_sw_enabled(const struct vlapic *a)
{
	return __vlapic_hw_enabled(a) && (a->svr & APIC_SVR_ENABLE);
}

/* x2APIC logical ID: cluster (id[31:4]) in 31:16, 1 << id[3:0] in 15:0. */
static uint32_t vlapic_x2apic_ldr(uint32_t id)
{
	return (id >> 4) << VLAPIC_X2APIC_CLUSTER_SHIFT | 1u << (id & 0xf);
}

/* PPR (SDM 10.8.3.1): TPR if its class is at least ISRV's, else ISRV's class. */
static uint32_t __vlapic_ppr(const struct vlapic *a)
{
	int isrv = vlapic_vec_highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : APIC_PRIO_CLASS((uint32_t)isrv);

	if (APIC_PRIO_CLASS(a->tpr) >= isr_class)
		return a->tpr;
	return isr_class;
}

/* APR (SDM 10.8.3.1 for the P6 family, the lowest-priority arbitration). */
static uint32_t __vlapic_apr(const struct vlapic *a)
{
	int irrv = vlapic_vec_highest(a->irr), isrv = vlapic_vec_highest(a->isr);
	uint32_t v = (uint32_t)MAX(MAX(irrv, isrv), 0);

	if (APIC_PRIO_CLASS(a->tpr) >= APIC_PRIO_CLASS(v))
		return a->tpr;
	return APIC_PRIO_CLASS(v);
}

static int __vlapic_pending(const struct vlapic *a)
{
	int irrv;

	if (!__vlapic_sw_enabled(a))
		return -1;
	irrv = vlapic_vec_highest(a->irr);
	if (irrv < 0 ||
	    APIC_PRIO_CLASS((uint32_t)irrv) <= APIC_PRIO_CLASS(__vlapic_ppr(a)))
		return -1;
	return irrv;
}

/* ---- Acceptance -------------------------------------------------------- */

static bool __vlapic_accept(struct vlapic *a, uint8_t vec, bool level);

/*
 * Records an error in the ESR (visible after the next ESR write) and
 * raises the error LVT's interrupt if it is unmasked. Returns true if a
 * vector is injectable afterwards.
 */
static bool __vlapic_error(struct vlapic *a, uint32_t bit)
{
	uint32_t lvt = a->lvt[VLAPIC_LVT_ERROR];
	uint8_t vec = lvt & APIC_VECTOR_MASK;

	a->esr_pending |= bit;
	/* An illegal error vector would recurse: it is only recorded. */
	if ((lvt & APIC_LVT_MASKED) || vec < VLAPIC_FIRST_VECTOR)
		return __vlapic_pending(a) >= 0;
	return __vlapic_accept(a, vec, false);
}

/*
 * Accepts fixed interrupt vec into IRR (TMR set if level, else cleared).
 * Returns true if a vector is injectable afterwards.
 */
static bool __vlapic_accept(struct vlapic *a, uint8_t vec, bool level)
{
	spin_assert_held(&a->lock);
	if (vec < VLAPIC_FIRST_VECTOR)
		return __vlapic_error(a, APIC_ESR_RECV_ILLEGAL_VECTOR);
	if (!__vlapic_sw_enabled(a))
		return false;
	vlapic_vec_set(a->irr, vec);
	if (level)
		vlapic_vec_set(a->tmr, vec);
	else
		vlapic_vec_clear(a->tmr, vec);
	return __vlapic_pending(a) >= 0;
}

/* Drops a->lock, then does what the locked section left in after. */
static void vlapic_unlock_act(struct vlapic *a, struct vlapic_after *after)
{
	spin_unlock(&a->lock);
	if (after->eoi_vector >= 0 && a->ops->eoi_level)
		a->ops->eoi_level(a->ctx, (uint8_t)after->eoi_vector);
	if (after->send) {
		if (a->bus)
			vapic_bus_deliver(a->bus, &after->msg);
		else if (after->msg.shorthand == VAPIC_SH_SELF)
			vapic_bus_deliver(&(struct vapic_bus){ 1, { a } },
					  &after->msg);
	}
	if (after->kick && a->ops->kick)
		a->ops->kick(a->ctx);
}

static void vlapic_after_init(struct vlapic_after *after)
{
	after->kick = false;
	after->send = false;
	after->eoi_vector = -1;
}

void vlapic_set_irq(struct vlapic *a, uint8_t vector, bool level_trigger)
{
	struct vlapic_after after;

	vlapic_after_init(&after);
	spin_lock(&a->lock);
	after.kick = __vlapic_accept(a, vector, level_trigger);
	vlapic_unlock_act(a, &after);
}

int vlapic_pending_vector(struct vlapic *a)
{
	int vec;

	spin_lock(&a->lock);
	vec = __vlapic_pending(a);
	spin_unlock(&a->lock);
	return vec;
}

void vlapic_ack_vector(struct vlapic *a, uint8_t vec)
{
	spin_lock(&a->lock);
	vlapic_vec_clear(a->irr, vec);
	vlapic_vec_set(a->isr, vec);
	spin_unlock(&a->lock);
}

bool vlapic_accepts_pic_intr(struct vlapic *a)
{
	uint32_t lint0;
	bool ret;

	spin_lock(&a->lock);
	lint0 = a->lvt[VLAPIC_LVT_LINT0];
	ret = !__vlapic_hw_enabled(a) ||
	      (!(lint0 & APIC_LVT_MASKED) &&
	       (lint0 & APIC_DM_MASK) >> APIC_DM_SHIFT == VAPIC_DM_EXTINT);
	spin_unlock(&a->lock);
	return ret;
}

/* EOI: retires the highest in-service vector. */
static void __vlapic_eoi(struct vlapic *a, struct vlapic_after *after)
{
	int vec = vlapic_vec_highest(a->isr);

	if (vec < 0)
		return;
	vlapic_vec_clear(a->isr, (uint8_t)vec);
	if (vlapic_vec_test(a->tmr, (uint8_t)vec))
		after->eoi_vector = vec;
	after->kick = __vlapic_pending(a) >= 0;
}

/* ---- Timer ------------------------------------------------------------- */

static uint64_t vlapic_now(const struct vlapic *a)
{
	return a->clock_ns ? a->clock_ns() : time_now_ns();
}

static unsigned int __vlapic_timer_mode(const struct vlapic *a)
{
	unsigned int m = (a->lvt[VLAPIC_LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK) >>
			 APIC_LVT_TIMER_MODE_SHIFT;

	/* Mode 3 is reserved: it counts as one-shot. */
	return m == APIC_TIMER_PERIODIC || m == APIC_TIMER_TSC_DEADLINE ?
	       m : APIC_TIMER_ONESHOT;
}

/* Bus clocks per count: TDCR bits 3,1:0 = 000 -> 2 ... 110 -> 128, 111 -> 1. */
static uint64_t __vlapic_divisor(const struct vlapic *a)
{
	unsigned int code = (a->tdcr & 3u) | (a->tdcr >> 1 & 4u);

	return 1ull << ((code + 1) & 7);
}

/*
 * (Re)arms the count-down timer at now with first_count counts to the
 * first interrupt (1 count = divisor ns); stops it if first_count or the
 * initial count is 0.
 */
static void __vlapic_timer_program(struct vlapic *a, uint64_t now,
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
static uint32_t __vlapic_timer_current(struct vlapic *a, uint64_t now)
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
static void __vlapic_deadline_program(struct vlapic *a, uint64_t now)
{
	uint64_t tsc, ns = 0, first;

	if (!a->tsc_deadline) {
		vtimer_stop(&a->timer, now);
		return;
	}
	tsc = a->read_tsc();
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

static const struct vtimer_sink vlapic_timer_sink = {
	.fire = vlapic_timer_fire,
	.name = "vlapic",
};

/* ---- Register writes (a->lock held) ------------------------------------ */

static void __vlapic_write_lvt(struct vlapic *a, enum vlapic_lvt idx,
			       uint32_t val, uint64_t now)
{
	unsigned int old_mode = __vlapic_timer_mode(a), mode;

	val &= vlapic_lvt_writable[idx];
	/* Software disabled: the mask bits stay set (SDM 10.4.7.2). */
	if (!(a->svr & APIC_SVR_ENABLE))
		val |= APIC_LVT_MASKED;
	a->lvt[idx] = val;
	if (idx != VLAPIC_LVT_TIMER)
		return;
	mode = __vlapic_timer_mode(a);
	if (mode == old_mode)
		return;
	if (mode == APIC_TIMER_TSC_DEADLINE || old_mode == APIC_TIMER_TSC_DEADLINE) {
		/* To or from TSC-deadline mode: the timer is disarmed. */
		a->tmict = 0;
		a->tsc_deadline = 0;
		vtimer_stop(&a->timer, now);
		return;
	}
	/* One-shot <-> periodic: the running count goes on in the new mode. */
	if (a->tmict)
		vtimer_set_period(&a->timer, mode == APIC_TIMER_PERIODIC ?
				  MAX(a->tmict * __vlapic_divisor(a),
				      VLAPIC_MIN_PERIOD_NS) : 0, now);
}

static void __vlapic_write_svr(struct vlapic *a, uint32_t val,
			       struct vlapic_after *after)
{
	a->svr = val & APIC_SVR_WRITABLE;
	if (!(a->svr & APIC_SVR_ENABLE)) {
		for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
			a->lvt[i] |= APIC_LVT_MASKED;
	}
	after->kick = __vlapic_pending(a) >= 0;
}

static void __vlapic_write_tdcr(struct vlapic *a, uint32_t val, uint64_t now)
{
	uint32_t left = __vlapic_timer_current(a, now);

	a->tdcr = val & APIC_TDCR_MASK;
	/* A running count goes on at the new rate. */
	if (left)
		__vlapic_timer_program(a, now, left);
}

/*
 * An ICR write: builds the IPI, sent after the unlock. Vectors 0-15 in
 * fixed and lowest-priority mode are an error of the sender (ESR bit 5).
 */
static void __vlapic_send_ipi(struct vlapic *a, struct vlapic_after *after)
{
	struct vapic_msg *m = &after->msg;
	uint32_t lo = a->icr_lo;

	m->src_id = a->id;
	m->dest = __vlapic_x2apic(a) ? a->icr_hi :
		  a->icr_hi >> APIC_ICR_XAPIC_DEST_SHIFT;
	m->logical = lo & APIC_ICR_DEST_LOGICAL;
	m->shorthand = (uint8_t)((lo & APIC_ICR_SH_MASK) >> APIC_ICR_SH_SHIFT);
	m->delivery = (uint8_t)((lo & APIC_DM_MASK) >> APIC_DM_SHIFT);
	m->vector = lo & APIC_VECTOR_MASK;
	m->level = lo & APIC_ICR_TRIGGER_LEVEL;
	m->assert = lo & APIC_ICR_LEVEL_ASSERT;
	if ((m->delivery == VAPIC_DM_FIXED || m->delivery == VAPIC_DM_LOWEST) &&
	    m->vector < VLAPIC_FIRST_VECTOR) {
		after->kick = __vlapic_error(a, APIC_ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	after->send = true;
}

static int __vlapic_write_icr(struct vlapic *a, uint64_t val,
			      struct vlapic_after *after)
{
	if (__vlapic_x2apic(a)) {
		if (val & APIC_ICR_X2APIC_RESERVED)
			return -EINVAL;
		a->icr_hi = (uint32_t)(val >> 32);
	}
	a->icr_lo = (uint32_t)val & APIC_ICR_LO_WRITABLE;
	__vlapic_send_ipi(a, after);
	return 0;
}

static int vlapic_lvt_index(unsigned int reg)
{
	if (reg < APIC_REG_LVT_TIMER || reg > APIC_REG_LVT_ERROR)
		return -1;
	return (int)((reg - APIC_REG_LVT_TIMER) >> 4);
}

/*
 * Writes register reg (xAPIC offset) with val at now. Returns 0, or
 * -EINVAL where x2APIC mode raises #GP (read-only, reserved, non-zero
 * EOI/ESR). In xAPIC mode the caller ignores the error: writes to
 * read-only or reserved registers have no effect.
 */
static int __vlapic_write_reg(struct vlapic *a, unsigned int reg, uint64_t val,
			      uint64_t now, struct vlapic_after *after)
{
	bool x2 = __vlapic_x2apic(a);
	uint32_t v = (uint32_t)val;
	int lvt = vlapic_lvt_index(reg);

	if (lvt >= 0) {
		__vlapic_write_lvt(a, (enum vlapic_lvt)lvt, v, now);
		return 0;
	}
	switch (reg) {
	case APIC_REG_TPR:
		a->tpr = v & APIC_TPR_MASK;
		after->kick = __vlapic_pending(a) >= 0;
		return 0;
	case APIC_REG_EOI:
		if (x2 && val)
			return -EINVAL;
		__vlapic_eoi(a, after);
		return 0;
	case APIC_REG_LDR:
		if (x2)
			return -EINVAL;
		a->ldr = v & APIC_LDR_XAPIC_MASK;
		return 0;
	case APIC_REG_DFR:
		if (x2)
			return -EINVAL;
		a->dfr = v | APIC_DFR_RESERVED_ONES;
		return 0;
	case APIC_REG_SVR:
		__vlapic_write_svr(a, v, after);
		return 0;
	case APIC_REG_ESR:
		if (x2 && val)
			return -EINVAL;
		a->esr = a->esr_pending;
		a->esr_pending = 0;
		return 0;
	case APIC_REG_ICR_LO:
		return __vlapic_write_icr(a, val, after);
	case APIC_REG_ICR_HI:
		if (x2)
			return -EINVAL;
		a->icr_hi = v & (0xffu << APIC_ICR_XAPIC_DEST_SHIFT);
		return 0;
	case APIC_REG_TMICT:
		/* Ignored in TSC-deadline mode (SDM 10.5.4.1). */
		if (__vlapic_timer_mode(a) == APIC_TIMER_TSC_DEADLINE)
			return 0;
		a->tmict = v;
		__vlapic_timer_program(a, now, v);
		return 0;
	case APIC_REG_TDCR:
		__vlapic_write_tdcr(a, v, now);
		return 0;
	case APIC_REG_SELF_IPI:
		if (!x2)
			return -EINVAL;
		a->icr_lo = (v & APIC_VECTOR_MASK) |
			    VAPIC_SH_SELF << APIC_ICR_SH_SHIFT;
		__vlapic_send_ipi(a, after);
		return 0;
	default:	/* ID, LVR, APR, PPR, ISR, TMR, IRR, TMCCT, reserved */
		return -EINVAL;
	}
}

/* ---- Register reads (a->lock held) ------------------------------------- */

/*
 * Reads register reg (xAPIC offset) at now into *val. Returns -EINVAL for
 * registers that do not exist in the current mode or are write-only.
 */
static int __vlapic_read_reg(struct vlapic *a, unsigned int reg, uint64_t now,
			     uint64_t *val)
{
	bool x2 = __vlapic_x2apic(a);
	int lvt = vlapic_lvt_index(reg);

	if (lvt >= 0) {
		*val = a->lvt[lvt];
		return 0;
	}
	if (reg >= APIC_REG_ISR && reg < APIC_REG_ESR) {
		unsigned int n = (reg - APIC_REG_ISR) >> 4;

		*val = n < 8 ? a->isr[n] : n < 16 ? a->tmr[n - 8] : a->irr[n - 16];
		return 0;
	}
	switch (reg) {
	case APIC_REG_ID:
		*val = x2 ? a->id : a->id << APIC_XAPIC_ID_SHIFT;
		return 0;
	case APIC_REG_LVR:
		*val = APIC_LVR_VALUE;
		return 0;
	case APIC_REG_TPR:
		*val = a->tpr;
		return 0;
	case APIC_REG_APR:
		*val = __vlapic_apr(a);
		return x2 ? -EINVAL : 0;
	case APIC_REG_PPR:
		*val = __vlapic_ppr(a);
		return 0;
	case APIC_REG_LDR:
		*val = a->ldr;
		return 0;
	case APIC_REG_DFR:
		*val = a->dfr;
		return x2 ? -EINVAL : 0;
	case APIC_REG_SVR:
		*val = a->svr;
		return 0;
	case APIC_REG_ESR:
		*val = a->esr;
		return 0;
	case APIC_REG_ICR_LO:	/* delivery status: always idle */
		*val = x2 ? (uint64_t)a->icr_hi << 32 | a->icr_lo : a->icr_lo;
		return 0;
	case APIC_REG_ICR_HI:
		*val = a->icr_hi;
		return x2 ? -EINVAL : 0;
	case APIC_REG_TMICT:
		*val = a->tmict;
		return 0;
	case APIC_REG_TMCCT:
		*val = __vlapic_timer_current(a, now);
		return 0;
	case APIC_REG_TDCR:
		*val = a->tdcr;
		return 0;
	default:	/* EOI, SELF_IPI (write-only), RRD, CMCI, reserved */
		return -EINVAL;
	}
}

/* ---- xAPIC page -------------------------------------------------------- */

#define VLAPIC_PAGE_MASK	0xfffull
#define VLAPIC_REG_STRIDE	16u
#define VLAPIC_REG_BYTES	4u

int vlapic_mmio_read(struct vlapic *a, uint64_t offset, unsigned int size,
		     uint64_t *val)
{
	unsigned int off = (unsigned int)(offset & VLAPIC_PAGE_MASK);
	unsigned int in_reg = off % VLAPIC_REG_STRIDE;
	uint64_t now = vlapic_now(a), v = 0;

	*val = 0;
	/* Only bytes 0-3 of a register are defined. */
	if (!size || size > VLAPIC_REG_BYTES || in_reg + size > VLAPIC_REG_BYTES)
		return 0;
	spin_lock(&a->lock);
	if (vlapic_mode_of(a->apic_base) == VLAPIC_MODE_XAPIC &&
	    __vlapic_read_reg(a, off - in_reg, now, &v) == 0)
		*val = (v >> (8 * in_reg)) & (~0ull >> (64 - 8 * size));
	spin_unlock(&a->lock);
	return 0;
}

int vlapic_mmio_write(struct vlapic *a, uint64_t offset, unsigned int size,
		      uint64_t val)
{
	unsigned int off = (unsigned int)(offset & VLAPIC_PAGE_MASK);
	uint64_t now = vlapic_now(a);
	struct vlapic_after after;

	/* Only aligned 32-bit writes are defined (SDM 10.4.1). */
	if (size != VLAPIC_REG_BYTES || off % VLAPIC_REG_STRIDE)
		return 0;
	vlapic_after_init(&after);
	spin_lock(&a->lock);
	if (vlapic_mode_of(a->apic_base) == VLAPIC_MODE_XAPIC)
		__vlapic_write_reg(a, off, (uint32_t)val, now, &after);
	vlapic_unlock_act(a, &after);
	return 0;
}

static int vlapic_mmio_ops_read(void *dev, uint64_t addr, unsigned int size,
				uint64_t *val)
{
	return vlapic_mmio_read(dev, addr & VLAPIC_PAGE_MASK, size, val);
}

static int vlapic_mmio_ops_write(void *dev, uint64_t addr, unsigned int size,
				 uint64_t val)
{
	return vlapic_mmio_write(dev, addr & VLAPIC_PAGE_MASK, size, val);
}

const struct vdev_mmio_ops vlapic_mmio_ops = {
	.read = vlapic_mmio_ops_read,
	.write = vlapic_mmio_ops_write,
};

/* ---- MSRs -------------------------------------------------------------- */

/* Registers as after RESET, except IA32_APIC_BASE and the ID. */
static void __vlapic_reset_regs(struct vlapic *a, uint64_t now)
{
	vtimer_stop(&a->timer, now);
	a->tpr = 0;
	a->ldr = __vlapic_x2apic(a) ? vlapic_x2apic_ldr(a->id) : 0;
	a->dfr = ~0u;
	a->svr = APIC_SVR_RESET;
	a->esr = 0;
	a->esr_pending = 0;
	memset(a->isr, 0, sizeof(a->isr));
	memset(a->tmr, 0, sizeof(a->tmr));
	memset(a->irr, 0, sizeof(a->irr));
	a->icr_lo = 0;
	a->icr_hi = 0;
	for (unsigned int i = 0; i < VLAPIC_NR_LVT; i++)
		a->lvt[i] = APIC_LVT_MASKED;
	a->tmict = 0;
	a->tdcr = 0;
	a->tsc_deadline = 0;
}

/* IA32_APIC_BASE write: legal transitions only (SDM 10.12.5.1). */
static int __vlapic_set_base(struct vlapic *a, uint64_t val, uint64_t now)
{
	const uint64_t writable = APIC_BASE_ADDR_MASK | APIC_BASE_BSP |
				  APIC_BASE_EXTD | APIC_BASE_EN;
	enum vlapic_mode old = vlapic_mode_of(a->apic_base);
	enum vlapic_mode new = vlapic_mode_of(val);

	if ((val & ~writable) || new == VLAPIC_MODE_INVALID ||
	    (old == VLAPIC_MODE_X2APIC && new == VLAPIC_MODE_XAPIC) ||
	    (old == VLAPIC_MODE_DISABLED && new == VLAPIC_MODE_X2APIC))
		return -EINVAL;
	a->apic_base = val;
	if (new == old)
		return 0;
	if (new == VLAPIC_MODE_DISABLED)
		/* Nothing but the ID survives the way through disabled. */
		__vlapic_reset_regs(a, now);
	else if (new == VLAPIC_MODE_X2APIC)
		a->ldr = vlapic_x2apic_ldr(a->id);
	return 0;
}

int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val)
{
	uint64_t now;
	int ret = 0;

	if (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE &&
	    (msr < MSR_X2APIC_BASE || msr > MSR_X2APIC_LAST))
		return -ENOENT;
	now = vlapic_now(a);
	*val = 0;
	spin_lock(&a->lock);
	if (msr == MSR_IA32_APIC_BASE)
		*val = a->apic_base;
	else if (msr == MSR_IA32_TSC_DEADLINE)
		*val = __vlapic_timer_mode(a) == APIC_TIMER_TSC_DEADLINE ?
		       a->tsc_deadline : 0;
	else if (!__vlapic_x2apic(a))
		ret = -EINVAL;
	else
		ret = __vlapic_read_reg(a, (msr - MSR_X2APIC_BASE) << 4, now, val);
	spin_unlock(&a->lock);
	if (ret)
		*val = 0;
	return ret;
}

static int __vlapic_wrmsr_x2apic(struct vlapic *a, uint32_t msr, uint64_t val,
				 uint64_t now, struct vlapic_after *after)
{
	unsigned int reg = (msr - MSR_X2APIC_BASE) << 4;

	if (!__vlapic_x2apic(a))
		return -EINVAL;
	/* Bits 63:32 are reserved in every register but the ICR. */
	if (reg != APIC_REG_ICR_LO && val >> 32)
		return -EINVAL;
	return __vlapic_write_reg(a, reg, val, now, after);
}

int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val)
{
	struct vlapic_after after;
	uint64_t now;
	int ret = 0;

	if (msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE &&
	    (msr < MSR_X2APIC_BASE || msr > MSR_X2APIC_LAST))
		return -ENOENT;
	now = vlapic_now(a);
	vlapic_after_init(&after);
	spin_lock(&a->lock);
	if (msr == MSR_IA32_APIC_BASE) {
		ret = __vlapic_set_base(a, val, now);
	} else if (msr == MSR_IA32_TSC_DEADLINE) {
		/* Ignored outside TSC-deadline mode (SDM 10.5.4.1). */
		if (__vlapic_timer_mode(a) == APIC_TIMER_TSC_DEADLINE) {
			a->tsc_deadline = val;
			__vlapic_deadline_program(a, now);
		}
	} else {
		ret = __vlapic_wrmsr_x2apic(a, msr, val, now, &after);
	}
	vlapic_unlock_act(a, &after);
	return ret;
}

/* ---- The bus ----------------------------------------------------------- */

void vapic_bus_attach(struct vapic_bus *bus, struct vlapic *a)
{
	ASSERT(a->id < VAPIC_BUS_MAX);
	bus->lapics[a->id] = a;
	bus->nr = MAX(bus->nr, a->id + 1);
	a->bus = bus;
}

/* Does t's logical ID match dest (t's lock held)? */
static bool __vlapic_match_logical(const struct vlapic *t, uint32_t dest)
{
	uint32_t ldr = t->ldr, dest8 = dest & 0xffu, id8;

	if (__vlapic_x2apic(t))
		return dest == VAPIC_BCAST_X2APIC ||
		       (dest >> VLAPIC_X2APIC_CLUSTER_SHIFT ==
			ldr >> VLAPIC_X2APIC_CLUSTER_SHIFT &&
			(dest & ldr & VLAPIC_X2APIC_DEST_BITS));
	if (dest == VAPIC_BCAST_X2APIC || dest8 == VAPIC_BCAST_XAPIC)
		return true;
	id8 = ldr >> APIC_XAPIC_ID_SHIFT;
	if (t->dfr >> APIC_DFR_MODEL_SHIFT == APIC_DFR_FLAT)
		return dest8 & id8;
	/* Cluster model: cluster in bits 7:4, one bit per APIC in 3:0. */
	return dest8 >> 4 == id8 >> 4 && (dest8 & id8 & 0xfu);
}

/* Does t's physical ID match dest (t's lock held)? */
static bool __vlapic_match_physical(const struct vlapic *t, uint32_t dest)
{
	if (dest == VAPIC_BCAST_X2APIC)
		return true;
	if (__vlapic_x2apic(t))
		return dest == t->id;
	return dest == VAPIC_BCAST_XAPIC || dest == (t->id & 0xffu);
}

/*
 * Is t a destination of m? For lowest priority, *prio is t's arbitration
 * priority (UINT32_MAX: software disabled, not eligible).
 */
static bool vlapic_addressed(struct vlapic *t, const struct vapic_msg *m,
			     uint32_t *prio)
{
	bool hit;

	spin_lock(&t->lock);
	switch (m->shorthand) {
	case VAPIC_SH_SELF:
		hit = t->id == m->src_id;
		break;
	case VAPIC_SH_ALL_INCL:
		hit = true;
		break;
	case VAPIC_SH_ALL_EXCL:
		hit = t->id != m->src_id;
		break;
	default:
		hit = m->logical ? __vlapic_match_logical(t, m->dest) :
				   __vlapic_match_physical(t, m->dest);
		break;
	}
	/* A hardware-disabled APIC is off the bus. */
	hit = hit && __vlapic_hw_enabled(t);
	*prio = __vlapic_sw_enabled(t) ? __vlapic_apr(t) : UINT32_MAX;
	spin_unlock(&t->lock);
	return hit;
}

/* Hands m to one target, no lock held. */
static void vlapic_deliver_one(struct vlapic *t, const struct vapic_msg *m)
{
	const struct vlapic_ops *ops = t->ops;

	switch (m->delivery) {
	case VAPIC_DM_FIXED:
	case VAPIC_DM_LOWEST:
		vlapic_set_irq(t, m->vector, m->level);
		break;
	case VAPIC_DM_NMI:
		if (ops->nmi)
			ops->nmi(t->ctx);
		break;
	case VAPIC_DM_INIT:
		/* INIT level de-assert: no effect since the Pentium 4. */
		if (m->level && !m->assert)
			break;
		if (ops->init)
			ops->init(t->ctx);
		break;
	case VAPIC_DM_SIPI:
		if (ops->sipi)
			ops->sipi(t->ctx, m->vector);
		break;
	case VAPIC_DM_EXTINT:
		/* The vector comes from the 8259: let the target look. */
		if (ops->kick)
			ops->kick(t->ctx);
		break;
	default:	/* SMI, reserved */
		break;
	}
}

void vapic_bus_deliver(struct vapic_bus *bus, const struct vapic_msg *msg)
{
	struct vlapic *best = NULL;
	uint32_t best_prio = UINT32_MAX, prio;

	for (unsigned int i = 0; i < bus->nr; i++) {
		struct vlapic *t = bus->lapics[i];

		if (!t || !vlapic_addressed(t, msg, &prio))
			continue;
		if (msg->delivery != VAPIC_DM_LOWEST) {
			vlapic_deliver_one(t, msg);
			continue;
		}
		/* Lowest priority: the first of the lowest APR wins. */
		if (prio < best_prio) {
			best = t;
			best_prio = prio;
		}
	}
	if (best)
		vlapic_deliver_one(best, msg);
}

/* ---- Set-up, reset, teardown ------------------------------------------- */

int vlapic_init(struct vlapic *a, unsigned int id, struct vtimer_vcpu *owner,
		const struct vlapic_ops *ops, void *ctx,
		uint64_t (*clock_ns)(void), uint64_t (*read_tsc)(void),
		uint64_t tsc_khz)
{
	if (!ops || !read_tsc || !tsc_khz)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	spin_lock_init(&a->lock);
	a->id = id;
	a->owner = owner;
	a->ops = ops;
	a->ctx = ctx;
	a->clock_ns = clock_ns;
	a->read_tsc = read_tsc;
	a->tsc_khz = tsc_khz;
	vtimer_init(&a->timer, owner, &vlapic_timer_sink, a, 0,
		    VTIMER_NO_MISSED);
	vlapic_reset(a, id == 0);
	return 0;
}

void vlapic_destroy(struct vlapic *a)
{
	vtimer_destroy(&a->timer);
}

void vlapic_reset(struct vlapic *a, bool bsp)
{
	uint64_t now = vlapic_now(a);

	spin_lock(&a->lock);
	a->apic_base = APIC_BASE_DEFAULT | APIC_BASE_EN |
		       (bsp ? APIC_BASE_BSP : 0);
	__vlapic_reset_regs(a, now);
	spin_unlock(&a->lock);
}

void vlapic_init_signal(struct vlapic *a)
{
	uint64_t now = vlapic_now(a);

	spin_lock(&a->lock);
	__vlapic_reset_regs(a, now);
	spin_unlock(&a->lock);
}

void vlapic_setup_virtual_wire(struct vlapic *a)
{
	spin_lock(&a->lock);
	a->svr |= APIC_SVR_ENABLE;
	a->lvt[VLAPIC_LVT_LINT0] = VAPIC_DM_EXTINT << APIC_DM_SHIFT |
				   APIC_LVT_LEVEL;
	a->lvt[VLAPIC_LVT_LINT1] = VAPIC_DM_NMI << APIC_DM_SHIFT |
				   APIC_LVT_LEVEL;
	spin_unlock(&a->lock);
}

void vlapic_dump(struct vlapic *a, void (*print)(void *ctx, const char *line),
		 void *ctx)
{
	static const char *const mode_names[] = { "disabled", "xapic",
						  "x2apic", "invalid" };
	uint64_t now = vlapic_now(a);
	char line[160];
	uint32_t cur;
	int isrv, irrv;

	spin_lock(&a->lock);
	isrv = vlapic_vec_highest(a->isr);
	irrv = vlapic_vec_highest(a->irr);
	cur = __vlapic_timer_current(a, now);
	hv_snprintf(line, sizeof(line),
		    "lapic %u: base %#llx %s svr %#x tpr %#x ppr %#x isr %d irr %d esr %#x",
		    a->id, (unsigned long long)a->apic_base,
		    mode_names[vlapic_mode_of(a->apic_base)], a->svr, a->tpr,
		    __vlapic_ppr(a), isrv, irrv, a->esr | a->esr_pending);
	spin_unlock(&a->lock);
	print(ctx, line);

	spin_lock(&a->lock);
	hv_snprintf(line, sizeof(line),
		    "  lvt timer %#x lint0 %#x lint1 %#x error %#x tmict %u tmcct %u tdcr %#x deadline %llu",
		    a->lvt[VLAPIC_LVT_TIMER], a->lvt[VLAPIC_LVT_LINT0],
		    a->lvt[VLAPIC_LVT_LINT1], a->lvt[VLAPIC_LVT_ERROR],
		    a->tmict, cur, a->tdcr,
		    (unsigned long long)a->tsc_deadline);
	spin_unlock(&a->lock);
	print(ctx, line);
}
