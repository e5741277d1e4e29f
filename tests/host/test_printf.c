/*
 * core/lib/printf.c against the host libc. Hosted test, single thread.
 *
 * Every supported format is printed by both hv_snprintf() and glibc's
 * snprintf(), and the return values and bytes must agree: first a fixed
 * table, then every combination of flags, width and precision for each
 * integer conversion, then thousands of random specifications. The few
 * places where we differ from glibc on purpose (unsupported conversions,
 * output past INT_MAX) are checked against literal expectations instead.
 */
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "tests/host/check.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

/* Output of both sides of one comparison. */
#define CMP_BUF 1024
static char libc_buf[CMP_BUF];
static char hv_buf[CMP_BUF];

static void cmp_result(int line, const char *what, int libc_ret, int hv_ret,
		       size_t size)
{
	size_t n;

	if (libc_ret != hv_ret) {
		fprintf(stderr, "  %s:%d: %s: returned %d, libc %d\n",
			__FILE__, line, what, hv_ret, libc_ret);
		check_case_failed = 1;
		return;
	}
	if (!size || libc_ret < 0)
		return;
	/* Compare the terminator too, and any NUL printed by %c. */
	n = (size_t)libc_ret < size ? (size_t)libc_ret + 1 : size;
	if (memcmp(libc_buf, hv_buf, n) != 0) {
		fprintf(stderr, "  %s:%d: %s: printed \"%.*s\", libc \"%.*s\"\n",
			__FILE__, line, what, (int)n, hv_buf, (int)n, libc_buf);
		check_case_failed = 1;
	}
}

/* Prints the arguments with both, into buffers of size bytes, and compares. */
#define CMP_SIZE(size, ...)						\
	cmp_result(__LINE__, #__VA_ARGS__,				\
		   snprintf(libc_buf, (size), __VA_ARGS__),		\
		   hv_snprintf(hv_buf, (size), __VA_ARGS__), (size))
#define CMP(...) CMP_SIZE(CMP_BUF, __VA_ARGS__)

/*
 * Formats made odd on purpose (flags the conversion ignores, NULL strings,
 * output past INT_MAX) would otherwise stop the build.
 */
#define ODD_FORMATS_BEGIN						\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wformat\"")			\
	_Pragma("GCC diagnostic ignored \"-Wformat-extra-args\"")	\
	_Pragma("GCC diagnostic ignored \"-Wformat-zero-length\"")	\
	_Pragma("GCC diagnostic ignored \"-Wformat-overflow\"")		\
	_Pragma("GCC diagnostic ignored \"-Wformat-truncation\"")
#define ODD_FORMATS_END _Pragma("GCC diagnostic pop")

/* hv_snprintf() into a fresh buffer must give exactly expect, and return its length. */
#define EXPECT(expect, ...)						\
	do {								\
		char __b[256];						\
		int __n = hv_snprintf(__b, sizeof(__b), __VA_ARGS__);	\
		CHECK_STR(__b, expect);					\
		CHECK_EQ(__n, strlen(expect));				\
	} while (0)

