/*
 * Debug intercepts (core/vcpu_debug.c) on the run loop, driven by the
 * fake backend of test_vcpu_run_harness.h: a #BP is the debugger's stop
 * or re-injected unchanged; a step over an instruction the hypervisor
 * emulates ends right after it, TF is the hypervisor's only while the
 * guest runs and the guest's own is kept, interrupts are held off during
 * a step; #DB exits are classified from DR6 (watchpoint, execution
 * breakpoint resumed with RF, the guest's own #DB re-injected with DR6 in
 * the shadow); MOV DR reads and writes the guest's shadow while the
 * debugger owns the registers, and the release restores it.
 */
#include "core/vcpu_debug.h"
#include "tests/host/test_vcpu_run_harness.h"

static struct rig rig;

#define MAX_STOPS 16
static struct vcpu_debug_stop stops[MAX_STOPS];
static unsigned int nr_stops;
static uint64_t debugger_int3;	/* RIP of the debugger's INT3 */

static bool test_stop(struct vcpu *vcpu, const struct vcpu_debug_stop *why)
{
	if (why->kind == VCPU_DEBUG_STOP_SW_BP && why->rip != debugger_int3)
		return false;
	if (nr_stops < MAX_STOPS)
		stops[nr_stops++] = *why;
	return true;
}

static struct vcpu *setup(void)
{
	struct vcpu *vcpu;

	rig_init(&rig, RIG_PAYLOAD, 1);
	vcpu = rig_vcpu(&rig, 0);
	vcpu->bv->regs.rip = 0x1000;
	vcpu->vm->debug_stop = test_stop;
	nr_stops = 0;
	debugger_int3 = 0;
	shim_set_cpu(0);
	return vcpu;
}

/* Before the exit returns, the guest moved to the exit's gla (then cleared). */
static void move_rip(struct fake_vcpu *f, struct vm_exit *exit)
{
	f->bv.regs.rip = exit->gla;
	exit->gla = 0;
}

static struct vm_exit *push_at(struct fake_vcpu *f, enum vm_exit_reason reason,
			       unsigned int len, uint64_t rip)
{
	struct vm_exit *e = fake_push(f, reason, len);

	e->gla = rip;
	f->script[f->nr_steps - 1].hook = move_rip;
	return e;
}

static struct vm_exit *push_exception(struct fake_vcpu *f, unsigned int vec, uint64_t rip,
				      uint64_t dr6_bits)
{
	struct vm_exit *e = push_at(f, EXIT_EXCEPTION, vec == VEC_BP ? 1 : 0, rip);

	e->exception.vector = (uint8_t)vec;
	e->qual = dr6_bits;
	return e;
}

/* The debugger's INT3 stops; the guest's own reaches the guest unchanged. */
static void case_sw_breakpoint(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vcpu_debug_cfg cfg = { .sw_breakpoints = true };

	debugger_int3 = 0x2000;
	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), 0);
	CHECK_EQ(f->exc, BIT(VEC_BP));
	push_exception(f, VEC_BP, 0x2000, 0);
	push_exception(f, VEC_BP, 0x3000, 0);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_STR(vcpu->vm->stop_reason, "script over");
	CHECK_EQ(nr_stops, 1);
	CHECK_EQ(stops[0].kind, VCPU_DEBUG_STOP_SW_BP);
	CHECK_EQ(stops[0].rip, 0x2000);
	/* The stop left RIP at the INT3 for the debugger. */
	CHECK_EQ(f->entry_rip[1], 0x2000);
	CHECK_EQ(f->nr_delivered, 1);
	CHECK_EQ(f->delivered[0].type, EVENT_SOFT_EXCEPTION);
	CHECK_EQ(f->delivered[0].vector, VEC_BP);
	CHECK_EQ(f->delivered[0].insn_len, 1);
	CHECK_EQ(f->entry_rip[2], 0x3000);
	rig_destroy(&rig);
}

static const struct vcpu_debug_cfg cfg_step = { .step = true };

/* The first exit's hook: the debugger starts stepping. */
static void arm_step(struct fake_vcpu *f, struct vm_exit *exit)
{
	CHECK_EQ(vcpu_debug_set(f->vcpu, &cfg_step), 0);
}

/*
 * Steps: the emulated hypercall (which also makes an interrupt due at
 * once) and CPUID end their steps without an entry; a TF trap ends the
 * next. TF is set on every entry and the guest's own TF (set here)
 * survives; the due interrupt is not injected while stepping.
 */
