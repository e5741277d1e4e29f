/*
 * Hosted test of core/pc/dev/vlapic.c: the virtual local APIC and APIC bus.
 *
 * Scenario: a VM of NR_APICS vCPUs, each with its own vtimer list and
 * local APIC on one APIC bus, a virtual clock (now_ns) and a TSC running
 * at 2 GHz off it; the ops callbacks count kicks, NMIs, INITs, SIPIs and
 * level EOIs per APIC. Register values are checked against the SDM (vol.
 * 3A ch. 10/11), not against what the code returns: reset values,
 * writable bits, x2APIC #GP cases, IA32_APIC_BASE transitions, TPR/PPR
 * masking, IRR -> ISR -> EOI with nesting, IPIs in every addressing mode,
 * and the timer in its three modes over a simulated second. The last case
 * runs senders on three threads against the owner (TSan build).
 */
#include "core/pc/dev/vlapic.h"
#include "core/lib/errno.h"
#include "tests/host/check.h"

#define NR_APICS	20
#define US		1000ull
#define MS		1000000ull
#define TSC_KHZ		2000000ull	/* 2 GHz */

static uint64_t now_ns;

static uint64_t test_clock(void)
{
	return __atomic_load_n(&now_ns, __ATOMIC_RELAXED);
}

static uint64_t test_tsc(void *ctx)
{
	return test_clock() * (TSC_KHZ / 1000000);
}

struct probe {
	unsigned int kicks, nmis, inits, sipis, eois;
	uint8_t sipi_vector, eoi_vector;
};

static struct vlapic apic[NR_APICS];
static struct vtimer_vcpu vcpu[NR_APICS];
static struct probe probe[NR_APICS];
static struct vapic_bus bus;

static void op_kick(void *ctx)
{
	__atomic_fetch_add(&((struct probe *)ctx)->kicks, 1, __ATOMIC_RELAXED);
}

static void op_nmi(void *ctx)
{
	((struct probe *)ctx)->nmis++;
}

static void op_init(void *ctx)
{
	((struct probe *)ctx)->inits++;
}

static void op_sipi(void *ctx, uint8_t vector)
{
	((struct probe *)ctx)->sipis++;
	((struct probe *)ctx)->sipi_vector = vector;
}

static void op_eoi_level(void *ctx, uint8_t vector)
{
	((struct probe *)ctx)->eois++;
	((struct probe *)ctx)->eoi_vector = vector;
}

static const struct vlapic_ops ops = {
	.kick = op_kick, .nmi = op_nmi, .init = op_init, .sipi = op_sipi,
	.eoi_level = op_eoi_level,
};

static void setup(void)
{
	now_ns = 1000 * MS;
	bus = (struct vapic_bus){ 0 };
	for (unsigned int i = 0; i < NR_APICS; i++) {
		probe[i] = (struct probe){ 0 };
		vtimer_vcpu_init(&vcpu[i], i, NULL);
		CHECK_EQ(vlapic_init(&apic[i], i, &vcpu[i], &ops, &probe[i],
				     test_clock, test_tsc, TSC_KHZ), 0);
		vapic_bus_attach(&bus, &apic[i]);
	}
	CHECK_EQ(bus.nr, NR_APICS);
}

static void teardown(void)
{
	for (unsigned int i = 0; i < NR_APICS; i++) {
		vlapic_destroy(&apic[i]);
		vtimer_vcpu_destroy(&vcpu[i]);
	}
}

static uint32_t rd(unsigned int n, unsigned int reg)
{
	uint64_t v = 0xdead;

	CHECK_EQ(vlapic_mmio_ops.read(&apic[n], APIC_BASE_DEFAULT + reg, 4, &v), 0);
	return (uint32_t)v;
}

static uint64_t rd_sized(unsigned int n, unsigned int off, unsigned int size)
{
	uint64_t v = 0xdead;

	CHECK_EQ(vlapic_mmio_read(&apic[n], off, size, &v), 0);
	return v;
}

static void wr(unsigned int n, unsigned int reg, uint32_t val)
{
	CHECK_EQ(vlapic_mmio_ops.write(&apic[n], APIC_BASE_DEFAULT + reg, 4, val), 0);
}

static uint64_t rdmsr(unsigned int n, uint32_t msr)
{
	uint64_t v = 0;

	CHECK_EQ(vlapic_rdmsr(&apic[n], msr, &v), 0);
	return v;
}

