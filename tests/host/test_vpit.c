/*
 * Hosted test of core/pc/dev/vpit.c: the virtual 8254 PIT.
 *
 * Scenario: one PIT whose clock is a variable the test sets, one vCPU
 * owning the channel 0 timer, and an IRQ 0 probe counting rising edges.
 * Every access is a port access through vpit_io_ops, as the run loop
 * would make it, so the cases read like the guest code they mimic:
 * programming sequences and latches, counter values and OUT at given
 * clocks in each mode, Linux's TSC calibration on channel 2 through port
 * 0x61, and channel 0 driving IRQ 0 periodically and once. Single thread.
 */
#include "core/pc/dev/vpit.h"
#include "tests/host/check.h"

#define US 1000ull
#define MS 1000000ull

static uint64_t now_ns;
static uint64_t test_clock(void)
{
	return now_ns;
}

/* The first ns at which d PIT clocks have passed since 0. */
static uint64_t at_clocks(uint64_t d)
{
	return (d * 1000000000ull + VPIT_HZ - 1) / VPIT_HZ;
}

/*
 * IRQ 0 as the guest sees it: an IRR bit that holds one request, as the
 * LAPIC's and the 8259's do. An edge while it is set merges into it.
 */
struct irq_probe {
	int level;
	unsigned int edges;	/* rising edges seen */
	bool irr;		/* requested, not taken yet */
	unsigned int merged;	/* edges that found irr set */
	unsigned int taken;	/* interrupts the guest took */
};

static void probe_set(void *ctx, unsigned int line, int level)
{
	struct irq_probe *pr = ctx;

	if (level && !pr->level) {
		pr->edges++;
		if (pr->irr)
			pr->merged++;
		pr->irr = true;
	}
	pr->level = level;
}

static struct vpit pit;
static struct vtimer_vcpu vcpu;
static struct irq_probe probe;

static void setup(void)
{
	struct irq_line irq0 = { .set = probe_set, .ctx = &probe, .line = 0 };

	now_ns = 0;
	probe = (struct irq_probe){ 0 };
	vtimer_vcpu_init(&vcpu, 0, NULL);
	vpit_init(&pit, &vcpu, &irq0, test_clock);
}

static void teardown(void)
{
	vpit_destroy(&pit);
	vtimer_vcpu_destroy(&vcpu);
}

static void outb(uint16_t port, uint8_t v)
{
	CHECK_EQ(vpit_io_ops.write(&pit, port, 1, v), 0);
}

static uint8_t inb(uint16_t port)
{
	uint32_t v = 0;

	CHECK_EQ(vpit_io_ops.read(&pit, port, 1, &v), 0);
	return (uint8_t)v;
}

/* Control word for channel ch, access rw, mode, binary. */
static void pit_control(unsigned int ch, unsigned int rw, unsigned int mode)
{
	outb(VPIT_PORT_CONTROL, (uint8_t)(ch << 6 | rw << 4 | mode << 1));
}

static void pit_count16(unsigned int ch, uint16_t count)
{
	outb(VPIT_PORT_COUNTER0 + ch, count & 0xff);
	outb(VPIT_PORT_COUNTER0 + ch, count >> 8);
}

static uint16_t pit_read16(unsigned int ch)
{
	uint16_t lo = inb(VPIT_PORT_COUNTER0 + ch);

	return (uint16_t)(lo | inb(VPIT_PORT_COUNTER0 + ch) << 8);
}

/* Latches channel ch's count (counter latch command) and reads it. */
static uint16_t pit_latched16(unsigned int ch)
{
	outb(VPIT_PORT_CONTROL, (uint8_t)(ch << 6));
	return pit_read16(ch);
}

/* Status byte of channel ch through the read-back command. */
static uint8_t pit_status(unsigned int ch)
{
	outb(VPIT_PORT_CONTROL, 0xc0 | VPIT_RB_NO_COUNT | VPIT_RB_CHANNEL(ch));
	return inb(VPIT_PORT_COUNTER0 + ch);
}

static bool pit_out(unsigned int ch)
{
	return pit_status(ch) & VPIT_STATUS_OUT;
}

/* ---- Programming sequences ------------------------------------------- */

