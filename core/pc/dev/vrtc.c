/*
 * Virtual MC146818 RTC: calendar from the clock, lazy flags, the periodic
 * and update/alarm interrupts on vtimers, CMOS memory (see vrtc.h).
 *
 * Runs in vCPU context on any CPU (port handlers) and on the exit path of
 * the timers' owner (the sinks). Port handlers take the RTC lock and may
 * call vtimer_start()/vtimer_stop() under it; the sinks take the RTC lock
 * and no vtimer lock. Every internal function takes the time as now, read
 * once per access, with the RTC lock held.
 */
#include "core/pc/dev/vrtc.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"

#define NS_PER_SEC	1000000000ll
#define SECS_PER_DAY	86400ll
/* 1970-01-01 was a Thursday: day 0 is weekday 4 (Sunday = 0). */
#define VRTC_EPOCH_WDAY	4
#define VRTC_RATE_256HZ	8	/* rate selects 1, 2 run as 8, 9 */

static const struct vtimer_sink vrtc_psink, vrtc_usink;

/* ---- Calendar --------------------------------------------------------- */

struct vrtc_tm {
	int64_t year;
	unsigned int mon, mday, wday;	/* 1-12, 1-31, 1-7 (1 = Sunday) */
	unsigned int hour, min, sec;
};

static int64_t vrtc_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t vrtc_days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = vrtc_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void vrtc_civil_from_secs(int64_t secs, struct vrtc_tm *tm)
{
	int64_t days = vrtc_floor_div(secs, SECS_PER_DAY);
	int64_t sod = secs - days * SECS_PER_DAY;
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = vrtc_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->mday = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->wday = (unsigned int)(((days + VRTC_EPOCH_WDAY) % 7 + 7) % 7) + 1;
	tm->hour = (unsigned int)(sod / 3600);
	tm->min = (unsigned int)(sod / 60 % 60);
	tm->sec = (unsigned int)(sod % 60);
}

/* ---- Register encodings ----------------------------------------------- */

static bool vrtc_binary(const struct vrtc *r)
{
	return r->cmos[VRTC_REG_B] & VRTC_B_DM_BINARY;
}

/* v (0-99) as the data mode of register B says. */
static uint8_t vrtc_encode(const struct vrtc *r, unsigned int v)
{
	v %= 100;
	return vrtc_binary(r) ? (uint8_t)v : (uint8_t)(v / 10 << 4 | v % 10);
}

static unsigned int vrtc_decode(const struct vrtc *r, uint8_t b)
{
	return vrtc_binary(r) ? b : (b >> 4) * 10u + (b & 0xf);
}

/* Hours 0-23 in the 12/24 h and data modes of register B. */
static uint8_t vrtc_encode_hour(const struct vrtc *r, unsigned int h)
{
	unsigned int h12;

	if (r->cmos[VRTC_REG_B] & VRTC_B_24H)
		return vrtc_encode(r, h);
	h12 = h % 12 ? h % 12 : 12;
	return vrtc_encode(r, h12) | (h >= 12 ? VRTC_HOUR_PM : 0);
}

static unsigned int vrtc_decode_hour(const struct vrtc *r, uint8_t b)
{
	unsigned int h;

	if (r->cmos[VRTC_REG_B] & VRTC_B_24H)
		return vrtc_decode(r, b);
	h = vrtc_decode(r, b & (uint8_t)~VRTC_HOUR_PM) % 12;
	return b & VRTC_HOUR_PM ? h + 12 : h;
}

/* ---- Guest time ------------------------------------------------------- */

/*
 * The guest's clock is kept as whole seconds plus a fraction:
 * guest time = wall_sec s + (clock + wall_frac) ns, wall_frac < 1 s. A
 * guest can name any instant up to the year 25599 (binary century 255),
 * far past the year 2262 where signed 64-bit nanoseconds end, so a guest
 * second is never multiplied by NS_PER_SEC: only the host's clock is
 * counted in nanoseconds (clock + wall_frac wraps only after 584 years
 * of host uptime).
 */
