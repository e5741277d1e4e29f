/*
 * Hosted test of the run loop (core/vcpu_run.c) and the exit dispatch
 * (core/vcpu_exit.c) on a test-payload VM (core/payload/payload_platform.c),
 * driven by the fake backend of tests/host/test_vcpu_run_harness.h.
 *
 * Scenarios: the dispatch of every exit reason of core/exit.h (a table
 * indexed by reason: a reason without a case fails the test); an event an
 * exit interrupted is delivered again before a pending interrupt; HLT
 * blocks until the one-shot timer's interrupt, and a request from another
 * thread is serviced without ending it; a timer armed on a halted vCPU from another thread wakes its
 * CPU to re-arm without ending the halt; the one-shot timer's hypercall refuses exception vectors and
 * vectors above 255 and saturates a delay too long for 64 bits; the
 * IPI hypercall reaches only the vCPU named and refuses bad vectors and
 * vCPUs.
 * The ways a VM stops while its loop runs are in test_vcpu_stop.c.
 */
#include "asm/msr.h"
#include "tests/host/test_vcpu_run_harness.h"

#define VEC_UD 6
#define VEC_PF 14

static struct rig rig;

static struct vcpu *setup(enum rig_platform platform)
{
	struct vcpu *vcpu;

	rig_init(&rig, platform, 1);
	vcpu = rig_vcpu(&rig, 0);
	vcpu->bv->regs.rip = 0x1000;
	return vcpu;
}

static struct vm_exit mk_exit(enum vm_exit_reason reason, unsigned int insn_len)
{
	struct vm_exit e = { .reason = reason, .insn_len = (uint8_t)insn_len };

	e.guest.mode = GUEST_MODE_PROT32;
	return e;
}

/* The exit is consumed without effect: RIP stays, nothing is injected. */
static void expect_nothing(struct vcpu *vcpu, struct vm_exit *e)
{
	CHECK_EQ(vcpu_handle_exit(vcpu, e), 0);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1000);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK(!vm_is_stopped(vcpu->vm));
}

/* The VM stops, naming why, with a register dump. */
static void expect_stop(struct vcpu *vcpu, struct vm_exit *e, const char *why)
{
	CHECK(vcpu_handle_exit(vcpu, e) < 0);
	CHECK(vm_is_stopped(vcpu->vm));
	if (!strstr(vcpu->vm->stop_reason, why)) {
		fprintf(stderr, "  stop reason \"%s\" lacks \"%s\"\n", vcpu->vm->stop_reason, why);
		check_case_failed = 1;
	}
	CHECK(vcpu->vm->stop_error);
	/* The dump is the report's, once every vCPU has left its loop. */
	CHECK_EQ(fake_vcpu(vcpu)->dumps, 0);
	vm_print_error_dump(vcpu->vm);
	CHECK_EQ(fake_vcpu(vcpu)->dumps, 1);
}

static void expect_exception(struct vcpu *vcpu, uint8_t vector, bool has_error)
{
	const struct vm_event *ev = &fake_vcpu(vcpu)->queued;

	CHECK(ev->valid);
	CHECK_EQ(ev->type, EVENT_EXCEPTION);
	CHECK_EQ(ev->vector, vector);
	CHECK_EQ(ev->has_error, has_error);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1000);	/* a fault: the instruction again */
	CHECK(!vm_is_stopped(vcpu->vm));
}

/* --- One case per exit reason ---------------------------------------------- */

static void exit_unknown(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_UNKNOWN, 0);

	expect_stop(vcpu, &e, "UNKNOWN");
}

static void exit_cpuid(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_CPUID, 2);
	uint64_t *gpr = vcpu->bv->regs.gpr;
	char sig[13] = { 0 };

	gpr[GPR_RAX] = 0x40000000;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(gpr[GPR_RAX], 0x40000010);
	memcpy(sig, &gpr[GPR_RBX], 4);
	memcpy(sig + 4, &gpr[GPR_RCX], 4);
	memcpy(sig + 8, &gpr[GPR_RDX], 4);
	CHECK_STR(sig, "MicroHVisor");
	CHECK_EQ(vcpu->bv->regs.rip, 0x1002);
}