static void enable(unsigned int n)
{
	wr(n, APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
}

static void to_x2apic(unsigned int n)
{
	CHECK_EQ(vlapic_wrmsr(&apic[n], MSR_IA32_APIC_BASE,
			      rdmsr(n, MSR_IA32_APIC_BASE) | APIC_BASE_EXTD), 0);
}

static bool irr_has(unsigned int n, uint8_t vec)
{
	return rd(n, APIC_REG_IRR + (vec / 32) * 16) >> (vec % 32) & 1;
}

static bool isr_has(unsigned int n, uint8_t vec)
{
	return rd(n, APIC_REG_ISR + (vec / 32) * 16) >> (vec % 32) & 1;
}

/* The vCPU takes what is injectable, as the run loop would, and EOIs it. */
static unsigned int take_all(unsigned int n, uint8_t *last)
{
	unsigned int taken = 0;
	int v;

	while ((v = vlapic_pending_vector(&apic[n])) >= 0) {
		vlapic_ack_vector(&apic[n], (uint8_t)v);
		if (last)
			*last = (uint8_t)v;
		wr(n, APIC_REG_EOI, 0);
		taken++;
	}
	return taken;
}

/* ---- Registers --------------------------------------------------------- */

static void xapic_reset_values(void)
{
	bool pic;

	setup();
	CHECK_EQ(rdmsr(0, MSR_IA32_APIC_BASE), 0xfee00900ull);	/* BSP, EN */
	CHECK_EQ(rdmsr(1, MSR_IA32_APIC_BASE), 0xfee00800ull);
	CHECK_EQ(rd(0, APIC_REG_ID), 0);
	CHECK_EQ(rd(5, APIC_REG_ID), 5u << 24);
	CHECK_EQ(rd(5, APIC_REG_LVR), 0x50014);
	CHECK_EQ(rd(5, APIC_REG_SVR), 0xff);
	CHECK_EQ(rd(5, APIC_REG_DFR), 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_TPR), 0);
	CHECK_EQ(rd(5, APIC_REG_LDR), 0);
	for (unsigned int r = APIC_REG_LVT_TIMER; r <= APIC_REG_LVT_ERROR; r += 16)
		CHECK_EQ(rd(5, r), 0x10000);
	CHECK_EQ(rd(5, APIC_REG_TMICT), 0);
	CHECK_EQ(rd(5, APIC_REG_TMCCT), 0);
	CHECK_EQ(rd(5, APIC_REG_TDCR), 0);
	/* LINT0 masked at reset: no PIC interrupts until set up. */
	CHECK(!vlapic_accepts_pic_intr(&apic[0]));
	CHECK_EQ(vlapic_pending_vector_pic(&apic[0], &pic), -1);
	CHECK(!pic);
	vlapic_setup_virtual_wire(&apic[0]);
	CHECK_EQ(rd(0, APIC_REG_LVT_LINT0), 0x8700);
	CHECK_EQ(rd(0, APIC_REG_LVT_LINT1), 0x8400);
	CHECK(vlapic_accepts_pic_intr(&apic[0]));
	/* The injection check's one-lock form answers both at once. */
	wr(0, APIC_REG_SVR, 0x1ff);
	vlapic_set_irq(&apic[0], 0x51, false);
	CHECK_EQ(vlapic_pending_vector_pic(&apic[0], &pic), 0x51);
	CHECK(pic);
	wr(0, APIC_REG_LVT_LINT0, 0x10700);			/* masked */
	CHECK_EQ(vlapic_pending_vector_pic(&apic[0], &pic), 0x51);
	CHECK(!pic);
	teardown();
}

static void xapic_access_sizes(void)
{
	setup();
	/* Bytes and words inside the first 4 bytes of a register. */
	CHECK_EQ(rd_sized(5, APIC_REG_LVR, 1), 0x14);
	CHECK_EQ(rd_sized(5, APIC_REG_LVR + 2, 2), 0x0005);
	CHECK_EQ(rd_sized(5, APIC_REG_LVR + 1, 2), 0x0500);
	CHECK_EQ(rd_sized(5, APIC_REG_ID + 3, 1), 5);
	/* Bytes 4-15 and 8-byte reads are undefined: 0. */
	CHECK_EQ(rd_sized(5, APIC_REG_LVR + 4, 4), 0);
	CHECK_EQ(rd_sized(5, APIC_REG_LVR + 3, 2), 0);
	CHECK_EQ(rd_sized(5, APIC_REG_LVR, 8), 0);
	/* Reserved and write-only registers read 0. */
	CHECK_EQ(rd(5, 0x000), 0);
	CHECK_EQ(rd(5, APIC_REG_EOI), 0);
	CHECK_EQ(rd(5, APIC_REG_LVT_CMCI), 0);	/* max LVT 5: no CMCI */
	CHECK_EQ(rd(5, 0xff0), 0);
	/* Only aligned 32-bit writes do anything. */
	CHECK_EQ(vlapic_mmio_write(&apic[5], APIC_REG_TPR, 1, 0x20), 0);
	CHECK_EQ(vlapic_mmio_write(&apic[5], APIC_REG_TPR + 4, 4, 0x20), 0);
	CHECK_EQ(vlapic_mmio_write(&apic[5], APIC_REG_TPR, 8, 0x20), 0);
	CHECK_EQ(rd(5, APIC_REG_TPR), 0);
	wr(5, APIC_REG_TPR, 0x20);
	CHECK_EQ(rd(5, APIC_REG_TPR), 0x20);
	/* The page offset counts, not the base. */
	CHECK_EQ(rd_sized(5, 0x1000 + APIC_REG_LVR, 4), 0x50014);
	teardown();
}

static void xapic_writable_bits(void)
{
	setup();
	/* Software disabled: LVT mask bits stay set. */
	wr(5, APIC_REG_LVT_LINT0, 0x700);
	CHECK_EQ(rd(5, APIC_REG_LVT_LINT0), 0x10700);
	wr(5, APIC_REG_SVR, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_SVR), 0x3ff);	/* vector, enable, focus */
	wr(5, APIC_REG_LVT_LINT0, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_LINT0), 0x1a7ff);	/* no status, remote IRR */
	wr(5, APIC_REG_LVT_LINT1, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_LINT1), 0x1a7ff);
	wr(5, APIC_REG_LVT_TIMER, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_TIMER), 0x700ff);
	wr(5, APIC_REG_LVT_THERMAL, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_THERMAL), 0x107ff);
	wr(5, APIC_REG_LVT_PMC, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_PMC), 0x107ff);
	wr(5, APIC_REG_LVT_ERROR, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LVT_ERROR), 0x100ff);
	wr(5, APIC_REG_TPR, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_TPR), 0xff);
	wr(5, APIC_REG_LDR, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_LDR), 0xff000000u);
	wr(5, APIC_REG_DFR, 0);
	CHECK_EQ(rd(5, APIC_REG_DFR), 0x0fffffffu);
	wr(5, APIC_REG_ICR_HI, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_ICR_HI), 0xff000000u);
	wr(5, APIC_REG_TDCR, 0xffffffffu);
	CHECK_EQ(rd(5, APIC_REG_TDCR), 0xb);
	/* Read-only registers ignore writes. */
	wr(5, APIC_REG_ID, 0x07000000);
	CHECK_EQ(rd(5, APIC_REG_ID), 5u << 24);
	wr(5, APIC_REG_LVR, 0);
	CHECK_EQ(rd(5, APIC_REG_LVR), 0x50014);
	/* Software disable sets every LVT mask bit. */
	wr(5, APIC_REG_LVT_LINT0, 0x700);
	CHECK_EQ(rd(5, APIC_REG_LVT_LINT0), 0x700);
	wr(5, APIC_REG_SVR, 0xff);
	CHECK_EQ(rd(5, APIC_REG_LVT_LINT0), 0x10700);
	CHECK_EQ(rd(5, APIC_REG_LVT_TIMER), 0x700ff);
	teardown();
}

