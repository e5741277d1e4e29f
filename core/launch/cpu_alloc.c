/*
 * The CPUs of vms.cfg's VMs (see core/launch/cpu_alloc.h). Boot CPU only;
 * cpus_busy is its state, no lock.
 */
#include "core/launch/cpu_alloc.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

#define CPU_ALLOC_MAX 64		/* bits of cpus_busy */

static uint64_t cpus_busy;	/* bit n: CPU n runs a vCPU */

static bool cpu_alloc_usable(unsigned int c, unsigned int ncpus)
{
	return c != 0 && c < ncpus && c < CPU_ALLOC_MAX && !(cpus_busy & BIT_ULL(c));
}

int cpu_alloc_pick(const struct vm_config *cfg, unsigned int *cpus)
{
	unsigned int ncpus = platform_nr_cpus(), want = cfg->vcpus, got = 0;

	if (cfg->nr_cpus) {
		for (unsigned int i = 0; i < want; i++) {
			unsigned int c = cfg->cpus[i];

			if (!cpu_alloc_usable(c, ncpus)) {
				pr_err("vm %s: CPU %u cannot take a vCPU (CPU 0 runs the console; %u CPUs online)",
				       cfg->name, c, ncpus);
				return -EBUSY;
			}
			cpus[got++] = c;
		}
	} else {
		for (unsigned int c = 1; c < ncpus && got < want; c++)
			if (cpu_alloc_usable(c, ncpus))
				cpus[got++] = c;
	}
	if (got < want) {
		pr_err("vm %s: wants %u vCPUs, only %u free CPUs (of %u; CPU 0 runs the console)",
		       cfg->name, want, got, ncpus);
		return -EBUSY;
	}
	for (unsigned int i = 0; i < want; i++)
		cpus_busy |= BIT_ULL(cpus[i]);
	return 0;
}

void cpu_alloc_release(const unsigned int *cpus, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		cpus_busy &= ~BIT_ULL(cpus[i]);
}
