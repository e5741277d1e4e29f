/*
 * MMIO instruction decoder and emulator; see core/pc/mmio_emul.h.
 *
 * mmio_decode() is pure and runs anywhere. mmio_emulate() runs on the
 * vCPU's own thread with no lock held; it takes no lock and calls the
 * device's handlers, which take the device's.
 *
 * Decoding is one pass: legacy prefixes and REX, the opcode (one byte or
 * 0F xx) looked up in a table of the emulated forms, ModRM with SIB and
 * displacement (or a moffs), then the immediate. A table entry gives the
 * operation and the operand layout; the groups (80/81/83, C6/C7, F6/F7)
 * take the operation from ModRM.reg.
 */
#include "core/lib/errno.h"
#include "core/pc/mmio_emul.h"

/* ---- Architectural constants -------------------------------------------- */

/* Legacy prefixes. */
#define PFX_OPSIZE	0x66
#define PFX_ADSIZE	0x67
#define PFX_LOCK	0xf0
#define PFX_REPNE	0xf2
#define PFX_REP		0xf3
#define PFX_SEG_ES	0x26
#define PFX_SEG_CS	0x2e
#define PFX_SEG_SS	0x36
#define PFX_SEG_DS	0x3e
#define PFX_SEG_FS	0x64
#define PFX_SEG_GS	0x65

/* REX: 0100WRXB, 64-bit mode only. */
#define REX_MASK	0xf0
#define REX_BASE	0x40
#define REX_W		BIT(3)
#define REX_R		BIT(2)
#define REX_B		BIT(0)

#define OPCODE_ESC_0F	0x0f

/* ModRM and SIB fields. */
#define MODRM_MOD(m)	((unsigned int)(m) >> 6)
#define MODRM_REG(m)	(((unsigned int)(m) >> 3) & 7)
#define MODRM_RM(m)	((unsigned int)(m) & 7)
#define MOD_DISP0	0
#define MOD_DISP8	1
#define MOD_DISPW	2	/* disp16 or disp32 by address size */
#define MOD_REG		3	/* register operand: no memory access */
#define RM_SIB		4	/* 32/64-bit addressing: a SIB byte follows */
#define RM_DISP32	5	/* mod 0: disp32 (RIP-relative in 64-bit mode) */
#define RM16_DISP16	6	/* 16-bit addressing, mod 0: disp16 alone */
#define SIB_BASE(s)	((unsigned int)(s) & 7)
#define SIB_BASE_NONE	5	/* mod 0: no base, disp32 */

/* Byte registers 4-7 without REX: AH, CH, DH, BH (bits 15:8 of 0-3). */
#define GPR_HIGH_BYTE_FIRST	4
#define GPR_HIGH_BYTE_SHIFT	8

/* Arithmetic flags in RFLAGS. */
#define RFLAGS_CF	BIT(0)
#define RFLAGS_PF	BIT(2)
#define RFLAGS_AF	BIT(4)
#define RFLAGS_ZF	BIT(6)
#define RFLAGS_SF	BIT(7)
#define RFLAGS_OF	BIT(11)
#define RFLAGS_ARITH	(RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define AF_CARRY_BIT	BIT(4)	/* carry out of bit 3 shows in bit 4 of a^b^res */

/* ---- The table of emulated forms ------------------------------------------ */

/* Layout flags of a form. */
#define F_OK		BIT(0)	/* emulated */
#define F_BYTE		BIT(1)	/* 8-bit operands */
#define F_REG_DST	BIT(2)	/* ModRM.reg is the destination, r/m the source */
#define F_IMM8		BIT(3)	/* imm8, sign-extended to the operand size */
#define F_IMMZ		BIT(4)	/* imm16 (16-bit operand size) or imm32, sign-extended */
#define F_MOFFS		BIT(5)	/* no ModRM: an address-size offset, register rAX */
#define F_LOCK		BIT(6)	/* LOCK allowed (else #UD) */
#define F_GRP1		BIT(7)	/* ModRM.reg selects the operation (group 1) */
#define F_SLASH0	BIT(8)	/* only ModRM.reg == 0 is this form */
#define F_SRC8		BIT(9)	/* MOVZX/MOVSX: 8-bit memory source */
#define F_SRC16		BIT(10)	/* MOVZX/MOVSX: 16-bit memory source */
#define F_SIGN		BIT(11)	/* MOVSX: sign- rather than zero-extend */
#define F_NO66		BIT(12)	/* 66 makes it another instruction (MOVNTI) */
#define F_MIN32		BIT(13)	/* operand size 4 or 8 only (MOVNTI) */

