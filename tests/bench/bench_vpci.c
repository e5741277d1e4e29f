/*
 * The device half of the exits of a guest's PCI scan (core/pc/dev/vpci.c):
 * Linux's K8 GART aperture search reads the class register of every
 * bus:device slot, an address write to 0xcf8 and a 4-byte read of 0xcfc
 * each, almost all of them absent functions. One thread, two variants
 * side by side, rounds interleaved:
 *
 *   locked  vpci_io_ops, the config space's port handlers: its lock for
 *           each access
 *   fast    vpci_io_fast(), which core/pc/vpc.c tries before the port
 *           map: no lock
 *
 * Each config cycle is the two accesses, the slots taken in the search's
 * order (bus 0 holds the host bridge at 00:00.0, the only one present).
 * Prints TSC cycles per config cycle (median of the rounds).
 */
#include "asm/cpu.h"
#include "core/pc/dev/vpci.h"
#include "tests/bench/bench.h"

#define ITERS	(1u << 20)
#define ROUNDS	7

static struct vpci pci;
static volatile uint32_t sink;

enum variant { LOCKED, FAST, NR_VARIANTS };
static const char *const names[NR_VARIANTS] = { "locked", "fast" };

static double run(enum variant var)
{
	uint64_t t0, t1;
	uint32_t v = 0;

	t0 = rdtsc();
	for (unsigned int i = 0; i < ITERS; i++) {
		uint32_t addr = 0x80000000u | (i & 0x1fffu) << 11 | 0x08;	/* bus:dev, class */

		if (var == FAST) {
			vpci_io_fast(&pci, 0xcf8, 4, false, &addr);
			vpci_io_fast(&pci, 0xcfc, 4, true, &v);
		} else {
			vpci_io_ops.write(&pci, 0xcf8, 4, addr);
			vpci_io_ops.read(&pci, 0xcfc, 4, &v);
		}
		sink = v;
	}
	t1 = rdtsc();
	return (double)(t1 - t0) / ITERS;
}

int main(void)
{
	double c[NR_VARIANTS][ROUNDS];

	vpci_init(&pci);
	for (unsigned int r = 0; r < ROUNDS; r++)
		for (unsigned int var = 0; var < NR_VARIANTS; var++)
			c[var][r] = run((enum variant)var);
	printf("bench_vpci: PCI config cycles (0xcf8 write, 0xcfc 4-byte read; the GART search's class reads), one thread, %u a round, median of %u rounds\n",
	       ITERS, ROUNDS);
	printf("  %-8s %16s\n", "variant", "cycles/cycle");
	for (unsigned int var = 0; var < NR_VARIANTS; var++) {
		printf("  %-8s %16.1f\n", names[var], bench_median(c[var], ROUNDS));
	}
	return 0;
}
