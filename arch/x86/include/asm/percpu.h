/*
 * Per-CPU data, reached through GS: %gs:0 holds the area's own address.
 * Written by its CPU only, except where a field says otherwise.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include "asm/desc.h"
#include "core/lib/compiler.h"

#define MAX_CPUS 64
#define CPU_STACK_SIZE (32 * 1024)

struct percpu {
	struct percpu *self;		/* %gs:0 */
	unsigned int cpu_id;		/* %gs:8, dense index, 0 = boot CPU */
	uint32_t apic_id;
	uint64_t stack_top;
	/* Set by the CPU itself once it runs C code; read by the boot CPU. */
	int online;
	/* Incremented by the IPI ping handler; read by the sender. */
	uint64_t ipi_pings;
	/*
	 * Work handed to this CPU by smp_call_on(): the sender publishes fn
	 * with a release store (arg first) and kicks; the CPU's idle loop
	 * takes it with an acquire exchange, runs it, and bumps calls_done
	 * with a release store for a sender that waits.
	 */
	void (*call_fn)(void *arg);
	void *call_arg;
	unsigned long calls_done;
	/*
	 * Deadline (time_now_ns) the CPU's one-shot APIC timer is armed
	 * for, UINT64_MAX when none: this CPU only, interrupts off.
	 */
	uint64_t timer_deadline;
	/* What this CPU's IA32_TSC_AUX holds (platform_tsc_aux_load()): this CPU only. */
	uint32_t tsc_aux;
	uint64_t gdt[GDT_ENTRIES] __aligned(16);
	struct tss64 tss __aligned(16);
	uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __aligned(16);
};
_Static_assert(offsetof(struct percpu, self) == 0, "percpu self at %gs:0");
_Static_assert(offsetof(struct percpu, cpu_id) == 8, "percpu id at %gs:8");

extern struct percpu *percpu_areas[MAX_CPUS];
extern unsigned int nr_cpus_online;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	__asm__ __volatile__("mov %%gs:0, %0" : "=r"(p));
	return p;
}

void percpu_install(struct percpu *pc);

#endif
