/*
 * Conformance kernel "pit": the 8254. Channel 2 (gated and read back through
 * port 0x61) for counting: mode 0's count and OUT, the counter latch, the
 * read-back command's status, mode 3's square wave, the count rate against
 * the ACPI PM timer (an independent clock). Channel 0 in mode 2 for the
 * rate of IRQ0, through the 8259 and LINT0.
 */
#include "conf.h"

const char conf_kernel[] = "pit";

#define PIT_CH0     0x40
#define PIT_CH2     0x42
#define PIT_CMD     0x43
#define PORT_B      0x61
#define GATE2       BIT(0)
#define SPKR        BIT(1)
#define OUT2        BIT(5)
#define CMD_LOHI    0x30
#define CMD_CH2     0x80
#define READBACK_CH2_STATUS 0xe8	/* read-back, status only, channel 2 */
#define READBACK_CH2_BOTH   0xc8	/* read-back, status then count, channel 2 */
#define STATUS_OUT  BIT(7)
#define VEC_IRQ0    0x20
#define PM_TMR_HZ   3579545u

static void ch2_program(u32 mode, u16 count)
{
	outb(PORT_B, (inb(PORT_B) & ~SPKR) | GATE2);
	outb(PIT_CMD, CMD_CH2 | CMD_LOHI | mode << 1);
	outb(PIT_CH2, (u8)count);
	outb(PIT_CH2, (u8)(count >> 8));
}

static u16 ch2_latch(void)
{
	u8 lo, hi;

	outb(PIT_CMD, CMD_CH2);		/* counter latch */
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (u16)(hi << 8 | lo);
}

static u8 ch2_status(void)
{
	outb(PIT_CMD, READBACK_CH2_STATUS);
	return inb(PIT_CH2);
}

static int out2(void)
{
	return !!(inb(PORT_B) & OUT2);
}

static void test_mode0(void)
{
	u16 a, b;
	int low, high;

	ch2_program(0, 0x4000);			/* 13.7 ms */
	a = ch2_latch();
	delay_us(200);
	b = ch2_latch();
	low = !out2();
	check("mode0_counts", a <= 0x4000 && b < a && a - b >= 100,
	      "latched 0x%x, 200 us later 0x%x, after loading 0x4000", a, b);
	delay_us(30000);
	high = out2();
	check("mode0_out", low && high, "OUT2 %s while counting, %s after the count (low, then high)",
	      low ? "low" : "high", high ? "high" : "low");
}

static void test_latch(void)
{
	u16 held, now;

	ch2_program(0, 0xffff);
	outb(PIT_CMD, CMD_CH2);			/* latch now, read 2 ms later */
	delay_us(2000);
	held = (u16)(inb(PIT_CH2) | inb(PIT_CH2) << 8);
	now = ch2_latch();
	check("latch", held > now && (u16)(held - now) >= 1193,
	      "latched 0x%x, 2 ms later 0x%x: the latch did not hold", held, now);
}

static void test_readback(void)
{
	static const u32 modes[] = { 0, 2, 3 };

	for (u32 i = 0; i < ARRAY_SIZE(modes); i++) {
		u8 st;

		ch2_program(modes[i], 0x8000);
		st = ch2_status();
		if (((st >> 1) & 7) != modes[i] || ((st >> 4) & 3) != 3 || (st & 1)) {
			fail("readback_status", "status 0x%x after mode %u lobyte/hibyte binary",
			     st, modes[i]);
			return;
		}
	}
	pass("readback_status");
}

/*
 * Mode 3 with an even count: the counter steps by two, OUT is high for the
 * first half of each period and low for the second. Sampled through the
 * read-back command (status and count latched together) over 20 ms of a
 * 2 ms period: OUT must be seen both ways, each 25-75% of the samples, and
 * every count even. Sampling, not edge counting: an emulator stalled by
 * its host skips edges but not the proportion.
 */
static void test_mode3(void)
{
	u32 count = PIT_HZ / 500 & ~1u, high = 0, samples = 0, odd = 0, over = 0;
	u64 end;

	ch2_program(3, (u16)count);
	end = rdtsc() + (u64)tsc_khz * 20;
	while (rdtsc() < end) {
		u8 st, lo, hi;
		u16 c;

		outb(PIT_CMD, READBACK_CH2_BOTH);
		st = inb(PIT_CH2);
		lo = inb(PIT_CH2);
		hi = inb(PIT_CH2);
		c = (u16)(hi << 8 | lo);
		high += !!(st & STATUS_OUT);
		odd += c & 1;
		over += c > count;
		samples++;
	}
	check("mode3_square", samples >= 20 && high * 4 >= samples && high * 4 <= samples * 3 &&
	      !odd && !over, "%u samples: OUT high in %u, %u odd counts, %u above %u", samples,
	      high, odd, over, count);
}

static void test_rate_vs_pmtimer(void)
{
	u32 pm0, pm1, pit_counts, pm_counts, ratio1000;
	u16 a, b;

	acpi_init();
	if (!acpi.pm_tmr) {
		skip("rate_vs_pmtimer", "no PM timer in the FADT");
		return;
	}
	ch2_program(0, 0xffff);
	a = ch2_latch();
	pm0 = inl((u16)acpi.pm_tmr);
	delay_us(30000);
	b = ch2_latch();
	pm1 = inl((u16)acpi.pm_tmr);
	pit_counts = (u16)(a - b);
	pm_counts = (pm1 - pm0) & 0xffffff;
	/* 1193182 / 3579545 = 0.3333 */
	ratio1000 = pm_counts ? (u32)udiv64((u64)pit_counts * 1000, pm_counts, NULL) : 0;
	check("rate_vs_pmtimer", ratio1000 >= 300 && ratio1000 <= 366,
	      "%u PIT counts for %u PM timer counts: ratio 0.%03u (expected 0.333)",
	      pit_counts, pm_counts, ratio1000);
}

static volatile u32 irq0_count;

static void irq0_handler(struct frame *f)
{
	irq0_count++;
	pic_eoi(0);
}

static void test_mode2_irq(void)
{
	u32 n;

	pic_init(0x20);
	lapic_init();
	lapic_extint();
	set_handler(VEC_IRQ0, irq0_handler);
	outb(PIT_CMD, CMD_LOHI | 2 << 1);	/* channel 0, mode 2 */
	outb(PIT_CH0, (u8)(PIT_HZ / 100));
	outb(PIT_CH0, (u8)((PIT_HZ / 100) >> 8));
	pic_set_mask(0xfffe);
	sti();
	delay_us(100000);
	cli();
	n = irq0_count;
	pic_set_mask(0xffff);
	check("mode2_irq0_rate", n >= 6 && n <= 14, "%u IRQ0s in 100 ms at 100 Hz (expected 10)", n);
}

void kmain(u32 magic, u32 info)
{
	tsc_calibrate();
	test_mode0();
	test_latch();
	test_readback();
	test_mode3();
	test_rate_vs_pmtimer();
	test_mode2_irq();
}