static int64_t vrtc_guest_sec(const struct vrtc *r, uint64_t now)
{
	return r->wall_sec + (int64_t)((now + r->wall_frac) / NS_PER_SEC);
}

/* Nanoseconds into the current guest second. */
static uint64_t vrtc_guest_frac(const struct vrtc *r, uint64_t now)
{
	return (now + r->wall_frac) % NS_PER_SEC;
}

/* From now on the guest's clock reads second secs, frac ns into it, at now. */
static void vrtc_set_guest_time(struct vrtc *r, uint64_t now, int64_t secs,
				uint64_t frac)
{
	r->wall_frac = (uint32_t)((frac + NS_PER_SEC - now % NS_PER_SEC) %
				  NS_PER_SEC);
	r->wall_sec = secs - (int64_t)((now + r->wall_frac) / NS_PER_SEC);
}

static bool vrtc_set_held(const struct vrtc *r)
{
	return r->cmos[VRTC_REG_B] & VRTC_B_SET;
}

static bool vrtc_is_time_reg(unsigned int idx)
{
	return idx == VRTC_SECONDS || idx == VRTC_MINUTES ||
	       idx == VRTC_HOURS || (idx >= VRTC_DAY_OF_WEEK &&
	       idx <= VRTC_YEAR) || idx == VRTC_CENTURY;
}

/* The time registers' values for guest second secs. */
static uint8_t vrtc_time_reg(const struct vrtc *r, unsigned int idx,
			     int64_t secs)
{
	struct vrtc_tm tm;

	vrtc_civil_from_secs(secs, &tm);
	switch (idx) {
	case VRTC_SECONDS:
		return vrtc_encode(r, tm.sec);
	case VRTC_MINUTES:
		return vrtc_encode(r, tm.min);
	case VRTC_HOURS:
		return vrtc_encode_hour(r, tm.hour);
	case VRTC_DAY_OF_WEEK:
		return vrtc_encode(r, tm.wday);
	case VRTC_DAY_OF_MONTH:
		return vrtc_encode(r, tm.mday);
	case VRTC_MONTH:
		return vrtc_encode(r, tm.mon);
	case VRTC_YEAR:
		return vrtc_encode(r, (unsigned int)(tm.year % 100));
	default:	/* VRTC_CENTURY */
		return vrtc_encode(r, (unsigned int)(tm.year / 100));
	}
}

/* Copies the running time into the time registers of cmos[]. */
static void vrtc_snapshot(struct vrtc *r, uint64_t now)
{
	int64_t secs = vrtc_guest_sec(r, now);
	unsigned int idx;

	for (idx = 0; idx < VRTC_CMOS_SIZE; idx++)
		if (vrtc_is_time_reg(idx))
			r->cmos[idx] = vrtc_time_reg(r, idx, secs);
}

