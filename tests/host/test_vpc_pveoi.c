/*
 * Hosted test of KVM's PV EOI on the virtual PC (core/pc/vpc_pveoi.c, the
 * local APIC's arming in core/pc/dev/vlapic.c, the platform's exit_begin
 * in the run loop) with the fake backend of
 * tests/host/test_vcpu_run_harness.h.
 *
 * Cases: the feature bit and the MSR with paravirt=kvm only; an
 * edge-triggered interrupt alone in service sets the guest's bit, and the
 * guest's clearing it retires the vector at the next exit (with PV EOI
 * off, the same steps leave it in service); a guest that writes the EOI
 * register anyway with its bit still set retires the vector once, its
 * bit cleared; a level-triggered vector, a second vector in service and
 * one waiting in IRR never set the bit; an interrupt accepted while the
 * bit is set kicks the vCPU whatever its priority; a HLT exit after the
 * guest cleared its bit sees a vector of the same priority class waiting
 * (the run loop's exit_begin); bad addresses refused with one log line;
 * INIT turns it off.
 */
#include "asm/cpuid.h"
#include "asm/kvm_para.h"
#include "core/pc/vpc_priv.h"
#include "core/vcpu_request.h"
#include "tests/host/test_vcpu_run_harness.h"

#define CPUID_KVM_FEATURES 0x40000101u
#define WORD_GPA           0x3000u

static struct rig rig;
static bool pv_on;

static void pc_params(struct vpc_params *pp)
{
	pp->kvm_paravirt = pv_on;
}

/*
 * vCPU 0 of a fresh PC VM, runnable with IF set, its local APIC software
 * enabled in xAPIC mode; with pv_eoi, its PV EOI word at WORD_GPA.
 */
static struct vcpu *setup(bool kvm, bool pv_eoi)
{
	struct guest_state st;
	struct vcpu *vcpu;

	pv_on = kvm;
	rig_pc_params = pc_params;
	rig_init(&rig, RIG_PC, 1);
	rig_pc_params = NULL;
	CHECK_EQ(rig.pc_err, 0);
	vcpu = rig_vcpu(&rig, 0);
	guest_state_init_flat32(&st, 0x1000, 0x08, 0x10);
	st.regs.rflags |= X86_RFLAGS_IF;
	CHECK_EQ(vpc_vcpu_set_start(vcpu, &st), 0);
	vlapic_mmio_write(&vpc_vcpu_of(vcpu)->lapic, APIC_REG_SVR, 4, 0x1ff);
	if (pv_eoi)
		CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_PV_EOI_EN,
					   WORD_GPA | KVM_PV_EOI_EN_ENABLE), 0);
	return vcpu;
}

static uint8_t *word(void)
{
	return (uint8_t *)phys_to_virt(rig.ram) + WORD_GPA;
}

static struct vlapic *lapic_of(struct vcpu *vcpu)
{
	return &vpc_vcpu_of(vcpu)->lapic;
}

/* The local APIC's ISR, IRR or TMR bit of vec (xAPIC page reads). */
static bool apic_bit(struct vcpu *vcpu, unsigned int reg, uint8_t vec)
{
	uint64_t v;

	vlapic_mmio_read(lapic_of(vcpu), reg + (vec / 32) * 16, 4, &v);
	return v >> (vec % 32) & 1;
}

static bool in_service(struct vcpu *vcpu, uint8_t vec)
{
	return apic_bit(vcpu, APIC_REG_ISR, vec);
}

/* vec arrives (edge unless level), is injected and taken by the guest at an entry. */
static void deliver(struct vcpu *vcpu, uint8_t vec, bool level)
{
	struct fake_vcpu *f = fake_vcpu(vcpu);

	vlapic_set_irq(lapic_of(vcpu), vec, level);
	vm_platform_inject_pending(vcpu);
	CHECK(f->queued.valid);
	CHECK_EQ(f->queued.vector, vec);
	fake_enter(f);
	CHECK(in_service(vcpu, vec));
}

