/*
 * Per-CPU idle time (see core/lib/cpu_idle.h). Runs on each CPU's halt
 * path with interrupts off; the counters of one CPU share a cache line
 * with nothing else, so the vCPU and monitor paths write no shared line.
 */
#include "core/lib/cpu_idle.h"
#include "core/lib/platform.h"

struct cpu_idle {
	/*
	 * Written by the owning CPU only (release stores), read by any CPU
	 * (acquire loads). At a halt's end since goes back to 0 before total
	 * grows, and a reader loads since before total: a reader that still
	 * sees the halt in since sees total without it (stores become visible
	 * in order), so a halt is never counted twice; one that just ended
	 * may be missed by one snapshot.
	 */
	uint64_t total_ns;	/* halts that ended */
	uint64_t since_ns;	/* start of the halt in progress, 0: none */
} __aligned(64);

static struct cpu_idle cpu_idle[CPU_IDLE_MAX];

void cpu_idle_wait_irq(void)
{
	unsigned int cpu = smp_processor_id();
	struct cpu_idle *c;
	uint64_t t0;

	if (cpu >= CPU_IDLE_MAX) {
		platform_wait_irq();
		return;
	}
	c = &cpu_idle[cpu];
	t0 = time_now_ns() | 1;		/* never 0: 0 means "not halted" */
	__atomic_store_n(&c->since_ns, t0, __ATOMIC_RELEASE);
	platform_wait_irq();
	__atomic_store_n(&c->since_ns, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&c->total_ns, c->total_ns + (time_now_ns() - t0), __ATOMIC_RELEASE);
}

uint64_t cpu_idle_ns(unsigned int cpu)
{
	uint64_t since, total, now;

	if (cpu >= CPU_IDLE_MAX)
		return 0;
	since = __atomic_load_n(&cpu_idle[cpu].since_ns, __ATOMIC_ACQUIRE);
	total = __atomic_load_n(&cpu_idle[cpu].total_ns, __ATOMIC_ACQUIRE);
	now = time_now_ns();
	return total + (since && now > since ? now - since : 0);
}

bool cpu_idle_halted(unsigned int cpu)
{
	return cpu < CPU_IDLE_MAX && __atomic_load_n(&cpu_idle[cpu].since_ns, __ATOMIC_ACQUIRE);
}