static void case_signed_decimal(void)
{
	CMP("%d", 0);
	CMP("%d", 1);
	CMP("%d", -1);
	CMP("%d", 42);
	CMP("%i", -42);
	CMP("%d", INT_MAX);
	CMP("%d", INT_MIN);
	CMP("%i", INT_MIN);
	CMP("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	CMP("[%5d] [%-5d] [%05d] [%+d] [% d]", -42, -42, -42, -42, -42);
	CMP("[%+05d] [% 05d] [%-+5d] [%- 5d]", 7, 7, 7, 7);
	CMP("[%.0d] [%.d] [%5.0d] [%-5.0d] [%+.0d] [% .0d]", 0, 0, 0, 0, 0, 0);
	CMP("[%.3d] [%.3d] [%-8.3d]", 7, -7, 7);
ODD_FORMATS_BEGIN
	/* '0' is ignored when a precision is given. */
	CMP("[%08.3d] [%08.3d] [%0-8.3d]", -7, 7, 7);
ODD_FORMATS_END
	CMP("[%.12d] [%20.12d]", INT_MIN, INT_MIN);
	CMP("[%1d] [%2d] [%011d] [%012d]", INT_MIN, INT_MIN, INT_MIN, INT_MIN);
	CMP("%d%d%d", 1, -2, 3);
}

static void case_unsigned_conversions(void)
{
	CMP("%u %x %X %o", 0u, 0u, 0u, 0u);
	CMP("%u %x %X %o", 1u, 1u, 1u, 1u);
	CMP("%u %x %X %o", UINT_MAX, UINT_MAX, UINT_MAX, UINT_MAX);
	CMP("%u %x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0xdeadbeefu, 0xdeadbeefu);
	CMP("[%#x] [%#X] [%#o]", 0u, 0u, 0u);
	CMP("[%#x] [%#X] [%#o]", 255u, 255u, 8u);
	CMP("[%#.0x] [%#.0o] [%.0o] [%.0x]", 0u, 0u, 0u, 0u);
	CMP("[%#.3o] [%#.4o] [%#5o] [%#-5o] [%#05o]", 8u, 8u, 8u, 8u, 8u);
	CMP("[%#08x] [%#-8x] [%#8x] [%#.6x] [%#10.6X]", 255u, 255u, 255u,
	    255u, 255u);
	CMP("[%#5.0x] [%#5.0o] [%#05x]", 0u, 0u, 0u);
	CMP("[%08x] [%-8X] [%8.3o] [%.8u]", 0xabcu, 0xabcu, 0xabcu, 0xabcu);
}

static void case_length_modifiers(void)
{
	CMP("%hhd %hhd %hhd %hhd", 127, 128, 255, 300);
	CMP("%hhd %hhi", SCHAR_MIN, -129);
	CMP("%hhu %hhx %hhX %hho", 300, -1, 255, 511);
	CMP("%hd %hd %hd", SHRT_MAX, SHRT_MIN, 70000);
	CMP("%hu %hx %ho", 70000, -1, USHRT_MAX);
	CMP("%ld %li %ld", LONG_MAX, LONG_MIN, -1L);
	CMP("%lu %lx %lX %lo", ULONG_MAX, ULONG_MAX, 0x123456789abcdefUL,
	    ULONG_MAX);
	CMP("%lld %lli %lld", LLONG_MAX, LLONG_MIN, 0LL);
	CMP("%llu %llx %llX %llo", ULLONG_MAX, ULLONG_MAX, ULLONG_MAX,
	    ULLONG_MAX);
	CMP("[%+25lld] [%-25lld] [%025lld] [%.25lld]", LLONG_MIN, LLONG_MIN,
	    LLONG_MIN, LLONG_MIN);
	CMP("[%#llo] [%#llx] [%#30.25llX]", ULLONG_MAX, ULLONG_MAX,
	    ULLONG_MAX);
	CMP("%zu %zx %zd %zd", SIZE_MAX, SIZE_MAX, (ssize_t)-1,
	    (ssize_t)PTRDIFF_MIN);
	CMP("%td %ti %tu %tx", PTRDIFF_MIN, PTRDIFF_MAX, (ptrdiff_t)-1,
	    (ptrdiff_t)-1);
	CMP("%jd %ji %ju %jx %jo", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX,
	    UINTMAX_MAX, UINTMAX_MAX);
	/* Mixed widths in one call: each argument must be read at its size. */
	CMP("%hhd %lld %d %zu %hd %jx %ld", -5, LLONG_MIN, INT_MAX,
	    (size_t)7, -300, UINTMAX_MAX, LONG_MIN);
}

static void case_star_width_precision(void)
{
	CMP("[%*d] [%*d] [%*d]", 5, 42, -5, 42, 0, 42);
	CMP("[%-*d] [%0*d] [%0*d]", -5, 42, 5, -42, -5, 42);
	CMP("[%.*d] [%.*d] [%.*d]", 5, 42, -5, 42, 0, 0);
	CMP("[%*.*d] [%*.*x] [%-*.*o]", 8, 4, -3, -8, 4, 0xabu, 6, 3, 9u);
ODD_FORMATS_BEGIN
	/* A negative '*' precision counts as none, so '0' applies again. */
	CMP("[%0*.*d] [%0*.*d]", 8, -1, 42, 8, 3, 42);
ODD_FORMATS_END
	CMP("[%*s] [%-*s] [%.*s] [%*.*s]", 6, "ab", 6, "ab", 1, "ab", -6, 1,
	    "ab");
	CMP("[%*c] [%*c]", 3, 'x', -3, 'y');
	CMP("[%*p] [%-*p]", 20, (void *)0x1234, 20, (void *)0x1234);
}

static void case_strings_and_chars(void)
{
	CMP("%s", "");
	CMP("%s", "hello");
	CMP("[%10s] [%-10s] [%.2s] [%10.2s] [%-10.2s] [%.0s] [%.10s]", "hello",
	    "hello", "hello", "hello", "hello", "hello", "hello");
	CMP("[%c] [%3c] [%-3c] [%c]", 'a', 'b', 'c', 0x141);
	CMP("a%cb", 0);
	CMP("[%3c%c]", 0, 0);
	CMP("%%");
	CMP("[%%] [%d%%] [%%%d]", 5, 6);
	CMP("%s %s %s", "one", "two", "three");

ODD_FORMATS_BEGIN
	/* NULL prints "(null)", or nothing if the precision would cut it. */
	CMP("[%s] [%10s] [%-10s] [%.6s] [%.7s]", (char *)NULL, (char *)NULL,
	    (char *)NULL, (char *)NULL, (char *)NULL);
	CMP("[%.5s] [%.0s] [%8.3s]", (char *)NULL, (char *)NULL,
	    (char *)NULL);
	EXPECT("(null)", "%s", (char *)NULL);
	/* Flags meant for numbers are ignored by %s and %c, as glibc does. */
	CMP("[%05s] [%+s] [% s] [%#s] [%05c] [%+c]", "ab", "ab", "ab", "ab",
	    'x', 'y');
	/* We ignore length modifiers on %c and %s (glibc chokes on some). */
	EXPECT("[q] [h] [hs] [zs] [ll]", "[%hhc] [%hc] [%hs] [%zs] [%lls]",
	       'q', 'h', "hs", "zs", "ll");
ODD_FORMATS_END

	/* A string that is not NUL-terminated, within its precision. */
	{
		char unterminated[3] = { 'x', 'y', 'z' };

		CMP("[%.3s] [%.2s]", unterminated, unterminated);
	}
}

static void case_pointers(void)
{
	int local;

	CMP("%p", (void *)0x1);
	CMP("%p", (void *)0xffffffffffffffffull);
	CMP("%p", (void *)&local);
	CMP("[%20p] [%-20p]", (void *)0xabc, (void *)0xabc);
	CMP("[%p] [%10p] [%-10p]", NULL, NULL, NULL);
	EXPECT("0x1234", "%p", (void *)0x1234);
	EXPECT("(nil)", "%p", NULL);

ODD_FORMATS_BEGIN
	/* glibc honours the numeric flags and precision on %p; so do we. */
	CMP("[%.10p] [%.2p] [%.7p] [%-.0p|]", (void *)0xabc, NULL, NULL,
	    NULL);
	CMP("[%+p] [% p] [%020p] [%#p] [%+p]", (void *)0x10, (void *)0x10,
	    (void *)0x10, (void *)0x10, NULL);
	EXPECT("[0x10] [0x20]", "[%lp] [%hhp]", (void *)0x10, (void *)0x20);
ODD_FORMATS_END
}

/*
 * Every subset of the flags, with a range of widths and precisions, for
 * every integer conversion and a set of awkward values.
 */
static void case_flag_width_precision_matrix(void)
{
	static const char flag_chars[] = "-0 +#";
	static const char *const widths[] = { "", "1", "5", "12", "25" };
	static const char *const precs[] = { "", ".", ".0", ".1", ".5", ".12" };
	static const char convs[] = "diuxXo";
	static const long long values[] = {
		0, 1, -1, 7, 8, 255, -255, 1000000, INT_MAX, INT_MIN,
		LLONG_MAX, LLONG_MIN,
	};
	unsigned int mask;
	size_t w, p, c, v;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	for (mask = 0; mask < 32; mask++) {
		char flags[8];
		size_t nf = 0, i;

		for (i = 0; i < 5; i++) {
			if (mask & (1u << i))
				flags[nf++] = flag_chars[i];
		}
		flags[nf] = '\0';
		for (w = 0; w < ARRAY_SIZE(widths); w++)
		for (p = 0; p < ARRAY_SIZE(precs); p++)
		for (c = 0; c < sizeof(convs) - 1; c++)
		for (v = 0; v < ARRAY_SIZE(values); v++) {
			char fmt[32], what[64];
			long long x = values[v];

			snprintf(fmt, sizeof(fmt), "[%%%s%s%sll%c]", flags,
				 widths[w], precs[p], convs[c]);
			snprintf(what, sizeof(what), "\"%s\", %lld", fmt, x);
			cmp_result(__LINE__, what,
				   snprintf(libc_buf, CMP_BUF, fmt, x),
				   hv_snprintf(hv_buf, CMP_BUF, fmt, x),
				   CMP_BUF);
			/* The same at int width, for the sign extension. */
			snprintf(fmt, sizeof(fmt), "[%%%s%s%s%c]", flags,
				 widths[w], precs[p], convs[c]);
			snprintf(what, sizeof(what), "\"%s\", %d", fmt, (int)x);
			cmp_result(__LINE__, what,
				   snprintf(libc_buf, CMP_BUF, fmt, (int)x),
				   hv_snprintf(hv_buf, CMP_BUF, fmt, (int)x),
				   CMP_BUF);
		}
	}
#pragma GCC diagnostic pop
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned int rng_below(unsigned int n)
{
	return (unsigned int)(rng() % n);
}

/* A value biased towards the edges: 0, ±1, extremes, short random. */
static uint64_t rng_value(void)
{
	switch (rng_below(8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (uint64_t)-1;
	case 3: return 1ull << 63;
	case 4: return (1ull << 63) - 1;
	case 5: return rng() >> rng_below(64);
	case 6: return (uint64_t)-(int64_t)(rng() >> rng_below(64));
	default: return rng();
	}
}

/* Argument types a random specification may take. */
enum arg_type {
	ARG_INT, ARG_UINT, ARG_LONG, ARG_ULONG, ARG_LLONG, ARG_ULLONG,
	ARG_SSIZE, ARG_SIZE, ARG_PTRDIFF, ARG_INTMAX, ARG_UINTMAX,
	ARG_STR, ARG_PTR,
};

/* A random length modifier for an integer conversion, and its type. */
static enum arg_type rng_length(char *out, bool is_signed)
{
	static const char *const mods[] = { "", "hh", "h", "l", "ll", "z",
					     "t", "j" };
	unsigned int i = rng_below(ARRAY_SIZE(mods));

	strcpy(out, mods[i]);
	switch (i) {
	case 3: return is_signed ? ARG_LONG : ARG_ULONG;
	case 4: return is_signed ? ARG_LLONG : ARG_ULLONG;
	case 5: return is_signed ? ARG_SSIZE : ARG_SIZE;
	case 6: return ARG_PTRDIFF;
	case 7: return is_signed ? ARG_INTMAX : ARG_UINTMAX;
	default: return is_signed ? ARG_INT : ARG_UINT;	/* promoted */
	}
}

/* A random number for a width or precision, mostly small. */
static int rng_field(void)
{
	switch (rng_below(10)) {
	case 0: return 0;
	case 1: return (int)rng_below(100) + 20;
	case 2: return (int)rng_below(1200);	/* past the buffer */
	default: return (int)rng_below(20);
	}
}

/* Calls fn(buf, size, fmt, [star args,] arg) with arg read at its type. */
#define CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, arg)		\
	((nstars) == 0 ? fn(buf, size, fmt, arg) :			\
	 (nstars) == 1 ? fn(buf, size, fmt, s0, arg) :			\
			 fn(buf, size, fmt, s0, s1, arg))

#define CALL_TYPED(fn, buf, size, fmt, nstars, s0, s1, type, v, str)	\
	({								\
		int __r;						\
		switch (type) {						\
		case ARG_INT: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (int)(v)); break; \
		case ARG_UINT: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (unsigned int)(v)); break; \
		case ARG_LONG: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (long)(v)); break; \
		case ARG_ULONG: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (unsigned long)(v)); break; \
		case ARG_LLONG: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (long long)(v)); break; \
		case ARG_ULLONG: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (unsigned long long)(v)); break; \
		case ARG_SSIZE: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (ssize_t)(v)); break; \
		case ARG_SIZE: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (size_t)(v)); break; \
		case ARG_PTRDIFF: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (ptrdiff_t)(v)); break; \
		case ARG_INTMAX: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (intmax_t)(v)); break; \
		case ARG_UINTMAX: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (uintmax_t)(v)); break; \
		case ARG_STR: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (str)); break; \
		case ARG_PTR: default: __r = CALL_STARS(fn, buf, size, fmt, nstars, s0, s1, (void *)(uintptr_t)(v)); break; \
		}							\
		__r;							\
	})

