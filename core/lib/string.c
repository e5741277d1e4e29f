/*
 * Memory and string functions. Runs anywhere: any CPU, any context; no
 * locks, no state.
 *
 * The libc-named functions are built only into the freestanding hypervisor;
 * hosted tests (-DHV_HOSTED) take them from the host libc and its
 * sanitizer interceptors, and link this file for hv_strlcpy() alone.
 *
 * GCC may emit calls to memcpy, memmove, memset and memcmp on its own (for
 * structure copies and for loops it recognises), even with -ffreestanding.
 * memcpy and memset are therefore written as inline assembly, so they cannot
 * be compiled into calls to themselves, and the one copy loop in memmove
 * hides its pointer from the compiler for the same reason.
 *
 * The string instructions run forwards only: the direction flag is never
 * set here, so an interrupt that lands in these functions finds DF clear,
 * as the ABI requires.
 */
#include "core/lib/compiler.h"
#include "core/lib/string.h"

#ifndef HV_HOSTED

/*
 * Bulk work moves 8 bytes per iteration: a CPU with fast strings does not
 * care, but an emulator executes REP one iteration at a time (zeroing a
 * guest's RAM with STOSB under QEMU TCG took a second per 256 MiB).
 */
#define STRING_QWORD_MIN 64

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	size_t q;

	if (n >= STRING_QWORD_MIN) {
		q = n / 8;
		n %= 8;
		__asm__ __volatile__("rep movsq"
				     : "+D"(dst), "+S"(src), "+c"(q)
				     :
				     : "memory");
	}
	__asm__ __volatile__("rep movsb"
			     : "+D"(dst), "+S"(src), "+c"(n)
			     :
			     : "memory");
	return ret;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	size_t q;

	if (n >= STRING_QWORD_MIN) {
		uint64_t v = 0x0101010101010101ull * (uint8_t)c;

		q = n / 8;
		n %= 8;
		__asm__ __volatile__("rep stosq"
				     : "+D"(dst), "+c"(q)
				     : "a"(v)
				     : "memory");
	}
	__asm__ __volatile__("rep stosb"
			     : "+D"(dst), "+c"(n)
			     : "a"(c)
			     : "memory");
	return ret;
}

/* An unaligned 64-bit access that may alias anything. */
typedef uint64_t __attribute__((may_alias, aligned(1))) u64_unaligned;

/*
 * Copies from the end towards the start, for dst above an overlapping src.
 * Each word is loaded whole before it is stored, and every store lands at or
 * above the source still to be read, so any overlap is handled.
 */
static void memmove_backward(unsigned char *dst, const unsigned char *src,
			     size_t n)
{
	while (n >= 8) {
		n -= 8;
		*(u64_unaligned *)(dst + n) = *(const u64_unaligned *)(src + n);
		/* Keep GCC from turning the loops into memmove() calls. */
		__asm__("" : "+r"(dst));
	}
	while (n) {
		n--;
		dst[n] = src[n];
		__asm__("" : "+r"(dst));
	}
}

void *memmove(void *dst, const void *src, size_t n)
{
	/*
	 * Unsigned distance: dst below src, or at least n bytes above it,
	 * is safe to copy forwards.
	 */
	if ((uintptr_t)dst - (uintptr_t)src >= n)
		return memcpy(dst, src, n);
	memmove_backward(dst, src, n);
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	}
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t maxlen)
{
	size_t n = 0;

	while (n < maxlen && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	while (*pa && *pa == *pb) {
		pa++;
		pb++;
	}
	return *pa == *pb ? 0 : *pa < *pb ? -1 : 1;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	for (; n; n--, pa++, pb++) {
		if (*pa != *pb)
			return *pa < *pb ? -1 : 1;
		if (!*pa)
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

#endif /* !HV_HOSTED */

size_t hv_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = 0;

	for (; src[len]; len++) {
		if (len + 1 < size)
			dst[len] = src[len];
	}
	if (size)
		dst[len < size ? len : size - 1] = '\0';
	return len;
}