static void x2apic_registers(void)
{
	struct vlapic *a = &apic[17];
	uint64_t v;

	setup();
	/* x2APIC MSRs #GP in xAPIC mode; other MSRs are not ours. */
	CHECK_EQ(vlapic_rdmsr(a, 0x802, &v), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x808, 0), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x10, &v), -ENOENT);
	CHECK_EQ(vlapic_wrmsr(a, 0x900, 0), -ENOENT);
	to_x2apic(17);
	CHECK_EQ(rdmsr(17, 0x802), 17);			/* 32-bit ID */
	CHECK_EQ(rdmsr(17, 0x803), 0x50014);
	CHECK_EQ(rdmsr(17, 0x80d), 0x10002);		/* cluster 1, bit 1 */
	CHECK_EQ(rdmsr(17, 0x80f), 0xff);
	CHECK_EQ(rdmsr(17, 0x832), 0x10000);
	/* The MMIO page is gone. */
	CHECK_EQ(rd(17, APIC_REG_LVR), 0);
	/* Read-only: */
	CHECK_EQ(vlapic_wrmsr(a, 0x802, 17), -EINVAL);	/* ID */
	CHECK_EQ(vlapic_wrmsr(a, 0x803, 0), -EINVAL);	/* version */
	CHECK_EQ(vlapic_wrmsr(a, 0x80a, 0), -EINVAL);	/* PPR */
	CHECK_EQ(vlapic_wrmsr(a, 0x80d, 0), -EINVAL);	/* LDR */
	CHECK_EQ(vlapic_wrmsr(a, 0x810, 0), -EINVAL);	/* ISR */
	CHECK_EQ(vlapic_wrmsr(a, 0x839, 0), -EINVAL);	/* TMCCT */
	/* Write-only: */
	CHECK_EQ(vlapic_rdmsr(a, 0x80b, &v), -EINVAL);	/* EOI */
	CHECK_EQ(vlapic_rdmsr(a, 0x83f, &v), -EINVAL);	/* SELF IPI */
	/* Not in x2APIC mode: APR, DFR, ICR high, CMCI, reserved. */
	CHECK_EQ(vlapic_rdmsr(a, 0x809, &v), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x80e, &v), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x831, &v), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x82f, &v), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x800, &v), -EINVAL);
	CHECK_EQ(vlapic_rdmsr(a, 0x8ff, &v), -EINVAL);
	/* EOI and ESR take only 0; bits 63:32 are reserved but in ICR. */
	CHECK_EQ(vlapic_wrmsr(a, 0x80b, 1), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x80b, 0), 0);
	CHECK_EQ(vlapic_wrmsr(a, 0x828, 1), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x828, 0), 0);
	CHECK_EQ(vlapic_wrmsr(a, 0x808, 1ull << 32), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x808, 0x30), 0);
	CHECK_EQ(rdmsr(17, 0x808), 0x30);
	/* ICR: one 64-bit register; reserved bits 12-13, 16-17, 20-31. */
	CHECK_EQ(vlapic_wrmsr(a, 0x830, 1ull << 12 | 0x40), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x830, 1ull << 20 | 0x40), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, 0x830, 3ull << 32 | 0x4041), 0);
	CHECK_EQ(rdmsr(17, 0x830), 3ull << 32 | 0x4041);
	CHECK(!irr_has(3, 0x41));		/* APIC 3 is software disabled */
	enable(3);
	CHECK_EQ(vlapic_wrmsr(a, 0x830, 3ull << 32 | 0x4041), 0);
	CHECK(irr_has(3, 0x41));
	teardown();
}

static void apic_base_transitions(void)
{
	struct vlapic *a = &apic[1];
	const uint64_t base = 0xfee00000ull;

	setup();
	/* Reserved bits and the invalid state #GP. */
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN | 1), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN | BIT(9)), -EINVAL);
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD), -EINVAL);
	/* xAPIC -> x2APIC -> (not xAPIC) -> disabled -> (not x2APIC) -> xAPIC */
	enable(1);
	wr(1, APIC_REG_TPR, 0x40);
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD), 0);
	CHECK_EQ(rdmsr(1, 0x808), 0x40);	/* state kept */
	CHECK_EQ(rdmsr(1, 0x802), 1);
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN), -EINVAL);
	CHECK_EQ(rdmsr(1, MSR_IA32_APIC_BASE), base | APIC_BASE_EN | APIC_BASE_EXTD);
	CHECK(!vlapic_accepts_pic_intr(a));
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base), 0);
	CHECK(vlapic_accepts_pic_intr(a));	/* hardware disabled */
	CHECK_EQ(rd(1, APIC_REG_LVR), 0);	/* no registers */
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD),
		 -EINVAL);
	/* Off the bus: no interrupt is taken. */
	vlapic_set_irq(a, 0x50, false);
	CHECK_EQ(vlapic_pending_vector(a), -1);
	CHECK_EQ(vlapic_wrmsr(a, MSR_IA32_APIC_BASE, base | APIC_BASE_EN), 0);
	/* Back from disabled: reset state, ID kept. */
	CHECK_EQ(rd(1, APIC_REG_ID), 1u << 24);
	CHECK_EQ(rd(1, APIC_REG_TPR), 0);
	CHECK_EQ(rd(1, APIC_REG_SVR), 0xff);
	CHECK_EQ(rd(1, APIC_REG_LDR), 0);
	/* The BSP bit is the BSP's. */
	CHECK_EQ(rdmsr(0, MSR_IA32_APIC_BASE) & APIC_BASE_BSP, APIC_BASE_BSP);
	CHECK_EQ(rdmsr(1, MSR_IA32_APIC_BASE) & APIC_BASE_BSP, 0);
	/* INIT keeps x2APIC mode (SDM 10.12.5.1), RESET does not. */
	to_x2apic(1);
	vlapic_init_signal(a);
	CHECK_EQ(rdmsr(1, MSR_IA32_APIC_BASE), base | APIC_BASE_EN | APIC_BASE_EXTD);
	CHECK_EQ(rdmsr(1, 0x80d), 1u << 1);
	vlapic_reset(a, false);
	CHECK_EQ(rdmsr(1, MSR_IA32_APIC_BASE), base | APIC_BASE_EN);
	teardown();
}