#define RANDOM_ROUNDS 20000

/*
 * Random specifications: any flags in any order (repeats included), a width
 * and precision written out or taken from '*' (negative ones too), a length
 * modifier, any conversion; printed between literal text into a buffer
 * of random size, so truncation is exercised as well.
 */
static void case_random_formats(void)
{
	static const char convs[] = "diuxXopsc";
	static const char *const strs[] = {
		"", "a", "hello", "hello, world", "with\ttab", NULL,
	};
	int round;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	for (round = 0; round < RANDOM_ROUNDS && !check_case_failed; round++) {
		char fmt[64], what[160];
		char *f = fmt;
		int stars[2], nstars = 0;
		unsigned int i, nflags;
		enum arg_type type;
		char conv = convs[rng_below(sizeof(convs) - 1)];
		uint64_t v = rng_value();
		const char *str = strs[rng_below(ARRAY_SIZE(strs))];
		size_t size;

		if (rng_below(2))
			*f++ = 'A';
		*f++ = '%';
		nflags = rng_below(4);
		for (i = 0; i < nflags; i++)
			*f++ = "-0 +#"[rng_below(5)];
		switch (rng_below(3)) {
		case 0:
			break;
		case 1:
			f += sprintf(f, "%d", rng_field());
			break;
		default:
			*f++ = '*';
			stars[nstars++] = rng_below(2) ? rng_field() :
							 -rng_field();
			break;
		}
		switch (rng_below(4)) {
		case 0:
			break;
		case 1:
			*f++ = '.';
			break;
		case 2:
			f += sprintf(f, ".%d", rng_field());
			break;
		default:
			f += sprintf(f, ".*");
			stars[nstars++] = rng_below(3) ? rng_field() :
							 -rng_field();
			break;
		}
		switch (conv) {
		case 'd':
		case 'i':
			type = rng_length(f, true);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			type = rng_length(f, false);
			break;
		case 's':
			type = ARG_STR;
			*f = '\0';
			break;
		case 'p':
			type = ARG_PTR;
			*f = '\0';
			break;
		default:
			type = ARG_INT;
			*f = '\0';
			break;
		}
		f += strlen(f);
		*f++ = conv;
		if (rng_below(2))
			*f++ = 'Z';
		*f = '\0';

		size = rng_below(4) ? CMP_BUF : rng_below(40);
		snprintf(what, sizeof(what),
			 "round %d: \"%s\" stars %d %d value %#llx size %zu",
			 round, fmt, nstars > 0 ? stars[0] : 0,
			 nstars > 1 ? stars[1] : 0, (unsigned long long)v,
			 size);
		cmp_result(__LINE__, what,
			   CALL_TYPED(snprintf, libc_buf, size, fmt, nstars,
				      stars[0], stars[1], type, v, str),
			   CALL_TYPED(hv_snprintf, hv_buf, size, fmt, nstars,
				      stars[0], stars[1], type, v, str),
			   size);
	}
#pragma GCC diagnostic pop
	CHECK_EQ(round, RANDOM_ROUNDS);
}

