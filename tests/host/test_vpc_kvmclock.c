/*
 * Hosted test of KVM's paravirtual clock (core/pvclock.c,
 * core/pc/vpc_kvmclock.c) on a VM with the virtual PC and the fake
 * backend of tests/host/test_vcpu_run_harness.h.
 *
 * Cases: the scale from a TSC rate reproduces, by the guest's formula,
 * the ns of a delta within 1 ns per second for rates from 1 MHz to
 * 20 GHz and at the edges of every shift; KVM's CPUID leaves at
 * 0x40000100 with paravirt=kvm only; MSR_KVM_SYSTEM_TIME_NEW writing the
 * structure (the guest's TSC with the backend's offset, the VM's clock,
 * an even version) and refusing a misaligned address, one outside RAM,
 * the ROM and a wrapping one with one log line; the old MSRs' #GP;
 * the rewrite at a load, the run loop's included; the stable bit only with an invariant host TSC
 * and one offset; the wall clock at the VM's clock zero; INIT.
 */
#include "asm/cpu.h"
#include "asm/cpuid.h"
#include "asm/kvm_para.h"
#include "asm/tsc.h"
#include "core/pc/vpc_priv.h"
#include "core/pvclock.h"
#include "tests/host/test_vcpu_run_harness.h"

#define CPUID_KVM_BASE 0x40000100u
#define NS_PER_SEC     1000000000ull

static struct rig rig;
static bool pv_on, host_invtsc;

static void pc_params(struct vpc_params *pp)
{
	pp->kvm_paravirt = pv_on;
}

/* The host: the machine's CPUID, with leaf 0x80000007's invariant TSC as the case sets it. */
static void fake_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	__asm__ __volatile__("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			     : "a"(leaf), "c"(subleaf));
	if (leaf == CPUID_EXT_MAX && out[0] < CPUID_EXT_POWER)
		out[0] = CPUID_EXT_POWER;
	if (leaf == CPUID_EXT_POWER)
		out[3] = host_invtsc ? CPUID_80000007_EDX_INVTSC : 0;
}

static struct vcpu *setup(unsigned int nr_vcpus, bool kvm, bool invtsc)
{
	pv_on = kvm;
	host_invtsc = invtsc;
	shim_set_cpuid(fake_cpuid);
	rig_pc_params = pc_params;
	rig_init(&rig, RIG_PC, nr_vcpus);
	rig_pc_params = NULL;
	CHECK_EQ(rig.pc_err, 0);
	return rig_vcpu(&rig, 0);
}

static void teardown(void)
{
	rig_destroy(&rig);
	shim_set_cpuid(NULL);
}

static struct pvclock_vcpu_time_info *pvti_at(uint64_t gpa)
{
	return (struct pvclock_vcpu_time_info *)((uint8_t *)phys_to_virt(rig.ram) + gpa);
}

/* |got - want| <= tol */
static bool near(uint64_t got, uint64_t want, uint64_t tol)
{
	return got > want ? got - want <= tol : want - got <= tol;
}

/* The guest's ns for delta ticks at hz against the exact value: within 1 ns a second, +1. */
static bool scale_ok(uint64_t hz, const struct pvclock_scale *s, uint64_t delta)
{
	uint64_t want = (uint64_t)((unsigned __int128)delta * NS_PER_SEC / hz);
	uint64_t secs = delta / hz;

	return near(pvclock_scale_delta(delta, s->mul, s->shift), want, secs + 1);
}

static void check_rate(uint64_t hz)
{
	struct pvclock_scale s;

	CHECK_EQ(pvclock_scale_from_hz(hz, &s), 0);
	CHECK(s.mul >= 0x80000000u);
	CHECK(s.shift >= -31 && s.shift <= 31);
	CHECK(scale_ok(hz, &s, hz));			/* 1 s */
	CHECK(scale_ok(hz, &s, hz / 3));
	CHECK(scale_ok(hz, &s, hz * 10 + 12345));
	CHECK(scale_ok(hz, &s, hz * 3600));		/* an hour: within 3.6 us */
	if (hz < (1ull << 40))
		CHECK(scale_ok(hz, &s, hz * 86400));	/* a day */
}

/*
 * Rates from 1 MHz to 20 GHz in steps of 0.37%, each shift's edges
 * (1e9 * 2^k and one above), and the extremes; 0 and too fast refused.
 */
