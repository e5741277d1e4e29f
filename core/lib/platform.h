/*
 * What core/, mm/ and drivers/ need from the machine they run on.
 *
 * The hypervisor implements these in arch/x86/; the hosted test build
 * implements them in tests/host/shim.c on top of pthreads and libc, so the
 * same core/ and mm/ sources compile unchanged in both.
 */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include "core/lib/compiler.h"

typedef uint64_t paddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096ull
#define PAGE_MASK  (~(PAGE_SIZE - 1))

/* Dense index of the running CPU (hosted: of the registered test thread). */
unsigned int smp_processor_id(void);

/*
 * One step of a contended wait, spins steps into it. The hypervisor
 * executes PAUSE. The hosted build's CPUs are pthreads that the host
 * kernel preempts, and a FIFO lock whose next waiter is off its host CPU
 * stalls every waiter behind it for a whole timeslice; so after a short
 * spin a hosted waiter sleeps a microsecond per step (what pv_wait() does
 * for a paravirtual qspinlock). sched_yield() is no substitute: the
 * yielder stays runnable; an 8-thread test took 20-60 s with it against
 * 1-3 s with the sleep.
 */
void platform_wait_contended(unsigned long spins);

/* Write raw bytes to the hypervisor console. Callers serialise lines. */
void console_write(const char *s, size_t n);

/* Next byte typed on the console, or -1 if none is waiting. */
int console_getc(void);

/* Monotonic nanoseconds since boot; 0 until the clock is calibrated. */
uint64_t time_now_ns(void);

/* Wall-clock time: nanoseconds since the Unix epoch (UTC as the RTC keeps it). */
uint64_t platform_wall_ns(void);

/*
 * Arms the running CPU's one-shot timer for deadline_ns (time_now_ns()
 * scale; UINT64_MAX disarms): a guest running then exits, a CPU in
 * platform_wait_irq() wakes. Interrupts off.
 */
void platform_timer_arm(uint64_t deadline_ns);

/*
 * Called with interrupts off after the caller checked its wake-up
 * condition: enables interrupts and halts as one step (an interrupt that
 * arrives after the check still wakes it), returns with interrupts off.
 */
void platform_wait_irq(void);

/*
 * A vCPU's x87, SSE and AVX state (arch/x86/fpu.c; core/guest_xstate.h
 * says when each runs). The hypervisor never uses those registers itself
 * (it is built without SSE), so while a vCPU is loaded they hold the
 * guest's values.
 *
 * platform_xstate_alloc(): a new area, in the reset state (FCW 0x37F,
 *   MXCSR 0x1F80, every other register zero, every x87 register empty),
 *   sized for every component the hypervisor switches (from CPUID 0xD);
 *   NULL when out of memory. platform_xstate_free() gives it back.
 * platform_xstate_save(area) / platform_xstate_restore(area): the running
 *   CPU's registers into / from the area: XSAVEOPT (else XSAVE) and XRSTOR
 *   with every component of platform_xcr0_host(), or FXSAVE and FXRSTOR
 *   on a CPU without XSAVE. XCR0 must be the host's. Interrupts off.
 * platform_xcr0_host(): the XCR0 the hypervisor keeps while it runs: what
 *   the CPU supports of XFEATURE_SWITCHED (asm/xstate.h); 0 without XSAVE.
 * platform_xcr0_write(val) / platform_xcr0_read(): XSETBV / XGETBV of
 *   XCR0 on the running CPU.
 */
void *platform_xstate_alloc(void);
void platform_xstate_free(void *area);
void platform_xstate_save(void *area);
void platform_xstate_restore(const void *area);
uint64_t platform_xcr0_host(void);
void platform_xcr0_write(uint64_t val);
uint64_t platform_xcr0_read(void);

/*
 * Makes the running CPU's IA32_TSC_AUX hold val (a vCPU's, before its
 * entry; arch/x86/fpu.c): the MSR is written only when the CPU holds
 * another value. A no-op on a CPU with neither RDTSCP nor RDPID.
 * Interrupts off. Hosted: records the value (shim_tsc_aux()).
 */
void platform_tsc_aux_load(uint32_t val);

/* Interrupt state of the running CPU (hosted: no-ops). */
unsigned long irq_save(void);
void irq_restore(unsigned long flags);

/*
 * Hypervisor threads (core/sched.c). platform_ctx_switch() saves the
 * running context (the callee-saved registers, the return address and
 * the stack pointer, which goes to *save_sp) and resumes the one saved at
 * load_sp; it returns when something switches back to the saved one.
 * platform_ctx_init() prepares the stack below stack_top so that the
 * first switch to the returned stack pointer calls entry(), which never
 * returns. No FPU or SSE state is switched: the hypervisor uses none, and
 * the backend's put/load keeps a guest's. Interrupts off. Hosted: the
 * switch does nothing (a test thread plays each thread in turn).
 */
void platform_ctx_switch(void **save_sp, void *load_sp);
void *platform_ctx_init(void *stack_top, void (*entry)(void));

/* The irq_save() value of a context with interrupts on. */
unsigned long platform_irq_on_flags(void);

/*
 * Interrupts physical CPU cpu so that a vCPU running there in guest mode
 * exits (an IPI to a vector whose handler does nothing but EOI). Hosted:
 * calls the handler the test registered with shim_set_kick_handler().
 */
void platform_kick_cpu(unsigned int cpu);

/*
 * Physical CPUs: how many are online (dense ids 0..n-1), and running
 * fn(arg) on one of them from its idle loop (the caller's own CPU: at
 * once, synchronously). Returns 0, -ENODEV (not online) or -EBUSY.
 */
unsigned int platform_nr_cpus(void);
int platform_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg);

/*
 * The running CPU's CPUID leaf (with subleaf in ECX): EAX, EBX, ECX, EDX
 * in out[0..3]. Hosted: the values a test set with shim_set_cpuid(), or
 * the host's.
 */
void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

/*
 * The frame allocator (mm/frame.c) tells the platform when frames change
 * hands: platform_frames_freed() once frames are back with the allocator
 * (nobody may touch them until they are handed out again),
 * platform_frames_taken() when frames are handed out, or when the
 * allocator forgets what it had (frame_init() again). Called with
 * frame_lock held, so a freed frame cannot be handed out before the hook
 * returns. The hypervisor does nothing here. The hosted build fills a
 * freed frame with a pattern that no walker can follow and, under
 * AddressSanitizer, poisons it until it is taken again: a read of a freed
 * page table or slab is then a report, not a silent read of stale data.
 */
void platform_frames_freed(paddr_t pa, uint64_t count);
void platform_frames_taken(paddr_t pa, uint64_t count);

/* Stop the machine after a fatal error; never returns. */
__noreturn void platform_halt(void);

/*
 * Physical memory is reached through one linear window: identity in the
 * hypervisor (offset 0), a malloc'd arena in hosted tests.
 */
extern uintptr_t hv_direct_map_offset;

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + hv_direct_map_offset);
}

static inline paddr_t virt_to_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - hv_direct_map_offset);
}

#endif