/*
 * Every buffer size from 0 to past the full length: the return value stays
 * the full length, the buffer holds the longest prefix that fits plus a NUL,
 * and nothing beyond size bytes is touched.
 */
static void check_truncation(const char *full, int line, const char *fmt,
			     ...) __printf(3, 4);

static void check_truncation(const char *full, int line, const char *fmt,
			     ...)
{
	size_t len = strlen(full);
	size_t size;

	for (size = 0; size <= len + 2; size++) {
		char buf[300];
		va_list ap;
		int ret;
		size_t i;

		memset(buf, 0x5a, sizeof(buf));
		va_start(ap, fmt);
		ret = hv_vsnprintf(buf, size, fmt, ap);
		va_end(ap);
		if (ret != (int)len) {
			fprintf(stderr, "  %s:%d: size %zu: returned %d, want %zu\n",
				__FILE__, line, size, ret, len);
			check_case_failed = 1;
		}
		if (size) {
			size_t kept = len < size ? len : size - 1;

			if (memcmp(buf, full, kept) != 0 || buf[kept] != '\0') {
				fprintf(stderr, "  %s:%d: size %zu: \"%s\"\n",
					__FILE__, line, size, buf);
				check_case_failed = 1;
			}
		}
		for (i = size; i < sizeof(buf); i++) {
			if (buf[i] != 0x5a) {
				fprintf(stderr, "  %s:%d: size %zu: byte %zu written\n",
					__FILE__, line, size, i);
				check_case_failed = 1;
				break;
			}
		}
	}
}