static unsigned int vrtc_clamp(unsigned int v, unsigned int lo,
			       unsigned int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The guest second the time registers of cmos[] name. */
static int64_t vrtc_held_secs(const struct vrtc *r)
{
	const uint8_t *c = r->cmos;
	int64_t year = vrtc_decode(r, c[VRTC_CENTURY]) * 100ll +
		       vrtc_decode(r, c[VRTC_YEAR]) % 100;
	unsigned int mon = vrtc_clamp(vrtc_decode(r, c[VRTC_MONTH]), 1, 12);
	unsigned int mday = vrtc_clamp(vrtc_decode(r, c[VRTC_DAY_OF_MONTH]),
				       1, 31);
	unsigned int hour = vrtc_clamp(vrtc_decode_hour(r, c[VRTC_HOURS]), 0,
				       23);
	unsigned int min = vrtc_clamp(vrtc_decode(r, c[VRTC_MINUTES]), 0, 59);
	unsigned int sec = vrtc_clamp(vrtc_decode(r, c[VRTC_SECONDS]), 0, 59);

	return vrtc_days_from_civil(year, mon, mday) * SECS_PER_DAY +
	       hour * 3600ll + min * 60ll + sec;
}

/* The clock now runs from the held registers, frac ns into that second. */
static void vrtc_commit_time(struct vrtc *r, uint64_t now, uint64_t frac)
{
	vrtc_set_guest_time(r, now, vrtc_held_secs(r), frac);
}

/* ---- Flags and IRQ 8 -------------------------------------------------- */

/* Periodic interrupt period for register A, 0 if none. */
static uint64_t vrtc_period_ns(uint8_t reg_a)
{
	unsigned int rs = reg_a & VRTC_A_RS_MASK;

	if (rs == 0 || (reg_a & VRTC_A_DV_MASK) != VRTC_A_DV_32KHZ)
		return 0;
	if (rs < 3)
		rs += VRTC_RATE_256HZ - 1;
	return (uint64_t)NS_PER_SEC / (VRTC_OSC_HZ >> (rs - 1));
}

/* Period boundaries from p_base_ns up to t. */
static uint64_t vrtc_periods(const struct vrtc *r, uint64_t t)
{
	return t > r->p_base_ns ? (t - r->p_base_ns) / r->p_period_ns : 0;
}

/* Register C's PF, AF, UF at now (IRQF apart). */
static uint8_t vrtc_flags(const struct vrtc *r, uint64_t now)
{
	uint8_t c = 0;

	/* While the timer runs, PF rises with the ticks it raises only. */
	if (r->pf || (r->p_period_ns && !r->ptimer_on &&
		      vrtc_periods(r, now) > vrtc_periods(r, r->pf_since_ns)))
		c |= VRTC_C_PF;
	if (r->uf || (!vrtc_set_held(r) &&
		      vrtc_guest_sec(r, now) > r->uf_sec))
		c |= VRTC_C_UF;
	if (r->af)
		c |= VRTC_C_AF;
	return c;
}

/*
 * Works out IRQF at now; returns true if it went from 0 to 1 (IRQ 8 is
 * to be pulsed once the lock is dropped).
 */
static bool vrtc_update_irqf(struct vrtc *r, uint64_t now)
{
	uint8_t b = r->cmos[VRTC_REG_B], c = vrtc_flags(r, now);
	bool irqf = ((c & VRTC_C_PF) && (b & VRTC_B_PIE)) ||
		    ((c & VRTC_C_AF) && (b & VRTC_B_AIE)) ||
		    ((c & VRTC_C_UF) && (b & VRTC_B_UIE));

	spin_assert_held(&r->lock);
	if (!irqf || r->irqf)
		return false;
	r->irqf = true;
	return true;
}

/*
 * Reading register C: the flags, then all clear. *acked: the read took
 * the periodic tick the timer raised (PF set by vrtc_pfire()).
 */
static uint8_t vrtc_read_c(struct vrtc *r, uint64_t now, bool *acked)
{
	uint8_t c = vrtc_flags(r, now) | (r->irqf ? VRTC_C_IRQF : 0);

	*acked = r->pf_raised;
	if (r->pf_raised)
		r->p_seq_taken = r->p_seq_raised;
	r->pf_raised = false;
	r->pf = r->af = r->uf = r->irqf = false;
	r->pf_since_ns = now;
	r->uf_sec = vrtc_guest_sec(r, now);
	return c;
}

/* Folds the lazy flags into pf/uf before their time base changes. */
static void vrtc_fold_flags(struct vrtc *r, uint64_t now)
{
	uint8_t c = vrtc_flags(r, now);

	r->pf = c & VRTC_C_PF;
	r->uf = c & VRTC_C_UF;
	r->pf_since_ns = now;
	r->uf_sec = vrtc_guest_sec(r, now);
}

/* The alarm registers match the time at now. */
static bool vrtc_alarm_match(const struct vrtc *r, uint64_t now)
{
	static const uint8_t regs[][2] = {
		{ VRTC_SECONDS_ALARM, VRTC_SECONDS },
		{ VRTC_MINUTES_ALARM, VRTC_MINUTES },
		{ VRTC_HOURS_ALARM, VRTC_HOURS },
	};
	int64_t secs = vrtc_guest_sec(r, now);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		uint8_t alarm = r->cmos[regs[i][0]];

		if ((alarm & VRTC_ALARM_DONT_CARE) == VRTC_ALARM_DONT_CARE)
			continue;
		if (alarm != vrtc_time_reg(r, regs[i][1], secs))
			return false;
	}
	return true;
}

