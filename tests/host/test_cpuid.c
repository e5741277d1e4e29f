/*
 * Hosted test of core/cpuid.c. Scenario: a host whose CPUID sets every
 * feature bit (so that each hidden one shows if it leaks), reports a
 * known vendor, family and model, and has a hypervisor leaf of its own
 * (a nested host); vCPU 2 of a 3-vCPU VM asks. The guest must see the
 * host's identity, the hypervisor bit, "MicroHVisor" at 0x40000000, the
 * hidden features cleared and the leaves past the table's end empty.
 * x2APIC and the TSC-deadline timer are the platform's: offered on a
 * platform that emulates them (the PC), whatever the host has, and hidden
 * on one without a local APIC (the test payloads).
 */
#include "asm/tsc.h"
#include "core/vcpu_run.h"
#include "core/vm_platform.h"
#include "tests/host/check.h"

#define ALL          0xffffffffu
#define HOST_FMS     0x000906eau	/* family 6, model 0x9e, stepping 10 */
#define HOST_1_EBX   0x12345678u	/* brand 0x78, CLFLUSH 0x56, ... */

#define TEST_TSC_HZ  2500000000ull

static const struct vm_platform_ops pc_like = { .name = "pc", .x2apic_lapic = true };
static const struct vm_platform_ops payload_like = { .name = "payload" };

static struct vm vm;
static struct vcpu vcpu;
static unsigned int host_calls;
static uint32_t host_1_ecx;

static void fake_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	host_calls++;
	out[0] = out[1] = out[2] = out[3] = ALL;
	switch (leaf) {
	case 0:
		out[0] = 0x16;
		memcpy(&out[1], "Genu", 4);
		memcpy(&out[3], "ineI", 4);
		memcpy(&out[2], "ntel", 4);
		break;
	case 1:
		out[0] = HOST_FMS;
		out[1] = HOST_1_EBX;
		out[2] = host_1_ecx;
		break;
	case 7:
		if (subleaf == 1)
			out[0] = 0x1234;
		break;
	case 0x40000000:
		out[0] = 0x40000001;
		memcpy(&out[1], "KVMKVMKVM\0\0\0", 12);
		break;
	case 0x80000008:
		out[0] = 0x3030;
		break;
	default:
		break;
	}
}

static void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	cpuid_policy(&vcpu, leaf, subleaf, out);
}

static void setup(void)
{
	shim_set_cpuid(fake_host_cpuid);
	vm.nr_vcpus = 3;
	vm.platform = &payload_like;
	vcpu.vm = &vm;
	vcpu.id = 2;
	host_calls = 0;
	host_1_ecx = ALL;
}

static void identity_passes_through(void)
{
	uint32_t r[4];

	setup();
	guest_cpuid(0, 0, r);
	CHECK_EQ(r[0], 0xd);				/* capped at the table's last leaf */
	CHECK(memcmp(&r[1], "Genu", 4) == 0);
	CHECK(memcmp(&r[3], "ineI", 4) == 0);
	CHECK(memcmp(&r[2], "ntel", 4) == 0);
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[0], HOST_FMS);			/* family/model/stepping */
	/* APIC id 2, 3 logical CPUs, the host's CLFLUSH size and brand. */
	CHECK_EQ(r[1], 0x02035678u);
	guest_cpuid(0xb, 1, r);				/* topology: the host's */
	CHECK_EQ(r[0], ALL);
	guest_cpuid(0x80000008, 0, r);
	CHECK_EQ(r[0], 0x3030u);
	CHECK_EQ(r[3], ALL);
}

