/*
 * Hosted test of core/pc/mmio_emul.c: the MMIO instruction decoder and
 * emulator. Single thread, ASan/UBSan.
 *
 * Scenario: a fake device at 0xfee00300 that records every access and
 * answers reads with a value the case sets (wider than the access, so
 * that the emulator must cut it). Instructions are real encodings
 * assembled by GNU as (--64, --32, .code16; bytes from objdump -d).
 *
 * - Decoding: the fields of each vector, its length from a heap buffer of
 *   exactly that size (ASan catches a read past it), -EAGAIN for every
 *   shorter cut, the 15-byte limit, prefix and REX rules, and the
 *   refused forms (register operands, REP, LOCK where it is #UD, string
 *   and SSE/AVX moves, ADC/SBB, other group members).
 * - Emulation: register merging (8/16-bit keep, 32-bit clears 63:32,
 *   AH..BH), MOVZX/MOVSX, XCHG ordering, immediates, RIP advance and
 *   wrap, flags of edge cases worked out by hand, device errors.
 * - Flags against the CPU running the test: random operands through the
 *   real ADD/OR/AND/SUB/XOR/CMP/TEST at each size.
 * - Length against core/insn_len.c for random byte strings in each mode.
 */
#include <stdint.h>
#include "core/lib/errno.h"
#include "core/insn_len.h"
#include "core/pc/mmio_emul.h"
#include "tests/host/check.h"

#define GPA 0xfee00300ull

#define CF (1u << 0)
#define PF (1u << 2)
#define AF (1u << 4)
#define ZF (1u << 6)
#define SF (1u << 7)
#define OF (1u << 11)
#define ARITH (CF | PF | AF | ZF | SF | OF)
#define IF_ (1u << 9)
#define RF (1u << 16)

/* ---- Fake device ------------------------------------------------------- */

struct access {
	bool write;
	uint64_t addr;
	unsigned int size;
	uint64_t val;
};

struct fake_dev {
	uint64_t rdval;		/* returned whole; the emulator must cut it */
	int rderr, wrerr;
	unsigned int n;
	struct access acc[4];
};

static int fake_read(void *dev, uint64_t addr, unsigned int size, uint64_t *val)
{
	struct fake_dev *f = dev;

	if (f->n < 4)
		f->acc[f->n] = (struct access){ false, addr, size, 0 };
	f->n++;
	*val = f->rdval;
	return f->rderr;
}

static int fake_write(void *dev, uint64_t addr, unsigned int size, uint64_t val)
{
	struct fake_dev *f = dev;

	if (f->n < 4)
		f->acc[f->n] = (struct access){ true, addr, size, val };
	f->n++;
	return f->wrerr;
}

static const struct vdev_mmio_ops fake_ops = { .read = fake_read, .write = fake_write };

static struct fake_dev dev;
static struct guest_regs regs;

/* Fresh device and registers: RIP 0x1000, RFLAGS with IF, RF and the fixed bit. */
static void setup(uint64_t rdval)
{
	dev = (struct fake_dev){ .rdval = rdval };
	regs = (struct guest_regs){ .rip = 0x1000, .rflags = 0x2 | IF_ | RF };
}

/* Decodes from an exact-size heap copy (ASan guards its end) and emulates. */
static int emul_bits(unsigned int bits, const uint8_t *b, size_t n, struct mmio_insn *out)
{
	uint8_t *copy = malloc(n);
	struct mmio_insn in;
	int err;

	memcpy(copy, b, n);
	err = mmio_decode(copy, n, bits, &in);
	free(copy);
	if (out)
		*out = in;
	if (err)
		return err;
	CHECK_EQ(in.len, n);
	return mmio_emulate(&regs, &in, GPA, &fake_ops, &dev);
}

#define EMUL(bits, ...) \
	emul_bits((bits), (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), NULL)

#define CHECK_ACC(i, w, sz, v)						\
	do {								\
		CHECK_EQ(dev.acc[i].write, (w));			\
		CHECK_EQ(dev.acc[i].addr, GPA);				\
		CHECK_EQ(dev.acc[i].size, (sz));			\
		if (w)							\
			CHECK_EQ(dev.acc[i].val, (v));			\
	} while (0)

/* The arithmetic flags and that nothing else in RFLAGS moved but RF. */
#define CHECK_FLAGS(f)							\
	do {								\
		CHECK_EQ(regs.rflags & ARITH, (f));			\
		CHECK_EQ(regs.rflags & ~(uint64_t)ARITH, 0x2 | IF_);	\
	} while (0)

/* ---- Decoding: vectors --------------------------------------------------- */

struct vector {
	unsigned int bits;
	unsigned int len;
	uint8_t bytes[X86_INSN_MAX_LEN];
	uint8_t op, dir, size, reg_size, reg;
	bool high;
	uint64_t imm;
	const char *text;
};

#define R MMIO_DIR_READ
#define W MMIO_DIR_WRITE
#define RMW MMIO_DIR_RMW
#define VEC(bits, text, op, dir, size, rsize, reg, high, imm, ...)		\
	{ (bits), sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ },		\
	  MMIO_OP_##op, (dir), (size), (rsize), (reg), (high), (imm), (text) }

