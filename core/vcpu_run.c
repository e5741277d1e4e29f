/*
 * The per-vCPU run loop: service requests, inject pending events, enter
 * the guest, dispatch the exit, repeat. One loop per vCPU, on its
 * scheduler thread (core/sched.h), which may share a CPU with others and
 * move between CPUs while switched out; interrupts on except around the
 * entry. What surrounds the CPU (interrupt sources, start-up signals,
 * devices) is the VM's platform, reached through core/vm_platform.h only.
 * No global lock on this path: requests are lock-free bits, the timer
 * update takes only this vCPU's timer lock, faults take the VM's mmu_lock
 * for read.
 */
#include <stdarg.h>

#include "core/lib/cpu_idle.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/sched.h"
#include "core/vcpu_debug.h"
#include "core/vcpu_run.h"

/*
 * Interrupt and NMI delivery share one rule: inject when the guest can
 * take the event now, else ask for the exit that says it can.
 */
int vcpu_deliver_event(struct vcpu *vcpu, enum vm_event_type type,
		       int (*get)(struct vcpu *vcpu, void *ctx), void *ctx)
{
	bool nmi = type == EVENT_NMI;
	struct vm_event ev = { .valid = true, .type = (uint8_t)type };
	bool allowed = nmi ? backend_nmi_allowed(vcpu->bv) :
			     backend_interrupt_allowed(vcpu->bv);
	int vec, err;

	if (nmi)
		backend_set_nmi_window(vcpu->bv, !allowed);
	else
		backend_set_intr_window(vcpu->bv, !allowed);
	if (!allowed)
		return -EAGAIN;
	vec = get(vcpu, ctx);
	if (vec < 0)
		return vec;
	ev.vector = (uint8_t)vec;
	err = backend_inject_event(vcpu->bv, &ev);
	return err ? err : vec;
}

bool vcpu_irq_pending(struct vcpu *vcpu)
{
	return vm_platform_irq_pending(vcpu);
}

/* The earliest deadline of this CPU: the vCPU's own (d) and the scheduler's. */
static uint64_t vcpu_next_deadline(struct vcpu *vcpu, uint64_t d)
{
	if (vcpu->req.thread)
		d = MIN(d, sched_cpu_deadline(smp_processor_id()));
	return d;
}

/*
 * One halt: until ready() holds, a request comes, a waker ends the halt
 * or the VM stops. Returns true if it ended for a reason of its own
 * (ready, stopped), false for a request or a wake-up.
 */
static bool vcpu_block_once(struct vcpu *vcpu, bool (*ready)(struct vcpu *vcpu))
{
	struct vcpu_req_state *r = &vcpu->req;
	unsigned long flags;
	bool done = false;

	if (!vcpu_block_begin(r))
		return false;
	for (;;) {
		uint64_t now = time_now_ns();

		if (vtimer_next_deadline(&vcpu->timers) <= now)
			vtimer_update_irq(&vcpu->timers, now);
		if (ready(vcpu) || vm_is_stopped(vcpu->vm) ||
		    unlikely(vtimer_vcpu_broken(&vcpu->timers))) {
			done = true;
			break;
		}
		if (!vcpu_is_blocked(r) || vcpu_has_requests(r))
			break;
		if (r->thread) {
			/*
			 * The thread blocks; its deadline wakes it (its CPU's
			 * one-shot covers every blocked thread there), a waker
			 * through sched_wake() (pair 5 of core/vcpu_request.c).
			 */
			sched_set_deadline(vtimer_next_deadline(&vcpu->timers));
			if (vcpu_is_blocked(r) && !vcpu_has_requests(r))
				vcpu_sched_switch(vcpu, sched_block);
			continue;
		}
		flags = irq_save();
		/* Re-read on every pass: a timer kick may have brought it closer. */
		platform_timer_arm(vtimer_next_deadline(&vcpu->timers));
		if (vcpu_is_blocked(r) && !vcpu_has_requests(r))
			cpu_idle_wait_irq();
		irq_restore(flags);
	}
	vcpu_block_end(r);
	return done;
}

