/*
 * Hosted test of core/pc/dev/vacpi_pm.c: ACPI fixed hardware. Scenario: one
 * PM block on a virtual clock, a power-event recorder, an SCI probe.
 * Accesses go through vacpi_pm_io_ops / vacpi_pm_reset_io_ops as ACPICA
 * and Linux make them. Expected values from the ACPI spec (4.8) and the
 * PM timer's 3.579545 MHz. Single thread.
 */
#include "core/pc/dev/vacpi_pm.h"
#include "tests/host/check.h"

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull

static uint64_t now_ns;
static uint64_t test_clock(void)
{
	return now_ns;
}

static unsigned int n_off, n_reset;
static void power_event(void *ctx, enum vdev_power_event ev)
{
	CHECK(ctx == &n_off);
	if (ev == VDEV_POWER_OFF)
		n_off++;
	else if (ev == VDEV_POWER_RESET)
		n_reset++;
}

static int sci_level;
static unsigned int sci_sets;
static void sci_set(void *ctx, unsigned int line, int level)
{
	CHECK_EQ(line, 9);
	sci_level = level;
	sci_sets++;
}

static struct vacpi_pm pm;

static void setup(void)
{
	struct irq_line sci = { .set = sci_set, .line = 9 };
	struct vdev_power power = { .event = power_event, .ctx = &n_off };

	now_ns = 7 * SEC;
	n_off = n_reset = 0;
	sci_level = 0;
	sci_sets = 0;
	vacpi_pm_init(&pm, 0x600, &sci, &power, test_clock);	/* the PC's block */
}

