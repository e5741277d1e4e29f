/*
 * Formatted output into a buffer. Runs anywhere.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%; flags '-', '0', ' ', '+', '#';
 * width and precision (also '*'); length modifiers hh h l ll z t j.
 * Returns the length the full output would have had, like C99 snprintf;
 * the buffer is always NUL-terminated when size > 0.
 */
#ifndef CORE_PRINTF_H
#define CORE_PRINTF_H

#include <stdarg.h>
#include "core/lib/compiler.h"

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
