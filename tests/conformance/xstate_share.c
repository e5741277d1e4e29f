/*
 * Conformance kernel "xstate_share": what one VM leaves in a CPU's
 * registers never reaches another VM on the same CPU. Two VMs boot it on
 * one shared CPU, the role the last word of the command line:
 *
 *   both  at entry, before anything touches them: XCR0, DR0-DR3,
 *         TSC_AUX (RDTSCP, which reads the CPU's register), XMM0-XMM7
 *         and the upper halves of YMM0-YMM7 must hold their reset values
 *         (XCR0 1, the others 0) and none of the other role's pattern;
 *         then rounds of ROUND_MS: write a pattern of the role's own
 *         (YMM0-YMM7, DR0-DR3, TSC_AUX, new each round), run for the
 *         round on the PM timer (an exit at every read: the scheduler
 *         switches VMs there), and find it intact.
 *   a     ALT_A_MS of rounds, then its pattern written once more, and
 *         halts for good: its vCPU stays placed, blocked.
 *   b     ALT_B_MS of rounds (longer: it ends after a halts), then ends.
 *
 * A scenario then starts b again (monitor `start`), whose entry check
 * runs on the CPU where a's pattern was last loaded
 * (tests/integration/svm_xstate_share_iso.scn, vmx_xstate_share_bochs.scn).
 */
#include "conf.h"

const char conf_kernel[] = "xstate_share";

#define CR4_OSFXSR	BIT(9)
#define CR4_OSXSAVE	BIT(18)
#define CPUID1_XSAVE	BIT(26)
#define CPUID1_AVX	BIT(28)
#define CPUIDX_RDTSCP	BIT(27)
#define MSR_TSC_AUX	0xc0000103u
#define XCR0_X87_SSE_AVX 7u
#define XCR0_RESET	1u
#define MBI_CMDLINE	BIT(2)
#define PM_TMR_HZ	3579545u
#define ROUND_MS	10u
#define ALT_A_MS	1000u
#define ALT_B_MS	1500u
#define SEED_A		0xaa000000u
#define SEED_B		0xbb000000u
#define SEED_MASK	0xff000000u

/* The registers compared: 64 YMM dwords (YMMr dword j at r * 8 + j;
 * dwords 4-7 are the upper half), DR0-DR3, TSC_AUX. */
#define NR_YMM		8
#define IDX_DR		(NR_YMM * 8)
#define IDX_TSC_AUX	(IDX_DR + 4)
#define NR_VALS		(IDX_TSC_AUX + 1)

struct regs {
	u32 xcr0;
	u32 v[NR_VALS];
};

struct mbi {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
};

static u32 pm_mask, pm_last;

static u32 pm_delta(void)
{
	u32 now = inl((u16)acpi.pm_tmr) & pm_mask, d = (now - pm_last) & pm_mask;

	pm_last = now;
	return d;
}

static u32 xgetbv0(void)
{
	u32 lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo;
}

static void xsetbv0(u32 v)
{
	asm volatile("xsetbv" :: "a"(v), "d"(0), "c"(0) : "memory");
}

