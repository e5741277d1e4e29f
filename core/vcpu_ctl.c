/*
 * Pausing a vCPU and running a function on its thread (core/vcpu_ctl.h).
 *
 * Ordering. Both directions reuse the Dekker pair of core/vcpu_request.c:
 * a controller changes the pause count or publishes PENDING with a seq_cst
 * atomic, then makes a request (a LOCK OR, then the kick or the wake-up);
 * the vCPU consumes the request bit with an acquire before it looks at
 * the count or the call. So a vCPU that enters guest mode after the
 * controller's request has seen the count, and one that was in guest mode
 * or halted is kicked or woken. The park loop re-reads the count after
 * vcpu_block_begin()'s full barrier: an unpause that lowered the count
 * before that barrier is seen, and one after it wakes the halt (its
 * request ends the block), so a parked vCPU never sleeps through its
 * resume (the lost-wake-up race of every sleep/wake pair; see
 * docs/races.md, "Request set while the vCPU enters guest mode", whose
 * argument this is).
 */
#include "asm/atomic.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/sched.h"
#include "core/vcpu_ctl.h"
#include "core/vm_platform.h"
#include "core/vm.h"

void vcpu_ctl_init(struct vcpu_ctl *ctl)
{
	spin_lock_init(&ctl->call_lock);
	ctl->fn = NULL;
	ctl->ctx = NULL;
	ctl->call = VCPU_CALL_IDLE;
	ctl->pause = 0;
	ctl->parked = 0;
	ctl->loop = 0;
	ctl->parks = 0;
}

void vcpu_pause(struct vcpu *vcpu)
{
	__atomic_add_fetch(&vcpu->ctl.pause, 1, __ATOMIC_SEQ_CST);
	vcpu_make_request(&vcpu->req, VCPU_REQ_PAUSE);
}