static void case_step(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	uint64_t *gpr = f->bv.regs.gpr;

	f->bv.regs.rflags |= X86_RFLAGS_TF;
	gpr[GPR_RAX] = HC_TIMER_ONESHOT;
	gpr[GPR_RBX] = 0;
	gpr[GPR_RCX] = 0x41;
	fake_push_hook(f, EXIT_VMCALL, arm_step);
	f->script[0].exit.insn_len = 3;
	fake_push(f, EXIT_CPUID, 2);
	push_exception(f, VEC_DB, 0x1008, X86_DR6_BS);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_EQ(gpr[GPR_RAX] == HC_ERROR, false);
	CHECK_EQ(f->exc, BIT(VEC_DB));
	CHECK_EQ(nr_stops, 3);
	CHECK_EQ(stops[0].kind, VCPU_DEBUG_STOP_STEP);
	CHECK_EQ(stops[0].rip, 0x1003);
	CHECK_EQ(stops[1].kind, VCPU_DEBUG_STOP_STEP);
	CHECK_EQ(stops[1].rip, 0x1005);
	CHECK_EQ(stops[2].kind, VCPU_DEBUG_STOP_STEP);
	CHECK_EQ(stops[2].rip, 0x1008);
	for (unsigned int i = 1; i < 4; i++)
		CHECK(f->entry_rflags[i] & X86_RFLAGS_TF);
	CHECK(f->bv.regs.rflags & X86_RFLAGS_TF);	/* the guest's own */
	CHECK_EQ(f->nr_delivered, 0);			/* no interrupt, no #DB */
	CHECK_EQ(f->intr_windows_opened, 0);
	rig_destroy(&rig);
}

/* Without the guest's TF, TF is gone from RFLAGS after each exit. */
static void case_step_hides_tf(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vcpu_debug_cfg cfg = { .step = true };

	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), 0);
	push_exception(f, VEC_DB, 0x1001, X86_DR6_BS);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_EQ(nr_stops, 1);
	CHECK(f->entry_rflags[0] & X86_RFLAGS_TF);
	CHECK(!(f->bv.regs.rflags & X86_RFLAGS_TF));
	rig_destroy(&rig);
}

/* With a monitor trap flag the step is EXIT_MTF and RFLAGS is left alone. */
static void case_step_mtf(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vcpu_debug_cfg cfg = { .step = true };

	f->has_mtf = true;
	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), 0);
	CHECK_EQ(f->debug_ctl, BACKEND_DEBUG_MTF);
	push_at(f, EXIT_MTF, 0, 0x1003);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_EQ(nr_stops, 1);
	CHECK_EQ(stops[0].rip, 0x1003);
	CHECK(!(f->entry_rflags[0] & X86_RFLAGS_TF));
	rig_destroy(&rig);
}

static const struct vcpu_debug_cfg cfg_off;

/* The last exit's hook: the debugger releases the registers. */
static void release(struct fake_vcpu *f, struct vm_exit *exit)
{
	CHECK_EQ(vcpu_debug_set(f->vcpu, &cfg_off), 0);
}

/*
 * Hardware breakpoints: the debugger's DR0/DR1/DR7; the guest's MOV DR
 * served from its shadow; a watchpoint and an execution breakpoint (then
 * RF); the guest's own #DB re-injected with its DR6 in the shadow; the
 * release puts back the shadow with what the guest wrote.
 */
