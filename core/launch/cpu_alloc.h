/*
 * Which physical CPUs run the vCPUs of vms.cfg's VMs: one CPU per vCPU,
 * never CPU 0 (the console monitor's), never one another VM holds. Boot
 * CPU only, no lock.
 */
#ifndef CORE_LAUNCH_CPU_ALLOC_H
#define CORE_LAUNCH_CPU_ALLOC_H

#include "core/launch/vmconfig.h"

/*
 * Picks cfg->vcpus CPUs into cpus[]: cfg's cpus= if it has them, else the
 * lowest free ones above 0, and holds them. Returns 0, or -EBUSY with an
 * error line naming the VM (a CPU taken, offline, or too few free).
 */
int cpu_alloc_pick(const struct vm_config *cfg, unsigned int *cpus);

/* Gives back the n CPUs of cpus[] that cpu_alloc_pick() held. */
void cpu_alloc_release(const unsigned int *cpus, unsigned int n);

#endif
