/*
 * Virtual ACPI PM1 blocks, PM timer and reset register (see vacpi_pm.h).
 *
 * vCPU context, any CPU. Each port handler reads the clock once, takes
 * the block lock, and after dropping it drives the SCI (if its level
 * changed) and raises power events.
 */
#include "core/pc/dev/vacpi_pm.h"
#include "core/lib/platform.h"

#define NS_PER_SEC	1000000000ull

/* What an access leaves to do once the lock is dropped. */
struct vacpi_pm_after {
	bool sci_changed;
	bool sci_level;
	bool power_off;
	bool reset;
};

/* ---- The PM timer ----------------------------------------------------- */

/* Timer ticks from init to now, without overflow for any ns. */
static uint64_t vacpi_pm_ticks(const struct vacpi_pm *p, uint64_t now)
{
	uint64_t ns = now > p->base_ns ? now - p->base_ns : 0;

	return ns / NS_PER_SEC * ACPI_PM_TIMER_FREQ_HZ +
	       ns % NS_PER_SEC * ACPI_PM_TIMER_FREQ_HZ / NS_PER_SEC;
}

static uint64_t vacpi_pm_tmr_epoch(const struct vacpi_pm *p, uint64_t now)
{
	return vacpi_pm_ticks(p, now) >> VACPI_PM_TMR_TOGGLE_BIT;
}

/* ---- Registers -------------------------------------------------------- */

/* PM1_STS at now. Lock held. */
static uint16_t vacpi_pm_sts(struct vacpi_pm *p, uint64_t now)
{
	spin_assert_held(&p->lock);
	if (vacpi_pm_tmr_epoch(p, now) != p->tmr_epoch)
		return p->sts | VACPI_PM1_TMR;
	return p->sts;
}

/* Register byte at off (0-11) of the block at now. Lock held. */
static uint8_t vacpi_pm_read_byte(struct vacpi_pm *p, unsigned int off,
				  uint64_t now)
{
	unsigned int shift = 8 * (off & 1);

	switch (off) {
	case VACPI_PM1_STS:
	case VACPI_PM1_STS + 1:
		return (uint8_t)(vacpi_pm_sts(p, now) >> shift);
	case VACPI_PM1_EN:
	case VACPI_PM1_EN + 1:
		return (uint8_t)(p->en >> shift);
	case VACPI_PM1_CNT_BLK:
	case VACPI_PM1_CNT_BLK + 1:
		return (uint8_t)((p->cnt | VACPI_PM1_CNT_SCI_EN) >> shift);
	case VACPI_PM_TMR_BLK:
	case VACPI_PM_TMR_BLK + 1:
	case VACPI_PM_TMR_BLK + 2:
	case VACPI_PM_TMR_BLK + 3:
		return (uint8_t)(vacpi_pm_ticks(p, now) >>
				 (8 * (off - VACPI_PM_TMR_BLK)));
	default:	/* offsets 6-7: nothing */
		return 0xff;
	}
}

/* Write 1 to clear the PM1_STS bits in bits. Lock held. */
static void vacpi_pm_clear_sts(struct vacpi_pm *p, uint16_t bits,
			       uint64_t now)
{
	if (bits & VACPI_PM1_TMR)
		p->tmr_epoch = vacpi_pm_tmr_epoch(p, now);
	p->sts &= (uint16_t)~bits;
}

/*
 * A write of val to the PM1_CNT bytes in mask. Sleep requests go to
 * after. Lock held.
 */
static void vacpi_pm_write_cnt(struct vacpi_pm *p, uint16_t val,
			       uint16_t mask, struct vacpi_pm_after *after)
{
	uint16_t v = (uint16_t)((p->cnt & ~mask) | (val & mask));
	unsigned int typ;

	p->cnt = v & VACPI_PM1_CNT_STORED;
	if (!(v & mask & VACPI_PM1_CNT_SLP_EN))
		return;
	typ = (v & VACPI_PM1_CNT_SLP_TYP) >> VACPI_PM1_CNT_SLP_TYP_SHIFT;
	if (typ == VACPI_SLP_TYP_S5)
		after->power_off = true;
}

/* Register value and byte mask an access gives the 16-bit reg at reg. */
static bool vacpi_pm_overlap(uint16_t port, unsigned int size, uint32_t val,
			     uint16_t reg, uint16_t *v, uint16_t *mask)
{
	unsigned int i;

	*v = 0;
	*mask = 0;
	for (i = 0; i < size; i++) {
		unsigned int p = port + i;

		if (p == reg || p == reg + 1u) {
			unsigned int shift = 8 * (p - reg);

			*v |= (uint16_t)(((val >> (8 * i)) & 0xff) << shift);
			*mask |= (uint16_t)(0xff << shift);
		}
	}
	return *mask != 0;
}

/* Recomputes the SCI level at now into after. Lock held. */
static void vacpi_pm_update_sci(struct vacpi_pm *p, uint64_t now,
				struct vacpi_pm_after *after)
{
	bool level = vacpi_pm_sts(p, now) & p->en & VACPI_PM1_SCI_EVENTS;

	if (level == p->sci_level)
		return;
	p->sci_level = level;
	after->sci_changed = true;
	after->sci_level = level;
}

