/*
 * Hosted test of core/pc/dev/vrtc.c: the virtual MC146818 CMOS/RTC.
 *
 * Scenario: one RTC whose monotonic clock is a variable the test sets and
 * whose wall clock starts at a chosen Unix instant; one vCPU owning its
 * timers; an IRQ 8 probe counting rising edges. Every access goes through
 * vrtc_io_ops as a guest would make it (index to 0x70, data at 0x71). The
 * expected register values are the datasheet's encodings of instants
 * worked out by hand (and checked with Python's datetime), not values the
 * code computed. Single thread.
 */
#include "core/pc/dev/vrtc.h"
#include "tests/host/check.h"

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull

/* 2024-02-29 13:45:07 UTC, a Thursday (RTC day of week 5). */
#define T_LEAP_DAY	1709214307ull
/* 1999-12-31 23:59:58 UTC, a Friday (6). */
#define T_Y2K_EVE	946684798ull
#define T0_NS		(5 * SEC)	/* the monotonic clock at init */
#define SECS_IN_DAY	86400ull

static uint64_t now_ns;
static uint64_t wall_start_ns;

static uint64_t test_clock(void)
{
	return now_ns;
}

static uint64_t test_wall(void)
{
	return wall_start_ns + (now_ns - T0_NS);
}

struct irq_probe {
	int level;
	unsigned int edges;
};

static void probe_set(void *ctx, unsigned int line, int level)
{
	struct irq_probe *pr = ctx;

	CHECK_EQ(line, 8);
	if (level && !pr->level)
		pr->edges++;
	pr->level = level;
}

static struct vrtc rtc;
static struct vtimer_vcpu vcpu;
static struct irq_probe probe;

/* RTC at wall time unix_s + frac_ns, with low and high bytes of RAM. */
static void setup_ram(uint64_t unix_s, uint64_t frac_ns, uint64_t low, uint64_t high)
{
	struct irq_line irq8 = { .set = probe_set, .ctx = &probe, .line = 8 };

	now_ns = T0_NS;
	wall_start_ns = unix_s * SEC + frac_ns;
	probe = (struct irq_probe){ 0 };
	vtimer_vcpu_init(&vcpu, 0, NULL);
	vrtc_init(&rtc, &vcpu, &irq8, test_clock, test_wall, low, high);
}

/* The same with mem_bytes of RAM, all of it below 4 GiB. */
static void setup_at(uint64_t unix_s, uint64_t frac_ns, uint64_t mem_bytes)
{
	setup_ram(unix_s, frac_ns, mem_bytes, 0);
}

static void setup(void)
{
	setup_at(T_LEAP_DAY, 500 * MS, MiB(512));
}

static void teardown(void)
{
	vrtc_destroy(&rtc);
	vtimer_vcpu_destroy(&vcpu);
}

static void outb(uint16_t port, uint8_t v)
{
	CHECK_EQ(vrtc_io_ops.write(&rtc, port, 1, v), 0);
}

static uint8_t inb(uint16_t port)
{
	uint32_t v = 0;

	CHECK_EQ(vrtc_io_ops.read(&rtc, port, 1, &v), 0);
	return (uint8_t)v;
}

static uint8_t cmos_read(uint8_t idx)
{
	outb(VRTC_PORT_INDEX, idx);
	return inb(VRTC_PORT_DATA);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	outb(VRTC_PORT_INDEX, idx);
	outb(VRTC_PORT_DATA, v);
}

/* Exits of the vCPU every step ns up to end; an IRQ 8 handler that reads
 * register C on every edge (as Linux's rtc_cmos does) when ack is set. */
static unsigned int c_reads_with_pf, c_reads_with_uf, c_reads_with_af;

