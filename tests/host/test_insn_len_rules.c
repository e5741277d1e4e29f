/*
 * x86 instruction decoder (core/insn_len.c): the rules, case by case, and
 * robustness. Hosted test, single thread, built with ASan/UBSan.
 *
 * - Hand-written cases: prefix rules, the 15-byte limit, encodings that
 *   are invalid in a mode, VEX/XOP/EVEX against LES/LDS/BOUND/POP, ModRM
 *   forms, and the decoded fields.
 * - Robustness: random byte strings from a fixed start, biased towards
 *   prefixes and escapes, never read past the buffer or past 15 bytes, and
 *   give consistent answers when the buffer is cut or extended.
 */
#include "tests/host/test_insn_len.h"
#include "tests/host/test_util.h"

static void case_prefix_rules(void)
{
	/* REX counts only right before the opcode. */
	EXPECT(64, 5, 0x48, 0x66, 0xb8, 0x34, 0x12);		/* REX ignored: mov ax, imm16 */
	EXPECT(64, 11, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8);	/* REX.W wins over 66 */
	EXPECT(64, 4, 0x41, 0x41, 0xff, 0xc0);			/* the last REX of two */
	/* Operand size of immediates. */
	EXPECT(32, 4, 0x66, 0xb8, 0x34, 0x12);
	EXPECT(16, 6, 0x66, 0xb8, 1, 2, 3, 4);
	EXPECT(64, 7, 0x48, 0x81, 0xc0, 1, 2, 3, 4);		/* imm32 with REX.W */
	EXPECT(64, 6, 0x48, 0x68, 1, 2, 3, 4);			/* push imm32 */
	EXPECT(64, 4, 0x66, 0x68, 1, 2);			/* push imm16 */
	/* Near branches in 64-bit mode: 66 selects rel16 (AMD). */
	EXPECT(64, 4, 0x66, 0xe8, 0x00, 0x10);
	EXPECT(64, 5, 0x66, 0x0f, 0x84, 0x00, 0x10);
	EXPECT(64, 6, 0x48, 0xe8, 1, 2, 3, 4);
	EXPECT(64, 7, 0x66, 0x48, 0xe9, 1, 2, 3, 4);
	/* moffs follow the address size. */
	EXPECT(64, 9, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, 6, 0x67, 0xa1, 1, 2, 3, 4);
	EXPECT(64, 10, 0x48, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(32, 5, 0xa1, 1, 2, 3, 4);
	EXPECT(32, 4, 0x67, 0xa1, 1, 2);
	EXPECT(16, 3, 0xa0, 1, 2);
	EXPECT(16, 6, 0x67, 0xa0, 1, 2, 3, 4);
	/* MOV r64, imm64 only with REX.W. */
	EXPECT(64, 10, 0x49, 0xbb, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, 6, 0x41, 0xbb, 1, 2, 3, 4);
	/* Every legacy prefix at once. */
	EXPECT(64, 12, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x90);
}

static void case_fifteen_byte_limit(void)
{
	uint8_t b[20];
	int n;

	/* n prefixes and a NOP: fine up to 15 bytes in all, #GP beyond. */
	for (n = 0; n < 19; n++) {
		memset(b, 0x66, (size_t)n);
		b[n] = 0x90;
		CHECK_EQ(len_exact(b, (size_t)n + 1, 64), n + 1 <= 15 ? n + 1 : -E2BIG);
		CHECK_EQ(len_exact(b, (size_t)n + 1, 16), n + 1 <= 15 ? n + 1 : -E2BIG);
	}
	/* The longest real instructions: 13 bytes, plus prefixes. */
	EXPECT(64, 13, 0x64, 0xf0, 0x81, 0x84, 0xd8, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, 15, 0x2e, 0x3e, 0x64, 0xf0, 0x81, 0x84, 0xd8, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, -E2BIG, 0x2e, 0x2e, 0x3e, 0x64, 0xf0, 0x81, 0x84, 0xd8, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, 15, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT(64, -E2BIG, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8);
	/* With fewer bytes than needed but more than 15 wanted: #GP first. */
	memset(b, 0x66, 15);
	CHECK_EQ(len_exact(b, 15, 32), -E2BIG);
	CHECK_EQ(len_exact(b, 14, 32), -EAGAIN);
	CHECK_EQ(len_exact(b, 0, 32), -EAGAIN);
}

static void case_invalid_encodings(void)
{
	static const uint8_t not64[] = {
		0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
		0x60, 0x61, 0xce, 0xd6,
	};
	static const uint8_t bad0f[] = {
		0x04, 0x0a, 0x0c, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3b, 0x3c,
		0x3d, 0x3e, 0x3f, 0x7a, 0x7b, 0xa6, 0xa7,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(not64); i++) {
		uint8_t b[2] = { not64[i], 0xc0 };

		CHECK_EQ(len_exact(b, 2, 64), -EINVAL);
		CHECK_EQ(len_exact(b, 1, 32), 1);
		CHECK_EQ(len_exact(b, 1, 16), 1);
	}
	EXPECT(64, -EINVAL, 0x82, 0xc0, 0x01);
	EXPECT(32, 3, 0x82, 0xc0, 0x01);
	EXPECT(64, -EINVAL, 0x9a, 1, 2, 3, 4, 5, 6);
	EXPECT(32, 7, 0x9a, 1, 2, 3, 4, 5, 6);
	EXPECT(16, 5, 0x9a, 1, 2, 3, 4);
	EXPECT(64, -EINVAL, 0xea, 1, 2, 3, 4, 5, 6);
	EXPECT(64, -EINVAL, 0xd4, 0x0a);
	EXPECT(32, 2, 0xd5, 0x0a);
	for (i = 0; i < ARRAY_SIZE(bad0f); i++) {
		uint8_t b[3] = { 0x0f, bad0f[i], 0xc0 };

		CHECK_EQ(len_exact(b, 3, 64), -EINVAL);
		CHECK_EQ(len_exact(b, 3, 32), -EINVAL);
	}
	/* 66, F2, F3, LOCK or REX before VEX / EVEX / XOP: #UD. */
	EXPECT(64, -EINVAL, 0x66, 0xc5, 0xf8, 0x58, 0xc1);
	EXPECT(64, -EINVAL, 0xf3, 0xc4, 0xe1, 0x78, 0x58, 0xc1);
	EXPECT(64, -EINVAL, 0x48, 0xc5, 0xf8, 0x58, 0xc1);
	EXPECT(64, -EINVAL, 0xf0, 0x62, 0xf1, 0x6c, 0x48, 0x58, 0xd9);
	EXPECT(64, -EINVAL, 0x66, 0x8f, 0xe8, 0x78, 0xc0, 0xca, 0x03);
	EXPECT(64, 6, 0x2e, 0xc5, 0xf8, 0x58, 0x40, 0x10);	/* a segment override is fine */
	/* Reserved maps. */
	EXPECT(64, -EINVAL, 0xc4, 0xe0, 0x78, 0x58, 0xc1);	/* VEX map 0 */
	EXPECT(64, -EINVAL, 0xc4, 0xe4, 0x78, 0x58, 0xc1);	/* VEX map 4 */
	EXPECT(64, -EINVAL, 0x8f, 0xeb, 0x78, 0xc0, 0xc1);	/* XOP map 0xb */
	EXPECT(64, -EINVAL, 0x62, 0xf0, 0x6c, 0x48, 0x58, 0xd9);	/* EVEX map 0 */
	EXPECT(64, -EINVAL, 0x62, 0xf9, 0x6c, 0x48, 0x58, 0xd9);	/* EVEX P0 bit 3 */
	EXPECT(64, -EINVAL, 0x62, 0xf1, 0x68, 0x48, 0x58, 0xd9);	/* EVEX P1 bit 2 clear */
	/* Not a mode. */
	CHECK_EQ(insn_len(BYTES(0x90), (enum insn_mode)8), -EINVAL);
}

static void case_vex_or_legacy(void)
{
	/* Outside 64-bit mode, mod != 11 after C4/C5/62 means LES/LDS/BOUND. */
	EXPECT(32, 2, 0xc4, 0x00);				/* les eax, [eax] */
	EXPECT(32, 3, 0xc5, 0x40, 0x10);			/* lds eax, [eax+0x10] */
	EXPECT(16, 4, 0xc5, 0x06, 0x34, 0x12);			/* lds ax, [0x1234] */
	EXPECT(32, 2, 0x62, 0x03);				/* bound eax, [ebx] */
	EXPECT(32, 4, 0xc5, 0xf8, 0x58, 0xc1);			/* vaddps */
	EXPECT(32, 5, 0xc4, 0xe1, 0x78, 0x58, 0xc1);
	EXPECT(32, 6, 0x62, 0xf1, 0x6c, 0x48, 0x58, 0xd9);	/* EVEX vaddps zmm */
	EXPECT(16, 4, 0xc5, 0xf8, 0x58, 0xc1);
	/* In 64-bit mode they are always VEX / EVEX. */
	EXPECT(64, 5, 0xc5, 0x78, 0x58, 0x40, 0x10);		/* VEX.R clear (r8-r15) */
	EXPECT(64, 3, 0xc5, 0xf8, 0x77);			/* vzeroupper: no ModRM */
	EXPECT(64, 4, 0xc5, 0xf8, 0x58, 0xc1);
	/* 8F: POP Ev unless the next byte selects XOP map 8 or above. */
	EXPECT(64, 2, 0x8f, 0xc0);				/* pop rax */
	EXPECT(64, 3, 0x8f, 0x40, 0x08);			/* pop [rax+8] */
	EXPECT(32, 6, 0x8f, 0x05, 1, 2, 3, 4);			/* pop [disp32] */
	EXPECT(64, 6, 0x8f, 0xe8, 0x78, 0xc0, 0xca, 0x03);	/* vprotb imm */
	EXPECT(64, 5, 0x8f, 0xe9, 0x78, 0x80, 0xca);		/* vfrczps */
	EXPECT(64, 9, 0x8f, 0xea, 0x78, 0x10, 0xd8, 1, 2, 3, 4);	/* bextr imm32 */
	/* VEX map 0F: only some opcodes carry an immediate. */
	EXPECT(64, 5, 0xc5, 0xf9, 0x70, 0xc1, 0x1b);		/* vpshufd */
	EXPECT(64, 4, 0xc5, 0xf9, 0x6f, 0xc1);			/* vmovdqa */
	EXPECT(64, 6, 0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x03);	/* vpalignr (0F3A) */
	EXPECT(64, 5, 0xc4, 0xe2, 0x79, 0x00, 0xc1);		/* vpshufb (0F38) */
	/* Truncated inside the VEX prefix, or before it can be told apart. */
	EXPECT(32, -EAGAIN, 0xc4);
	EXPECT(64, -EAGAIN, 0xc4, 0xe1);
	EXPECT(64, -EAGAIN, 0x62, 0xf1, 0x6c);
	EXPECT(64, -EAGAIN, 0x8f);
}

static void case_modrm_forms(void)
{
	/* 32/64-bit addressing. */
	EXPECT(32, 2, 0x8b, 0x00);				/* [eax] */
	EXPECT(32, 3, 0x8b, 0x04, 0x24);			/* [esp] (SIB) */
	EXPECT(32, 4, 0x8b, 0x44, 0x24, 0x08);			/* [esp+8] */
	EXPECT(32, 7, 0x8b, 0x04, 0x25, 1, 2, 3, 4);		/* SIB, no base: disp32 */
	EXPECT(32, 7, 0x8b, 0x84, 0x24, 1, 2, 3, 4);		/* [esp+disp32] */
	EXPECT(32, 3, 0x8b, 0x45, 0x00);			/* [ebp+0] */
	EXPECT(64, 6, 0x8b, 0x05, 1, 2, 3, 4);			/* RIP-relative */
	EXPECT(64, 7, 0x67, 0x8b, 0x05, 1, 2, 3, 4);		/* EIP-relative */
	EXPECT(64, 4, 0x41, 0x8b, 0x45, 0x00);			/* [r13+0] */
	EXPECT(64, 4, 0x41, 0x8b, 0x04, 0x24);			/* [r12] */
	/* 16-bit addressing, also through 67 from 32-bit mode. */
	EXPECT(16, 2, 0x8b, 0x00);				/* [bx+si] */
	EXPECT(16, 4, 0x8b, 0x06, 0x34, 0x12);			/* [disp16] */
	EXPECT(16, 3, 0x8b, 0x46, 0x12);			/* [bp+disp8] */
	EXPECT(16, 4, 0x8b, 0x86, 0x34, 0x12);			/* [bp+disp16] */
	EXPECT(16, 2, 0x8b, 0x04);				/* [si]: no SIB in 16-bit */
	EXPECT(32, 5, 0x67, 0x8b, 0x06, 0x34, 0x12);
	EXPECT(16, 8, 0x67, 0x8b, 0x84, 0x98, 1, 2, 3, 4);	/* 32-bit SIB from real mode */
	/* MOV to/from CR and DR ignore mod: always a register operand. */
	EXPECT(64, 3, 0x0f, 0x20, 0x00);
	EXPECT(64, 3, 0x0f, 0x22, 0x45);
	EXPECT(32, 3, 0x0f, 0x23, 0x05);
	EXPECT(64, 4, 0x44, 0x0f, 0x20, 0xc0);			/* mov rax, cr8 */
}

static void case_opcode_specials(void)
{
	/* Group 3: only TEST (/0 and its alias /1) has an immediate. */
	EXPECT(32, 3, 0xf6, 0xc0, 0x12);
	EXPECT(32, 3, 0xf6, 0xc8, 0x12);
	EXPECT(32, 2, 0xf6, 0xd0);
	EXPECT(32, 6, 0xf7, 0xc0, 1, 2, 3, 4);
	EXPECT(32, 5, 0x66, 0xf7, 0xc0, 1, 2);
	EXPECT(16, 4, 0xf7, 0x07, 1, 2);			/* test word [bx], imm16 */
	EXPECT(32, 2, 0xf7, 0x18);				/* neg dword [eax] */
	EXPECT(64, 7, 0x48, 0xf7, 0xc0, 1, 2, 3, 4);
	EXPECT(64, 3, 0x48, 0xf7, 0xf8);			/* idiv rax */
	/* SSE4a: EXTRQ / INSERTQ take two immediates, VMREAD none. */
	EXPECT(64, 6, 0x66, 0x0f, 0x78, 0xc1, 0x04, 0x08);
	EXPECT(64, 6, 0xf2, 0x0f, 0x78, 0xca, 0x04, 0x08);
	EXPECT(64, 3, 0x0f, 0x78, 0xc1);
	EXPECT(64, 4, 0x66, 0x0f, 0x79, 0xca);
	/* 3DNow!: ModRM, then the opcode as an immediate byte. */
	EXPECT(32, 4, 0x0f, 0x0f, 0xca, 0x9e);
	EXPECT(32, 5, 0x0f, 0x0f, 0x48, 0x10, 0x0d);
	/* ENTER, far pointers, RET imm16, INT imm8. */
	EXPECT(64, 4, 0xc8, 0x34, 0x12, 0x01);
	EXPECT(32, 7, 0xea, 1, 2, 3, 4, 0x10, 0x00);
	EXPECT(32, 6, 0x66, 0xea, 1, 2, 0x10, 0x00);
	EXPECT(16, 5, 0xea, 0xf0, 0xff, 0x00, 0xf0);
	EXPECT(16, 3, 0xc2, 0x04, 0x00);
	EXPECT(16, 2, 0xcd, 0x10);
	/* TSX. */
	EXPECT(64, 3, 0xc6, 0xf8, 0x12);			/* xabort */
	EXPECT(64, 6, 0xc7, 0xf8, 1, 2, 3, 4);			/* xbegin rel32 */
	EXPECT(64, 5, 0x66, 0xc7, 0xf8, 1, 2);			/* xbegin rel16 */
	/* FWAIT is an instruction of its own. */
	EXPECT(32, 1, 0x9b, 0xdf, 0xe0);
}

/* The fields the run loop uses besides the length. */
static void case_decoded_fields(void)
{
	static const uint8_t lock_add[] = {
		0x64, 0xf0, 0x48, 0x81, 0x84, 0xd8, 0x78, 0x56, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde,
	};
	struct insn in;

	CHECK_EQ(insn_decode(lock_add, sizeof(lock_add), INSN_MODE_64, &in), 14);
	CHECK_EQ(in.prefixes, INSN_PFX_LOCK | INSN_PFX_SEG);
	CHECK_EQ(in.seg, 4);
	CHECK_EQ(in.rex, 0x48);
	CHECK_EQ(in.encoding, INSN_ENC_LEGACY);
	CHECK_EQ(in.map, INSN_MAP_ONE);
	CHECK_EQ(in.opcode, 0x81);
	CHECK_EQ(in.opsize, 8);
	CHECK_EQ(in.addrsize, 8);
	CHECK(in.has_modrm && in.has_sib);
	CHECK_EQ(in.modrm, 0x84);
	CHECK_EQ(in.sib, 0xd8);
	CHECK_EQ(in.disp_size, 4);
	CHECK_EQ(in.disp, 0x12345678);
	CHECK_EQ(in.imm_size, 4);
	CHECK_EQ(in.imm, 0xdeadbeef);

	/* RDTSCP and RDTSC: what tells them apart when the exit code cannot. */
	CHECK_EQ(insn_decode(BYTES(0x0f, 0x01, 0xf9), INSN_MODE_64, &in), 3);
	CHECK(in.map == INSN_MAP_0F && in.opcode == 0x01 && in.has_modrm && in.modrm == 0xf9);
	CHECK_EQ(insn_decode(BYTES(0x0f, 0x31), INSN_MODE_64, &in), 2);
	CHECK(in.map == INSN_MAP_0F && in.opcode == 0x31 && !in.has_modrm);

	/* Displacements are sign-extended, moffs zero-extended. */
	CHECK_EQ(insn_decode(BYTES(0x8b, 0x45, 0xf8), INSN_MODE_32, &in), 3);
	CHECK_EQ(in.disp_size, 1);
	CHECK_EQ(in.disp, -8);
	CHECK_EQ(insn_decode(BYTES(0x8b, 0x86, 0x00, 0x80), INSN_MODE_16, &in), 4);
	CHECK_EQ(in.disp, -32768);
	CHECK_EQ(insn_decode(BYTES(0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0xf1),
			     INSN_MODE_64, &in), 9);
	CHECK_EQ(in.disp_size, 8);
	CHECK(in.disp == (int64_t)0xf122334455667788ull);

	/* Second immediates. */
	CHECK_EQ(insn_decode(BYTES(0xc8, 0x34, 0x12, 0x01), INSN_MODE_32, &in), 4);
	CHECK(in.imm_size == 2 && in.imm == 0x1234 && in.imm2_size == 1 && in.imm2 == 1);
	CHECK_EQ(insn_decode(BYTES(0x9a, 0x78, 0x56, 0x34, 0x12, 0x10, 0x00), INSN_MODE_32, &in), 7);
	CHECK(in.imm == 0x12345678 && in.imm2_size == 2 && in.imm2 == 0x10);
	CHECK_EQ(insn_decode(BYTES(0x66, 0x0f, 0x78, 0xc1, 0x04, 0x08), INSN_MODE_64, &in), 6);
	CHECK(in.imm == 4 && in.imm2 == 8);

	/* VEX / EVEX / XOP. */
	CHECK_EQ(insn_decode(BYTES(0xc4, 0xe3, 0xfd, 0x00, 0xca, 0x1b), INSN_MODE_64, &in), 6);
	CHECK(in.encoding == INSN_ENC_VEX && in.map == INSN_MAP_0F3A && in.opcode == 0x00);
	CHECK(in.opsize == 8 && in.imm == 0x1b);
	CHECK_EQ(insn_decode(BYTES(0x62, 0xf1, 0x6c, 0x48, 0x58, 0x58, 0x01), INSN_MODE_64, &in), 7);
	CHECK(in.encoding == INSN_ENC_EVEX && in.map == INSN_MAP_0F && in.disp == 1);
	CHECK_EQ(insn_decode(BYTES(0x8f, 0xe8, 0x78, 0xc0, 0xca, 0x03), INSN_MODE_64, &in), 6);
	CHECK(in.encoding == INSN_ENC_XOP && in.map == INSN_MAP_XOP8 && in.imm == 3);

	/* No prefix: sizes by mode, no segment. */
	CHECK_EQ(insn_decode(BYTES(0x90), INSN_MODE_16, &in), 1);
	CHECK(in.opsize == 2 && in.addrsize == 2 && in.seg == INSN_SEG_NONE && in.rex == 0);
	CHECK_EQ(insn_decode(BYTES(0x67, 0x66, 0x90), INSN_MODE_32, &in), 3);
	CHECK(in.opsize == 2 && in.addrsize == 2);
}

/* ------------------------------------------------------------------------
 * Robustness
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return rand_next(&rng_state);
}

/* Random bytes that often start like an instruction worth decoding. */
static void random_insn(uint8_t *b, size_t n, int mode)
{
	static const uint8_t prefixes[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
	};
	static const uint8_t escapes[] = { 0x0f, 0xc4, 0xc5, 0x62, 0x8f, 0xf6, 0xf7 };
	size_t i = 0, k;

	for (k = 0; k < n; k++)
		b[k] = (uint8_t)rng();
	for (k = rng() % 4; k > 0 && i < n; k--)
		b[i++] = prefixes[rng() % ARRAY_SIZE(prefixes)];
	if (mode == 64 && i < n && rng() % 3 == 0)
		b[i++] = 0x40 | (rng() & 0xf);
	if (i < n && rng() % 2)
		b[i++] = escapes[rng() % ARRAY_SIZE(escapes)];
	if (i < n && b[i - (i > 0)] == 0x0f && rng() % 4 == 0)
		b[i] = rng() % 2 ? 0x38 : 0x3a;
}

static bool result_ok(int r, size_t avail)
{
	if (r > 0)
		return r <= X86_INSN_MAX_LEN && (size_t)r <= avail;
	return r == -EAGAIN || r == -E2BIG || r == -EINVAL;
}

static void case_random_bytes(void)
{
	static const int modes[] = { 16, 32, 64 };
	uint8_t src[X86_INSN_MAX_LEN];
	int iter;

	for (iter = 0; iter < 300000; iter++) {
		int mode = modes[rng() % 3];
		size_t avail = rng() % (X86_INSN_MAX_LEN + 1);
		uint8_t *p;
		int r, again;

		random_insn(src, sizeof(src), mode);
		r = len_exact(src, avail, mode);
		if (!result_ok(r, avail) || (r == -EAGAIN && avail == X86_INSN_MAX_LEN)) {
			fprintf(stderr, "  iteration %d: mode %d avail %zu: %d\n", iter, mode, avail, r);
			check_case_failed = 1;
			return;
		}
		/* Deterministic, and an over-long avail reads no more than 15 bytes. */
		p = exact_copy(src, X86_INSN_MAX_LEN);
		again = insn_len(p, avail, (enum insn_mode)mode);
		CHECK_EQ(again, r);
		if (r != -EAGAIN) {
			CHECK_EQ(insn_len(p, 64, (enum insn_mode)mode), r);
		} else {
			/* More bytes never make it end inside what was there. */
			again = insn_len(p, X86_INSN_MAX_LEN, (enum insn_mode)mode);
			CHECK(again < 0 || (size_t)again > avail);
		}
		free(p);
		if (r > 0) {
			/* The instruction alone decodes the same; one byte less does not. */
			CHECK_EQ(len_exact(src, (size_t)r, mode), r);
			CHECK_EQ(len_exact(src, (size_t)r - 1, mode), -EAGAIN);
		}
		if (check_case_failed) {
			fprintf(stderr, "  iteration %d: mode %d avail %zu\n", iter, mode, avail);
			return;
		}
	}
}

int main(void)
{
	RUN(case_prefix_rules);
	RUN(case_fifteen_byte_limit);
	RUN(case_invalid_encodings);
	RUN(case_vex_or_legacy);
	RUN(case_modrm_forms);
	RUN(case_opcode_specials);
	RUN(case_decoded_fields);
	RUN(case_random_bytes);
	return check_done();
}
