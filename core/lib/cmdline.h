/*
 * Boot command line. Parsed once on the boot CPU, early, before other CPUs
 * start; the lookups only read the parsed copy and may run on any CPU
 * afterwards. No locks.
 *
 * The line is a list of options separated by blanks (space, tab, newline):
 *
 *	key		a bare key; cmdline_get() returns ""
 *	key=value	value runs to the next blank
 *	key="a b"	value is everything between the quotes, blanks included
 *
 * Keys are case-sensitive. A quote may only open a value, right after '=',
 * and its closing quote must end the option. When a key is given more than
 * once, the last occurrence wins.
 *
 * Options the hypervisor reads: console=com1|com2|<port>, baud=<n>,
 * loglevel=0..3|err|warn|info|debug, selftest=<name>, trace=<n>,
 * gdb=com1..com4|<port>|off, focus=vm|hv.
 */
#ifndef CORE_CMDLINE_H
#define CORE_CMDLINE_H

#include "core/lib/compiler.h"

/* Longest command line accepted, including its NUL. */
#define CMDLINE_SIZE		512
#define CMDLINE_MAX_OPTS	32
/* Longest key and value, in characters (quotes not counted). */
#define CMDLINE_KEY_MAX		31
#define CMDLINE_VALUE_MAX	255

/*
 * A parsed command line. Self-contained: keys and values are copied into
 * buf and referred to by offset, so the caller's string may go away and the
 * structure may be copied.
 */
struct cmdline {
	unsigned int nr_opts;
	struct {
		uint16_t key;	/* offset in buf of the NUL-terminated key */
		uint16_t value;	/* offset in buf of the NUL-terminated value */
	} opts[CMDLINE_MAX_OPTS];
	char buf[CMDLINE_SIZE];
};

/*
 * Parses s (NULL: an empty line) into cl. Returns 0, -E2BIG if s has
 * CMDLINE_SIZE characters or more, or -EINVAL for a malformed line: an
 * unterminated or misplaced quote, an option with an empty key, a key or
 * value over CMDLINE_KEY_MAX/CMDLINE_VALUE_MAX, or more than
 * CMDLINE_MAX_OPTS options. Errors are reported with pr_err() naming the
 * problem. On failure cl holds no options, so every lookup finds nothing
 * and the caller may carry on with defaults.
 */
int cmdline_parse(struct cmdline *cl, const char *s);

/*
 * Value of the last occurrence of key: "" for a bare key, NULL if key is
 * absent. The string lives in cl.
 */
const char *cmdline_get(const struct cmdline *cl, const char *key);

/* Whether key is present, bare or with a value. */
bool cmdline_has(const struct cmdline *cl, const char *key);

/*
 * Value of key as a number, see parse_u64(). Returns 0 and sets *out,
 * -ENOENT if key is absent, or parse_u64()'s error (a bare key is
 * -EINVAL). *out is left alone on failure. Prints nothing: the caller knows
 * what the option means and says so.
 */
int cmdline_get_u64(const struct cmdline *cl, const char *key, uint64_t *out);

/*
 * Parses the whole of s as an unsigned number: decimal, or hexadecimal
 * after "0x" or "0X" (a leading 0 does not mean octal), optionally followed
 * by one suffix K, M or G (either case) multiplying by 2^10, 2^20 or 2^30.
 * Returns 0 and sets *out, -EINVAL if s is empty or holds anything else
 * (signs, blanks, a bare "0x", trailing text), or -ERANGE if the value does
 * not fit in 64 bits. *out is left alone on failure.
 */
int parse_u64(const char *s, uint64_t *out);

#endif