static void run_exits(uint64_t end, uint64_t step, bool ack)
{
	unsigned int seen = probe.edges;

	while (now_ns < end) {
		now_ns = MIN(now_ns + step, end);
		vtimer_update_irq(&vcpu, now_ns);
		if (ack && probe.edges != seen) {
			uint8_t c = cmos_read(VRTC_REG_C);

			CHECK(c & VRTC_C_IRQF);
			c_reads_with_pf += !!(c & VRTC_C_PF);
			c_reads_with_uf += !!(c & VRTC_C_UF);
			c_reads_with_af += !!(c & VRTC_C_AF);
			seen = probe.edges;
		}
	}
}

/* ---- Calendar encodings ----------------------------------------------- */

static void bcd_24h_known_instant(void)
{
	setup();
	/* Power-on: register B 24 h, BCD; A 0x26; D valid. */
	CHECK_EQ(cmos_read(VRTC_REG_B), 0x02);
	CHECK_EQ(cmos_read(VRTC_REG_A), 0x26);
	CHECK_EQ(cmos_read(VRTC_REG_D), 0x80);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x07);
	CHECK_EQ(cmos_read(VRTC_MINUTES), 0x45);
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x13);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), 5);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), 0x29);
	CHECK_EQ(cmos_read(VRTC_MONTH), 0x02);
	CHECK_EQ(cmos_read(VRTC_YEAR), 0x24);
	CHECK_EQ(cmos_read(VRTC_CENTURY), 0x20);
	/* 10 h 15 min 53.5 s later: 2024-03-01 00:01:01, a Friday. */
	now_ns += (10 * 3600 + 15 * 60 + 53) * SEC + 500 * MS;
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x01);
	CHECK_EQ(cmos_read(VRTC_MINUTES), 0x01);
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x00);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), 6);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), 0x01);
	CHECK_EQ(cmos_read(VRTC_MONTH), 0x03);
	teardown();
}

static void binary_and_12h(void)
{
	setup();
	cmos_write(VRTC_REG_B, VRTC_B_DM_BINARY);	/* binary, 12 h */
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x81);		/* 1 PM */
	CHECK_EQ(cmos_read(VRTC_MINUTES), 45);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 7);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), 29);
	CHECK_EQ(cmos_read(VRTC_YEAR), 24);
	CHECK_EQ(cmos_read(VRTC_CENTURY), 20);
	cmos_write(VRTC_REG_B, 0);			/* BCD, 12 h */
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x81);
	cmos_write(VRTC_REG_B, VRTC_B_DM_BINARY | VRTC_B_24H);
	CHECK_EQ(cmos_read(VRTC_HOURS), 13);
	teardown();

	/* Midnight and noon in 12 h mode: 12 AM is 0x12, 12 PM is 0x92. */
	setup_at(T_Y2K_EVE, 0, MiB(64));
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x23);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), 6);
	CHECK_EQ(cmos_read(VRTC_YEAR), 0x99);
	CHECK_EQ(cmos_read(VRTC_CENTURY), 0x19);
	cmos_write(VRTC_REG_B, 0);
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x91);		/* 11 PM */
	now_ns += 2 * SEC;				/* 2000-01-01 00:00:00 */
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x12);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x00);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), 7);	/* Saturday */
	CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), 0x01);
	CHECK_EQ(cmos_read(VRTC_MONTH), 0x01);
	CHECK_EQ(cmos_read(VRTC_YEAR), 0x00);
	CHECK_EQ(cmos_read(VRTC_CENTURY), 0x20);
	now_ns += 12 * 3600 * SEC;
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x92);
	teardown();
}

/* ---- UIP -------------------------------------------------------------- */

