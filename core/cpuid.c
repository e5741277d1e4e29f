/*
 * The CPUID policy: what a guest sees, decided in one place, as a table.
 * Each row names a leaf range, a subleaf (or any), the registers and the
 * bits it decides, and where those bits come from: the host's value, a
 * fixed value, or a named function. A guest's answer starts at zero and
 * every matching row applies in table order, so a later row refines an
 * earlier one: the host ranges pass through what the hypervisor has
 * nothing to hide, then features it does not virtualise are cleared, and
 * the hypervisor bit and a vendor leaf name this hypervisor.
 *
 * Runs on the vCPU's CPU (the host's CPUID is executed there, through
 * platform_cpuid()). The table is constant; no lock.
 */
#include "asm/cpuid.h"
#include "asm/kvm_para.h"
#include "asm/tsc.h"
#include "asm/xstate.h"
#include "core/backend.h"
#include "core/lib/platform.h"
#include "core/vcpu_run.h"
#include "core/vm_platform.h"

/*
 * RDTSCP and RDPID (CPUID_80000001_EDX_RDTSCP, CPUID_7_ECX_RDPID) read
 * IA32_TSC_AUX, switched per vCPU (core/guest_xstate.h): offered where
 * the host has them and the backend lets them run (backend_caps.tsc_aux).
 *
 * XSAVE and what it manages are offered where the host has them: x87,
 * SSE, AVX and AVX-512 (cpuid_xcr0_offered()), switched per vCPU
 * (core/guest_xstate.h). Leaf 0xD describes exactly those components,
 * with XSAVEOPT the only variant: XSAVEC, XSAVES and XFD stay hidden
 * (no IA32_XSS, no XFD MSRs). OSXSAVE mirrors the guest's CR4.OSXSAVE.
 */
#define CPUID_MAX_BASIC       0xd
#define CPUID_HV_BASE         0x40000000
#define CPUID_HV_VERSION_LEAF 0x40000001
/* The timing leaf (as VMware and KVM define it): EAX TSC kHz, EBX APIC bus kHz. */
#define CPUID_HV_TIMING       0x40000010
#define CPUID_HV_MAX          CPUID_HV_TIMING
#define HV_APIC_BUS_KHZ       1000000	/* core/pc/dev/vlapic.c: 1 GHz */
#define HV_CPUID_VERSION      0x00000100	/* 0.1 */
/* "MicroHVisor" + NUL as EBX, ECX, EDX of leaf 0x40000000 (little-endian). */
#define HV_SIGNATURE_EBX      0x7263694d	/* "Micr" */
#define HV_SIGNATURE_ECX      0x6956486f	/* "oHVi" */
#define HV_SIGNATURE_EDX      0x00726f73	/* "sor\0" */
/*
 * KVM's leaves, where the platform offers KVM's paravirtual interface
 * (vm_platform_ops.kvm_features): one base above this hypervisor's own,
 * as QEMU places them when it offers Hyper-V's at 0x40000000. Linux scans
 * 0x40000000-0x4000ff00 in steps of 0x100 for the signature.
 */
#define CPUID_KVM_BASE        (CPUID_HV_BASE + 0x100)
#define CPUID_KVM_FEATURES    (CPUID_KVM_BASE + KVM_CPUID_FEATURES_OFF)

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX, CPUID_NR_REGS };

#define R(reg)        BIT(CPUID_##reg)
#define CPUID_ALL_REGS (R(EAX) | R(EBX) | R(ECX) | R(EDX))
#define CPUID_ANY_SUBLEAF 0xffffffffu

/* What a row's function knows of the question. */
struct cpuid_query {
	const struct vcpu *vcpu;
	uint32_t leaf, subleaf;
	uint64_t guest_cr4;
	uint64_t xcr0_offered;
};

enum cpuid_source {
	CPUID_FROM_HOST,	/* the host's bits */
	CPUID_FROM_VALUE,	/* the row's value */
	CPUID_FROM_FN,		/* the row's function of the vCPU and the host value */
};

struct cpuid_rule {
	uint32_t first, last;		/* leaf range */
	uint32_t subleaf;		/* or CPUID_ANY_SUBLEAF */
	uint8_t regs;			/* R(...) bits: the registers decided */
	uint8_t source;			/* enum cpuid_source */
	uint32_t mask;			/* the bits decided in each of them */
	uint32_t value;			/* CPUID_FROM_VALUE */
	uint32_t (*fn)(const struct cpuid_query *q, uint32_t host);	/* CPUID_FROM_FN */
	bool (*when)(const struct vcpu *vcpu);	/* the row applies only if true; NULL: always */
};