/*
 * Blocks the vCPU (HLT; an AP waiting for its SIPI) until ready() holds,
 * a request comes, a waker ends the halt or the VM stops. Its own timers
 * keep firing meanwhile: the CPU's one-shot timer is armed for the next
 * one and the CPU halts in between (under emulation a halted CPU costs
 * the host nothing). The wake-up conditions are checked with interrupts
 * off just before the atomic "sti; hlt": a kick sent after the check is
 * taken by the halt (vcpu_wake() pairs with vcpu_block_begin()).
 *
 * A timer kick (VCPU_REQ_TIMER, core/vm.c: a timer armed on this vCPU or
 * moved to it from another CPU) only asks for the deadline to be read
 * again: consumed here, it sends the vCPU back into the halt, which
 * re-arms the CPU's one-shot for the new earliest deadline. Any other
 * request, or ready(), ends the block.
 */
void vcpu_block(struct vcpu *vcpu, bool (*ready)(struct vcpu *vcpu))
{
	struct vcpu_req_state *r = &vcpu->req;

	while (!vcpu_block_once(vcpu, ready)) {
		/*
		 * The kick's bit is consumed before the next halt reads the
		 * deadline (the acquire of pair 3 in core/vcpu_request.c,
		 * partner of the kick's LOCK OR): the halt sees the timer.
		 */
		if (!vcpu_check_request(r, VCPU_REQ_TIMER) || vcpu_has_requests(r))
			return;
	}
}

/*
 * The invariant check found this vCPU's timer list broken (a hypervisor
 * bug, docs/vtimer.md): the VM stops with what was wrong; the list is
 * left alone meanwhile. Returns true if so.
 */
static bool vcpu_timers_broken(struct vcpu *vcpu)
{
	const char *what = vtimer_vcpu_broken(&vcpu->timers);

	if (likely(!what))
		return false;
	vm_stop_error(vcpu->vm, "vCPU %u: timer list invariant broken: %s", vcpu->id, what);
	return true;
}

/* Returns false when the loop must end (the VM stops). */
static bool vcpu_service_requests(struct vcpu *vcpu)
{
	struct vcpu_req_state *r = &vcpu->req;

	if (!vcpu_has_requests(r))
		return true;
	if (vcpu_check_request(r, VCPU_REQ_STOP))
		return false;
	if (vcpu_check_request(r, VCPU_REQ_TLB_FLUSH))
		backend_tlb_flush(vcpu->bv, BACKEND_TLB_TDP);
	if (vcpu_check_request(r, VCPU_REQ_CALL))
		vcpu_ctl_run_call(vcpu);
	/* The count is read by the loop (vcpu_ctl_park()) after this. */
	vcpu_check_request(r, VCPU_REQ_PAUSE);
	vcpu_check_request(r, VCPU_REQ_EVENT);	/* handled by the injection */
	vcpu_check_request(r, VCPU_REQ_MEMSLOTS_RELOAD);
	vcpu_check_request(r, VCPU_REQ_TIMER_MIGRATE);
	/* The deadline is re-read below, before the entry. */
	vcpu_check_request(r, VCPU_REQ_TIMER);
	return true;
}

/*
 * The exit's count, and its first half in the flight recorder. The
 * counters and the ring belong to this vCPU: plain relaxed stores, no
 * lock, no shared cache line (the monitor reads them with READ_ONCE).
 */
static void vcpu_record_exit(struct vcpu *vcpu, const struct vm_exit *exit, uint64_t tsc)
{
	unsigned int r = exit->reason < EXIT_NR ? exit->reason : EXIT_UNKNOWN;

	WRITE_ONCE(vcpu->exits[r], vcpu->exits[r] + 1);
	WRITE_ONCE(vcpu->exits_total, vcpu->exits_total + 1);
	exit_rec_exit(&vcpu->rec, tsc, exit, vcpu->bv->regs.rip);
}

/*
 * Just before an entry: the hypervisor's cycles since the last exit go
 * to that exit's reason and into its recorder entry, with the event this
 * entry injects.
 */
