/*
 * x86 instruction decoder: how long an instruction is and where its
 * parts are (prefixes, opcode, ModRM, SIB, displacement, immediates).
 * It does not say what the instruction does beyond that.
 *
 * Needed where the hardware does not report instruction lengths: AMD-V
 * without NRIP save (QEMU TCG), and QEMU's RDTSCP exit, which reports
 * the RDTSC exit code for a three-byte instruction. The caller fetches up
 * to 15 bytes at CS.base + RIP from guest memory (fewer where the next
 * page is not mapped) and decodes them in the mode the guest runs in.
 *
 * Pure function of its arguments: runs anywhere, no locks, no state;
 * never reads buf beyond avail bytes or beyond 15 bytes.
 *
 * Decoding follows the AMD64 APM vol. 3 and the Intel SDM vol. 2; where
 * they differ it follows AMD (the decoder serves the SVM backend): a 66
 * prefix on a near branch in 64-bit mode selects a 16-bit displacement.
 */
#ifndef CORE_INSN_LEN_H
#define CORE_INSN_LEN_H

#include "asm/cpu.h"
#include "core/lib/compiler.h"


/* Code size of the mode (real and virtual-8086 mode decode as 16). */
enum insn_mode {
	INSN_MODE_16 = 16,
	INSN_MODE_32 = 32,
	INSN_MODE_64 = 64,
};

/* Legacy prefixes seen (struct insn.prefixes). */
#define INSN_PFX_OPSIZE  BIT(0)	/* 66 */
#define INSN_PFX_ADSIZE  BIT(1)	/* 67 */
#define INSN_PFX_LOCK    BIT(2)	/* F0 */
#define INSN_PFX_REPNE   BIT(3)	/* F2 */
#define INSN_PFX_REP     BIT(4)	/* F3 */
#define INSN_PFX_SEG     BIT(5)	/* a segment override; seg says which */

#define INSN_SEG_NONE 0xff

/* How the opcode was encoded (struct insn.encoding). */
enum insn_encoding {
	INSN_ENC_LEGACY,	/* optional REX, then the opcode map escapes */
	INSN_ENC_VEX,		/* C4 / C5 */
	INSN_ENC_XOP,		/* 8F (AMD) */
	INSN_ENC_EVEX,		/* 62 */
};

/* Opcode maps (struct insn.map). */
#define INSN_MAP_ONE   0	/* one-byte opcodes */
#define INSN_MAP_0F    1
#define INSN_MAP_0F38  2
#define INSN_MAP_0F3A  3
#define INSN_MAP_EVEX5 5
#define INSN_MAP_EVEX6 6
#define INSN_MAP_XOP8  8
#define INSN_MAP_XOP9  9
#define INSN_MAP_XOPA  10

struct insn {
	uint8_t len;		/* total length in bytes */
	uint8_t prefixes;	/* INSN_PFX_* */
	uint8_t seg;		/* override's x86 sreg number, or INSN_SEG_NONE */
	uint8_t rex;		/* REX byte in effect (64-bit mode), 0: none */
	uint8_t encoding;	/* enum insn_encoding */
	uint8_t map;		/* INSN_MAP_* */
	uint8_t opcode;		/* the opcode byte within its map */
	uint8_t opsize;		/* operand size: 2, 4 or 8 bytes */
	uint8_t addrsize;	/* address size: 2, 4 or 8 bytes */
	bool has_modrm;
	bool has_sib;
	uint8_t modrm;
	uint8_t sib;
	uint8_t disp_size;	/* 0, 1, 2, 4, or 8 (64-bit moffs) */
	uint8_t imm_size;	/* 0, 1, 2, 4 or 8 */
	uint8_t imm2_size;	/* second immediate: ENTER, EXTRQ, far pointer selector */
	int64_t disp;		/* sign-extended; a moffs is zero-extended */
	uint64_t imm;		/* zero-extended */
	uint64_t imm2;
};

/*
 * Decodes the instruction at buf[0], of which avail bytes are readable.
 * Returns its length (1-15) with *out filled, or
 *   -EAGAIN  buf ends before the instruction does (fetch more),
 *   -E2BIG   it would be longer than 15 bytes (the CPU raises #GP),
 *   -EINVAL  no instruction has this encoding in this mode (#UD).
 * *out is unspecified on error.
 */
int insn_decode(const uint8_t *buf, size_t avail, enum insn_mode mode, struct insn *out);

/* Just the length: insn_decode() without the details. */
int insn_len(const uint8_t *buf, size_t avail, enum insn_mode mode);

#endif