/* HC_TIMER_ONESHOT due now: the HLT after it ends with the vector pending. */
static void exit_hlt(struct vcpu *vcpu)
{
	struct vm_exit call = mk_exit(EXIT_VMCALL, 3), hlt = mk_exit(EXIT_HLT, 1);
	uint64_t *gpr = vcpu->bv->regs.gpr;

	gpr[GPR_RAX] = HC_TIMER_ONESHOT;
	gpr[GPR_RBX] = 0;
	gpr[GPR_RCX] = 0x44;
	CHECK_EQ(vcpu_handle_exit(vcpu, &call), 0);
	CHECK_EQ(gpr[GPR_RAX], 0);
	CHECK(!vcpu_irq_pending(vcpu));
	shim_set_cpu(0);
	vcpu_req_load(&vcpu->req);		/* HLT blocks on the running CPU */
	CHECK_EQ(vcpu_handle_exit(vcpu, &hlt), 0);
	vcpu_req_put(&vcpu->req);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1004);
	CHECK(vcpu_irq_pending(vcpu));
	vm_platform_inject_pending(vcpu);
	CHECK(fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(fake_vcpu(vcpu)->queued.type, EVENT_EXTINT);
	CHECK_EQ(fake_vcpu(vcpu)->queued.vector, 0x44);
	CHECK(!vcpu_irq_pending(vcpu));		/* cleared once injected */
}

static char console_seen[256];
static size_t console_seen_len;

static void console_capture(const char *s, size_t n)
{
	n = MIN(n, sizeof(console_seen) - 1 - console_seen_len);
	memcpy(console_seen + console_seen_len, s, n);
	console_seen_len += n;
	console_seen[console_seen_len] = '\0';
}

/*
 * The payload ABI: console (its line logged without the guest's control
 * characters and escape sequences), absent ports, the exit port, string
 * I/O.
 */
static void exit_io(struct vcpu *vcpu)
{
	static const char line[] = "\x1b[2J\x1b]0;t\x07\x1b[31mA\x1b[0m\x08\r\n";
	char want[64];
	struct vm_exit e = mk_exit(EXIT_IO, 1);
	uint64_t *rax = &vcpu->bv->regs.gpr[GPR_RAX];

	e.io.port = 0x60;
	e.io.size = 1;
	e.io.in = true;
	*rax = 0x12345600;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(*rax, 0x123456ff);		/* all ones, merged */
	e.io.size = 4;
	*rax = 0xabcdef0000000000ull;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(*rax, 0xffffffffull);		/* a 32-bit IN zero-extends */
	e.io.in = false;
	e.io.port = PAYLOAD_PORT_CONSOLE;
	e.io.size = 1;
	console_seen_len = 0;
	shim_set_console_write(console_capture);
	for (const char *c = line; *c; c++) {
		*rax = (uint8_t)*c;
		CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	}
	shim_set_console_write(NULL);
	snprintf(want, sizeof(want), "] [%s] A\n", vcpu->vm->name);
	CHECK(console_seen_len > strlen(want) &&
	      strcmp(console_seen + console_seen_len - strlen(want), want) == 0);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1000 + 2 + sizeof(line) - 1);
	CHECK(!vm_is_stopped(vcpu->vm));
	e.io.string = true;
	CHECK(vcpu_handle_exit(vcpu, &e) < 0);
	CHECK(strstr(vcpu->vm->stop_reason, "string I/O"));
}

static void exit_io_exit_port(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct vm_exit e = mk_exit(EXIT_IO, 1);

	e.io.port = PAYLOAD_PORT_EXIT;
	e.io.size = 1;
	vcpu->bv->regs.gpr[GPR_RAX] = 0x1207;	/* a byte: status 7 */
	CHECK(vcpu_handle_exit(vcpu, &e) < 0);
	CHECK_STR(vcpu->vm->stop_reason, "guest exit, status 7");
	CHECK(!vcpu->vm->stop_error);		/* not an error: no dump */
	rig_destroy(&rig);
}

static void exit_msr_read(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_MSR_READ, 2);
	uint64_t *gpr = vcpu->bv->regs.gpr;

	e.msr.index = MSR_IA32_MISC_ENABLE;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(gpr[GPR_RAX], MISC_ENABLE_FAST_STRINGS);
	CHECK_EQ(gpr[GPR_RDX], 0);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1002);
	vcpu->bv->regs.rip = 0x1000;
	e.msr.index = 0x12345678;		/* nobody's: #GP */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	expect_exception(vcpu, VEC_GP, true);
}

static void exit_msr_write(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_MSR_WRITE, 2);

	e.msr.index = MSR_IA32_MISC_ENABLE;	/* filtered: accepted */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1002);
	vcpu->bv->regs.rip = 0x1000;
	e.msr.index = 0x12345678;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	expect_exception(vcpu, VEC_GP, true);
}

static void exit_cr_access(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_CR_ACCESS, 3);

	expect_stop(vcpu, &e, "CR_ACCESS");
}

static void exit_dr_access(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_DR_ACCESS, 3);

	expect_stop(vcpu, &e, "DR_ACCESS");
}

/* Debug exits without a debugger (core/vcpu_debug.h): never intercepted, so a stop. */
static void exit_soft_int(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_SOFT_INT, 0);

	expect_stop(vcpu, &e, "SOFT_INT");
}

static void exit_mtf(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_MTF, 0);

	expect_stop(vcpu, &e, "MTF");
}

