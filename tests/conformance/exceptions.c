/*
 * Conformance kernel "exceptions": IDT delivery of faults and traps, with
 * and without error codes, and the EIP each pushes: #DE, #DB by TF, #BP,
 * #OF, #UD, #GP with a selector error code, #PF with CR2 and its error code
 * (paging on for that check only), and INT n to software vectors.
 */
#include "conf.h"

const char conf_kernel[] = "exceptions";

#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14

#define EFLAGS_TF BIT(8)
#define DR6_BS    BIT(14)
#define CR0_PG    BIT(31)
#define CR0_WP    BIT(16)
#define CR4_PSE   BIT(4)
#define PDE_P     BIT(0)
#define PDE_W     BIT(1)
#define PDE_PS    BIT(7)
#define PF_P      BIT(0)
#define PF_W      BIT(1)
#define BAD_SEL   0x40		/* past our three-entry GDT */
#define PF_HOLE   0x08000123u	/* a 4 MiB page left unmapped */
#define PF_RO     0x00800010u	/* a read-only 4 MiB page */

extern char de_insn[], ud_insn[], gp_insn[], pf_insn[], bp_after[], of_after[];
extern char db_after[], int_after[];

static void expect(const char *name, u32 before, u32 vector, u32 error, u32 eip)
{
	if (exc_count != before + 1) {
		fail(name, "%u exceptions taken, expected 1 (vector %u)", exc_count - before, vector);
		return;
	}
	check(name, last_exc.vector == vector && last_exc.error == error && last_exc.eip == eip,
	      "vector %u error 0x%x eip 0x%x, expected vector %u error 0x%x eip 0x%x",
	      last_exc.vector, last_exc.error, last_exc.eip, vector, error, eip);
}

static void test_de(void)
{
	u32 before = exc_count;

	asm volatile("movl $1f, fixup_eip\n\t"
		     "xorl %%edx, %%edx\n\t"
		     "movl $1, %%eax\n\t"
		     "xorl %%ecx, %%ecx\n"
		     "de_insn: divl %%ecx\n"
		     "1:" ::: "eax", "ecx", "edx", "memory");
	expect("de", before, VEC_DE, 0, (u32)de_insn);
}

static void test_ud(void)
{
	u32 before = exc_count;

	asm volatile("movl $1f, fixup_eip\n"
		     "ud_insn: ud2\n"
		     "1:" ::: "memory");
	expect("ud", before, VEC_UD, 0, (u32)ud_insn);
}

static void test_gp_selector(void)
{
	u32 before = exc_count;

	asm volatile("movl $1f, fixup_eip\n\t"
		     "movw %0, %%ax\n"
		     "gp_insn: movw %%ax, %%fs\n"
		     "1:" :: "i"(BAD_SEL) : "eax", "memory");
	expect("gp_selector", before, VEC_GP, BAD_SEL, (u32)gp_insn);
}

static void test_bp(void)
{
	u32 before = exc_count;

	asm volatile("int3\n"
		     "bp_after:" ::: "memory");
	expect("bp", before, VEC_BP, 0, (u32)bp_after);
}

static void test_of(void)
{
	u32 before = exc_count;

	/* 0x7fffffff + 1 sets OF; INTO is a trap: EIP after it. */
	asm volatile("movl $0x7fffffff, %%eax\n\t"
		     "addl $1, %%eax\n\t"
		     "into\n"
		     "of_after:" ::: "eax", "cc", "memory");
	expect("of", before, VEC_OF, 0, (u32)of_after);
}

static volatile u32 db_dr6, db_eip, db_count;

static void db_handler(struct frame *f)
{
	u32 dr6;

	asm volatile("mov %%db6, %0" : "=r"(dr6));
	db_dr6 = dr6;
	db_eip = f->eip;
	db_count++;
	f->eflags &= ~EFLAGS_TF;
	asm volatile("mov %0, %%db6" :: "r"(0u));
}