/* ---- Timers ----------------------------------------------------------- */

/* Programs both timers as registers A and B say at now. Lock held. */
static void vrtc_sync_timers(struct vrtc *r, uint64_t now)
{
	uint8_t b = r->cmos[VRTC_REG_B];
	uint64_t first;

	spin_assert_held(&r->lock);
	if ((b & VRTC_B_PIE) && r->p_period_ns) {
		if (!r->ptimer_on) {
			/* PF stops being lazy: what rose so far stays. */
			vrtc_fold_flags(r, now);
			first = r->p_base_ns +
				(vrtc_periods(r, now) + 1) * r->p_period_ns;
			vtimer_restart(&r->ptimer, now, first, r->p_period_ns);
			r->ptimer_on = true;
		}
	} else if (r->ptimer_on) {
		vtimer_stop(&r->ptimer, now);
		r->ptimer_on = false;
		r->pf_raised = false;
		/* PF is lazy again from now: the owed ticks are dropped. */
		r->pf_since_ns = MAX(now, r->p_base_ns);
	}
	if ((b & (VRTC_B_UIE | VRTC_B_AIE)) && !(b & VRTC_B_SET)) {
		if (!r->utimer_on) {
			first = now + (NS_PER_SEC - vrtc_guest_frac(r, now));
			vtimer_restart(&r->utimer, now, first, NS_PER_SEC);
			r->utimer_on = true;
		}
	} else if (r->utimer_on) {
		vtimer_stop(&r->utimer, now);
		r->utimer_on = false;
	}
}

/* The time base moved: the update timer restarts on the new seconds. */
static void vrtc_resync_utimer(struct vrtc *r, uint64_t now)
{
	if (r->utimer_on) {
		vtimer_stop(&r->utimer, now);
		r->utimer_on = false;
	}
	vrtc_sync_timers(r, now);
}

/*
 * One IRQ 8 edge, with no RTC lock held. Pulses from two CPUs at once
 * would merge into one edge (the second rising while the first still
 * holds the line high), and an edge the guest never sees leaves IRQF up
 * for good: pulse_lock makes them one after the other (docs/races.md,
 * "Two pulses of one line merge").
 */
static void vrtc_pulse(struct vrtc *r)
{
	spin_lock(&r->pulse_lock);
	irq_line_pulse(&r->irq8);
	spin_unlock(&r->pulse_lock);
}

static uint64_t vrtc_now(const struct vrtc *r)
{
	return r->clock ? r->clock() : time_now_ns();
}

/*
 * One owed periodic tick is raised (the sink counts on ack; docs/vtimer.md,
 * "Delivery"): PF rises for it and IRQF with it. If PF is still up from
 * the tick before (register C not read yet), nothing changes: that tick
 * is not taken yet, so this one waits, and no tick shows twice. The read
 * of C that clears PF acks it (vtimer_ack()), and the timer raises the
 * next owed one.
 */
static void vrtc_pfire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		       unsigned int ticks)
{
	struct vrtc *r = ctx;
	bool pulse;

	spin_lock(&r->lock);
	/*
	 * Stopped (PIE cleared) since the update collected the tick: none.
	 * ticks is the tick's number; one whose C was read already is a
	 * stale raise (collected before the read, run after it), which
	 * would show the next tick twice.
	 */
	if (r->ptimer_on && !r->pf && (int32_t)(ticks - r->p_seq_taken) > 0) {
		r->pf = true;
		r->pf_raised = true;
		r->p_seq_raised = ticks;
	}
	pulse = vrtc_update_irqf(r, vrtc_now(r));
	spin_unlock(&r->lock);
	if (pulse)
		vrtc_pulse(r);
}