static void uip_window(void)
{
	unsigned int loops = 0;

	setup_at(T_LEAP_DAY, 0, MiB(64));		/* frac 0 at T0 */
	CHECK(!(cmos_read(VRTC_REG_A) & VRTC_A_UIP));
	now_ns = T0_NS + SEC - 244 * US - 1;
	CHECK(!(cmos_read(VRTC_REG_A) & VRTC_A_UIP));
	now_ns = T0_NS + SEC - 244 * US;
	CHECK(cmos_read(VRTC_REG_A) & VRTC_A_UIP);
	CHECK_EQ(cmos_read(VRTC_REG_A) & ~VRTC_A_UIP, 0x26);
	now_ns = T0_NS + SEC - 1;
	CHECK(cmos_read(VRTC_REG_A) & VRTC_A_UIP);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x07);	/* not updated yet */
	now_ns = T0_NS + SEC;
	CHECK(!(cmos_read(VRTC_REG_A) & VRTC_A_UIP));
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x08);

	/* mc146818_get_time(): wait for UIP clear at 1 us per read. */
	now_ns = T0_NS + 2 * SEC - 200 * US;
	while ((cmos_read(VRTC_REG_A) & VRTC_A_UIP) && loops < 1000000) {
		now_ns += 1 * US;
		loops++;
	}
	CHECK_EQ(loops, 200);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x09);
	/* SET holds UIP clear. */
	now_ns = T0_NS + 3 * SEC - 100 * US;
	cmos_write(VRTC_REG_B, VRTC_B_SET | VRTC_B_24H);
	CHECK(!(cmos_read(VRTC_REG_A) & VRTC_A_UIP));
	teardown();
}

/* ---- SET -------------------------------------------------------------- */

static void set_freezes_and_sets_time(void)
{
	setup();
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_UIE);
	cmos_write(VRTC_REG_B, VRTC_B_SET | VRTC_B_24H | VRTC_B_UIE);
	/* SET clears UIE (datasheet) and stops the update timer. */
	CHECK_EQ(cmos_read(VRTC_REG_B), VRTC_B_SET | VRTC_B_24H);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	now_ns += 10 * SEC;
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x07);	/* held */
	CHECK_EQ(cmos_read(VRTC_MINUTES), 0x45);
	/* Linux's mc146818_set_time(): 2038-01-19 03:14:08, BCD. */
	cmos_write(VRTC_YEAR, 0x38);
	cmos_write(VRTC_MONTH, 0x01);
	cmos_write(VRTC_DAY_OF_MONTH, 0x19);
	cmos_write(VRTC_HOURS, 0x03);
	cmos_write(VRTC_MINUTES, 0x14);
	cmos_write(VRTC_SECONDS, 0x08);
	cmos_write(VRTC_CENTURY, 0x20);
	now_ns += 5 * SEC;
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x08);	/* still held */
	cmos_write(VRTC_REG_B, VRTC_B_24H);		/* clear SET */
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x08);
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), 3);	/* Tuesday */
	now_ns += 3 * SEC + 500 * MS;
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x11);
	CHECK_EQ(cmos_read(VRTC_MINUTES), 0x14);
	CHECK_EQ(cmos_read(VRTC_YEAR), 0x38);
	/* The second restarted at the SET clear: UIP 244 us before 4 s. */
	now_ns += 500 * MS - 244 * US;
	CHECK(cmos_read(VRTC_REG_A) & VRTC_A_UIP);

	/* A write without SET moves that field only. */
	cmos_write(VRTC_MINUTES, 0x30);
	CHECK_EQ(cmos_read(VRTC_MINUTES), 0x30);
	CHECK_EQ(cmos_read(VRTC_HOURS), 0x03);
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x11);
	now_ns += 244 * US;
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x12);
	teardown();
}

/* ---- Interrupts ------------------------------------------------------- */

