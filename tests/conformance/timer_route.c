/*
 * Conformance kernel "timer_route": device interrupts whose IOAPIC
 * destination moves between CPUs many times a second. The RTC's periodic
 * interrupt (512 Hz, register A) on ISA IRQ 8, then PIT channel 0 in mode 2
 * (count 1193, 1000.15 Hz) on ISA IRQ 0 (GSI 2 by the MADT's override):
 * each for 10 s of ACPI PM timer time, while the BSP rewrites the entry's
 * destination to the next CPU every 20 ms. Each handler counts per CPU;
 * the RTC's reads register C, and a delivery without PF set is a duplicate
 * (none may come). The totals must be within 1% of the programmed rate.
 * Then both stay routed to the last CPU for 5 s, with a line saying so, so
 * that a scenario can ask the hypervisor where their timers are
 * (tests/integration/svm_timer_route_iso.scn boots it with two vCPUs).
 */
#include "conf.h"

const char conf_kernel[] = "timer_route";

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_A		0x0a
#define RTC_B		0x0b
#define RTC_C		0x0c
#define A_DV_32KHZ	0x20
#define A_RS_512HZ	7		/* 32768 >> (7 - 1) */
#define B_PIE		BIT(6)
#define B_24H		BIT(1)
#define C_PF		BIT(6)
#define RTC_HZ		512u

#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_CH0_MODE2	0x34		/* channel 0, LSB then MSB, mode 2 */
#define PIT_CH0_MODE0	0x30		/* mode 0: one edge at the end */
#define PIT_COUNT	1193u		/* 1000.15 Hz */

#define VEC_RTC		0x50
#define VEC_PIT		0x51
#define PM_TMR_HZ	3579545u
#define RUN_S		10u
#define MOVE_MS		20u
#define HOLD_S		5u

static volatile u32 cmos_lock;
static volatile u32 rtc_hits[MAX_CPUS], rtc_dups[MAX_CPUS], pit_hits[MAX_CPUS];
static u32 ids[MAX_CPUS], ncpus;
static u32 pm_mask, pm_last;

/*
 * The CMOS index/data pair, shared by the handlers on every CPU and the
 * BSP's set-up: a spinlock taken with interrupts off (an RTC interrupt
 * on the CPU that holds it would spin on it forever). Returns EFLAGS.
 */
static u32 lock(volatile u32 *l)
{
	u32 flags;

	asm volatile("pushfl; popl %0; cli" : "=r"(flags) :: "memory");
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		pause();
	return flags;
}

static void unlock(volatile u32 *l, u32 flags)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
	if (flags & BIT(9))
		sti();
}

static u8 cmos_read(u8 reg)
{
	u32 flags = lock(&cmos_lock);
	u8 v;

	outb(CMOS_INDEX, reg);
	v = inb(CMOS_DATA);
	unlock(&cmos_lock, flags);
	return v;
}

static void cmos_write(u8 reg, u8 v)
{
	u32 flags = lock(&cmos_lock);

	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
	unlock(&cmos_lock, flags);
}

/* Register C tells whether a period ended since the last read. */
static void rtc_handler(struct frame *f)
{
	u32 id = lapic_id();
	u8 c = cmos_read(RTC_C);

	if (id < MAX_CPUS) {
		if (c & C_PF)
			rtc_hits[id]++;
		else
			rtc_dups[id]++;
	}
	lapic_eoi();
}

static void pit_handler(struct frame *f)
{
	u32 id = lapic_id();

	if (id < MAX_CPUS)
		pit_hits[id]++;
	lapic_eoi();
}

/* PM timer ticks since the last call (called more often than it wraps). */
static u32 pm_delta(void)
{
	u32 now = inl((u16)acpi.pm_tmr) & pm_mask, d = (now - pm_last) & pm_mask;

	pm_last = now;
	return d;
}

/* Fixed, edge, active high, physical destination APIC ID dest. */
static void route(u32 gsi, u32 vec, u32 dest)
{
	ioapic_route(gsi, vec, dest);
}

/*
 * A running entry moves by its high half alone, one 32-bit write, as an
 * OS changes an interrupt's affinity: no masked window in which an edge
 * would be lost.
 */
static void move(u32 gsi, u32 dest)
{
	ioapic_write(IOREDTBL(gsi) + 1, dest << 24);
}

static void rtc_start(void)
{
	cmos_write(RTC_A, A_DV_32KHZ | A_RS_512HZ);
	cmos_write(RTC_B, B_24H | B_PIE);
	cmos_read(RTC_C);
}

static void rtc_stop(void)
{
	cmos_write(RTC_B, B_24H);
	cmos_read(RTC_C);
}

static void pit_start(void)
{
	outb(PIT_CMD, PIT_CH0_MODE2);
	outb(PIT_CH0, (u8)PIT_COUNT);
	outb(PIT_CH0, (u8)(PIT_COUNT >> 8));
}

/* Mode 0 with the longest count: one last edge 55 ms on, masked by then. */
static void pit_stop(void)
{
	outb(PIT_CMD, PIT_CH0_MODE0);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
}

/*
 * Runs one device for RUN_S seconds of PM timer time, its entry moving to
 * the next CPU every MOVE_MS; returns the PM ticks it ran. *moves: how
 * many rewrites.
 */