static const struct vector vectors[] = {
	VEC(64, "mov %eax,0x300(%rbx)", MOV, W, 4, 4, 0, 0, 0, 0x89, 0x83, 0x00, 0x03, 0x00, 0x00),
	VEC(64, "mov 0x300(%rbx),%eax", MOV, R, 4, 4, 0, 0, 0, 0x8b, 0x83, 0x00, 0x03, 0x00, 0x00),
	VEC(64, "mov %al,(%rdi)", MOV, W, 1, 1, 0, 0, 0, 0x88, 0x07),
	VEC(64, "mov (%rdi),%ah", MOV, R, 1, 1, 0, 1, 0, 0x8a, 0x27),
	VEC(64, "mov (%rdi),%sil", MOV, R, 1, 1, 6, 0, 0, 0x40, 0x8a, 0x37),
	VEC(64, "mov %r9,(%rax)", MOV, W, 8, 8, 9, 0, 0, 0x4c, 0x89, 0x08),
	VEC(64, "mov (%rax),%r15d", MOV, R, 4, 4, 15, 0, 0, 0x44, 0x8b, 0x38),
	VEC(64, "mov %r8w,(%rcx)", MOV, W, 2, 2, 8, 0, 0, 0x66, 0x44, 0x89, 0x01),
	VEC(64, "movb $0x81,(%rax)", MOV, W, 1, 1, 0, 0, 0xffffffffffffff81ull, 0xc6, 0x00, 0x81),
	VEC(64, "movl $0x80000000,0x20(%rax,%rcx,4)", MOV, W, 4, 4, 0, 0, 0xffffffff80000000ull,
	    0xc7, 0x44, 0x88, 0x20, 0x00, 0x00, 0x00, 0x80),
	VEC(64, "movq $-2,(%rax)", MOV, W, 8, 8, 0, 0, 0xfffffffffffffffeull,
	    0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	VEC(64, "movw $0x1234,(%rax)", MOV, W, 2, 2, 0, 0, 0x1234, 0x66, 0xc7, 0x00, 0x34, 0x12),
	VEC(64, "movabs 0xfee00300,%eax", MOV, R, 4, 4, 0, 0, 0,
	    0xa1, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	VEC(64, "movabs %al,0xfee00300", MOV, W, 1, 1, 0, 0, 0,
	    0xa2, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	VEC(64, "movabs 0xfee00300,%rax", MOV, R, 8, 8, 0, 0, 0,
	    0x48, 0xa1, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	VEC(64, "addr32 mov 0xfee00300,%eax", MOV, R, 4, 4, 0, 0, 0,
	    0x67, 0xa1, 0x00, 0x03, 0xe0, 0xfe),
	VEC(64, "movzbl (%rax),%eax", MOV, R, 1, 4, 0, 0, 0, 0x0f, 0xb6, 0x00),
	VEC(64, "movzwq (%rax),%r10", MOV, R, 2, 8, 10, 0, 0, 0x4c, 0x0f, 0xb7, 0x10),
	VEC(64, "movsbw (%rax),%ax", MOV, R, 1, 2, 0, 0, 0, 0x66, 0x0f, 0xbe, 0x00),
	VEC(64, "movswl (%rax),%ecx", MOV, R, 2, 4, 1, 0, 0, 0x0f, 0xbf, 0x08),
	VEC(64, "movsbq (%rax),%rdx", MOV, R, 1, 8, 2, 0, 0, 0x48, 0x0f, 0xbe, 0x10),
	VEC(64, "movnti %eax,(%rcx)", MOV, W, 4, 4, 0, 0, 0, 0x0f, 0xc3, 0x01),
	VEC(64, "movnti %r11,(%rcx)", MOV, W, 8, 8, 11, 0, 0, 0x4c, 0x0f, 0xc3, 0x19),
	VEC(64, "xchg %eax,(%rbx)", XCHG, RMW, 4, 4, 0, 0, 0, 0x87, 0x03),
	VEC(64, "xchg %bh,(%rbx)", XCHG, RMW, 1, 1, 3, 1, 0, 0x86, 0x3b),
	VEC(64, "lock xchg %r12,(%rbx)", XCHG, RMW, 8, 8, 12, 0, 0, 0xf0, 0x4c, 0x87, 0x23),
	VEC(64, "or %eax,(%rdx)", OR, RMW, 4, 4, 0, 0, 0, 0x09, 0x02),
	VEC(64, "or (%rdx),%eax", OR, R, 4, 4, 0, 0, 0, 0x0b, 0x02),
	VEC(64, "orl $0x100,0x310(%rdx)", OR, RMW, 4, 4, 0, 0, 0x100,
	    0x81, 0x8a, 0x10, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00),
	VEC(64, "orl $1,0x310(%rdx)", OR, RMW, 4, 4, 0, 0, 1,
	    0x83, 0x8a, 0x10, 0x03, 0x00, 0x00, 0x01),
	VEC(64, "andb $0xfe,(%rdx)", AND, RMW, 1, 1, 0, 0, 0xfffffffffffffffeull, 0x80, 0x22, 0xfe),
	VEC(64, "andq $-16,(%rdx)", AND, RMW, 8, 8, 0, 0, 0xfffffffffffffff0ull, 0x48, 0x83, 0x22, 0xf0),
	VEC(64, "lock addl $1,(%rdx)", ADD, RMW, 4, 4, 0, 0, 1, 0xf0, 0x83, 0x02, 0x01),
	VEC(64, "sub (%rdx),%ecx", SUB, R, 4, 4, 1, 0, 0, 0x2b, 0x0a),
	VEC(64, "cmpl $0,(%rdx)", CMP, R, 4, 4, 0, 0, 0, 0x83, 0x3a, 0x00),
	VEC(64, "cmp %eax,(%rdx)", CMP, R, 4, 4, 0, 0, 0, 0x39, 0x02),
	VEC(64, "cmp (%rdx),%al", CMP, R, 1, 1, 0, 0, 0, 0x3a, 0x02),
	VEC(64, "testl $0x1000,0x300(%rip)", TEST, R, 4, 4, 0, 0, 0x1000,
	    0xf7, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00),
	VEC(64, "testb $0x80,(%rax)", TEST, R, 1, 1, 0, 0, 0xffffffffffffff80ull, 0xf6, 0x00, 0x80),
	VEC(64, "test %ecx,(%rax)", TEST, R, 4, 4, 1, 0, 0, 0x85, 0x08),
	VEC(64, "xor %r8b,(%rax)", XOR, RMW, 1, 1, 8, 0, 0, 0x44, 0x30, 0x00),
	VEC(64, "mov %eax,%fs:0x10(%rax)", MOV, W, 4, 4, 0, 0, 0, 0x64, 0x89, 0x40, 0x10),
	VEC(64, "mov %eax,0x12345678(,%rax,8)", MOV, W, 4, 4, 0, 0, 0,
	    0x89, 0x04, 0xc5, 0x78, 0x56, 0x34, 0x12),
	VEC(64, "mov 0x12345678(%rsp),%eax", MOV, R, 4, 4, 0, 0, 0,
	    0x8b, 0x84, 0x24, 0x78, 0x56, 0x34, 0x12),
	VEC(64, "mov 0x12(%rbp),%eax", MOV, R, 4, 4, 0, 0, 0, 0x8b, 0x45, 0x12),
	VEC(64, "mov 0x0(%r13),%eax", MOV, R, 4, 4, 0, 0, 0, 0x41, 0x8b, 0x45, 0x00),
	VEC(64, "mov (%r12),%eax", MOV, R, 4, 4, 0, 0, 0, 0x41, 0x8b, 0x04, 0x24),
	VEC(64, "rex.W before 66 is void: mov %ax,(%rbx)", MOV, W, 2, 2, 0, 0, 0, 0x48, 0x66, 0x89, 0x03),
	VEC(64, "mov %spl,(%rdi) (REX 40)", MOV, W, 1, 1, 4, 0, 0, 0x40, 0x88, 0x27),
	VEC(64, "mov %r8d,(%rbx) (REX.R)", MOV, W, 4, 4, 8, 0, 0, 0x44, 0x89, 0x03),
	VEC(64, "mov %eax,(%r11) (REX.B: memory only)", MOV, W, 4, 4, 0, 0, 0, 0x41, 0x89, 0x03),
	/* 32-bit mode */
	VEC(32, "mov 0x300(%ebx),%eax", MOV, R, 4, 4, 0, 0, 0, 0x8b, 0x83, 0x00, 0x03, 0x00, 0x00),
	VEC(32, "mov %eax,0xfee000b0", MOV, W, 4, 4, 0, 0, 0, 0xa3, 0xb0, 0x00, 0xe0, 0xfe),
	VEC(32, "movl $0,0xfee000b0", MOV, W, 4, 4, 0, 0, 0,
	    0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00),
	VEC(32, "addr16 mov 0x300,%eax", MOV, R, 4, 4, 0, 0, 0, 0x67, 0xa1, 0x00, 0x03),
	VEC(32, "mov (%esi),%dh", MOV, R, 1, 1, 2, 1, 0, 0x8a, 0x36),
	VEC(32, "mov %ax,(%esi)", MOV, W, 2, 2, 0, 0, 0, 0x66, 0x89, 0x06),
	VEC(32, "movzbl (%esi),%ecx", MOV, R, 1, 4, 1, 0, 0, 0x0f, 0xb6, 0x0e),
	VEC(32, "lock orl $0x10,0x4(%esp)", OR, RMW, 4, 4, 0, 0, 0x10, 0xf0, 0x83, 0x4c, 0x24, 0x04, 0x10),
	VEC(32, "mov 0x11223344(%ebp,%esi,2),%edi", MOV, R, 4, 4, 7, 0, 0,
	    0x8b, 0xbc, 0x75, 0x44, 0x33, 0x22, 0x11),
	VEC(32, "mov 0x0(%ebp),%eax", MOV, R, 4, 4, 0, 0, 0, 0x8b, 0x45, 0x00),
	/* 16-bit mode */
	VEC(16, "mov 0x10(%bx),%ax", MOV, R, 2, 2, 0, 0, 0, 0x8b, 0x47, 0x10),
	VEC(16, "mov 0x300(%bx),%eax", MOV, R, 4, 4, 0, 0, 0, 0x66, 0x8b, 0x87, 0x00, 0x03),
	VEC(16, "addr32 mov 0x300(%ebx),%ax", MOV, R, 2, 2, 0, 0, 0,
	    0x67, 0x8b, 0x83, 0x00, 0x03, 0x00, 0x00),
	VEC(16, "mov 0x300,%ax", MOV, R, 2, 2, 0, 0, 0, 0xa1, 0x00, 0x03),
	VEC(16, "movl $0x12345678,0x300", MOV, W, 4, 4, 0, 0, 0x12345678,
	    0x66, 0xc7, 0x06, 0x00, 0x03, 0x78, 0x56, 0x34, 0x12),
	VEC(16, "mov 0x0(%bp),%al", MOV, R, 1, 1, 0, 0, 0, 0x8a, 0x46, 0x00),
	VEC(16, "mov (%bx,%si),%cl", MOV, R, 1, 1, 1, 0, 0, 0x8a, 0x08),
	VEC(16, "movzbw (%bx),%ax", MOV, R, 1, 2, 0, 0, 0, 0x0f, 0xb6, 0x07),
	VEC(16, "orw $0x8000,(%di)", OR, RMW, 2, 2, 0, 0, 0xffffffffffff8000ull, 0x81, 0x0d, 0x00, 0x80),
};

static void test_decode_vectors(void)
{
	size_t i, cut;

	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		const struct vector *v = &vectors[i];
		uint8_t *copy = malloc(v->len);
		struct mmio_insn in;
		int err;

		memcpy(copy, v->bytes, v->len);
		err = mmio_decode(copy, v->len, v->bits, &in);
		if (err) {
			fprintf(stderr, "  %u: %s: %d\n", v->bits, v->text, err);
			check_case_failed = 1;
			free(copy);
			continue;
		}
		CHECK_EQ(in.len, v->len);
		CHECK_EQ(in.op, v->op);
		CHECK_EQ(in.dir, v->dir);
		CHECK_EQ(in.size, v->size);
		CHECK_EQ(in.reg_size, v->reg_size);
		if (in.src == MMIO_OPND_IMM)
			CHECK_EQ(in.imm, v->imm);
		else
			CHECK_EQ(in.reg, v->reg);
		CHECK_EQ(in.reg_high, v->high);
		if (check_case_failed)
			fprintf(stderr, "  (in %u-bit \"%s\")\n", v->bits, v->text);
		/* Every cut short asks for more. */
		for (cut = 0; cut < v->len; cut++)
			CHECK_EQ(mmio_decode(copy, cut, v->bits, &in), -EAGAIN);
		free(copy);
		/* Trailing bytes change nothing. */
		{
			uint8_t big[X86_INSN_MAX_LEN];

			memset(big, 0x90, sizeof(big));
			memcpy(big, v->bytes, v->len);
			CHECK_EQ(mmio_decode(big, sizeof(big), v->bits, &in), 0);
			CHECK_EQ(in.len, v->len);
		}
	}
}

/* Operand kinds and extension of a few forms. */
static void test_decode_operands(void)
{
	struct mmio_insn in;

	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x0b, 0x02 }, 2, 64, &in), 0);
	CHECK_EQ(in.dst, MMIO_OPND_REG);
	CHECK_EQ(in.src, MMIO_OPND_MEM);
	CHECK_EQ(in.ext, MMIO_EXT_NONE);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x09, 0x02 }, 2, 64, &in), 0);
	CHECK_EQ(in.dst, MMIO_OPND_MEM);
	CHECK_EQ(in.src, MMIO_OPND_REG);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x83, 0x02, 0x01 }, 3, 64, &in), 0);
	CHECK_EQ(in.dst, MMIO_OPND_MEM);
	CHECK_EQ(in.src, MMIO_OPND_IMM);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x0f, 0xbe, 0x00 }, 3, 64, &in), 0);
	CHECK_EQ(in.ext, MMIO_EXT_SIGN);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x0f, 0xb7, 0x00 }, 3, 64, &in), 0);
	CHECK_EQ(in.ext, MMIO_EXT_ZERO);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0xf0, 0x87, 0x03 }, 3, 64, &in), 0);
	CHECK(in.lock);
	/* 66 on a byte form changes nothing; REX.W wins over 66. */
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x66, 0x88, 0x03 }, 3, 64, &in), 0);
	CHECK_EQ(in.size, 1);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x66, 0x48, 0x89, 0x03 }, 4, 64, &in), 0);
	CHECK_EQ(in.size, 8);
	/* Without REX, byte register 7 is BH; REX.W alone already makes it DIL. */
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x88, 0x3b }, 2, 32, &in), 0);
	CHECK(in.reg_high);
	CHECK_EQ(in.reg, GPR_RBX);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x48, 0x88, 0x3b }, 3, 64, &in), 0);
	CHECK(!in.reg_high);
	CHECK_EQ(in.reg, GPR_RDI);
	/* MOVNTI in 16-bit code still stores 32 bits. */
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x0f, 0xc3, 0x07 }, 3, 16, &in), 0);
	CHECK_EQ(in.size, 4);
}