/* RAM inside the memslot is mapped; outside it the VM stops. */
static void exit_tdp_fault(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_TDP_FAULT, 0);
	gfn_t gfn = 0x5;

	e.gpa = gfn << PAGE_SHIFT;
	e.tdp.write = true;
	CHECK_EQ(tdp_mmu_page_fault(&vcpu->vm->mmu, &vcpu->srcu, e.gpa, TDP_ACC_WRITE),
		 TDP_FAULT_FIXED);		/* the first fault maps it ... */
	expect_nothing(vcpu, &e);		/* ... and a repeat is harmless */
	e.gpa = 0x200000;
	expect_stop(vcpu, &e, "touched guest-physical 0x200000 outside every memslot");
}

static void exit_tdp_misconfig(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_TDP_MISCONFIG, 0);

	expect_stop(vcpu, &e, "TDP misconfiguration");
}

static void exit_external_intr(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_EXTERNAL_INTR, 0);

	expect_nothing(vcpu, &e);
}

static void exit_nmi(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_NMI, 0);

	expect_nothing(vcpu, &e);
}

static void exit_smi(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_SMI, 0);

	expect_nothing(vcpu, &e);
}

static void exit_intr_window(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_INTR_WINDOW, 0);

	expect_nothing(vcpu, &e);
}

static void exit_nmi_window(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_NMI_WINDOW, 0);

	expect_nothing(vcpu, &e);
}

static void exit_triple_fault(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_TRIPLE_FAULT, 0);

	expect_stop(vcpu, &e, "triple fault");
}

/* The payload's hypercalls; an unknown one answers -1. */
static void exit_vmcall(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_VMCALL, 3);
	uint64_t *rax = &vcpu->bv->regs.gpr[GPR_RAX];

	*rax = HC_VCPU_ID;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(*rax, vcpu->id);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1003);
	*rax = 0x99;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(*rax, HC_ERROR);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
}

/* HC_TIMER_ONESHOT with RBX µs and RCX vector; returns RAX. */
static uint64_t timer_call(struct vcpu *vcpu, uint64_t us, uint64_t vector)
{
	struct vm_exit e = mk_exit(EXIT_VMCALL, 3);
	uint64_t *gpr = vcpu->bv->regs.gpr;

	gpr[GPR_RAX] = HC_TIMER_ONESHOT;
	gpr[GPR_RBX] = us;
	gpr[GPR_RCX] = vector;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK(!vm_is_stopped(vcpu->vm));
	return gpr[GPR_RAX];
}

/*
 * The one-shot timer's arguments: an exception vector (below 32) or one
 * above 255 is refused with HC_ERROR and arms nothing (not even the low
 * byte of 0x141); a delay whose nanoseconds pass 64 bits saturates to
 * "never" instead of wrapping into the past and firing at once.
 */
static void case_timer_call_arguments(void)
{
	static const uint64_t bad_vectors[] = {
		0, 2, 14, 31, 256, 0x141, 0x100000040ull, UINT64_MAX,
	};
	static const uint64_t huge_us[] = {
		UINT64_MAX, UINT64_MAX / 1000 + 1, 1ull << 54, UINT64_MAX / 1000,
	};
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	uint64_t now;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_vectors); i++) {
		CHECK_EQ(timer_call(vcpu, 10, bad_vectors[i]), HC_ERROR);
		CHECK(list_empty(&vcpu->timers.timers));
		CHECK_EQ(vtimer_next_deadline(&vcpu->timers), VTIMER_NEVER);
	}
	/* The bounds are accepted. */
	now = time_now_ns();
	CHECK_EQ(timer_call(vcpu, 1000000, 32), 0);
	CHECK(!list_empty(&vcpu->timers.timers));
	CHECK(vtimer_next_deadline(&vcpu->timers) >= now + 1000000000ull);
	CHECK_EQ(timer_call(vcpu, 1000000, 255), 0);

	for (unsigned int i = 0; i < ARRAY_SIZE(huge_us); i++) {
		CHECK_EQ(timer_call(vcpu, huge_us[i], 0x41), 0);
		now = time_now_ns();
		/* Far in the future, and nothing fires now. */
		CHECK(vtimer_next_deadline(&vcpu->timers) > now + 3600000000000ull);
		CHECK_EQ(vtimer_update_irq(&vcpu->timers, now), 0);
		CHECK(!vcpu_irq_pending(vcpu));
	}
	rig_destroy(&rig);
}

/* HC_IPI from vcpu with RBX target and RCX vector; returns RAX. */
static uint64_t ipi_call(struct vcpu *vcpu, uint64_t target, uint64_t vector)
{
	struct vm_exit e = mk_exit(EXIT_VMCALL, 3);
	uint64_t *gpr = vcpu->bv->regs.gpr;

	gpr[GPR_RAX] = HC_IPI;
	gpr[GPR_RBX] = target;
	gpr[GPR_RCX] = vector;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK(!vm_is_stopped(vcpu->vm));
	return gpr[GPR_RAX];
}