/* POPF sets TF: the trap comes after the instruction that follows it. */
static void test_db_tf(void)
{
	set_handler(VEC_DB, db_handler);
	asm volatile("pushfl\n\t"
		     "orl %0, (%%esp)\n\t"
		     "popfl\n\t"
		     "nop\n"
		     "db_after:" :: "i"(EFLAGS_TF) : "cc", "memory");
	set_handler(VEC_DB, NULL);
	check("db_tf", db_count == 1 && db_eip == (u32)db_after && (db_dr6 & DR6_BS),
	      "%u traps, eip 0x%x (expected 0x%x), DR6 0x%x (BS expected)",
	      db_count, db_eip, (u32)db_after, db_dr6);
}

static void test_int_n(void)
{
	u32 before = exc_count, c80 = vec_count[0x80], c30 = vec_count[0x30];

	asm volatile("int $0x80\n"
		     "int_after:" ::: "memory");
	expect("int_0x80", before, 0x80, 0, (u32)int_after);
	asm volatile("int $0x30" ::: "memory");
	check("int_vectors", vec_count[0x80] == c80 + 1 && vec_count[0x30] == c30 + 1,
	      "vector 0x80 counted %u, 0x30 counted %u times", vec_count[0x80] - c80,
	      vec_count[0x30] - c30);
}

static u32 pd[1024] __attribute__((aligned(4096)));

/* Identity-maps the first 1 GiB with 4 MiB pages but PF_HOLE's, with
 * PF_RO's page read-only; turns paging on with WP. */
static void paging_on(void)
{
	for (u32 i = 0; i < 256; i++)
		pd[i] = (i << 22) | PDE_P | PDE_W | PDE_PS;
	pd[PF_HOLE >> 22] = 0;
	pd[PF_RO >> 22] &= ~PDE_W;
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((u32)pd);
	write_cr0(read_cr0() | CR0_PG | CR0_WP);
}

static void paging_off(void)
{
	write_cr0(read_cr0() & ~(CR0_PG | CR0_WP));
}

static void pf_access(u32 addr, int write)
{
	if (write)
		asm volatile("movl $1f, fixup_eip\n"
			     "pf_insn: movl $0, (%0)\n"
			     "1:" :: "r"(addr) : "memory");
	else
		asm volatile("movl $1f, fixup_eip\n\t"
			     "movl (%0), %%eax\n"
			     "1:" :: "r"(addr) : "eax", "memory");
}

static void test_pf(void)
{
	struct { const char *name; u32 addr; int write; u32 error; } cases[] = {
		{ "pf_read_not_present", PF_HOLE, 0, 0 },
		{ "pf_write_not_present", PF_HOLE, 1, PF_W },
		{ "pf_write_read_only", PF_RO, 1, PF_P | PF_W },
	};

	if (!(cpuid(1, 0).d & BIT(3))) {
		skip("pf", "CPUID denies PSE");
		return;
	}
	paging_on();
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 before = exc_count;

		pf_access(cases[i].addr, cases[i].write);
		if (exc_count != before + 1 || last_exc.vector != VEC_PF) {
			paging_off();
			fail(cases[i].name, "%u exceptions, last vector %u", exc_count - before,
			     last_exc.vector);
			return;
		}
		if (last_exc.cr2 != cases[i].addr || last_exc.error != cases[i].error) {
			u32 cr2 = last_exc.cr2, err = last_exc.error;
			paging_off();
			fail(cases[i].name, "CR2 0x%x error 0x%x, expected CR2 0x%x error 0x%x",
			     cr2, err, cases[i].addr, cases[i].error);
			return;
		}
		if (cases[i].write && last_exc.eip != (u32)pf_insn) {
			u32 eip = last_exc.eip;
			paging_off();
			fail(cases[i].name, "eip 0x%x, expected 0x%x", eip, (u32)pf_insn);
			return;
		}
	}
	paging_off();
	for (u32 i = 0; i < ARRAY_SIZE(cases); i++)
		pass(cases[i].name);
}

/* #BP and #OF are traps: recorded by isr_dispatch, resumed after. */
static void trap_handler(struct frame *f)
{
}

void kmain(u32 magic, u32 info)
{
	set_handler(VEC_BP, trap_handler);
	set_handler(VEC_OF, trap_handler);
	test_de();
	test_db_tf();
	test_bp();
	test_of();
	test_ud();
	test_gp_selector();
	test_pf();
	test_int_n();
}
