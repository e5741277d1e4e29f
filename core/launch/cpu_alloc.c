/*
 * The CPUs of vms.cfg's VMs (see core/launch/cpu_alloc.h). Boot CPU only;
 * no state.
 */
#include "core/launch/cpu_alloc.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

int cpu_alloc_pick(const struct vm_config *cfg, struct vm_build_sched *s, unsigned int *pin)
{
	unsigned int ncpus = platform_nr_cpus();

	*s = (struct vm_build_sched){ .weight = cfg->weight };
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		unsigned int c = cfg->cpus[i];

		if (c >= ncpus || c >= SCHED_MAX_CPUS) {
			pr_err("vm %s: cpus: CPU %u is not online (%u CPUs online)",
			       cfg->name, c, ncpus);
			return -EINVAL;
		}
		s->affinity |= BIT_ULL(c);
	}
	if (cfg->pin) {
		for (unsigned int i = 0; i < cfg->vcpus; i++)
			pin[i] = cfg->cpus[i];
		s->pin = pin;
		s->pinned = true;
	}
	return 0;
}