static uint32_t in(uint16_t port, unsigned int size)
{
	uint32_t v = 0;

	CHECK_EQ(vacpi_pm_io_ops.read(&pm, port, size, &v), 0);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void out(uint16_t port, unsigned int size, uint32_t v)
{
	CHECK_EQ(vacpi_pm_io_ops.write(&pm, port, size, v), 0);
}

static void pm_timer_rate(void)
{
	setup();
	CHECK_EQ(in(0x608, 4), 0);
	now_ns += 1 * SEC;
	CHECK_EQ(in(0x608, 4), 3579545);
	now_ns += 1 * US;		/* 3.58 ticks */
	CHECK_EQ(in(0x608, 4), 3579548);
	/* Byte reads give the bytes of the same counter. */
	now_ns = 7 * SEC + 10 * SEC;	/* 35795450 = 0x022231fa */
	CHECK_EQ(in(0x608, 4), 0x022231fau);
	CHECK_EQ(in(0x608, 1), 0xfa);
	CHECK_EQ(in(0x609, 1), 0x31);
	CHECK_EQ(in(0x60a, 2), 0x0222);
	/* 32 bits: wraps after 2^32 ticks = 1199.86 s. */
	now_ns = 7 * SEC + 1200 * SEC;	/* 4295454000 mod 2^32 */
	CHECK_EQ(in(0x608, 4), 4295454000ull - 4294967296ull);
	/* Read only. */
	out(0x608, 4, 0);
	CHECK_EQ(in(0x608, 4), 4295454000ull - 4294967296ull);
}

static void tmr_sts_and_sci(void)
{
	setup();
	/* Bit 23 toggles every 2^23 ticks = 2.3435 s. */
	now_ns += 2343 * MS;
	CHECK_EQ(in(0x600, 2) & VACPI_PM1_TMR, 0);
	now_ns += 1 * MS;
	CHECK_EQ(in(0x600, 2), VACPI_PM1_TMR);
	CHECK_EQ(sci_level, 0);			/* TMR_EN clear */
	/* Writing 0 clears nothing, 1 clears. */
	out(0x600, 2, 0);
	CHECK_EQ(in(0x600, 2), VACPI_PM1_TMR);
	out(0x600, 2, VACPI_PM1_TMR);
	CHECK_EQ(in(0x600, 2), 0);
	/* TMR_EN with TMR_STS up: SCI asserted (level), held until clear. */
	now_ns += 2344 * MS;
	out(0x602, 2, VACPI_PM1_TMR);
	CHECK_EQ(in(0x602, 2), VACPI_PM1_TMR);
	CHECK_EQ(sci_level, 1);
	CHECK_EQ(in(0x600, 2), VACPI_PM1_TMR);
	CHECK_EQ(sci_level, 1);
	out(0x600, 2, VACPI_PM1_TMR);
	CHECK_EQ(sci_level, 0);
	/* One 32-bit write to PM1_EVT_BLK: clear STS and set EN at once. */
	now_ns += 2344 * MS;
	out(0x600, 4, (uint32_t)(VACPI_PM1_PWRBTN | VACPI_PM1_RTC) << 16 |
			VACPI_PM1_TMR);
	CHECK_EQ(in(0x600, 4), (uint32_t)(VACPI_PM1_PWRBTN | VACPI_PM1_RTC)
				 << 16);
	CHECK_EQ(sci_level, 0);
	/* Reserved enable bits do not stick. */
	out(0x602, 2, 0xffff);
	CHECK_EQ(in(0x602, 2), VACPI_PM1_EN_WRITABLE);
}

static void pm1_cnt_and_s5(void)
{
	setup();
	/* ACPI mode always on: SCI_EN reads 1. */
	CHECK_EQ(in(0x604, 2), VACPI_PM1_CNT_SCI_EN);
	out(0x604, 2, 0);
	CHECK_EQ(in(0x604, 2), VACPI_PM1_CNT_SCI_EN);
	/* ACPICA: SLP_TYP first, then SLP_TYP | SLP_EN. */
	out(0x604, 2, 5 << 10);
	CHECK_EQ(in(0x604, 2), 5 << 10 | VACPI_PM1_CNT_SCI_EN);
	CHECK_EQ(n_off, 0);
	out(0x604, 2, 5 << 10 | 1 << 13);
	CHECK_EQ(n_off, 1);
	CHECK_EQ(n_reset, 0);
	/* SLP_EN is write only. */
	CHECK_EQ(in(0x604, 2) & (1 << 13), 0);
	/* Other sleep types are ignored. */
	out(0x604, 2, 1 << 10 | 1 << 13);
	out(0x604, 2, 3 << 10 | 1 << 13);
	out(0x604, 2, 0 << 10 | 1 << 13);
	CHECK_EQ(n_off, 1);
	/* A byte write of the high byte: 0x34 = SLP_EN | SLP_TYP 5. */
	out(0x605, 1, 0x34);
	CHECK_EQ(n_off, 2);
	/* 0x606-0x607 hold nothing. */
	CHECK_EQ(in(0x606, 2), 0xffff);
}

static void reset_register(void)
{
	uint32_t v = 0;

	setup();
	/* Linux's reboot=pci: 0x02, then 0x06. */
	CHECK_EQ(vacpi_pm_reset_io_ops.write(&pm, 0xcf9, 1, 0x02), 0);
	CHECK_EQ(n_reset, 0);
	CHECK_EQ(vacpi_pm_reset_io_ops.read(&pm, 0xcf9, 1, &v), 0);
	CHECK_EQ(v & 0xff, 0x02);
	CHECK_EQ(vacpi_pm_reset_io_ops.write(&pm, 0xcf9, 1, 0x06), 0);
	CHECK_EQ(n_reset, 1);
	/* The FADT's RESET_REG write and a full reset. */
	CHECK_EQ(vacpi_pm_reset_io_ops.write(&pm, 0xcf9, 1, 0x0e), 0);
	CHECK_EQ(n_reset, 2);
	CHECK_EQ(vacpi_pm_reset_io_ops.read(&pm, 0xcf9, 1, &v), 0);
	CHECK_EQ(v & 0xff, 0x0e);
	/* Bits other than 3:1 do not read back. */
	CHECK_EQ(vacpi_pm_reset_io_ops.write(&pm, 0xcf9, 1, 0xf1), 0);
	CHECK_EQ(vacpi_pm_reset_io_ops.read(&pm, 0xcf9, 1, &v), 0);
	CHECK_EQ(v & 0xff, 0x00);
	CHECK_EQ(n_reset, 2);
	CHECK_EQ(n_off, 0);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(pm_timer_rate);
	RUN(tmr_sts_and_sci);
	RUN(pm1_cnt_and_s5);
	RUN(reset_register);
	return check_done();
}
