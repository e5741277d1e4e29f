/*
 * x86 instruction decoder (lengths and layout); see core/insn_len.h.
 * Runs anywhere; pure, no state.
 *
 * One pass over the bytes: legacy prefixes and REX, then either a VEX /
 * XOP / EVEX prefix or the 0F escapes, the opcode, ModRM with SIB and
 * displacement, and the immediates. What the opcode implies comes from
 * one table per legacy map; the few opcodes whose layout depends on more
 * than the opcode (F6/F7 group 3, LES/LDS/BOUND/POP against VEX/EVEX/XOP,
 * MOV to/from CR/DR, SSE4a EXTRQ/INSERTQ) are handled by name.
 */
#include "core/lib/errno.h"
#include "core/insn_len.h"

/* Immediate kinds: the low four bits of a table entry. */
enum {
	I_NONE,
	I_B,		/* 1 byte */
	I_W,		/* 2 bytes */
	I_Z,		/* 2 bytes with a 16-bit operand size, else 4 */
	I_V,		/* the operand size: 2, 4 or 8 (MOV r, imm) */
	I_WB,		/* 2 bytes, then 1 (ENTER) */
	I_P,		/* far pointer: offset (2 or 4) then selector (2) */
	I_MOFFS,	/* an address-size offset (MOV A0-A3) */
	I_D,		/* 4 bytes */
};
#define IMM_MASK 0x0f

#define M    0x10	/* a ModRM byte follows */
#define I64  0x20	/* invalid in 64-bit mode */
#define BAD  0x40	/* no instruction (#UD) */
#define SPEC 0x80	/* layout decided in code: see insn_special() */

#define B  I_B
#define W  I_W
#define Z  I_Z
#define V  I_V
#define MB (M | I_B)
#define MZ (M | I_Z)

/* One-byte opcodes. Prefix bytes never reach this table. */
static const uint8_t map_one[256] = {
	/*        0       1       2       3       4       5       6       7 */
	/*        8       9       A       B       C       D       E       F */
	/* 00 */  M,      M,      M,      M,      B,      Z,      I64,    I64,
	/* 08 */  M,      M,      M,      M,      B,      Z,      I64,    SPEC,
	/* 10 */  M,      M,      M,      M,      B,      Z,      I64,    I64,
	/* 18 */  M,      M,      M,      M,      B,      Z,      I64,    I64,
	/* 20 */  M,      M,      M,      M,      B,      Z,      0,      I64,
	/* 28 */  M,      M,      M,      M,      B,      Z,      0,      I64,
	/* 30 */  M,      M,      M,      M,      B,      Z,      0,      I64,
	/* 38 */  M,      M,      M,      M,      B,      Z,      0,      I64,
	/* 40 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* 48 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* 50 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* 58 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* 60 */  I64,    I64,    SPEC,   M,      0,      0,      0,      0,
	/* 68 */  Z,      MZ,     B,      MB,     0,      0,      0,      0,
	/* 70 */  B,      B,      B,      B,      B,      B,      B,      B,
	/* 78 */  B,      B,      B,      B,      B,      B,      B,      B,
	/* 80 */  MB,     MZ,     MB|I64, MB,     M,      M,      M,      M,
	/* 88 */  M,      M,      M,      M,      M,      M,      M,      SPEC,
	/* 90 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* 98 */  0,      0,      I_P|I64, 0,     0,      0,      0,      0,
	/* A0 */  I_MOFFS, I_MOFFS, I_MOFFS, I_MOFFS, 0,  0,      0,      0,
	/* A8 */  B,      Z,      0,      0,      0,      0,      0,      0,
	/* B0 */  B,      B,      B,      B,      B,      B,      B,      B,
	/* B8 */  V,      V,      V,      V,      V,      V,      V,      V,
	/* C0 */  MB,     MB,     W,      0,      SPEC,   SPEC,   MB,     MZ,
	/* C8 */  I_WB,   0,      W,      0,      0,      B,      I64,    0,
	/* D0 */  M,      M,      M,      M,      B|I64,  B|I64,  I64,    0,
	/* D8 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* E0 */  B,      B,      B,      B,      B,      B,      B,      B,
	/* E8 */  Z,      Z,      I_P|I64, B,     0,      0,      0,      0,
	/* F0 */  0,      0,      0,      0,      0,      0,      SPEC,   SPEC,
	/* F8 */  0,      0,      0,      0,      0,      0,      M,      M,
};