/*
 * The payloads' IPI: the vector becomes pending on the target vCPU only
 * (the sender itself may be the target); an exception vector, one above
 * 255, or a vCPU the VM does not have (not even after truncation to 32
 * bits) is refused with HC_ERROR and makes nothing pending anywhere.
 */
static void case_ipi_call(void)
{
	static const uint64_t bad[][2] = {	/* target, vector */
		{ 1, 0 }, { 1, 31 }, { 1, 256 }, { 1, 0x141 }, { 1, UINT64_MAX },
		{ 2, 0x40 }, { 64, 0x40 }, { 1ull << 32, 0x40 }, { UINT64_MAX, 0x40 },
	};
	struct vcpu *v0, *v1;

	rig_init(&rig, RIG_PAYLOAD, 2);
	v0 = rig_vcpu(&rig, 0);
	v1 = rig_vcpu(&rig, 1);
	v0->bv->regs.rip = 0x1000;
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(ipi_call(v0, bad[i][0], bad[i][1]), HC_ERROR);
		CHECK(!vcpu_irq_pending(v0));
		CHECK(!vcpu_irq_pending(v1));
	}
	CHECK_EQ(ipi_call(v0, 1, 0x40), 0);
	CHECK(vcpu_irq_pending(v1));
	CHECK(!vcpu_irq_pending(v0));
	CHECK_EQ(ipi_call(v0, 0, 255), 0);
	CHECK(vcpu_irq_pending(v0));
	rig_destroy(&rig);
}

/* A host with XSAVE: x87, SSE, AVX, and AVX-512 when xsetbv_host_avx512. */
static bool xsetbv_host_avx512;

static void xsetbv_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf == 1)
		out[2] = BIT(26);
	else if (leaf == 0xd && subleaf == 0)
		out[0] = xsetbv_host_avx512 ? 0xe7 : 0x07;
}

/*
 * XSETBV of ECX, EDX:EAX: taken (RIP past it, the guest's XCR0 = val), or
 * #GP(0) with RIP and the guest's XCR0 as they were.
 */
static void xsetbv_try(struct vcpu *vcpu, uint32_t ecx, uint64_t val, bool ok)
{
	struct vm_exit e = mk_exit(EXIT_XSETBV, 3);
	uint64_t *gpr = vcpu->bv->regs.gpr;
	uint64_t before = vcpu->bv->xs.xcr0;

	gpr[GPR_RCX] = ecx;
	gpr[GPR_RAX] = (uint32_t)val | 0xdead000000000000ull;	/* high halves ignored */
	gpr[GPR_RDX] = val >> 32;
	fake_vcpu(vcpu)->queued.valid = false;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	if (!ok) {
		expect_exception(vcpu, VEC_GP, true);
		CHECK_EQ(fake_vcpu(vcpu)->queued.error_code, 0);
		CHECK_EQ(vcpu->bv->xs.xcr0, before);
		return;
	}
	CHECK_EQ(vcpu->bv->regs.rip, 0x1003);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(vcpu->bv->xs.xcr0, val);
	vcpu->bv->regs.rip = 0x1000;
}

/*
 * XSETBV is checked as the CPU checks it, against what CPUID offers:
 * XCR0 only, x87 always, AVX with SSE, AVX-512 whole and with AVX.
 */
static void exit_xsetbv(struct vcpu *vcpu)
{
	shim_set_cpuid(xsetbv_host_cpuid);
	xsetbv_host_avx512 = false;
	vcpu->bv->xs.xcr0 = XCR0_RESET;
	xsetbv_try(vcpu, 1, 1, false);		/* XCR1: none */
	xsetbv_try(vcpu, 0, 0, false);		/* x87 clear */
	xsetbv_try(vcpu, 0, 2, false);
	xsetbv_try(vcpu, 0, 5, false);		/* AVX without SSE */
	xsetbv_try(vcpu, 0, 0xe7, false);		/* AVX-512: not offered here */
	xsetbv_try(vcpu, 0, 0x207, false);		/* PKRU: never offered */
	xsetbv_try(vcpu, 0, 0x100000007ull, false);	/* a bit of EDX */
	xsetbv_try(vcpu, 0, 3, true);
	xsetbv_try(vcpu, 0, 7, true);
	xsetbv_host_avx512 = true;
	xsetbv_try(vcpu, 0, 0x27, false);		/* part of AVX-512 */
	xsetbv_try(vcpu, 0, 0xe3, false);		/* AVX-512 without AVX */
	xsetbv_try(vcpu, 0, 0xe7, true);
	xsetbv_try(vcpu, 0, 1, true);
	shim_set_cpuid(NULL);
}

