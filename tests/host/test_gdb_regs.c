/*
 * The GDB stub's registers on the fake target of test_gdb.h: the g/G
 * layout target.xml describes, p and P, and every write the CPU would
 * refuse answered E16 without reaching the target.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "tests/host/test_gdb.h"
#include "tests/host/check.h"

static struct fake_target fake;
static struct gdb_stub stub;

/* GDB's register numbers (the order of target.xml). */
enum {
	R_RAX = 0, R_RIP = 16, R_EFLAGS = 17, R_CS = 18, R_GS = 23, R_ST0 = 24,
	R_FCTRL = 32, R_FOP = 39, R_FS_BASE = 40, R_GS_BASE = 41, R_CR0 = 42,
	R_CR2 = 43, R_CR3 = 44, R_CR4 = 45, R_CR8 = 46, R_EFER = 47, R_COUNT = 48
};
#define G_BYTES 340	/* 16 GPRs, RIP, EFLAGS, 6 selectors, x87, 2 bases, 6 control */

static void setup_stopped(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 2), 0);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
}

/* "P<n>=<value as bytes little-endian hex>" */
static const char *set_reg(unsigned int n, uint64_t v, unsigned int bytes)
{
	char q[64];
	int len = snprintf(q, sizeof(q), "P%x=", n);
	unsigned int i;

	for (i = 0; i < bytes; i++)
		len += snprintf(q + len, sizeof(q) - len, "%02x",
				i < 8 ? (unsigned int)(v >> (8 * i)) & 0xff : 0);
	return gdb_cmd(&fake, q);
}