/* A second boundary while UIE or AIE: the alarm check, then IRQF. */
static void vrtc_ufire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		       unsigned int ticks)
{
	struct vrtc *r = ctx;
	uint64_t now;
	bool pulse;

	spin_lock(&r->lock);
	now = vrtc_now(r);
	if (!vrtc_set_held(r) && vrtc_alarm_match(r, now))
		r->af = true;
	pulse = vrtc_update_irqf(r, now);
	spin_unlock(&r->lock);
	if (pulse)
		vrtc_pulse(r);
}

static const struct vtimer_sink vrtc_psink = {
	.fire = vrtc_pfire,
	.name = "vrtc periodic",
	.ack = true,
};

static const struct vtimer_sink vrtc_usink = {
	.fire = vrtc_ufire,
	.name = "vrtc update",
};

/* ---- Register access -------------------------------------------------- */

static uint8_t vrtc_read_reg(struct vrtc *r, unsigned int idx, uint64_t now,
			     bool *acked)
{
	switch (idx) {
	case VRTC_REG_A:
		if (!vrtc_set_held(r) &&
		    vrtc_guest_frac(r, now) >= NS_PER_SEC - VRTC_UIP_NS)
			return r->cmos[idx] | VRTC_A_UIP;
		return r->cmos[idx];
	case VRTC_REG_C:
		return vrtc_read_c(r, now, acked);
	case VRTC_REG_D:
		return VRTC_D_VRT;
	default:
		if (vrtc_is_time_reg(idx) && !vrtc_set_held(r))
			return vrtc_time_reg(r, idx, vrtc_guest_sec(r, now));
		return r->cmos[idx];
	}
}

static void vrtc_write_a(struct vrtc *r, uint8_t val, uint64_t now)
{
	uint8_t a = val & (uint8_t)~VRTC_A_UIP;
	uint64_t period = vrtc_period_ns(a);

	if (period != r->p_period_ns) {
		vrtc_fold_flags(r, now);
		r->p_base_ns = now;
		r->p_period_ns = period;
		if (r->ptimer_on) {
			vtimer_stop(&r->ptimer, now);
			r->ptimer_on = false;
			r->pf_raised = false;	/* its owed ticks are gone */
		}
	}
	r->cmos[VRTC_REG_A] = a;
	vrtc_sync_timers(r, now);
}

static void vrtc_write_b(struct vrtc *r, uint8_t val, uint64_t now)
{
	bool was_set = vrtc_set_held(r), set = val & VRTC_B_SET;

	if (set && !was_set) {
		vrtc_fold_flags(r, now);
		vrtc_snapshot(r, now);
		val &= (uint8_t)~VRTC_B_UIE;	/* SET clears UIE */
	}
	if (!set && was_set) {
		/* The update chain restarts at the start of a second. */
		vrtc_commit_time(r, now, 0);
		r->uf_sec = vrtc_guest_sec(r, now);
	}
	r->cmos[VRTC_REG_B] = val;
	if (set != was_set)
		vrtc_resync_utimer(r, now);
	else
		vrtc_sync_timers(r, now);
}

/* A time register write without SET: that field changes now. */
static void vrtc_write_time_running(struct vrtc *r, unsigned int idx,
				    uint8_t val, uint64_t now)
{
	uint64_t frac = vrtc_guest_frac(r, now);

	vrtc_fold_flags(r, now);
	vrtc_snapshot(r, now);
	r->cmos[idx] = val;
	vrtc_commit_time(r, now, frac);
	r->uf_sec = vrtc_guest_sec(r, now);
	vrtc_resync_utimer(r, now);
}

