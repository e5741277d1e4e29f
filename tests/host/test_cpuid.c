/*
 * Hosted test of core/cpuid.c. Scenario: a host whose CPUID sets every
 * feature bit (so that each hidden one shows if it leaks), reports a
 * known vendor, family and model, and has a hypervisor leaf of its own
 * (a nested host); vCPU 2 of a 3-vCPU VM asks. The guest must see the
 * host's identity, the hypervisor bit, "MicroHVisor" at 0x40000000, the
 * hidden features cleared and the leaves past the table's end empty.
 * x2APIC and the TSC-deadline timer are the platform's: offered on a
 * platform that emulates them (the PC), whatever the host has, and hidden
 * on one without a local APIC (the test payloads). XSAVE, AVX and
 * AVX-512 are offered where the host has them, with leaf 0xD describing
 * only those components (sizes from the host's subleaves, EBX following
 * the guest's XCR0), XSAVEOPT the only variant, OSXSAVE the guest's CR4.
 * RDTSCP and RDPID are offered where the backend runs them on the guest's
 * own TSC_AUX.
 */
#include "asm/cpuid.h"
#include "asm/tsc.h"
#include "asm/xstate.h"
#include "core/backend.h"
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
static struct backend_vcpu bv;
static uint64_t guest_cr4;
static unsigned int host_calls;
static uint32_t host_1_ecx;
static uint32_t host_d_eax;	/* leaf 0xD.0 EAX: the host's XCR0 bits */

/*
 * Leaf 0xD of a Skylake-X: x87, SSE, AVX, MPX (3, 4), AVX-512 (5-7) and
 * PKRU (9); size and offset of each component; XSAVEOPT, XSAVEC, XGETBV1
 * and XSAVES in subleaf 1.
 */
static void fake_host_xstate(uint32_t subleaf, uint32_t out[4])
{
	static const uint32_t size_off[10][2] = {
		[2] = { 256, 576 }, [3] = { 64, 960 }, [4] = { 64, 1024 },
		[5] = { 64, 1088 }, [6] = { 512, 1152 }, [7] = { 1024, 1664 },
		[9] = { 8, 2688 },
	};

	out[0] = out[1] = out[2] = out[3] = 0;
	if (subleaf == 0) {
		out[0] = host_d_eax;
		out[1] = 576;
		out[2] = 2696;
	} else if (subleaf == 1) {
		out[0] = 0xf;
	} else if (subleaf < 10 && (host_d_eax & BIT(subleaf))) {
		out[0] = size_off[subleaf][0];
		out[1] = size_off[subleaf][1];
	}
}

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
	case 0xd:
		fake_host_xstate(subleaf, out);
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
	cpuid_policy(&vcpu, leaf, subleaf, guest_cr4, out);
}

static void setup(void)
{
	shim_set_cpuid(fake_host_cpuid);
	vm.nr_vcpus = 3;
	vm.platform = &payload_like;
	vcpu.vm = &vm;
	vcpu.id = 2;
	vcpu.bv = &bv;
	bv.xs.xcr0 = XFEATURE_X87;
	guest_cr4 = 0;
	host_calls = 0;
	host_1_ecx = ALL;
	host_d_eax = 0x2ff;
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
	/* MONITOR, VMX, SMX, x2APIC, TSC-deadline; OSXSAVE (guest CR4 clear). */
	CHECK_EQ(r[2], ALL & ~(BIT(3) | BIT(5) | BIT(6) | BIT(21) | BIT(24) | BIT(27)));
	CHECK(r[2] & BIT(31));				/* the hypervisor bit */
	CHECK_EQ(r[3], ALL & ~BIT(12));			/* MTRR */
	/* The hypervisor bit is the guest's even where the host has none. */
	host_1_ecx = BIT(0);				/* SSE3 only */
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2], BIT(0) | BIT(31));
	host_1_ecx = ALL;
	guest_cpuid(7, 0, r);
	CHECK_EQ(r[1], ALL);				/* AVX2, AVX-512: offered */
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
		bool empty = leaf == 5 || leaf == 6 || leaf == 0xa || leaf > 0xd;

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
	CHECK_EQ(r[2], ALL & ~(BIT(3) | BIT(5) | BIT(6) | BIT(27)));
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