static uint64_t get_reg(unsigned int n)
{
	char q[16];
	const char *r;
	uint64_t v = 0;
	unsigned int i, b;

	snprintf(q, sizeof(q), "p%x", n);
	r = gdb_cmd(&fake, q);
	for (i = 0; i < 8 && r[2 * i]; i++) {
		sscanf(r + 2 * i, "%2x", &b);
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* Expects P n=v refused with E16 and nothing written to the target. */
static void refused(unsigned int n, uint64_t v, unsigned int bytes)
{
	unsigned int writes = fake.reg_writes;
	struct gdb_regs before = fake.regs[0];

	CHECK_STR(set_reg(n, v, bytes), "E16");
	CHECK_EQ(fake.reg_writes, writes);
	CHECK(memcmp(&before, &fake.regs[0], sizeof(before)) == 0);
}

static void test_g_layout(void)
{
	const char *g;

	setup_stopped();
	fake.regs[0].r15 = 0x0f0f;
	fake.regs[0].cr3 = 0x12345000;
	g = gdb_cmd(&fake, "g");
	CHECK_EQ(strlen(g), 2 * G_BYTES);
	CHECK(strncmp(g, "1111000000000000", 16) == 0);
	CHECK(strncmp(g + 2 * 120, "0f0f000000000000", 16) == 0);	/* r15 */
	CHECK(strncmp(g + 2 * 128, "1001100000000000", 16) == 0);	/* rip */
	CHECK(strncmp(g + 2 * 136, "02020000", 8) == 0);		/* eflags */
	CHECK(strncmp(g + 2 * 140, "10000000", 8) == 0);		/* cs */
	CHECK(strncmp(g + 2 * 292, "3300058000000000", 16) == 0);	/* cr0 */
	CHECK(strncmp(g + 2 * 308, "0050341200000000", 16) == 0);	/* cr3 */
	CHECK(strncmp(g + 2 * 332, "0105000000000000", 16) == 0);	/* efer */
	/* The x87 registers read as zeros. */
	CHECK(strspn(g + 2 * 164, "0") >= 2 * 112);
	CHECK_EQ(get_reg(R_RIP), FAKE_MEM_BASE + 0x110);
	CHECK_EQ(get_reg(R_CR0), 0x80050033);
	CHECK_EQ(get_reg(R_EFER), 0x501);
	CHECK_EQ(strlen(gdb_cmd(&fake, "p18")), 20);		/* st0: 10 bytes */
	CHECK_STR(gdb_cmd(&fake, "p30"), "E16");
	CHECK_STR(gdb_cmd(&fake, "p"), "E16");
	CHECK_STR(gdb_cmd(&fake, "p1x"), "E16");
}

static void test_G_round_trip(void)
{
	static char G[2 * G_BYTES + 2];
	struct gdb_regs before;

	setup_stopped();
	before = fake.regs[0];
	G[0] = 'G';
	strcpy(G + 1, gdb_cmd(&fake, "g"));
	CHECK_STR(gdb_cmd(&fake, G), "OK");
	CHECK(memcmp(&before, &fake.regs[0], sizeof(before)) == 0);
	CHECK_EQ(fake.reg_writes, 1);
	memcpy(G + 1, "efbeadde00000000", 16);
	CHECK_STR(gdb_cmd(&fake, G), "OK");
	CHECK_EQ(fake.regs[0].rax, 0xdeadbeef);
	/* The other thread is untouched; Hg picks whose registers G writes. */
	CHECK_EQ(fake.regs[1].rax, 0x2222);
	CHECK_STR(gdb_cmd(&fake, "Hg2"), "OK");
	CHECK_STR(gdb_cmd(&fake, G), "OK");
	CHECK_EQ(fake.regs[1].rax, 0xdeadbeef);
	CHECK_STR(gdb_cmd(&fake, "Hg1"), "OK");
	/* Short, long, not hex: E16. */
	G[2 * G_BYTES] = '\0';
	CHECK_STR(gdb_cmd(&fake, G), "E16");
	G[2 * G_BYTES] = '0';
	CHECK_STR(gdb_cmd(&fake, G), "OK");
	G[5] = 'x';
	CHECK_STR(gdb_cmd(&fake, G), "E16");
	G[5] = '0';
	/* An x87 register the target cannot hold: E16, nothing written. */
	G[1 + 2 * 164] = '1';
	CHECK_EQ(fake.reg_writes, 4);
	CHECK_STR(gdb_cmd(&fake, G), "E16");
	CHECK_EQ(fake.reg_writes, 4);
}

static void test_P_accepted(void)
{
	setup_stopped();
	CHECK_STR(set_reg(R_RAX, 0x1234, 8), "OK");
	CHECK_EQ(fake.regs[0].rax, 0x1234);
	CHECK_STR(set_reg(R_RIP, 0xffff800000001000ull, 8), "OK");
	CHECK_STR(set_reg(R_EFLAGS, 0x346, 4), "OK");		/* TF, ZF, PF */
	CHECK_EQ(fake.regs[0].rflags, 0x346);
	CHECK_STR(set_reg(R_CS, 0x33, 4), "OK");
	CHECK_STR(set_reg(R_FS_BASE, 0x00007fffffffe000ull, 8), "OK");
	CHECK_STR(set_reg(R_GS_BASE, 0xffffffffff600000ull, 8), "OK");
	CHECK_STR(set_reg(R_CR0, 0x8005003b, 8), "OK");		/* TS */
	CHECK_STR(set_reg(R_CR2, 0xdeadbeefcafe, 8), "OK");
	CHECK_STR(set_reg(R_CR3, 0x5000, 8), "OK");
	CHECK_STR(set_reg(R_CR4, 0x206a0, 8), "OK");		/* PCIDE in long mode */
	CHECK_STR(set_reg(R_CR8, 15, 8), "OK");
	CHECK_STR(set_reg(R_EFER, 0xd01, 8), "OK");		/* NXE */
	CHECK_STR(set_reg(R_ST0, 0, 10), "OK");
	CHECK_STR(set_reg(R_FOP, 0, 4), "OK");
	CHECK_EQ(fake.regs[0].cr4, 0x206a0);
	CHECK_EQ(fake.regs[0].efer, 0xd01);
	CHECK_STR(gdb_cmd(&fake, "p2f"), "010d000000000000");
}

static void test_P_refused(void)
{
	setup_stopped();
	refused(R_RIP, 0x0000800000000000ull, 8);		/* non-canonical */
	refused(R_RIP, 0xfff0000000000000ull, 8);
	refused(R_FS_BASE, 0x8000000000000000ull, 8);
	refused(R_GS_BASE, 0x0001000000000000ull, 8);
	refused(R_EFLAGS, 0x20a, 4);			/* bit 3 reserved */
	refused(R_EFLAGS, 0x200, 4);			/* bit 1 must be 1 */
	refused(R_EFLAGS, 0x400202, 4);			/* bit 22 reserved */
	refused(R_EFLAGS, 0x20202, 4);			/* VM in long mode */
	refused(R_CR0, 0x80050073, 8);			/* bit 6 reserved */
	refused(R_CR0, 0x180050033ull, 8);		/* bit 32 reserved */
	refused(R_CR0, 0x80050032, 8);			/* PG without PE */
	refused(R_CR0, 0xa0050033, 8);			/* NW without CD */
	refused(R_CR3, 0x8000000000001000ull, 8);
	refused(R_CR4, 0x20 | 0x2000, 8);		/* VMXE: hidden from guests */
	refused(R_CR4, 0x20 | 0x8000, 8);		/* bit 15 reserved */
	refused(R_CR4, 0, 8);				/* PAE off in long mode */
	refused(R_CR8, 16, 8);
	refused(R_EFER, 0x1501, 8);			/* SVME */
	refused(R_EFER, 0x505, 8);			/* bit 2 reserved */
	refused(R_EFER, 0x401, 8);			/* LME off while paging */
	refused(R_EFER, 0x101, 8);			/* LMA off in long mode */
	refused(R_CS, 0x10000, 4);
	refused(R_GS, 0xffffffff, 4);
	refused(R_ST0, 1, 10);
	refused(R_FCTRL, 0x37f, 4);
	/* Bad syntax: a value of the wrong size, no '=', a number past the table. */
	CHECK_STR(gdb_cmd(&fake, "P10=00"), "E16");
	CHECK_STR(gdb_cmd(&fake, "P10"), "E16");
	CHECK_STR(gdb_cmd(&fake, "P30=0000000000000000"), "E16");
	CHECK_EQ(fake.reg_writes, 0);
}

static void test_la57_canonical(void)
{
	setup_stopped();
	refused(R_RIP, 0x00ff000000000000ull, 8);
	CHECK_STR(set_reg(R_CR4, 0x1020, 8), "OK");		/* LA57 */
	CHECK_STR(set_reg(R_RIP, 0x00ff000000000000ull, 8), "OK");
	refused(R_RIP, 0x0100000000000000ull, 8);
}

/* The rules on whole register sets, as gdb_regs_valid() states them. */
static void test_regs_valid(void)
{
	struct gdb_regs old, r;
	uint64_t cr4 = X86_CR4_DEFINED & ~(uint64_t)(X86_CR4_VMXE | X86_CR4_SMXE);
	uint64_t efer = EFER_BASE_BITS | EFER_NXE;

	fake_regs_reset(&old, 1);
	r = old;
	CHECK(gdb_regs_valid(&r, &old, cr4, efer));
	/* Flat real mode: paging, PAE and long mode off together. */
	r.cr0 = X86_CR0_ET;
	r.cr4 = 0;
	r.efer = 0;
	r.rip = 0xfff0;
	CHECK(gdb_regs_valid(&r, &old, cr4, efer));
	/* Long mode enabled but paging off: LMA stays clear. */
	r.efer = EFER_LME;
	CHECK(gdb_regs_valid(&r, &old, cr4, efer));
	r.efer = EFER_LME | EFER_LMA;
	CHECK(!gdb_regs_valid(&r, &old, cr4, efer));
	/* Long paging needs PAE. */
	r.cr0 = 0x80000011;
	CHECK(!gdb_regs_valid(&r, &r, cr4, efer));
	r.cr4 = X86_CR4_PAE;
	CHECK(gdb_regs_valid(&r, &r, cr4, efer));
	/* PCIDE outside long mode. */
	r.cr4 = X86_CR4_PCIDE;
	r.cr0 = X86_CR0_PE;
	r.efer = 0;
	CHECK(!gdb_regs_valid(&r, &r, cr4, efer));
	/* A target that lets no NXE through refuses it. */
	r = old;
	r.efer |= EFER_NXE;
	CHECK(!gdb_regs_valid(&r, &old, cr4, EFER_BASE_BITS));
}

int main(void)
{
	RUN(test_g_layout);
	RUN(test_G_round_trip);
	RUN(test_P_accepted);
	RUN(test_P_refused);
	RUN(test_la57_canonical);
	RUN(test_regs_valid);
	return check_done();
}