static void lobyte_hibyte(void)
{
	setup();
	/* LSB then MSB. */
	pit_control(1, VPIT_RW_WORD, 2);
	outb(0x41, 0x34);
	CHECK(pit_status(1) & VPIT_STATUS_NULL_COUNT);	/* MSB awaited */
	outb(0x41, 0x12);
	CHECK(!(pit_status(1) & VPIT_STATUS_NULL_COUNT));
	CHECK_EQ(inb(0x41), 0x34);
	CHECK_EQ(inb(0x41), 0x12);
	/* The read flip-flop is back on the LSB. */
	CHECK_EQ(pit_read16(1), 0x1234);

	/* LSB only: the MSB is 0. */
	pit_control(1, VPIT_RW_LSB, 0);
	outb(0x41, 0x80);
	CHECK_EQ(inb(0x41), 0x80);
	CHECK_EQ(inb(0x41), 0x80);
	now_ns = at_clocks(0x10);
	CHECK_EQ(inb(0x41), 0x70);

	/* MSB only: the LSB is 0, reads give the MSB. */
	pit_control(1, VPIT_RW_MSB, 2);
	outb(0x41, 0x02);
	CHECK_EQ(inb(0x41), 0x02);
	now_ns += at_clocks(0x101);
	CHECK_EQ(inb(0x41), 0x00);	/* 0x200 - 0x101 = 0x0ff */
	teardown();
}

static void latch_holds_value(void)
{
	uint16_t held;

	setup();
	pit_control(1, VPIT_RW_WORD, 2);
	pit_count16(1, 1000);
	now_ns = 100 * US;			/* 119 clocks */
	outb(VPIT_PORT_CONTROL, 1 << 6);	/* latch channel 1 */
	now_ns = 300 * US;
	/* A second latch before the read is ignored. */
	outb(VPIT_PORT_CONTROL, 1 << 6);
	held = pit_read16(1);
	CHECK_EQ(held, 1000 - 119);
	/* Half a latch read keeps the latch for the MSB. */
	outb(VPIT_PORT_CONTROL, 1 << 6);
	now_ns = 500 * US;			/* 596 clocks */
	CHECK_EQ(inb(0x41), (uint8_t)(1000 - 357));
	now_ns = 600 * US;
	CHECK_EQ(inb(0x41), (1000 - 357) >> 8);
	/* Released: live again. */
	CHECK_EQ(pit_read16(1), 1000 - 715);
	teardown();
}

static void readback_status(void)
{
	setup();
	/* After a control word: null count, OUT as the mode starts. */
	pit_control(1, VPIT_RW_WORD, 0);
	CHECK_EQ(pit_status(1), VPIT_STATUS_NULL_COUNT | 0x30);
	pit_control(1, VPIT_RW_WORD, 2);
	CHECK_EQ(pit_status(1), VPIT_STATUS_OUT | VPIT_STATUS_NULL_COUNT | 0x34);
	pit_count16(1, 500);
	CHECK_EQ(pit_status(1), VPIT_STATUS_OUT | 0x34);
	/* BCD in the status byte. */
	outb(VPIT_PORT_CONTROL, 1 << 6 | VPIT_RW_LSB << 4 | 3 << 1 |
				VPIT_CW_BCD);
	CHECK_EQ(pit_status(1), VPIT_STATUS_OUT | VPIT_STATUS_NULL_COUNT | 0x17);

	/* Status and count latched together: status first, then count. */
	pit_control(1, VPIT_RW_WORD, 2);
	pit_count16(1, 500);
	now_ns = at_clocks(100);
	outb(VPIT_PORT_CONTROL, 0xc0 | VPIT_RB_CHANNEL(1) | VPIT_RB_CHANNEL(2));
	now_ns = at_clocks(300);
	CHECK_EQ(inb(0x41), VPIT_STATUS_OUT | 0x34);
	CHECK_EQ(pit_read16(1), 400);
	CHECK_EQ(pit_read16(1), 200);
	/* Channel 2 was latched too: reset state, gate low. */
	CHECK_EQ(inb(0x42), VPIT_STATUS_OUT | VPIT_STATUS_NULL_COUNT | 0x36);
	/* 6 and 7 alias modes 2 and 3 but read back as written. */
	pit_control(1, VPIT_RW_WORD, 6);
	pit_count16(1, 10);
	now_ns += at_clocks(9);
	CHECK(!pit_out(1));		/* mode 2: low while the count is 1 */
	CHECK_EQ(pit_status(1) & 0x3f, 0x3c);
	/* Port 0x43 is write only. */
	CHECK_EQ(inb(VPIT_PORT_CONTROL), 0xff);
	teardown();
}

/* ---- Counters and OUT in each mode ----------------------------------- */