static void case_truncation(void)
{
	size_t size;

	check_truncation("hello, world", __LINE__, "hello, %s", "world");
	check_truncation("[   -42] [0x00ff]", __LINE__, "[%6d] [%#06x]", -42,
			 255u);
	check_truncation("-9223372036854775808", __LINE__, "%lld", LLONG_MIN);
	check_truncation("     (nil)|0xdead", __LINE__, "%10p|%p", NULL,
			 (void *)0xdead);
	check_truncation("pad               |", __LINE__, "%-18s|", "pad");
	check_truncation("", __LINE__, "%s", "");

	/* And the same sizes through libc, to agree on the edge cases. */
	for (size = 0; size < 40; size++) {
		CMP_SIZE(size, "%-8s|%8.3d|%#o|%c", "trunc", -5, 8u, 'z');
		CMP_SIZE(size, "%*d%%", 30, 1);
	}
}

static void case_null_buffer(void)
{
	char buf[4] = { 'x', 'x', 'x', 'x' };

	/* Size 0: nothing is written, the would-be length comes back. */
	CHECK_EQ(hv_snprintf(NULL, 0, "%d-%s", 12345, "abc"), 9);
ODD_FORMATS_BEGIN
	CHECK_EQ(hv_snprintf(NULL, 0, ""), 0);
ODD_FORMATS_END
	CHECK_EQ(hv_snprintf(buf, 0, "%s", "abc"), 3);
	CHECK_EQ(buf[0], 'x');
	CHECK_EQ(hv_snprintf(buf, 1, "%s", "abc"), 3);
	CHECK_EQ(buf[0], '\0');
	CHECK_EQ(buf[1], 'x');
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%s", ""), 0);
	CHECK_EQ(buf[0], '\0');
}