/* Rows: the host's bits, a value, cleared bits, set bits, computed bits. */
#define HOST(lo, hi) \
	{ .first = (lo), .last = (hi), .subleaf = CPUID_ANY_SUBLEAF, .regs = CPUID_ALL_REGS, \
	  .source = CPUID_FROM_HOST, .mask = ~0u }
#define VALUE(lf, reg, v) \
	{ .first = (lf), .last = (lf), .subleaf = CPUID_ANY_SUBLEAF, .regs = R(reg), \
	  .source = CPUID_FROM_VALUE, .mask = ~0u, .value = (v) }
#define ZERO(lo, hi) \
	{ .first = (lo), .last = (hi), .subleaf = CPUID_ANY_SUBLEAF, .regs = CPUID_ALL_REGS, \
	  .source = CPUID_FROM_VALUE, .mask = ~0u, .value = 0 }
#define HIDE(lf, sub, reg, bits) \
	{ .first = (lf), .last = (lf), .subleaf = (sub), .regs = R(reg), \
	  .source = CPUID_FROM_VALUE, .mask = (bits), .value = 0 }
#define SET(lf, reg, bits) \
	{ .first = (lf), .last = (lf), .subleaf = CPUID_ANY_SUBLEAF, .regs = R(reg), \
	  .source = CPUID_FROM_VALUE, .mask = (bits), .value = (bits) }
#define COMPUTE(lf, reg, bits, f) \
	{ .first = (lf), .last = (lf), .subleaf = CPUID_ANY_SUBLEAF, .regs = R(reg), \
	  .source = CPUID_FROM_FN, .mask = (bits), .fn = (f) }
#define COMPUTE_SUB(lf, sub, reg, bits, f) \
	{ .first = (lf), .last = (lf), .subleaf = (sub), .regs = R(reg), \
	  .source = CPUID_FROM_FN, .mask = (bits), .fn = (f) }

/* KVM's rows: only for a VM whose platform offers KVM's interface. */
#define KVM_VALUE(lf, reg, v) \
	{ .first = (lf), .last = (lf), .subleaf = CPUID_ANY_SUBLEAF, .regs = R(reg), \
	  .source = CPUID_FROM_VALUE, .mask = ~0u, .value = (v), .when = cpuid_kvm_offered }
#define KVM_COMPUTE(lf, reg, f) \
	{ .first = (lf), .last = (lf), .subleaf = CPUID_ANY_SUBLEAF, .regs = R(reg), \
	  .source = CPUID_FROM_FN, .mask = ~0u, .fn = (f), .when = cpuid_kvm_offered }

static bool cpuid_kvm_offered(const struct vcpu *vcpu)
{
	uint32_t features;

	return vm_platform_kvm_features(vcpu, &features);
}

/* KVM's feature leaf EAX: what the platform implements (KVM_FEATURE_*). */
static uint32_t cpuid_kvm_features(const struct cpuid_query *q, uint32_t host)
{
	uint32_t features = 0;

	vm_platform_kvm_features(q->vcpu, &features);
	return features;
}

/* Leaf 0 EAX: the highest basic leaf, no higher than the table knows. */
static uint32_t cpuid_max_basic(const struct cpuid_query *q, uint32_t host)
{
	return MIN(host, (uint32_t)CPUID_MAX_BASIC);
}

/* Leaf 1 EBX 31-16: initial APIC id = vCPU index; logical count = the VM's vCPUs. */
static uint32_t cpuid_apic_ids(const struct cpuid_query *q, uint32_t host)
{
	const struct vcpu *vcpu = q->vcpu;

	return (vcpu->id << 24) | ((vm_nr_vcpus(vcpu->vm) & 0xff) << 16);
}

/*
 * Leaf 1 ECX X2APIC and TSC_DL: offered where the platform emulates a
 * local APIC with x2APIC mode and the TSC-deadline timer (the virtual
 * PC), whatever the host has: both are the model's, never the host's
 * APIC. The test-payload platform has no local APIC: hidden there.
 */
