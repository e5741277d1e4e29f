/*
 * Conformance kernel "cpuid_msr": what CPUID says against what the CPU
 * does. Basic and extended leaves are sane and agree with the local APIC;
 * an MSR whose feature CPUID offers can be read, one whose feature it
 * denies raises #GP; an EFER bit whose feature it denies cannot be set
 * (#GP), one it offers can. x2APIC MSRs raise #GP while x2APIC mode is off.
 */
#include "conf.h"

const char conf_kernel[] = "cpuid_msr";

#define EXT             0x80000000u
#define MSR_TSC         0x010
#define MSR_APIC_BASE   0x01b
#define APIC_BASE_BSP   BIT(8)
#define APIC_BASE_EN    BIT(11)
#define MSR_X2APIC_ID   0x802
#define MSR_EFER        0xc0000080u

enum reg { EAX, EBX, ECX, EDX };

struct feature {
	const char *name;
	u32 leaf;
	enum reg reg;
	u32 bit;
};

static int has(const struct feature *f)
{
	static u32 max_basic, max_ext;
	struct cpuid r;
	u32 v;

	if (!max_basic) {
		max_basic = cpuid(0, 0).a;
		max_ext = cpuid(EXT, 0).a;
	}
	if (f->leaf < EXT ? f->leaf > max_basic : f->leaf > max_ext)
		return 0;
	r = cpuid(f->leaf, 0);
	v = f->reg == EAX ? r.a : f->reg == EBX ? r.b : f->reg == ECX ? r.c : r.d;
	return !!(v & BIT(f->bit));
}

static const struct {
	struct feature f;
	u32 msr;
} gated_msrs[] = {
	{ { "mtrr", 1, EDX, 12 }, 0x0fe },		/* MTRRcap */
	{ { "sysenter", 1, EDX, 11 }, 0x174 },		/* SYSENTER_CS */
	{ { "mca", 1, EDX, 14 }, 0x179 },		/* MCG_CAP */
	{ { "pat", 1, EDX, 16 }, 0x277 },		/* PAT */
	{ { "tsc_deadline", 1, ECX, 24 }, 0x6e0 },	/* TSC_DEADLINE */
	{ { "syscall", EXT + 1, EDX, 11 }, 0xc0000081u },	/* STAR */
	{ { "rdtscp", EXT + 1, EDX, 27 }, 0xc0000103u },	/* TSC_AUX */
	{ { "svm", EXT + 1, ECX, 2 }, 0xc0010114u },	/* VM_CR */
};

static const struct {
	struct feature f;
	u32 efer_bit;
} gated_efer[] = {
	{ { "nx", EXT + 1, EDX, 20 }, 11 },
	{ { "svm", EXT + 1, ECX, 2 }, 12 },
	{ { "ffxsr", EXT + 1, EDX, 25 }, 14 },
	{ { "tce", EXT + 1, ECX, 17 }, 15 },
};

static void test_leaves(void)
{
	struct cpuid r0 = cpuid(0, 0), r1 = cpuid(1, 0);
	char vendor[13];
	u32 printable = 1, family, ext_max = cpuid(EXT, 0).a;

	memcpy(vendor, &r0.b, 4);
	memcpy(vendor + 4, &r0.d, 4);
	memcpy(vendor + 8, &r0.c, 4);
	vendor[12] = '\0';
	for (int i = 0; i < 12; i++)
		printable &= vendor[i] >= 0x20 && vendor[i] < 0x7f;
	family = (r1.a >> 8) & 0xf;
	printf("vendor %s, max leaf 0x%x, max extended 0x%x, leaf 1 0x%x 0x%x 0x%x 0x%x\n",
	       printable ? vendor : "?", r0.a, ext_max, r1.a, r1.b, r1.c, r1.d);
	check("basic", r0.a >= 1 && r0.a < 0x100 && printable && family,
	      "max leaf 0x%x, vendor %s, family %u", r0.a, printable ? vendor : "unprintable", family);
	check("extended", ext_max >= EXT + 1 && ext_max < EXT + 0x100,
	      "max extended leaf 0x%x", ext_max);
	check("msr_feature", r1.d & BIT(5), "CPUID.1:EDX.MSR clear, yet RDMSR is in use");
	check("apic_feature", r1.d & BIT(9), "CPUID.1:EDX.APIC clear on a PC");
}

