/*
 * Which physical CPUs the vCPUs of a vms.cfg VM may use. CPUs are shared
 * (core/sched.h places the vCPU threads and moves them within the set):
 * a VM is never refused because other VMs use its CPUs, CPU 0 included.
 * Boot CPU only, no lock, no state.
 */
#ifndef CORE_LAUNCH_CPU_ALLOC_H
#define CORE_LAUNCH_CPU_ALLOC_H

#include "core/launch/vmconfig.h"
#include "core/vm_build.h"

/*
 * Fills *s for cfg: the affinity is cfg's cpus= (every online CPU
 * without it); with pin=on, vCPU i stays on the i-th CPU of cpus=, whose
 * numbers go to pin[] (cfg->vcpus entries). Returns 0, or -EINVAL with
 * an error line naming the VM and the CPU (not online).
 */
int cpu_alloc_pick(const struct vm_config *cfg, struct vm_build_sched *s, unsigned int *pin);

#endif