static void mode0_counts(void)
{
	setup();
	pit_control(1, VPIT_RW_WORD, 0);
	CHECK(!pit_out(1));
	pit_count16(1, 100);
	CHECK_EQ(pit_latched16(1), 100);
	CHECK(!pit_out(1));
	now_ns = at_clocks(50);
	CHECK_EQ(pit_latched16(1), 50);
	CHECK(!pit_out(1));
	now_ns = at_clocks(99);
	CHECK(!pit_out(1));
	now_ns = at_clocks(100);
	CHECK_EQ(pit_latched16(1), 0);
	CHECK(pit_out(1));
	now_ns = at_clocks(101);
	CHECK_EQ(pit_latched16(1), 0xffff);	/* wraps, keeps counting */
	now_ns = at_clocks(100 + 65536 + 5);
	CHECK(pit_out(1));			/* and OUT stays high */
	/* The first byte of a new count stops it with OUT low. */
	outb(0x41, 20);
	CHECK(!pit_out(1));
	CHECK(pit_status(1) & VPIT_STATUS_NULL_COUNT);
	uint16_t stopped = pit_latched16(1);
	now_ns += 1 * MS;
	CHECK_EQ(pit_latched16(1), stopped);
	outb(0x41, 0);
	uint64_t t0 = now_ns;
	now_ns = t0 + at_clocks(19);
	CHECK(!pit_out(1));
	now_ns = t0 + at_clocks(20);
	CHECK(pit_out(1));
	teardown();
}

static void mode2_counts(void)
{
	setup();
	pit_control(1, VPIT_RW_WORD, 2);
	pit_count16(1, 10);
	CHECK_EQ(pit_latched16(1), 10);
	CHECK(pit_out(1));
	now_ns = at_clocks(8);
	CHECK_EQ(pit_latched16(1), 2);
	CHECK(pit_out(1));
	now_ns = at_clocks(9);
	CHECK_EQ(pit_latched16(1), 1);
	CHECK(!pit_out(1));
	now_ns = at_clocks(10);
	CHECK_EQ(pit_latched16(1), 10);		/* reloaded */
	CHECK(pit_out(1));
	now_ns = at_clocks(1000 * 10 + 9);
	CHECK(!pit_out(1));
	teardown();
}

static void mode3_counts(void)
{
	setup();
	pit_control(1, VPIT_RW_WORD, 3);
	pit_count16(1, 10);
	CHECK_EQ(pit_latched16(1), 10);
	CHECK(pit_out(1));
	now_ns = at_clocks(4);
	CHECK_EQ(pit_latched16(1), 2);
	CHECK(pit_out(1));
	now_ns = at_clocks(5);
	CHECK_EQ(pit_latched16(1), 10);		/* second half */
	CHECK(!pit_out(1));
	now_ns = at_clocks(9);
	CHECK_EQ(pit_latched16(1), 2);
	CHECK(!pit_out(1));
	now_ns = at_clocks(10);
	CHECK(pit_out(1));
	/* Odd count: high one clock longer than low. */
	pit_control(1, VPIT_RW_WORD, 3);
	pit_count16(1, 5);
	uint64_t t0 = now_ns;
	now_ns = t0 + at_clocks(2);
	CHECK(pit_out(1));
	now_ns = t0 + at_clocks(3);
	CHECK(!pit_out(1));
	now_ns = t0 + at_clocks(5);
	CHECK(pit_out(1));
	teardown();
}

static void mode4_strobe(void)
{
	setup();
	pit_control(1, VPIT_RW_WORD, 4);
	CHECK(pit_out(1));
	pit_count16(1, 10);
	now_ns = at_clocks(9);
	CHECK(pit_out(1));
	CHECK_EQ(pit_latched16(1), 1);
	now_ns = at_clocks(10);
	CHECK(!pit_out(1));
	now_ns = at_clocks(11);
	CHECK(pit_out(1));
	CHECK_EQ(pit_latched16(1), 0xffff);
	teardown();
}

static void mode1_gate_trigger(void)
{
	setup();
	/* Channel 2, gate low: mode 1 waits for a rising edge. */
	pit_control(2, VPIT_RW_WORD, 1);
	pit_count16(2, 10);
	now_ns = 5 * US;
	CHECK(pit_out(2));
	CHECK_EQ(pit_latched16(2), 10);
	uint64_t t0 = now_ns;
	outb(VPIT_PORT_B, VPIT_PORTB_GATE2);	/* trigger */
	now_ns = t0 + at_clocks(3);
	CHECK(!pit_out(2));
	CHECK_EQ(pit_latched16(2), 7);
	/* Gate low does not stop mode 1. */
	outb(VPIT_PORT_B, 0);
	now_ns = t0 + at_clocks(10);
	CHECK(pit_out(2));
	CHECK(inb(VPIT_PORT_B) & VPIT_PORTB_OUT2);
	teardown();
}

