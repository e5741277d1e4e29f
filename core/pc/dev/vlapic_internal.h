/*
 * The local APIC's internals shared by its three files: vlapic.c (the
 * registers, acceptance, MSRs and the xAPIC page), vlapic_timer.c (the
 * timer) and vapic_bus.c (the APIC bus). Not an interface: everything
 * else goes through vlapic.h.
 *
 * As in those files, a function whose name starts with __vlapic_ runs
 * with a->lock held.
 */
#ifndef CORE_PC_DEV_VLAPIC_INTERNAL_H
#define CORE_PC_DEV_VLAPIC_INTERNAL_H

#include "core/pc/dev/vlapic.h"

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

/* ---- Vector bitmaps (IRR, ISR, TMR: register n holds vectors 32n..) --- */

static inline void vlapic_vec_set(uint32_t *map, uint8_t vec)
{
	map[vec / 32] |= 1u << (vec % 32);
}

static inline void vlapic_vec_clear(uint32_t *map, uint8_t vec)
{
	map[vec / 32] &= ~(1u << (vec % 32));
}

static inline bool vlapic_vec_test(const uint32_t *map, uint8_t vec)
{
	return map[vec / 32] >> (vec % 32) & 1;
}

/* The highest vector set in map, or -1. */
static inline int vlapic_vec_highest(const uint32_t *map)
{
	for (int i = 7; i >= 0; i--) {
		if (map[i])
			return i * 32 + 31 - __builtin_clz(map[i]);
	}
	return -1;
}

/* ---- Mode and priorities (a->lock held) -------------------------------- */

static inline enum vlapic_mode vlapic_mode_of(uint64_t base)
{
	if (!(base & APIC_BASE_EN))
		return base & APIC_BASE_EXTD ? VLAPIC_MODE_INVALID :
					       VLAPIC_MODE_DISABLED;
	return base & APIC_BASE_EXTD ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
}

static inline bool __vlapic_x2apic(const struct vlapic *a)
{
	return vlapic_mode_of(a->apic_base) == VLAPIC_MODE_X2APIC;
}

static inline bool __vlapic_hw_enabled(const struct vlapic *a)
{
	return a->apic_base & APIC_BASE_EN;
}

static inline bool __vlapic_sw_enabled(const struct vlapic *a)
{
	return __vlapic_hw_enabled(a) && (a->svr & APIC_SVR_ENABLE);
}

/* x2APIC logical ID: cluster (id[31:4]) in 31:16, 1 << id[3:0] in 15:0. */
static inline uint32_t vlapic_x2apic_ldr(uint32_t id)
{
	return (id >> 4) << VLAPIC_X2APIC_CLUSTER_SHIFT | 1u << (id & 0xf);
}

/* PPR (SDM 10.8.3.1): TPR if its class is at least ISRV's, else ISRV's class. */
static inline uint32_t __vlapic_ppr(const struct vlapic *a)
{
	int isrv = vlapic_vec_highest(a->isr);
	uint32_t isr_class = isrv < 0 ? 0 : APIC_PRIO_CLASS((uint32_t)isrv);

	if (APIC_PRIO_CLASS(a->tpr) >= isr_class)
		return a->tpr;
	return isr_class;
}

/* APR (SDM 10.8.3.1 for the P6 family, the lowest-priority arbitration). */
static inline uint32_t __vlapic_apr(const struct vlapic *a)
{
	int irrv = vlapic_vec_highest(a->irr), isrv = vlapic_vec_highest(a->isr);
	uint32_t v = (uint32_t)MAX(MAX(irrv, isrv), 0);

	if (APIC_PRIO_CLASS(a->tpr) >= APIC_PRIO_CLASS(v))
		return a->tpr;
	return APIC_PRIO_CLASS(v);
}

static inline int __vlapic_pending(const struct vlapic *a)
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

/* ---- Defined in vlapic.c ------------------------------------------------ */

bool __vlapic_accept(struct vlapic *a, uint8_t vec, bool level);
void vlapic_unlock_act(struct vlapic *a, struct vlapic_after *after);
void vlapic_after_init(struct vlapic_after *after);

/* ---- Defined in vlapic_timer.c ------------------------------------------ */

extern const struct vtimer_sink vlapic_timer_sink;

uint64_t vlapic_now(const struct vlapic *a);
unsigned int __vlapic_timer_mode(const struct vlapic *a);
uint64_t __vlapic_divisor(const struct vlapic *a);
void __vlapic_timer_program(struct vlapic *a, uint64_t now,
			    uint64_t first_count);
uint32_t __vlapic_timer_current(struct vlapic *a, uint64_t now);
void __vlapic_deadline_program(struct vlapic *a, uint64_t now);

#endif