static void case_hw_breakpoints(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vcpu_debug_cfg cfg = {
		.hw = {
			{ .addr = 0x4000, .kind = VCPU_DEBUG_HW_EXEC, .len = 1, .on = true },
			{ .addr = 0x5000, .kind = VCPU_DEBUG_HW_WRITE, .len = 4, .on = true },
		},
	};
	struct vm_exit *e;

	f->dregs = (struct backend_dregs){ .dr = { 0x1111, 0x2222, 0x3333, 0x4444 },
					   .dr6 = X86_DR6_RESET, .dr7 = 0x55550400 };
	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), 0);
	CHECK_EQ(f->exc, BIT(VEC_DB));
	CHECK_EQ(f->debug_ctl, BACKEND_DEBUG_DR_EXIT | BACKEND_DEBUG_HOST_DR);
	CHECK_EQ(f->dregs.dr[0], 0x4000);
	CHECK_EQ(f->dregs.dr[1], 0x5000);
	CHECK_EQ(f->dregs.dr7 & 0xff, X86_DR7_L(0) | X86_DR7_G(0) | X86_DR7_L(1) | X86_DR7_G(1));
	CHECK_EQ((f->dregs.dr7 >> 16) & 0xff, 0xd0);	/* DR0 exec len 1, DR1 write len 4 */

	e = fake_push(f, EXIT_DR_ACCESS, 3);		/* mov %dr0, %rax */
	e->dr.dr = 0;
	e->dr.gpr = GPR_RAX;
	e = fake_push(f, EXIT_DR_ACCESS, 3);		/* mov %rbx, %dr1 */
	e->dr.dr = 1;
	e->dr.gpr = GPR_RBX;
	e->dr.write = true;
	e = fake_push(f, EXIT_DR_ACCESS, 3);		/* mov %dr5, %rcx: DR7 */
	e->dr.dr = 5;
	e->dr.gpr = GPR_RCX;
	push_exception(f, VEC_DB, 0x100c, X86_DR6_B(1));
	push_exception(f, VEC_DB, 0x4000, X86_DR6_B(0));
	push_exception(f, VEC_DB, 0x4001, X86_DR6_BS);	/* the guest's own TF */
	fake_push_hook(f, EXIT_PAUSE, release);
	f->bv.regs.gpr[GPR_RBX] = 0x2000;
	CHECK_EQ(vcpu_run(vcpu), 0);

	CHECK_EQ(f->bv.regs.gpr[GPR_RAX], 0x1111);
	CHECK_EQ(f->bv.regs.gpr[GPR_RCX], 0x55550400);
	CHECK_EQ(f->entry_rip[3], 0x1009);
	CHECK_EQ(nr_stops, 2);
	CHECK_EQ(stops[0].kind, VCPU_DEBUG_STOP_WATCH);
	CHECK_EQ(stops[0].hw, 1);
	CHECK_EQ(stops[0].addr, 0x5000);
	CHECK_EQ(stops[0].rip, 0x100c);
	CHECK_EQ(stops[1].kind, VCPU_DEBUG_STOP_HW_BP);
	CHECK_EQ(stops[1].hw, 0);
	CHECK_EQ(stops[1].rip, 0x4000);
	CHECK(f->entry_rflags[5] & X86_RFLAGS_RF);	/* resumed past the breakpoint */
	CHECK_EQ(f->nr_delivered, 1);
	CHECK_EQ(f->delivered[0].type, EVENT_EXCEPTION);
	CHECK_EQ(f->delivered[0].vector, VEC_DB);
	/* Released: the guest's registers, with its write and its #DB's DR6. */
	CHECK_EQ(f->debug_ctl, 0);
	CHECK_EQ(f->exc, 0);
	CHECK_EQ(f->dregs.dr[0], 0x1111);
	CHECK_EQ(f->dregs.dr[1], 0x2000);
	CHECK_EQ(f->dregs.dr[2], 0x3333);
	CHECK_EQ(f->dregs.dr[3], 0x4444);
	CHECK_EQ(f->dregs.dr7, 0x55550400);
	CHECK_EQ(f->dregs.dr6, X86_DR6_RESET | X86_DR6_BS);
	rig_destroy(&rig);
}

/*
 * No debugger, the guest's own TF: an instruction the hypervisor
 * completed raises the guest's single-step #DB (DR6.BS), as the CPU
 * would have; one that exits without completing (a TDP fault) does not.
 */
static void case_guest_tf_emulated(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);

	f->bv.regs.rflags |= X86_RFLAGS_TF;
	f->dregs.dr6 = X86_DR6_RESET;
	fake_push(f, EXIT_TDP_FAULT, 0)->gpa = 0x3000;
	fake_push(f, EXIT_CPUID, 2);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_EQ(nr_stops, 0);
	CHECK_EQ(f->nr_delivered, 1);
	CHECK_EQ(f->delivered[0].type, EVENT_EXCEPTION);
	CHECK_EQ(f->delivered[0].vector, VEC_DB);
	CHECK_EQ(f->delivered_at[0], 2);
	CHECK_EQ(f->entry_rip[2], 0x1002);
	CHECK_EQ(f->dregs.dr6, X86_DR6_RESET | X86_DR6_BS);
	rig_destroy(&rig);
}

/* A malformed breakpoint is refused and changes nothing. */
static void case_bad_config(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vcpu_debug_cfg cfg = {
		.hw = { { .addr = 0x5001, .kind = VCPU_DEBUG_HW_WRITE, .len = 4, .on = true } },
	};

	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), -EINVAL);
	cfg.hw[0].addr = 0x5000;
	cfg.hw[0].len = 3;
	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), -EINVAL);
	cfg.hw[0].len = 4;
	cfg.hw[0].kind = 7;
	CHECK_EQ(vcpu_debug_set(vcpu, &cfg), -EINVAL);
	CHECK_EQ(f->exc, 0);
	CHECK_EQ(f->debug_ctl, 0);
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_sw_breakpoint);
	RUN(case_step);
	RUN(case_step_hides_tf);
	RUN(case_step_mtf);
	RUN(case_hw_breakpoints);
	RUN(case_guest_tf_emulated);
	RUN(case_bad_config);
	return check_done();
}