/* Two-byte opcodes, 0F xx. */
static const uint8_t map_0f[256] = {
	/* 00 */  M,      M,      M,      M,      BAD,    0,      0,      0,
	/* 08 */  0,      0,      BAD,    0,      BAD,    M,      0,      MB,
	/* 10 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 18 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 20 */  SPEC,   SPEC,   SPEC,   SPEC,   BAD,    BAD,    BAD,    BAD,
	/* 28 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 30 */  0,      0,      0,      0,      0,      0,      BAD,    0,
	/* 38 */  SPEC,   BAD,    SPEC,   BAD,    BAD,    BAD,    BAD,    BAD,
	/* 40 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 48 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 50 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 58 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 60 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 68 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 70 */  MB,     MB,     MB,     MB,     M,      M,      M,      0,
	/* 78 */  SPEC,   M,      BAD,    BAD,    M,      M,      M,      M,
	/* 80 */  Z,      Z,      Z,      Z,      Z,      Z,      Z,      Z,
	/* 88 */  Z,      Z,      Z,      Z,      Z,      Z,      Z,      Z,
	/* 90 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* 98 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* A0 */  0,      0,      0,      M,      MB,     M,      BAD,    BAD,
	/* A8 */  0,      0,      0,      M,      MB,     M,      M,      M,
	/* B0 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* B8 */  M,      M,      MB,     M,      M,      M,      M,      M,
	/* C0 */  M,      M,      MB,     M,      MB,     MB,     MB,     M,
	/* C8 */  0,      0,      0,      0,      0,      0,      0,      0,
	/* D0 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* D8 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* E0 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* E8 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* F0 */  M,      M,      M,      M,      M,      M,      M,      M,
	/* F8 */  M,      M,      M,      M,      M,      M,      M,      M,
};

#undef B
#undef W
#undef Z
#undef V
#undef MB
#undef MZ

/* The decoding in progress. */
struct insn_ctx {
	const uint8_t *buf;
	size_t avail;
	size_t pos;		/* next byte to read */
	enum insn_mode mode;
	struct insn *in;
};

/* Availability of bytes [pos, pos + n): the three outcomes of the header. */
static int insn_need(const struct insn_ctx *c, size_t n)
{
	if (c->pos + n > X86_INSN_MAX_LEN)
		return -E2BIG;
	if (c->pos + n > c->avail)
		return -EAGAIN;
	return 0;
}

/* Reads n little-endian bytes (n <= 8) and moves past them. */
static int insn_take(struct insn_ctx *c, size_t n, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;
	int err = insn_need(c, n);

	if (err)
		return err;
	for (i = n; i-- > 0;)
		v = (v << 8) | c->buf[c->pos + i];
	c->pos += n;
	*val = v;
	return 0;
}

static int insn_take_byte(struct insn_ctx *c, uint8_t *b)
{
	uint64_t v;
	int err = insn_take(c, 1, &v);

	if (!err)
		*b = (uint8_t)v;
	return err;
}

/* The byte at pos without moving past it. */
static int insn_peek(const struct insn_ctx *c, uint8_t *b)
{
	int err = insn_need(c, 1);

	if (!err)
		*b = c->buf[c->pos];
	return err;
}