/* ---- Priorities, IRR/ISR/EOI ------------------------------------------- */

static void tpr_ppr_masking(void)
{
	setup();
	/* Software disabled: fixed interrupts are dropped. */
	vlapic_set_irq(&apic[2], 0x51, false);
	CHECK(!irr_has(2, 0x51));
	CHECK_EQ(probe[2].kicks, 0);
	enable(2);
	wr(2, APIC_REG_TPR, 0x50);
	vlapic_set_irq(&apic[2], 0x51, false);
	CHECK(irr_has(2, 0x51));
	CHECK_EQ(vlapic_pending_vector(&apic[2]), -1);	/* class 5 is not > 5 */
	CHECK_EQ(probe[2].kicks, 0);
	wr(2, APIC_REG_TPR, 0x4f);
	CHECK_EQ(vlapic_pending_vector(&apic[2]), 0x51);
	CHECK_EQ(probe[2].kicks, 1);			/* TPR write made it so */
	CHECK_EQ(rd(2, APIC_REG_PPR), 0x4f);
	vlapic_ack_vector(&apic[2], 0x51);
	/* PPR = ISRV's class when it is above TPR's class. */
	CHECK_EQ(rd(2, APIC_REG_PPR), 0x50);
	wr(2, APIC_REG_TPR, 0x62);
	CHECK_EQ(rd(2, APIC_REG_PPR), 0x62);
	wr(2, APIC_REG_TPR, 0x5f);
	CHECK_EQ(rd(2, APIC_REG_PPR), 0x5f);		/* same class: TPR */
	/* APR: TPR, or the class of max(IRRV, ISRV) if that is higher. */
	wr(2, APIC_REG_TPR, 0x10);
	CHECK_EQ(rd(2, APIC_REG_APR), 0x50);
	vlapic_set_irq(&apic[2], 0x91, false);
	CHECK_EQ(rd(2, APIC_REG_APR), 0x90);
	CHECK_EQ(vlapic_pending_vector(&apic[2]), 0x91);
	/* Software disabled with IRR set: nothing to inject. */
	wr(2, APIC_REG_SVR, 0xff);
	CHECK_EQ(vlapic_pending_vector(&apic[2]), -1);
	CHECK(irr_has(2, 0x91));
	teardown();
}

static void irr_isr_eoi_nested(void)
{
	setup();
	enable(3);
	vlapic_set_irq(&apic[3], 0x40, false);
	vlapic_set_irq(&apic[3], 0x80, false);
	CHECK_EQ(probe[3].kicks, 2);
	CHECK_EQ(rd(3, APIC_REG_IRR + 0x20), 1u << 0);	/* vector 0x40 */
	CHECK_EQ(rd(3, APIC_REG_IRR + 0x40), 1u << 0);	/* vector 0x80 */
	CHECK_EQ(vlapic_pending_vector(&apic[3]), 0x80);
	vlapic_ack_vector(&apic[3], 0x80);
	CHECK(!irr_has(3, 0x80));
	CHECK(isr_has(3, 0x80));
	/* 0x40 waits behind 0x80 in service; 0x90 nests. */
	CHECK_EQ(vlapic_pending_vector(&apic[3]), -1);
	vlapic_set_irq(&apic[3], 0x85, false);		/* same class: waits */
	CHECK_EQ(vlapic_pending_vector(&apic[3]), -1);
	vlapic_set_irq(&apic[3], 0x90, false);
	CHECK_EQ(vlapic_pending_vector(&apic[3]), 0x90);
	vlapic_ack_vector(&apic[3], 0x90);
	CHECK_EQ(rd(3, APIC_REG_ISR + 0x40), 1u << 0 | 1u << 16);
	/* EOI retires the highest in service first. */
	wr(3, APIC_REG_EOI, 0);
	CHECK(!isr_has(3, 0x90));
	CHECK(isr_has(3, 0x80));
	CHECK_EQ(vlapic_pending_vector(&apic[3]), -1);
	wr(3, APIC_REG_EOI, 0);
	CHECK(!isr_has(3, 0x80));
	CHECK_EQ(vlapic_pending_vector(&apic[3]), 0x85);
	vlapic_ack_vector(&apic[3], 0x85);
	wr(3, APIC_REG_EOI, 0);
	CHECK_EQ(vlapic_pending_vector(&apic[3]), 0x40);
	vlapic_ack_vector(&apic[3], 0x40);
	wr(3, APIC_REG_EOI, 0);
	CHECK_EQ(vlapic_pending_vector(&apic[3]), -1);
	CHECK_EQ(rd(3, APIC_REG_PPR), 0);
	/* An EOI with nothing in service does nothing. */
	wr(3, APIC_REG_EOI, 0);
	CHECK_EQ(probe[3].eois, 0);
	/* Vectors 0-15: dropped, ESR bit 6 after the next ESR write. */
	vlapic_set_irq(&apic[3], 5, false);
	CHECK_EQ(rd(3, APIC_REG_IRR), 0);
	CHECK_EQ(rd(3, APIC_REG_ESR), 0);
	wr(3, APIC_REG_ESR, 0);
	CHECK_EQ(rd(3, APIC_REG_ESR), 0x40);
	wr(3, APIC_REG_ESR, 0);
	CHECK_EQ(rd(3, APIC_REG_ESR), 0);
	/* With the error LVT unmasked, the error raises its vector. */
	wr(3, APIC_REG_LVT_ERROR, 0xfe);
	vlapic_set_irq(&apic[3], 15, false);
	CHECK_EQ(vlapic_pending_vector(&apic[3]), 0xfe);
	teardown();
}

