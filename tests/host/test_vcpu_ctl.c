/*
 * Hosted test of pausing vCPUs and running functions on their threads
 * (core/vcpu_ctl.c), on running run loops (core/vcpu_run.c) of a
 * test-payload VM with the fake backend, the halt model on: a parked or
 * halted vCPU really sleeps until an interrupt (a kick) is pending, so a
 * lost wake-up hangs the case and fails it.
 *
 * Cases: a call runs on the vCPU's own thread, whether the vCPU runs its
 * guest, is halted or is parked; a paused VM runs no guest code until it
 * is resumed, pauses nest, and pause/resume rounds never lose a wake-up;
 * calls to a vCPU whose loop has not started or has ended fail with
 * ESRCH; calls racing the VM's stop either run or fail, never hang or
 * run after the caller gave up (TSan build).
 */
#include "tests/host/test_vcpu_run_harness.h"

#define CTL_VCPUS   3
#define CALL_WAIT   2000000000ull	/* 2 s: only a lost wake-up takes that */
#define PAUSE_ROUNDS 200

static struct rig rig;

/* vCPU 0 and 1 exit without end (CPUID, PAUSE); vCPU 2 halts for good. */
static bool gen_ctl(struct fake_vcpu *f, struct vm_exit *exit)
{
	f->arg++;
	exit->guest.mode = GUEST_MODE_PROT32;
	exit->insn_len = 1;
	if (f->bv.id == CTL_VCPUS - 1 && f->arg == 5) {
		exit->reason = EXIT_HLT;
		f->bv.regs.rflags = X86_RFLAGS_FIXED;	/* IF clear: nothing wakes it */
	} else {
		exit->reason = f->arg % 2 ? EXIT_PAUSE : EXIT_CPUID;
	}
	return true;
}

static void start(struct worker *w)
{
	shim_set_halt_model(true);
	rig_init(&rig, RIG_PAYLOAD, CTL_VCPUS);
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		fake_vcpu(rig_vcpu(&rig, i))->gen = gen_ctl;
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		worker_start(&w[i], i + 1, rig_vcpu_thread, rig_vcpu(&rig, i));
	/* Loops not started yet count as parked (nothing runs): wait for them. */
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		while (!__atomic_load_n(&rig_vcpu(&rig, i)->ctl.loop, __ATOMIC_ACQUIRE))
			shim_pause();
}

static void finish(struct worker *w)
{
	vm_stop(rig.vm, "stopped by the test");
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		worker_join(&w[i]);
	shim_set_halt_model(false);
	rig_destroy(&rig);
}

struct probe {
	unsigned int cpu;	/* the hosted CPU fn ran on */
	bool loaded;		/* the backend vCPU was loaded there */
	unsigned int runs;	/* entries so far */
	unsigned int calls;
};

static void probe_fn(struct vcpu *vcpu, void *ctx)
{
	struct probe *p = ctx;

	p->cpu = smp_processor_id();
	p->loaded = fake_vcpu(vcpu)->loaded;
	p->runs = __atomic_load_n(&fake_vcpu(vcpu)->runs, __ATOMIC_RELAXED);
	p->calls++;
}

static unsigned int runs_of(unsigned int i)
{
	return __atomic_load_n(&fake_vcpu(rig_vcpu(&rig, i))->runs, __ATOMIC_ACQUIRE);
}

/* Each vCPU, running, halted or parked, runs the call on its own CPU. */
static void case_call_runs_on_the_vcpu(void)
{
	struct worker w[CTL_VCPUS];

	start(w);
	CHECK(rig_wait_blocked(rig_vcpu(&rig, CTL_VCPUS - 1)));
	for (unsigned int round = 0; round < 300; round++) {
		unsigned int i = round % CTL_VCPUS;
		struct probe p = { .cpu = ~0u };

		CHECK_EQ(vcpu_call(rig_vcpu(&rig, i), probe_fn, &p, CALL_WAIT), 0);
		CHECK_EQ(p.calls, 1);
		CHECK_EQ(p.cpu, i + 1);
		CHECK(p.loaded);
	}
	/* The halted vCPU went back to its halt after each call. */
	CHECK(rig_wait_blocked(rig_vcpu(&rig, CTL_VCPUS - 1)));
	finish(w);
}