static uint32_t cpuid_lapic_features(const struct cpuid_query *q, uint32_t host)
{
	const struct vm_platform_ops *p = q->vcpu->vm->platform;

	return p && p->x2apic_lapic ? CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DL : 0;
}

/* Leaf 0x40000010 EAX: the guest's TSC rate in kHz (the host's). */
static uint32_t cpuid_tsc_khz(const struct cpuid_query *q, uint32_t host)
{
	return (uint32_t)(tsc_hz / 1000);
}

uint64_t cpuid_xcr0_offered(void)
{
	uint32_t r[4];

	platform_cpuid(CPUID_LEAF_FEATURES, 0, r);
	if (!(r[2] & CPUID_1_ECX_XSAVE))
		return 0;
	platform_cpuid(CPUID_LEAF_XSTATE, 0, r);
	return xcr0_usable(((uint64_t)r[3] << 32) | r[0]);
}

bool cpuid_tsc_aux_offered(void)
{
	uint32_t r[4];

	if (!backend_caps.tsc_aux)
		return false;
	platform_cpuid(CPUID_EXT_FEATURES, 0, r);
	if (r[3] & CPUID_80000001_EDX_RDTSCP)
		return true;
	platform_cpuid(CPUID_LEAF_EXT_FEATURES, 0, r);
	return r[2] & CPUID_7_ECX_RDPID;
}

/* 0x80000001 EDX RDTSCP, 7 ECX RDPID: the host's, where TSC_AUX is the guest's. */
static uint32_t cpuid_tsc_aux_insns(const struct cpuid_query *q, uint32_t host)
{
	return backend_caps.tsc_aux ? host : 0;
}

/*
 * Leaf 1 ECX: XSAVE where anything is offered, OSXSAVE as the guest's
 * CR4 has it, AVX and the instructions that need it (FMA, F16C) where
 * AVX is offered.
 */
static uint32_t cpuid_xsave_features(const struct cpuid_query *q, uint32_t host)
{
	uint32_t out = 0;

	if (!q->xcr0_offered)
		return 0;
	out |= host & CPUID_1_ECX_XSAVE;
	if (q->guest_cr4 & X86_CR4_OSXSAVE)
		out |= CPUID_1_ECX_OSXSAVE;
	if (q->xcr0_offered & XFEATURE_AVX)
		out |= host & (CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C);
	return out;
}

/* Leaf 7.0: AVX2 with AVX, the AVX-512 families with AVX-512. */
static uint32_t cpuid_avx_ext(const struct cpuid_query *q, uint32_t host)
{
	uint32_t out = 0;

	if (q->xcr0_offered & XFEATURE_AVX)
		out |= host & (CPUID_7_EBX_AVX2 | CPUID_7_ECX_VAES | CPUID_7_ECX_VPCLMULQDQ);
	if (q->xcr0_offered & XFEATURE_AVX512)
		out |= host;	/* the row's mask: that register's AVX-512 bits */
	return out;
}

/* The XSAVE area's size for @mask, from the host's own subleaves. */
static uint32_t cpuid_xstate_size(uint64_t mask)
{
	return xstate_size_for(mask, platform_cpuid);
}

/*
 * Leaf 0xD. Subleaf 0: the offered components (EAX, EDX), the size for
 * the guest's XCR0 (EBX) and for all offered (ECX). Subleaf 1: XSAVEOPT
 * only. Subleaves 2-63: the host's for an offered component, else zero.
 */
static uint32_t cpuid_xstate_eax(const struct cpuid_query *q, uint32_t host)
{
	if (q->subleaf == 0)
		return (uint32_t)q->xcr0_offered;
	if (q->subleaf == 1)
		return q->xcr0_offered ? host & CPUID_D_1_EAX_XSAVEOPT : 0;
	return q->subleaf < 64 && (q->xcr0_offered & BIT_ULL(q->subleaf)) ? host : 0;
}

static uint32_t cpuid_xstate_ebx(const struct cpuid_query *q, uint32_t host)
{
	const struct backend_vcpu *bv = q->vcpu->bv;

	if (q->subleaf == 0)
		return q->xcr0_offered ?
		       cpuid_xstate_size((bv ? bv->xs.xcr0 : XCR0_RESET) & q->xcr0_offered) : 0;
	return q->subleaf >= 2 && q->subleaf < 64 &&
	       (q->xcr0_offered & BIT_ULL(q->subleaf)) ? host : 0;
}