/* Legacy prefixes and REX; leaves pos at the first opcode byte. */
static int insn_prefixes(struct insn_ctx *c)
{
	struct insn *in = c->in;
	uint8_t b;
	int err;

	for (;;) {
		err = insn_peek(c, &b);
		if (err)
			return err;
		switch (b) {
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			in->prefixes |= INSN_PFX_SEG;
			in->seg = (b >> 3) & 3;		/* ES, CS, SS, DS */
			break;
		case 0x64: case 0x65:
			in->prefixes |= INSN_PFX_SEG;
			in->seg = b - 0x60;		/* FS, GS */
			break;
		case 0x66:
			in->prefixes |= INSN_PFX_OPSIZE;
			break;
		case 0x67:
			in->prefixes |= INSN_PFX_ADSIZE;
			break;
		case 0xf0:
			in->prefixes |= INSN_PFX_LOCK;
			break;
		case 0xf2:
			in->prefixes |= INSN_PFX_REPNE;
			break;
		case 0xf3:
			in->prefixes |= INSN_PFX_REP;
			break;
		default:
			if (c->mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
				in->rex = b;
				c->pos++;
				continue;
			}
			return 0;
		}
		/* A REX counts only right before the opcode. */
		in->rex = 0;
		c->pos++;
	}
}

static void insn_sizes(struct insn_ctx *c)
{
	struct insn *in = c->in;
	bool o16 = in->prefixes & INSN_PFX_OPSIZE;
	bool a16 = in->prefixes & INSN_PFX_ADSIZE;

	switch (c->mode) {
	case INSN_MODE_64:
		in->opsize = (in->rex & 0x08) ? 8 : o16 ? 2 : 4;
		in->addrsize = a16 ? 4 : 8;
		break;
	case INSN_MODE_32:
		in->opsize = o16 ? 2 : 4;
		in->addrsize = a16 ? 2 : 4;
		break;
	default:
		in->opsize = o16 ? 4 : 2;
		in->addrsize = a16 ? 4 : 2;
		break;
	}
}

/* ModRM, SIB and displacement. reg_only: MOV CR/DR ignore mod (always 11). */
static int insn_modrm(struct insn_ctx *c, bool reg_only)
{
	struct insn *in = c->in;
	unsigned int mod, rm;
	uint64_t v;
	int err;

	err = insn_take_byte(c, &in->modrm);
	if (err)
		return err;
	in->has_modrm = true;
	mod = in->modrm >> 6;
	rm = in->modrm & 7;
	if (mod == 3 || reg_only)
		return 0;

	if (in->addrsize == 2) {
		if (mod == 1)
			in->disp_size = 1;
		else if (mod == 2 || rm == 6)
			in->disp_size = 2;
	} else {
		if (rm == 4) {
			err = insn_take_byte(c, &in->sib);
			if (err)
				return err;
			in->has_sib = true;
			rm = in->sib & 7;	/* base */
		}
		if (mod == 1)
			in->disp_size = 1;
		else if (mod == 2 || rm == 5)
			in->disp_size = 4;	/* mod 0, base 5: disp32 (RIP-relative w/o SIB) */
	}
	if (!in->disp_size)
		return 0;
	err = insn_take(c, in->disp_size, &v);
	if (err)
		return err;
	/* Sign-extend from disp_size bytes. */
	in->disp = (int64_t)(v << (64 - 8 * in->disp_size)) >> (64 - 8 * in->disp_size);
	return 0;
}

/* Size of an immediate of the given kind (first and second part). */
static void insn_imm_sizes(const struct insn *in, unsigned int kind,
			   uint8_t *size, uint8_t *size2)
{
	*size2 = 0;
	switch (kind) {
	case I_B: *size = 1; break;
	case I_W: *size = 2; break;
	case I_Z: *size = in->opsize == 2 ? 2 : 4; break;
	case I_V: *size = in->opsize; break;
	case I_WB: *size = 2; *size2 = 1; break;
	case I_P: *size = in->opsize == 2 ? 2 : 4; *size2 = 2; break;
	case I_D: *size = 4; break;
	default: *size = 0; break;
	}
}