static uint64_t taken(struct vcpu *vcpu)
{
	return vpc_vcpu_of(vcpu)->pv_eoi.taken;
}

/* KVM_FEATURE_PV_EOI and its MSR: paravirt=kvm only. */
static void case_offered(void)
{
	struct vcpu *vcpu = setup(true, false);
	uint32_t r[4];
	uint64_t v = 1;

	cpuid_policy(vcpu, CPUID_KVM_FEATURES, 0, 0, r);
	CHECK(r[0] & KVM_FEATURE_PV_EOI);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_PV_EOI_EN, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_PV_EOI_EN, WORD_GPA | 1), 0);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_PV_EOI_EN, &v), 0);
	CHECK_EQ(v, WORD_GPA | 1);
	rig_destroy(&rig);

	vcpu = setup(false, false);
	cpuid_policy(vcpu, CPUID_KVM_FEATURES, 0, 0, r);
	CHECK_EQ(r[0], 0);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_PV_EOI_EN, WORD_GPA | 1), -ENOENT);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_PV_EOI_EN, &v), -ENOENT);
	rig_destroy(&rig);
}

/*
 * On: the injection sets the bit; the guest clears it; the next exit
 * retires the vector, and the next entry leaves the bit clear. Off: the
 * same steps leave the vector in service until the EOI register's write.
 */
static void case_eoi_through_word(void)
{
	struct vcpu *vcpu = setup(true, true);

	deliver(vcpu, 0xec, false);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);
	*word() &= (uint8_t)~KVM_PV_EOI_PENDING;	/* the guest's EOI */
	vm_platform_exit_begin(vcpu);
	CHECK(!in_service(vcpu, 0xec));
	CHECK_EQ(taken(vcpu), 1);
	vm_platform_inject_pending(vcpu);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(*word(), 0);

	/* Again: the next interrupt uses the word as well. */
	deliver(vcpu, 0xec, false);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);
	*word() = 0;
	vm_platform_inject_pending(vcpu);	/* read back before an injection too */
	CHECK(!in_service(vcpu, 0xec));
	CHECK_EQ(taken(vcpu), 2);
	rig_destroy(&rig);

	vcpu = setup(true, false);
	deliver(vcpu, 0xec, false);
	CHECK_EQ(*word(), 0);
	vm_platform_exit_begin(vcpu);
	vm_platform_inject_pending(vcpu);
	CHECK(in_service(vcpu, 0xec));
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);
	CHECK(!in_service(vcpu, 0xec));
	CHECK_EQ(taken(vcpu), 0);
	rig_destroy(&rig);
}

/*
 * A guest that ignores its bit: the exit of its EOI write clears the bit,
 * the write retires the vector, nothing is retired twice.
 */
static void case_eoi_register_anyway(void)
{
	struct vcpu *vcpu = setup(true, true);

	deliver(vcpu, 0x40, false);
	deliver(vcpu, 0x50, false);		/* nested: two in service */
	CHECK_EQ(*word(), 0);
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);	/* 0x50's */
	vm_platform_inject_pending(vcpu);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);	/* 0x40 alone now */
	vm_platform_exit_begin(vcpu);		/* the exit of the EOI write */
	CHECK_EQ(*word(), 0);
	CHECK(in_service(vcpu, 0x40));
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);
	CHECK(!in_service(vcpu, 0x40));
	vm_platform_inject_pending(vcpu);
	CHECK_EQ(*word(), 0);
	CHECK_EQ(taken(vcpu), 0);

	/* A guest that clears the bit and writes the register too: one EOI, not two. */
	deliver(vcpu, 0x40, false);
	deliver(vcpu, 0x60, false);
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);	/* 0x60's */
	vm_platform_inject_pending(vcpu);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);
	*word() = 0;
	vm_platform_exit_begin(vcpu);
	CHECK(!in_service(vcpu, 0x40));
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);	/* nothing left */
	CHECK_EQ(taken(vcpu), 1);
	rig_destroy(&rig);
}