static void level_eoi_callback(void)
{
	setup();
	enable(4);
	vlapic_set_irq(&apic[4], 0x61, true);
	CHECK_EQ(rd(4, APIC_REG_TMR + 0x30), 1u << 1);
	vlapic_ack_vector(&apic[4], 0x61);
	wr(4, APIC_REG_EOI, 0);
	CHECK_EQ(probe[4].eois, 1);
	CHECK_EQ(probe[4].eoi_vector, 0x61);
	/* The same vector edge-triggered: TMR cleared, no callback. */
	vlapic_set_irq(&apic[4], 0x61, false);
	CHECK_EQ(rd(4, APIC_REG_TMR + 0x30), 0);
	vlapic_ack_vector(&apic[4], 0x61);
	wr(4, APIC_REG_EOI, 0);
	CHECK_EQ(probe[4].eois, 1);
	/* x2APIC EOI MSR too. */
	to_x2apic(4);
	vlapic_set_irq(&apic[4], 0x62, true);
	vlapic_ack_vector(&apic[4], 0x62);
	CHECK_EQ(vlapic_wrmsr(&apic[4], 0x80b, 0), 0);
	CHECK_EQ(probe[4].eois, 2);
	CHECK_EQ(probe[4].eoi_vector, 0x62);
	teardown();
}

/* ---- IPIs -------------------------------------------------------------- */

static void send_xapic(unsigned int from, uint8_t dest, uint32_t lo)
{
	wr(from, APIC_REG_ICR_HI, (uint32_t)dest << 24);
	wr(from, APIC_REG_ICR_LO, lo);
}

/* Which APICs have vec in IRR, as a bitmask. */
static uint32_t who_has(uint8_t vec)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < NR_APICS; i++) {
		uint64_t v = 0;
		uint32_t reg = APIC_REG_IRR + (vec / 32) * 16;
		bool x2 = rdmsr(i, MSR_IA32_APIC_BASE) & APIC_BASE_EXTD;

		if (x2)
			v = rdmsr(i, APIC_MSR(reg));
		else
			v = rd(i, reg);
		if (v >> (vec % 32) & 1)
			m |= 1u << i;
		/* Clear it for the next round. */
		if (v >> (vec % 32) & 1) {
			vlapic_ack_vector(&apic[i], vec);
			if (x2)
				CHECK_EQ(vlapic_wrmsr(&apic[i], 0x80b, 0), 0);
			else
				wr(i, APIC_REG_EOI, 0);
		}
	}
	return m;
}

static void enable_all(void)
{
	for (unsigned int i = 0; i < NR_APICS; i++)
		enable(i);
}

static void ipi_physical(void)
{
	setup();
	enable_all();
	send_xapic(0, 2, 0x70);			/* fixed, physical, no shorthand */
	CHECK_EQ(who_has(0x70), 1u << 2);
	CHECK_EQ(probe[2].kicks, 1);
	CHECK_EQ(rd(0, APIC_REG_ICR_LO), 0x70);	/* delivery status idle */
	send_xapic(0, 0x33, 0x70);		/* nobody */
	CHECK_EQ(who_has(0x70), 0);
	send_xapic(3, 0xff, 0x71);		/* broadcast, sender included */
	CHECK_EQ(who_has(0x71), (1u << NR_APICS) - 1);
	/* Level-triggered fixed IPI sets TMR. */
	send_xapic(0, 6, 0x72 | APIC_ICR_TRIGGER_LEVEL | APIC_ICR_LEVEL_ASSERT);
	CHECK_EQ(rd(6, APIC_REG_TMR + 0x30), 1u << 18);
	/* Illegal vector: the sender's ESR bit 5, nothing sent. */
	send_xapic(0, 2, 0x07);
	CHECK_EQ(rd(2, APIC_REG_IRR), 0);
	wr(0, APIC_REG_ESR, 0);
	CHECK_EQ(rd(0, APIC_REG_ESR), 0x20);
	teardown();
}

static void ipi_logical_flat(void)
{
	setup();
	enable_all();
	for (unsigned int i = 0; i < 8; i++)
		wr(i, APIC_REG_LDR, (1u << i) << 24);	/* DFR flat at reset */
	send_xapic(0, 0x06, 0x70 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x70), 1u << 1 | 1u << 2);
	send_xapic(0, 0x81, 0x70 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x70), 1u << 0 | 1u << 7);
	/* 0xff: every APIC, even those with LDR 0. */
	send_xapic(0, 0xff, 0x70 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x70), (1u << NR_APICS) - 1);
	teardown();
}

static void ipi_logical_cluster(void)
{
	static const uint8_t ldr[4] = { 0x11, 0x12, 0x21, 0x22 };

	setup();
	enable_all();
	for (unsigned int i = 0; i < 4; i++) {
		wr(i, APIC_REG_DFR, APIC_DFR_CLUSTER << 28);
		wr(i, APIC_REG_LDR, (uint32_t)ldr[i] << 24);
	}
	CHECK_EQ(rd(0, APIC_REG_DFR), 0x0fffffffu);
	send_xapic(0, 0x13, 0x70 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x70), 1u << 0 | 1u << 1);
	send_xapic(0, 0x22, 0x70 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x70), 1u << 3);
	send_xapic(0, 0x31, 0x70 | APIC_ICR_DEST_LOGICAL);	/* no cluster 3 */
	CHECK_EQ(who_has(0x70), 0);
	teardown();
}

