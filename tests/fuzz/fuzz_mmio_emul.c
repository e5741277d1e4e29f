/*
 * libFuzzer target for core/pc/mmio_emul.c: arbitrary bytes decoded as an
 * instruction in 16-, 32- and 64-bit mode, and whatever decodes emulated
 * against a recording fake device. Built by tests/fuzz/fuzz.mk with
 * clang -fsanitize=fuzzer,address,undefined; tests/fuzz/run.sh runs it.
 *
 * Input: bytes 0-7 the value the device answers reads with, bytes 8-15
 * the seed of the register file, the rest the instruction bytes (all of
 * them readable: avail is their number). Short inputs read as zeros.
 *
 * Invariants, each an abort() with a message:
 *  - decode answers 0, -EINVAL, -EAGAIN or -E2BIG, and reads no byte past
 *    avail (the code is copied to a heap buffer of exactly that size);
 *  - an accepted instruction is 1-15 bytes and <= avail, has the length
 *    core/insn_len.c gives, decodes the same from exactly len bytes, and
 *    asks for more (-EAGAIN) from any fewer;
 *  - emulation returns 0, makes one access (READ, WRITE) or a read then a
 *    write (RMW), all at the faulting address and of the decoded size;
 *  - RIP advances by exactly len (wrapping at 32 bits outside 64-bit
 *    mode), RF is cleared, no other non-arithmetic flag moves, and MOV
 *    and XCHG leave the arithmetic flags alone;
 *  - no register changes but the decoded one, and only when the form
 *    writes it; a MOV load leaves the extended device value in it, a
 *    store writes the register's value, XCHG swaps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/lib/errno.h"
#include "core/insn_len.h"
#include "core/pc/mmio_emul.h"

#define GPA 0xfee00300ull
#define ARITH_FLAGS 0x8d5ull	/* CF PF AF ZF SF OF */
#define RF_FLAG (1ull << 16)

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_mmio_emul: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

struct access {
	int write;
	uint64_t addr;
	unsigned int size;
	uint64_t val;
};

struct fake_dev {
	uint64_t rdval;
	unsigned int n;
	struct access acc[3];
};

static int fake_read(void *d, uint64_t addr, unsigned int size, uint64_t *val)
{
	struct fake_dev *f = d;

	if (f->n < 3)
		f->acc[f->n] = (struct access){ 0, addr, size, 0 };
	f->n++;
	*val = f->rdval;
	return 0;
}

static int fake_write(void *d, uint64_t addr, unsigned int size, uint64_t val)
{
	struct fake_dev *f = d;

	if (f->n < 3)
		f->acc[f->n] = (struct access){ 1, addr, size, val };
	f->n++;
	return 0;
}

static const struct vdev_mmio_ops fake_ops = { .read = fake_read, .write = fake_write };