struct mmio_form {
	uint8_t op;		/* enum mmio_op; ignored with F_GRP1 */
	uint16_t flags;
};

#define FORM(o, f) { .op = (o), .flags = F_OK | (f) }
/* The four ModRM forms of a classic ALU operation at base: Eb,Gb Ev,Gv Gb,Eb Gv,Ev. */
#define ALU4(base, o, lk)						\
	[(base) + 0] = FORM(o, F_BYTE | (lk)),				\
	[(base) + 1] = FORM(o, (lk)),					\
	[(base) + 2] = FORM(o, F_BYTE | F_REG_DST),			\
	[(base) + 3] = FORM(o, F_REG_DST)

static const struct mmio_form forms_one[256] = {
	ALU4(0x00, MMIO_OP_ADD, F_LOCK),
	ALU4(0x08, MMIO_OP_OR, F_LOCK),
	ALU4(0x20, MMIO_OP_AND, F_LOCK),
	ALU4(0x28, MMIO_OP_SUB, F_LOCK),
	ALU4(0x30, MMIO_OP_XOR, F_LOCK),
	ALU4(0x38, MMIO_OP_CMP, 0),
	[0x80] = FORM(0, F_GRP1 | F_BYTE | F_IMM8),
	[0x81] = FORM(0, F_GRP1 | F_IMMZ),
	[0x83] = FORM(0, F_GRP1 | F_IMM8),
	[0x84] = FORM(MMIO_OP_TEST, F_BYTE),
	[0x85] = FORM(MMIO_OP_TEST, 0),
	[0x86] = FORM(MMIO_OP_XCHG, F_BYTE | F_LOCK),
	[0x87] = FORM(MMIO_OP_XCHG, F_LOCK),
	[0x88] = FORM(MMIO_OP_MOV, F_BYTE),
	[0x89] = FORM(MMIO_OP_MOV, 0),
	[0x8a] = FORM(MMIO_OP_MOV, F_BYTE | F_REG_DST),
	[0x8b] = FORM(MMIO_OP_MOV, F_REG_DST),
	[0xa0] = FORM(MMIO_OP_MOV, F_MOFFS | F_BYTE | F_REG_DST),
	[0xa1] = FORM(MMIO_OP_MOV, F_MOFFS | F_REG_DST),
	[0xa2] = FORM(MMIO_OP_MOV, F_MOFFS | F_BYTE),
	[0xa3] = FORM(MMIO_OP_MOV, F_MOFFS),
	[0xc6] = FORM(MMIO_OP_MOV, F_SLASH0 | F_BYTE | F_IMM8),
	[0xc7] = FORM(MMIO_OP_MOV, F_SLASH0 | F_IMMZ),
	[0xf6] = FORM(MMIO_OP_TEST, F_SLASH0 | F_BYTE | F_IMM8),
	[0xf7] = FORM(MMIO_OP_TEST, F_SLASH0 | F_IMMZ),
};

static const struct mmio_form forms_0f[256] = {
	[0xb6] = FORM(MMIO_OP_MOV, F_REG_DST | F_SRC8),
	[0xb7] = FORM(MMIO_OP_MOV, F_REG_DST | F_SRC16),
	[0xbe] = FORM(MMIO_OP_MOV, F_REG_DST | F_SRC8 | F_SIGN),
	[0xbf] = FORM(MMIO_OP_MOV, F_REG_DST | F_SRC16 | F_SIGN),
	[0xc3] = FORM(MMIO_OP_MOV, F_NO66 | F_MIN32),
};

#undef ALU4
#undef FORM

/* Group 1 (80, 81, 83) by ModRM.reg; ADC and SBB (/2, /3) are not emulated. */
#define GRP1_NONE 0xff
static const uint8_t grp1_ops[8] = {
	MMIO_OP_ADD, MMIO_OP_OR, GRP1_NONE, GRP1_NONE,
	MMIO_OP_AND, MMIO_OP_SUB, MMIO_OP_XOR, MMIO_OP_CMP,
};
#define GRP1_REG_CMP 7

/* ---- Decoding --------------------------------------------------------------- */

/* The decoding in progress. */
struct mmio_dec {
	const uint8_t *bytes;
	size_t avail;
	size_t pos;		/* next byte to read */
	unsigned int code_bits;
	bool opsize;		/* 66 seen */
	bool adsize;		/* 67 seen */
	bool lock;		/* F0 seen */
	bool rep;		/* F2 or F3 seen */
	uint8_t rex;		/* REX in effect, 0: none */
};