static void ipi_x2apic(void)
{
	setup();
	enable_all();
	for (unsigned int i = 0; i < NR_APICS; i++)
		to_x2apic(i);
	CHECK_EQ(rdmsr(5, 0x80d), 1u << 5);
	CHECK_EQ(rdmsr(16, 0x80d), 0x10001);
	/* Cluster 1, members 0 and 1: APICs 16 and 17. */
	CHECK_EQ(vlapic_wrmsr(&apic[0], 0x830, (0x10003ull << 32) | 0x870), 0);
	CHECK_EQ(who_has(0x70), 1u << 16 | 1u << 17);
	/* Cluster 0, members 2 and 15. */
	CHECK_EQ(vlapic_wrmsr(&apic[0], 0x830, (0x8004ull << 32) | 0x870), 0);
	CHECK_EQ(who_has(0x70), 1u << 2 | 1u << 15);
	/* Physical 32-bit destination; 0xff is an ordinary ID here. */
	CHECK_EQ(vlapic_wrmsr(&apic[0], 0x830, (19ull << 32) | 0x70), 0);
	CHECK_EQ(who_has(0x70), 1u << 19);
	CHECK_EQ(vlapic_wrmsr(&apic[0], 0x830, (0xffull << 32) | 0x70), 0);
	CHECK_EQ(who_has(0x70), 0);
	CHECK_EQ(vlapic_wrmsr(&apic[0], 0x830, (0xffffffffull << 32) | 0x70), 0);
	CHECK_EQ(who_has(0x70), (1u << NR_APICS) - 1);
	/* SELF IPI. */
	CHECK_EQ(vlapic_wrmsr(&apic[9], 0x83f, 0x74), 0);
	CHECK_EQ(who_has(0x74), 1u << 9);
	CHECK_EQ(vlapic_wrmsr(&apic[9], 0x83f, 1ull << 32 | 0x74), -EINVAL);
	teardown();
}

static void ipi_shorthands(void)
{
	const uint32_t all = (1u << NR_APICS) - 1;

	setup();
	enable_all();
	/* The destination field is ignored with a shorthand. */
	send_xapic(1, 7, 0x70 | VAPIC_SH_SELF << 18);
	CHECK_EQ(who_has(0x70), 1u << 1);
	send_xapic(1, 7, 0x70 | VAPIC_SH_ALL_INCL << 18);
	CHECK_EQ(who_has(0x70), all);
	send_xapic(1, 7, 0x70 | VAPIC_SH_ALL_EXCL << 18);
	CHECK_EQ(who_has(0x70), all & ~(1u << 1));
	/* A hardware-disabled APIC is off the bus. */
	CHECK_EQ(vlapic_wrmsr(&apic[4], MSR_IA32_APIC_BASE, 0xfee00000ull), 0);
	send_xapic(1, 7, 0x70 | VAPIC_SH_ALL_EXCL << 18);
	CHECK_EQ(who_has(0x70), all & ~(1u << 1 | 1u << 4));
	send_xapic(1, 7, VAPIC_DM_NMI << 8 | VAPIC_SH_ALL_EXCL << 18);
	CHECK_EQ(probe[4].nmis, 0);
	CHECK_EQ(probe[5].nmis, 1);
	teardown();
}

static void ipi_lowest_priority(void)
{
	static const uint8_t tpr[4] = { 0x40, 0x20, 0x30, 0x50 };

	setup();
	enable_all();
	for (unsigned int i = 0; i < 4; i++) {
		wr(i, APIC_REG_LDR, (1u << i) << 24);
		wr(i, APIC_REG_TPR, tpr[i]);
	}
	send_xapic(0, 0x0f, 0x171 | APIC_ICR_DEST_LOGICAL);	/* lowest */
	CHECK_EQ(who_has(0x71), 1u << 1);
	send_xapic(0, 0x0d, 0x171 | APIC_ICR_DEST_LOGICAL);	/* 0, 2, 3 */
	CHECK_EQ(who_has(0x71), 1u << 2);
	/* An interrupt in service raises APIC 2's arbitration priority. */
	vlapic_set_irq(&apic[2], 0x90, false);
	vlapic_ack_vector(&apic[2], 0x90);
	send_xapic(0, 0x0d, 0x171 | APIC_ICR_DEST_LOGICAL);
	CHECK_EQ(who_has(0x71), 1u << 0);
	/* Exactly one of a broadcast set. */
	send_xapic(5, 0xff, 0x72);				/* fixed */
	CHECK_EQ(__builtin_popcount(who_has(0x72)), NR_APICS);
	send_xapic(5, 0xff, 0x172 | VAPIC_DM_LOWEST << 8);
	CHECK_EQ(__builtin_popcount(who_has(0x72)), 1);
	teardown();
}

static void ipi_init_sipi_nmi(void)
{
	setup();
	enable_all();
	/* Linux's wakeup_secondary_cpu_via_init(): assert, de-assert, SIPI x2. */
	send_xapic(0, 1, APIC_ICR_TRIGGER_LEVEL | APIC_ICR_LEVEL_ASSERT |
			 VAPIC_DM_INIT << 8);
	CHECK_EQ(probe[1].inits, 1);
	send_xapic(0, 1, APIC_ICR_TRIGGER_LEVEL | VAPIC_DM_INIT << 8);
	CHECK_EQ(probe[1].inits, 1);			/* de-assert ignored */
	send_xapic(0, 1, VAPIC_DM_SIPI << 8 | 0x9a);
	CHECK_EQ(probe[1].sipis, 1);
	CHECK_EQ(probe[1].sipi_vector, 0x9a);
	CHECK_EQ(who_has(0x9a), 0);			/* not an interrupt */
	/* INIT to all but self. */
	send_xapic(0, 0, APIC_ICR_LEVEL_ASSERT | VAPIC_DM_INIT << 8 |
			 VAPIC_SH_ALL_EXCL << 18);
	CHECK_EQ(probe[0].inits, 0);
	CHECK_EQ(probe[1].inits, 2);
	CHECK_EQ(probe[NR_APICS - 1].inits, 1);
	/* NMI; SMI ignored. */
	send_xapic(0, 3, VAPIC_DM_NMI << 8);
	CHECK_EQ(probe[3].nmis, 1);
	send_xapic(0, 3, VAPIC_DM_SMI << 8);
	CHECK_EQ(probe[3].nmis, 1);
	CHECK_EQ(probe[3].inits, 1);
	CHECK_EQ(who_has(0), 0);
	/* INIT and SIPI reach a software-disabled APIC too. */
	wr(3, APIC_REG_SVR, 0xff);
	send_xapic(0, 3, VAPIC_DM_SIPI << 8 | 0x10);
	CHECK_EQ(probe[3].sipis, 1);
	teardown();
}

/* ---- Timer ------------------------------------------------------------- */