/* Drives what an access left to do; no lock held. */
static void vacpi_pm_finish(struct vacpi_pm *p,
			    const struct vacpi_pm_after *after)
{
	if (after->sci_changed)
		irq_line_set(&p->sci, after->sci_level);
	if (after->power_off)
		vdev_power_event(&p->power, VDEV_POWER_OFF);
	if (after->reset)
		vdev_power_event(&p->power, VDEV_POWER_RESET);
}

/* ---- Port handlers ---------------------------------------------------- */

static uint64_t vacpi_pm_now(const struct vacpi_pm *p)
{
	return p->clock ? p->clock() : time_now_ns();
}

static int vacpi_pm_io_read(void *dev, uint16_t port, unsigned int size,
			    uint32_t *val)
{
	struct vacpi_pm *p = dev;
	struct vacpi_pm_after after = { 0 };
	uint64_t now = vacpi_pm_now(p);
	uint32_t v = 0;
	unsigned int i;

	spin_lock(&p->lock);
	for (i = 0; i < size; i++) {
		unsigned int off = port + i - p->base;
		uint8_t b = off < VACPI_PM_NR_PORTS ?
			    vacpi_pm_read_byte(p, off, now) : 0xff;

		v |= (uint32_t)b << (8 * i);
	}
	vacpi_pm_update_sci(p, now, &after);
	spin_unlock(&p->lock);
	vacpi_pm_finish(p, &after);
	*val = v;
	return 0;
}

static int vacpi_pm_io_write(void *dev, uint16_t port, unsigned int size,
			     uint32_t val)
{
	struct vacpi_pm *p = dev;
	struct vacpi_pm_after after = { 0 };
	uint64_t now = vacpi_pm_now(p);
	uint16_t v, mask;

	spin_lock(&p->lock);
	if (vacpi_pm_overlap(port, size, val, p->base + VACPI_PM1_STS, &v, &mask))
		vacpi_pm_clear_sts(p, v & mask, now);
	if (vacpi_pm_overlap(port, size, val, p->base + VACPI_PM1_EN, &v, &mask))
		/* Read without the lock by vacpi_pm_tmr_read_fast(). */
		WRITE_ONCE(p->en, (uint16_t)((p->en & ~mask) |
					     (v & mask & VACPI_PM1_EN_WRITABLE)));
	if (vacpi_pm_overlap(port, size, val, p->base + VACPI_PM1_CNT_BLK, &v, &mask))
		vacpi_pm_write_cnt(p, v, mask, &after);
	/* PM_TMR is read only. */
	vacpi_pm_update_sci(p, now, &after);
	spin_unlock(&p->lock);
	vacpi_pm_finish(p, &after);
	return 0;
}

/*
 * The PM timer's own read, the one a guest's clocksource makes: no lock,
 * the counter from the clock alone. The locked path also recomputes the SCI at every
 * access, and only TMR_STS moves with time; with TMR_EN clear it cannot
 * raise the SCI, so skipping the update changes nothing. A TMR_EN set
 * by another vCPU meanwhile is read on its next access, as if this read
 * had come first.
 */
bool vacpi_pm_tmr_read_fast(struct vacpi_pm *p, uint16_t port, unsigned int size,
			    uint32_t *val)
{
	if (port != p->base + VACPI_PM_TMR_BLK || size != ACPI_PM_TMR_LEN ||
	    (READ_ONCE(p->en) & VACPI_PM1_TMR))
		return false;
	*val = (uint32_t)vacpi_pm_ticks(p, vacpi_pm_now(p));
	return true;
}

const struct vdev_io_ops vacpi_pm_io_ops = {
	.read = vacpi_pm_io_read,
	.write = vacpi_pm_io_write,
};

static int vacpi_pm_reset_read(void *dev, uint16_t port, unsigned int size,
			       uint32_t *val)
{
	struct vacpi_pm *p = dev;

	(void)port;
	spin_lock(&p->lock);
	*val = p->reset;
	spin_unlock(&p->lock);
	if (size > 1)
		*val |= 0xffffff00u;
	return 0;
}

static int vacpi_pm_reset_write(void *dev, uint16_t port, unsigned int size,
				uint32_t val)
{
	struct vacpi_pm *p = dev;
	struct vacpi_pm_after after = { 0 };

	(void)port;
	(void)size;
	spin_lock(&p->lock);
	p->reset = (uint8_t)val & VACPI_RST_STORED;
	after.reset = val & VACPI_RST_CPU;
	spin_unlock(&p->lock);
	vacpi_pm_finish(p, &after);
	return 0;
}

const struct vdev_io_ops vacpi_pm_reset_io_ops = {
	.read = vacpi_pm_reset_read,
	.write = vacpi_pm_reset_write,
};

/* ---- Set-up ----------------------------------------------------------- */

void vacpi_pm_init(struct vacpi_pm *p, uint16_t base, const struct irq_line *sci,
		   const struct vdev_power *power, uint64_t (*clock)(void))
{
	*p = (struct vacpi_pm){ 0 };
	spin_lock_init(&p->lock);
	p->base = base;
	p->clock = clock;
	p->base_ns = vacpi_pm_now(p);
	p->sci = *sci;
	if (power)
		p->power = *power;
}
