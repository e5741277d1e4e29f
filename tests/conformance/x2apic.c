/*
 * Conformance kernel "x2apic": the local APIC in x2APIC mode, entered and
 * left through IA32_APIC_BASE (SDM vol. 3A 10.12). Only where
 * CPUID.1:ECX[21] offers it (QEMU TCG's qemu64 does not: every check
 * SKIPs). In x2APIC mode the registers are MSRs 0x800 + offset / 16: the
 * 32-bit ID and the version, the timer, a self-IPI through SELF_IPI and
 * through the ICR, EOI; the mode switches the SDM forbids raise #GP
 * (x2APIC -> xAPIC, disabled -> x2APIC), those it allows do not (xAPIC ->
 * x2APIC, x2APIC -> disabled -> xAPIC), and x2APIC MSRs raise #GP outside
 * x2APIC mode.
 */
#include "conf.h"

const char conf_kernel[] = "x2apic";

#define MSR_APIC_BASE    0x01b
#define APIC_BASE_EXTD   BIT(10)
#define APIC_BASE_EN     BIT(11)
#define CPUID1_X2APIC    BIT(21)
#define X2APIC_MSR(reg)  (0x800 + ((reg) >> 4))
#define X2APIC_SELF_IPI  0x83f
#define LAPIC_LDR        0x0d0
#define X2APIC_ISR(vec)  (X2APIC_MSR(LAPIC_ISR) + (vec) / 32)

#define VEC_TIMER        0x40
#define VEC_SELF         0x51
#define VEC_ICR          0x62
#define DIV_16           0x3

static const char *const checks[] = {
	"enable", "id", "version", "ldr", "timer", "self_ipi", "icr_self", "eoi",
	"reserved_gp", "to_xapic_gp", "disable", "msr_gp_disabled",
	"disabled_to_x2apic_gp", "reenable",
};

static volatile u32 hits[256];
static volatile u32 isr_in_handler;
static volatile u32 in_vector;

static void x2apic_eoi(void)
{
	wrmsr(X2APIC_MSR(LAPIC_EOI), 0);
}

/* Records the vector and whether its ISR bit is set; EOI through the MSR. */
static void handler(struct frame *f)
{
	u64 isr = rdmsr(X2APIC_ISR(f->vector));

	in_vector = f->vector;
	isr_in_handler = (u32)isr & BIT(f->vector % 32);
	hits[f->vector]++;
	x2apic_eoi();
}

static int wait_for(u32 vector, u32 us)
{
	for (u32 i = 0; i < us / 100 && !hits[vector]; i++)
		delay_us(100);
	return hits[vector];
}

static void test_identity(u32 xapic_version)
{
	u32 apic_id = cpuid(1, 0).b >> 24;
	u64 id = rdmsr(X2APIC_MSR(LAPIC_ID));
	u64 ver = rdmsr(X2APIC_MSR(LAPIC_VERSION));
	u64 ldr = rdmsr(X2APIC_MSR(LAPIC_LDR));
	u64 want_ldr = (u64)(apic_id >> 4) << 16 | BIT(apic_id & 0xf);

	/* All 32 bits are the ID, not bits 31:24 as in xAPIC mode. */
	check("id", id == apic_id, "x2APIC ID 0x%llx, CPUID initial APIC ID %u", id, apic_id);
	check("version", ver == xapic_version, "version 0x%llx, xAPIC read 0x%x", ver,
	      xapic_version);
	check("ldr", ldr == want_ldr, "LDR 0x%llx, expected 0x%llx (cluster, bit)", ldr,
	      want_ldr);
}

static void test_timer(void)
{
	u64 cur0, cur1;

	wrmsr(X2APIC_MSR(LAPIC_TIMER_DIV), DIV_16);
	wrmsr(X2APIC_MSR(LAPIC_LVT_TIMER), VEC_TIMER);
	wrmsr(X2APIC_MSR(LAPIC_TIMER_INIT), 0x100000);
	cur0 = rdmsr(X2APIC_MSR(LAPIC_TIMER_CUR));
	delay_us(200);
	cur1 = rdmsr(X2APIC_MSR(LAPIC_TIMER_CUR));
	wait_for(VEC_TIMER, 1000000);
	check("timer", cur0 && cur1 < cur0 && hits[VEC_TIMER] == 1 &&
	      rdmsr(X2APIC_MSR(LAPIC_TIMER_CUR)) == 0,
	      "current count 0x%llx then 0x%llx, %u interrupts (expected 1)", cur0, cur1,
	      hits[VEC_TIMER]);
	wrmsr(X2APIC_MSR(LAPIC_LVT_TIMER), LVT_MASKED | VEC_TIMER);
}

