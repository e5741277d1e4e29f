/*
 * Conformance kernel "rtc": the MC146818 behind ports 0x70/0x71. The time
 * registers are valid (BCD or binary, 12 or 24 hours, as register B says)
 * and advance; the periodic interrupt comes at the rate register A selects;
 * the update-ended interrupt comes once a second. IRQ8 through the 8259
 * (slave IR0) and LINT0; register C is read to acknowledge.
 */
#include "conf.h"

const char conf_kernel[] = "rtc";

#define CMOS_INDEX  0x70
#define CMOS_DATA   0x71
#define RTC_SEC     0x00
#define RTC_MIN     0x02
#define RTC_HOUR    0x04
#define RTC_DAY     0x07
#define RTC_MONTH   0x08
#define RTC_YEAR    0x09
#define RTC_A       0x0a
#define RTC_B       0x0b
#define RTC_C       0x0c
#define RTC_D       0x0d
#define A_UIP       BIT(7)
#define A_RS_MASK   0x0f
#define B_PIE       BIT(6)
#define B_UIE       BIT(4)
#define B_BINARY    BIT(2)
#define B_24H       BIT(1)
#define C_PF        BIT(6)
#define C_UF        BIT(4)
#define D_VRT       BIT(7)
#define HOUR_PM     BIT(7)
#define IRQ_RTC     8
#define VEC_RTC     (0x20 + IRQ_RTC)
#define RS_128HZ    9		/* 32768 >> (RS - 1) */

static volatile u32 pf_count, uf_count, uf_sec;

static u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(u8 reg, u8 v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static u32 decode(u8 v, int binary)
{
	return binary ? v : (u32)(v >> 4) * 10 + (v & 0xf);
}

static int bcd_ok(u8 v, int binary)
{
	return binary || ((v & 0xf) <= 9 && (v >> 4) <= 9);
}

static void rtc_handler(struct frame *f)
{
	u8 c = cmos_read(RTC_C);

	if (c & C_PF)
		pf_count++;
	if ((c & C_UF) && !uf_count++)
		uf_sec = cmos_read(RTC_SEC);
	pic_eoi(IRQ_RTC);
}

static void test_time(void)
{
	u8 b = cmos_read(RTC_B), raw[6], regs[6] = { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_DAY,
						     RTC_MONTH, RTC_YEAR };
	int bin = !!(b & B_BINARY), ok = 1;
	u32 sec, min, hour, day, mon, year;

	check("valid_ram_time", cmos_read(RTC_D) & D_VRT, "register D 0x%x: VRT clear",
	      cmos_read(RTC_D));
	for (u32 spins = 0; (cmos_read(RTC_A) & A_UIP) && spins < 1000000; spins++)
		;
	for (u32 i = 0; i < 6; i++) {
		raw[i] = cmos_read(regs[i]);
		ok &= bcd_ok(i == 2 ? raw[i] & ~HOUR_PM : raw[i], bin);
	}
	sec = decode(raw[0], bin);
	min = decode(raw[1], bin);
	hour = decode(raw[2] & ~HOUR_PM, bin);
	day = decode(raw[3], bin);
	mon = decode(raw[4], bin);
	year = decode(raw[5], bin);
	printf("RTC %02u-%02u-%02u %02u:%02u:%02u%s, register B 0x%x\n", year, mon, day, hour,
	       min, sec, b & B_24H ? "" : (raw[2] & HOUR_PM ? " PM" : " AM"), b);
	ok &= sec < 60 && min < 60 && day >= 1 && day <= 31 && mon >= 1 && mon <= 12 && year < 100;
	ok &= b & B_24H ? hour < 24 && !(raw[2] & HOUR_PM) : hour >= 1 && hour <= 12;
	check("time_sane", ok, "registers %02x %02x %02x %02x %02x %02x (sec min hour day month year),"
	      " register B 0x%x", raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], b);
}

static void test_update_ended(void)
{
	u8 b = cmos_read(RTC_B), sec0;

	uf_count = 0;
	sec0 = cmos_read(RTC_SEC);
	cmos_read(RTC_C);
	cmos_write(RTC_B, b | B_UIE);
	delay_us(1200000);
	cmos_write(RTC_B, b & ~B_UIE);
	check("update_ended", uf_count >= 1 && uf_count <= 2, "%u update-ended interrupts in 1.2 s",
	      uf_count);
	check("advances", uf_count && uf_sec != sec0,
	      "seconds 0x%x before, 0x%x at the update-ended interrupt", sec0, uf_sec);
}

static void test_periodic(void)
{
	u8 a = cmos_read(RTC_A), b = cmos_read(RTC_B);
	u32 n;

	cmos_write(RTC_A, (u8)((a & ~A_RS_MASK) | RS_128HZ));
	pf_count = 0;
	cmos_read(RTC_C);
	cmos_write(RTC_B, b | B_PIE);
	delay_us(250000);
	cmos_write(RTC_B, b & ~B_PIE);
	n = pf_count;
	cmos_write(RTC_A, a);
	check("periodic_rate", n >= 20 && n <= 45, "%u periodic interrupts in 250 ms at 128 Hz "
	      "(expected 32)", n);
	delay_us(20000);
	check("periodic_off", pf_count == n, "%u periodic interrupts after clearing PIE",
	      pf_count - n);
}

void kmain(u32 magic, u32 info)
{
	tsc_calibrate();
	pic_init(0x20);
	lapic_init();
	lapic_extint();
	set_handler(VEC_RTC, rtc_handler);
	pic_set_mask((u16)~(BIT(IRQ_RTC) | BIT(2)));	/* IRQ8 and the cascade */
	test_time();
	sti();
	test_periodic();
	test_update_ended();
	cli();
}