#define DECODE_ERR(bits, ...)							\
	mmio_decode((const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), \
		    (bits), &in)

static void test_decode_refused(void)
{
	struct mmio_insn in;

	/* Register operands: no memory access. */
	CHECK_EQ(DECODE_ERR(64, 0x89, 0xc0), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x8b, 0xd8), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x0f, 0xb6, 0xc0), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x83, 0xc0, 0x01), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xc7, 0xc0, 1, 0, 0, 0), -EINVAL);
	CHECK_EQ(DECODE_ERR(16, 0x87, 0xc3), -EINVAL);
	/* REP / REPNE. */
	CHECK_EQ(DECODE_ERR(64, 0xf3, 0x89, 0x03), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf2, 0x89, 0x03), -EINVAL);
	CHECK_EQ(DECODE_ERR(32, 0xf3, 0x0f, 0xb6, 0x00), -EINVAL);
	/* LOCK where the CPU raises #UD: MOV, CMP, TEST, register destinations. */
	CHECK_EQ(DECODE_ERR(64, 0xf0, 0x89, 0x03), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf0, 0x39, 0x03), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf0, 0x83, 0x3a, 0x00), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf0, 0x85, 0x03), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf0, 0x0b, 0x02), -EINVAL);
	/* Strings, SSE/AVX moves, stack, ADC/SBB, other group members. */
	CHECK_EQ(DECODE_ERR(64, 0xa4), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xf3, 0xab), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x0f, 0x01, 0xd9), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x0f, 0x10, 0x00), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x66, 0x0f, 0x6f, 0x00), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xc5, 0xf8, 0x10, 0x00), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xff, 0x30), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x8f, 0x00), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0x80, 0x10, 0x01), -EINVAL);	/* adc */
	CHECK_EQ(DECODE_ERR(64, 0x83, 0x18, 0x01), -EINVAL);	/* sbb */
	CHECK_EQ(DECODE_ERR(64, 0x82, 0x00, 0x01), -EINVAL);
	CHECK_EQ(DECODE_ERR(64, 0xc6, 0x08, 0x01), -EINVAL);	/* C6 /1 */
	CHECK_EQ(DECODE_ERR(64, 0xf6, 0x08, 0x01), -EINVAL);	/* F6 /1 */
	CHECK_EQ(DECODE_ERR(64, 0xf7, 0x10), -EINVAL);		/* not */
	CHECK_EQ(DECODE_ERR(64, 0x0f, 0xa3, 0x03), -EINVAL);	/* bt */
	CHECK_EQ(DECODE_ERR(64, 0x66, 0x0f, 0xc3, 0x01), -EINVAL);	/* 66 movnti */
	CHECK_EQ(DECODE_ERR(64, 0x63, 0x03), -EINVAL);		/* movsxd */
	/* 40 is INC outside 64-bit mode, not REX. */
	CHECK_EQ(DECODE_ERR(32, 0x40, 0x89, 0x03), -EINVAL);
	/* No such mode. */
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x89, 0x03 }, 2, 8, &in), -EINVAL);
	CHECK_EQ(mmio_decode(NULL, 0, 64, &in), -EAGAIN);
}

