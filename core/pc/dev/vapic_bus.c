/*
 * The VM's APIC bus: IPIs and IOAPIC messages from any CPU to the local
 * APICs they address (vlapic.h, "The bus").
 *
 * vapic_bus_deliver() runs on any CPU with no APIC lock held. It takes
 * each candidate target's lock in turn, only to match the destination
 * (physical, logical flat or cluster, x2APIC cluster, shorthands) and to
 * read its arbitration priority, and hands the message over with no lock
 * held (vlapic_set_irq() or the target's INIT/SIPI/NMI/kick callbacks).
 */
#include "core/pc/dev/vlapic_internal.h"

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

struct vlapic *vapic_bus_first_target(struct vapic_bus *bus,
				      const struct vapic_msg *msg)
{
	uint32_t prio;

	for (unsigned int i = 0; i < bus->nr; i++) {
		struct vlapic *t = bus->lapics[i];

		if (t && vlapic_addressed(t, msg, &prio))
			return t;
	}
	return NULL;
}