/* Level-triggered, a second vector in service, a vector in IRR: the bit stays clear. */
static void case_not_armed(void)
{
	struct vcpu *vcpu = setup(true, true);

	deliver(vcpu, 0x41, true);
	CHECK(apic_bit(vcpu, APIC_REG_TMR, 0x41));
	CHECK_EQ(*word(), 0);
	vm_platform_exit_begin(vcpu);
	vm_platform_inject_pending(vcpu);
	CHECK_EQ(*word(), 0);
	CHECK(in_service(vcpu, 0x41));
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);
	CHECK(!in_service(vcpu, 0x41));

	/* A lower vector waits behind the one in service. */
	deliver(vcpu, 0x80, false);
	*word() = 0;
	vm_platform_exit_begin(vcpu);		/* the guest took the word's EOI */
	deliver(vcpu, 0x80, false);
	vlapic_set_irq(lapic_of(vcpu), 0x30, false);
	vm_platform_exit_begin(vcpu);
	vm_platform_inject_pending(vcpu);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK(apic_bit(vcpu, APIC_REG_IRR, 0x30));
	CHECK_EQ(*word(), 0);
	CHECK_EQ(taken(vcpu), 1);
	rig_destroy(&rig);
}

/* While the bit is set, an interrupt the priorities would hold back still kicks. */
static void case_kick_while_armed(void)
{
	struct vcpu *vcpu = setup(true, true);

	deliver(vcpu, 0xec, false);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);
	while (vcpu_check_request(&vcpu->req, VCPU_REQ_EVENT))
		;
	vlapic_set_irq(lapic_of(vcpu), 0xe1, false);	/* class 0xe0: below ISR's 0xec */
	CHECK(vcpu_test_request(&vcpu->req, VCPU_REQ_EVENT));
	*word() = 0;
	vm_platform_exit_begin(vcpu);
	CHECK(vcpu_irq_pending(vcpu));
	vm_platform_inject_pending(vcpu);
	CHECK_EQ(fake_vcpu(vcpu)->queued.vector, 0xe1);
	rig_destroy(&rig);

	/* Not armed: the same interrupt is held back without a kick. */
	vcpu = setup(true, false);
	deliver(vcpu, 0xec, false);
	while (vcpu_check_request(&vcpu->req, VCPU_REQ_EVENT))
		;
	vlapic_set_irq(lapic_of(vcpu), 0xe1, false);
	CHECK(!vcpu_test_request(&vcpu->req, VCPU_REQ_EVENT));
	rig_destroy(&rig);
}

/* The guest's EOI through its word, then the timer's vector again, then HLT. */
static void hlt_hook(struct fake_vcpu *f, struct vm_exit *exit)
{
	*word() = 0;
	vlapic_set_irq(&vpc_vcpu_of(f->vcpu)->lapic, 0xec, false);
}

/*
 * The run loop: HLT after a PV EOI with the same vector pending again
 * does not block, the vector is injected at the next entry.
 */
static void case_run_loop_hlt(void)
{
	struct vcpu *vcpu = setup(true, true);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	uint64_t deadline;
	struct worker w;

	vlapic_set_irq(lapic_of(vcpu), 0xec, false);
	fake_push_hook(f, EXIT_HLT, hlt_hook);
	f->script[0].exit.insn_len = 1;
	worker_start(&w, 1, rig_vcpu_thread, vcpu);
	deadline = time_now_ns() + 2000000000ull;
	while (__atomic_load_n(&f->runs, __ATOMIC_RELAXED) < 2 && time_now_ns() < deadline)
		shim_pause();
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 2);
	if (__atomic_load_n(&f->runs, __ATOMIC_RELAXED) < 2)
		vpc_lapic_ops.nmi(vcpu);	/* blocked: wake it so the test ends */
	worker_join(&w);
	CHECK_EQ(f->nr_delivered, 2);
	CHECK_EQ(f->delivered[1].vector, 0xec);
	CHECK_EQ(taken(vcpu), 1);
	rig_destroy(&rig);
}