/* XSAVE-managed state: what is offered, leaf 0xD, OSXSAVE, by host. */
static void xstate_offered(void)
{
	const uint32_t avx_bits = BIT(12) | BIT(26) | BIT(28) | BIT(29);	/* FMA XSAVE AVX F16C */
	uint32_t r[4];

	setup();
	CHECK_EQ(cpuid_xcr0_offered(), 0xe7u);		/* x87 SSE AVX AVX-512; no MPX, PKRU */
	guest_cpuid(0xd, 0, r);
	CHECK_EQ(r[0], 0xe7u);
	CHECK_EQ(r[1], 576u);				/* XCR0 = 1: legacy + header */
	CHECK_EQ(r[2], 2688u);				/* all offered: up to Hi16_ZMM's end */
	CHECK_EQ(r[3], 0u);
	bv.xs.xcr0 = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_AVX;
	guest_cpuid(0xd, 0, r);
	CHECK_EQ(r[1], 832u);				/* follows the guest's XCR0 */
	bv.xs.xcr0 = 0xe7;
	guest_cpuid(0xd, 0, r);
	CHECK_EQ(r[1], 2688u);
	guest_cpuid(0xd, 1, r);				/* XSAVEOPT only: no XSAVEC/XSAVES */
	CHECK(r[0] == 1 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	guest_cpuid(0xd, 2, r);				/* AVX: the host's size and offset */
	CHECK(r[0] == 256 && r[1] == 576 && r[2] == 0 && r[3] == 0);
	guest_cpuid(0xd, 7, r);
	CHECK(r[0] == 1024 && r[1] == 1664);
	for (uint32_t sub = 3; sub < 64; sub++) {	/* MPX, PKRU, the rest: nothing */
		if (sub >= 5 && sub <= 7)
			continue;
		guest_cpuid(0xd, sub, r);
		CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	}
	/* OSXSAVE is the guest's CR4 bit, not the host's. */
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2] & (avx_bits | BIT(27)), avx_bits);
	guest_cr4 = BIT(18);
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2] & (avx_bits | BIT(27)), avx_bits | BIT(27));

	/* A host with AVX but without AVX-512 (or with part of it). */
	setup();
	host_d_eax = 0x27;				/* x87 SSE AVX opmask: AVX-512 incomplete */
	CHECK_EQ(cpuid_xcr0_offered(), 0x7u);
	guest_cpuid(0xd, 0, r);
	CHECK(r[0] == 7 && r[2] == 832);
	guest_cpuid(0xd, 5, r);
	CHECK(r[0] == 0 && r[1] == 0);
	guest_cpuid(7, 0, r);
	CHECK_EQ(r[1], ALL & ~CPUID_7_EBX_AVX512);	/* AVX2 stays */
	CHECK_EQ(r[2], ALL & ~(CPUID_7_ECX_AVX512 | BIT(22)));
	CHECK_EQ(r[3], ALL & ~CPUID_7_EDX_AVX512);

	/* A host without XSAVE: nothing of it, nor of AVX. */
	setup();
	host_1_ecx = ALL & ~BIT(26);
	guest_cr4 = BIT(18);
	CHECK_EQ(cpuid_xcr0_offered(), 0u);
	guest_cpuid(1, 0, r);
	CHECK_EQ(r[2] & (avx_bits | BIT(27)), 0u);
	guest_cpuid(7, 0, r);
	CHECK_EQ(r[1] & (CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512), 0u);
	for (uint32_t sub = 0; sub < 64; sub++) {
		guest_cpuid(0xd, sub, r);
		CHECK(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
	}
}

/* RDTSCP and RDPID: the host's, where the backend gives TSC_AUX to the guest. */
static void tsc_aux_follows_backend(void)
{
	uint32_t r[4];

	setup();
	CHECK(!cpuid_tsc_aux_offered());
	backend_caps.tsc_aux = true;
	CHECK(cpuid_tsc_aux_offered());
	guest_cpuid(0x80000001, 0, r);
	CHECK(r[3] & BIT(27));
	guest_cpuid(7, 0, r);
	CHECK(r[2] & BIT(22));
	backend_caps.tsc_aux = false;
	guest_cpuid(0x80000001, 0, r);
	CHECK_EQ(r[3] & BIT(27), 0u);
	guest_cpuid(7, 0, r);
	CHECK_EQ(r[2] & BIT(22), 0u);
}

int main(void)
{
	tsc_hz = TEST_TSC_HZ;	/* the shim's TSC frequency, as the policy reads it */
	RUN(identity_passes_through);
	RUN(hidden_features_hidden);
	RUN(lapic_features_follow_platform);
	RUN(hypervisor_leaves);
	RUN(xstate_offered);
	RUN(tsc_aux_follows_backend);
	shim_set_cpuid(NULL);
	return check_done();
}