static void periodic_1024hz(void)
{
	setup();
	/* Rate 6 = 1024 Hz is the reset rate; no timer without PIE. */
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	cmos_read(VRTC_REG_C);
	c_reads_with_pf = 0;
	uint64_t t0 = now_ns;
	cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ | 6);
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE);
	run_exits(t0 + 1 * SEC, 100 * US, true);
	CHECK_EQ(probe.edges, 1024);
	CHECK_EQ(c_reads_with_pf, 1024);
	CHECK_EQ(probe.level, 0);
	/* Rate 3 = 8192 Hz, rate 15 = 2 Hz, rate 1 = 256 Hz, 2 = 128 Hz. */
	static const struct { uint8_t rs; unsigned int hz; } rates[] = {
		{ 3, 8192 }, { 15, 2 }, { 1, 256 }, { 2, 128 }, { 9, 128 },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(rates); i++) {
		probe.edges = 0;
		t0 = now_ns;
		cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ | rates[i].rs);
		run_exits(t0 + 1 * SEC, 50 * US, true);
		CHECK_EQ(probe.edges, rates[i].hz);
	}
	/* PIE off: the timer goes, the interrupts stop. */
	cmos_write(VRTC_REG_B, VRTC_B_24H);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	probe.edges = 0;
	run_exits(now_ns + 1 * SEC, 1 * MS, true);
	CHECK_EQ(probe.edges, 0);
	/* Rate 0 or a divider other than 010: no periodic interrupt. */
	cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ);
	/* PF rose while PIE was off: clear it, or PIE would raise IRQF. */
	CHECK_EQ(cmos_read(VRTC_REG_C) & VRTC_C_PF, VRTC_C_PF);
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	cmos_write(VRTC_REG_A, 0x70 | 6);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	run_exits(now_ns + 100 * MS, 1 * MS, true);
	CHECK_EQ(probe.edges, 0);
	teardown();
}

static void reg_c_clear_on_read(void)
{
	setup();
	cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ | 15);	/* 2 Hz: 500 ms */
	cmos_read(VRTC_REG_C);
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE);
	uint64_t t0 = now_ns;
	run_exits(t0 + 400 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, 0);
	CHECK_EQ(cmos_read(VRTC_REG_C), 0);
	/*
	 * Periods at 500, 1000 and 1500 ms, C never read: one edge, IRQ#
	 * stays "asserted"; the others are owed, not shown: PF is up once.
	 * At 2 Hz one second's worth is two ticks (VTIMER_ACK_BACKLOG_NS):
	 * two owed, the third dropped.
	 */
	run_exits(t0 + 1600 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, 1);
	CHECK_EQ(probe.level, 0);
	uint64_t owed = rtc.ptimer.pending;

	CHECK_EQ(owed, 2);
	CHECK_EQ(rtc.ptimer.discarded, 1);
	/* A second boundary passed too: UF is up, UIE clear. */
	CHECK_EQ(cmos_read(VRTC_REG_C), VRTC_C_IRQF | VRTC_C_PF | VRTC_C_UF);
	CHECK_EQ(cmos_read(VRTC_REG_C), 0);		/* cleared */
	CHECK_EQ(rtc.ptimer.delivered, 1);
	/*
	 * The read took the first tick; the owed ones follow one per read
	 * of C, each raised by the next exit (docs/vtimer.md, "Delivery"),
	 * never while PF is still up.
	 */
	for (unsigned int i = 1; i < owed; i++) {
		run_exits(now_ns + 2 * MS, 1 * MS, false);
		CHECK_EQ(probe.edges, 1 + i);
		CHECK_EQ(cmos_read(VRTC_REG_C), VRTC_C_IRQF | VRTC_C_PF);
	}
	CHECK_EQ(rtc.ptimer.delivered, owed);
	CHECK_EQ(rtc.ptimer.pending, 0);
	/* Nothing owed: the next period gives the next edge. */
	run_exits(t0 + 1900 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, owed);
	CHECK_EQ(cmos_read(VRTC_REG_C), 0);
	run_exits(t0 + 2100 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, owed + 1);
	/* Not read for 1.4 s more: PF once, and still one edge. */
	run_exits(t0 + 3500 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, owed + 1);
	CHECK_EQ(rtc.ptimer.pending, 2);
	teardown();
}

/*
 * The guest's side of stale_raise_dropped(): fired in the same update as
 * the RTC's re-raise of tick 1 and before it, it reads C (taking tick 1),
 * lets an exit raise tick 2 and reads C again, all before the re-raise of
 * tick 1 reaches the RTC.
 */
static uint8_t stale_c[2];