static void case_scale_rates(void)
{
	struct pvclock_scale s = { .mul = 7, .shift = 3 };

	for (double hz = 1e6; hz < 2e10; hz *= 1.0037)
		check_rate((uint64_t)hz);
	for (int k = -20; k <= 31; k++) {
		uint64_t edge = k < 0 ? NS_PER_SEC >> -k : NS_PER_SEC << k;

		check_rate(edge);
		check_rate(edge + 1);
		check_rate(2 * edge);
	}
	check_rate(1);
	check_rate(2300000000ull);
	check_rate(PVCLOCK_HZ_MAX);
	CHECK_EQ(pvclock_scale_from_hz(0, &s), -EINVAL);
	CHECK_EQ(pvclock_scale_from_hz(PVCLOCK_HZ_MAX + 1, &s), -EINVAL);
	CHECK_EQ(s.mul, 7);
	/* 1 GHz: 1 ns a tick, mul 2^31 with shift 1. */
	CHECK_EQ(pvclock_scale_from_hz(NS_PER_SEC, &s), 0);
	CHECK_EQ(s.mul, 0x80000000u);
	CHECK_EQ(s.shift, 1);
}

/* KVM's signature one base above this hypervisor's, with paravirt=kvm only. */
static void case_cpuid_leaves(void)
{
	uint32_t r[4];
	struct vcpu *vcpu = setup(1, true, false);

	cpuid_policy(vcpu, CPUID_KVM_BASE, 0, 0, r);
	CHECK_EQ(r[0], CPUID_KVM_BASE + 1);
	CHECK_EQ(r[1], KVM_SIGNATURE_EBX);
	CHECK_EQ(r[2], KVM_SIGNATURE_ECX);
	CHECK_EQ(r[3], KVM_SIGNATURE_EDX);
	CHECK(memcmp(&r[1], "KVMKVMKVM\0\0\0", 12) == 0);
	cpuid_policy(vcpu, CPUID_KVM_BASE + 1, 0, 0, r);
	CHECK_EQ(r[0], KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_PV_EOI);	/* no stable bit without invariant TSC */
	CHECK_EQ(r[3], 0);
	cpuid_policy(vcpu, 0x40000000, 0, 0, r);
	CHECK(memcmp(&r[1], "MicroHVisor", 12) == 0);
	teardown();

	vcpu = setup(1, true, true);
	cpuid_policy(vcpu, CPUID_KVM_BASE + 1, 0, 0, r);
	CHECK_EQ(r[0], KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_PV_EOI |
		       KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	teardown();

	vcpu = setup(1, false, true);
	cpuid_policy(vcpu, CPUID_KVM_BASE, 0, 0, r);
	CHECK(!r[0] && !r[1] && !r[2] && !r[3]);
	cpuid_policy(vcpu, CPUID_KVM_BASE + 1, 0, 0, r);
	CHECK(!r[0] && !r[1] && !r[2] && !r[3]);
	cpuid_policy(vcpu, 0x40000000, 0, 0, r);
	CHECK(memcmp(&r[1], "MicroHVisor", 12) == 0);
	teardown();
}

/*
 * Enabling writes the structure: the guest's TSC (host + offset) and the
 * VM's clock at one moment, the scale of the host's rate, an even version.
 */
static void case_system_time(void)
{
	const uint64_t gpa = 0x3000, offset = 1ull << 40;
	struct vcpu *vcpu = setup(1, true, false);
	struct vpc *pc = vpc_of(vcpu->vm);
	struct pvclock_vcpu_time_info *t = pvti_at(gpa);
	struct pvclock_scale s;
	uint64_t tsc0, tsc1, ns0, ns1, v;

	backend_set_tsc_offset(vcpu->bv, offset);
	ns0 = time_now_ns();
	tsc0 = rdtsc();
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, gpa | KVM_SYSTEM_TIME_ENABLE), 0);
	tsc1 = rdtsc();
	ns1 = time_now_ns();
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v), 0);
	CHECK_EQ(v, gpa | KVM_SYSTEM_TIME_ENABLE);
	CHECK(t->version && !(t->version & 1));
	CHECK(t->tsc_timestamp >= tsc0 + offset && t->tsc_timestamp <= tsc1 + offset);
	CHECK(t->system_time >= ns0 - pc->clock_zero_ns);
	CHECK(t->system_time <= ns1 - pc->clock_zero_ns);
	CHECK_EQ(pc->clock_zero_ns, pc->pm.base_ns);
	CHECK_EQ(pvclock_scale_from_hz(tsc_hz, &s), 0);
	CHECK_EQ(t->tsc_to_system_mul, s.mul);
	CHECK_EQ(t->tsc_shift, s.shift);
	CHECK_EQ(t->flags, 0);

	/* Disabling stops the writes: a load leaves the structure alone. */
	v = t->version;
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, gpa), 0);
	vm_platform_vcpu_load(vcpu);
	CHECK_EQ(t->version, v);
	teardown();
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
 * A structure that is misaligned, runs past RAM, lies in the ROM or wraps
 * is not enabled (no byte of RAM changes, the MSR keeps its value, no
 * #GP); the first such address is logged, once per vCPU.
 */
static void case_bad_addresses(void)
{
	const uint64_t bad[] = {
		0x3008, 0x3010, GUEST_PAGES * PAGE_SIZE - 16, GUEST_PAGES * PAGE_SIZE,
		0xf0000, 0xc0000, 0xffffffffffffffe0ull, 0x100000000ull,
	};
	struct vcpu *vcpu = setup(1, true, false);
	uint8_t *ram = phys_to_virt(rig.ram);
	uint64_t v;

	logged_len = 0;
	logged[0] = '\0';
	shim_set_console_write(log_capture);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t val = bad[i] | KVM_SYSTEM_TIME_ENABLE;

		CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, val), 0);
		CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v), 0);
		CHECK_EQ(v, val);
		CHECK(!vpc_vcpu_of(vcpu)->kvmclock.on);
		vm_platform_vcpu_load(vcpu);
	}
	for (size_t i = 0; i < GUEST_PAGES * PAGE_SIZE; i++)
		if (ram[i]) {
			CHECK_EQ(ram[i], 0);
			break;
		}
	CHECK_EQ(count_lines("MSR_KVM_SYSTEM_TIME_NEW: guest-physical 0x3008 is not a 32-byte aligned structure inside RAM"), 1);
	CHECK_EQ(count_lines("MSR_KVM_SYSTEM_TIME_NEW"), 1);
	/* The wall clock past the end of RAM: ignored too, not logged again. */
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_WALL_CLOCK_NEW, GUEST_PAGES * PAGE_SIZE - 8), 0);
	CHECK_EQ(count_lines("MSR_KVM_"), 1);
	shim_set_console_write(NULL);
	/* A good address afterwards works. */
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0xbffe0 | 1), 0);
	CHECK(vpc_vcpu_of(vcpu)->kvmclock.on);
	CHECK_EQ(pvti_at(0xbffe0)->version, 2);
	teardown();
}