static void vcpu_record_entry(struct vcpu *vcpu, unsigned int reason, uint64_t exit_tsc)
{
	uint64_t cycles = rdtsc() - exit_tsc;

	WRITE_ONCE(vcpu->exit_cycles[reason], vcpu->exit_cycles[reason] + cycles);
	exit_rec_entry(&vcpu->rec, cycles, &vcpu->bv->queued);
}

int vcpu_run(struct vcpu *vcpu)
{
	/* The last exit, for the time to the next entry; EXIT_NR: none yet. */
	unsigned int last_reason = EXIT_NR;
	/* An entry since the thread was last switched in: it may yield. */
	bool entered = false;
	uint64_t exit_tsc = 0, timer_deadline;
	struct vm_exit exit;
	uint64_t exit_rip, deadline;
	unsigned long flags;
	int err;

	vcpu_req_load(&vcpu->req);
	/* Its x87/SSE/AVX registers come with it (core/guest_xstate.h). */
	backend_vcpu_load(vcpu->bv);
	vm_platform_vcpu_load(vcpu);
	vcpu_ctl_loop_start(vcpu);
	while (!vm_is_stopped(vcpu->vm)) {
		if (!vcpu_service_requests(vcpu))
			break;
		/* Found by an update on the HLT path, which ends the halt for it. */
		if (vcpu_timers_broken(vcpu))
			break;
		/*
		 * The scheduler's safe point: threads whose deadline passed
		 * wake; the CPU's periodic balance, when due, pulls a vCPU
		 * from a queue two runnable threads longer; a slice that
		 * ended or a thread that should preempt switches this one
		 * out.
		 */
		if (vcpu->req.thread) {
			uint64_t now = time_now_ns();

			sched_wake_due(now);
			sched_balance_tick(now);
			/*
			 * At least one entry per turn: when a switch costs as
			 * much as a slice or the monitor's period (emulated
			 * CPUs), a thread switched in could otherwise be
			 * switched out again before its guest ran at all.
			 */
			if (entered && sched_need_resched()) {
				vcpu_sched_switch(vcpu, sched_preempt);
				entered = false;
				continue;
			}
			/*
			 * Unfiltered, every PAUSE would exit: only while a
			 * spinner here could give the CPU to another thread.
			 */
			if (!backend_caps.pause_filtered)
				backend_set_pause_exit(vcpu->bv, sched_cpu_shared());
		}
		/* The monitor or a debugger holds the vCPU: park until released. */
		if (vcpu_ctl_paused(&vcpu->ctl)) {
			if (!vcpu_ctl_park(vcpu, vcpu_service_requests))
				break;
			continue;
		}
		/* Start-up signals (INIT, SIPI): an AP waits here for its SIPI. */
		if (!vm_platform_vcpu_runnable(vcpu)) {
			vcpu->halted = false;
			vcpu_block(vcpu, vm_platform_vcpu_start_ready);
			continue;
		}
		/* Still in HLT after a request was serviced: back to the halt. */
		if (vcpu->halted) {
			if (!vcpu_hlt_ready(vcpu)) {
				vcpu_block(vcpu, vcpu_hlt_ready);
				vcpu->halted = !vcpu_hlt_ready(vcpu);
				continue;
			}
			vcpu->halted = false;
		}
		/*
		 * The timers' next deadline comes from the update's own hold
		 * of their lock. A timer armed on this vCPU after it (by
		 * another vCPU, or by the injection below) kicks: its
		 * VCPU_REQ_TIMER refuses the entry or ends it, and the next
		 * turn reads the deadline again (docs/races.md, "Timer armed
		 * on a halted vCPU"; pair 1 of core/vcpu_request.c).
		 */
		vtimer_update_irq_next(&vcpu->timers, time_now_ns(), &timer_deadline);
		if (vcpu_timers_broken(vcpu))
			break;
		/* A debugger's step in progress holds interrupts off. */
		if (!vcpu_debug_entry(vcpu))
			vm_platform_inject_pending(vcpu);

		flags = irq_save();
		/*
		 * The next timer of this vCPU, the end of its slice or a timer
		 * of a thread blocked on this CPU ends the guest's run (INTR
		 * exit; where the backend bounds the run itself, also its
		 * own exit at that deadline, EXIT_PREEMPT_TIMER).
		 */
		deadline = vcpu_next_deadline(vcpu, timer_deadline);
		platform_timer_arm(deadline);
		backend_set_run_deadline(vcpu->bv, deadline);
		if (!vcpu_enter_guest_mode(&vcpu->req)) {
			irq_restore(flags);
			continue;
		}
		if (last_reason < EXIT_NR)
			vcpu_record_entry(vcpu, last_reason, exit_tsc);
		err = backend_run(vcpu->bv, &exit);
		entered = true;
		exit_tsc = rdtsc();
		vcpu->bv->queued.valid = false;	/* taken by that entry */
		vcpu_exit_guest_mode(&vcpu->req);
		irq_restore(flags);	/* a host interrupt (kick) is taken here */
		if (err) {
			vm_stop_error(vcpu->vm, "vCPU %u: entry failed (%s)", vcpu->id,
				      errno_name(err));
			break;
		}
		vcpu_record_exit(vcpu, &exit, exit_tsc);
		last_reason = exit.reason < EXIT_NR ? exit.reason : EXIT_UNKNOWN;
		exit_rip = vcpu->bv->regs.rip;
		vcpu_debug_exit(vcpu, &exit);
		/*
		 * An event the exit interrupted (a nested page fault while the
		 * IDT or stack page was not mapped yet) is delivered again
		 * before anything else, or the guest loses it.
		 */
		if (exit.event.valid && backend_inject_event(vcpu->bv, &exit.event)) {
			vm_stop_error(vcpu->vm, "vCPU %u: cannot re-inject vector %u", vcpu->id,
				      exit.event.vector);
			break;
		}
		vm_platform_exit_begin(vcpu);
		if (vcpu_handle_exit(vcpu, &exit) < 0)
			break;
		vcpu_debug_exit_done(vcpu, &exit, exit_rip);
		vm_platform_exit_done(vcpu);
	}
	vcpu_debug_free(vcpu);
	flags = irq_save();
	platform_timer_arm(UINT64_MAX);
	irq_restore(flags);
	/* Still loaded: a last call can read the control structure. */
	vcpu_ctl_loop_end(vcpu);
	backend_vcpu_put(vcpu->bv);
	vcpu_req_put(&vcpu->req);
	return 0;
}