static void stale_guest_fire(struct vtimer_vcpu *v, void *ctx,
			     unsigned int irq, unsigned int ticks)
{
	stale_c[0] = cmos_read(VRTC_REG_C);
	vtimer_update_irq(&vcpu, now_ns);
	stale_c[1] = cmos_read(VRTC_REG_C);
}

static const struct vtimer_sink stale_guest_sink = {
	.fire = stale_guest_fire,
	.name = "guest",
};

/*
 * A raise collected before the guest took its tick and run after: the
 * RTC drops it (its number is not after the last taken), or the next
 * tick would set PF and raise IRQ 8 a second time.
 */
static void stale_raise_dropped(void)
{
	struct vtimer guest;

	setup();
	cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ | 15);	/* 2 Hz: 500 ms */
	cmos_read(VRTC_REG_C);
	uint64_t t0 = now_ns;

	/* On the list before the RTC's timer: fired first in one batch. */
	vtimer_init(&guest, &vcpu, &stale_guest_sink, NULL, 0, VTIMER_NO_MISSED);
	vtimer_start(&guest, &vcpu, now_ns, t0 + 1000 * MS, 0);
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE);
	run_exits(t0 + 600 * MS, 1 * MS, false);
	CHECK_EQ(probe.edges, 1);			/* tick 1, C not read */
	/* Tick 2 comes due: re-raise of 1 and the guest in one update. */
	now_ns = t0 + 1000 * MS;
	vtimer_update_irq(&vcpu, now_ns);
	/* (UF too: a second boundary passed, UIE clear) */
	CHECK_EQ(stale_c[0] & ~VRTC_C_UF, VRTC_C_IRQF | VRTC_C_PF);	/* tick 1 */
	CHECK_EQ(stale_c[1] & ~VRTC_C_UF, VRTC_C_IRQF | VRTC_C_PF);	/* tick 2 */
	CHECK_EQ(rtc.ptimer.delivered, 2);
	CHECK_EQ(rtc.ptimer.pending, 0);
	/* The stale re-raise of tick 1 showed nothing. */
	CHECK_EQ(probe.edges, 2);
	CHECK_EQ(cmos_read(VRTC_REG_C) & ~VRTC_C_UF, 0);
	vtimer_destroy(&guest);
	teardown();
}

static void pf_polled_without_pie(void)
{
	setup();
	cmos_write(VRTC_REG_A, VRTC_A_DV_32KHZ | 6);	/* 976.562 us */
	cmos_read(VRTC_REG_C);
	uint64_t t0 = now_ns;
	now_ns = t0 + 900 * US;
	CHECK_EQ(cmos_read(VRTC_REG_C) & VRTC_C_PF, 0);
	now_ns = t0 + 977 * US;
	CHECK_EQ(cmos_read(VRTC_REG_C), VRTC_C_PF);	/* no IRQF */
	CHECK_EQ(cmos_read(VRTC_REG_C), 0);
	now_ns += 10 * MS;
	CHECK_EQ(cmos_read(VRTC_REG_C), VRTC_C_PF);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	CHECK_EQ(probe.edges, 0);
	/* UF too, once a second passed. */
	now_ns += 1 * SEC;
	CHECK(cmos_read(VRTC_REG_C) & VRTC_C_UF);
	/* PIE set with PF already up: IRQF at once, one edge. */
	now_ns += 2 * MS;
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_PIE);
	CHECK_EQ(probe.edges, 1);
	CHECK_EQ(cmos_read(VRTC_REG_C) & VRTC_C_IRQF, VRTC_C_IRQF);
	teardown();
}