static void vrtc_write_reg(struct vrtc *r, unsigned int idx, uint8_t val,
			   uint64_t now)
{
	switch (idx) {
	case VRTC_REG_A:
		vrtc_write_a(r, val, now);
		break;
	case VRTC_REG_B:
		vrtc_write_b(r, val, now);
		break;
	case VRTC_REG_C:
	case VRTC_REG_D:
		break;		/* read only */
	default:
		if (vrtc_is_time_reg(idx) && !vrtc_set_held(r))
			vrtc_write_time_running(r, idx, val, now);
		else
			r->cmos[idx] = val;
		break;
	}
}

/* ---- Port handlers ---------------------------------------------------- */

static int vrtc_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	struct vrtc *r = dev;
	uint64_t now = vrtc_now(r);
	bool pulse = false, acked = false;
	uint8_t v;

	spin_lock(&r->lock);
	if (port == VRTC_PORT_INDEX) {
		v = r->index;
	} else {
		v = vrtc_read_reg(r, r->index & VRTC_INDEX_MASK, now, &acked);
		pulse = vrtc_update_irqf(r, now);
	}
	spin_unlock(&r->lock);
	if (pulse)
		vrtc_pulse(r);
	/*
	 * The guest took the raised tick: the next owed one follows at the
	 * timer owner's next update. After the unlock, although the vtimer
	 * locks come after the RTC's: nothing here needs the RTC held, and a
	 * PIE clear that stopped the timer meanwhile dropped the owed ticks,
	 * so the ack finds none.
	 */
	if (acked)
		vtimer_ack(&r->ptimer, NULL, now);
	*val = (size > 1 ? 0xffffff00u : 0) | v;
	return 0;
}

static int vrtc_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vrtc *r = dev;
	uint64_t now = vrtc_now(r);
	bool pulse = false;

	(void)size;
	spin_lock(&r->lock);
	if (port == VRTC_PORT_INDEX) {
		r->index = (uint8_t)val;
	} else {
		vrtc_write_reg(r, r->index & VRTC_INDEX_MASK, (uint8_t)val,
			       now);
		pulse = vrtc_update_irqf(r, now);
	}
	spin_unlock(&r->lock);
	if (pulse)
		vrtc_pulse(r);
	return 0;
}

const struct vdev_io_ops vrtc_io_ops = {
	.read = vrtc_io_read,
	.write = vrtc_io_write,
};

/* ---- Set-up and teardown ---------------------------------------------- */

static void vrtc_put16(struct vrtc *r, unsigned int lo, unsigned int hi,
		       uint64_t v)
{
	v = MIN(v, 0xffffull);
	r->cmos[lo] = (uint8_t)v;
	r->cmos[hi] = (uint8_t)(v >> 8);
}

/* The BIOS bytes that describe the machine (vrtc.h). */
static void vrtc_init_cmos_memory(struct vrtc *r, uint64_t low_bytes, uint64_t high_bytes)
{
	uint64_t ext_kib = low_bytes > MiB(1) ? (low_bytes - MiB(1)) >> 10 : 0;
	uint64_t high = low_bytes > MiB(16) ? (low_bytes - MiB(16)) >> 16 : 0;
	uint64_t above_4g = MIN(high_bytes >> 16, 0xffffffull);
	unsigned int i, sum = 0;

	r->cmos[VRTC_CMOS_EQUIPMENT] = VRTC_EQUIPMENT_FPU;
	vrtc_put16(r, VRTC_CMOS_BASE_MEM_LO, VRTC_CMOS_BASE_MEM_HI,
		   VRTC_BASE_MEM_KIB);
	vrtc_put16(r, VRTC_CMOS_EXT_MEM_LO, VRTC_CMOS_EXT_MEM_HI, ext_kib);
	vrtc_put16(r, VRTC_CMOS_EXT_MEM2_LO, VRTC_CMOS_EXT_MEM2_HI, ext_kib);
	vrtc_put16(r, VRTC_CMOS_HIGH_MEM_LO, VRTC_CMOS_HIGH_MEM_HI, high);
	r->cmos[VRTC_CMOS_ABOVE_4G_LO] = (uint8_t)above_4g;
	r->cmos[VRTC_CMOS_ABOVE_4G_MID] = (uint8_t)(above_4g >> 8);
	r->cmos[VRTC_CMOS_ABOVE_4G_HI] = (uint8_t)(above_4g >> 16);
	for (i = VRTC_CMOS_CSUM_FIRST; i <= VRTC_CMOS_CSUM_LAST; i++)
		sum += r->cmos[i];
	r->cmos[VRTC_CMOS_CSUM_HI] = (uint8_t)(sum >> 8);
	r->cmos[VRTC_CMOS_CSUM_LO] = (uint8_t)sum;
}

