/*
 * Hosted test of the ways the run loop (core/vcpu_run.c) ends a VM, on a
 * test-payload VM driven by the fake backend of
 * tests/host/test_vcpu_run_harness.h: a refused entry stops the VM; so
 * does a timer list the invariant check finds broken, before an entry
 * or while halted; a VM stopped from any of its vCPU threads, or from
 * outside, while the others run (TSan build).
 */
#include "tests/host/test_vcpu_run_harness.h"

static struct rig rig;

static struct vcpu *setup(enum rig_platform platform)
{
	struct vcpu *vcpu;

	rig_init(&rig, platform, 1);
	vcpu = rig_vcpu(&rig, 0);
	vcpu->bv->regs.rip = 0x1000;
	return vcpu;
}

/* A refused entry stops the VM; the loop still puts the vCPU back. */
static void case_entry_failure(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);

	fake_vcpu(vcpu)->run_error = -EINVAL;
	shim_set_cpu(0);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_STR(vcpu->vm->stop_reason, "vCPU 0: entry failed (EINVAL)");
	CHECK(vcpu->vm->stop_error);
	CHECK_EQ(exit_rec_head(&vcpu->rec), 0);
	CHECK(!fake_vcpu(vcpu)->loaded);
	rig_destroy(&rig);
}

/*
 * A timer on this list naming another owner (made under the list's lock) stops the VM, found
 * by the update before an entry or, halted, by the HLT path's update, which ends the halt.
 */
static void nop_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq, unsigned int ticks) {}
static const struct vtimer_sink nop_sink = { .fire = nop_fire, .name = "nop" };

static void timer_list_round(bool halted)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct vtimer_vcpu *v = &vcpu->timers, other;
	uint64_t now = time_now_ns();
	struct vtimer t, near;
	struct worker w;

	shim_set_halt_model(halted);
	fake_vcpu(vcpu)->bv.regs.rflags = X86_RFLAGS_FIXED;	/* IF clear: the HLT lasts */
	fake_push(fake_vcpu(vcpu), EXIT_HLT, 1);
	vtimer_vcpu_init(&other, 99, NULL);
	vtimer_init(&t, v, &nop_sink, NULL, 0, VTIMER_DELAY_MISSED);
	vtimer_init(&near, v, &nop_sink, NULL, 1, VTIMER_NO_MISSED);
	vtimer_start(&t, v, now, VTIMER_NEVER - 1, 0);
	if (halted) {
		worker_start(&w, 1, rig_vcpu_thread, vcpu);
		CHECK(rig_wait_blocked(vcpu));
	}
	vtimer_vcpu_lock(v);
	t.owner = &other;
	vtimer_vcpu_unlock(v);
	if (halted) {
		vtimer_start(&near, v, now, time_now_ns() + 20000000ull, 0);
		worker_join(&w);
	} else {
		shim_set_cpu(0);
		CHECK_EQ(vcpu_run(vcpu), 0);
	}
	CHECK_STR(vcpu->vm->stop_reason,
		  "vCPU 0: timer list invariant broken: a timer on this vCPU's list names another owner");
	CHECK(vcpu->vm->stop_error);
	CHECK_EQ(fake_vcpu(vcpu)->runs, halted ? 1 : 0);
	list_del_init(&t.node);		/* the vCPU's loop has ended */
	list_del_init(&near.node);
	shim_set_halt_model(false);
	rig_destroy(&rig);
}

static void case_timer_list_broken(void)
{
	timer_list_round(false);
	timer_list_round(true);
}

/* --- A VM stopped while its vCPUs run ------------------------------------------ */

#define STOP_VCPUS 4
#define STOP_AFTER 300

/*
 * vCPU arg (the stopper) ends the VM through the exit port after
 * STOP_AFTER exits; vCPU (stopper + 1) halts with interrupts off; the
 * others PAUSE without end. Each generator sees only its own fake vCPU.
 */
static bool gen_busy(struct fake_vcpu *f, struct vm_exit *exit)
{
	unsigned int stopper = (unsigned int)(f->arg >> 32), n = (unsigned int)f->arg;
	unsigned int me = f->bv.id;

	f->arg++;
	exit->guest.mode = GUEST_MODE_PROT32;
	exit->insn_len = 1;
	if (me == stopper && n == STOP_AFTER) {
		exit->reason = EXIT_IO;
		exit->io.port = PAYLOAD_PORT_EXIT;
		exit->io.size = 1;
		f->bv.regs.gpr[GPR_RAX] = 0x40 + me;
	} else if (me == (stopper + 1) % STOP_VCPUS && n == 10) {
		exit->reason = EXIT_HLT;
		f->bv.regs.rflags = X86_RFLAGS_FIXED;
	} else {
		exit->reason = n % 2 ? EXIT_PAUSE : EXIT_CPUID;
	}
	return true;
}

static void stop_round(unsigned int stopper)
{
	struct worker w[STOP_VCPUS];
	char want[64];

	rig_init(&rig, RIG_PAYLOAD, STOP_VCPUS);
	for (unsigned int i = 0; i < STOP_VCPUS; i++) {
		struct fake_vcpu *f = fake_vcpu(rig_vcpu(&rig, i));

		f->gen = gen_busy;
		f->arg = (unsigned long)stopper << 32;
	}
	for (unsigned int i = 0; i < STOP_VCPUS; i++)
		worker_start(&w[i], i, rig_vcpu_thread, rig_vcpu(&rig, i));
	if (stopper >= STOP_VCPUS) {
		/* From outside: the host stops the VM while every vCPU runs. */
		rig_sleep_ms(5);
		vm_stop(rig.vm, "stopped by the host");
	}
	for (unsigned int i = 0; i < STOP_VCPUS; i++)
		worker_join(&w[i]);
	CHECK(vm_is_stopped(rig.vm));
	if (stopper < STOP_VCPUS) {
		snprintf(want, sizeof(want), "guest exit, status %u", 0x40 + stopper);
		CHECK_STR(rig.vm->stop_reason, want);
	} else {
		CHECK_STR(rig.vm->stop_reason, "stopped by the host");
	}
	for (unsigned int i = 0; i < STOP_VCPUS; i++) {
		struct vcpu *vcpu = rig_vcpu(&rig, i);

		CHECK(!fake_vcpu(vcpu)->loaded);
		CHECK(!vcpu_is_blocked(&vcpu->req));
		CHECK_EQ(vcpu->req.mode, OUTSIDE_GUEST_MODE);
	}
	rig_destroy(&rig);
}

static void case_stop_from_any_vcpu(void)
{
	for (unsigned int stopper = 0; stopper <= STOP_VCPUS; stopper++)
		stop_round(stopper);
}

int main(void)
{
	rig_harness_init();
	RUN(case_entry_failure);
	RUN(case_timer_list_broken);
	RUN(case_stop_from_any_vcpu);
	return check_done();
}
