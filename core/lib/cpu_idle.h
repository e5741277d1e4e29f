/*
 * Per-CPU idle time: how long each physical CPU has spent halted in
 * platform_wait_irq(), for the console monitor's `cpus`. Each CPU writes
 * only its own cache line; readers on other CPUs take a snapshot that may
 * miss the halt that is just ending (never counts one twice).
 */
#ifndef CORE_LIB_CPU_IDLE_H
#define CORE_LIB_CPU_IDLE_H

#include "core/lib/compiler.h"

#define CPU_IDLE_MAX 64		/* CPUs accounted; others halt unaccounted */

/*
 * platform_wait_irq() (same contract: interrupts off, returns with them
 * off) with the time halted added to the running CPU's idle time.
 */
void cpu_idle_wait_irq(void);

/* Nanoseconds cpu has spent halted, the halt in progress included. Any CPU. */
uint64_t cpu_idle_ns(unsigned int cpu);

/* Whether cpu is halted now. Any CPU. */
bool cpu_idle_halted(unsigned int cpu);

#endif