static void update_ended_1hz(void)
{
	setup();					/* frac 0.5 s */
	cmos_read(VRTC_REG_C);
	c_reads_with_uf = c_reads_with_pf = 0;
	uint64_t t0 = now_ns;
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_UIE);
	/* The first update ends at the next second boundary: +500 ms. */
	CHECK_EQ(vtimer_next_deadline(&vcpu), t0 + 500 * MS);
	run_exits(t0 + 499 * MS, 1 * MS, true);
	CHECK_EQ(probe.edges, 0);
	run_exits(t0 + 3 * SEC + 400 * MS, 1 * MS, true);
	CHECK_EQ(probe.edges, 3);
	CHECK_EQ(c_reads_with_uf, 3);
	/* Each edge came with the new second already in the registers. */
	CHECK_EQ(cmos_read(VRTC_SECONDS), 0x10);
	cmos_write(VRTC_REG_B, VRTC_B_24H);
	CHECK_EQ(vtimer_next_deadline(&vcpu), VTIMER_NEVER);
	teardown();
}

static void alarm(void)
{
	setup();					/* 13:45:07.5 */
	cmos_read(VRTC_REG_C);
	c_reads_with_af = 0;
	cmos_write(VRTC_SECONDS_ALARM, 0x10);
	cmos_write(VRTC_MINUTES_ALARM, 0x45);
	cmos_write(VRTC_HOURS_ALARM, 0x13);
	cmos_write(VRTC_REG_B, VRTC_B_24H | VRTC_B_AIE);
	uint64_t t0 = now_ns;
	run_exits(t0 + 2 * SEC, 1 * MS, true);		/* to :09.5 */
	CHECK_EQ(probe.edges, 0);
	run_exits(t0 + 3 * SEC, 1 * MS, true);		/* :10 */
	CHECK_EQ(probe.edges, 1);
	CHECK_EQ(c_reads_with_af, 1);
	run_exits(t0 + 10 * SEC, 1 * MS, true);
	CHECK_EQ(probe.edges, 1);
	/* Don't-care hours and minutes, seconds 0x12 ... only :12 matches. */
	cmos_write(VRTC_HOURS_ALARM, 0xc0);
	cmos_write(VRTC_MINUTES_ALARM, 0xff);
	cmos_write(VRTC_SECONDS_ALARM, 0x20);
	run_exits(t0 + 14 * SEC, 1 * MS, true);		/* :21.5 */
	CHECK_EQ(probe.edges, 2);
	/* All three don't care: once a second. */
	cmos_write(VRTC_SECONDS_ALARM, 0xc0);
	t0 = now_ns;
	run_exits(t0 + 5 * SEC, 1 * MS, true);
	CHECK_EQ(probe.edges, 7);
	CHECK_EQ(c_reads_with_af, 7);
	/* 12 h mode: the alarm compares the encoded bytes. */
	cmos_write(VRTC_REG_B, VRTC_B_AIE);		/* BCD, 12 h */
	cmos_write(VRTC_HOURS_ALARM, 0x81);		/* 1 PM */
	cmos_write(VRTC_MINUTES_ALARM, 0x45);
	cmos_write(VRTC_SECONDS_ALARM, 0x30);
	run_exits(t0 + 8 * SEC, 1 * MS, true);		/* :29.5 */
	CHECK_EQ(probe.edges, 7);
	run_exits(t0 + 9 * SEC, 1 * MS, true);
	CHECK_EQ(probe.edges, 8);
	teardown();
}

/* ---- Index port and CMOS memory --------------------------------------- */