static uint64_t mask_of(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t le64(const uint8_t *p, size_t avail)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8 && i < avail; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The register operand's value at size bytes. */
static uint64_t reg_value(const struct guest_regs *r, const struct mmio_insn *in,
			  unsigned int size)
{
	uint64_t v = r->gpr[in->reg];

	return (in->reg_high ? v >> 8 : v) & mask_of(size);
}

static void check_fields(const struct mmio_insn *in, size_t avail, unsigned int bits)
{
	FUZZ_ASSERT(in->len >= 1 && in->len <= X86_INSN_MAX_LEN && in->len <= avail);
	FUZZ_ASSERT(in->size == 1 || in->size == 2 || in->size == 4 || in->size == 8);
	FUZZ_ASSERT(in->reg_size >= in->size && in->reg_size <= 8);
	FUZZ_ASSERT(in->op < MMIO_OP_NR && in->dir <= MMIO_DIR_RMW);
	FUZZ_ASSERT(in->reg < GPR_COUNT && (!in->reg_high || in->reg < 4));
	FUZZ_ASSERT(!in->reg_high || in->size == 1);
	FUZZ_ASSERT(in->code_bits == bits);
	FUZZ_ASSERT(in->dst != MMIO_OPND_IMM && in->dst != in->src);
	FUZZ_ASSERT(in->ext == MMIO_EXT_NONE || (in->op == MMIO_OP_MOV && in->dst == MMIO_OPND_REG));
}

/*
 * What core/insn_len.c's decoder says about the same bytes: the REX in
 * effect, ModRM.reg, operand size and immediate must match.
 */
static void check_vs_insn_decode(const uint8_t *code, size_t avail, unsigned int bits,
				 const struct mmio_insn *in)
{
	struct insn x;
	unsigned int modrm_reg;
	bool high;

	FUZZ_ASSERT(insn_decode(code, avail, (enum insn_mode)bits, &x) == in->len);
	if (in->src == MMIO_OPND_IMM) {
		FUZZ_ASSERT(x.imm_size && (in->imm & mask_of(x.imm_size)) == x.imm);
		return;
	}
	if (!x.has_modrm) {	/* moffs: always rAX */
		FUZZ_ASSERT(in->reg == GPR_RAX && !in->reg_high);
		FUZZ_ASSERT(in->size == (x.opcode & 1 ? x.opsize : 1));
		return;
	}
	modrm_reg = ((x.modrm >> 3) & 7) + ((x.rex & 0x04) ? 8 : 0);
	high = in->reg_size == 1 && !x.rex && modrm_reg >= 4;
	FUZZ_ASSERT(in->reg_high == high);
	FUZZ_ASSERT(in->reg + (high ? 4 : 0) == modrm_reg);
	if (in->size != 1 && in->ext == MMIO_EXT_NONE && x.map == INSN_MAP_ONE)
		FUZZ_ASSERT(in->size == x.opsize);
	if (in->ext != MMIO_EXT_NONE)
		FUZZ_ASSERT(in->reg_size == x.opsize);
}

/* Decoding: errors, length, cuts, agreement with insn_len. */
static int check_decode(const uint8_t *code, size_t avail, unsigned int bits,
			struct mmio_insn *in)
{
	struct mmio_insn again;
	size_t cut;
	int err = mmio_decode(code, avail, bits, in);

	FUZZ_ASSERT(err == 0 || err == -EINVAL || err == -EAGAIN || err == -E2BIG);
	if (err)
		return err;
	check_fields(in, avail, bits);
	check_vs_insn_decode(code, avail, bits, in);
	FUZZ_ASSERT(mmio_decode(code, in->len, bits, &again) == 0);
	FUZZ_ASSERT(again.len == in->len && again.op == in->op && again.size == in->size &&
		    again.reg == in->reg && again.imm == in->imm && again.dir == in->dir);
	for (cut = 0; cut < in->len; cut++)
		FUZZ_ASSERT(mmio_decode(code, cut, bits, &again) == -EAGAIN);
	return 0;
}

static void check_accesses(const struct fake_dev *dev, const struct mmio_insn *in)
{
	unsigned int i, want = in->dir == MMIO_DIR_RMW ? 2 : 1;

	FUZZ_ASSERT(dev->n == want);
	for (i = 0; i < dev->n; i++) {
		FUZZ_ASSERT(dev->acc[i].addr == GPA);
		FUZZ_ASSERT(dev->acc[i].size == in->size);
		FUZZ_ASSERT((dev->acc[i].val & ~mask_of(in->size)) == 0);
	}
	if (in->dir == MMIO_DIR_READ)
		FUZZ_ASSERT(!dev->acc[0].write);
	else if (in->dir == MMIO_DIR_WRITE)
		FUZZ_ASSERT(dev->acc[0].write);
	else
		FUZZ_ASSERT(!dev->acc[0].write && dev->acc[1].write);
}

/* What the register file may and must look like after the instruction. */
static void check_regs(const struct guest_regs *before, const struct guest_regs *after,
		       const struct mmio_insn *in, const struct fake_dev *dev)
{
	uint64_t mem = dev->rdval & mask_of(in->size);
	bool writes_reg = in->op == MMIO_OP_XCHG ||
		(in->dst == MMIO_OPND_REG && in->op != MMIO_OP_CMP && in->op != MMIO_OP_TEST);
	unsigned int i;

	for (i = 0; i < GPR_COUNT; i++)
		if (i != in->reg || !writes_reg)
			FUZZ_ASSERT(before->gpr[i] == after->gpr[i]);
	if (writes_reg && in->reg_size < 4) {
		uint64_t keep = ~(mask_of(in->reg_size) << (in->reg_high ? 8 : 0));

		FUZZ_ASSERT((before->gpr[in->reg] & keep) == (after->gpr[in->reg] & keep));
	} else if (writes_reg && in->reg_size == 4) {
		FUZZ_ASSERT(after->gpr[in->reg] >> 32 == 0);
	}
	if (in->op == MMIO_OP_XCHG) {
		FUZZ_ASSERT(reg_value(after, in, in->size) == mem);
		FUZZ_ASSERT(dev->acc[1].val == reg_value(before, in, in->size));
	} else if (in->op == MMIO_OP_MOV && in->dst == MMIO_OPND_REG) {
		uint64_t v = mem;

		if (in->ext == MMIO_EXT_SIGN && (mem >> (8 * in->size - 1)))
			v |= ~mask_of(in->size);
		FUZZ_ASSERT(reg_value(after, in, in->reg_size) == (v & mask_of(in->reg_size)));
	} else if (in->op == MMIO_OP_MOV && in->src == MMIO_OPND_REG) {
		FUZZ_ASSERT(dev->acc[0].val == reg_value(before, in, in->size));
	} else if (in->op == MMIO_OP_MOV) {
		FUZZ_ASSERT(dev->acc[0].val == (in->imm & mask_of(in->size)));
	}
}

static void check_flags_rip(const struct guest_regs *before, const struct guest_regs *after,
			    const struct mmio_insn *in)
{
	uint64_t rip = before->rip + in->len;
	uint64_t keep = ~(ARITH_FLAGS | RF_FLAG);

	if (in->code_bits != 64)
		rip &= 0xffffffffull;
	FUZZ_ASSERT(after->rip == rip);
	FUZZ_ASSERT(!(after->rflags & RF_FLAG));
	FUZZ_ASSERT((after->rflags & keep) == (before->rflags & keep));
	if (in->op == MMIO_OP_MOV || in->op == MMIO_OP_XCHG)
		FUZZ_ASSERT((after->rflags & ARITH_FLAGS) == (before->rflags & ARITH_FLAGS));
}

static void fuzz_one(const uint8_t *code, size_t avail, unsigned int bits,
		     uint64_t rdval, uint64_t seed)
{
	struct guest_regs regs, before;
	struct fake_dev dev = { .rdval = rdval };
	struct mmio_insn in;
	unsigned int i;

	if (check_decode(code, avail, bits, &in))
		return;
	for (i = 0; i < GPR_COUNT; i++)
		regs.gpr[i] = (seed ^ (0x9e3779b97f4a7c15ull * (i + 1))) * (i | 1);
	regs.rip = seed >> (seed & 31);
	regs.rflags = (seed | 0x2) & 0x3f7fd7ull;
	before = regs;
	FUZZ_ASSERT(mmio_emulate(&regs, &in, GPA, &fake_ops, &dev) == 0);
	check_accesses(&dev, &in);
	check_regs(&before, &regs, &in, &dev);
	check_flags_rip(&before, &regs, &in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int modes[] = { 16, 32, 64 };
	uint64_t rdval = le64(data, size);
	uint64_t seed = size > 8 ? le64(data + 8, size - 8) : 0;
	size_t avail = size > 16 ? size - 16 : 0;
	uint8_t *code = malloc(avail ? avail : 1);
	unsigned int m;

	if (!code)
		return 0;
	if (avail)
		memcpy(code, data + 16, avail);
	for (m = 0; m < 3; m++)
		fuzz_one(code, avail, modes[m], rdval, seed);
	free(code);
	return 0;
}