static void test_decode_limit(void)
{
	uint8_t b[20];
	struct mmio_insn in;

	/* 13 segment prefixes + 89 03 = 15 bytes: fine. */
	memset(b, 0x3e, sizeof(b));
	b[13] = 0x89;
	b[14] = 0x03;
	CHECK_EQ(mmio_decode(b, 15, 64, &in), 0);
	CHECK_EQ(in.len, 15);
	/* One more prefix: 16 bytes. */
	memset(b, 0x3e, sizeof(b));
	b[14] = 0x89;
	b[15] = 0x03;
	CHECK_EQ(mmio_decode(b, sizeof(b), 64, &in), -E2BIG);
	/* Prefixes alone past 15. */
	memset(b, 0x66, sizeof(b));
	CHECK_EQ(mmio_decode(b, sizeof(b), 32, &in), -E2BIG);
	CHECK_EQ(mmio_decode(b, 10, 32, &in), -EAGAIN);
	/* 8 prefixes + c7 80 disp32 imm32 = 18: the displacement fits, the immediate not. */
	memset(b, 0x2e, sizeof(b));
	memcpy(b + 8, (const uint8_t[]){ 0xc7, 0x80, 1, 2, 3, 4, 5, 6, 7, 8 }, 10);
	CHECK_EQ(mmio_decode(b, sizeof(b), 64, &in), -E2BIG);
	CHECK_EQ(mmio_decode(b, 13, 64, &in), -EAGAIN);
	/* 5 prefixes: 15 exactly. */
	CHECK_EQ(mmio_decode(b + 3, 15, 64, &in), 0);
	CHECK_EQ(in.len, 15);
}

