/*
 * Virtual 8254 PIT: register model, lazy counters, channel 0 on a vtimer.
 *
 * Runs in vCPU context on any CPU (port handlers) and on the exit path of
 * the channel 0 timer's owner (the sink). Port handlers take the PIT lock
 * and, with it held, may call vtimer_start()/vtimer_stop(), which take
 * vtimer vCPU locks inside it; the sink holds nothing and takes nothing.
 * Every internal function takes the time as now, read once per access.
 */
#include "core/pc/dev/vpit.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"

#define NS_PER_SEC	1000000000ull
/* Port B bit 4 toggles with each DRAM refresh request (15.085 us). */
#define VPIT_REFRESH_NS	15085ull

static const struct vtimer_sink vpit_sink;

/* ---- Time and number conversions -------------------------------------- */

/* Whole PIT clocks in ns nanoseconds; no overflow for any ns. */
static uint64_t vpit_ns_to_clocks(uint64_t ns)
{
	return ns / NS_PER_SEC * VPIT_HZ + ns % NS_PER_SEC * VPIT_HZ / NS_PER_SEC;
}

/* The first ns at which clocks whole clocks have passed (clocks < 2^32). */
static uint64_t vpit_clocks_to_ns(uint64_t clocks)
{
	return (clocks * NS_PER_SEC + VPIT_HZ - 1) / VPIT_HZ;
}

static uint32_t vpit_modulus(const struct vpit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint32_t vpit_bcd_to_bin(uint16_t v)
{
	return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 4) & 0xf) * 10 + (v & 0xf);
}

static uint16_t vpit_bin_to_bcd(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 |
			  (v / 10 % 10) << 4 | v % 10);
}

/* ---- Counter state at now --------------------------------------------- */

/* Clocks since the channel started counting from base_value. */
static uint64_t vpit_elapsed(const struct vpit_channel *c, uint64_t now)
{
	return now > c->base_ns ? vpit_ns_to_clocks(now - c->base_ns) : 0;
}

/* Counter value, 0..modulus-1, as the binary number of clocks. */
static uint32_t vpit_counter(const struct vpit_channel *c, uint64_t now)
{
	uint32_t m = vpit_modulus(c);
	uint64_t d;

	if (!c->running)
		return c->base_value % m;
	d = vpit_elapsed(c, now);
	switch (c->mode) {
	case 2:
		return c->count - (uint32_t)(d % c->count);
	case 3:
		return c->count - (uint32_t)(2 * d % c->count);
	default:	/* 0, 1, 4, 5: count down through 0 and wrap */
		return (uint32_t)((c->base_value + m - d % m) % m);
	}
}

/* Terminal count reached, at or before now, in modes 0, 1, 4, 5. */
static bool vpit_tc_reached(const struct vpit_channel *c, uint64_t d)
{
	return c->tc_passed || d >= c->base_value;
}

/* OUT pin at now. */
static bool vpit_out(const struct vpit_channel *c, uint64_t now)
{
	uint64_t d;

	if (!c->running)
		return c->out_frozen;
	d = vpit_elapsed(c, now);
	switch (c->mode) {
	case 0:
	case 1:		/* low from load (0) or trigger (1) until TC */
		return vpit_tc_reached(c, d);
	case 2:		/* low for the one clock the counter holds 1 */
		return d % c->count != c->count - 1;
	case 3:		/* high for the first half (rounded up) of the period */
		return d % c->count < (c->count + 1) / 2;
	default:	/* 4, 5: low for the one clock at TC */
		return c->tc_passed || d != c->base_value;
	}
}

/* Stops the counter at now, keeping its value and OUT as they are. */
static void vpit_freeze(struct vpit_channel *c, uint64_t now)
{
	uint32_t v;

	if (!c->running)
		return;
	v = vpit_counter(c, now);
	c->out_frozen = vpit_out(c, now);
	if (c->mode != 2 && c->mode != 3)
		c->tc_passed = vpit_tc_reached(c, vpit_elapsed(c, now));
	c->base_value = v ? v : vpit_modulus(c);
	c->running = false;
}

/* Starts counting at now from value (1..modulus). */
static void vpit_run(struct vpit_channel *c, uint64_t now, uint32_t value,
		     bool tc_passed)
{
	c->base_ns = now;
	c->base_value = value;
	c->tc_passed = tc_passed;
	c->running = true;
}

/* ---- Channel 0 and its vtimer ----------------------------------------- */

/*
 * Programs channel 0's timer to match the channel at now: a rising edge
 * of OUT (an IRQ 0 edge) every period in modes 2 and 3, one at the end of
 * the count in modes 0 and 4, none otherwise. PIT lock held; takes the
 * vtimer locks inside it.
 */
