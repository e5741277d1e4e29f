/*
 * The per-vCPU run loop and its exit handlers. Vendor-free: the backend
 * is reached through core/backend.h only; platform-free: what surrounds
 * the CPU (devices, interrupt sources, hypercalls) through the VM's
 * platform table (core/vm_platform.h) only.
 */
#ifndef CORE_VCPU_RUN_H
#define CORE_VCPU_RUN_H

#include "core/guest_mem.h"
#include "core/vm.h"
#include "core/vm_platform.h"

/*
 * Runs vcpu until its VM stops. On the vCPU's physical CPU, interrupts
 * on; the loop takes no global lock. Returns 0.
 */
int vcpu_run(struct vcpu *vcpu);

/* Dispatches one exit; < 0 stops the VM (the handler said why). */
int vcpu_handle_exit(struct vcpu *vcpu, struct vm_exit *exit);

/*
 * Prints, per exit reason, the count, the hypervisor's TSC cycles from
 * those exits to the next entries, and their mean. Any CPU, while the
 * vCPU runs (the numbers are each read once, not as a snapshot).
 */
void vcpu_print_exits(const struct vcpu *vcpu);

/*
 * Prints the last n exits of the vCPU's flight recorder, oldest first,
 * one aligned line each (defined in core/exit_rec.c). Any CPU, while the
 * vCPU runs: an entry being written is retried, one overwritten
 * meanwhile left out. Returns the entries printed.
 */
unsigned int vcpu_print_trace(const struct vcpu *vcpu, unsigned int n);

/*
 * The report of a VM stopped by an error (vm_stop_error()): each vCPU's
 * registers and control block (vcpu_dump_state()) and its last
 * EXIT_REC_SHOW exits. Only once every vCPU has left its loop.
 */
void vm_print_error_dump(struct vm *vm);

/*
 * The backend's register and control-structure dump, then the platform's
 * per-vCPU state, on the console.
 */
void vcpu_dump_state(struct vcpu *vcpu);

/*
 * True if an interrupt waits for the vCPU (the guest may still mask it).
 * The vCPU's thread.
 */
bool vcpu_irq_pending(struct vcpu *vcpu);

/*
 * True if a halted vCPU wakes: an interrupt it can take (IF set) or an
 * event that ends HLT whatever IF says (NMI, INIT). The vCPU's thread.
 */
bool vcpu_hlt_ready(struct vcpu *vcpu);

/*
 * Blocks the vCPU until ready(vcpu), a request, a wake-up or the VM's
 * stop; its timers fire meanwhile. The vCPU's thread, interrupts on.
 */
void vcpu_block(struct vcpu *vcpu, bool (*ready)(struct vcpu *vcpu));

/*
 * The delivery step every platform's inject_pending() shares, for an
 * event of type EVENT_EXTINT or EVENT_NMI whose source has one pending:
 * if the guest can take it now, the window is closed, get(vcpu, ctx)
 * names the vector and the event is injected; otherwise the window is
 * opened and the event stays pending at its source. get() runs only once
 * the injection is certain (the backend said the guest takes the event
 * and nothing is queued): an interrupt controller's acknowledge cycle
 * (the 8259's INTA) belongs there. Returns the vector injected, -EAGAIN
 * (window opened), get()'s error, or the backend's. The vCPU's thread.
 */
int vcpu_deliver_event(struct vcpu *vcpu, enum vm_event_type type,
		       int (*get)(struct vcpu *vcpu, void *ctx), void *ctx);

/*
 * CPUID as the guest sees it (core/cpuid.c): the one policy. @guest_cr4:
 * the guest's CR4 when it asked (OSXSAVE mirrors it).
 */
void cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		  uint64_t guest_cr4, uint32_t out[4]);

/*
 * The XCR0 components guests are offered on this host: what it supports
 * of x87, SSE, AVX and AVX-512 (asm/xstate.h, xcr0_usable()); 0 without
 * XSAVE. XSETBV accepts nothing else. The running CPU's CPUID.
 */
uint64_t cpuid_xcr0_offered(void);

/*
 * Whether guests have RDTSCP or RDPID, and so IA32_TSC_AUX: the host has
 * one of them and the backend runs them on the guest's value.
 */
bool cpuid_tsc_aux_offered(void);

#endif