void vcpu_unpause(struct vcpu *vcpu)
{
	unsigned int old = __atomic_load_n(&vcpu->ctl.pause, __ATOMIC_RELAXED);

	/* An unbalanced unpause is a caller's bug; never wrap the count. */
	while (old && !__atomic_compare_exchange_n(&vcpu->ctl.pause, &old, old - 1, false,
						   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	if (old == 1)
		vcpu_make_request(&vcpu->req, VCPU_REQ_PAUSE);
}

static bool vcpu_loop_running(const struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->ctl.loop, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Parked for the latest pause: the vCPU has consumed the pause request
 * (the bit is read first) and is parked. A parked flag alone could be the
 * one of a park the vCPU is just leaving, for an unpause that came before
 * this pause; once the bit is consumed, the vCPU has seen this pause's
 * count (the acquire of vcpu_check_request() pairs with the LOCK OR made
 * after the count was raised) and parks, or stays parked, for it.
 */
static bool vcpu_parked_now(struct vcpu *vcpu)
{
	uint64_t req = __atomic_load_n(&vcpu->req.requests, __ATOMIC_SEQ_CST);

	return !(req & BIT(VCPU_REQ_PAUSE)) && vcpu_ctl_parked(&vcpu->ctl);
}

int vcpu_wait_parked(struct vcpu *vcpu, uint64_t timeout_ns)
{
	uint64_t end = time_now_ns() + timeout_ns;
	unsigned long spins = 0;

	while (!vcpu_parked_now(vcpu) && vcpu_loop_running(vcpu)) {
		if (time_now_ns() >= end)
			return -ETIMEDOUT;
		sched_relax(++spins);
	}
	return 0;
}

int vm_pause(struct vm *vm, uint64_t timeout_ns)
{
	unsigned int n = vm_nr_vcpus(vm);
	int err = 0;

	for (unsigned int i = 0; i < n; i++)
		vcpu_pause(vm->vcpus[i]);
	for (unsigned int i = 0; i < n && !err; i++)
		err = vcpu_wait_parked(vm->vcpus[i], timeout_ns);
	return err;
}

void vm_unpause(struct vm *vm)
{
	unsigned int n = vm_nr_vcpus(vm);

	for (unsigned int i = 0; i < n; i++)
		vcpu_unpause(vm->vcpus[i]);
}

int vcpu_call(struct vcpu *vcpu, vcpu_call_fn fn, void *ctx, uint64_t timeout_ns)
{
	struct vcpu_ctl *c = &vcpu->ctl;
	uint64_t end = time_now_ns() + timeout_ns;
	unsigned long spins = 0;
	int err = 0;

	spin_lock(&c->call_lock);
	if (!vcpu_loop_running(vcpu)) {
		spin_unlock(&c->call_lock);
		return -ESRCH;
	}
	c->fn = fn;
	c->ctx = ctx;
	/* Publishes fn and ctx; seq_cst, before the request's LOCK OR. */
	__atomic_store_n(&c->call, VCPU_CALL_PENDING, __ATOMIC_SEQ_CST);
	vcpu_make_request(&vcpu->req, VCPU_REQ_CALL);
	for (;;) {
		int st = __atomic_load_n(&c->call, __ATOMIC_ACQUIRE);
		int pending = VCPU_CALL_PENDING;

		if (st == VCPU_CALL_DONE)
			break;
		if (st == VCPU_CALL_PENDING &&
		    (!vcpu_loop_running(vcpu) || time_now_ns() >= end) &&
		    __atomic_compare_exchange_n(&c->call, &pending, VCPU_CALL_IDLE, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			err = vcpu_loop_running(vcpu) ? -ETIMEDOUT : -ESRCH;
			break;
		}
		sched_relax(++spins);
	}
	__atomic_store_n(&c->call, VCPU_CALL_IDLE, __ATOMIC_RELAXED);
	c->fn = NULL;
	c->ctx = NULL;
	spin_unlock(&c->call_lock);
	return err;
}

void vcpu_ctl_loop_start(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->ctl.loop, 1, __ATOMIC_RELEASE);
}

void vcpu_ctl_loop_end(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->ctl.loop, 0, __ATOMIC_SEQ_CST);
	/*
	 * A call published after the last request check is cancelled by its
	 * caller (it sees loop 0 and wins PENDING -> IDLE) or, if this load
	 * wins the race, run here: either way no caller waits forever.
	 */
	vcpu_ctl_run_call(vcpu);
}

void vcpu_ctl_run_call(struct vcpu *vcpu)
{
	struct vcpu_ctl *c = &vcpu->ctl;
	int pending = VCPU_CALL_PENDING;

	if (!__atomic_compare_exchange_n(&c->call, &pending, VCPU_CALL_RUNNING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	c->fn(vcpu, c->ctx);
	/* Everything fn wrote is visible to the caller that sees DONE. */
	__atomic_store_n(&c->call, VCPU_CALL_DONE, __ATOMIC_RELEASE);
}

void vcpu_sched_switch(struct vcpu *vcpu, void (*sw)(void))
{
	/*
	 * The backend saves what another vCPU on this CPU could clobber or
	 * read (VMCLEAR, the x87/SSE/AVX registers, XCR0, TSC_AUX, lazily
	 * held debug registers) and loads it again on whatever CPU the
	 * thread resumes; the platform then rewrites what depends on that
	 * CPU (the paravirtual clock's structure).
	 */
	backend_vcpu_put(vcpu->bv);
	sw();
	vcpu_req_move(&vcpu->req);
	WRITE_ONCE(vcpu->host_cpu, (int)smp_processor_id());
	backend_vcpu_load(vcpu->bv);
	vm_platform_vcpu_load(vcpu);
}

bool vcpu_ctl_park(struct vcpu *vcpu, bool (*service)(struct vcpu *vcpu))
{
	struct vcpu_req_state *r = &vcpu->req;
	bool run_on = true;

	vtimer_save(&vcpu->timers, time_now_ns());
	WRITE_ONCE(vcpu->ctl.parks, vcpu->ctl.parks + 1);
	__atomic_store_n(&vcpu->ctl.parked, 1, __ATOMIC_RELEASE);
	for (;;) {
		unsigned long flags;

		run_on = service(vcpu) && !vm_is_stopped(vcpu->vm);
		if (!run_on || !vcpu_ctl_paused(&vcpu->ctl))
			break;
		if (!vcpu_block_begin(r))
			continue;	/* a request came: service it */
		if (r->thread) {
			/* Nothing of this vCPU's is due while it is parked. */
			sched_set_deadline(UINT64_MAX);
			if (vcpu_is_blocked(r) && !vcpu_has_requests(r) &&
			    vcpu_ctl_paused(&vcpu->ctl) && !vm_is_stopped(vcpu->vm))
				vcpu_sched_switch(vcpu, sched_block);
			vcpu_block_end(r);
			continue;
		}
		flags = irq_save();
		/* Nothing of this vCPU's is due while it is parked. */
		platform_timer_arm(UINT64_MAX);
		if (vcpu_is_blocked(r) && !vcpu_has_requests(r) && vcpu_ctl_paused(&vcpu->ctl) &&
		    !vm_is_stopped(vcpu->vm))
			platform_wait_irq();
		irq_restore(flags);
		vcpu_block_end(r);
	}
	__atomic_store_n(&vcpu->ctl.parked, 0, __ATOMIC_RELEASE);
	vtimer_restore(&vcpu->timers, time_now_ns());
	return run_on;
}