static void bcd_counts(void)
{
	setup();
	outb(VPIT_PORT_CONTROL, 1 << 6 | VPIT_RW_WORD << 4 | VPIT_CW_BCD);
	pit_count16(1, 0x1000);			/* 1000 decimal */
	now_ns = at_clocks(1);
	CHECK_EQ(pit_latched16(1), 0x0999);
	now_ns = at_clocks(1000);
	CHECK_EQ(pit_latched16(1), 0x0000);
	CHECK(pit_out(1));
	now_ns = at_clocks(1001);
	CHECK_EQ(pit_latched16(1), 0x9999);	/* wraps at 10000 */
	/* 0 is 10000. */
	pit_count16(1, 0);
	uint64_t t0 = now_ns;
	now_ns = t0 + at_clocks(1);
	CHECK_EQ(pit_latched16(1), 0x9999);
	teardown();
}

/* ---- Channel 2 through port 0x61, as Linux calibrates the TSC -------- */

static void ch2_tsc_calibration(void)
{
	unsigned int loops = 0;
	uint8_t msb, prev = 0xff;
	bool ok = true;

	setup();
	CHECK_EQ(inb(VPIT_PORT_B) & (VPIT_PORTB_GATE2 | VPIT_PORTB_SPEAKER), 0);
	/* pit_calibrate_tsc() / quick_pit_calibrate(). */
	outb(VPIT_PORT_B, (inb(VPIT_PORT_B) & ~VPIT_PORTB_SPEAKER) |
			  VPIT_PORTB_GATE2);
	CHECK_EQ(inb(VPIT_PORT_B) & 0x0f, VPIT_PORTB_GATE2);
	outb(VPIT_PORT_CONTROL, 0xb0);		/* ch 2, LSB/MSB, mode 0 */
	uint64_t t0 = now_ns;
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	CHECK(!(inb(VPIT_PORT_B) & VPIT_PORTB_OUT2));
	/* pit_expect_msb(): the live MSB only ever goes down. */
	while (!(inb(VPIT_PORT_B) & VPIT_PORTB_OUT2) && loops < 1000000) {
		inb(0x42);			/* LSB, ignored */
		msb = inb(0x42);
		if (msb > prev)
			ok = false;
		prev = msb;
		now_ns += 1 * US;
		loops++;
	}
	CHECK(ok);
	/* 0xffff clocks: 54924.6 us; OUT rises within a step of that. */
	CHECK(now_ns - t0 >= at_clocks(0xffff));
	CHECK(now_ns - t0 < at_clocks(0xffff) + 1 * US);
	CHECK_EQ(loops, 54925);
	/* Gate low holds a mode 0 count; high resumes it. */
	pit_control(2, VPIT_RW_WORD, 0);
	pit_count16(2, 1000);
	t0 = now_ns;
	now_ns = t0 + at_clocks(400);
	outb(VPIT_PORT_B, 0);
	now_ns = t0 + 10 * MS;
	CHECK_EQ(pit_latched16(2), 600);
	uint64_t t1 = now_ns;
	outb(VPIT_PORT_B, VPIT_PORTB_GATE2);
	now_ns = t1 + at_clocks(599);
	CHECK(!(inb(VPIT_PORT_B) & VPIT_PORTB_OUT2));
	now_ns = t1 + at_clocks(600);
	CHECK(inb(VPIT_PORT_B) & VPIT_PORTB_OUT2);
	/* The refresh bit toggles. */
	now_ns = 0;
	uint8_t r0 = inb(VPIT_PORT_B) & VPIT_PORTB_REFRESH;
	now_ns = 15085;
	CHECK((inb(VPIT_PORT_B) & VPIT_PORTB_REFRESH) != r0);
	/* Channel 2 never touches IRQ 0. */
	CHECK_EQ(vtimer_update_irq(&vcpu, now_ns + 1000 * MS), 0);
	CHECK_EQ(probe.edges, 0);
	teardown();
}

/* ---- Channel 0 on IRQ 0 ---------------------------------------------- */

