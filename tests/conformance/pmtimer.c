/*
 * Conformance kernel "pmtimer": the ACPI power-management timer at the port
 * the FADT names (PM_TMR_BLK), 24 bits wide or 32 where the FADT sets
 * TMR_VAL_EXT, counting at 3.579545 MHz: measured against the TSC, itself
 * measured against the PIT.
 */
#include "conf.h"

const char conf_kernel[] = "pmtimer";

#define PM_TMR_HZ   3579545u
#define WINDOW_US   20000u

static u32 pm_read(void)
{
	return inl((u16)acpi.pm_tmr);
}

void kmain(u32 magic, u32 info)
{
	u32 mask, a, b, bad_bits = 0, backwards = 0, prev, ticks, want;
	u64 t0, t1;
	u32 us;

	acpi_init();
	if (!check("fadt_port", acpi.found && acpi.pm_tmr, "no FADT PM_TMR_BLK (ACPI %s)",
		   acpi.found ? "found" : "not found"))
		return;
	mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0x00ffffffu;
	printf("PM timer at port 0x%x, %u bits\n", acpi.pm_tmr, acpi.pm_tmr_32bit ? 32 : 24);
	tsc_calibrate();

	a = pm_read();
	delay_us(1000);
	b = pm_read();
	check("advances", a != b, "0x%x both before and after 1 ms", a);

	/* Monotonic modulo the width; no bit above it. */
	prev = pm_read();
	for (u32 i = 0; i < 2000; i++) {
		u32 v = pm_read();
		bad_bits |= v & ~mask;
		if (((v - prev) & mask) > mask / 2)
			backwards++;
		prev = v;
	}
	check("width", !bad_bits, "bits 0x%x set above the %u-bit counter", bad_bits,
	      acpi.pm_tmr_32bit ? 32 : 24);
	check("monotonic", !backwards, "went backwards %u times in 2000 reads", backwards);

	/* The rate over 20 ms of TSC: 71591 counts, within 20%. */
	a = pm_read();
	t0 = rdtsc();
	delay_us(WINDOW_US);
	b = pm_read();
	t1 = rdtsc();
	ticks = (b - a) & mask;
	us = (u32)tsc_us(t1 - t0);
	want = (u32)udiv64((u64)PM_TMR_HZ * us, 1000000, NULL);
	check("rate", ticks >= want - want / 5 && ticks <= want + want / 5,
	      "%u counts in %u us, expected %u at 3.579545 MHz", ticks, us, want);
}