static void cmos_memory_bytes(void)
{
	setup();					/* 512 MiB */
	CHECK_EQ(cmos_read(VRTC_CMOS_BASE_MEM_LO), 0x80);	/* 640 */
	CHECK_EQ(cmos_read(VRTC_CMOS_BASE_MEM_HI), 0x02);
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM_LO), 0xff);	/* capped */
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM_HI), 0xff);
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM2_LO), 0xff);
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM2_HI), 0xff);
	/* (512 - 16) MiB / 64 KiB = 7936 = 0x1f00. */
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_LO), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_HI), 0x1f);
	CHECK_EQ(cmos_read(VRTC_CMOS_EQUIPMENT), 0x02);
	/* Checksum over 0x10-0x2d: 0x02 + 0x80 + 0x02 + 0xff + 0xff. */
	CHECK_EQ(cmos_read(VRTC_CMOS_CSUM_HI) << 8 |
		 cmos_read(VRTC_CMOS_CSUM_LO), 0x282);
	/* Plain memory elsewhere; the NMI bit of the index is kept. */
	outb(VRTC_PORT_INDEX, 0x80 | 0x40);
	outb(VRTC_PORT_DATA, 0x5a);
	CHECK_EQ(inb(VRTC_PORT_INDEX), 0xc0);
	CHECK_EQ(cmos_read(0x40), 0x5a);
	outb(VRTC_PORT_INDEX, 0x80 | VRTC_REG_D);
	CHECK_EQ(inb(VRTC_PORT_DATA), VRTC_D_VRT);
	cmos_write(VRTC_REG_D, 0);			/* read only */
	CHECK_EQ(cmos_read(VRTC_REG_D), VRTC_D_VRT);
	teardown();

	/* 8 MiB: 7 MiB extended = 7168 KiB = 0x1c00; nothing above 16 MiB. */
	setup_at(T_LEAP_DAY, 0, MiB(8));
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM_LO), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM_HI), 0x1c);
	CHECK_EQ(cmos_read(VRTC_CMOS_EXT_MEM2_HI), 0x1c);
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_LO), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_HI), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_ABOVE_4G_MID), 0x00);
	teardown();

	/*
	 * 3 GiB below 4 GiB, 1 GiB above: (3072 - 16) MiB / 64 KiB = 0xbf00
	 * at 0x34; 1 GiB / 64 KiB = 0x4000 at 0x5b-0x5d; the bytes below
	 * 4 GiB do not count the high RAM.
	 */
	setup_ram(T_LEAP_DAY, 0, 3ull << 30, 1ull << 30);
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_LO), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_HIGH_MEM_HI), 0xbf);
	CHECK_EQ(cmos_read(VRTC_CMOS_ABOVE_4G_LO), 0x00);
	CHECK_EQ(cmos_read(VRTC_CMOS_ABOVE_4G_MID), 0x40);
	CHECK_EQ(cmos_read(VRTC_CMOS_ABOVE_4G_HI), 0x00);
	teardown();
}


/* ---- Date range --------------------------------------------------------- */

/*
 * Expected values for the sweep, worked out here independently of the
 * RTC's own calendar: Gregorian leap years and Sakamoto's day of week
 * (RTC numbering, 1 = Sunday).
 */
static bool is_leap(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned int rtc_wday(unsigned int y, unsigned int m, unsigned int d)
{
	static const unsigned int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y--;	/* y = 0 only in January or February: 400-year cycle */
	y += 400;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7 + 1;
}

static bool date_binary;

static uint8_t enc(unsigned int v)
{
	v %= 100;
	return date_binary ? (uint8_t)v : (uint8_t)(v / 10 << 4 | v % 10);
}

static uint8_t reg_b(void)
{
	return VRTC_B_24H | (date_binary ? VRTC_B_DM_BINARY : 0);
}

/* Sets the time registers under SET, then lets the clock run from them. */
static void set_date(uint8_t century, uint8_t year, unsigned int mon,
		     unsigned int mday, unsigned int hour, unsigned int min,
		     unsigned int sec)
{
	cmos_write(VRTC_REG_B, VRTC_B_SET | reg_b());
	cmos_write(VRTC_CENTURY, century);
	cmos_write(VRTC_YEAR, year);
	cmos_write(VRTC_MONTH, enc(mon));
	cmos_write(VRTC_DAY_OF_MONTH, enc(mday));
	cmos_write(VRTC_HOURS, enc(hour));
	cmos_write(VRTC_MINUTES, enc(min));
	cmos_write(VRTC_SECONDS, enc(sec));
	cmos_write(VRTC_REG_B, reg_b());
}

static void check_date(unsigned int y, unsigned int mon, unsigned int mday,
		       unsigned int hour, unsigned int min, unsigned int sec)
{
	CHECK_EQ(cmos_read(VRTC_SECONDS), enc(sec));
	CHECK_EQ(cmos_read(VRTC_MINUTES), enc(min));
	CHECK_EQ(cmos_read(VRTC_HOURS), enc(hour));
	CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), enc(mday));
	CHECK_EQ(cmos_read(VRTC_MONTH), enc(mon));
	CHECK_EQ(cmos_read(VRTC_YEAR), enc(y % 100));
	CHECK_EQ(cmos_read(VRTC_CENTURY), enc(y / 100 % 100));
	CHECK_EQ(cmos_read(VRTC_DAY_OF_WEEK), rtc_wday(y % 10000, mon, mday));
}

