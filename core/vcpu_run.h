/*
 * The per-vCPU run loop and its exit handlers. Vendor-free: the backend
 * is reached through core/backend.h only.
 */
#ifndef CORE_VCPU_RUN_H
#define CORE_VCPU_RUN_H

#include "core/guest_mem.h"
#include "core/vm.h"

/* Test-guest ABI (docs/run-loop.md). */
#define GUEST_PORT_CONSOLE 0xe9		/* OUT: a byte of the guest's console */
#define GUEST_PORT_EXIT    0xf4		/* OUT: the guest is done, value = status */
#define HC_TIMER_ONESHOT   0x1		/* VMMCALL: RBX = µs, RCX = vector */
#define HC_VCPU_ID         0x2		/* VMMCALL: returns the vCPU index in RAX */

/*
 * Runs vcpu until its VM stops. On the vCPU's physical CPU, interrupts
 * on; the loop takes no global lock. Returns 0.
 */
int vcpu_run(struct vcpu *vcpu);

/* Dispatches one exit; < 0 stops the VM (the handler said why). */
int vcpu_handle_exit(struct vcpu *vcpu, struct vm_exit *exit);

/* Prints exit counts by reason and the trace of recent exits. */
void vcpu_print_exits(const struct vcpu *vcpu);

/* The backend's register and control-structure dump, on the console. */
void vcpu_dump_state(struct vcpu *vcpu);

/*
 * True if an interrupt waits for the vCPU (the guest may still mask it).
 * The vCPU's thread.
 */
bool vcpu_irq_pending(struct vcpu *vcpu);

/*
 * Blocks the vCPU until ready(vcpu), a request, a wake-up or the VM's
 * stop; its timers fire meanwhile. The vCPU's thread, interrupts on.
 */
void vcpu_block(struct vcpu *vcpu, bool (*ready)(struct vcpu *vcpu));

/* Marks vector pending and kicks the vCPU. Any CPU. */
void vcpu_queue_irq(struct vcpu *vcpu, uint8_t vector);

/* CPUID as the guest sees it (core/cpuid.c): the one policy. */
void cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		  uint32_t out[4]);

#endif
