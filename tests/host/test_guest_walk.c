/*
 * The guest page walker (core/guest_walk.c). Hosted test, single thread:
 * page tables built by hand in a small array that stands for guest RAM
 * (4 MiB at guest-physical 0), every paging mode, large pages, NX, a
 * not-present level, reserved bits, and entries that point outside RAM.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/guest_walk.h"
#include "tests/host/check.h"

#define RAM_BYTES (4u << 20)

static uint8_t *ram;

static int ram_read(void *ctx, uint64_t gpa, void *buf, unsigned int len)
{
	(void)ctx;
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static void ram_reset(void)
{
	memset(ram, 0, RAM_BYTES);
}

#define P_RW  (GPTE_P | GPTE_RW)
#define P_RWU (GPTE_P | GPTE_RW | GPTE_US)

static const struct guest_walk_regs regs_long = {
	.cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1000, .cr4 = X86_CR4_PAE,
	.efer = EFER_LME | EFER_LMA | EFER_NXE, .maxphyaddr = 40,
};

/*
 * 4-level: 0xffffffff81234567 (indices 511, 510, 9, 0x34) through PML4
 * 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000.
 */
static void case_4level_4k(void)
{
	const uint64_t gva = 0xffffffff81234567ull;
	struct guest_walk w;
	char buf[128];

	ram_reset();
	put64(0x1000 + 511 * 8, 0x2000 | P_RWU);
	put64(0x2000 + 510 * 8, 0x3000 | P_RWU);
	put64(0x3000 + 9 * 8, 0x4000 | P_RWU);
	put64(0x4000 + 0x34 * 8, 0x200000 | GPTE_P | GPTE_A | GPTE_D | GPTE_G | GPTE_NX);
	CHECK_EQ(guest_walk(&regs_long, gva, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.mode, GUEST_PAGING_4LEVEL);
	CHECK_EQ(w.nr_steps, 4);
	CHECK_EQ(w.gpa, 0x200567);
	CHECK_EQ(w.page_size, 4096);
	CHECK(!w.writable);
	CHECK(!w.user);
	CHECK(!w.executable);
	CHECK_EQ(w.steps[0].level, 4);
	CHECK_EQ(w.steps[0].index, 511);
	CHECK_EQ(w.steps[3].entry_gpa, 0x4000 + 0x34 * 8);
	CHECK_STR(guest_walk_level_name(w.mode, w.steps[1].level), "PDPTE");
	CHECK_STR(guest_walk_entry_str(w.mode, &w.steps[3], buf, sizeof(buf)),
		  "P A D G NX page 0x200000");
	CHECK_STR(guest_walk_entry_str(w.mode, &w.steps[0], buf, sizeof(buf)),
		  "P RW US table 0x2000");
	CHECK_STR(guest_paging_name(w.mode), "4-level");
}

/* 4-level with a 2 MiB and a 1 GiB page. */
static void case_4level_large(void)
{
	struct guest_walk w;

	ram_reset();
	put64(0x1000, 0x2000 | P_RWU);
	put64(0x2000 + 0 * 8, 0x3000 | P_RWU);
	put64(0x2000 + 1 * 8, 0xc0000000ull | P_RWU | GPTE_PS);
	put64(0x3000 + 2 * 8, 0x600000 | P_RWU | GPTE_PS);
	CHECK_EQ(guest_walk(&regs_long, 0x412345, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.gpa, 0x612345);
	CHECK_EQ(w.page_size, 2u << 20);
	CHECK(w.writable && w.user && w.executable);
	CHECK(w.steps[2].leaf);
	CHECK_EQ(guest_walk(&regs_long, 0x40000000ull + 0x1234567, ram_read, NULL, &w),
		 GUEST_WALK_OK);
	CHECK_EQ(w.nr_steps, 2);
	CHECK_EQ(w.gpa, 0xc1234567ull);
	CHECK_EQ(w.page_size, 1u << 30);
}

/* A PDE with P = 0 stops the walk at level 2. */
static void case_not_present(void)
{
	struct guest_walk w;
	char buf[64];

	ram_reset();
	put64(0x1000, 0x2000 | P_RW);
	put64(0x2000, 0x3000 | P_RW);
	CHECK_EQ(guest_walk(&regs_long, 0x5000, ram_read, NULL, &w), GUEST_WALK_NOT_PRESENT);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.steps[2].level, 2);
	CHECK_EQ(w.steps[2].entry, 0);
	CHECK_STR(guest_walk_result_name(w.result), "not present");
	CHECK_STR(guest_walk_entry_str(w.mode, &w.steps[2], buf, sizeof(buf)), "not present");
}

/* Reserved bits: above MAXPHYADDR, PS in a PML4E, NX without EFER.NXE, 2 MiB bits 20:13. */
static void case_reserved(void)
{
	struct guest_walk_regs nonx = regs_long;
	struct guest_walk w;

	ram_reset();
	put64(0x1000, 0x2000 | P_RW);
	put64(0x2000, 0x3000 | P_RW);
	put64(0x3000, (1ull << 45) | 0x4000 | P_RW);	/* MAXPHYADDR is 40 */
	CHECK_EQ(guest_walk(&regs_long, 0x1000, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.steps[2].rsvd, 1ull << 45);

	put64(0x3000, 0x200000 | P_RW | GPTE_PS | BIT_ULL(13));
	CHECK_EQ(guest_walk(&regs_long, 0x1000, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.steps[2].rsvd, BIT_ULL(13));

	put64(0x1000, 0x2000 | P_RW | GPTE_PS);
	CHECK_EQ(guest_walk(&regs_long, 0x1000, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.nr_steps, 1);
	CHECK_EQ(w.steps[0].rsvd, GPTE_PS);

	nonx.efer &= ~EFER_NXE;
	put64(0x1000, 0x2000 | P_RW | GPTE_NX);
	CHECK_EQ(guest_walk(&nonx, 0x1000, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.steps[0].rsvd, GPTE_NX);
	/* With NXE, NX is allowed: the walk goes on to the 2 MiB leaf's bit 13. */
	CHECK_EQ(guest_walk(&regs_long, 0x1000, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.steps[0].rsvd, 0);
}

/* A table past the end of RAM, and a CR3 outside it. */
static void case_outside_ram(void)
{
	struct guest_walk_regs far = regs_long;
	struct guest_walk w;

	ram_reset();
	put64(0x1000, 0x2000 | P_RW);
	put64(0x2000, 0x7ff000000ull | P_RW);
	CHECK_EQ(guest_walk(&regs_long, 0x1000, ram_read, NULL, &w), GUEST_WALK_UNREADABLE);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.steps[2].entry_gpa, 0x7ff000000ull);
	CHECK_EQ(w.steps[2].entry, 0);
	far.cr3 = 0x80000000ull;
	CHECK_EQ(guest_walk(&far, 0, ram_read, NULL, &w), GUEST_WALK_UNREADABLE);
	CHECK_EQ(w.nr_steps, 1);
}

/* Non-canonical for 4-level; canonical for 5-level. */
static void case_5level(void)
{
	struct guest_walk_regs r5 = regs_long;
	const uint64_t gva = 0x0080000000001234ull;	/* bit 55: not 48-bit canonical */
	struct guest_walk w;

	ram_reset();
	CHECK_EQ(guest_walk(&regs_long, gva, ram_read, NULL, &w), GUEST_WALK_BAD_ADDRESS);
	CHECK_EQ(w.nr_steps, 0);
	r5.cr4 |= X86_CR4_LA57;
	put64(0x1000 + ((gva >> 48) & 0x1ff) * 8, 0x2000 | P_RW);
	put64(0x2000 + ((gva >> 39) & 0x1ff) * 8, 0x3000 | P_RW);
	put64(0x3000 + ((gva >> 30) & 0x1ff) * 8, 0x4000 | P_RW);
	put64(0x4000 + ((gva >> 21) & 0x1ff) * 8, 0x5000 | P_RW);
	put64(0x5000 + ((gva >> 12) & 0x1ff) * 8, 0x9000 | P_RW);
	CHECK_EQ(guest_walk(&r5, gva, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.mode, GUEST_PAGING_5LEVEL);
	CHECK_EQ(w.nr_steps, 5);
	CHECK_STR(guest_walk_level_name(w.mode, w.steps[0].level), "PML5E");
	CHECK_EQ(w.gpa, 0x9234);
	CHECK_EQ(guest_walk(&r5, 0x7f00000000000000ull, ram_read, NULL, &w),
		 GUEST_WALK_BAD_ADDRESS);
}

/* PAE: 4 PDPTEs at a 32-byte aligned CR3, a 2 MiB page, PDPTE reserved bits. */
static void case_pae(void)
{
	const struct guest_walk_regs r = {
		.cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1020, .cr4 = X86_CR4_PAE,
		.efer = EFER_NXE, .maxphyaddr = 36,
	};
	struct guest_walk w;

	ram_reset();
	put64(0x1020 + 3 * 8, 0x2000 | GPTE_P);
	put64(0x2000 + 0x1ff * 8, 0x3000 | P_RWU);
	put64(0x3000 + 0x1ff * 8, 0x7000 | P_RWU | GPTE_NX);
	put64(0x2000 + 0 * 8, 0x400000 | P_RW | GPTE_PS);
	CHECK_EQ(guest_walk(&r, 0xfffff123, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.mode, GUEST_PAGING_PAE);
	CHECK_EQ(w.nr_steps, 3);
	CHECK_EQ(w.gpa, 0x7123);
	CHECK(w.writable && w.user && !w.executable);
	CHECK_EQ(guest_walk(&r, 0xc0054321, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.gpa, 0x454321);
	CHECK_EQ(w.page_size, 2u << 20);
	CHECK(!w.user);
	CHECK_EQ(guest_walk(&r, 0x100000000ull, ram_read, NULL, &w), GUEST_WALK_BAD_ADDRESS);
	put64(0x1020 + 3 * 8, 0x2000 | GPTE_P | GPTE_RW);	/* RW is reserved in a PDPTE */
	CHECK_EQ(guest_walk(&r, 0xfffff123, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.steps[0].rsvd, GPTE_RW);
	put64(0x1020 + 3 * 8, 0x2000 | GPTE_P);
	CHECK_EQ(guest_walk(&r, 0x40000000, ram_read, NULL, &w), GUEST_WALK_NOT_PRESENT);
	CHECK_EQ(w.nr_steps, 1);
}

/* 32-bit: 4-byte entries, 4 MiB pages with PSE (PSE-36 bits), PS ignored without PSE. */
static void case_32bit(void)
{
	struct guest_walk_regs r = {
		.cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1000, .cr4 = X86_CR4_PSE,
		.maxphyaddr = 40,
	};
	struct guest_walk w;
	char buf[128];

	ram_reset();
	put32(0x1000 + 0x300 * 4, 0x2000 | P_RWU);
	put32(0x2000 + 0x45 * 4, 0x123000 | GPTE_P);
	put32(0x1000 + 0x3ff * 4, 0xffc00000u | (0x12u << 13) | P_RW | GPTE_PS);
	CHECK_EQ(guest_walk(&r, 0xc0045678, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.mode, GUEST_PAGING_32);
	CHECK_EQ(w.nr_steps, 2);
	CHECK_EQ(w.gpa, 0x123678);
	CHECK(!w.writable && !w.user && w.executable);
	CHECK_EQ(guest_walk(&r, 0xffc12345, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.nr_steps, 1);
	CHECK_EQ(w.page_size, 4u << 20);
	CHECK_EQ(w.gpa, 0x12ffc12345ull);
	CHECK_STR(guest_walk_entry_str(w.mode, &w.steps[0], buf, sizeof(buf)),
		  "P RW PS page 0x12ffc00000");
	put32(0x1000 + 0x3ff * 4, 0xffc00000u | BIT(21) | P_RW | GPTE_PS);
	CHECK_EQ(guest_walk(&r, 0xffc12345, ram_read, NULL, &w), GUEST_WALK_RESERVED);
	CHECK_EQ(w.steps[0].rsvd, BIT(21));
	/* Without CR4.PSE, PS is ignored: the PDE points to a table at 0xffc00000. */
	r.cr4 = 0;
	CHECK_EQ(guest_walk(&r, 0xffc12345, ram_read, NULL, &w), GUEST_WALK_UNREADABLE);
	CHECK_EQ(w.nr_steps, 2);
}

/* No paging: the linear address is the physical one, up to 4 GiB. */
static void case_no_paging(void)
{
	const struct guest_walk_regs r = { .cr0 = X86_CR0_PE };
	struct guest_walk w;

	CHECK_EQ(guest_walk(&r, 0xb8000, ram_read, NULL, &w), GUEST_WALK_OK);
	CHECK_EQ(w.nr_steps, 0);
	CHECK_EQ(w.gpa, 0xb8000);
	CHECK_EQ(guest_walk(&r, 0x100000000ull, ram_read, NULL, &w), GUEST_WALK_BAD_ADDRESS);
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	if (!ram)
		return 2;
	RUN(case_4level_4k);
	RUN(case_4level_large);
	RUN(case_not_present);
	RUN(case_reserved);
	RUN(case_outside_ram);
	RUN(case_5level);
	RUN(case_pae);
	RUN(case_32bit);
	RUN(case_no_paging);
	free(ram);
	return check_done();
}