static void exit_exception(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_EXCEPTION, 0);

	expect_stop(vcpu, &e, "EXCEPTION");
}

static void exit_invlpg(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_INVLPG, 3);

	expect_stop(vcpu, &e, "INVLPG");
}

static void exit_init(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_INIT, 0);

	expect_stop(vcpu, &e, "INIT");
}

static void exit_sipi(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_SIPI, 0);

	expect_stop(vcpu, &e, "SIPI");
}

/* The backend's reason for refusing the entry reaches the stop message. */
static void exit_invalid_state(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_INVALID_STATE, 0);

	e.invalid.why = "guest CS.L and CS.D both set";
	expect_stop(vcpu, &e, "the CPU refused the guest state: guest CS.L and CS.D both set");
}

static void exit_virt_insn(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_VIRT_INSN, 3);

	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	expect_exception(vcpu, VEC_UD, false);
}

static void exit_pause(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_PAUSE, 2);

	expect_nothing(vcpu, &e);
}

static void exit_preempt_timer(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_PREEMPT_TIMER, 0);

	expect_nothing(vcpu, &e);
}

static void exit_rdtsc(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_RDTSC, 2);

	expect_stop(vcpu, &e, "RDTSC");
}

static void exit_rdtscp(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_RDTSCP, 3);

	/* Hidden by CPUID, intercepted under SVM: #UD, RIP stays. */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	expect_exception(vcpu, VEC_UD, false);
}

static void exit_rdpmc(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_RDPMC, 2);

	expect_stop(vcpu, &e, "RDPMC");
}

static void exit_invd(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_INVD, 2);

	expect_stop(vcpu, &e, "INVD");
}

static void exit_wbinvd(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_WBINVD, 2);

	/* A no-op without assigned devices: RIP moves on, nothing injected. */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1002);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK(!vm_is_stopped(vcpu->vm));
}

static void exit_monitor(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_MONITOR, 3);

	expect_stop(vcpu, &e, "MONITOR");
}

static void exit_mwait(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_MWAIT, 3);

	expect_stop(vcpu, &e, "MWAIT");
}

static void exit_iret(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_IRET, 1);

	expect_nothing(vcpu, &e);
}

static void exit_task_switch(struct vcpu *vcpu)
{
	struct vm_exit e = mk_exit(EXIT_TASK_SWITCH, 0);

	expect_stop(vcpu, &e, "TASK_SWITCH");
}

/*
 * Every reason of enum vm_exit_reason, indexed by it. A reason added to
 * core/exit.h without a case here fails case_every_exit_reason.
 */
static void (*const exit_cases[EXIT_NR])(struct vcpu *vcpu) = {
	[EXIT_UNKNOWN] = exit_unknown,
	[EXIT_CPUID] = exit_cpuid,
	[EXIT_HLT] = exit_hlt,
	[EXIT_IO] = exit_io,
	[EXIT_MSR_READ] = exit_msr_read,
	[EXIT_MSR_WRITE] = exit_msr_write,
	[EXIT_CR_ACCESS] = exit_cr_access,
	[EXIT_DR_ACCESS] = exit_dr_access,
	[EXIT_TDP_FAULT] = exit_tdp_fault,
	[EXIT_TDP_MISCONFIG] = exit_tdp_misconfig,
	[EXIT_EXTERNAL_INTR] = exit_external_intr,
	[EXIT_NMI] = exit_nmi,
	[EXIT_SMI] = exit_smi,
	[EXIT_INTR_WINDOW] = exit_intr_window,
	[EXIT_NMI_WINDOW] = exit_nmi_window,
	[EXIT_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_VMCALL] = exit_vmcall,
	[EXIT_XSETBV] = exit_xsetbv,
	[EXIT_EXCEPTION] = exit_exception,
	[EXIT_INVLPG] = exit_invlpg,
	[EXIT_INIT] = exit_init,
	[EXIT_SIPI] = exit_sipi,
	[EXIT_INVALID_STATE] = exit_invalid_state,
	[EXIT_VIRT_INSN] = exit_virt_insn,
	[EXIT_PAUSE] = exit_pause,
	[EXIT_RDTSC] = exit_rdtsc,
	[EXIT_RDTSCP] = exit_rdtscp,
	[EXIT_RDPMC] = exit_rdpmc,
	[EXIT_INVD] = exit_invd,
	[EXIT_WBINVD] = exit_wbinvd,
	[EXIT_MONITOR] = exit_monitor,
	[EXIT_MWAIT] = exit_mwait,
	[EXIT_IRET] = exit_iret,
	[EXIT_TASK_SWITCH] = exit_task_switch,
	[EXIT_SOFT_INT] = exit_soft_int,
	[EXIT_MTF] = exit_mtf,
	[EXIT_PREEMPT_TIMER] = exit_preempt_timer,
};
_Static_assert(ARRAY_SIZE(exit_cases) == EXIT_NR, "one case per exit reason");

