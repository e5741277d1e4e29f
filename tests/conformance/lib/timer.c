/*
 * Conformance kernels: the TSC measured against PIT channel 2 (gated by
 * port 0x61), and delays on the TSC.
 */
#include "conf.h"

#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61
#define PORTB_GATE2  BIT(0)
#define PORTB_SPKR   BIT(1)
#define CALIB_MS     10

u32 tsc_khz;

static u16 pit2_latch(void)
{
	u8 lo, hi;

	outb(PIT_CMD, 0x80);		/* counter latch, channel 2 */
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	return (u16)(hi << 8 | lo);
}

/*
 * Channel 2 counts down from 0xffff in mode 0; the TSC is read around the
 * first and the last latched count, CALIB_MS apart. Latched counts, not
 * OUT2 in port 0x61: an emulator may update that pin late. A host that
 * stalls the emulator between a latch and its TSC read skews the result,
 * so a try whose latch took longer than 2% of the window between its
 * two TSC reads is done again (up to five tries).
 */
static u32 tsc_calibrate_once(int *stalled)
{
	u32 want = PIT_HZ * CALIB_MS / 1000, spins = 0;
	u16 first, now;
	u64 t0a, t0b, t1a, t1b;

	outb(PORT_B, (inb(PORT_B) & ~PORTB_SPKR) | PORTB_GATE2);
	outb(PIT_CMD, 0xb0);		/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	t0a = rdtsc();
	first = pit2_latch();
	t0b = rdtsc();
	do {
		t1a = rdtsc();
		now = pit2_latch();
		t1b = rdtsc();
	} while ((u16)(first - now) < want && now <= first && ++spins < 10000000);
	*stalled = (t0b - t0a) * 50 > t1b - t0a || (t1b - t1a) * 50 > t1b - t0a;
	return (u32)udiv64((t1a + t1b - t0a - t0b) / 2 * want, (u16)(first - now) * CALIB_MS, NULL);
}

u32 tsc_calibrate(void)
{
	int stalled = 1;

	for (int i = 0; i < 5 && stalled; i++)
		tsc_khz = tsc_calibrate_once(&stalled);
	if (!tsc_khz)
		tsc_khz = 1000000;	/* nonsense PIT; delays still end */
	return tsc_khz;
}

u64 tsc_us(u64 ticks)
{
	return udiv64(ticks * 1000, tsc_khz, NULL);
}

void delay_us(u32 us)
{
	u64 end;

	if (!tsc_khz)
		tsc_calibrate();
	end = rdtsc() + udiv64((u64)us * tsc_khz, 1000, NULL);
	while (rdtsc() < end)
		pause();
}
