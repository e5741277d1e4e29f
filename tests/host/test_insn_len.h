/*
 * What the hosted tests of the x86 instruction decoder (core/insn_len.c)
 * share (test_insn_len.c, test_insn_len_rules.c): decoding from a heap
 * buffer of exactly the bytes given, so that ASan catches a read past it,
 * and EXPECT(mode, length, bytes...), which checks one length.
 */
#ifndef TESTS_HOST_TEST_INSN_LEN_H
#define TESTS_HOST_TEST_INSN_LEN_H

#include <stdint.h>
#include "core/lib/errno.h"
#include "core/insn_len.h"
#include "tests/host/check.h"

/* A heap copy of exactly n bytes of src, for ASan to guard. */
static inline uint8_t *exact_copy(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, src, n);
	return p;
}

/* Length of bytes[0..n) decoded from a buffer of exactly n bytes. */
static inline int len_exact(const uint8_t *bytes, size_t n, int mode)
{
	uint8_t *p = exact_copy(bytes, n);
	int r = insn_len(p, n, (enum insn_mode)mode);

	free(p);
	return r;
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

/* The length of one hand-written encoding, from an exact buffer. */
static inline void expect_len(int mode, const uint8_t *b, size_t n, int want, int line)
{
	int r = len_exact(b, n, mode);

	if (r != want) {
		fprintf(stderr, "  line %d: mode %d: got %d, want %d\n", line, mode, r, want);
		check_case_failed = 1;
	}
}
#define EXPECT(mode, want, ...) expect_len((mode), BYTES(__VA_ARGS__), (want), __LINE__)

#endif
