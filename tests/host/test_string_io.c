/*
 * String I/O (core/string_io.c). Hosted test, single thread: a fake guest
 * (4 MiB of RAM in an array, page tables built here) and a fake port
 * device that logs every access and answers INs from a counter. Every
 * element size and address size, DF, REP with 0, 1 and many, batches that
 * end at a page, a not-present page in the middle, access rights, the
 * segment checks, an override, the 16-bit wrap, and a buffer outside RAM.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/lib/errno.h"
#include "core/string_io.h"
#include "tests/host/check.h"

#define RAM_BYTES (4u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define PT   0x4000		/* two tables: 0x4000, 0x5000 map 0-4 MiB */
#define PORT 0x3f8
#define LOG_MAX 8192

static uint8_t *ram;

struct port_access {
	uint16_t port;
	uint8_t size;
	bool in;
	uint32_t val;
};
static struct port_access port_log[LOG_MAX];
static unsigned int port_n;
static uint32_t port_next;	/* the next IN's value */
static int port_err;		/* what the device answers */

static int ram_read(void *ctx, uint64_t gpa, void *buf, unsigned int len)
{
	(void)ctx;
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int ram_write(void *ctx, uint64_t gpa, const void *buf, unsigned int len)
{
	(void)ctx;
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return -1;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static int dev_port(void *ctx, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	(void)ctx;
	if (port_err)
		return port_err;
	if (in)
		*val = port_next++ & (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
	if (port_n < LOG_MAX)
		port_log[port_n++] = (struct port_access){ port, (uint8_t)size, in, *val };
	return 0;
}

static const struct string_io_ops ops = {
	.read = ram_read, .write = ram_write, .port = dev_port,
};

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static uint64_t get64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

static uint64_t pte_gpa(uint64_t page)
{
	return PT + (page >> 12) * 8;
}

/* 4-level tables mapping 0-4 MiB one to one, 4 KiB pages, P RW US. */
static void reset(void)
{
	memset(ram, 0, RAM_BYTES);
	put64(PML4, PDPT | GPTE_P | GPTE_RW | GPTE_US);
	put64(PDPT, PD | GPTE_P | GPTE_RW | GPTE_US);
	put64(PD, PT | GPTE_P | GPTE_RW | GPTE_US);
	put64(PD + 8, (PT + 0x1000) | GPTE_P | GPTE_RW | GPTE_US);
	for (uint64_t a = 0; a < RAM_BYTES; a += 0x1000)
		put64(pte_gpa(a), a | GPTE_P | GPTE_RW | GPTE_US);
	port_n = 0;
	port_next = 0x11223344;
	port_err = 0;
}

static const struct guest_segment flat64 = {
	.attr = SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_DATA_RWA,
};

/* A 64-bit mode access at CPL 0 with paging, CR0.WP set. */
static struct string_io io64(bool in, unsigned int size, bool rep)
{
	return (struct string_io){
		.port = PORT, .size = (uint8_t)size, .addr_size = 8, .in = in, .rep = rep,
		.mode = GUEST_MODE_LONG64, .cpl = 0, .seg = flat64,
		.paging = {
			.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, .cr3 = PML4,
			.cr4 = X86_CR4_PAE, .efer = EFER_LME | EFER_LMA, .maxphyaddr = 40,
		},
	};
}

static struct guest_regs regs_at(uint64_t rsi, uint64_t rdi, uint64_t rcx, bool df)
{
	struct guest_regs r = { .rflags = X86_RFLAGS_FIXED | (df ? X86_RFLAGS_DF : 0) };

	r.gpr[GPR_RSI] = rsi;
	r.gpr[GPR_RDI] = rdi;
	r.gpr[GPR_RCX] = rcx;
	return r;
}

/* REP OUTS of 8 elements of every size: the device sees them in order. */
static void case_outs_sizes(void)
{
	for (unsigned int size = 1; size <= 4; size *= 2) {
		struct string_io io = io64(false, size, true);
		struct guest_regs r = regs_at(0x10000, 0, 8, false);
		struct string_io_outcome out;

		reset();
		for (unsigned int i = 0; i < 32; i++)
			ram[0x10000 + i] = (uint8_t)(0xa0 + i);
		CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
		CHECK_EQ(out.done, 8);
		CHECK_EQ(port_n, 8);
		for (unsigned int i = 0; i < 8 && i < port_n; i++) {
			uint32_t want = 0;

			memcpy(&want, ram + 0x10000 + i * size, size);
			CHECK_EQ(port_log[i].val, want);
			CHECK_EQ(port_log[i].size, size);
			CHECK(!port_log[i].in);
			CHECK_EQ(port_log[i].port, PORT);
		}
		CHECK_EQ(r.gpr[GPR_RSI], 0x10000 + 8 * size);
		CHECK_EQ(r.gpr[GPR_RCX], 0);
	}
}

/* REP INS of every size writes the device's values to ES:RDI. */
static void case_ins_sizes(void)
{
	for (unsigned int size = 1; size <= 4; size *= 2) {
		struct string_io io = io64(true, size, true);
		struct guest_regs r = regs_at(0, 0x20000, 5, false);
		struct string_io_outcome out;

		reset();
		CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
		CHECK_EQ(port_n, 5);
		for (unsigned int i = 0; i < 5; i++) {
			uint32_t got = 0;

			memcpy(&got, ram + 0x20000 + i * size, size);
			CHECK_EQ(got, port_log[i].val);
			CHECK(port_log[i].in);
		}
		CHECK_EQ(ram[0x20000 + 5 * size], 0);	/* nothing past the count */
		CHECK_EQ(r.gpr[GPR_RDI], 0x20000 + 5 * size);
		CHECK_EQ(r.gpr[GPR_RCX], 0);
	}
}

/* DF = 1: backwards, the element at RSI first. */
static void case_df(void)
{
	struct string_io io = io64(false, 2, true);
	struct guest_regs r = regs_at(0x10006, 0, 4, true);
	struct string_io_outcome out;

	reset();
	for (unsigned int i = 0; i < 8; i++)
		ram[0x10000 + i] = (uint8_t)i;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 4);
	CHECK_EQ(port_log[0].val, 0x0706);
	CHECK_EQ(port_log[3].val, 0x0100);
	CHECK_EQ(r.gpr[GPR_RSI], 0xfffe);
	io.in = true;
	r = regs_at(0, 0x20008, 2, true);
	port_n = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(r.gpr[GPR_RDI], 0x20004);
	CHECK_EQ(ram[0x20008] | ram[0x20009] << 8, port_log[0].val);
	CHECK_EQ(ram[0x20006] | ram[0x20007] << 8, port_log[1].val);
}

/* REP with RCX 0 does nothing; 1 does one; without REP RCX is not used. */
static void case_counts(void)
{
	struct string_io io = io64(false, 1, true);
	struct guest_regs r = regs_at(0x10000, 0, 0, false);
	struct string_io_outcome out;

	reset();
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 0);
	CHECK_EQ(r.gpr[GPR_RSI], 0x10000);
	r.gpr[GPR_RCX] = 1;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 1);
	CHECK_EQ(r.gpr[GPR_RCX], 0);
	io.rep = false;
	r.gpr[GPR_RCX] = 0x77;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 2);
	CHECK_EQ(r.gpr[GPR_RCX], 0x77);
	CHECK_EQ(r.gpr[GPR_RSI], 0x10002);
	/* A 32-bit count: RCX's upper half is not part of it. */
	io.rep = true;
	io.addr_size = 4;
	r.gpr[GPR_RCX] = 0xffffffff00000000ull;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 2);
}