static void vpit_ch0_sync(struct vpit *p, uint64_t now)
{
	struct vpit_channel *c = &p->ch[0];
	struct vtimer *t = &p->timer;
	uint64_t first, period;

	spin_assert_held(&p->lock);
	if (!c->running || c->tc_passed) {
		vtimer_stop(t, now);
		return;
	}
	switch (c->mode) {
	case 2:
	case 3:
		period = MAX(vpit_clocks_to_ns(c->count), VPIT_MIN_PERIOD_NS);
		first = c->base_ns + period;
		break;
	case 0:		/* OUT rises at TC */
		period = 0;
		first = c->base_ns + vpit_clocks_to_ns(c->base_value);
		break;
	case 4:		/* OUT rises after its one-clock strobe at TC */
		period = 0;
		first = c->base_ns + vpit_clocks_to_ns(c->base_value + 1ull);
		break;
	default:	/* 1, 5: gate 0 never rises, so never triggered */
		vtimer_stop(t, now);
		return;
	}
	/*
	 * On the vCPU the timer was moved to, if it was: group 2, so a
	 * concurrent vpit_retarget() is never undone by a stale owner.
	 */
	vtimer_restart(t, now, first, period);
}

/*
 * Raises one owed tick: one irq0 pulse. The sink counts on ack (docs/
 * vtimer.md, "Delivery"): the timer keeps the ticks owed and raises the
 * next only after vpit_taken() says the guest took this one, so late ticks
 * never pulse twice into an IRR that holds one. No lock held (vtimer_sink
 * contract).
 */
static void vpit_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
		      unsigned int ticks)
{
	struct vpit *p = ctx;

	/*
	 * One pulse at a time: two CPUs pulsing at once (an old and a new
	 * owner around a move, a raise right after the guest took the last
	 * tick) would merge into one edge (docs/races.md, "Two pulses of
	 * one line merge").
	 */
	spin_lock(&p->pulse_lock);
	/*
	 * ticks is the tick's number. One the guest took already is a
	 * stale raise (collected before the take, run after it): pulsed,
	 * the guest would take it as the next owed tick, and that one
	 * again when it is raised.
	 */
	if ((int32_t)(ticks - p->seq_taken) <= 0)
		goto out;
	/*
	 * Raised again (more periods came due, the tick not taken): if its
	 * interrupt still waits in an IRR, wherever IRQ 0 pointed when it
	 * was pulsed, a second pulse could land in another vCPU's IRR
	 * after a move, and the guest would take the tick twice. Pulsed
	 * again only if it is waiting nowhere: lost to a masked line.
	 */
	if (ticks == p->seq_pulsed && p->irq0_waiting &&
	    p->irq0_waiting(p->waiting_ctx))
		goto out;
	p->seq_pulsed = ticks;
	irq_line_pulse(&p->irq0);
out:
	spin_unlock(&p->pulse_lock);
}

static const struct vtimer_sink vpit_sink = {
	.fire = vpit_fire,
	.name = "vpit",
	.ack = true,
};


/* ---- Gate, control word, counts --------------------------------------- */

/* Channel n's gate goes to level at now (port B bit 0 for channel 2). */
static void vpit_set_gate(struct vpit *p, unsigned int n, bool level,
			  uint64_t now)
{
	struct vpit_channel *c = &p->ch[n];
	bool rising = level && !c->gate;

	if (level == c->gate)
		return;
	c->gate = level;
	if (!c->loaded)
		return;
	switch (c->mode) {
	case 0:
	case 4:		/* gate low suspends counting */
		if (rising)
			vpit_run(c, now, c->base_value, c->tc_passed);
		else
			vpit_freeze(c, now);
		break;
	case 2:
	case 3:		/* gate low stops with OUT high; rising restarts */
		if (rising) {
			vpit_run(c, now, c->count, false);
		} else {
			vpit_freeze(c, now);
			c->out_frozen = true;
		}
		break;
	default:	/* 1, 5: rising edge (re)triggers; low does nothing */
		if (rising)
			vpit_run(c, now, c->count, false);
		break;
	}
	if (n == 0)
		vpit_ch0_sync(p, now);
}

/* A control word for channel n (not a latch command) at now. */
static void vpit_control(struct vpit *p, unsigned int n, uint8_t val,
			 uint64_t now)
{
	struct vpit_channel *c = &p->ch[n];
	uint8_t mode = (val & VPIT_CW_MODE_MASK) >> VPIT_CW_MODE_SHIFT;

	vpit_freeze(c, now);
	c->ctrl = val & 0x3f;
	c->mode = mode > 5 ? mode - 4 : mode;
	c->rw = (val & VPIT_CW_RW_MASK) >> VPIT_CW_RW_SHIFT;
	c->bcd = val & VPIT_CW_BCD;
	c->out_frozen = c->mode != 0;
	c->tc_passed = false;
	c->loaded = false;
	c->null_count = true;
	c->count_latched = false;
	c->status_latched = false;
	c->read_msb = false;
	c->write_msb = false;
	if (n == 0)
		vpit_ch0_sync(p, now);
}