/* Availability of n more bytes: the 15-byte limit first, then avail. */
static int mmio_need(const struct mmio_dec *d, size_t n)
{
	if (d->pos + n > X86_INSN_MAX_LEN)
		return -E2BIG;
	if (d->pos + n > d->avail)
		return -EAGAIN;
	return 0;
}

/* Reads n (1-8) little-endian bytes and moves past them. */
static int mmio_take(struct mmio_dec *d, size_t n, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;
	int err = mmio_need(d, n);

	if (err)
		return err;
	for (i = n; i-- > 0;)
		v = (v << 8) | d->bytes[d->pos + i];
	d->pos += n;
	*val = v;
	return 0;
}

static int mmio_take_byte(struct mmio_dec *d, uint8_t *b)
{
	uint64_t v;
	int err = mmio_take(d, 1, &v);

	if (!err)
		*b = (uint8_t)v;
	return err;
}

static bool mmio_is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case PFX_OPSIZE: case PFX_ADSIZE: case PFX_LOCK: case PFX_REPNE: case PFX_REP:
	case PFX_SEG_ES: case PFX_SEG_CS: case PFX_SEG_SS: case PFX_SEG_DS:
	case PFX_SEG_FS: case PFX_SEG_GS:
		return true;
	default:
		return false;
	}
}

/*
 * Legacy prefixes and REX; leaves pos at the first opcode byte. A REX
 * counts only right before the opcode: a legacy prefix after it cancels it.
 */
static int mmio_prefixes(struct mmio_dec *d)
{
	for (;;) {
		int err = mmio_need(d, 1);
		uint8_t b;

		if (err)
			return err;
		b = d->bytes[d->pos];
		if (d->code_bits == 64 && (b & REX_MASK) == REX_BASE) {
			d->rex = b;
			d->pos++;
			continue;
		}
		if (!mmio_is_legacy_prefix(b))
			return 0;
		d->opsize |= b == PFX_OPSIZE;
		d->adsize |= b == PFX_ADSIZE;
		d->lock |= b == PFX_LOCK;
		d->rep |= b == PFX_REP || b == PFX_REPNE;
		d->rex = 0;
		d->pos++;
	}
}

/* Operand size in bytes from mode, 66 and REX.W (for non-byte forms). */
static unsigned int mmio_opsize(const struct mmio_dec *d)
{
	if (d->code_bits == 64 && (d->rex & REX_W))
		return 8;
	if (d->code_bits == 16)
		return d->opsize ? 4 : 2;
	return d->opsize ? 2 : 4;
}

/* Address size in bytes from mode and 67. */
static unsigned int mmio_addrsize(const struct mmio_dec *d)
{
	switch (d->code_bits) {
	case 64:
		return d->adsize ? 4 : 8;
	case 32:
		return d->adsize ? 2 : 4;
	default:
		return d->adsize ? 4 : 2;
	}
}

/* Displacement size for a memory ModRM (mod != 3), reading the SIB if any. */
static int mmio_modrm_disp(struct mmio_dec *d, uint8_t modrm, size_t *disp)
{
	unsigned int mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	uint8_t sib;
	int err;

	if (mmio_addrsize(d) == 2) {
		if (mod == MOD_DISP8)
			*disp = 1;
		else if (mod == MOD_DISPW || rm == RM16_DISP16)
			*disp = 2;
		else
			*disp = 0;
		return 0;
	}
	if (rm == RM_SIB) {
		err = mmio_take_byte(d, &sib);
		if (err)
			return err;
		rm = SIB_BASE(sib) == SIB_BASE_NONE ? RM_DISP32 : RM_SIB;
	}
	if (mod == MOD_DISP8)
		*disp = 1;
	else if (mod == MOD_DISPW || rm == RM_DISP32)
		*disp = 4;
	else
		*disp = 0;
	return 0;
}

/*
 * ModRM into *modrm; its memory operand checked (mod 3 is no MMIO access)
 * and the SIB and displacement skipped.
 */
static int mmio_modrm(struct mmio_dec *d, uint8_t *modrm)
{
	size_t disp;
	uint64_t skip;
	int err;

	err = mmio_take_byte(d, modrm);
	if (err)
		return err;
	if (MODRM_MOD(*modrm) == MOD_REG)
		return -EINVAL;
	err = mmio_modrm_disp(d, *modrm, &disp);
	if (err || !disp)
		return err;
	return mmio_take(d, disp, &skip);
}