void vrtc_init(struct vrtc *r, struct vtimer_vcpu *owner,
	       const struct irq_line *irq8, uint64_t (*clock_ns)(void),
	       uint64_t (*wall_ns)(void), uint64_t low_bytes, uint64_t high_bytes)
{
	uint64_t now, wall;

	*r = (struct vrtc){ 0 };
	spin_lock_init(&r->lock);
	spin_lock_init(&r->pulse_lock);
	r->clock = clock_ns;
	r->irq8 = *irq8;
	now = vrtc_now(r);
	wall = wall_ns ? wall_ns() : 0;
	vrtc_set_guest_time(r, now, (int64_t)(wall / NS_PER_SEC),
			    wall % NS_PER_SEC);
	r->cmos[VRTC_REG_A] = VRTC_A_RESET;
	r->cmos[VRTC_REG_B] = VRTC_B_RESET;
	r->p_base_ns = now;
	r->p_period_ns = vrtc_period_ns(VRTC_A_RESET);
	r->pf_since_ns = now;
	r->uf_sec = vrtc_guest_sec(r, now);
	vrtc_init_cmos_memory(r, low_bytes, high_bytes);
	/*
	 * Periodic: every period owed and counted when register C is read
	 * (docs/vtimer.md, "Delivery"). Update and alarm: once a second,
	 * late ones collapse into one, as UF and AF do on the chip.
	 */
	vtimer_init(&r->ptimer, owner, &vrtc_psink, r, VRTC_IRQ,
		    VTIMER_DELAY_MISSED);
	vtimer_init(&r->utimer, owner, &vrtc_usink, r, VRTC_IRQ,
		    VTIMER_NO_MISSED);
}

void vrtc_retarget(struct vrtc *r, struct vtimer_vcpu *to)
{
	uint64_t now = vrtc_now(r);

	vtimer_migrate(&r->ptimer, to, now);
	vtimer_migrate(&r->utimer, to, now);
}

void vrtc_time_at(struct vrtc *r, uint64_t clock_ns, int64_t *sec, uint32_t *nsec)
{
	spin_lock(&r->lock);
	*sec = vrtc_guest_sec(r, clock_ns);
	*nsec = (uint32_t)vrtc_guest_frac(r, clock_ns);
	spin_unlock(&r->lock);
}

void vrtc_destroy(struct vrtc *r)
{
	vtimer_destroy(&r->ptimer);
	vtimer_destroy(&r->utimer);
}

void vrtc_dump(struct vrtc *r, void (*print)(void *ctx, const char *line), void *ctx)
{
	uint8_t index, a, b;
	bool pf, af, uf, irqf;
	uint64_t period;
	char line[128];

	spin_lock(&r->lock);
	index = r->index;
	a = r->cmos[VRTC_REG_A];
	b = r->cmos[VRTC_REG_B];
	pf = r->pf;
	af = r->af;
	uf = r->uf;
	irqf = r->irqf;
	period = r->p_period_ns;
	spin_unlock(&r->lock);
	hv_snprintf(line, sizeof(line),
		    "rtc: index %02x (NMI %s) A %02x B %02x C flags%s%s%s%s, periodic %llu us",
		    index & 0x7f, index & 0x80 ? "masked" : "on", a, b, irqf ? " IRQF" : "",
		    pf ? " PF" : "", af ? " AF" : "", uf ? " UF" : "",
		    (unsigned long long)(period / 1000));
	print(ctx, line);
}