/* A complete count (raw as written: BCD if bcd) for channel n at now. */
static void vpit_load(struct vpit *p, unsigned int n, uint16_t raw,
		      uint64_t now)
{
	struct vpit_channel *c = &p->ch[n];
	uint32_t m = vpit_modulus(c);
	uint32_t v = c->bcd ? vpit_bcd_to_bin(raw) % m : raw;

	c->count = v ? v : m;
	c->loaded = true;
	c->null_count = false;
	switch (c->mode) {
	case 1:
	case 5:		/* wait for a gate edge, OUT high, count held */
		c->running = false;
		c->out_frozen = true;
		c->base_value = c->count;
		break;
	default:
		if (c->gate) {
			vpit_run(c, now, c->count, false);
		} else {
			/* Counting starts when the gate rises. */
			c->running = false;
			c->base_value = c->count;
			c->tc_passed = false;
			c->out_frozen = c->mode != 0;
		}
		break;
	}
	if (n == 0)
		vpit_ch0_sync(p, now);
}

/* A byte written to counter port n at now. */
static void vpit_write_counter(struct vpit *p, unsigned int n, uint8_t val,
			       uint64_t now)
{
	struct vpit_channel *c = &p->ch[n];

	switch (c->rw) {
	case VPIT_RW_LSB:
		vpit_load(p, n, val, now);
		break;
	case VPIT_RW_MSB:
		vpit_load(p, n, (uint16_t)(val << 8), now);
		break;
	default:
		if (c->write_msb) {
			c->write_msb = false;
			vpit_load(p, n, (uint16_t)(c->write_lsb | val << 8),
				  now);
			break;
		}
		c->write_lsb = val;
		c->write_msb = true;
		/* Mode 0: the first byte stops the count, OUT low. */
		if (c->mode == 0 && c->loaded) {
			vpit_freeze(c, now);
			c->out_frozen = false;
			c->null_count = true;
			if (n == 0)
				vpit_ch0_sync(p, now);
		}
		break;
	}
}

/* The counter as the guest reads it: BCD if bcd. */
static uint16_t vpit_read_value(const struct vpit_channel *c, uint64_t now)
{
	uint32_t v = vpit_counter(c, now);

	return c->bcd ? vpit_bin_to_bcd(v) : (uint16_t)v;
}

static void vpit_latch_count(struct vpit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;		/* a latch not yet read holds */
	c->latch = vpit_read_value(c, now);
	c->count_latched = true;
}

static void vpit_latch_status(struct vpit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)(c->ctrl |
			      (vpit_out(c, now) ? VPIT_STATUS_OUT : 0) |
			      (c->null_count ? VPIT_STATUS_NULL_COUNT : 0));
	c->status_latched = true;
}

/* Read-back command (SC = 3) at now. */
static void vpit_readback(struct vpit *p, uint8_t val, uint64_t now)
{
	unsigned int n;

	for (n = 0; n < VPIT_CHANNELS; n++) {
		if (!(val & VPIT_RB_CHANNEL(n)))
			continue;
		/* Status first: a guest that latches both reads it first. */
		if (!(val & VPIT_RB_NO_STATUS))
			vpit_latch_status(&p->ch[n], now);
		if (!(val & VPIT_RB_NO_COUNT))
			vpit_latch_count(&p->ch[n], now);
	}
}

static void vpit_write_control(struct vpit *p, uint8_t val, uint64_t now)
{
	unsigned int sc = val >> VPIT_CW_SC_SHIFT;

	if (sc == VPIT_CW_SC_READBACK)
		vpit_readback(p, val, now);
	else if (((val & VPIT_CW_RW_MASK) >> VPIT_CW_RW_SHIFT) == VPIT_RW_LATCH)
		vpit_latch_count(&p->ch[sc], now);
	else
		vpit_control(p, sc, val, now);
}

/* A byte read from counter port n at now: status, latch, or live count. */
static uint8_t vpit_read_counter(struct vpit_channel *c, uint64_t now)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->count_latched ? c->latch : vpit_read_value(c, now);
	switch (c->rw) {
	case VPIT_RW_LSB:
		msb = false;
		break;
	case VPIT_RW_MSB:
		msb = true;
		break;
	default:
		msb = c->read_msb;
		c->read_msb = !msb;
		break;
	}
	/* A latch holds until every byte of it is read. */
	if (c->rw != VPIT_RW_WORD || msb)
		c->count_latched = false;
	return msb ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static uint8_t vpit_read_port_b(struct vpit *p, uint64_t now)
{
	uint8_t v = p->port_b;

	if (now / VPIT_REFRESH_NS & 1)
		v |= VPIT_PORTB_REFRESH;
	if (vpit_out(&p->ch[2], now))
		v |= VPIT_PORTB_OUT2;
	return v;
}

