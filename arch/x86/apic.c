/*
 * Host local APIC. The boot CPU chooses the mode once (x2APIC when CPUID
 * offers it, else xAPIC through the MMIO page); every CPU then enables its
 * own APIC in that mode. Runs with interrupts off or from interrupt
 * handlers; no locks: each CPU touches only its own APIC.
 */
#include "asm/apic.h"
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/msr.h"
#include "asm/tsc.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"

#define ICR_IDLE_TIMEOUT_US 10000

static bool x2apic;
static volatile uint32_t *xapic_mmio;
/* Timer input clock (divide by 1), measured once on the boot CPU. */
static uint64_t apic_timer_hz;
static uint64_t apic_timer_mult;	/* counts = (ns * mult) >> 32 */

bool apic_x2apic_mode(void)
{
	return x2apic;
}

static uint32_t apic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	return xapic_mmio[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t val)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), val);
	else
		xapic_mmio[reg / 4] = val;
}

uint32_t apic_read_id(void)
{
	uint32_t id = apic_read(APIC_REG_ID);

	return x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

/* xAPIC only: the ICR has a delivery-status bit to wait on. */
static int apic_icr_wait_idle(void)
{
	uint64_t deadline;

	if (x2apic)
		return 0;
	deadline = tsc_deadline_us(ICR_IDLE_TIMEOUT_US);
	while (apic_read(APIC_REG_ICR_LO) & APIC_ICR_BUSY) {
		if (tsc_expired(deadline))
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

static int apic_write_icr(uint32_t apic_id, uint32_t lo)
{
	if (x2apic) {
		wrmsr(MSR_X2APIC_BASE + (APIC_REG_ICR_LO >> 4),
		      ((uint64_t)apic_id << 32) | lo);
		return 0;
	}
	if (apic_icr_wait_idle())
		return -ETIMEDOUT;
	apic_write(APIC_REG_ICR_HI, apic_id << 24);
	apic_write(APIC_REG_ICR_LO, lo);
	return apic_icr_wait_idle();
}

void apic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	if (apic_write_icr(apic_id, APIC_ICR_DM_FIXED | APIC_ICR_LEVEL_ASSERT | vector))
		pr_err("apic: IPI to APIC %u stuck (ICR busy)", apic_id);
}

void apic_send_self_ipi(uint8_t vector)
{
	if (apic_write_icr(0, APIC_ICR_DEST_SELF | APIC_ICR_DM_FIXED |
			   APIC_ICR_LEVEL_ASSERT | vector))
		pr_err("apic: self IPI stuck (ICR busy)");
}

int apic_send_init(uint32_t apic_id)
{
	return apic_write_icr(apic_id, APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT |
			      APIC_ICR_TRIGGER_LEVEL);
}

int apic_send_startup(uint32_t apic_id, uint32_t page)
{
	return apic_write_icr(apic_id, APIC_ICR_DM_STARTUP | APIC_ICR_LEVEL_ASSERT |
			      (page >> 12));
}

/* Enables this CPU's APIC in the chosen mode, all local interrupts masked. */
void apic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);

	base |= APIC_BASE_EN;
	wrmsr(MSR_IA32_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	apic_write(APIC_REG_TPR, 0);
	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | 0xff);
	apic_eoi();
}

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086      0x01
#define PIC_VECTOR_BASE    0x20	/* out of the exception range, never unmasked */

/*
 * Remaps the legacy 8259 pair away from the exception vectors (the BIOS
 * leaves IRQ 0 on vector 8, #DF) and masks every line: the host uses the
 * local APIC only.
 */
static void legacy_pic_disable(void)
{
	outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC_VECTOR_BASE);
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	outb(PIC1_DATA, 1 << 2);	/* slave on IRQ 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

/*
 * Chooses the mode for every CPU. madt_lapic_base is the xAPIC page the
 * firmware reported (0: take it from IA32_APIC_BASE).
 */
int apic_init_bsp(uint64_t madt_lapic_base)
{
	struct cpuid_regs r;
	uint64_t msr = rdmsr(MSR_IA32_APIC_BASE);

	legacy_pic_disable();
	cpuid(CPUID_LEAF_FEATURES, &r);
	x2apic = r.ecx & CPUID_1_ECX_X2APIC;
	if (!x2apic) {
		uint64_t pa = msr & APIC_BASE_ADDR_MASK;

		if (madt_lapic_base && madt_lapic_base != pa)
			pr_warn("apic: MADT says LAPIC at 0x%llx, MSR says 0x%llx; using the MSR",
				(unsigned long long)madt_lapic_base,
				(unsigned long long)pa);
		if (!pa)
			return -ENODEV;
		xapic_mmio = (volatile uint32_t *)(uintptr_t)pa;
	}
	apic_init_cpu();
	pr_info("apic: %s mode, BSP APIC id %u, version 0x%x",
		x2apic ? "x2APIC" : "xAPIC", apic_read_id(),
		apic_read(APIC_REG_VERSION) & 0xff);
	return 0;
}

/* ------------------------------------------------------------------------
 * The one-shot timer: each CPU arms its own APIC timer to the next
 * deadline of the vCPU it runs (the VM exits on the interrupt) or to the
 * end of an idle wait. Its only handler work is the EOI.
 */
#define APIC_TIMER_DIV_1     0xbu
#define APIC_TIMER_CALIB_US  10000
#define APIC_TIMER_MAX_COUNT 0xffffffffull

/* Measures the timer's input clock against the TSC; boot CPU, before SMP. */
void apic_timer_calibrate(void)
{
	uint64_t deadline;
	uint32_t left;

	apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_REG_TIMER_DCR, APIC_TIMER_DIV_1);
	apic_write(APIC_REG_TIMER_ICR, (uint32_t)APIC_TIMER_MAX_COUNT);
	deadline = tsc_deadline_us(APIC_TIMER_CALIB_US);
	while (!tsc_expired(deadline))
		cpu_relax();
	left = apic_read(APIC_REG_TIMER_CCR);
	apic_write(APIC_REG_TIMER_ICR, 0);
	apic_timer_hz = (APIC_TIMER_MAX_COUNT - left) * (1000000 / APIC_TIMER_CALIB_US);
	if (!apic_timer_hz)
		apic_timer_hz = 1000000000ull;	/* a timer that did not count: assume 1 GHz */
	apic_timer_mult = (apic_timer_hz << 32) / 1000000000ull;	/* hz < 4 GHz */
	pr_info("apic: timer clock %llu kHz", (unsigned long long)(apic_timer_hz / 1000));
}

/* Fires VEC_APIC_TIMER once, delta_ns from now (0: disarm). */
void apic_timer_oneshot(uint64_t delta_ns)
{
	uint64_t count;

	if (!delta_ns) {
		apic_write(APIC_REG_TIMER_ICR, 0);
		return;
	}
	count = (uint64_t)(((unsigned __int128)delta_ns * apic_timer_mult) >> 32);
	count = count ? MIN(count, APIC_TIMER_MAX_COUNT) : 1;
	apic_write(APIC_REG_TIMER_DCR, APIC_TIMER_DIV_1);
	apic_write(APIC_REG_LVT_TIMER, VEC_APIC_TIMER);	/* one-shot, unmasked */
	apic_write(APIC_REG_TIMER_ICR, (uint32_t)count);
}