static void case_every_exit_reason(void)
{
	for (unsigned int r = 0; r < EXIT_NR; r++) {
		int failed_before = check_case_failed;

		if (!exit_cases[r]) {
			fprintf(stderr, "  exit reason %u (%s) has no case\n", r,
				exit_reason_name(r));
			check_case_failed = 1;
			continue;
		}
		check_case_failed = 0;
		exit_cases[r](setup(RIG_PAYLOAD));
		rig_destroy(&rig);
		if (check_case_failed)
			fprintf(stderr, "  ... in the case of exit reason %s\n", exit_reason_name(r));
		check_case_failed |= failed_before;
	}
}

/* An exit the backend handled is only counted. */
static void case_handled_exit(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct vm_exit e = mk_exit(EXIT_TRIPLE_FAULT, 0);

	e.handled = true;
	expect_nothing(vcpu, &e);
	rig_destroy(&rig);
}

/* --- The loop --------------------------------------------------------------- */

static void set_timer_call(struct fake_vcpu *f, struct vm_exit *exit)
{
	uint64_t *gpr = f->bv.regs.gpr;

	gpr[GPR_RAX] = HC_TIMER_ONESHOT;
	gpr[GPR_RBX] = f->arg;		/* µs */
	gpr[GPR_RCX] = 0x41;
	exit->insn_len = 3;
	exit->guest.mode = GUEST_MODE_PROT32;
}

static void page_fault_in_delivery(struct fake_vcpu *f, struct vm_exit *exit)
{
	exit->gpa = 0x3000;
	exit->gpa_valid = true;
	exit->tdp.write = true;
	exit->event = (struct vm_event){
		.valid = true, .type = EVENT_EXCEPTION, .vector = VEC_PF,
		.has_error = true, .error_code = 2,
	};
	f->bv.regs.rflags |= X86_RFLAGS_IF;
}

/*
 * The interrupted #PF is delivered at the next entry, before the timer's
 * interrupt that has been pending since the first exit; that one follows
 * at the entry after the window exit.
 */
static void case_reinject_interrupted_event(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct fake_vcpu *f = fake_vcpu(vcpu);

	f->bv.regs.rflags = X86_RFLAGS_FIXED;	/* IF clear at first */
	f->arg = 0;
	fake_push_hook(f, EXIT_VMCALL, set_timer_call);
	fake_push_hook(f, EXIT_TDP_FAULT, page_fault_in_delivery);
	fake_push(f, EXIT_INTR_WINDOW, 0);
	shim_set_cpu(0);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_STR(vcpu->vm->stop_reason, "script over");
	CHECK_EQ(f->nr_delivered, 2);
	CHECK_EQ(f->delivered[0].type, EVENT_EXCEPTION);
	CHECK_EQ(f->delivered[0].vector, VEC_PF);
	CHECK_EQ(f->delivered[0].error_code, 2);
	CHECK_EQ(f->delivered_at[0], 2);
	CHECK_EQ(f->delivered[1].type, EVENT_EXTINT);
	CHECK_EQ(f->delivered[1].vector, 0x41);
	CHECK_EQ(f->delivered_at[1], 3);
	CHECK(f->intr_windows_opened >= 1);
	CHECK(!f->loaded);
	CHECK_EQ(vcpu->exits[EXIT_TDP_FAULT], 1);
	CHECK_EQ(vcpu->exits_total, 4);
	rig_destroy(&rig);
}

/*
 * Every entry tells the backend the deadline the host timer was armed
 * for: none before the guest's one-shot, its deadline after. A
 * preemption timer's exit only goes back round the loop.
 */
static void case_run_deadline(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	uint64_t before = time_now_ns();

	f->bv.regs.rflags = X86_RFLAGS_FIXED;	/* IF clear: the tick stays pending */
	f->arg = 1000000;			/* 1 s: not due during the test */
	fake_push_hook(f, EXIT_VMCALL, set_timer_call);
	fake_push(f, EXIT_PREEMPT_TIMER, 0);
	fake_push(f, EXIT_PREEMPT_TIMER, 0);
	shim_set_cpu(0);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_STR(vcpu->vm->stop_reason, "script over");
	CHECK(!vcpu->vm->stop_error);
	CHECK_EQ(f->runs, 4);
	CHECK_EQ(f->entry_deadline[0], UINT64_MAX);
	CHECK_EQ(f->entry_timer[0], UINT64_MAX);
	for (unsigned int i = 1; i < 4; i++) {
		CHECK(f->entry_deadline[i] >= before + 1000000000ull);
		CHECK(f->entry_deadline[i] < UINT64_MAX);
		CHECK_EQ(f->entry_deadline[i], f->entry_timer[i]);
	}
	CHECK_EQ(vcpu->exits[EXIT_PREEMPT_TIMER], 2);
	CHECK_EQ(f->nr_delivered, 0);
	rig_destroy(&rig);
}