/* The old MSRs (KVM_FEATURE_CLOCKSOURCE) are #GP; with paravirt=none all four are not the PC's. */
static void case_msrs_offered(void)
{
	struct vcpu *vcpu = setup(1, true, false);
	uint64_t v;

	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME, 0x3001), -EINVAL);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_WALL_CLOCK, 0x3000), -EINVAL);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_SYSTEM_TIME, &v), -EINVAL);
	CHECK_EQ(pvti_at(0x3000)->version, 0);
	teardown();

	vcpu = setup(1, false, true);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), -ENOENT);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_WALL_CLOCK_NEW, 0x3000), -ENOENT);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v), -ENOENT);
	vm_platform_vcpu_load(vcpu);
	CHECK_EQ(pvti_at(0x3000)->version, 0);
	teardown();
}

/*
 * A load rewrites the structure with the backend's offset of that moment;
 * the stable bit needs an invariant host TSC and one offset on every vCPU
 * that has run.
 */
static void case_load_and_stable(void)
{
	struct vcpu *v0 = setup(2, true, true), *v1 = rig_vcpu(&rig, 1);
	struct pvclock_vcpu_time_info *t0 = pvti_at(0x3000), *t1 = pvti_at(0x3020);
	uint64_t before;

	vm_platform_vcpu_load(v0);
	vm_platform_vcpu_load(v1);
	CHECK_EQ(vm_platform_wrmsr(v0, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), 0);
	CHECK_EQ(vm_platform_wrmsr(v1, MSR_KVM_SYSTEM_TIME_NEW, 0x3021), 0);
	CHECK_EQ(t0->flags, PVCLOCK_TSC_STABLE_BIT);
	CHECK_EQ(t1->flags, PVCLOCK_TSC_STABLE_BIT);
	CHECK_EQ(t0->version, 2);

	backend_set_tsc_offset(v1->bv, 1ull << 36);
	before = rdtsc();
	vm_platform_vcpu_load(v1);
	CHECK_EQ(t1->version, 4);
	CHECK(t1->tsc_timestamp >= before + (1ull << 36));
	CHECK_EQ(t1->flags, 0);			/* v0 runs with another offset */
	vm_platform_vcpu_load(v0);
	CHECK_EQ(t0->flags, 0);
	backend_set_tsc_offset(v0->bv, 1ull << 36);
	vm_platform_vcpu_load(v0);
	CHECK_EQ(t0->flags, PVCLOCK_TSC_STABLE_BIT);
	CHECK_EQ(t0->version, 6);
	teardown();

	/* Without an invariant host TSC: never stable. */
	v0 = setup(1, true, false);
	vm_platform_vcpu_load(v0);
	CHECK_EQ(vm_platform_wrmsr(v0, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), 0);
	CHECK_EQ(pvti_at(0x3000)->flags, 0);
	teardown();
}