static int insn_immediates(struct insn_ctx *c, unsigned int kind)
{
	struct insn *in = c->in;
	int err;

	if (kind == I_MOFFS) {
		uint64_t v;

		in->disp_size = in->addrsize;
		err = insn_take(c, in->disp_size, &v);
		if (!err)
			in->disp = (int64_t)v;
		return err;
	}
	insn_imm_sizes(in, kind, &in->imm_size, &in->imm2_size);
	err = insn_take(c, in->imm_size, &in->imm);
	if (!err)
		err = insn_take(c, in->imm2_size, &in->imm2);
	return err;
}

/* VEX/XOP/EVEX map 1: the opcodes with an 8-bit immediate. */
static bool insn_vex_map1_has_ib(uint8_t op)
{
	return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
}

/*
 * VEX (C4, C5), XOP (8F) and EVEX (62): pos at the escape byte, which
 * the caller has told apart from LES/LDS/POP/BOUND.
 */
static int insn_vex(struct insn_ctx *c, uint8_t esc)
{
	struct insn *in = c->in;
	uint8_t p[3], kind = I_NONE;
	size_t n, i;
	int err;

	/* 66, F2, F3, LOCK and REX before these are #UD. */
	if ((in->prefixes & (INSN_PFX_OPSIZE | INSN_PFX_REP | INSN_PFX_REPNE |
			     INSN_PFX_LOCK)) || in->rex)
		return -EINVAL;
	c->pos++;
	n = esc == 0xc5 ? 1 : esc == 0x62 ? 3 : 2;
	for (i = 0; i < n; i++) {
		err = insn_take_byte(c, &p[i]);
		if (err)
			return err;
	}
	switch (esc) {
	case 0xc5:
		in->encoding = INSN_ENC_VEX;
		in->map = INSN_MAP_0F;
		break;
	case 0xc4:
		in->encoding = INSN_ENC_VEX;
		in->map = p[0] & 0x1f;
		if (in->map < INSN_MAP_0F || in->map > INSN_MAP_0F3A)
			return -EINVAL;
		break;
	case 0x8f:
		in->encoding = INSN_ENC_XOP;
		in->map = p[0] & 0x1f;
		if (in->map < INSN_MAP_XOP8 || in->map > INSN_MAP_XOPA)
			return -EINVAL;
		break;
	default:
		in->encoding = INSN_ENC_EVEX;
		in->map = p[0] & 0x07;
		if ((p[0] & 0x08) || !(p[1] & 0x04) || in->map == 0 || in->map == 4 ||
		    in->map == 7)
			return -EINVAL;
		break;
	}
	/* W (VEX3/XOP/EVEX) sets the operand size the way REX.W does. */
	if (esc != 0xc5 && (p[1] & 0x80) && c->mode == INSN_MODE_64)
		in->opsize = 8;
	err = insn_take_byte(c, &in->opcode);
	if (err)
		return err;
	/* VZEROUPPER / VZEROALL are the only ones without ModRM. */
	if (!(in->encoding == INSN_ENC_VEX && in->map == INSN_MAP_0F && in->opcode == 0x77)) {
		err = insn_modrm(c, false);
		if (err)
			return err;
	}
	if (in->map == INSN_MAP_0F3A || in->map == INSN_MAP_XOP8 ||
	    (in->map == INSN_MAP_0F && insn_vex_map1_has_ib(in->opcode)))
		kind = I_B;
	else if (in->map == INSN_MAP_XOPA)
		kind = I_D;
	return insn_immediates(c, kind);
}

/*
 * C4, C5, 62 and 8F are VEX, EVEX and XOP, or LES, LDS, BOUND and POP.
 * Outside 64-bit mode the byte after C4/C5/62 tells: a register operand
 * (mod 11) is no valid LES/LDS/BOUND. 8F is XOP when what would be
 * ModRM.reg of POP selects map 8 or above.
 */
static int insn_is_vex(const struct insn_ctx *c, uint8_t esc, bool *vex)
{
	struct insn_ctx next = *c;
	uint8_t b;
	int err;

	if (esc != 0x8f && c->mode == INSN_MODE_64) {
		*vex = true;
		return 0;
	}
	next.pos++;
	err = insn_peek(&next, &b);
	if (err)
		return err;
	*vex = esc == 0x8f ? (b & 0x1f) >= 8 : (b >> 6) == 3;
	return 0;
}