/* vCPU n's exits every step ns until end; counts interrupts of vec. */
static unsigned int run_exits(unsigned int n, uint64_t end, uint64_t step,
			      uint8_t vec)
{
	unsigned int hits = 0;
	uint8_t last;

	while (now_ns < end) {
		now_ns = MIN(now_ns + step, end);
		vtimer_update_irq(&vcpu[n], now_ns);
		while (take_all(n, &last))
			hits += last == vec;
	}
	return hits;
}

static void timer_one_shot(void)
{
	uint64_t t0;

	setup();
	enable(0);
	wr(0, APIC_REG_TDCR, 0x3);			/* divide by 16 */
	wr(0, APIC_REG_LVT_TIMER, 0xec);		/* one-shot */
	t0 = now_ns;
	wr(0, APIC_REG_TMICT, 1000000);			/* 16 ms */
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 1000000);
	now_ns = t0 + 4 * MS;
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 750000);
	now_ns = t0 + 4 * MS + 1;
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 750000);	/* counts every 16 ns */
	now_ns = t0 + 4 * MS + 16;
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 749999);
	CHECK_EQ(run_exits(0, t0 + 16 * MS - 1, 100 * US, 0xec), 0);
	CHECK_EQ(run_exits(0, t0 + 16 * MS, 100 * US, 0xec), 1);
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
	CHECK_EQ(rd(0, APIC_REG_TMICT), 1000000);
	CHECK_EQ(run_exits(0, t0 + 1016 * MS, 1 * MS, 0xec), 0);
	/* Re-arm, then stop it with a zero count. */
	t0 = now_ns;
	wr(0, APIC_REG_TMICT, 1000000);
	now_ns = t0 + 8 * MS;
	wr(0, APIC_REG_TMICT, 0);
	CHECK_EQ(rd(0, APIC_REG_TMCCT), 0);
	CHECK_EQ(run_exits(0, t0 + 100 * MS, 1 * MS, 0xec), 0);
	/* Divide by 1 (0xb) and by 128 (0xa). */
	t0 = now_ns;
	wr(0, APIC_REG_TDCR, 0xb);
	wr(0, APIC_REG_TMICT, 5000);
	CHECK_EQ(vtimer_next_deadline(&vcpu[0]), t0 + 5000);
	wr(0, APIC_REG_TDCR, 0xa);			/* a running count slows */
	CHECK_EQ(vtimer_next_deadline(&vcpu[0]), t0 + 5000 * 128);
	CHECK_EQ(run_exits(0, t0 + 5000 * 128, 10 * US, 0xec), 1);
	teardown();
}

static void timer_periodic(void)
{
	uint64_t t0;

	setup();
	enable(1);
	wr(1, APIC_REG_TDCR, 0xb);			/* divide by 1 */
	wr(1, APIC_REG_LVT_TIMER, 1u << 17 | 0xef);	/* periodic */
	t0 = now_ns;
	wr(1, APIC_REG_TMICT, 1000000);			/* 1 ms: 1000 Hz */
	CHECK_EQ(run_exits(1, t0 + 1000 * MS, 100 * US, 0xef), 1000);
	now_ns = t0 + 1000 * MS + 250 * US;
	CHECK_EQ(rd(1, APIC_REG_TMCCT), 750000);	/* reloaded each period */
	/* 4 ms at divide 2 (HZ=250), exits at odd times. */
	wr(1, APIC_REG_TDCR, 0x0);
	t0 = now_ns;
	wr(1, APIC_REG_TMICT, 2000000);
	CHECK_EQ(run_exits(1, t0 + 1000 * MS, 333 * US, 0xef), 250);
	/* Masked: counts on, no interrupt. */
	wr(1, APIC_REG_LVT_TIMER, APIC_LVT_MASKED | 1u << 17 | 0xef);
	t0 = now_ns;
	CHECK_EQ(run_exits(1, t0 + 100 * MS, 1 * MS, 0xef), 0);
	now_ns += 1 * MS;
	CHECK(rd(1, APIC_REG_TMCCT) != 0);
	/* Unmasked again: ticks resume on the same grid. */
	wr(1, APIC_REG_LVT_TIMER, 1u << 17 | 0xef);
	t0 = now_ns;
	CHECK_EQ(run_exits(1, t0 + 100 * MS, 1 * MS, 0xef), 25);
	/*
	 * Exits 10 ms apart: the ten periods due at each exit collapse into
	 * one interrupt, as in the one IRR bit of a late hardware timer.
	 */
	t0 = now_ns;
	CHECK_EQ(run_exits(1, t0 + 1000 * MS, 10 * MS, 0xef), 100);
	/* Periodic -> one-shot: ends at the armed deadline. */
	wr(1, APIC_REG_LVT_TIMER, 0xef);
	t0 = now_ns;
	CHECK_EQ(run_exits(1, t0 + 100 * MS, 1 * MS, 0xef), 1);
	teardown();
}