/* A paused VM runs no guest code; pauses nest; every resume wakes it. */
static void case_pause_resume(void)
{
	struct worker w[CTL_VCPUS];
	unsigned int before[CTL_VCPUS];

	start(w);
	for (unsigned int round = 0; round < PAUSE_ROUNDS; round++) {
		CHECK_EQ(vm_pause(rig.vm, CALL_WAIT), 0);
		for (unsigned int i = 0; i < CTL_VCPUS; i++) {
			CHECK(vcpu_ctl_parked(&rig_vcpu(&rig, i)->ctl));
			before[i] = runs_of(i);
		}
		if (round % 20 == 0) {
			struct probe p = { 0 };

			/* Nested: a second holder, released first. */
			vcpu_pause(rig_vcpu(&rig, 0));
			rig_sleep_ms(2);
			/* A parked vCPU still takes calls, and stays parked. */
			CHECK_EQ(vcpu_call(rig_vcpu(&rig, 0), probe_fn, &p, CALL_WAIT), 0);
			CHECK_EQ(p.cpu, 1);
			vcpu_unpause(rig_vcpu(&rig, 0));
			rig_sleep_ms(2);
			for (unsigned int i = 0; i < CTL_VCPUS; i++)
				CHECK_EQ(runs_of(i), before[i]);
		}
		vm_unpause(rig.vm);
		/* The running vCPUs enter their guest again: nobody slept through it. */
		for (unsigned int i = 0; i < CTL_VCPUS - 1; i++) {
			uint64_t end = time_now_ns() + CALL_WAIT;

			while (runs_of(i) == before[i] && time_now_ns() < end)
				shim_pause();
			CHECK(runs_of(i) > before[i]);
		}
		if (runs_of(0) == before[0])
			break;		/* a lost resume: once is enough to fail */
	}
	CHECK_EQ(READ_ONCE(rig_vcpu(&rig, 0)->ctl.parks), PAUSE_ROUNDS);
	finish(w);
}

/* No loop, no call: before the start and after the end. */
static void case_call_without_loop(void)
{
	struct worker w[CTL_VCPUS];
	struct probe p = { 0 };

	shim_set_halt_model(true);
	rig_init(&rig, RIG_PAYLOAD, CTL_VCPUS);
	CHECK_EQ(vcpu_call(rig_vcpu(&rig, 0), probe_fn, &p, CALL_WAIT), -ESRCH);
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		fake_vcpu(rig_vcpu(&rig, i))->gen = gen_ctl;
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		worker_start(&w[i], i + 1, rig_vcpu_thread, rig_vcpu(&rig, i));
	vm_stop(rig.vm, "stopped by the test");
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		worker_join(&w[i]);
	for (unsigned int i = 0; i < CTL_VCPUS; i++)
		CHECK_EQ(vcpu_call(rig_vcpu(&rig, i), probe_fn, &p, CALL_WAIT), -ESRCH);
	CHECK_EQ(p.calls, 0);
	/* A paused vCPU of an ended loop counts as parked: nothing runs. */
	vcpu_pause(rig_vcpu(&rig, 0));
	CHECK_EQ(vcpu_wait_parked(rig_vcpu(&rig, 0), CALL_WAIT), 0);
	vcpu_unpause(rig_vcpu(&rig, 0));
	shim_set_halt_model(false);
	rig_destroy(&rig);
}

/*
 * Calls racing the stop: each returns 0 (fn ran, once) or ESRCH (fn
 * never ran). A call that ran after its caller gave up would write a
 * probe the caller no longer owns: ASan/TSan see that.
 */
static void caller_fn(struct worker *w)
{
	struct vcpu *vcpu = w->arg;

	for (unsigned int n = 0; n < 100000; n++) {
		struct probe p = { 0 };
		int err = vcpu_call(vcpu, probe_fn, &p, CALL_WAIT);

		if (err == -ESRCH) {
			CHECK_EQ(p.calls, 0);
			break;
		}
		CHECK_EQ(err, 0);
		CHECK_EQ(p.calls, 1);
	}
}

static void case_calls_race_stop(void)
{
	for (unsigned int round = 0; round < 20; round++) {
		struct worker w[CTL_VCPUS], callers[2];

		start(w);
		worker_start(&callers[0], 10, caller_fn, rig_vcpu(&rig, 0));
		worker_start(&callers[1], 11, caller_fn, rig_vcpu(&rig, CTL_VCPUS - 1));
		rig_sleep_ms(1 + round % 3);
		vm_stop(rig.vm, "stopped by the test");
		worker_join(&callers[0]);
		worker_join(&callers[1]);
		for (unsigned int i = 0; i < CTL_VCPUS; i++)
			worker_join(&w[i]);
		shim_set_halt_model(false);
		rig_destroy(&rig);
	}
}

int main(void)
{
	rig_harness_init();
	shim_set_nr_cpus(16);
	RUN(case_call_runs_on_the_vcpu);
	RUN(case_pause_resume);
	RUN(case_call_without_loop);
	RUN(case_calls_race_stop);
	return check_done();
}