static uint32_t cpuid_xstate_ecx(const struct cpuid_query *q, uint32_t host)
{
	if (q->subleaf == 0)
		return q->xcr0_offered ? cpuid_xstate_size(q->xcr0_offered) : 0;
	return q->subleaf >= 2 && q->subleaf < 64 &&
	       (q->xcr0_offered & BIT_ULL(q->subleaf)) ? host : 0;
}

static uint32_t cpuid_xstate_edx(const struct cpuid_query *q, uint32_t host)
{
	return q->subleaf == 0 ? (uint32_t)(q->xcr0_offered >> 32) : 0;
}

static const struct cpuid_rule cpuid_rules[] = {
	/* What passes through: the basic leaves the table knows, the extended ones. */
	HOST(0, CPUID_MAX_BASIC),
	HOST(CPUID_EXT_MAX, 0xffffffff),
	COMPUTE(0, EAX, ~0u, cpuid_max_basic),

	/* Leaf 1: features the hypervisor does not virtualise; the hypervisor bit. */
	HIDE(CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, ECX, CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX |
	     CPUID_1_ECX_SMX | CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DL),
	SET(CPUID_LEAF_FEATURES, ECX, CPUID_1_ECX_HYPERVISOR),
	COMPUTE(CPUID_LEAF_FEATURES, ECX, CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DL,
		cpuid_lapic_features),
	COMPUTE(CPUID_LEAF_FEATURES, ECX, CPUID_1_ECX_XSAVE | CPUID_1_ECX_OSXSAVE |
		CPUID_1_ECX_AVX | CPUID_1_ECX_FMA | CPUID_1_ECX_F16C, cpuid_xsave_features),
	/*
	 * MTRRs are not virtualised (MTRRcap reads 0, so they are hidden too);
	 * machine check is, as a bank-less MCA (MCG_CAP = 0, core/vcpu_exit.c).
	 */
	HIDE(CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, EDX, CPUID_1_EDX_MTRR),
	COMPUTE(CPUID_LEAF_FEATURES, EBX, 0xffff0000u, cpuid_apic_ids),

	ZERO(5, 5),		/* MONITOR/MWAIT: hidden */
	ZERO(6, 6),		/* power management */
	COMPUTE_SUB(CPUID_LEAF_EXT_FEATURES, 0, EBX, CPUID_7_EBX_AVX2 | CPUID_7_EBX_AVX512,
		    cpuid_avx_ext),
	COMPUTE_SUB(CPUID_LEAF_EXT_FEATURES, 0, ECX, CPUID_7_ECX_VAES | CPUID_7_ECX_VPCLMULQDQ |
		    CPUID_7_ECX_AVX512, cpuid_avx_ext),
	COMPUTE_SUB(CPUID_LEAF_EXT_FEATURES, 0, EDX, CPUID_7_EDX_AVX512, cpuid_avx_ext),
	COMPUTE_SUB(CPUID_LEAF_EXT_FEATURES, 0, ECX, CPUID_7_ECX_RDPID, cpuid_tsc_aux_insns),
	ZERO(0xa, 0xa),		/* performance counters */
	ZERO(CPUID_LEAF_XSTATE, CPUID_LEAF_XSTATE),
	COMPUTE(CPUID_LEAF_XSTATE, EAX, ~0u, cpuid_xstate_eax),
	COMPUTE(CPUID_LEAF_XSTATE, EBX, ~0u, cpuid_xstate_ebx),
	COMPUTE(CPUID_LEAF_XSTATE, ECX, ~0u, cpuid_xstate_ecx),
	COMPUTE(CPUID_LEAF_XSTATE, EDX, ~0u, cpuid_xstate_edx),

	/*
	 * AMD repeats leaf 1's EDX bits in 0x80000001. Features switched on
	 * by an EFER bit other than SCE, LME, LMA and NXE are hidden: the
	 * backends refuse those bits with #GP (asm/msr.h, efer_valid()), so
	 * a guest must not be told it may set them (TCE, FFXSR, and
	 * automatic IBRS in 0x80000021).
	 */
	HIDE(CPUID_EXT_FEATURES, CPUID_ANY_SUBLEAF, ECX,
	     CPUID_80000001_ECX_SVM | CPUID_80000001_ECX_TCE),
	HIDE(CPUID_EXT_FEATURES, CPUID_ANY_SUBLEAF, EDX, CPUID_1_EDX_MTRR |
	     CPUID_80000001_EDX_FFXSR),
	COMPUTE(CPUID_EXT_FEATURES, EDX, CPUID_80000001_EDX_RDTSCP, cpuid_tsc_aux_insns),
	HIDE(CPUID_EXT_FEATURES_21, CPUID_ANY_SUBLEAF, EAX, CPUID_80000021_EAX_AUTOIBRS),
	ZERO(CPUID_LEAF_SVM, CPUID_LEAF_SVM),	/* SVM features: none for the guest */

	/* The hypervisor's leaves: 0x40000000-0x400001ff, zero unless named here. */
	VALUE(CPUID_HV_BASE, EAX, CPUID_HV_MAX),
	VALUE(CPUID_HV_BASE, EBX, HV_SIGNATURE_EBX),
	VALUE(CPUID_HV_BASE, ECX, HV_SIGNATURE_ECX),
	VALUE(CPUID_HV_BASE, EDX, HV_SIGNATURE_EDX),
	VALUE(CPUID_HV_VERSION_LEAF, EAX, HV_CPUID_VERSION),
	COMPUTE(CPUID_HV_TIMING, EAX, ~0u, cpuid_tsc_khz),
	VALUE(CPUID_HV_TIMING, EBX, HV_APIC_BUS_KHZ),

	/*
	 * KVM's leaves: the signature and the features; the hints (EDX of
	 * the feature leaf) stay 0. The guest's family and model stay the
	 * host's.
	 */
	KVM_VALUE(CPUID_KVM_BASE, EAX, CPUID_KVM_FEATURES),
	KVM_VALUE(CPUID_KVM_BASE, EBX, KVM_SIGNATURE_EBX),
	KVM_VALUE(CPUID_KVM_BASE, ECX, KVM_SIGNATURE_ECX),
	KVM_VALUE(CPUID_KVM_BASE, EDX, KVM_SIGNATURE_EDX),
	KVM_COMPUTE(CPUID_KVM_FEATURES, EAX, cpuid_kvm_features),
};