/*
 * A batch ends at the page: 0x10ffc with 4 words: two in the first page,
 * then the rest. An element across the boundary is one element.
 */
static void case_page_batches(void)
{
	struct string_io io = io64(false, 2, true);
	struct guest_regs r = regs_at(0x10ffc, 0, 4, false);
	struct string_io_outcome out;

	reset();
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_MORE);
	CHECK_EQ(out.done, 2);
	CHECK_EQ(r.gpr[GPR_RSI], 0x11000);
	CHECK_EQ(r.gpr[GPR_RCX], 2);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 4);
	/* A dword at 0x10ffe: two bytes in each page, one port access. */
	io.size = 4;
	r = regs_at(0x10ffe, 0, 1, false);
	ram[0x10ffe] = 1, ram[0x10fff] = 2, ram[0x11000] = 3, ram[0x11001] = 4;
	port_n = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_n, 1);
	CHECK_EQ(port_log[0].val, 0x04030201);
	/* A whole page of bytes is more than one batch. */
	io.size = 1;
	r = regs_at(0x20000, 0, 5000, false);
	port_n = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_MORE);
	CHECK_EQ(out.done, STRING_IO_BATCH);
	CHECK_EQ(r.gpr[GPR_RCX], 5000 - STRING_IO_BATCH);
}

/*
 * REP INSW into 0x21ff8..0x22008 with 0x22000 not present: the four words
 * of the first page are done (first call), then #PF(W) with CR2 = 0x22000,
 * RDI and RCX at the faulting element, which never reached the device.
 */
