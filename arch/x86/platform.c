/*
 * The x86 hypervisor's side of core/lib/platform.h (the hosted tests have
 * theirs in tests/host/shim.c). Any CPU, any context.
 */
#include "asm/apic.h"
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/percpu.h"
#include "asm/smp.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"

/* The hypervisor runs identity-mapped: physical == virtual. */
uintptr_t hv_direct_map_offset;

void platform_wait_contended(unsigned long spins)
{
	cpu_relax();
}

/*
 * Freed frames keep their contents: the checks that a freed frame is not
 * read are the hosted tests' (tests/host/shim.c), where they cost nothing
 * to the hypervisor's allocator.
 */
void platform_frames_freed(paddr_t pa, uint64_t count)
{
}

void platform_frames_taken(paddr_t pa, uint64_t count)
{
}

void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	struct cpuid_regs r;

	cpuid_count(leaf, subleaf, &r);
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}

unsigned long irq_save(void)
{
	unsigned long flags = read_rflags();

	irq_disable();
	return flags;
}

void irq_restore(unsigned long flags)
{
	if (flags & X86_RFLAGS_IF)
		irq_enable();
}

static void kick_ipi_handler(struct trap_frame *tf)
{
	apic_eoi();
}

/* The IPI's only effect is the VM exit (or a wake-up from HLT) it causes. */
void platform_kick_cpu(unsigned int cpu)
{
	struct percpu *pc = cpu < MAX_CPUS ? READ_ONCE(percpu_areas[cpu]) : NULL;

	if (pc)
		apic_send_ipi(pc->apic_id, VEC_IPI_KICK);
}

static void apic_timer_handler(struct trap_frame *tf)
{
	this_cpu()->timer_deadline = UINT64_MAX;
	apic_eoi();
}

void platform_init_ipis(void)
{
	irq_register(VEC_IPI_KICK, kick_ipi_handler);
	irq_register(VEC_APIC_TIMER, apic_timer_handler);
}

/*
 * Rewrites the APIC timer only when the deadline changes: a vCPU whose
 * next timer stays put re-enters without touching the APIC. A deadline
 * already past fires at once (the shortest count).
 */
void platform_timer_arm(uint64_t deadline_ns)
{
	struct percpu *pc = this_cpu();
	uint64_t now;

	if (deadline_ns == pc->timer_deadline)
		return;
	pc->timer_deadline = deadline_ns;
	if (deadline_ns == UINT64_MAX) {
		apic_timer_oneshot(0);
		return;
	}
	now = time_now_ns();
	apic_timer_oneshot(deadline_ns > now ? deadline_ns - now : 1);
}

void platform_wait_irq(void)
{
	cpu_safe_halt();
	irq_disable();
}

unsigned int platform_nr_cpus(void)
{
	return READ_ONCE(nr_cpus_online);
}

int platform_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
	return smp_call_on(cpu, fn, arg, false);
}

/*
 * The frame platform_ctx_switch() pops for a thread's first run: six
 * callee-saved registers (zero), entry as the return address, and a zero
 * return address for entry itself, which never returns. stack_top is
 * 16-byte aligned, so entry starts with RSP = 8 modulo 16, as after a call.
 */
void *platform_ctx_init(void *stack_top, void (*entry)(void))
{
	uint64_t *sp = stack_top;

	ASSERT(IS_ALIGNED((uintptr_t)stack_top, 16));
	*--sp = 0;
	*--sp = (uint64_t)entry;
	for (unsigned int i = 0; i < 6; i++)
		*--sp = 0;
	return sp;
}

unsigned long platform_irq_on_flags(void)
{
	return X86_RFLAGS_IF;
}

static __noreturn void halt_forever(void)
{
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

static void halt_ipi_handler(struct trap_frame *tf)
{
	halt_forever();
}

/* Stops this CPU and asks every other online CPU to stop. */
void platform_halt(void)
{
	unsigned int i, self = smp_processor_id();

	irq_disable();
	irq_register(VEC_IPI_HALT, halt_ipi_handler);
	for (i = 0; i < MAX_CPUS; i++)
		if (i != self && percpu_areas[i] && percpu_areas[i]->online)
			apic_send_ipi(percpu_areas[i]->apic_id, VEC_IPI_HALT);
	halt_forever();
}