static void case_unsupported_conversions(void)
{
ODD_FORMATS_BEGIN
	/* Copied literally, consuming no argument: %d still gets 5. */
	EXPECT("%y 5", "%y %d", 5);
	EXPECT("%-08.3y|5", "%-08.3y|%d", 5);
	EXPECT("%n 5", "%n %d", 5);
	EXPECT("%f %Lf %qd 5", "%f %Lf %qd %d", 5);
	EXPECT("%lf 5", "%lf %d", 5);
	/* A lone '%', or a specification cut short, at the end. */
	EXPECT("abc%", "abc%");
	EXPECT("%", "%");
	EXPECT("1 %-5", "%d %-5", 1);
	EXPECT("%.", "%.");
	EXPECT("%ll", "%ll");
	/* '%%' ignores what stands between the two. */
	EXPECT("%|%", "%5%|%-hh%");
ODD_FORMATS_END
}

static void case_output_past_int_max(void)
{
	char buf[16];

ODD_FORMATS_BEGIN
	/* Padding past the buffer is counted, not written: this is fast. */
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%*d", INT_MAX, 1), INT_MAX);
	CHECK_STR(buf, "               ");
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%-*d", INT_MAX, 1), INT_MAX);
	CHECK_STR(buf, "1              ");
	/* One byte more is not representable: -EOVERFLOW, like C11. */
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "x%*d", INT_MAX, 1),
		 -EOVERFLOW);
	CHECK_STR(buf, "x              ");
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%*d", INT_MIN, 1), -EOVERFLOW);
	CHECK_STR(buf, "1              ");
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%.*d%.*d", INT_MAX, 1,
			     INT_MAX, 1), -EOVERFLOW);
	CHECK_STR(buf, "000000000000000");
	CHECK_EQ(hv_snprintf(NULL, 0, "%.*d", INT_MAX - 1, 1), INT_MAX - 1);
	/* Widths written out saturate rather than wrap. */
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%2147483647d", 1), INT_MAX);
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%2147483648d", 1), -EOVERFLOW);
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%99999999999999999999999d", 1),
		 -EOVERFLOW);
	CHECK_EQ(hv_snprintf(buf, sizeof(buf), "%.99999999999999999999s|",
			     "ab"), 3);
	CHECK_STR(buf, "ab|");
ODD_FORMATS_END
}

static int vformat(char *buf, size_t size, const char *fmt, ...)
	__printf(3, 4);

static int vformat(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void case_vsnprintf(void)
{
	char buf[64];

	CHECK_EQ(vformat(buf, sizeof(buf), "%s=%d %llx %c%p", "key", -3,
			 0x1234567890ull, '!', NULL), 24);
	CHECK_STR(buf, "key=-3 1234567890 !(nil)");
}

int main(void)
{
	RUN(case_signed_decimal);
	RUN(case_unsigned_conversions);
	RUN(case_length_modifiers);
	RUN(case_star_width_precision);
	RUN(case_strings_and_chars);
	RUN(case_pointers);
	RUN(case_flag_width_precision_matrix);
	RUN(case_random_formats);
	RUN(case_truncation);
	RUN(case_null_buffer);
	RUN(case_unsupported_conversions);
	RUN(case_output_past_int_max);
	RUN(case_vsnprintf);
	return check_done();
}