/*
 * The flight recorder follows the loop of case_reinject_interrupted_event:
 * each exit in order with the event the next entry injected (the #PF
 * again, then the timer's interrupt) and the cycles to that entry; the
 * last exit, after which the loop ended, stays open. The cycles add up
 * per reason. With trace=0 the exits are counted and timed, not recorded.
 */
static void run_recorded_script(struct vcpu *vcpu)
{
	struct fake_vcpu *f = fake_vcpu(vcpu);

	f->bv.regs.rflags = X86_RFLAGS_FIXED;
	f->arg = 0;
	fake_push_hook(f, EXIT_VMCALL, set_timer_call);
	fake_push_hook(f, EXIT_TDP_FAULT, page_fault_in_delivery);
	fake_push(f, EXIT_INTR_WINDOW, 0);
	shim_set_cpu(0);
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK_STR(vcpu->vm->stop_reason, "script over");
	CHECK(!vcpu->vm->stop_error);
	CHECK_EQ(vcpu->exits_total, 4);
	CHECK(vcpu->exit_cycles[EXIT_VMCALL] > 0);
	CHECK(vcpu->exit_cycles[EXIT_TDP_FAULT] > 0);
	CHECK(vcpu->exit_cycles[EXIT_INTR_WINDOW] > 0);
	CHECK_EQ(vcpu->exit_cycles[EXIT_PAUSE], 0);	/* no entry after it */
}

static void case_recorder_follows_the_loop(void)
{
	static const uint8_t reasons[4] = {
		EXIT_VMCALL, EXIT_TDP_FAULT, EXIT_INTR_WINDOW, EXIT_PAUSE,
	};
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct exit_rec_entry e[4];

	CHECK_EQ(exit_rec_len(&vcpu->rec), EXIT_REC_DEFAULT_LEN);
	CHECK_EQ((uintptr_t)vcpu->rec.ring % 64, 0);
	run_recorded_script(vcpu);
	CHECK_EQ(exit_rec_head(&vcpu->rec), 4);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK(exit_rec_read(&vcpu->rec, i, &e[i]));
		CHECK_EQ(e[i].reason, reasons[i]);
		CHECK_EQ(exit_rec_entry_state(&e[i]), i < 3 ? EXIT_REC_DONE : EXIT_REC_OPEN);
		if (i)
			CHECK(e[i].tsc >= e[i - 1].tsc + e[i - 1].cycles);
	}
	CHECK_EQ(e[0].rip, 0x1000);
	CHECK_EQ(e[0].ev_type, EXIT_REC_EV_NONE);	/* IF clear: the window is asked for */
	CHECK_EQ(e[1].gpa, 0x3000);
	CHECK_EQ(e[1].ev_type, EVENT_EXCEPTION);
	CHECK_EQ(e[1].ev_vector, VEC_PF);
	CHECK_EQ(e[1].ev_has_error, 1);
	CHECK_EQ(e[1].ev_error, 2);
	CHECK_EQ(e[2].ev_type, EVENT_EXTINT);
	CHECK_EQ(e[2].ev_vector, 0x41);
	CHECK_EQ(e[3].cycles, 0);
	for (unsigned int i = 0; i < 3; i++) {
		CHECK(e[i].cycles > 0);
		CHECK_EQ(vcpu->exit_cycles[reasons[i]], e[i].cycles);
	}
	rig_destroy(&rig);

	exit_rec_set_default_len(0);
	vcpu = setup(RIG_PAYLOAD);
	CHECK(vcpu->rec.ring == NULL);
	run_recorded_script(vcpu);
	CHECK_EQ(exit_rec_head(&vcpu->rec), 0);
	CHECK(!exit_rec_read(&vcpu->rec, 0, &e[0]));
	rig_destroy(&rig);
	exit_rec_set_default_len(EXIT_REC_DEFAULT_LEN);
}

/* HLT blocks until the one-shot timer's interrupt, which is then injected. */
static void case_hlt_wakes_on_timer(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	uint64_t start;

	f->arg = 20000;				/* 20 ms */
	fake_push_hook(f, EXIT_VMCALL, set_timer_call);
	fake_push(f, EXIT_HLT, 1);
	shim_set_cpu(0);
	start = time_now_ns();
	CHECK_EQ(vcpu_run(vcpu), 0);
	CHECK(time_now_ns() - start >= 20000000ull);
	CHECK_EQ(f->runs, 3);
	CHECK_EQ(f->entry_rip[2], 0x1004);	/* past VMCALL and HLT */
	CHECK_EQ(f->nr_delivered, 1);
	CHECK_EQ(f->delivered[0].vector, 0x41);
	CHECK_EQ(f->delivered_at[0], 2);
	rig_destroy(&rig);
}