/* Reads an immediate of size bytes, sign-extended to 64 bits. */
static int mmio_imm(struct mmio_dec *d, unsigned int size, uint64_t *imm)
{
	unsigned int shift = 64 - 8 * size;
	uint64_t v;
	int err = mmio_take(d, size, &v);

	if (!err)
		*imm = (uint64_t)((int64_t)(v << shift) >> shift);
	return err;
}

/* The opcode and its form; leaves pos after the opcode. */
static int mmio_opcode(struct mmio_dec *d, struct mmio_form *form)
{
	const struct mmio_form *table = forms_one;
	uint8_t op;
	int err;

	err = mmio_take_byte(d, &op);
	if (err)
		return err;
	if (op == OPCODE_ESC_0F) {
		table = forms_0f;
		err = mmio_take_byte(d, &op);
		if (err)
			return err;
	}
	*form = table[op];
	return (form->flags & F_OK) ? 0 : -EINVAL;
}

/* The register operand named by ModRM.reg (+ REX.R) at size bytes. */
static void mmio_set_reg(const struct mmio_dec *d, struct mmio_insn *out,
			 unsigned int modrm_reg, unsigned int size)
{
	out->reg = (uint8_t)(modrm_reg + ((d->rex & REX_R) ? 8 : 0));
	out->reg_high = size == 1 && !d->rex && modrm_reg >= GPR_HIGH_BYTE_FIRST;
	if (out->reg_high)
		out->reg = (uint8_t)(modrm_reg - GPR_HIGH_BYTE_FIRST);
}

/* Operation, sizes and direction; pos after ModRM/moffs on return. */
static int mmio_operands(struct mmio_dec *d, const struct mmio_form *form,
			 struct mmio_insn *out)
{
	unsigned int opsize = (form->flags & F_BYTE) ? 1 : mmio_opsize(d);
	uint8_t modrm = 0;
	uint64_t skip;
	int err;

	if (form->flags & F_MOFFS) {
		err = mmio_take(d, mmio_addrsize(d), &skip);
		if (err)
			return err;
		out->reg = GPR_RAX;
	} else {
		err = mmio_modrm(d, &modrm);
		if (err)
			return err;
	}

	out->op = form->op;
	if (form->flags & F_GRP1) {
		out->op = grp1_ops[MODRM_REG(modrm)];
		if (out->op == GRP1_NONE)
			return -EINVAL;
	} else if ((form->flags & F_SLASH0) && MODRM_REG(modrm) != 0) {
		return -EINVAL;
	}

	out->size = (uint8_t)opsize;
	out->reg_size = (uint8_t)opsize;
	if (form->flags & (F_SRC8 | F_SRC16)) {
		out->size = (form->flags & F_SRC8) ? 1 : 2;
		out->ext = (form->flags & F_SIGN) ? MMIO_EXT_SIGN : MMIO_EXT_ZERO;
	}
	if ((form->flags & F_MIN32) && opsize == 2)
		out->size = out->reg_size = 4;	/* MOVNTI: no 16-bit form */

	if (form->flags & (F_IMM8 | F_IMMZ)) {
		out->dst = MMIO_OPND_MEM;
		out->src = MMIO_OPND_IMM;
	} else {
		if (!(form->flags & F_MOFFS))
			mmio_set_reg(d, out, MODRM_REG(modrm), out->reg_size);
		out->dst = (form->flags & F_REG_DST) ? MMIO_OPND_REG : MMIO_OPND_MEM;
		out->src = (form->flags & F_REG_DST) ? MMIO_OPND_MEM : MMIO_OPND_REG;
	}
	return 0;
}

/* What the operation does to memory. */
static uint8_t mmio_dir_of(const struct mmio_insn *in)
{
	if (in->op == MMIO_OP_XCHG)
		return MMIO_DIR_RMW;
	if (in->dst != MMIO_OPND_MEM || in->op == MMIO_OP_CMP || in->op == MMIO_OP_TEST)
		return MMIO_DIR_READ;
	return in->op == MMIO_OP_MOV ? MMIO_DIR_WRITE : MMIO_DIR_RMW;
}