/*
 * One exit at now_ns and what the run loop does around it: the update,
 * then (if_on: the guest's IF set) the injection, where the guest takes
 * IRQ 0 if requested and the PIT hears of it (vpit_taken(), as
 * vpc_inject_pending() calls it); while ticks wait to be raised the vCPU
 * exits again at once (its one-shot armed for vtimer_next_deadline() = 0).
 */
static void exit_at(bool if_on)
{
	do {
		vtimer_update_irq(&vcpu, now_ns);
		if (!if_on || !probe.irr)
			break;
		probe.irr = false;
		probe.taken++;
		CHECK(vpit_taken(&pit, &vcpu));
	} while (vtimer_next_deadline(&vcpu) <= now_ns);
}

/* Exits of the vCPU every step ns from now_ns to end. */
static void run_exits(uint64_t end, uint64_t step)
{
	while (now_ns < end) {
		now_ns = MIN(now_ns + step, end);
		exit_at(true);
	}
}

static void ch0_periodic_hz1000(void)
{
	const uint16_t latch = (VPIT_HZ + 500) / 1000;	/* Linux's LATCH */

	setup();
	CHECK_EQ(vtimer_update_irq(&vcpu, 10 * MS), 0);	/* unprogrammed */
	now_ns = 10 * MS;
	uint64_t t0 = now_ns;
	pit_control(0, VPIT_RW_WORD, 2);		/* 0x34 */
	pit_count16(0, latch);
	run_exits(t0 + 1000 * MS, 100 * US);
	/* 1000 * 1193182 / 1193 = 1000.15 periods. */
	CHECK_EQ(probe.edges, 1000);
	CHECK_EQ(probe.taken, 1000);
	CHECK_EQ(pit.timer.delivered, 1000);
	/*
	 * Exits far apart: every period still one interrupt taken
	 * (DELAY_MISSED), raised one at a time, none merged into another.
	 */
	run_exits(t0 + 2000 * MS, 7 * MS + 300 * US);
	CHECK_EQ(probe.edges, 2000);
	CHECK_EQ(probe.taken, 2000);
	CHECK_EQ(probe.merged, 0);
	CHECK_EQ(pit.timer.delivered, 2000);
	/* The counter agrees with the ticks. */
	now_ns = t0 + at_clocks(2000ull * latch + 100);
	CHECK_EQ(pit_latched16(0), latch - 100);

	/* Mode 3 (Linux's clocksource use; old kernels' periodic tick). */
	probe.edges = 0;
	t0 = now_ns;
	pit_control(0, VPIT_RW_WORD, 3);
	pit_count16(0, latch);
	run_exits(t0 + 500 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 500);

	/* A count of 1 runs at the minimum period, not 1.19 MHz. */
	probe.edges = 0;
	t0 = now_ns;
	pit_control(0, VPIT_RW_WORD, 2);
	pit_count16(0, 2);
	run_exits(t0 + 10 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 10 * MS / VPIT_MIN_PERIOD_NS);
	teardown();
}

static void ch0_one_shot(void)
{
	setup();
	pit_control(0, VPIT_RW_WORD, 0);		/* 0x30 */
	pit_count16(0, 1193);				/* ~1 ms */
	run_exits(500 * US, 100 * US);
	CHECK_EQ(probe.edges, 0);
	run_exits(2 * MS, 100 * US);
	CHECK_EQ(probe.edges, 1);
	run_exits(200 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 1);
	CHECK(pit.timer.state == VTIMER_INACTIVE);
	CHECK(pit_out(0));
	/* Re-arming: one more. */
	uint64_t t0 = now_ns;
	pit_count16(0, 11932);				/* ~10 ms */
	CHECK_EQ(vtimer_next_deadline(&vcpu), t0 + at_clocks(11932));
	run_exits(t0 + 9 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 1);
	run_exits(t0 + 100 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 2);

	/* Mode 4: once too, after the strobe. */
	t0 = now_ns;
	pit_control(0, VPIT_RW_WORD, 4);
	pit_count16(0, 100);
	CHECK_EQ(vtimer_next_deadline(&vcpu), t0 + at_clocks(101));
	run_exits(t0 + 100 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 3);
	teardown();
}

/*
 * Late ticks reach the guest one at a time (docs/vtimer.md, "Delivery"):
 * owed while the guest holds interrupts off, raised again when new
 * periods pass (an edge that merges, never a second interrupt), each
 * counted when taken, none twice; the backlog stops at one second's worth.
 */