static void vpit_write_port_b(struct vpit *p, uint8_t val, uint64_t now)
{
	p->port_b = val & VPIT_PORTB_WRITABLE;
	vpit_set_gate(p, 2, val & VPIT_PORTB_GATE2, now);
}

/* ---- Port handlers ---------------------------------------------------- */

static uint64_t vpit_now(const struct vpit *p)
{
	return p->clock ? p->clock() : time_now_ns();
}

static int vpit_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	struct vpit *p = dev;
	uint64_t now = vpit_now(p);
	uint8_t v = 0xff;

	spin_lock(&p->lock);
	if (port >= VPIT_PORT_COUNTER0 && port <= VPIT_PORT_COUNTER2)
		v = vpit_read_counter(&p->ch[port - VPIT_PORT_COUNTER0], now);
	else if (port == VPIT_PORT_B)
		v = vpit_read_port_b(p, now);
	/* 0x43 is write only: reads float high. */
	spin_unlock(&p->lock);
	*val = 0xffffff00u | v;
	return 0;
}

static int vpit_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vpit *p = dev;
	uint64_t now = vpit_now(p);
	uint8_t b = (uint8_t)val;

	spin_lock(&p->lock);
	if (port >= VPIT_PORT_COUNTER0 && port <= VPIT_PORT_COUNTER2)
		vpit_write_counter(p, port - VPIT_PORT_COUNTER0, b, now);
	else if (port == VPIT_PORT_CONTROL)
		vpit_write_control(p, b, now);
	else if (port == VPIT_PORT_B)
		vpit_write_port_b(p, b, now);
	spin_unlock(&p->lock);
	return 0;
}

const struct vdev_io_ops vpit_io_ops = {
	.read = vpit_io_read,
	.write = vpit_io_write,
};

/* ---- Set-up and teardown ---------------------------------------------- */

void vpit_init(struct vpit *p, struct vtimer_vcpu *owner,
	       const struct irq_line *irq0, uint64_t (*clock)(void))
{
	unsigned int n;

	*p = (struct vpit){ 0 };
	spin_lock_init(&p->lock);
	spin_lock_init(&p->pulse_lock);
	p->clock = clock;
	p->irq0 = *irq0;
	for (n = 0; n < VPIT_CHANNELS; n++) {
		struct vpit_channel *c = &p->ch[n];

		c->mode = 3;
		c->rw = VPIT_RW_WORD;
		c->ctrl = VPIT_RW_WORD << VPIT_CW_RW_SHIFT |
			  3 << VPIT_CW_MODE_SHIFT;
		c->gate = n != 2;
		c->null_count = true;
		c->out_frozen = true;
		c->count = 65536;
		c->base_value = 65536;
	}
	vtimer_init(&p->timer, owner, &vpit_sink, p, 0, VTIMER_DELAY_MISSED);
}

void vpit_retarget(struct vpit *p, struct vtimer_vcpu *to)
{
	vtimer_migrate(&p->timer, to, vpit_now(p));
}

void vpit_set_waiting(struct vpit *p, bool (*waiting)(void *ctx), void *ctx)
{
	p->irq0_waiting = waiting;
	p->waiting_ctx = ctx;
}

bool vpit_taken(struct vpit *p, struct vtimer_vcpu *by)
{
	/* The IRR held the latest pulse: that tick, and all before it. */
	spin_lock(&p->pulse_lock);
	p->seq_taken = p->seq_pulsed;
	spin_unlock(&p->pulse_lock);
	return vtimer_ack(&p->timer, by, vpit_now(p));
}

void vpit_destroy(struct vpit *p)
{
	vtimer_destroy(&p->timer);
}

void vpit_dump(struct vpit *p, void (*print)(void *ctx, const char *line), void *ctx)
{
	struct vpit_channel ch[VPIT_CHANNELS];
	uint32_t counter[VPIT_CHANNELS];
	uint64_t now = vpit_now(p);
	char line[128];

	spin_lock(&p->lock);
	for (unsigned int i = 0; i < VPIT_CHANNELS; i++) {
		ch[i] = p->ch[i];
		counter[i] = vpit_counter(&p->ch[i], now);
	}
	spin_unlock(&p->lock);
	for (unsigned int i = 0; i < VPIT_CHANNELS; i++) {
		hv_snprintf(line, sizeof(line),
			    "pit channel %u: mode %u%s count %u counter %u gate %u %s%s", i,
			    ch[i].mode, ch[i].bcd ? " BCD" : "", ch[i].count, counter[i],
			    ch[i].gate, ch[i].running ? "running" : "stopped",
			    ch[i].loaded ? "" : " (no count)");
		print(ctx, line);
	}
}
