/*
 * TSC calibration and time keeping. Calibrated once on the boot CPU before
 * the other CPUs start; read-only afterwards (the TSCs of all CPUs are
 * assumed synchronised, as on every invariant-TSC machine).
 *
 * Sources, best first: CPUID leaf 0x15 (crystal ratio), leaf 0x16 (base
 * MHz), then the 8254 PIT channel 2 as a reference clock.
 */
#include "asm/cpu.h"
#include "asm/tsc.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

#define PIT_HZ            1193182u
#define PIT_CH2_DATA      0x42
#define PIT_CMD           0x43
#define PIT_CMD_CH2_MODE0 0xb0	/* channel 2, lo/hi byte, mode 0, binary */
#define PORT_NMI_SC       0x61
#define   NMI_SC_GATE2    BIT(0)
#define   NMI_SC_SPEAKER  BIT(1)
#define   NMI_SC_OUT2     BIT(5)
#define PIT_CALIB_MS      50
#define PIT_POLL_LIMIT    100000000u

uint64_t tsc_hz;
static uint64_t tsc_boot;
static uint64_t tsc_ns_mult;	/* ns = (cycles * mult) >> 32 */

void tsc_mark_boot(void)
{
	tsc_boot = rdtsc();
}

static uint64_t tsc_from_cpuid(const char **how)
{
	struct cpuid_regs r;
	uint32_t max;

	cpuid(0, &r);
	max = r.eax;
	if (max >= 0x15) {
		cpuid(0x15, &r);
		if (r.eax && r.ebx && r.ecx) {
			*how = "CPUID 0x15";
			return (uint64_t)r.ecx * r.ebx / r.eax;
		}
	}
	if (max >= 0x16) {
		cpuid(0x16, &r);
		if (r.eax & 0xffff) {
			*how = "CPUID 0x16";
			return (uint64_t)(r.eax & 0xffff) * 1000000ull;
		}
	}
	return 0;
}

/* Counts TSC cycles while PIT channel 2 counts down PIT_CALIB_MS. */
static uint64_t tsc_from_pit(void)
{
	uint32_t latch = PIT_HZ * PIT_CALIB_MS / 1000;
	uint64_t t0, t1;
	uint32_t polls = 0;
	uint8_t sc;

	sc = inb(PORT_NMI_SC);
	outb(PORT_NMI_SC, (sc & ~NMI_SC_SPEAKER) | NMI_SC_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2_DATA, latch & 0xff);
	outb(PIT_CH2_DATA, latch >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_NMI_SC) & NMI_SC_OUT2)) {
		if (++polls > PIT_POLL_LIMIT)
			return 0;
	}
	t1 = rdtsc();
	outb(PORT_NMI_SC, sc);
	return (t1 - t0) * 1000 / PIT_CALIB_MS;
}

/*
 * CPUID's nominal frequency is exact on hardware but emulators and some
 * hypervisors report one the TSC does not run at: it is taken only when
 * the PIT measurement agrees within CPUID_AGREE_PCT.
 */
#define CPUID_AGREE_PCT 2

const char *tsc_calibrate(void)
{
	const char *how = NULL;
	uint64_t nominal = tsc_from_cpuid(&how);
	uint64_t measured = tsc_from_pit(), hz;

	if (nominal && measured) {
		uint64_t diff = nominal > measured ? nominal - measured : measured - nominal;

		if (diff * 100 <= measured * CPUID_AGREE_PCT) {
			hz = nominal;
		} else {
			hz = measured;
			how = "PIT; CPUID's nominal frequency disagrees";
		}
	} else if (nominal) {
		hz = nominal;
	} else if (measured) {
		hz = measured;
		how = "PIT";
	} else {
		hz = 1000000000ull;
		how = "assumed: no CPUID leaf and no PIT answer";
	}
	tsc_ns_mult = (1000000000ull << 32) / hz;	/* 1e9 << 32 fits in 64 bits */
	WRITE_ONCE(tsc_hz, hz);
	return how;
}

uint64_t time_now_ns(void)
{
	if (!READ_ONCE(tsc_hz))
		return 0;
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_boot) * tsc_ns_mult) >> 32);
}

uint64_t tsc_deadline_us(uint64_t us)
{
	uint64_t hz = tsc_hz ? tsc_hz : 1000000000ull;

	return rdtsc() + us * (hz / 1000000);
}

bool tsc_expired(uint64_t deadline)
{
	return (int64_t)(rdtsc() - deadline) >= 0;
}

void udelay(uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (!tsc_expired(deadline))
		cpu_relax();
}