static u64 run_moving(u32 gsi, u32 vec, void (*start)(void), void (*stop)(void),
		      u32 *moves)
{
	u64 ran = 0, next = (u64)PM_TMR_HZ * MOVE_MS / 1000;
	u32 k = 0;

	route(gsi, vec, ids[0]);
	pm_delta();
	start();
	while (ran < (u64)PM_TMR_HZ * RUN_S) {
		delay_us(1000);
		ran += pm_delta();
		if (ran >= next) {
			k++;
			move(gsi, ids[k % ncpus]);
			next += (u64)PM_TMR_HZ * MOVE_MS / 1000;
		}
	}
	ioapic_write(IOREDTBL(gsi), RTE_MASKED);
	stop();
	*moves = k;
	return ran;
}

/* |got - hz * ran / PM_TMR_HZ| within 1% of the expectation. */
static int within_1pct(u32 got, u32 hz, u64 ran)
{
	u64 want = (u64)hz * ran, have = (u64)got * PM_TMR_HZ;
	u64 diff = have > want ? have - want : want - have;

	return diff * 100 <= want;
}

static u32 expected(u32 hz, u64 ran)
{
	u32 rem;

	return (u32)udiv64((u64)hz * ran, PM_TMR_HZ, &rem);
}

static u32 sum(volatile u32 *a)
{
	u32 s = 0;

	for (u32 i = 0; i < ncpus; i++)
		s += a[ids[i]];
	return s;
}

/* Every CPU took some: the destination really moved. */
static void check_every_cpu(const char *name, volatile u32 *hits)
{
	for (u32 i = 0; i < ncpus; i++)
		if (!hits[ids[i]]) {
			fail(name, "APIC ID %u took none", ids[i]);
			return;
		}
	pass(name);
}

static void test_rtc(void)
{
	u32 moves, total, gsi = acpi.iso_gsi[8];
	u64 ran;

	ran = run_moving(gsi, VEC_RTC, rtc_start, rtc_stop, &moves);
	total = sum(rtc_hits);
	printf("rtc: %u interrupts in %u ms on GSI %u (expected %u), %u moves;", total,
	       expected(1000, ran), gsi, expected(RTC_HZ, ran), moves);
	for (u32 i = 0; i < ncpus; i++)
		printf(" APIC %u: %u", ids[i], rtc_hits[ids[i]]);
	printf("\n");
	check("rtc_rate", within_1pct(total, RTC_HZ, ran),
	      "%u interrupts, %u expected at %u Hz", total, expected(RTC_HZ, ran), RTC_HZ);
	check("rtc_no_duplicate", sum(rtc_dups) == 0,
	      "%u deliveries found PF clear in register C", sum(rtc_dups));
	check_every_cpu("rtc_every_cpu", rtc_hits);
}

static void test_pit(void)
{
	u32 moves, total, gsi = acpi.iso_gsi[0];
	u64 ran;
	u32 rem, hz_x100 = (u32)udiv64(100ull * PIT_HZ, PIT_COUNT, &rem);

	ran = run_moving(gsi, VEC_PIT, pit_start, pit_stop, &moves);
	total = sum(pit_hits);
	printf("pit: %u interrupts in %u ms on GSI %u (expected %u), %u moves;", total,
	       expected(1000, ran), gsi, (u32)udiv64((u64)hz_x100 * ran, 100u * PM_TMR_HZ, &rem),
	       moves);
	for (u32 i = 0; i < ncpus; i++)
		printf(" APIC %u: %u", ids[i], pit_hits[ids[i]]);
	printf("\n");
	/* hz_x100 / 100 Hz: compare 100 * total against hz_x100 * time. */
	check("pit_rate", within_1pct(total * 100, hz_x100, ran),
	      "%u interrupts at %u.%02u Hz", total, hz_x100 / 100, hz_x100 % 100);
	check_every_cpu("pit_every_cpu", pit_hits);
}

/* Both routed to the last CPU and running, for a look from outside. */
static void hold_on_last(void)
{
	u32 last = ids[ncpus - 1];
	u64 ran = 0;

	route(acpi.iso_gsi[8], VEC_RTC, last);
	route(acpi.iso_gsi[0], VEC_PIT, last);
	pm_delta();
	rtc_start();
	pit_start();
	printf("timer_route: RTC and PIT routed to APIC ID %u, holding %u s\n", last, HOLD_S);
	while (ran < (u64)PM_TMR_HZ * HOLD_S) {
		delay_us(1000);
		ran += pm_delta();
	}
	ioapic_write(IOREDTBL(acpi.iso_gsi[8]), RTE_MASKED);
	ioapic_write(IOREDTBL(acpi.iso_gsi[0]), RTE_MASKED);
	rtc_stop();
	pit_stop();
	printf("timer_route: hold over\n");
}

void kmain(u32 magic, u32 info)
{
	acpi_init();
	if (!check("acpi", acpi.found && acpi.pm_tmr && acpi.ioapic_addr,
		   "no MADT/FADT with an IOAPIC and a PM timer"))
		return;
	pm_mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0x00ffffffu;
	pic_init(0x20);
	lapic_init();
	set_handler(VEC_RTC, rtc_handler);
	set_handler(VEC_PIT, pit_handler);
	sti();
	smp_start_aps();
	for (u32 i = 0; i < acpi.ncpus && ncpus < MAX_CPUS; i++)
		if (cpu_online[acpi.apic_ids[i]])
			ids[ncpus++] = acpi.apic_ids[i];
	if (!check("cpus", ncpus >= 2, "%u CPU(s) online: nowhere to move to", ncpus))
		return;
	test_rtc();
	test_pit();
	hold_on_last();
}
