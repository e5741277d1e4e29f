/*
 * Wall-clock time from the machine's CMOS real-time clock, read once on
 * the boot CPU and carried forward with the TSC: the guests' virtual RTCs
 * start from it. Boot CPU for the read; any CPU afterwards.
 */
#include "asm/cpu.h"
#include "core/lib/platform.h"

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define CMOS_NMI_OFF    0x80
#define RTC_SECONDS     0x00
#define RTC_MINUTES     0x02
#define RTC_HOURS       0x04
#define RTC_DAY         0x07
#define RTC_MONTH       0x08
#define RTC_YEAR        0x09
#define RTC_REG_A       0x0a
#define RTC_REG_B       0x0b
#define RTC_CENTURY     0x32
#define RTC_A_UIP       0x80
#define RTC_B_24H       0x02
#define RTC_B_BINARY    0x04
#define RTC_HOUR_PM     0x80
#define RTC_UIP_POLLS   1000000

static uint64_t wall_at_read_ns;
static uint64_t mono_at_read_ns;

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static unsigned int bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
	unsigned int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

void platform_wall_clock_init(void)
{
	unsigned int polls = 0, sec, min, hour, day, mon, year, cent;
	uint8_t b, h;
	bool bin;

	while ((cmos_read(RTC_REG_A) & RTC_A_UIP) && ++polls < RTC_UIP_POLLS)
		cpu_relax();
	b = cmos_read(RTC_REG_B);
	bin = b & RTC_B_BINARY;
	sec = bcd(cmos_read(RTC_SECONDS), bin);
	min = bcd(cmos_read(RTC_MINUTES), bin);
	h = cmos_read(RTC_HOURS);
	hour = bcd(h & ~RTC_HOUR_PM, bin);
	if (!(b & RTC_B_24H))
		hour = hour % 12 + ((h & RTC_HOUR_PM) ? 12 : 0);
	day = bcd(cmos_read(RTC_DAY), bin);
	mon = bcd(cmos_read(RTC_MONTH), bin);
	year = bcd(cmos_read(RTC_YEAR), bin);
	cent = bcd(cmos_read(RTC_CENTURY), bin);
	year += (cent >= 19 && cent <= 30) ? cent * 100 : 2000;
	mono_at_read_ns = time_now_ns();
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return;		/* no plausible RTC: the epoch it is */
	wall_at_read_ns = ((days_from_civil(year, mon, day) * 24 + hour) * 3600 +
			   min * 60 + sec) * 1000000000ull;
}

uint64_t platform_wall_ns(void)
{
	return wall_at_read_ns + (time_now_ns() - mono_at_read_ns);
}