/*
 * Every year 0000-9999 in one data mode, set both ways a guest can: all
 * registers under SET, then SET cleared (New Year's Eve, one second
 * before midnight: second, day and year boundaries; 9999 rolls over to
 * 0000); and the century alone written while the clock runs (28
 * February: the leap day or 1 March). Under UBSan the sweep also proves
 * that no guest date overflows the clock's arithmetic.
 */
static void date_sweep(bool binary)
{
	unsigned int c, y, year;

	setup();
	date_binary = binary;
	for (c = 0; c < 100; c++) {
		for (y = 0; y < 100; y++) {
			year = c * 100 + y;
			set_date(enc(c), enc(y), 12, 31, 23, 59, 59);
			check_date(year, 12, 31, 23, 59, 59);
			now_ns += SEC;
			check_date(year + 1, 1, 1, 0, 0, 0);

			set_date(enc(19), enc(y), 2, 28, 23, 59, 59);
			now_ns += SEC / 2;
			cmos_write(VRTC_CENTURY, enc(c));
			check_date(year, 2, 28, 23, 59, 59);
			now_ns += SEC / 2;
			if (is_leap(year))
				check_date(year, 2, 29, 0, 0, 0);
			else
				check_date(year, 3, 1, 0, 0, 0);
			now_ns += SECS_IN_DAY * SEC;
			check_date(year, 3, is_leap(year) ? 1 : 2, 0, 0, 0);
		}
	}
	teardown();
}

static void dates_bcd(void)
{
	date_sweep(false);
}

static void dates_binary(void)
{
	date_sweep(true);
}

/*
 * Bytes no date encodes (BCD digits above 9, binary values above 99)
 * still name a second the clock can count from: every century byte, both
 * modes, both ways of setting it, and the clock keeps ticking.
 */
static void dates_any_byte(void)
{
	static const uint8_t years[] = { 0x00, 0x99, 0xff };
	unsigned int c, i, mode;

	setup();
	for (mode = 0; mode < 2; mode++) {
		date_binary = mode;
		for (c = 0; c < 256; c++) {
			for (i = 0; i < ARRAY_SIZE(years); i++) {
				set_date((uint8_t)c, years[i], 12, 31, 23, 59, 59);
				now_ns += SEC;
				CHECK_EQ(cmos_read(VRTC_SECONDS), enc(0));
				CHECK_EQ(cmos_read(VRTC_MONTH), enc(1));
				cmos_write(VRTC_CENTURY, (uint8_t)c);
				now_ns += 2 * SECS_IN_DAY * SEC;
				CHECK_EQ(cmos_read(VRTC_DAY_OF_MONTH), enc(3));
				CHECK_EQ(cmos_read(VRTC_SECONDS), enc(0));
			}
		}
	}
	teardown();
}

int main(void)
{
	shim_set_cpu(0);
	RUN(bcd_24h_known_instant);
	RUN(binary_and_12h);
	RUN(uip_window);
	RUN(set_freezes_and_sets_time);
	RUN(periodic_1024hz);
	RUN(reg_c_clear_on_read);
	RUN(stale_raise_dropped);
	RUN(pf_polled_without_pie);
	RUN(update_ended_1hz);
	RUN(alarm);
	RUN(cmos_memory_bytes);
	RUN(dates_bcd);
	RUN(dates_binary);
	RUN(dates_any_byte);
	return check_done();
}