/* ---- Emulation: table of cases ------------------------------------------ */

/*
 * One instruction on a fresh vCPU: every GPR 0 but gpr[reg] = val, RFLAGS
 * with all arithmetic flags set (so MOV/XCHG must keep them and the ALU
 * forms must clear what they clear), the device answering rd. Expected:
 * the accesses (read, write, both) of size bytes, the value written,
 * gpr[reg] afterwards, the arithmetic flags. Values worked out by hand.
 */
struct ecase {
	unsigned int bits;
	unsigned int len;
	uint8_t bytes[X86_INSN_MAX_LEN];
	const char *text;
	uint8_t reg;
	uint64_t val, rd;
	unsigned int acc;	/* A_R | A_W */
	unsigned int size;
	uint64_t wval, want;
	unsigned int flags;
};

#define A_R 1
#define A_W 2
#define E(bits, text, reg, val, rd, acc, size, wval, want, flags, ...)		\
	{ (bits), sizeof((uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ }, (text),	\
	  (reg), (val), (rd), (acc), (size), (wval), (want), (flags) }
#define RAX GPR_RAX
#define RCX GPR_RCX
#define RDX GPR_RDX
#define RBX GPR_RBX

static const struct ecase ecases[] = {
	/* Stores: the register's low bytes, BH, moffs, immediates. */
	E(64, "mov %eax,0x300(%rbx)", RAX, 0x1122334455667788ull, 0, A_W, 4, 0x55667788,
	  0x1122334455667788ull, ARITH, 0x89, 0x83, 0x00, 0x03, 0x00, 0x00),
	E(64, "mov %r9,(%rax)", GPR_R9, 0x8877665544332211ull, 0, A_W, 8, 0x8877665544332211ull,
	  0x8877665544332211ull, ARITH, 0x4c, 0x89, 0x08),
	E(32, "mov %bh,(%ebx)", RBX, 0xabcd, 0, A_W, 1, 0xab, 0xabcd, ARITH, 0x88, 0x3b),
	E(64, "movabs %al,0xfee00300", RAX, 0x1234, 0, A_W, 1, 0x34, 0x1234, ARITH,
	  0xa2, 0x00, 0x03, 0xe0, 0xfe, 0, 0, 0, 0),
	E(64, "movb $0x81,(%rax)", RAX, 0, 0, A_W, 1, 0x81, 0, ARITH, 0xc6, 0x00, 0x81),
	E(64, "movl $0x80000000,0x20(%rax,%rcx,4)", RAX, 0, 0, A_W, 4, 0x80000000, 0, ARITH,
	  0xc7, 0x44, 0x88, 0x20, 0x00, 0x00, 0x00, 0x80),
	E(64, "movq $-2,(%rax)", RAX, 0, 0, A_W, 8, 0xfffffffffffffffeull, 0, ARITH,
	  0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	E(64, "movw $0x1234,(%rax)", RAX, 0, 0, A_W, 2, 0x1234, 0, ARITH, 0x66, 0xc7, 0x00, 0x34, 0x12),
	E(16, "movl $0x12345678,0x300", RAX, 0, 0, A_W, 4, 0x12345678, 0, ARITH,
	  0x66, 0xc7, 0x06, 0x00, 0x03, 0x78, 0x56, 0x34, 0x12),
	E(64, "movnti %r11,(%rcx)", GPR_R11, 0xfedcba9876543210ull, 0, A_W, 8, 0xfedcba9876543210ull,
	  0xfedcba9876543210ull, ARITH, 0x4c, 0x0f, 0xc3, 0x19),
	E(64, "movnti %eax,(%rcx)", RAX, 0xfedcba9876543210ull, 0, A_W, 4, 0x76543210,
	  0xfedcba9876543210ull, ARITH, 0x0f, 0xc3, 0x01),
	/* Loads: 32-bit clears 63:32 (both modes), 8/16-bit merge, AH/DH/SIL. */
	E(64, "mov 0x300(%rbx),%eax", RAX, ~0ull, 0x12345678deadbeefull, A_R, 4, 0, 0xdeadbeefull,
	  ARITH, 0x8b, 0x83, 0x00, 0x03, 0x00, 0x00),
	E(32, "mov 0x300(%ebx),%eax", RAX, ~0ull, 0x12345678deadbeefull, A_R, 4, 0, 0xdeadbeefull,
	  ARITH, 0x8b, 0x83, 0x00, 0x03, 0x00, 0x00),
	E(64, "mov (%rdi),%ah", RAX, 0x1111111111111111ull, 0xffffffffffffffabull, A_R, 1, 0,
	  0x111111111111ab11ull, ARITH, 0x8a, 0x27),
	E(32, "mov (%esi),%dh", RDX, 0xffffffffull, 0x5a, A_R, 1, 0, 0xffff5affull, ARITH, 0x8a, 0x36),
	E(64, "mov (%rdi),%sil", GPR_RSI, 0x2222222222222222ull, 0xcc, A_R, 1, 0,
	  0x22222222222222ccull, ARITH, 0x40, 0x8a, 0x37),
	E(16, "mov 0x10(%bx),%ax", RAX, ~0ull, 0xffff1234, A_R, 2, 0, 0xffffffffffff1234ull, ARITH,
	  0x8b, 0x47, 0x10),
	E(64, "movabs 0xfee00300,%rax", RAX, 0, 0x0102030405060708ull, A_R, 8, 0,
	  0x0102030405060708ull, ARITH, 0x48, 0xa1, 0x00, 0x03, 0xe0, 0xfe, 0, 0, 0, 0),
	E(64, "mov (%rax),%r15d", GPR_R15, ~0ull, 0x0102030405060708ull, A_R, 4, 0, 0x05060708,
	  ARITH, 0x44, 0x8b, 0x38),
	/* MOVZX / MOVSX. */
	E(64, "movzbl (%rax),%eax", RAX, ~0ull, 0x1ff, A_R, 1, 0, 0xff, ARITH, 0x0f, 0xb6, 0x00),
	E(64, "movzwq (%rax),%r10", GPR_R10, 0x5555, 0x8000ffff, A_R, 2, 0, 0xffff, ARITH,
	  0x4c, 0x0f, 0xb7, 0x10),
	E(64, "movsbw (%rax),%ax", RAX, 0x123456789abcdef0ull, 0x80, A_R, 1, 0, 0x123456789abcff80ull,
	  ARITH, 0x66, 0x0f, 0xbe, 0x00),
	E(64, "movswl (%rax),%ecx", RCX, ~0ull, 0x8000, A_R, 2, 0, 0xffff8000ull, ARITH,
	  0x0f, 0xbf, 0x08),
	E(64, "movsbq (%rax),%rdx", RDX, 0, 0x7f80, A_R, 1, 0, 0xffffffffffffff80ull, ARITH,
	  0x48, 0x0f, 0xbe, 0x10),
	E(64, "movsbq (%rax),%rdx", RDX, ~0ull, 0x7f, A_R, 1, 0, 0x7f, ARITH, 0x48, 0x0f, 0xbe, 0x10),
	E(16, "movzbw (%bx),%ax", RAX, 0xffff0000, 0x80, A_R, 1, 0, 0xffff0080, ARITH, 0x0f, 0xb6, 0x07),
	/* XCHG: read, then the register's value written; the register gets the old value. */
	E(64, "xchg %eax,(%rbx)", RAX, 0x100000001ull, 0x99aabbccddull, A_R | A_W, 4, 1, 0xaabbccddull,
	  ARITH, 0x87, 0x03),
	E(64, "xchg %bh,(%rbx)", RBX, 0x77771234, 0x56, A_R | A_W, 1, 0x12, 0x77775634, ARITH,
	  0x86, 0x3b),
	E(64, "lock xchg %r12,(%rbx)", GPR_R12, 0x5555666677778888ull, 0x1111222233334444ull,
	  A_R | A_W, 8, 0x5555666677778888ull, 0x1111222233334444ull, ARITH, 0xf0, 0x4c, 0x87, 0x23),
	/* Logical: CF, OF, AF cleared; ZF, SF, PF (even ones in the low byte) from the result. */
	E(64, "or %eax,(%rdx)", RAX, 0x100, 0xf0, A_R | A_W, 4, 0x1f0, 0x100, PF, 0x09, 0x02),
	E(64, "or (%rdx),%eax", RAX, 0xffffffff00000001ull, 0x80000000, A_R, 4, 0, 0x80000001ull, SF,
	  0x0b, 0x02),
	E(64, "andb $0xfe,(%rdx)", RAX, 0, 0x01, A_R | A_W, 1, 0, 0, ZF | PF, 0x80, 0x22, 0xfe),
	E(64, "andq $-16,(%rdx)", RAX, 0, ~0ull, A_R | A_W, 8, 0xfffffffffffffff0ull, 0, SF | PF,
	  0x48, 0x83, 0x22, 0xf0),
	E(64, "xor %r8b,(%rax)", GPR_R8, 0xff, 0x1ff, A_R | A_W, 1, 0, 0xff, ZF | PF, 0x44, 0x30, 0x00),
	E(64, "testl $0x1000,0x300(%rip)", RAX, 0, 0x1000, A_R, 4, 0, 0, PF,
	  0xf7, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00),
	E(64, "testb $0x80,(%rax)", RAX, 0, 0x80, A_R, 1, 0, 0, SF, 0xf6, 0x00, 0x80),
	E(64, "test %ecx,(%rax)", RCX, 0xf0, 0x0f, A_R, 4, 0, 0xf0, ZF | PF, 0x85, 0x08),
	E(16, "orw $0x8000,(%di)", RAX, 0, 0x0001, A_R | A_W, 2, 0x8001, 0, SF, 0x81, 0x0d, 0x00, 0x80),
	/* ADD / SUB / CMP: carries, borrows, overflow into and out of the sign. */
	E(64, "lock addl $1,(%rdx)", RAX, 0, 0x7fffffff, A_R | A_W, 4, 0x80000000, 0,
	  OF | SF | AF | PF, 0xf0, 0x83, 0x02, 0x01),
	E(64, "lock addl $1,(%rdx)", RAX, 0, 0xffffffff, A_R | A_W, 4, 0, 0, CF | ZF | AF | PF,
	  0xf0, 0x83, 0x02, 0x01),
	E(64, "add %al,(%rax)", RAX, 0x101, 0x7f, A_R | A_W, 1, 0x80, 0x101, OF | SF | AF, 0x00, 0x00),
	E(64, "add %rax,(%rax)", RAX, 1, ~0ull, A_R | A_W, 8, 0, 1, CF | ZF | AF | PF, 0x48, 0x01, 0x00),
	E(64, "sub (%rdx),%ecx", RCX, 0xffffffff00000005ull, 7, A_R, 4, 0, 0xfffffffeull, CF | SF | AF,
	  0x2b, 0x0a),
	E(16, "subw $1,(%bx)", RAX, 0, 0x8000, A_R | A_W, 2, 0x7fff, 0, OF | AF | PF, 0x83, 0x2f, 0x01),
	E(64, "cmpl $0,(%rdx)", RAX, 0, 0, A_R, 4, 0, 0, ZF | PF, 0x83, 0x3a, 0x00),
	E(64, "cmp (%rdx),%al", RAX, 0xabcd00, 0x01, A_R, 1, 0, 0xabcd00, CF | SF | AF | PF, 0x3a, 0x02),
	E(64, "cmp %eax,(%rdx)", RAX, 1, 0x80000000, A_R, 4, 0, 1, OF | AF | PF, 0x39, 0x02),
};

static void test_emulate_cases(void)
{
	size_t i;
	unsigned int g;

	for (i = 0; i < ARRAY_SIZE(ecases); i++) {
		const struct ecase *c = &ecases[i];
		unsigned int n = 0, failed = check_case_failed;

		setup(c->rd);
		regs.gpr[c->reg] = c->val;
		regs.rflags |= ARITH;
		check_case_failed = 0;
		CHECK_EQ(emul_bits(c->bits, c->bytes, c->len, NULL), 0);
		CHECK_EQ(dev.n, (c->acc & A_R ? 1 : 0) + (c->acc & A_W ? 1 : 0));
		if (c->acc & A_R)
			CHECK_ACC(0, false, c->size, 0);
		n = (c->acc & A_R) ? 1 : 0;
		if (c->acc & A_W)
			CHECK_ACC(n, true, c->size, c->wval);
		CHECK_EQ(regs.gpr[c->reg], c->want);
		for (g = 0; g < GPR_COUNT; g++)
			if (g != c->reg)
				CHECK_EQ(regs.gpr[g], 0);
		CHECK_FLAGS(c->flags);
		CHECK_EQ(regs.rip, 0x1000 + c->len);
		if (check_case_failed)
			fprintf(stderr, "  (in %u-bit \"%s\")\n", c->bits, c->text);
		check_case_failed |= failed;
	}
}

/* ---- Flags against the CPU ---------------------------------------------------- */

/*
 * The flags the host CPU leaves after "op b, a" at each size. The stack
 * pointer steps over the red zone before PUSHF (LEA leaves the flags).
 */
#define READ_FLAGS "\n\tlea -128(%%rsp),%%rsp\n\tpushfq\n\tpopq %1\n\tlea 128(%%rsp),%%rsp"
#define NATIVE(name, insn)							\
static uint64_t native_##name(unsigned int size, uint64_t a, uint64_t b, uint64_t *fl) \
{									\
	switch (size) {							\
	case 1: { uint8_t x = a, y = b;					\
		__asm__(insn "b %2,%0" READ_FLAGS : "+r"(x), "=r"(*fl) : "r"(y) : "cc"); \
		return x; }						\
	case 2: { uint16_t x = a, y = b;				\
		__asm__(insn "w %2,%0" READ_FLAGS : "+r"(x), "=r"(*fl) : "r"(y) : "cc"); \
		return x; }						\
	case 4: { uint32_t x = a, y = b;				\
		__asm__(insn "l %2,%0" READ_FLAGS : "+r"(x), "=r"(*fl) : "r"(y) : "cc"); \
		return x; }						\
	default: { uint64_t x = a, y = b;				\
		__asm__(insn "q %2,%0" READ_FLAGS : "+r"(x), "=r"(*fl) : "r"(y) : "cc"); \
		return x; }						\
	}								\
}
NATIVE(add, "add")
NATIVE(or, "or")
NATIVE(and, "and")
NATIVE(sub, "sub")
NATIVE(xor, "xor")
NATIVE(cmp, "cmp")
NATIVE(test, "test")

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random operands biased to the edges: 0, 1, all ones, sign bits, nibble carries. */
static uint64_t rng_operand(void)
{
	static const uint64_t edges[] = {
		0, 1, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
		0x8000000000000000ull, ~0ull,
	};
	uint64_t r = rng();

	return (r & 3) ? rng() : edges[(r >> 2) % ARRAY_SIZE(edges)];
}

static void test_flags_vs_cpu(void)
{
	/* ALU Ev,Gv opcodes (01/09/21/29/31/39/85) and the native twins. */
	static const struct {
		uint8_t opcode;
		uint64_t (*native)(unsigned int, uint64_t, uint64_t, uint64_t *);
	} ops[] = {
		{ 0x01, native_add }, { 0x09, native_or }, { 0x21, native_and },
		{ 0x29, native_sub }, { 0x31, native_xor }, { 0x39, native_cmp },
		{ 0x85, native_test },
	};
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	unsigned int i, s, k, bad = 0;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			unsigned int size = sizes[s];
			/* mov-free form: [66|48] op (size 1: op - 1) with ModRM 0x03 (%rbx), reg RAX */
			uint8_t b[3];
			size_t n = 0;

			if (size == 2)
				b[n++] = 0x66;
			if (size == 8)
				b[n++] = 0x48;
			b[n++] = size == 1 ? ops[i].opcode - 1 : ops[i].opcode;
			b[n++] = 0x03;
			for (k = 0; k < 20000; k++) {
				uint64_t a = rng_operand(), c = rng_operand(), fl, res;
				uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;

				res = ops[i].native(size, a, c, &fl) & mask;
				setup(a);
				regs.gpr[GPR_RAX] = c;
				regs.rflags |= ARITH;
				CHECK_EQ(emul_bits(64, b, n, NULL), 0);
				if ((regs.rflags & ARITH) != (fl & ARITH) ||
				    (dev.n == 2 && dev.acc[1].val != res)) {
					if (bad++ < 5)
						fprintf(stderr, "  op %02x size %u: %#llx, %#llx: "
							"flags %#llx want %#llx\n", b[n - 2], size,
							(unsigned long long)a, (unsigned long long)c,
							(unsigned long long)(regs.rflags & ARITH),
							(unsigned long long)(fl & ARITH));
				}
			}
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---- RIP, errors, formatting ---------------------------------------------------- */

static void test_rip(void)
{
	/* Outside 64-bit mode RIP wraps at 32 bits, in 64-bit mode not. */
	setup(0);
	regs.rip = 0xfffffffe;
	CHECK_EQ(EMUL(32, 0x89, 0x83, 0x00, 0x03, 0x00, 0x00), 0);
	CHECK_EQ(regs.rip, 4);
	setup(0);
	regs.rip = 0xfffffffe;
	CHECK_EQ(EMUL(64, 0x89, 0x83, 0x00, 0x03, 0x00, 0x00), 0);
	CHECK_EQ(regs.rip, 0x100000004ull);
	setup(0);
	regs.rip = 0xfffe;
	CHECK_EQ(EMUL(16, 0x8b, 0x47, 0x10), 0);
	CHECK_EQ(regs.rip, 0x10001);
}

static int fail_read(void *d, uint64_t addr, unsigned int size, uint64_t *val)
{
	fake_read(d, addr, size, val);
	return -EIO;
}

static void test_device_errors(void)
{
	const struct vdev_mmio_ops ro = { .read = fake_read };
	const struct vdev_mmio_ops bad = { .read = fail_read, .write = fake_write };
	struct guest_regs before;
	struct mmio_insn in;

	/* Write refused in an RMW: the read happened, registers unchanged. */
	setup(5);
	dev.wrerr = -EINVAL;
	regs.gpr[GPR_RAX] = 1;
	before = regs;
	CHECK_EQ(EMUL(64, 0x01, 0x02), -EINVAL);
	CHECK_EQ(dev.n, 2);
	CHECK(memcmp(&regs, &before, sizeof(regs)) == 0);
	/* A failing read: no write, registers unchanged. */
	setup(5);
	before = regs;
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x87, 0x03 }, 2, 64, &in), 0);
	CHECK_EQ(mmio_emulate(&regs, &in, GPA, &bad, &dev), -EIO);
	CHECK_EQ(dev.n, 1);
	CHECK(memcmp(&regs, &before, sizeof(regs)) == 0);
	/* No write handler. */
	setup(5);
	CHECK_EQ(mmio_decode((const uint8_t[]){ 0x89, 0x03 }, 2, 64, &in), 0);
	CHECK_EQ(mmio_emulate(&regs, &in, GPA, &ro, &dev), -ENOSYS);
	CHECK_EQ(regs.rip, 0x1000);
}

