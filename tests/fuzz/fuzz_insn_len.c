/*
 * libFuzzer target for core/insn_len.c: arbitrary bytes decoded in 16-,
 * 32- and 64-bit mode. Built by tests/fuzz/fuzz.mk; tests/fuzz/run.sh
 * runs it.
 *
 * Input: the instruction bytes; all of them readable (avail is their
 * number, the bytes copied to a heap buffer of exactly that size so that
 * ASan sees any read past it).
 *
 * Invariants, each an abort() with a message:
 *  - insn_decode() answers a length of 1-15 that is <= avail, or -EAGAIN,
 *    -E2BIG or -EINVAL; insn_len() answers the same;
 *  - the fields of an accepted instruction are consistent: operand size
 *    2/4/8 (8 only in 64-bit mode), address size of the mode or its
 *    override, immediate and displacement sizes from their sets, the
 *    parts adding up to no more than the length;
 *  - an accepted instruction decodes the same from exactly len bytes and
 *    answers -EAGAIN from any fewer;
 *  - -EAGAIN only where avail < 15: more bytes could help; and the bytes
 *    followed by zeros never decode as shorter than avail (the decoder
 *    needed them all);
 *  - a prefix of 15 bytes is the most the decoder looks at: the answer
 *    from min(avail, 15) bytes is the answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/lib/errno.h"
#include "core/insn_len.h"

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_insn_len: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static int decode_copy(const uint8_t *data, size_t avail, enum insn_mode mode,
		       struct insn *out)
{
	uint8_t *buf = malloc(avail ? avail : 1);
	int ret;

	if (!buf)
		abort();
	memcpy(buf, data, avail);
	ret = insn_decode(buf, avail, mode, out);
	FUZZ_ASSERT(insn_len(buf, avail, mode) == ret);
	free(buf);
	return ret;
}

static void check_fields(const struct insn *x, int len, enum insn_mode mode)
{
	unsigned int parts;

	FUZZ_ASSERT(x->len == len);
	FUZZ_ASSERT(x->opsize == 2 || x->opsize == 4 || x->opsize == 8);
	FUZZ_ASSERT(x->opsize != 8 || mode == INSN_MODE_64);
	if (mode == INSN_MODE_64)
		FUZZ_ASSERT(x->addrsize == 8 || x->addrsize == 4);
	else
		FUZZ_ASSERT(x->addrsize == 2 || x->addrsize == 4);
	FUZZ_ASSERT(x->rex == 0 || (mode == INSN_MODE_64 && (x->rex & 0xf0) == 0x40));
	FUZZ_ASSERT(x->encoding <= INSN_ENC_EVEX);
	FUZZ_ASSERT(x->disp_size == 0 || x->disp_size == 1 || x->disp_size == 2 ||
		    x->disp_size == 4 || x->disp_size == 8);
	FUZZ_ASSERT(x->imm_size == 0 || x->imm_size == 1 || x->imm_size == 2 ||
		    x->imm_size == 4 || x->imm_size == 8);
	FUZZ_ASSERT(x->imm2_size <= 2);
	FUZZ_ASSERT(!x->has_sib || x->has_modrm);
	FUZZ_ASSERT(x->seg == INSN_SEG_NONE || x->seg < 6);
	FUZZ_ASSERT(!(x->prefixes & INSN_PFX_SEG) == (x->seg == INSN_SEG_NONE));
	if (x->imm_size && x->imm_size < 8)
		FUZZ_ASSERT(x->imm >> (8 * x->imm_size) == 0);
	parts = 1u + x->has_modrm + x->has_sib + x->disp_size + x->imm_size + x->imm2_size;
	FUZZ_ASSERT(parts <= (unsigned int)len);
}

static void fuzz_mode(const uint8_t *data, size_t size, enum insn_mode mode)
{
	struct insn x, y;
	uint8_t pad[X86_INSN_MAX_LEN];
	size_t avail = size, cut;
	int ret, again;

	ret = decode_copy(data, avail, mode, &x);
	FUZZ_ASSERT(ret == -EAGAIN || ret == -E2BIG || ret == -EINVAL ||
		    (ret >= 1 && ret <= X86_INSN_MAX_LEN && (size_t)ret <= avail));
	if (avail > X86_INSN_MAX_LEN)
		FUZZ_ASSERT(decode_copy(data, X86_INSN_MAX_LEN, mode, &y) == ret);
	if (ret == -EAGAIN) {
		/* More bytes could help: there is room for them, and zeros do. */
		FUZZ_ASSERT(avail < X86_INSN_MAX_LEN);
		memset(pad, 0, sizeof(pad));
		memcpy(pad, data, avail);
		again = decode_copy(pad, sizeof(pad), mode, &y);
		FUZZ_ASSERT(again != -EAGAIN);
		FUZZ_ASSERT(again < 0 || (size_t)again > avail);
		return;
	}
	if (ret < 0)
		return;
	check_fields(&x, ret, mode);
	FUZZ_ASSERT(decode_copy(data, (size_t)ret, mode, &y) == ret);
	FUZZ_ASSERT(y.opcode == x.opcode && y.map == x.map && y.imm == x.imm &&
		    y.disp == x.disp && y.modrm == x.modrm && y.prefixes == x.prefixes);
	for (cut = 0; cut < (size_t)ret; cut++)
		FUZZ_ASSERT(decode_copy(data, cut, mode, &y) == -EAGAIN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_mode(data, size, INSN_MODE_16);
	fuzz_mode(data, size, INSN_MODE_32);
	fuzz_mode(data, size, INSN_MODE_64);
	return 0;
}
