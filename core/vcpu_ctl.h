/*
 * Control of a running vCPU from outside it: pausing it (the monitor's
 * `pause`, a debugger's stop) and running a function on its own thread
 * (reading its registers or its control structure, which on VT-x only the
 * CPU that holds the VMCS can do). Both ride on the request/kick machinery
 * of core/vcpu_request.h; neither takes a lock on the vCPU's hot path.
 *
 * Pause: a count per vCPU. vcpu_pause() raises it and makes
 * VCPU_REQ_PAUSE; the run loop, when it sees the count non-zero outside
 * guest mode, parks: it saves its timers (vtimer_save(): periodic timers
 * of the delay-missed kind freeze, so a paused guest owes no ticks when it
 * resumes), says it is parked, and halts, servicing requests (calls,
 * stops, TLB flushes) until the count falls back to zero. vcpu_unpause()
 * lowers it and makes the request again, which wakes the parked loop. A
 * count, not a flag: the monitor and a debugger may both hold a vCPU.
 *
 * Call: one function at a time per vCPU (callers serialise on call_lock),
 * through a small state machine, so that a caller who gives up waiting
 * never leaves the vCPU a dangling pointer:
 *
 *   IDLE --caller--> PENDING --vCPU--> RUNNING --vCPU--> DONE --caller--> IDLE
 *                       \--caller gives up (cmpxchg)--> IDLE
 *
 * The vCPU takes a call only by winning the PENDING -> RUNNING cmpxchg;
 * a caller cancels only by winning PENDING -> IDLE. Once RUNNING, the
 * caller waits for DONE however long that takes (the function is short:
 * it copies state). A vCPU whose loop is not running (not started yet, or
 * ended) takes no call: the caller sees `loop` at 0 and cancels.
 *
 * Contexts: vcpu_pause(), vcpu_unpause(), vcpu_call() and the waits run
 * on any host CPU other than the vCPU's own, with interrupts on and no
 * lock held that the vCPU needs to leave guest mode (they spin).
 * vcpu_ctl_service() and vcpu_ctl_park() are the vCPU thread's. The
 * ordering argument is in core/vcpu_ctl.c; docs/locking.md has call_lock.
 */
#ifndef CORE_VCPU_CTL_H
#define CORE_VCPU_CTL_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"

struct vcpu;
struct vm;

enum vcpu_call_state {
	VCPU_CALL_IDLE,
	VCPU_CALL_PENDING,
	VCPU_CALL_RUNNING,
	VCPU_CALL_DONE,
};

typedef void (*vcpu_call_fn)(struct vcpu *vcpu, void *ctx);

struct vcpu_ctl {
	/* Serialises callers of vcpu_call(); never taken by the vCPU. */
	spinlock_t call_lock;
	/* Written by the caller under call_lock before PENDING is published. */
	vcpu_call_fn fn;
	void *ctx;
	/* enum vcpu_call_state; atomic, transitions as drawn above. */
	int call;

	/* Pause count: atomic add/sub by controllers, read by the vCPU. */
	unsigned int pause;
	/*
	 * 1 while the loop is parked (release store by the vCPU once its
	 * timers are saved; acquire load by waiters: what the vCPU did before
	 * parking is visible to a waiter that sees 1).
	 */
	int parked;
	/* 1 while vcpu_run() runs the loop (release stores by the vCPU). */
	int loop;
	/* Parks so far; read with READ_ONCE() for reports. */
	uint64_t parks;
};

/* Sets up ctl: no call, not paused, loop not running. */
void vcpu_ctl_init(struct vcpu_ctl *ctl);

/*
 * Controller side: any host CPU but the vCPU's own.
 */

/*
 * Raises the vCPU's pause count and gets it out of guest mode. Returns at
 * once; vcpu_wait_parked() waits for the loop to park.
 */
void vcpu_pause(struct vcpu *vcpu);

/* Lowers the pause count; at zero the vCPU runs its guest again. */
void vcpu_unpause(struct vcpu *vcpu);

/*
 * Waits until the vCPU is parked or its loop is not running, at most
 * timeout_ns. Returns 0 (parked, or not running: either way it runs no
 * guest code) or -ETIMEDOUT.
 */
int vcpu_wait_parked(struct vcpu *vcpu, uint64_t timeout_ns);

/* Pauses / unpauses every vCPU of vm; vm_pause() waits for them all. */
int vm_pause(struct vm *vm, uint64_t timeout_ns);
void vm_unpause(struct vm *vm);

/* True while the vCPU's pause count is non-zero. */
static inline bool vcpu_ctl_paused(const struct vcpu_ctl *ctl)
{
	return __atomic_load_n(&ctl->pause, __ATOMIC_SEQ_CST) != 0;
}

/* True while the vCPU is parked (it runs no guest code). */
static inline bool vcpu_ctl_parked(const struct vcpu_ctl *ctl)
{
	return __atomic_load_n(&ctl->parked, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Runs fn(vcpu, ctx) on the vCPU's own thread, outside guest mode, and
 * waits for it: a running vCPU is kicked out of guest mode, a halted or
 * parked one is woken for it and goes back to its halt afterwards.
 * Returns 0 once fn has run; -ESRCH if the vCPU's loop is not running;
 * -ETIMEDOUT if the vCPU did not take the call within timeout_ns (fn then
 * never runs). Everything fn wrote is visible to the caller on return 0.
 */
int vcpu_call(struct vcpu *vcpu, vcpu_call_fn fn, void *ctx, uint64_t timeout_ns);

/*
 * vCPU side: the vCPU's own thread.
 */

/* The loop starts / ends: calls are taken only in between. */
void vcpu_ctl_loop_start(struct vcpu *vcpu);
void vcpu_ctl_loop_end(struct vcpu *vcpu);

/* Runs a pending call, if any. After vcpu_check_request(VCPU_REQ_CALL). */
void vcpu_ctl_run_call(struct vcpu *vcpu);

/*
 * Parks the vCPU while its pause count is non-zero: timers saved, halted,
 * requests serviced by service() (which returns false when the loop must
 * end: the VM stops). Returns service()'s last verdict (true: run on).
 */
bool vcpu_ctl_park(struct vcpu *vcpu, bool (*service)(struct vcpu *vcpu));

/*
 * Switches the vCPU's thread out with sw (sched_preempt or sched_block),
 * the backend state put before and loaded again after, on the CPU the
 * thread then runs on. vCPU thread, outside guest mode.
 */
void vcpu_sched_switch(struct vcpu *vcpu, void (*sw)(void));

#endif