/*
 * Opcodes marked SPEC, once the escape bytes are behind: 0F 20-23 (MOV
 * CR/DR), 0F 78 (VMREAD / EXTRQ / INSERTQ), F6/F7 (group 3), and C4, C5,
 * 62, 8F that turned out to be LES, LDS, BOUND and POP Ev (ModRM only).
 */
static int insn_special(struct insn_ctx *c)
{
	struct insn *in = c->in;
	int err;

	if (in->map == INSN_MAP_0F && in->opcode >= 0x20 && in->opcode <= 0x23)
		return insn_modrm(c, true);
	err = insn_modrm(c, false);
	if (err)
		return err;
	if (in->map == INSN_MAP_0F) {
		/* 0F 78: VMREAD, or with 66 / F2 SSE4a EXTRQ / INSERTQ ib, ib. */
		if (in->prefixes & (INSN_PFX_OPSIZE | INSN_PFX_REPNE)) {
			in->imm_size = 1;
			in->imm2_size = 1;
			err = insn_take(c, 1, &in->imm);
			if (!err)
				err = insn_take(c, 1, &in->imm2);
		}
		return err;
	}
	/* Group 3: TEST (/0, /1) has an immediate, NOT NEG MUL IMUL DIV IDIV none. */
	if ((in->opcode != 0xf6 && in->opcode != 0xf7) || ((in->modrm >> 3) & 7) >= 2)
		return 0;
	return insn_immediates(c, in->opcode == 0xf6 ? I_B : I_Z);
}

/* After prefixes: the escapes and the opcode, then its operands. */
static int insn_opcode(struct insn_ctx *c)
{
	struct insn *in = c->in;
	const uint8_t *table = map_one;
	uint8_t op, flags;
	bool vex;
	int err;

	err = insn_peek(c, &op);
	if (err)
		return err;
	if (op == 0xc4 || op == 0xc5 || op == 0x62 || op == 0x8f) {
		err = insn_is_vex(c, op, &vex);
		if (err)
			return err;
		if (vex)
			return insn_vex(c, op);
	}
	c->pos++;
	if (op == 0x0f) {
		table = map_0f;
		in->map = INSN_MAP_0F;
		err = insn_take_byte(c, &op);
		if (err)
			return err;
		if (op == 0x38 || op == 0x3a) {
			in->map = op == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
			err = insn_take_byte(c, &in->opcode);
			if (err)
				return err;
			err = insn_modrm(c, false);
			if (err)
				return err;
			return insn_immediates(c, in->map == INSN_MAP_0F3A ? I_B : I_NONE);
		}
	}
	in->opcode = op;
	flags = table[op];
	if ((flags & BAD) || ((flags & I64) && c->mode == INSN_MODE_64))
		return -EINVAL;
	if (flags & SPEC)
		return insn_special(c);
	if (flags & M) {
		err = insn_modrm(c, false);
		if (err)
			return err;
	}
	return insn_immediates(c, flags & IMM_MASK);
}

int insn_decode(const uint8_t *buf, size_t avail, enum insn_mode mode, struct insn *out)
{
	struct insn_ctx c = { .buf = buf, .avail = avail, .mode = mode, .in = out };
	int err;

	*out = (struct insn){ .seg = INSN_SEG_NONE };
	if (mode != INSN_MODE_16 && mode != INSN_MODE_32 && mode != INSN_MODE_64)
		return -EINVAL;
	err = insn_prefixes(&c);
	if (err)
		return err;
	insn_sizes(&c);
	err = insn_opcode(&c);
	if (err)
		return err;
	out->len = (uint8_t)c.pos;
	return out->len;
}

int insn_len(const uint8_t *buf, size_t avail, enum insn_mode mode)
{
	struct insn in;

	return insn_decode(buf, avail, mode, &in);
}