/* Prefix rules once the form is known: REP never, LOCK on RMW only, 66 on MOVNTI never. */
static int mmio_check_prefixes(const struct mmio_dec *d, const struct mmio_form *form,
			       const struct mmio_insn *in)
{
	if (d->rep)
		return -EINVAL;
	if ((form->flags & F_NO66) && d->opsize)
		return -EINVAL;
	if (d->lock && (!(form->flags & (F_LOCK | F_GRP1)) || in->dir != MMIO_DIR_RMW))
		return -EINVAL;
	return 0;
}

int mmio_decode(const uint8_t *bytes, size_t avail, unsigned int code_bits,
		struct mmio_insn *out)
{
	struct mmio_dec d = { .bytes = bytes, .avail = avail, .code_bits = code_bits };
	struct mmio_form form;
	int err;

	*out = (struct mmio_insn){ .code_bits = (uint8_t)code_bits };
	if (code_bits != 16 && code_bits != 32 && code_bits != 64)
		return -EINVAL;
	err = mmio_prefixes(&d);
	if (!err)
		err = mmio_opcode(&d, &form);
	if (!err)
		err = mmio_operands(&d, &form, out);
	if (err)
		return err;
	out->dir = mmio_dir_of(out);
	out->lock = d.lock;
	err = mmio_check_prefixes(&d, &form, out);
	if (err)
		return err;
	if (form.flags & F_IMM8)
		err = mmio_imm(&d, 1, &out->imm);
	else if (form.flags & F_IMMZ)
		err = mmio_imm(&d, out->size == 2 ? 2 : 4, &out->imm);
	if (err)
		return err;
	out->len = (uint8_t)d.pos;
	return 0;
}

/* ---- Emulation ------------------------------------------------------------- */

static uint64_t mmio_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t mmio_sign_bit(unsigned int size)
{
	return 1ull << (8 * size - 1);
}

/* The register operand's value, zero-extended from size bytes. */
static uint64_t mmio_reg_read(const struct guest_regs *regs, const struct mmio_insn *in,
			      unsigned int size)
{
	uint64_t v = regs->gpr[in->reg];

	if (in->reg_high)
		v >>= GPR_HIGH_BYTE_SHIFT;
	return v & mmio_mask(size);
}

/* Writes size bytes of the register operand with x86 merge rules. */
static void mmio_reg_write(struct guest_regs *regs, const struct mmio_insn *in,
			   unsigned int size, uint64_t val)
{
	uint64_t *r = &regs->gpr[in->reg];
	unsigned int shift = in->reg_high ? GPR_HIGH_BYTE_SHIFT : 0;
	uint64_t mask;

	if (size >= 4) {
		*r = val & mmio_mask(size);	/* a 32-bit write clears 63:32 */
		return;
	}
	mask = mmio_mask(size) << shift;
	*r = (*r & ~mask) | ((val << shift) & mask);
}

