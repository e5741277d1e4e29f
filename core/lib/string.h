/*
 * Memory and string functions. Runs anywhere.
 *
 * The hypervisor gets the libc-named functions from core/lib/string.c; hosted
 * tests get them from the host libc, so this header declares them with the
 * standard prototypes and may be included together with <string.h>.
 * hv_strlcpy() has no libc counterpart and is built in both.
 */
#ifndef CORE_STRING_H
#define CORE_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/*
 * BSD strlcpy: copies at most size - 1 bytes of src to dst and
 * NUL-terminates dst when size > 0. Returns strlen(src), so a return value
 * >= size means the copy was truncated. src and dst must not overlap.
 */
size_t hv_strlcpy(char *dst, const char *src, size_t size);

#endif