static void test_format_bytes(void)
{
	const uint8_t b[] = { 0x0f, 0x01, 0xd9 };
	char buf[32];

	CHECK_EQ(mmio_format_bytes(buf, sizeof(buf), b, 3), 8);
	CHECK_STR(buf, "0f 01 d9");
	CHECK_EQ(mmio_format_bytes(buf, 6, b, 3), 5);
	CHECK_STR(buf, "0f 01");
	CHECK_EQ(mmio_format_bytes(buf, 5, b, 3), 2);
	CHECK_STR(buf, "0f");
	CHECK_EQ(mmio_format_bytes(buf, 2, b, 3), 0);
	CHECK_STR(buf, "");
	CHECK_EQ(mmio_format_bytes(buf, sizeof(buf), b, 0), 0);
	CHECK_STR(buf, "");
	buf[0] = 'x';
	CHECK_EQ(mmio_format_bytes(buf, 0, b, 3), 0);
	CHECK_EQ(buf[0], 'x');
	CHECK_STR(mmio_op_name(MMIO_OP_OR), "or");
	CHECK_STR(mmio_op_name(99), "?");
}

/* ---- Against core/insn_len.c ---------------------------------------------------- */

/* Random bytes; half of them shaped as prefixes + an emulated opcode + tail. */
static void fill_random(uint8_t *b, size_t n)
{
	static const uint8_t prefixes[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36,
		0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f,
	};
	static const uint8_t opcodes[] = {
		0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x20, 0x21, 0x22, 0x23,
		0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b,
		0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
		0xa0, 0xa1, 0xa2, 0xa3, 0xc6, 0xc7, 0xf6, 0xf7, 0x0f,
	};
	size_t i, pos = 0;
	uint64_t r = rng();

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
	if (r & 1)
		return;
	for (i = (r >> 1) % 4; i > 0 && pos < n; i--)
		b[pos++] = prefixes[rng() % ARRAY_SIZE(prefixes)];
	if (pos < n)
		b[pos++] = opcodes[rng() % ARRAY_SIZE(opcodes)];
	if (pos < n && b[pos - 1] == 0x0f)
		b[pos++] = (const uint8_t[]){ 0xb6, 0xb7, 0xbe, 0xbf, 0xc3 }[rng() % 5];
	if (pos < n && (r & 2))
		b[pos] &= 0x3f;		/* mod 0: a memory ModRM */
}