static void print_line(void *ctx, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	hv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_info("%s%s", (const char *)ctx, buf);
}

void vcpu_dump_state(struct vcpu *vcpu)
{
	backend_dump(vcpu->bv, print_line, "  ");
	vm_platform_dump(vcpu, print_line, "  ");
}

void vcpu_print_exits(const struct vcpu *vcpu)
{
	pr_info("vm %s vCPU %u: %llu exits", vcpu->vm->name, vcpu->id,
		(unsigned long long)READ_ONCE(vcpu->exits_total));
	pr_info("  %-22s %10s %16s %12s", "reason", "count", "cycles", "mean");
	for (unsigned int i = 0; i < EXIT_NR; i++) {
		uint64_t c = READ_ONCE(vcpu->exits[i]);
		uint64_t cyc = READ_ONCE(vcpu->exit_cycles[i]);

		if (c)
			pr_info("  exits %-16s %10llu %16llu %12llu", exit_reason_name(i),
				(unsigned long long)c, (unsigned long long)cyc,
				(unsigned long long)(cyc / c));
	}
}

void vm_print_error_dump(struct vm *vm)
{
	pr_info("vm %s: stopped by an error; each vCPU's state and last exits follow",
		vm->name);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		pr_info("vm %s vCPU %u: state", vm->name, vcpu->id);
		vcpu_dump_state(vcpu);
		vcpu_print_trace(vcpu, EXIT_REC_SHOW);
	}
}
