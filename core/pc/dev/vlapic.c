/*
 * Virtual local APIC: registers, priorities, acceptance, the MSRs and the
 * xAPIC page, set-up and reset. The timer is in vlapic_timer.c, the APIC
 * bus in vapic_bus.c, what the three share in vlapic_internal.h.
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
#include "core/pc/dev/vlapic_internal.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

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

/* ---- Acceptance -------------------------------------------------------- */

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
bool __vlapic_accept(struct vlapic *a, uint8_t vec, bool level)
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
	/* Armed for PV EOI: the guest's own view of ISR may be newer than ours. */
	return __vlapic_pending(a) >= 0 || a->pv_eoi_vector >= 0;
}

/* Drops a->lock, then does what the locked section left in after. */
void vlapic_unlock_act(struct vlapic *a, struct vlapic_after *after)
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

void vlapic_after_init(struct vlapic_after *after)
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

bool vlapic_irr_test(struct vlapic *a, uint8_t vec)
{
	bool set;

	spin_lock(&a->lock);
	set = vlapic_vec_test(a->irr, vec);
	spin_unlock(&a->lock);
	return set;
}

void vlapic_ack_vector(struct vlapic *a, uint8_t vec)
{
	spin_lock(&a->lock);
	vlapic_vec_clear(a->irr, vec);
	vlapic_vec_set(a->isr, vec);
	spin_unlock(&a->lock);
}

/* vlapic_accepts_pic_intr()'s answer. Lock held. */
static bool __vlapic_accepts_pic_intr(struct vlapic *a)
{
	uint32_t lint0 = a->lvt[VLAPIC_LVT_LINT0];

	return !__vlapic_hw_enabled(a) ||
	       (!(lint0 & APIC_LVT_MASKED) &&
		(lint0 & APIC_DM_MASK) >> APIC_DM_SHIFT == VAPIC_DM_EXTINT);
}

bool vlapic_accepts_pic_intr(struct vlapic *a)
{
	bool ret;

	spin_lock(&a->lock);
	ret = __vlapic_accepts_pic_intr(a);
	spin_unlock(&a->lock);
	return ret;
}

int vlapic_pending_vector_pic(struct vlapic *a, bool *pic)
{
	int vec;

	spin_lock(&a->lock);
	vec = __vlapic_pending(a);
	*pic = __vlapic_accepts_pic_intr(a);
	spin_unlock(&a->lock);
	return vec;
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

/* ---- PV EOI ------------------------------------------------------------ */

/* The one vector in service, or -1 when none or several are. */
static int __vlapic_isr_single(const struct vlapic *a)
{
	int vec = -1;

	for (unsigned int i = 0; i < 8; i++) {
		uint32_t w = a->isr[i];

		if (!w)
			continue;
		if (vec >= 0 || (w & (w - 1)))
			return -1;
		vec = (int)(i * 32 + (unsigned int)__builtin_ctz(w));
	}
	return vec;
}

int vlapic_pv_eoi_arm(struct vlapic *a)
{
	int vec;

	spin_lock(&a->lock);
	vec = __vlapic_isr_single(a);
	if (vec >= 0 && (vlapic_vec_highest(a->irr) >= 0 ||
			 vlapic_vec_test(a->tmr, (uint8_t)vec)))
		vec = -1;
	a->pv_eoi_vector = vec;
	spin_unlock(&a->lock);
	return vec;
}

void vlapic_pv_eoi_disarm(struct vlapic *a, bool eoi)
{
	struct vlapic_after after;

	vlapic_after_init(&after);
	spin_lock(&a->lock);
	if (eoi && a->pv_eoi_vector >= 0 && vlapic_vec_highest(a->isr) == a->pv_eoi_vector)
		__vlapic_eoi(a, &after);
	a->pv_eoi_vector = -1;
	vlapic_unlock_act(a, &after);
}

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
	a->pv_eoi_vector = -1;
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

/* ---- Set-up, reset, teardown ------------------------------------------- */

int vlapic_init(struct vlapic *a, unsigned int id, struct vtimer_vcpu *owner,
		const struct vlapic_ops *ops, void *ctx,
		uint64_t (*clock_ns)(void), uint64_t (*read_tsc)(void *ctx),
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

/* "0x31 0xef" for the vectors set in a 256-bit map, "-" for none. */
static void vlapic_vec_list(const uint32_t *map, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int v = 0; v < 256 && len < size; v++)
		if (vlapic_vec_test(map, (uint8_t)v))
			len += (size_t)hv_snprintf(buf + len, size - len, "%s%#x", len ? " " : "", v);
	if (!len)
		hv_snprintf(buf, size, "-");
}

/* ISR, IRR and TMR as vector lists and the timer mode, under the lock. */
static void vlapic_dump_vectors(struct vlapic *a, void (*print)(void *ctx, const char *line),
				void *ctx)
{
	static const char *const modes[] = { "one-shot", "periodic", "TSC-deadline", "?" };
	uint32_t isr[8], irr[8], tmr[8];
	char line[200], isrs[48], irrs[48], tmrs[48];
	unsigned int mode;

	spin_lock(&a->lock);
	memcpy(isr, a->isr, sizeof(isr));
	memcpy(irr, a->irr, sizeof(irr));
	memcpy(tmr, a->tmr, sizeof(tmr));
	mode = __vlapic_timer_mode(a);
	spin_unlock(&a->lock);
	vlapic_vec_list(isr, isrs, sizeof(isrs));
	vlapic_vec_list(irr, irrs, sizeof(irrs));
	vlapic_vec_list(tmr, tmrs, sizeof(tmrs));
	hv_snprintf(line, sizeof(line), "  timer %s; isr %s; irr %s; tmr %s",
		    modes[mode & 3], isrs, irrs, tmrs);
	print(ctx, line);
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
	vlapic_dump_vectors(a, print, ctx);
}