static void ch0_late_ticks_taken_one_by_one(void)
{
	setup();
	pit_control(0, VPIT_RW_WORD, 2);
	pit_count16(0, 11932);				/* ~10 ms */
	uint64_t period = pit.timer.period_ns, t0 = 0;

	/* One exit 10 periods late, IF off: one edge, ten owed. */
	now_ns = t0 + 10 * period + 50 * US;
	exit_at(false);
	CHECK_EQ(probe.edges, 1);
	CHECK_EQ(probe.taken, 0);
	CHECK_EQ(pit.timer.pending, 10);
	CHECK_EQ(pit.timer.delivered, 0);
	/* The raised tick waits on the guest, not on the vCPU. */
	CHECK_EQ(vtimer_next_deadline(&vcpu), t0 + 11 * period);
	/* Still IF off at the next period: raised again, merged. */
	now_ns = t0 + 11 * period + 50 * US;
	exit_at(false);
	CHECK_EQ(probe.edges, 2);
	CHECK_EQ(probe.merged, 1);
	CHECK_EQ(pit.timer.pending, 11);
	/* IF on: the eleven come one by one, each taken once. */
	exit_at(true);
	CHECK_EQ(probe.taken, 11);
	CHECK_EQ(pit.timer.delivered, 11);
	CHECK_EQ(pit.timer.pending, 0);
	CHECK_EQ(probe.merged, 1);
	CHECK(!vpit_taken(&pit, &vcpu));		/* nothing owed */
	CHECK_EQ(pit.timer.delivered, 11);

	/*
	 * Three seconds with IF off: one second's periods owed (99 of
	 * 10.000016 ms), the rest dropped.
	 */
	uint64_t gone = pit.timer.discarded, cap = VTIMER_ACK_BACKLOG_NS / period;

	CHECK_EQ(cap, 99);
	now_ns = t0 + 311 * period + 50 * US;
	exit_at(false);
	CHECK_EQ(pit.timer.pending, cap);
	CHECK_EQ(pit.timer.discarded - gone, 300 - cap);
	run_exits(now_ns + 10 * US, 10 * US);
	CHECK_EQ(probe.taken, 11 + cap);
	CHECK_EQ(pit.timer.pending, 0);
	/* On time again: one per period. */
	run_exits(t0 + 411 * period + 50 * US, 1 * MS);
	CHECK_EQ(probe.taken, 111 + cap);
	CHECK_EQ(pit.timer.delivered, 111 + cap);
	teardown();
}

static void ch0_reprogram_stops_old(void)
{
	setup();
	pit_control(0, VPIT_RW_WORD, 2);
	pit_count16(0, 1193);				/* ~1 ms */
	run_exits(10 * MS + 500 * US, 100 * US);
	CHECK_EQ(probe.edges, 10);
	/* New count: the 1 ms period is gone, 10 ms from now on. */
	uint64_t t0 = now_ns;
	pit_count16(0, 11932);
	run_exits(t0 + 30 * MS + 100 * US, 100 * US);
	CHECK_EQ(probe.edges, 13);
	/* A control word alone stops channel 0 (no count yet). */
	pit_control(0, VPIT_RW_WORD, 2);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	run_exits(now_ns + 100 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 13);
	/* Modes 1 and 5 need a gate edge channel 0 never gets. */
	pit_control(0, VPIT_RW_WORD, 1);
	pit_count16(0, 100);
	run_exits(now_ns + 100 * MS, 1 * MS);
	CHECK_EQ(probe.edges, 13);
	/* Ticks collected before a stop are dropped, not delivered. */
	pit_control(0, VPIT_RW_WORD, 2);
	pit_count16(0, 1193);
	now_ns += 5 * MS + 100 * US;
	pit_control(0, VPIT_RW_WORD, 0);
	CHECK_EQ(vtimer_update_irq(&vcpu, now_ns), 0);
	CHECK_EQ(pit.timer.discarded, 5);
	CHECK_EQ(probe.edges, 13);
	teardown();
}

int main(void)
{
	shim_set_cpu(0);
	RUN(lobyte_hibyte);
	RUN(latch_holds_value);
	RUN(readback_status);
	RUN(mode0_counts);
	RUN(mode2_counts);
	RUN(mode3_counts);
	RUN(mode4_strobe);
	RUN(mode1_gate_trigger);
	RUN(bcd_counts);
	RUN(ch2_tsc_calibration);
	RUN(ch0_periodic_hz1000);
	RUN(ch0_one_shot);
	RUN(ch0_late_ticks_taken_one_by_one);
	RUN(ch0_reprogram_stops_old);
	return check_done();
}