/*
 * HLT with interrupts off and nothing pending blocks for good; a request
 * from another thread (a remote TLB flush) is serviced during the halt
 * but does not end it: the guest is not entered again until the VM stops.
 */
static void case_hlt_survives_request(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct worker w;

	f->bv.regs.rflags = X86_RFLAGS_FIXED;
	fake_push(f, EXIT_HLT, 1);
	worker_start(&w, 1, rig_vcpu_thread, vcpu);
	CHECK(rig_wait_blocked(vcpu));
	rig_sleep_ms(20);
	CHECK(vcpu_is_blocked(&vcpu->req));
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 1);
	vm_flush_remote_tlbs(vcpu->vm);		/* returns once the vCPU took it */
	CHECK(rig_wait_blocked(vcpu));		/* back in its halt */
	rig_sleep_ms(20);
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 1);
	CHECK_EQ(__atomic_load_n(&f->tlb_flushes[BACKEND_TLB_TDP], __ATOMIC_RELAXED), 1);
	vm_stop(vcpu->vm, "stopped by the test");
	worker_join(&w);
	CHECK_EQ(f->runs, 1);
	CHECK_STR(vcpu->vm->stop_reason, "stopped by the test");
	rig_destroy(&rig);
}

/* A timer of the test's own on vCPU 0: counts the ticks it delivers. */
static uint32_t near_ticks;	/* atomic */

static void near_timer_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
			    unsigned int ticks)
{
	__atomic_fetch_add(&near_ticks, ticks, __ATOMIC_RELEASE);
}

static const struct vtimer_sink near_timer_sink = {
	.fire = near_timer_fire,
};

/*
 * A timer armed on a halted vCPU from another CPU kicks it. The vCPU arms
 * its one-shot 10 s ahead and halts with interrupts off; with the halt
 * model its CPU sleeps until that deadline or a kick. Once it sleeps,
 * the test's thread (another CPU, as a PIT or RTC reprogrammed by an AP)
 * arms a 20 ms timer on the vCPU's list: the kick must wake the CPU, which
 * re-arms for 20 ms, so the tick arrives long before 10 s. The kick does
 * not end the halt: the vCPU enters no more until the VM stops.
 */
static void case_hlt_rearms_on_timer_kick(void)
{
	struct vcpu *vcpu = setup(RIG_PAYLOAD);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	uint64_t start, now;
	struct vtimer near;
	struct worker w;

	shim_set_halt_model(true);
	__atomic_store_n(&near_ticks, 0, __ATOMIC_RELAXED);
	f->bv.regs.rflags = X86_RFLAGS_FIXED;	/* IF clear: the HLT lasts */
	f->arg = 10000000;			/* 10 s */
	fake_push_hook(f, EXIT_VMCALL, set_timer_call);
	fake_push(f, EXIT_HLT, 1);
	vtimer_init(&near, &vcpu->timers, &near_timer_sink, NULL, 0, VTIMER_NO_MISSED);
	worker_start(&w, 1, rig_vcpu_thread, vcpu);
	CHECK(rig_wait_blocked(vcpu));
	start = time_now_ns();
	while (!shim_cpu_halted(1) && time_now_ns() - start < 5000000000ull)
		shim_pause();
	CHECK(shim_cpu_halted(1));

	now = time_now_ns();
	vtimer_start(&near, &vcpu->timers, now, now + 20000000ull, 0);
	start = time_now_ns();
	while (!__atomic_load_n(&near_ticks, __ATOMIC_ACQUIRE) &&
	       time_now_ns() - start < 2000000000ull)
		shim_pause();
	CHECK_EQ(__atomic_load_n(&near_ticks, __ATOMIC_ACQUIRE), 1);
	CHECK(vcpu_is_blocked(&vcpu->req));
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 2);

	vm_stop(vcpu->vm, "stopped by the test");
	worker_join(&w);
	CHECK_EQ(f->runs, 2);
	CHECK_EQ(f->nr_delivered, 0);
	CHECK(vcpu->req.serviced[VCPU_REQ_TIMER] >= 1);
	vtimer_destroy(&near);
	shim_set_halt_model(false);
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_every_exit_reason);
	RUN(case_handled_exit);
	RUN(exit_io_exit_port);
	RUN(case_timer_call_arguments);
	RUN(case_ipi_call);
	RUN(case_reinject_interrupted_event);
	RUN(case_run_deadline);
	RUN(case_recorder_follows_the_loop);
	RUN(case_hlt_wakes_on_timer);
	RUN(case_hlt_survives_request);
	RUN(case_hlt_rearms_on_timer_kick);
	return check_done();
}