static void hidden_features_hidden(void)
{
	uint32_t r[4];

	setup();
	guest_cpuid(1, 0, r);
	/* MONITOR, VMX, SMX, x2APIC, TSC-deadline, XSAVE, OSXSAVE, AVX. */
	CHECK_EQ(r[2], ALL & ~(BIT(3) | BIT(5) | BIT(6) | BIT(21) | BIT(24) | BIT(26) |
			       BIT(27) | BIT(28)));
	CHECK(r[2] & BIT(31));				/* the hypervisor bit */
	CHECK_EQ(r[3], ALL & ~BIT(12));			/* MTRR */
	/* The hypervisor bit is the guest's even where the host has none. */
	host_1_ecx = BIT(0);				/* SSE3 only */
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2], BIT(0) | BIT(31));
	host_1_ecx = ALL;
	guest_cpuid(7, 0, r);
	CHECK_EQ(r[1], ALL & ~(BIT(5) | BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31)));
	CHECK_EQ(r[2], ALL & ~BIT(22));			/* RDPID */
	CHECK_EQ(r[3], ALL);
	guest_cpuid(7, 1, r);				/* other subleaves: the host's */
	CHECK_EQ(r[0], 0x1234u);
	CHECK_EQ(r[1], ALL);
	guest_cpuid(0x80000001, 0, r);
	CHECK_EQ(r[2], ALL & ~(BIT(2) | BIT(17)));	/* SVM, TCE */
	CHECK_EQ(r[3], ALL & ~(BIT(12) | BIT(25) | BIT(27)));	/* MTRR, FFXSR, RDTSCP */
	guest_cpuid(0x80000021, 0, r);			/* automatic IBRS: EFER.AIBRSE #GPs */
	CHECK_EQ(r[0], ALL & ~BIT(8));
	CHECK_EQ(r[1], ALL);
	for (uint32_t leaf = 0; leaf < 0x20; leaf++) {
		bool empty = leaf == 5 || leaf == 6 || leaf == 0xa || leaf >= 0xd;

		guest_cpuid(leaf, 0, r);
		if (empty)
			CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	}
	guest_cpuid(0x8000000a, 0, r);			/* SVM features */
	CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
}

static void lapic_features_follow_platform(void)
{
	uint32_t r[4];

	setup();
	vm.platform = &pc_like;
	guest_cpuid(1, 0, r);
	CHECK(r[2] & BIT(21));				/* x2APIC */
	CHECK(r[2] & BIT(24));				/* TSC-deadline */
	CHECK_EQ(r[2], ALL & ~(BIT(3) | BIT(5) | BIT(6) | BIT(26) | BIT(27) | BIT(28)));
	/* The model's, not the host's: offered on a host without them. */
	host_1_ecx = BIT(0);
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2], BIT(0) | BIT(21) | BIT(24) | BIT(31));
	/* No local APIC, or no platform yet: hidden even where the host has them. */
	host_1_ecx = ALL;
	vm.platform = &payload_like;
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2] & (BIT(21) | BIT(24)), 0);
	vm.platform = NULL;
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2] & (BIT(21) | BIT(24)), 0);
}

static void hypervisor_leaves(void)
{
	uint32_t r[4];
	char sig[13] = { 0 };

	setup();
	guest_cpuid(0x40000000, 0, r);
	CHECK_EQ(r[0], 0x40000010u);
	memcpy(sig, &r[1], 12);
	CHECK_STR(sig, "MicroHVisor");
	guest_cpuid(0x40000001, 0, r);
	CHECK_EQ(r[0], 0x100u);
	guest_cpuid(0x40000010, 0, r);
	CHECK_EQ(r[0], TEST_TSC_HZ / 1000);		/* TSC kHz */
	CHECK_EQ(r[1], 1000000u);			/* APIC bus kHz */
	CHECK(r[2] == 0 && r[3] == 0);
	guest_cpuid(0x40000002, 0, r);
	CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	guest_cpuid(0x40000100, 0, r);
	CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	/* Nothing of a nested host's own hypervisor leaves reaches the guest. */
	CHECK_EQ(host_calls, 0);
}

int main(void)
{
	tsc_hz = TEST_TSC_HZ;	/* the shim's TSC frequency, as the policy reads it */
	RUN(identity_passes_through);
	RUN(hidden_features_hidden);
	RUN(lapic_features_follow_platform);
	RUN(hypervisor_leaves);
	shim_set_cpuid(NULL);
	return check_done();
}