static void test_ipis(void)
{
	u64 isr;

	isr_in_handler = 0;
	wrmsr(X2APIC_SELF_IPI, VEC_SELF);
	wait_for(VEC_SELF, 10000);
	check("self_ipi", hits[VEC_SELF] == 1 && in_vector == VEC_SELF,
	      "%u interrupts at vector 0x%x (expected 1 at 0x%x)", hits[VEC_SELF], in_vector,
	      VEC_SELF);
	/* ICR: one 64-bit MSR write, destination shorthand self, fixed. */
	wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ICR_SELF | VEC_ICR);
	wait_for(VEC_ICR, 10000);
	check("icr_self", hits[VEC_ICR] == 1, "%u interrupts at 0x%x through the ICR",
	      hits[VEC_ICR], VEC_ICR);
	isr = rdmsr(X2APIC_ISR(VEC_ICR));
	check("eoi", isr_in_handler && !(isr & BIT(VEC_ICR % 32)),
	      "ISR bit %s in the handler, %s after the EOI MSR write",
	      isr_in_handler ? "set" : "clear", isr & BIT(VEC_ICR % 32) ? "set" : "clear");
}

static void test_transitions(u64 base)
{
	u64 v;

	/* EOI with a non-zero value and a write to the read-only version: #GP. */
	check("reserved_gp", wrmsr_safe(X2APIC_MSR(LAPIC_EOI), 1) < 0 &&
	      wrmsr_safe(X2APIC_MSR(LAPIC_VERSION), 0) < 0,
	      "non-zero EOI or a version write took no #GP");
	check("to_xapic_gp", wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EN) < 0 &&
	      rdmsr(MSR_APIC_BASE) == (base | APIC_BASE_EN | APIC_BASE_EXTD),
	      "x2APIC -> xAPIC without #GP, APIC_BASE 0x%llx", rdmsr(MSR_APIC_BASE));
	check("disable", wrmsr_safe(MSR_APIC_BASE, base) == 0 && rdmsr(MSR_APIC_BASE) == base,
	      "x2APIC -> disabled refused, APIC_BASE 0x%llx", rdmsr(MSR_APIC_BASE));
	check("msr_gp_disabled", rdmsr_safe(X2APIC_MSR(LAPIC_ID), &v) < 0,
	      "x2APIC ID MSR read 0x%llx with the APIC disabled", v);
	check("disabled_to_x2apic_gp",
	      wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) < 0 &&
	      rdmsr(MSR_APIC_BASE) == base,
	      "disabled -> x2APIC without #GP, APIC_BASE 0x%llx", rdmsr(MSR_APIC_BASE));
	check("reenable", wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EN) == 0 &&
	      wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) == 0 &&
	      rdmsr_safe(X2APIC_MSR(LAPIC_ID), &v) == 0,
	      "disabled -> xAPIC -> x2APIC refused, APIC_BASE 0x%llx", rdmsr(MSR_APIC_BASE));
}

void kmain(u32 magic, u32 info)
{
	u64 base;
	u32 version;

	if (!(cpuid(1, 0).c & CPUID1_X2APIC)) {
		for (u32 i = 0; i < ARRAY_SIZE(checks); i++)
			skip(checks[i], "CPUID.1:ECX[21] clear: no x2APIC mode");
		return;
	}
	lapic_init();
	tsc_calibrate();
	version = lapic_read(LAPIC_VERSION);
	base = rdmsr(MSR_APIC_BASE) & ~(u64)(APIC_BASE_EN | APIC_BASE_EXTD);
	set_handler(VEC_TIMER, handler);
	set_handler(VEC_SELF, handler);
	set_handler(VEC_ICR, handler);
	if (!check("enable", wrmsr_safe(MSR_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD) == 0 &&
		   rdmsr(MSR_APIC_BASE) == (base | APIC_BASE_EN | APIC_BASE_EXTD),
		   "xAPIC -> x2APIC refused, APIC_BASE 0x%llx", rdmsr(MSR_APIC_BASE)))
		return;
	sti();
	test_identity(version);
	test_timer();
	test_ipis();
	cli();
	test_transitions(base);
}
