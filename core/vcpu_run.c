/*
 * The per-vCPU run loop: service requests, inject pending events, enter
 * the guest, dispatch the exit, repeat. One loop per vCPU, on the
 * physical CPU the vCPU is pinned to, interrupts on except around the
 * entry. No global lock on this path: requests are lock-free bits, the
 * timer update takes only this vCPU's timer lock, faults take the VM's
 * mmu_lock for read.
 */
#include <stdarg.h>

#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/vcpu_run.h"
#include "core/pc/vpc.h"

/* Timers fire into this: the vector is queued for injection. */
static void pv_timer_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
			  unsigned int ticks)
{
	struct vcpu *vcpu = ctx;

	vcpu_queue_irq(vcpu, READ_ONCE(vcpu->pv_timer_vector));
}

static const struct vtimer_sink pv_timer_sink = {
	.fire = pv_timer_fire,
};

void vcpu_queue_irq(struct vcpu *vcpu, uint8_t vector)
{
	set_bit_atomic(vector, vcpu->pending_irqs);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static int vcpu_highest_pending(const struct vcpu *vcpu)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits = READ_ONCE(vcpu->pending_irqs[w]);

		if (bits)
			return w * 64 + 63 - __builtin_clzll(bits);
	}
	return -1;
}

/*
 * Injects the highest pending vector if the guest can take it now, else
 * asks for an exit when it can. A VM with the virtual PC takes its
 * interrupts from the local APIC and the PIC (core/pc/vpc.c); a test-payload
 * VM from its pending bitmap.
 */
static void vcpu_inject_pending(struct vcpu *vcpu)
{
	int vec;
	struct vm_event ev = { .valid = true, .type = EVENT_EXTINT };

	if (vcpu->vm->pc) {
		vpc_inject_pending(vcpu);
		return;
	}
	vec = vcpu_highest_pending(vcpu);
	if (vec < 0)
		return;
	if (!backend_interrupt_allowed(vcpu->bv)) {
		backend_set_intr_window(vcpu->bv, true);
		return;
	}
	backend_set_intr_window(vcpu->bv, false);
	ev.vector = (uint8_t)vec;
	if (backend_inject_event(vcpu->bv, &ev) == 0)
		clear_bit_atomic((unsigned long)vec, vcpu->pending_irqs);
}

bool vcpu_irq_pending(struct vcpu *vcpu)
{
	if (vcpu->vm->pc)
		return vpc_irq_pending(vcpu);
	return vcpu_highest_pending(vcpu) >= 0;
}

/*
 * Blocks the vCPU (HLT; an AP waiting for its SIPI) until ready() holds,
 * a request comes, a waker ends the halt or the VM stops. Its own timers
 * keep firing meanwhile: the CPU's one-shot timer is armed for the next
 * one and the CPU halts in between (under emulation a halted CPU costs
 * the host nothing). The wake-up conditions are checked with interrupts
 * off just before the atomic "sti; hlt": a kick sent after the check is
 * taken by the halt (vcpu_wake() pairs with vcpu_block_begin()).
 */
void vcpu_block(struct vcpu *vcpu, bool (*ready)(struct vcpu *vcpu))
{
	struct vcpu_req_state *r = &vcpu->req;
	unsigned long flags;

	if (!vcpu_block_begin(r))
		return;
	for (;;) {
		uint64_t now = time_now_ns();

		if (vtimer_next_deadline(&vcpu->timers) <= now)
			vtimer_update_irq(&vcpu->timers, now);
		if (!vcpu_is_blocked(r) || vcpu_has_requests(r) || ready(vcpu) ||
		    vm_is_stopped(vcpu->vm))
			break;
		flags = irq_save();
		platform_timer_arm(vtimer_next_deadline(&vcpu->timers));
		if (vcpu_is_blocked(r) && !vcpu_has_requests(r))
			platform_wait_irq();
		irq_restore(flags);
	}
	vcpu_block_end(r);
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
	vcpu_check_request(r, VCPU_REQ_EVENT);	/* handled by the injection */
	vcpu_check_request(r, VCPU_REQ_MEMSLOTS_RELOAD);
	vcpu_check_request(r, VCPU_REQ_TIMER_MIGRATE);
	return true;
}

static void vcpu_record_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vcpu_exit_trace *t = &vcpu->trace[vcpu->trace_next % VCPU_TRACE_LEN];

	WRITE_ONCE(vcpu->exits[exit->reason < EXIT_NR ? exit->reason : EXIT_UNKNOWN],
		   vcpu->exits[exit->reason < EXIT_NR ? exit->reason : EXIT_UNKNOWN] + 1);
	WRITE_ONCE(vcpu->exits_total, vcpu->exits_total + 1);
	t->ns = time_now_ns();
	t->rip = vcpu->bv->regs.rip;
	t->qual = exit->qual;
	t->gpa = exit->gpa;
	t->reason = exit->reason;
	t->raw = (uint32_t)exit->raw;
	vcpu->trace_next++;
}