static char logged[4096];
static size_t logged_len;

static void log_capture(const char *s, size_t n)
{
	n = MIN(n, sizeof(logged) - 1 - logged_len);
	memcpy(logged + logged_len, s, n);
	logged_len += n;
	logged[logged_len] = '\0';
}

static unsigned int count_lines(const char *what)
{
	unsigned int n = 0;

	for (const char *p = logged; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/*
 * Misaligned, past RAM, in the ROM, wrapping: not used (no byte of RAM
 * changes, the MSR keeps its value, no #GP), the first logged once.
 */
static void case_bad_addresses(void)
{
	const uint64_t bad[] = {
		0x3002, GUEST_PAGES * PAGE_SIZE - 2, GUEST_PAGES * PAGE_SIZE,
		0xf0000, 0xc0000, 0xfffffffffffffffcull, 0x100000000ull,
	};
	struct vcpu *vcpu = setup(true, false);
	uint8_t *ram = phys_to_virt(rig.ram);
	uint64_t v;

	logged_len = 0;
	logged[0] = '\0';
	shim_set_console_write(log_capture);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t val = bad[i] | KVM_PV_EOI_EN_ENABLE;

		CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_PV_EOI_EN, val), 0);
		CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_PV_EOI_EN, &v), 0);
		CHECK_EQ(v, val);
		CHECK(!vpc_vcpu_of(vcpu)->pv_eoi.on);
		deliver(vcpu, 0x40, false);
		vlapic_mmio_write(lapic_of(vcpu), APIC_REG_EOI, 4, 0);
	}
	shim_set_console_write(NULL);
	for (size_t i = 0; i < GUEST_PAGES * PAGE_SIZE; i++)
		if (ram[i]) {
			CHECK_EQ(ram[i], 0);
			break;
		}
	CHECK_EQ(count_lines("MSR_KVM_PV_EOI_EN: guest-physical 0x3002 is not a 4-byte aligned word inside RAM"), 1);
	CHECK_EQ(count_lines("MSR_KVM_PV_EOI_EN"), 1);
	/* The last word of RAM below the ROM is good. */
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_PV_EOI_EN, 0xbfffc | 1), 0);
	CHECK(vpc_vcpu_of(vcpu)->pv_eoi.on);
	deliver(vcpu, 0x40, false);
	CHECK_EQ(ram[0xbfffc], KVM_PV_EOI_PENDING);
	rig_destroy(&rig);
}

/* INIT: the MSR reads 0 and the word is left alone. */
static void case_init(void)
{
	struct vcpu *vcpu = setup(true, true);
	uint64_t v;

	deliver(vcpu, 0x40, false);
	CHECK_EQ(*word(), KVM_PV_EOI_PENDING);
	*word() = 0;
	__atomic_store_n(&vpc_vcpu_of(vcpu)->init_pending, 1, __ATOMIC_RELEASE);
	vm_platform_vcpu_runnable(vcpu);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_PV_EOI_EN, &v), 0);
	CHECK_EQ(v, 0);
	CHECK(!vpc_vcpu_of(vcpu)->pv_eoi.on);
	CHECK(!in_service(vcpu, 0x40));
	CHECK_EQ(taken(vcpu), 0);
	vlapic_mmio_write(lapic_of(vcpu), APIC_REG_SVR, 4, 0x1ff);
	vpc_vcpu_of(vcpu)->mp_state = VPC_MP_RUNNABLE;
	fake_vcpu(vcpu)->bv.regs.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
	deliver(vcpu, 0x40, false);
	CHECK_EQ(*word(), 0);
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_offered);
	RUN(case_eoi_through_word);
	RUN(case_eoi_register_anyway);
	RUN(case_not_armed);
	RUN(case_kick_while_armed);
	RUN(case_run_loop_hlt);
	RUN(case_bad_addresses);
	RUN(case_init);
	return check_done();
}
