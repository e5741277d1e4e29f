/*
 * libFuzzer target for core/string_io.c: one batch of an INS or OUTS with
 * every field the exit and the guest's state give drawn from the input,
 * against a 64 KiB guest whose page tables are the input's own bytes and
 * a port device that counts. Built by tests/fuzz/fuzz.mk with clang
 * -fsanitize=fuzzer,address,undefined; tests/fuzz/run.sh runs it.
 *
 * Input: 48 bytes of fields (element size, address size, direction, REP,
 * DF, AC, mode, CPL, segment base, limit and attributes, paging mode and
 * CR3, CR0.WP, CR4.SMAP/LA57, rSI, rDI, rCX), then guest RAM from 0.
 * Short inputs read as zeros.
 *
 * Invariants, each an abort() with a message:
 *  - the device saw exactly the completed elements, never more than a
 *    batch, and at most one page of them (plus the element that crosses);
 *  - rSI (OUTS) or rDI (INS) moved by the completed elements at the
 *    address size (16 bits merged, 32 zero-extended), rCX counted down
 *    likewise under REP; no other register and no flag moved;
 *  - DONE: the count is used up; MORE: some done and a count left;
 *    FAULT: a valid #GP(0), #SS(0) or #PF whose error code says W for
 *    INS only and U at CPL 3 only; STOP: a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/string_io.h"

#define RAM_BYTES 0x10000u
#define FIELDS    48

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_string_io: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static uint8_t ram[RAM_BYTES];
static unsigned int port_calls;

static int ram_read(void *ctx, uint64_t gpa, void *buf, unsigned int len)
{
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return -1;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static int ram_write(void *ctx, uint64_t gpa, const void *buf, unsigned int len)
{
	if (gpa >= RAM_BYTES || len > RAM_BYTES - gpa)
		return -1;
	memcpy(ram + gpa, buf, len);
	return 0;
}

static int dev_port(void *ctx, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	port_calls++;
	if (in)
		*val = 0xa5a5a5a5u;
	return 0;
}

static uint64_t field(const uint8_t *f, unsigned int at, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, f + at, len);
	return v;
}

/* The register after n elements moved it by delta at the address size. */
static uint64_t moved(uint64_t old, uint64_t n, uint64_t delta, unsigned int addr_size)
{
	uint64_t mask = string_io_addr_mask(addr_size), low;

	if (!n)
		return old;
	low = ((old & mask) + n * delta) & mask;
	return addr_size == 2 ? (old & ~0xffffull) | low : low;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t modes[] = {
		GUEST_MODE_REAL, GUEST_MODE_V86, GUEST_MODE_PROT16, GUEST_MODE_PROT32,
		GUEST_MODE_LONG64,
	};
	const struct string_io_ops ops = { .read = ram_read, .write = ram_write, .port = dev_port };
	uint8_t f[FIELDS] = { 0 };
	struct string_io_outcome out;
	struct guest_regs regs, before;
	struct string_io io;
	enum string_io_result r;
	uint64_t mask, count, delta, paging;
	unsigned int ptr, mode;

	memcpy(f, data, size < FIELDS ? size : FIELDS);
	memset(ram, 0, sizeof(ram));
	if (size > FIELDS)
		memcpy(ram, data + FIELDS, size - FIELDS < RAM_BYTES ? size - FIELDS : RAM_BYTES);
	mode = modes[f[1] % 5];
	io = (struct string_io){
		.port = (uint16_t)field(f, 2, 2), .size = (uint8_t)(1u << (f[0] % 3)),
		.in = f[0] & 0x04, .rep = f[0] & 0x08, .mode = (uint8_t)mode,
		.cpl = mode == GUEST_MODE_REAL ? 0 : mode == GUEST_MODE_V86 ? 3 : (f[1] >> 4) & 3,
		.seg_is_ss = f[0] & 0x40, .seg_is_fs_gs = f[0] & 0x80,
		.seg = { .base = field(f, 4, 8), .limit = (uint32_t)field(f, 12, 4),
			 .attr = (uint32_t)field(f, 16, 2) & (0xfffu | SEG_ATTR_UNUSABLE) },
	};
	if (mode == GUEST_MODE_LONG64)
		io.addr_size = (f[1] & 0x08) ? 4 : 8;
	else if (mode == GUEST_MODE_PROT32)
		io.addr_size = (f[1] & 0x08) ? 2 : 4;
	else
		io.addr_size = (f[1] & 0x08) ? 4 : 2;
	if (mode != GUEST_MODE_LONG64)
		io.seg.base &= 0xffffffffull;
	paging = mode == GUEST_MODE_LONG64 ? 3 : mode == GUEST_MODE_REAL ? 0 : f[18] % 3;
	io.paging = (struct guest_walk_regs){
		.cr0 = (mode == GUEST_MODE_REAL ? 0 : X86_CR0_PE) | (paging ? X86_CR0_PG : 0) |
		       ((f[19] & 1) ? X86_CR0_WP : 0),
		.cr3 = field(f, 20, 2) & 0xf000,
		.cr4 = (paging >= 2 ? X86_CR4_PAE : 0) | ((f[19] & 2) ? X86_CR4_SMAP : 0) |
		       ((f[19] & 4) ? X86_CR4_PSE : 0) |
		       ((paging == 3 && (f[19] & 8)) ? X86_CR4_LA57 : 0),
		.efer = paging == 3 ? EFER_LME | EFER_LMA : 0, .maxphyaddr = 36,
	};
	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_RFLAGS_FIXED | ((f[0] & 0x10) ? X86_RFLAGS_DF : 0) |
		      ((f[0] & 0x20) ? X86_RFLAGS_AC : 0);
	regs.gpr[GPR_RSI] = field(f, 24, 8);
	regs.gpr[GPR_RDI] = field(f, 32, 8);
	regs.gpr[GPR_RCX] = field(f, 40, 8);
	before = regs;
	port_calls = 0;

	r = string_io_run(&io, &regs, &ops, &out);

	mask = string_io_addr_mask(io.addr_size);
	count = io.rep ? before.gpr[GPR_RCX] & mask : 1;
	delta = (before.rflags & X86_RFLAGS_DF) ? -(uint64_t)io.size : io.size;
	ptr = io.in ? GPR_RDI : GPR_RSI;
	FUZZ_ASSERT(port_calls == out.done);
	FUZZ_ASSERT(out.done <= STRING_IO_BATCH && out.done <= count);
	FUZZ_ASSERT(out.done <= 4096 / io.size + 1);
	FUZZ_ASSERT(regs.gpr[ptr] == moved(before.gpr[ptr], out.done, delta, io.addr_size));
	FUZZ_ASSERT(regs.gpr[GPR_RCX] == (io.rep ? moved(before.gpr[GPR_RCX], out.done,
							 -1ull, io.addr_size) :
					  before.gpr[GPR_RCX]));
	for (unsigned int i = 0; i < GPR_COUNT; i++)
		FUZZ_ASSERT(i == ptr || i == GPR_RCX || regs.gpr[i] == before.gpr[i]);
	FUZZ_ASSERT(regs.rflags == before.rflags && regs.rip == before.rip);
	switch (r) {
	case STRING_IO_DONE:
		FUZZ_ASSERT(out.done == count);
		break;
	case STRING_IO_MORE:
		FUZZ_ASSERT(out.done > 0 && out.done < count);
		break;
	case STRING_IO_FAULT:
		FUZZ_ASSERT(vm_event_valid(&out.fault));
		if (out.fault.vector == VEC_PF) {
			FUZZ_ASSERT(!(out.fault.error_code & ~0xfu));
			FUZZ_ASSERT(!!(out.fault.error_code & X86_PF_W) == io.in);
			FUZZ_ASSERT(!!(out.fault.error_code & X86_PF_U) == (io.cpl == 3));
		} else {
			FUZZ_ASSERT(out.fault.vector == VEC_GP || out.fault.vector == VEC_SS);
			FUZZ_ASSERT(out.fault.error_code == 0);
		}
		break;
	case STRING_IO_STOP:
		FUZZ_ASSERT(out.why);
		break;
	default:
		FUZZ_ASSERT(0);
	}
	return 0;
}