/*
 * The console key that prints every vCPU's exit counts and trace while
 * the VM runs. vCPU 0 looks for it once every CONSOLE_POLL_EXITS exits:
 * one UART status read, off the common path.
 */
#define CONSOLE_KEY_EXITS  's'
#define CONSOLE_POLL_EXITS 1024

static void vcpu_poll_console(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	/* A VM of vms.cfg: the console monitor owns the input (console_mux). */
	if (vm->pc || vcpu->id != 0 || vcpu->exits_total % CONSOLE_POLL_EXITS)
		return;
	if (console_getc() != CONSOLE_KEY_EXITS)
		return;
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exits(vm->vcpus[i]);
}

int vcpu_run(struct vcpu *vcpu)
{
	struct vm_exit exit;
	unsigned long flags;
	int err;

	vtimer_init(&vcpu->pv_timer, &vcpu->timers, &pv_timer_sink, vcpu, 0,
		    VTIMER_NO_MISSED);
	vcpu_req_load(&vcpu->req);
	backend_vcpu_load(vcpu->bv);
	while (!vm_is_stopped(vcpu->vm)) {
		if (!vcpu_service_requests(vcpu))
			break;
		/* INIT and SIPI: an AP waits here until its SIPI comes. */
		if (vcpu->vm->pc && !vpc_vcpu_runnable(vcpu)) {
			vcpu_block(vcpu, vpc_vcpu_sipi_ready);
			continue;
		}
		vtimer_update_irq(&vcpu->timers, time_now_ns());
		vcpu_inject_pending(vcpu);

		flags = irq_save();
		/* The next timer of this vCPU ends the guest's run (INTR exit). */
		platform_timer_arm(vtimer_next_deadline(&vcpu->timers));
		if (!vcpu_enter_guest_mode(&vcpu->req)) {
			irq_restore(flags);
			continue;
		}
		err = backend_run(vcpu->bv, &exit);
		vcpu_exit_guest_mode(&vcpu->req);
		irq_restore(flags);	/* a host interrupt (kick) is taken here */
		if (err) {
			vm_stop(vcpu->vm, "vCPU %u: entry failed (%s)", vcpu->id,
				errno_name(err));
			break;
		}
		vcpu_record_exit(vcpu, &exit);
		/*
		 * An event the exit interrupted (a nested page fault while the
		 * IDT or stack page was not mapped yet) is delivered again
		 * before anything else, or the guest loses it.
		 */
		if (exit.event.valid && backend_inject_event(vcpu->bv, &exit.event)) {
			vm_stop(vcpu->vm, "vCPU %u: cannot re-inject vector %u", vcpu->id,
				exit.event.vector);
			break;
		}
		if (vcpu_handle_exit(vcpu, &exit) < 0)
			break;
		vcpu_poll_console(vcpu);
	}
	vtimer_stop(&vcpu->pv_timer, time_now_ns());
	flags = irq_save();
	platform_timer_arm(UINT64_MAX);
	irq_restore(flags);
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
}

void vcpu_print_exits(const struct vcpu *vcpu)
{
	unsigned int i, n;

	pr_info("vm %s vCPU %u: %llu exits", vcpu->vm->name, vcpu->id,
		(unsigned long long)READ_ONCE(vcpu->exits_total));
	for (i = 0; i < EXIT_NR; i++) {
		uint64_t c = READ_ONCE(vcpu->exits[i]);

		if (c)
			pr_info("  exits %-16s %llu", exit_reason_name(i),
				(unsigned long long)c);
	}
	n = MIN(vcpu->trace_next, (unsigned int)VCPU_TRACE_LEN);
	pr_info("  last %u exits (oldest first):", n);
	for (i = vcpu->trace_next - n; i != vcpu->trace_next; i++) {
		const struct vcpu_exit_trace *t = &vcpu->trace[i % VCPU_TRACE_LEN];

		pr_info("    %llu.%06llu %-16s rip %#llx qual %#llx gpa %#llx",
			(unsigned long long)(t->ns / 1000000000ull),
			(unsigned long long)(t->ns / 1000 % 1000000),
			exit_reason_name(t->reason), (unsigned long long)t->rip,
			(unsigned long long)t->qual, (unsigned long long)t->gpa);
	}
}