static void case_not_present(void)
{
	struct string_io io = io64(true, 2, true);
	struct guest_regs r = regs_at(0, 0x21ff8, 8, false);
	struct string_io_outcome out;

	reset();
	put64(pte_gpa(0x22000), 0);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_MORE);
	CHECK_EQ(out.done, 4);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.done, 0);
	CHECK_EQ(out.fault.vector, VEC_PF);
	CHECK(out.fault.has_error);
	CHECK_EQ(out.fault.error_code, X86_PF_W);
	CHECK_EQ(out.cr2, 0x22000);
	CHECK_EQ(r.gpr[GPR_RDI], 0x22000);
	CHECK_EQ(r.gpr[GPR_RCX], 4);
	CHECK_EQ(port_n, 4);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(ram[0x21ff8 + 2 * i] | ram[0x21ff9 + 2 * i] << 8, port_log[i].val);
	/* At CPL 3, OUTS of a dword across into the missing page: U, no W. */
	io = io64(false, 4, false);
	io.cpl = 3;
	r = regs_at(0x21ffe, 0, 0, false);
	port_n = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_U);
	CHECK_EQ(out.cr2, 0x22000);
	CHECK_EQ(r.gpr[GPR_RSI], 0x21ffe);
	CHECK_EQ(port_n, 0);
	/* A reserved bit: P and RSVD. */
	put64(pte_gpa(0x22000), 0x22000 | GPTE_P | GPTE_RW | BIT_ULL(51));
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_U | X86_PF_P | X86_PF_RSVD);
}

/* Access rights: US, RW with CR0.WP and CPL, SMAP; A and D set. */
static void case_rights(void)
{
	struct string_io io = io64(true, 1, false);
	struct guest_regs r = regs_at(0, 0x30000, 0, false);
	struct string_io_outcome out;

	reset();
	put64(pte_gpa(0x30000), 0x30000 | GPTE_P);		/* read-only, supervisor */
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_P | X86_PF_W);
	io.paging.cr0 &= ~(uint64_t)X86_CR0_WP;			/* CPL 0 writes anyway */
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(get64(pte_gpa(0x30000)) & (GPTE_A | GPTE_D), GPTE_A | GPTE_D);
	CHECK(get64(PML4) & GPTE_A);
	io.cpl = 3;
	r.gpr[GPR_RDI] = 0x30000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_P | X86_PF_W | X86_PF_U);
	io.in = false;
	r.gpr[GPR_RSI] = 0x30000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_P | X86_PF_U);
	/* SMAP: CPL 0 reads a user page only with RFLAGS.AC. */
	io.cpl = 0;
	io.paging.cr4 |= X86_CR4_SMAP;
	r.gpr[GPR_RSI] = 0x31000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.error_code, X86_PF_P);
	r.rflags |= X86_RFLAGS_AC;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
}

/* An override: FS's base counts in 64-bit mode, DS's does not. */
static void case_override(void)
{
	struct string_io io = io64(false, 1, false);
	struct guest_regs r = regs_at(0x100, 0, 0, false);
	struct string_io_outcome out;

	reset();
	ram[0x100] = 0x11;
	ram[0x40100] = 0x22;
	io.seg.base = 0x40000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_log[0].val, 0x11);
	io.seg_is_fs_gs = true;
	r.gpr[GPR_RSI] = 0x100;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_log[1].val, 0x22);
	/* Not canonical: #GP(0); through SS: #SS(0). */
	io.seg.base = 0x0000800000000000ull - 0x100;
	r.gpr[GPR_RSI] = 0x100;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.vector, VEC_GP);
	CHECK_EQ(out.fault.error_code, 0);
	io.seg_is_fs_gs = false;
	io.seg_is_ss = true;
	r.gpr[GPR_RSI] = 0x0000800000000000ull;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.vector, VEC_SS);
	CHECK_EQ(port_n, 2);
}

static struct string_io io_real(bool in, unsigned int size)
{
	return (struct string_io){
		.port = PORT, .size = (uint8_t)size, .addr_size = 2, .in = in, .rep = true,
		.mode = GUEST_MODE_REAL,
		.seg = { .base = 0x50000, .limit = 0xffff,
			 .attr = SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_DATA_RWA },
		.paging = { .cr0 = 0 },
	};
}