static u32 rdtscp_aux(void)
{
	u32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

/* XMM0-XMM7 (SSE only: any XCR0), then the upper halves (XCR0 with AVX). */
static void read_xmm(u32 *v)
{
	asm volatile("movdqu %%xmm0, 0(%0); movdqu %%xmm1, 32(%0)\n\t"
		     "movdqu %%xmm2, 64(%0); movdqu %%xmm3, 96(%0)\n\t"
		     "movdqu %%xmm4, 128(%0); movdqu %%xmm5, 160(%0)\n\t"
		     "movdqu %%xmm6, 192(%0); movdqu %%xmm7, 224(%0)"
		     :: "r"(v) : "memory");
}

static void read_ymm_upper(u32 *v)
{
	asm volatile("vextractf128 $1, %%ymm0, 16(%0); vextractf128 $1, %%ymm1, 48(%0)\n\t"
		     "vextractf128 $1, %%ymm2, 80(%0); vextractf128 $1, %%ymm3, 112(%0)\n\t"
		     "vextractf128 $1, %%ymm4, 144(%0); vextractf128 $1, %%ymm5, 176(%0)\n\t"
		     "vextractf128 $1, %%ymm6, 208(%0); vextractf128 $1, %%ymm7, 240(%0)"
		     :: "r"(v) : "memory");
}

static void write_ymm(const u32 *v)
{
	asm volatile("vmovdqu 0(%0), %%ymm0; vmovdqu 32(%0), %%ymm1\n\t"
		     "vmovdqu 64(%0), %%ymm2; vmovdqu 96(%0), %%ymm3\n\t"
		     "vmovdqu 128(%0), %%ymm4; vmovdqu 160(%0), %%ymm5\n\t"
		     "vmovdqu 192(%0), %%ymm6; vmovdqu 224(%0), %%ymm7"
		     :: "r"(v) : "memory");
}

static void read_dr(u32 *v)
{
	asm volatile("mov %%dr0, %0" : "=r"(v[0]));
	asm volatile("mov %%dr1, %0" : "=r"(v[1]));
	asm volatile("mov %%dr2, %0" : "=r"(v[2]));
	asm volatile("mov %%dr3, %0" : "=r"(v[3]));
}

static void write_dr(const u32 *v)
{
	asm volatile("mov %0, %%dr0" :: "r"(v[0]));
	asm volatile("mov %0, %%dr1" :: "r"(v[1]));
	asm volatile("mov %0, %%dr2" :: "r"(v[2]));
	asm volatile("mov %0, %%dr3" :: "r"(v[3]));
}

/* Everything compared, XCR0 first; leaves XCR0 with AVX enabled. */
static void regs_read(struct regs *r)
{
	r->xcr0 = xgetbv0();
	read_dr(&r->v[IDX_DR]);
	r->v[IDX_TSC_AUX] = rdtscp_aux();
	read_xmm(r->v);
	if (r->xcr0 != XCR0_X87_SSE_AVX)
		xsetbv0(XCR0_X87_SSE_AVX);
	read_ymm_upper(r->v);
}

/* The role's pattern of round n: every value distinct, its top byte the seed's. */
static void pattern(u32 *v, u32 seed, u32 n)
{
	for (u32 i = 0; i < NR_VALS; i++)
		v[i] = seed | (n & 0xff) << 16 | (i + 1) << 4 | 0x5;
}

static void regs_write(const u32 *v)
{
	write_ymm(v);
	write_dr(&v[IDX_DR]);
	wrmsr(MSR_TSC_AUX, v[IDX_TSC_AUX]);
}

static const char *val_name(u32 i, char *buf, size_t size)
{
	if (i < IDX_DR)
		snprintf(buf, size, "YMM%u dword %u", i / 8, i % 8);
	else if (i < IDX_TSC_AUX)
		snprintf(buf, size, "DR%u", i - IDX_DR);
	else
		snprintf(buf, size, "TSC_AUX");
	return buf;
}

/* The entry check: reset values, none of the other role's pattern. */
static void check_entry(const struct regs *r, u32 other)
{
	u32 bad = 0, first = 0, foreign = 0, xmm = 0, upper = 0;
	char name[24];

	for (u32 i = 0; i < NR_VALS; i++) {
		if (i < IDX_DR)
			*((i % 8) < 4 ? &xmm : &upper) |= r->v[i];
		if (r->v[i] && !bad++)
			first = i;
		if ((r->v[i] & SEED_MASK) == other)
			foreign++;
	}
	printf("xstate_share: at entry xcr0=%x dr0-3=%x %x %x %x tsc_aux=%x "
	       "xmm0-7 (or)=%x ymm0-7 upper halves (or)=%x\n", r->xcr0, r->v[IDX_DR],
	       r->v[IDX_DR + 1], r->v[IDX_DR + 2], r->v[IDX_DR + 3], r->v[IDX_TSC_AUX], xmm, upper);
	if (!check("entry_reset", r->xcr0 == XCR0_RESET && !bad,
		   "xcr0 %x (reset 1), %u value(s) not 0, first %s = %x", r->xcr0, bad,
		   val_name(first, name, sizeof(name)), r->v[first]))
		return;
	check("entry_no_foreign", !foreign, "%u value(s) of the other VM's pattern", foreign);
}

/* Rounds for ms of PM timer time; the first difference fails. */
static void alternate(u32 seed, u32 other, u32 ms)
{
	u64 ran = 0, want = udiv64((u64)PM_TMR_HZ * ms, 1000, NULL);
	u32 round_ticks = PM_TMR_HZ / 1000 * ROUND_MS;
	u32 want_v[NR_VALS], n = 0;
	struct regs r;
	char name[24];

	pm_delta();
	while (ran < want) {
		u64 in_round = 0;

		pattern(want_v, seed, n);
		regs_write(want_v);
		while (in_round < round_ticks)
			in_round += pm_delta();
		ran += in_round;
		regs_read(&r);
		for (u32 i = 0; i < NR_VALS; i++) {
			if (r.v[i] == want_v[i])
				continue;
			fail("alternate", "round %u: %s = %x, expected %x%s", n,
			     val_name(i, name, sizeof(name)), r.v[i], want_v[i],
			     (r.v[i] & SEED_MASK) == other ? " (the other VM's)" : "");
			return;
		}
		n++;
	}
	printf("xstate_share: %u rounds of %u ms, the pattern intact in each\n", n, ROUND_MS);
	pass("alternate");
}

static char role(u32 magic, const struct mbi *mbi)
{
	const char *c, *last;

	if (magic != 0x2badb002 || !(mbi->flags & MBI_CMDLINE))
		return 0;
	c = (const char *)mbi->cmdline;
	for (last = c; *c; c++)
		if (*c == ' ')
			last = c + 1;
	return last[0] && !last[1] ? last[0] : 0;
}

void kmain(u32 magic, u32 info)
{
	struct cpuid c1 = cpuid(1, 0), cx = cpuid(0x80000001, 0);
	char me = role(magic, (const struct mbi *)info);
	u32 seed = me == 'a' ? SEED_A : SEED_B, other = me == 'a' ? SEED_B : SEED_A;
	u32 v[NR_VALS];
	struct regs r;

	if (!check("role", me == 'a' || me == 'b', "the command line's last word is not a or b"))
		return;
	if (!check("cpu", (c1.c & (CPUID1_XSAVE | CPUID1_AVX)) == (CPUID1_XSAVE | CPUID1_AVX) &&
		   (cx.d & CPUIDX_RDTSCP), "no XSAVE, AVX or RDTSCP (CPUID 1 ecx %x, "
		   "0x80000001 edx %x)", c1.c, cx.d))
		return;
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXSAVE);
	regs_read(&r);
	check_entry(&r, other);

	acpi_init();
	if (!check("pm_timer", acpi.found && acpi.pm_tmr, "no FADT PM_TMR_BLK"))
		return;
	pm_mask = acpi.pm_tmr_32bit ? 0xffffffffu : 0x00ffffffu;
	alternate(seed, other, me == 'a' ? ALT_A_MS : ALT_B_MS);
	if (me == 'b')
		return;
	pattern(v, seed, 0xff);
	regs_write(v);
	printf("xstate_share: pattern set, halting\n");
	for (;;)
		asm volatile("sti; hlt");
}
