/*
 * Conformance kernel "sched_fair": a CPU-bound loop that counts its
 * iterations over 10 s of ACPI PM timer time (the VM's wall clock, not
 * the time it ran), after a warm-up of WARMUP_MS so that VMs started
 * together all run in the counted window. Two VMs booting it on one
 * shared CPU print counts in the ratio of their weights
 * (tests/integration/svm_sched_fair_iso.scn, svm_sched_weight_iso.scn;
 * docs/scheduler.md). A batch of BATCH iterations runs between two PM
 * timer reads: the read's exit costs the same in every VM, and the
 * batch is short next to a scheduler slice.
 */
#include "conf.h"

const char conf_kernel[] = "sched_fair";

#define PM_TMR_HZ	3579545u
#define WARMUP_MS	1000u
#define WINDOW_MS	10000u
#define BATCH		20000u

static u32 pm_mask, pm_last;

/* PM timer ticks since the last call (called far more often than it wraps). */
static u32 pm_delta(void)
{
	u32 now = inl((u16)acpi.pm_tmr) & pm_mask, d = (now - pm_last) & pm_mask;

	pm_last = now;
	return d;
}

/* BATCH steps of a linear congruential generator the compiler cannot fold. */
static u32 batch(u32 x)
{
	for (u32 i = 0; i < BATCH; i++) {
		x = x * 1664525u + 1013904223u;
		asm volatile("" : "+r"(x));
	}
	return x;
}

/* Runs batches for ms of PM timer time; returns how many. */
static u64 run_for(u32 ms, u32 *seed)
{
	u64 ran = 0, want = udiv64((u64)PM_TMR_HZ * ms, 1000, NULL), n = 0;

	pm_delta();
	while (ran < want) {
		*seed = batch(*seed);
		n++;
		ran += pm_delta();
	}
	return n;
}

void kmain(u32 magic, u32 info)
{
	u32 seed = 1;
	u64 n;

	acpi_init();
	if (!check("pm_timer", acpi.found && acpi.pm_tmr, "no FADT PM_TMR_BLK"))
		return;
	pm_mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0x00ffffffu;
	run_for(WARMUP_MS, &seed);
	n = run_for(WINDOW_MS, &seed);
	printf("sched_fair: %llu iterations in %u ms (seed %x)\n", n * BATCH, WINDOW_MS, seed);
	check("ran", n > 0, "no batch ended in %u ms", WINDOW_MS);
}