static void timer_tsc_deadline(void)
{
	uint64_t t0;

	setup();
	enable(2);
	wr(2, APIC_REG_TDCR, 0xb);
	wr(2, APIC_REG_LVT_TIMER, 0xee);
	wr(2, APIC_REG_TMICT, 1000000);
	/* Outside TSC-deadline mode the MSR reads 0 and ignores writes. */
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, test_tsc(NULL) + 10), 0);
	CHECK_EQ(rdmsr(2, MSR_IA32_TSC_DEADLINE), 0);
	/* Into TSC-deadline mode: the count-down timer is disarmed. */
	wr(2, APIC_REG_LVT_TIMER, 2u << 17 | 0xee);
	CHECK_EQ(rd(2, APIC_REG_TMICT), 0);
	CHECK_EQ(vtimer_next_deadline(&vcpu[2]), VTIMER_NEVER);
	wr(2, APIC_REG_TMICT, 1000);			/* ignored */
	CHECK_EQ(rd(2, APIC_REG_TMICT), 0);
	t0 = now_ns;
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, test_tsc(NULL) + 2000000), 0);
	CHECK_EQ(rdmsr(2, MSR_IA32_TSC_DEADLINE), test_tsc(NULL) + 2000000);
	CHECK_EQ(vtimer_next_deadline(&vcpu[2]), t0 + 1 * MS);
	CHECK_EQ(rd(2, APIC_REG_TMCCT), 0);
	CHECK_EQ(run_exits(2, t0 + 1 * MS - 1, 10 * US, 0xee), 0);
	CHECK_EQ(run_exits(2, t0 + 1 * MS, 10 * US, 0xee), 1);
	CHECK_EQ(rdmsr(2, MSR_IA32_TSC_DEADLINE), 0);	/* cleared on expiry */
	/* Odd cycle counts round up: never early. */
	t0 = now_ns;
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, test_tsc(NULL) + 3), 0);
	CHECK_EQ(vtimer_next_deadline(&vcpu[2]), t0 + 2);
	/* A deadline in the past fires at the next exit. */
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, 1), 0);
	CHECK_EQ(run_exits(2, now_ns + 1, 1, 0xee), 1);
	/* Writing 0 disarms. */
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, test_tsc(NULL) + 1000), 0);
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, 0), 0);
	CHECK_EQ(run_exits(2, now_ns + 10 * MS, 1 * MS, 0xee), 0);
	/* 1000 deadlines of 1 ms re-armed from the handler: 1000 in 1 s. */
	t0 = now_ns;
	unsigned int hits = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t dl = (t0 + (uint64_t)(i + 1) * MS) * 2;

		CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, dl), 0);
		hits += run_exits(2, t0 + (uint64_t)(i + 1) * MS, 100 * US, 0xee);
	}
	CHECK_EQ(hits, 1000);
	/* Out of TSC-deadline mode: disarmed. */
	CHECK_EQ(vlapic_wrmsr(&apic[2], MSR_IA32_TSC_DEADLINE, test_tsc(NULL) + 1000), 0);
	wr(2, APIC_REG_LVT_TIMER, 0xee);
	CHECK_EQ(run_exits(2, now_ns + 10 * MS, 1 * MS, 0xee), 0);
	teardown();
}

/* ---- Concurrency ------------------------------------------------------- */

#define SENDERS		3
#define ROUNDS		5000
#define OWNER		7

static unsigned int handled[SENDERS];
static bool owner_stop;

static uint8_t sender_vector(unsigned int k)
{
	return (uint8_t)(0x40 + 0x20 * k);		/* 0x40, 0x60, 0x80 */
}

static void sender(struct worker *w)
{
	unsigned int k = (unsigned int)(uintptr_t)w->arg;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		vlapic_set_irq(&apic[OWNER], sender_vector(k), k == 1);
		/* One in flight per sender: every send is one delivery. */
		while (__atomic_load_n(&handled[k], __ATOMIC_ACQUIRE) != i + 1)
			shim_pause();
	}
}

static void owner(struct worker *w)
{
	uint8_t stack[8];
	unsigned int depth, bad = 0;
	int v;

	while (!__atomic_load_n(&owner_stop, __ATOMIC_ACQUIRE)) {
		depth = 0;
		/* Take everything injectable: each one nests above the last. */
		while ((v = vlapic_pending_vector(&apic[OWNER])) >= 0) {
			if (depth && v <= stack[depth - 1])
				bad++;
			vlapic_ack_vector(&apic[OWNER], (uint8_t)v);
			stack[depth++] = (uint8_t)v;
			if (depth == ARRAY_SIZE(stack))
				break;
		}
		while (depth) {
			uint8_t vec = stack[--depth];

			if (!isr_has(OWNER, vec))
				bad++;
			wr(OWNER, APIC_REG_EOI, 0);
			if (isr_has(OWNER, vec))
				bad++;			/* EOI took another */
			__atomic_fetch_add(&handled[(vec - 0x40) / 0x20], 1,
					   __ATOMIC_RELEASE);
		}
		shim_pause();
	}
	w->result = bad;
}

static void concurrent_senders(void)
{
	struct worker senders[SENDERS], own;

	setup();
	enable(OWNER);
	owner_stop = false;
	for (unsigned int k = 0; k < SENDERS; k++)
		handled[k] = 0;
	worker_start(&own, OWNER, owner, NULL);
	for (unsigned int k = 0; k < SENDERS; k++)
		worker_start(&senders[k], 10 + k, sender, (void *)(uintptr_t)k);
	for (unsigned int k = 0; k < SENDERS; k++)
		worker_join(&senders[k]);
	__atomic_store_n(&owner_stop, true, __ATOMIC_RELEASE);
	worker_join(&own);
	CHECK_EQ(own.result, 0);
	for (unsigned int k = 0; k < SENDERS; k++)
		CHECK_EQ(handled[k], ROUNDS);
	/* Level-triggered sender 1: one EOI callback per round. */
	CHECK_EQ(probe[OWNER].eois, ROUNDS);
	CHECK_EQ(probe[OWNER].eoi_vector, 0x60);
	CHECK(probe[OWNER].kicks >= ROUNDS);
	CHECK_EQ(vlapic_pending_vector(&apic[OWNER]), -1);
	CHECK_EQ(rd(OWNER, APIC_REG_ISR + 0x20), 0);
	CHECK_EQ(rd(OWNER, APIC_REG_IRR + 0x20), 0);
	teardown();
}

int main(void)
{
	shim_set_cpu(0);
	RUN(xapic_reset_values);
	RUN(xapic_access_sizes);
	RUN(xapic_writable_bits);
	RUN(x2apic_registers);
	RUN(apic_base_transitions);
	RUN(tpr_ppr_masking);
	RUN(irr_isr_eoi_nested);
	RUN(level_eoi_callback);
	RUN(ipi_physical);
	RUN(ipi_logical_flat);
	RUN(ipi_logical_cluster);
	RUN(ipi_x2apic);
	RUN(ipi_shorthands);
	RUN(ipi_lowest_priority);
	RUN(ipi_init_sipi_nmi);
	RUN(timer_one_shot);
	RUN(timer_periodic);
	RUN(timer_tsc_deadline);
	RUN(concurrent_senders);
	return check_done();
}