/* The run loop loads the vCPU on its CPU: the structure is rewritten before the guest runs. */
static void case_run_loop_loads(void)
{
	struct vcpu *vcpu = setup(1, true, false);
	struct pvclock_vcpu_time_info *t = pvti_at(0x3000);
	struct guest_state st;
	uint64_t before;

	guest_state_init_flat32(&st, 0x1000, 0x08, 0x10);
	CHECK_EQ(vpc_vcpu_set_start(vcpu, &st), 0);
	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), 0);
	CHECK_EQ(t->version, 2);
	backend_set_tsc_offset(vcpu->bv, 1ull << 38);
	before = rdtsc();
	shim_set_cpu(0);
	CHECK_EQ(vcpu_run(vcpu), 0);	/* no script: the VM stops at the first exit */
	CHECK_STR(vcpu->vm->stop_reason, "script over");
	CHECK_EQ(t->version, 4);
	CHECK(t->tsc_timestamp >= before + (1ull << 38));
	teardown();
}

/* The wall clock: the RTC's time (the rig's wall clock at creation) at the VM's clock zero. */
static void case_wall_clock(void)
{
	struct vcpu *vcpu = setup(1, true, false);
	struct pvclock_wall_clock *w = (void *)((uint8_t *)phys_to_virt(rig.ram) + 0x2004);
	uint64_t v;

	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_WALL_CLOCK_NEW, 0x2004), 0);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_WALL_CLOCK_NEW, &v), 0);
	CHECK_EQ(v, 0x2004);
	CHECK_EQ(w->version, 2);
	CHECK(w->sec == 1700000000u || w->sec == 1699999999u);
	CHECK(w->nsec < NS_PER_SEC);
	teardown();
}

/* INIT turns the clock off: the MSR reads 0 and a load writes nothing. */
static void case_init_resets(void)
{
	struct vcpu *vcpu = setup(1, true, false);
	struct pvclock_vcpu_time_info *t = pvti_at(0x3000);
	uint64_t v;

	CHECK_EQ(vm_platform_wrmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0x3001), 0);
	CHECK_EQ(t->version, 2);
	vlapic_init_signal(&vpc_vcpu_of(vcpu)->lapic);
	__atomic_store_n(&vpc_vcpu_of(vcpu)->init_pending, 1, __ATOMIC_RELEASE);
	vm_platform_vcpu_runnable(vcpu);
	CHECK_EQ(vm_platform_rdmsr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, &v), 0);
	CHECK_EQ(v, 0);
	vm_platform_vcpu_load(vcpu);
	CHECK_EQ(t->version, 2);
	teardown();
}

int main(void)
{
	rig_harness_init();
	RUN(case_scale_rates);
	RUN(case_cpuid_leaves);
	RUN(case_system_time);
	RUN(case_bad_addresses);
	RUN(case_msrs_offered);
	RUN(case_load_and_stable);
	RUN(case_run_loop_loads);
	RUN(case_wall_clock);
	RUN(case_init_resets);
	return check_done();
}