static void test_apic_base(void)
{
	u64 base;

	lapic_init();
	if (!check("apic_base_msr", !rdmsr_safe(MSR_APIC_BASE, &base), "APIC_BASE raised #GP"))
		return;
	check("apic_base_bsp", (base & APIC_BASE_BSP) && (base & APIC_BASE_EN),
	      "APIC_BASE 0x%llx: BSP and enable expected", base);
	check("apic_id", cpuid(1, 0).b >> 24 == lapic_id(),
	      "CPUID.1:EBX initial APIC ID %u, the LAPIC's ID register %u",
	      cpuid(1, 0).b >> 24, lapic_id());
}

static void test_tsc_msr(void)
{
	u64 a, b, m = 0;
	int gp;

	a = rdtsc();
	gp = rdmsr_safe(MSR_TSC, &m);
	b = rdtsc();
	check("tsc_msr", !gp && m >= a && m <= b, "TSC MSR 0x%llx (%s), RDTSC 0x%llx..0x%llx", m,
	      gp ? "#GP" : "read", a, b);
}

static void test_gated_msrs(void)
{
	for (u32 i = 0; i < ARRAY_SIZE(gated_msrs); i++) {
		char name[40];
		int offered = has(&gated_msrs[i].f);
		u64 v;
		int gp = rdmsr_safe(gated_msrs[i].msr, &v);

		snprintf(name, sizeof(name), "msr_%s", gated_msrs[i].f.name);
		check(name, offered ? !gp : gp, "CPUID %s %s, RDMSR 0x%x %s", gated_msrs[i].f.name,
		      offered ? "offered" : "denied", gated_msrs[i].msr,
		      gp ? "raised #GP" : "read without #GP");
	}
}

static void test_gated_efer(void)
{
	u64 efer = rdmsr(MSR_EFER);

	for (u32 i = 0; i < ARRAY_SIZE(gated_efer); i++) {
		char name[40];
		u64 bit = 1ull << gated_efer[i].efer_bit, after;
		int offered = has(&gated_efer[i].f), gp;

		if (efer & bit)
			continue;	/* already set by the loader: nothing to learn */
		gp = wrmsr_safe(MSR_EFER, efer | bit);
		after = rdmsr(MSR_EFER);
		wrmsr(MSR_EFER, efer);
		snprintf(name, sizeof(name), "efer_%s", gated_efer[i].f.name);
		if (offered)
			check(name, !gp && (after & bit), "CPUID %s offered, EFER bit %u: %s, reads 0x%llx",
			      gated_efer[i].f.name, gated_efer[i].efer_bit, gp ? "#GP" : "no #GP", after);
		else
			check(name, gp && !(after & bit),
			      "CPUID %s denied, EFER bit %u: %s, reads 0x%llx (#GP expected)",
			      gated_efer[i].f.name, gated_efer[i].efer_bit, gp ? "#GP" : "no #GP", after);
	}
}

static void test_x2apic_off(void)
{
	u64 v;
	int gp = rdmsr_safe(MSR_X2APIC_ID, &v) < 0;

	check("x2apic_msr_off", gp,
	      "x2APIC ID MSR read 0x%llx without #GP while x2APIC mode is off", v);
}

void kmain(u32 magic, u32 info)
{
	test_leaves();
	test_apic_base();
	test_tsc_msr();
	test_gated_msrs();
	test_gated_efer();
	test_x2apic_off();
}