static void test_len_vs_insn_len(void)
{
	static const unsigned int modes[] = { 16, 32, 64 };
	unsigned int k, accepted[3] = { 0 }, bad = 0;

	for (k = 0; k < 200000; k++) {
		unsigned int m = k % 3;
		size_t avail = 1 + rng() % X86_INSN_MAX_LEN;
		uint8_t *b = malloc(avail);
		struct mmio_insn in;
		int err, len;

		fill_random(b, avail);
		err = mmio_decode(b, avail, modes[m], &in);
		if (!err) {
			accepted[m]++;
			len = insn_len(b, avail, (enum insn_mode)modes[m]);
			if (len != in.len || in.len == 0 || in.len > avail) {
				char text[64];

				mmio_format_bytes(text, sizeof(text), b, avail);
				if (bad++ < 5)
					fprintf(stderr, "  %u-bit %s: %u, insn_len %d\n",
						modes[m], text, in.len, len);
			}
			/* Same answer from exactly the bytes it needs. */
			if (mmio_decode(b, in.len, modes[m], &in) != 0)
				bad++;
		} else if (err != -EINVAL && err != -EAGAIN && err != -E2BIG) {
			bad++;
		}
		free(b);
	}
	CHECK_EQ(bad, 0);
	/* The generator reaches the emulated forms in every mode. */
	CHECK(accepted[0] > 10000 && accepted[1] > 10000 && accepted[2] > 10000);
}

int main(void)
{
	RUN(test_decode_vectors);
	RUN(test_decode_operands);
	RUN(test_decode_refused);
	RUN(test_decode_limit);
	RUN(test_emulate_cases);
	RUN(test_flags_vs_cpu);
	RUN(test_rip);
	RUN(test_device_errors);
	RUN(test_format_bytes);
	RUN(test_len_vs_insn_len);
	return check_done();
}