/* PF: set when the low byte of the result has an even number of ones. */
static bool mmio_parity_even(uint64_t res)
{
	uint8_t b = (uint8_t)res;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

/* The flags every ALU operation sets from its (masked) result. */
static uint64_t mmio_flags_szp(uint64_t res, unsigned int size)
{
	uint64_t f = 0;

	if (!res)
		f |= RFLAGS_ZF;
	if (res & mmio_sign_bit(size))
		f |= RFLAGS_SF;
	if (mmio_parity_even(res))
		f |= RFLAGS_PF;
	return f;
}

/*
 * dst op src at size bytes (both already masked): the result (masked) and
 * the arithmetic flags it leaves.
 */
static uint64_t mmio_alu(unsigned int op, uint64_t a, uint64_t b, unsigned int size,
			 uint64_t *flags)
{
	uint64_t mask = mmio_mask(size), sign = mmio_sign_bit(size), res;
	uint64_t f = 0;

	switch (op) {
	case MMIO_OP_ADD:
		res = (a + b) & mask;
		if (res < a)
			f |= RFLAGS_CF;
		if ((a ^ res) & (b ^ res) & sign)
			f |= RFLAGS_OF;
		if ((a ^ b ^ res) & AF_CARRY_BIT)
			f |= RFLAGS_AF;
		break;
	case MMIO_OP_SUB:
	case MMIO_OP_CMP:
		res = (a - b) & mask;
		if (a < b)
			f |= RFLAGS_CF;
		if ((a ^ b) & (a ^ res) & sign)
			f |= RFLAGS_OF;
		if ((a ^ b ^ res) & AF_CARRY_BIT)
			f |= RFLAGS_AF;
		break;
	case MMIO_OP_OR:
		res = a | b;
		break;
	case MMIO_OP_XOR:
		res = a ^ b;
		break;
	default:	/* AND, TEST */
		res = a & b;
		break;
	}
	*flags = f | mmio_flags_szp(res, size);
	return res;
}

/* The memory source widened to the register (MOVZX/MOVSX), else as is. */
static uint64_t mmio_extend(const struct mmio_insn *in, uint64_t mem)
{
	unsigned int shift = 64 - 8 * in->size;

	if (in->ext == MMIO_EXT_SIGN)
		return (uint64_t)((int64_t)(mem << shift) >> shift) & mmio_mask(in->reg_size);
	return mem;
}

static uint64_t mmio_operand(const struct guest_regs *regs, const struct mmio_insn *in,
			     unsigned int kind, uint64_t mem)
{
	switch (kind) {
	case MMIO_OPND_MEM:
		return mem;
	case MMIO_OPND_REG:
		return mmio_reg_read(regs, in, in->size);
	default:
		return in->imm & mmio_mask(in->size);
	}
}

static bool mmio_op_writes_dst(unsigned int op)
{
	return op != MMIO_OP_CMP && op != MMIO_OP_TEST;
}

static bool mmio_op_sets_flags(unsigned int op)
{
	return op != MMIO_OP_MOV && op != MMIO_OP_XCHG;
}

/* The step every completed instruction ends with: RIP past it, RF clear. */
static void mmio_advance(struct guest_regs *regs, const struct mmio_insn *in)
{
	regs->rip += in->len;
	if (in->code_bits != 64)
		regs->rip &= 0xffffffffull;
	regs->rflags &= ~(uint64_t)X86_RFLAGS_RF;
}

int mmio_emulate(struct guest_regs *regs, const struct mmio_insn *in, uint64_t gpa,
		 const struct vdev_mmio_ops *ops, void *dev)
{
	uint64_t mask = mmio_mask(in->size), mem = 0, res, flags = 0;
	int err;

	if (in->dir != MMIO_DIR_WRITE) {
		if (!ops->read)
			return -ENOSYS;
		err = ops->read(dev, gpa, in->size, &mem);
		if (err)
			return err;
		mem &= mask;
	}

	if (in->op == MMIO_OP_XCHG)
		res = mmio_reg_read(regs, in, in->size);
	else if (in->op == MMIO_OP_MOV)
		res = mmio_extend(in, mmio_operand(regs, in, in->src, mem));
	else
		res = mmio_alu(in->op, mmio_operand(regs, in, in->dst, mem),
			       mmio_operand(regs, in, in->src, mem), in->size, &flags);

	if (in->dir != MMIO_DIR_READ) {
		if (!ops->write)
			return -ENOSYS;
		err = ops->write(dev, gpa, in->size, res);
		if (err)
			return err;
	}

	/* The device is done: commit registers, flags and RIP. */
	if (in->op == MMIO_OP_XCHG)
		mmio_reg_write(regs, in, in->size, mem);
	else if (in->dst == MMIO_OPND_REG && mmio_op_writes_dst(in->op))
		mmio_reg_write(regs, in, in->reg_size, res);
	if (mmio_op_sets_flags(in->op))
		regs->rflags = (regs->rflags & ~(uint64_t)RFLAGS_ARITH) | flags;
	mmio_advance(regs, in);
	return 0;
}

/* ---- Messages ------------------------------------------------------------------ */

int mmio_format_bytes(char *buf, size_t n, const uint8_t *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, pos = 0;

	if (!n)
		return 0;
	for (i = 0; i < len; i++) {
		size_t need = (i ? 1 : 0) + 2;

		if (pos + need + 1 > n)
			break;
		if (i)
			buf[pos++] = ' ';
		buf[pos++] = hex[bytes[i] >> 4];
		buf[pos++] = hex[bytes[i] & 0xf];
	}
	buf[pos] = '\0';
	return (int)pos;
}

const char *mmio_op_name(unsigned int op)
{
	static const char *const names[MMIO_OP_NR] = {
		[MMIO_OP_MOV] = "mov",
		[MMIO_OP_XCHG] = "xchg",
		[MMIO_OP_ADD] = "add",
		[MMIO_OP_OR] = "or",
		[MMIO_OP_AND] = "and",
		[MMIO_OP_SUB] = "sub",
		[MMIO_OP_XOR] = "xor",
		[MMIO_OP_CMP] = "cmp",
		[MMIO_OP_TEST] = "test",
	};

	return op < MMIO_OP_NR ? names[op] : "?";
}