static bool cpuid_rule_matches(const struct cpuid_rule *r, uint32_t leaf, uint32_t subleaf)
{
	return leaf >= r->first && leaf <= r->last &&
	       (r->subleaf == CPUID_ANY_SUBLEAF || r->subleaf == subleaf);
}

/*
 * Whether a row passes the host's value of the leaf through; only then is
 * the host asked (a function sees 0 as the host's value otherwise).
 */
static bool cpuid_needs_host(uint32_t leaf, uint32_t subleaf)
{
	for (size_t i = 0; i < ARRAY_SIZE(cpuid_rules); i++)
		if (cpuid_rule_matches(&cpuid_rules[i], leaf, subleaf) &&
		    cpuid_rules[i].source == CPUID_FROM_HOST)
			return true;
	return false;
}

static uint32_t cpuid_rule_bits(const struct cpuid_rule *r, const struct cpuid_query *q,
				uint32_t host)
{
	switch (r->source) {
	case CPUID_FROM_HOST:
		return host;
	case CPUID_FROM_FN:
		return r->fn(q, host);
	default:
		return r->value;
	}
}

void cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		  uint64_t guest_cr4, uint32_t out[4])
{
	struct cpuid_query q = {
		.vcpu = vcpu, .leaf = leaf, .subleaf = subleaf, .guest_cr4 = guest_cr4,
	};
	uint32_t host[CPUID_NR_REGS] = { 0 };

	if (cpuid_needs_host(leaf, subleaf))
		platform_cpuid(leaf, subleaf, host);
	if (leaf == CPUID_LEAF_FEATURES || leaf == CPUID_LEAF_EXT_FEATURES ||
	    leaf == CPUID_LEAF_XSTATE)
		q.xcr0_offered = cpuid_xcr0_offered();
	for (unsigned int reg = 0; reg < CPUID_NR_REGS; reg++)
		out[reg] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cpuid_rules); i++) {
		const struct cpuid_rule *r = &cpuid_rules[i];

		if (!cpuid_rule_matches(r, leaf, subleaf) || (r->when && !r->when(vcpu)))
			continue;
		for (unsigned int reg = 0; reg < CPUID_NR_REGS; reg++)
			if (r->regs & BIT(reg))
				out[reg] = (out[reg] & ~r->mask) |
					   (cpuid_rule_bits(r, &q, host[reg]) & r->mask);
	}
}
