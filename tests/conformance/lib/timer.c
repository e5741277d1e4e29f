/*
 * Conformance kernels: the TSC measured against PIT channel 2 (gated by
 * port 0x61, its output read back in bit 5), and delays on the TSC.
 */
#include "conf.h"

#define PIT_CH2      0x42
#define PIT_CMD      0x43
#define PORT_B       0x61
#define PORTB_GATE2  BIT(0)
#define PORTB_SPKR   BIT(1)
#define PORTB_OUT2   BIT(5)
#define CALIB_MS     10

u32 tsc_khz;

u32 tsc_calibrate(void)
{
	u32 count = PIT_HZ * CALIB_MS / 1000;
	u64 t0, t1;
	u32 spins = 0;

	outb(PORT_B, inb(PORT_B) & ~(PORTB_GATE2 | PORTB_SPKR));
	outb(PIT_CMD, 0xb0);		/* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, (u8)count);
	outb(PIT_CH2, (u8)(count >> 8));
	outb(PORT_B, (inb(PORT_B) & ~PORTB_SPKR) | PORTB_GATE2);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORTB_OUT2) && ++spins < 100000000)
		;
	t1 = rdtsc();
	tsc_khz = (u32)udiv64(t1 - t0, CALIB_MS, NULL);
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