/* 16-bit addresses: SI and CX wrap in 16 bits, the upper bits stay. */
static void case_wrap16(void)
{
	struct string_io io = io_real(false, 1);
	struct guest_regs r = regs_at(0xabcd0000fffeull, 0, 0x55550004, false);
	struct string_io_outcome out;

	reset();
	ram[0x5fffe] = 1, ram[0x5ffff] = 2, ram[0x50000] = 3, ram[0x50001] = 4;
	while (string_io_run(&io, &r, &ops, &out) == STRING_IO_MORE)
		;
	CHECK_EQ(port_n, 4);
	CHECK_EQ(port_log[2].val, 3);
	CHECK_EQ(port_log[3].val, 4);
	CHECK_EQ(r.gpr[GPR_RSI], 0xabcd00000002ull);
	CHECK_EQ(r.gpr[GPR_RCX], 0x55550000);
	/* A word at offset 0xffff passes the limit: #GP(0); under SS #SS(0). */
	io.size = 2;
	r = regs_at(0xffff, 0, 1, false);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.vector, VEC_GP);
	io.seg_is_ss = true;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.vector, VEC_SS);
	CHECK_EQ(r.gpr[GPR_RSI], 0xffff);
	CHECK_EQ(port_n, 4);
	/* DF = 1 from 0: DI wraps to 0xffff. */
	io = io_real(true, 1);
	r = regs_at(0, 0x10000, 2, true);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_MORE);
	CHECK_EQ(r.gpr[GPR_RDI], 0x1ffff);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(r.gpr[GPR_RDI], 0x1fffe);
	CHECK_EQ(ram[0x50000], port_log[4].val);
	CHECK_EQ(ram[0x5ffff], port_log[5].val);
}

/* 32-bit protected mode: limits, expand-down, segment types, 32-bit wrap. */
static void case_prot32(void)
{
	struct string_io io = {
		.port = PORT, .size = 4, .addr_size = 4, .in = true, .rep = false,
		.mode = GUEST_MODE_PROT32,
		.seg = { .base = 0x60000, .limit = 0xfff, .attr = SEG_ATTR_P | SEG_ATTR_S |
			 SEG_ATTR_DB | SEG_TYPE_DATA_RWA },
		.paging = { .cr0 = X86_CR0_PE },
	};
	struct guest_regs r = regs_at(0, 0xffc, 0, false);
	struct string_io_outcome out;

	reset();
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(r.gpr[GPR_RDI], 0x1000);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	CHECK_EQ(out.fault.vector, VEC_GP);
	/* Read-only data: INS #GP(0), OUTS fine; execute-only code: OUTS #GP. */
	io.seg.attr &= ~SEG_TYPE_RW;
	r.gpr[GPR_RDI] = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	io.in = false;
	r.gpr[GPR_RSI] = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	io.seg.attr |= SEG_TYPE_CODE;
	r.gpr[GPR_RSI] = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	io.seg.attr |= SEG_ATTR_UNUSABLE;
	io.seg.attr |= SEG_TYPE_RW;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	/* Expand-down, limit 0xfff: offsets 0x1000-0xffffffff only. */
	io.seg.attr = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_TYPE_DATA_RWA | SEG_TYPE_EC;
	r.gpr[GPR_RSI] = 0xffc;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	r.gpr[GPR_RSI] = 0x1000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	r.gpr[GPR_RSI] = 0xfffffffe;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_FAULT);
	/* The 32-bit linear address wraps: base 0x60000 + 0xfffb0000. */
	io.seg.attr = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_TYPE_DATA_RWA;
	io.seg.limit = 0xffffffff;
	io.size = 1;
	r.gpr[GPR_RSI] = 0xfffb0000;
	ram[0x10000] = 0x5a;
	port_n = 0;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(port_log[0].val, 0x5a);
}

/* Memory outside RAM: the VM stops, the device sees nothing. */
static void case_outside_ram(void)
{
	struct string_io io = io_real(true, 2);
	struct guest_regs r = regs_at(0, 0, 3, false);
	struct string_io_outcome out;

	reset();
	io.seg.base = RAM_BYTES - 2;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_MORE);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_STOP);
	CHECK(out.why && strstr(out.why, "outside RAM"));
	CHECK_EQ(out.addr, RAM_BYTES);
	CHECK_EQ(port_n, 1);
	CHECK_EQ(r.gpr[GPR_RDI], 2);
	CHECK_EQ(r.gpr[GPR_RCX], 2);
	/* A port that stops the VM: no why of its own. */
	port_err = -ECANCELED;
	r = regs_at(0, 0, 3, false);
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_STOP);
	CHECK(!out.why);
	CHECK_EQ(r.gpr[GPR_RCX], 3);
	/* A port without a device reads all ones. */
	port_err = -ENOENT;
	io.seg.base = 0x70000;
	CHECK_EQ(string_io_run(&io, &r, &ops, &out), STRING_IO_DONE);
	CHECK_EQ(ram[0x70000], 0xff);
	CHECK_EQ(ram[0x70005], 0xff);
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	if (!ram)
		return 2;
	RUN(case_outs_sizes);
	RUN(case_ins_sizes);
	RUN(case_df);
	RUN(case_counts);
	RUN(case_page_batches);
	RUN(case_not_present);
	RUN(case_rights);
	RUN(case_override);
	RUN(case_wrap16);
	RUN(case_prot32);
	RUN(case_outside_ram);
	free(ram);
	return check_done();
}
