/* Bringing up the application processors and talking to them. */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include "core/lib/boot.h"
#include "drivers/acpi.h"

/* Starts every enabled CPU of the MADT; returns the number online. */
unsigned int smp_boot(const struct boot_record *boot, const struct acpi_info *acpi);
/* Sends a ping IPI to every online CPU (itself included); returns answers. */
unsigned int smp_ping_all(void);
void smp_init_bsp(void);

/*
 * Runs fn(arg) on CPU cpu from its idle loop (the caller's own CPU: at
 * once). Returns -EBUSY if that CPU has work it has not taken yet,
 * -ENODEV if it is not online. With wait, returns once fn has returned.
 * fn runs with interrupts on, on the CPU's own stack, and may run for as
 * long as it likes (a vCPU's run loop does). One sender per target CPU
 * at a time: the boot CPU, which launches VMs.
 */
int smp_call_on(unsigned int cpu, void (*fn)(void *arg), void *arg, bool wait);
/* Runs fn on every online CPU, this one included, and waits for all. */
void smp_call_on_all(void (*fn)(void *arg), void *arg);
/* The idle loop of a CPU with nothing to do: runs work, else halts. */
__noreturn void smp_idle_loop(void);

/*
 * Sets up the scheduler (core/sched.h) on every online CPU: each one's
 * idle thread is its idle loop; the boot CPU's idle loop gets a stack of
 * its own and the caller's context goes on as the boot CPU's thread of
 * monitor priority. Boot CPU, once, after smp_boot(). Returns 0 or
 * -ENOMEM.
 */
int smp_sched_init(void);

#endif
