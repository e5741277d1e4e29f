/*
 * Formatted output into a buffer. Runs anywhere: any CPU, any context
 * (exception and NMI handlers included). Takes no locks, allocates nothing,
 * keeps all state on the stack and calls no library function, so it is
 * reentrant and safe to use before anything else is set up.
 *
 * The output matches glibc's snprintf for every format the contract in
 * core/lib/printf.h names (tests/host/test_printf.c compares the two), with
 * these deliberate differences:
 *  - a conversion we do not support (%n, %f, %L..., wide characters) is
 *    copied to the output literally, "%" through the offending character,
 *    and consumes no argument of its own ('*' fields still take theirs);
 *    a '%' or a specification cut short by the end of the format is copied
 *    literally too (glibc fails with -1);
 *  - length modifiers are ignored for %c, %s and %p (no wide characters);
 *  - if the full output would be longer than INT_MAX, the return value is
 *    -EOVERFLOW (glibc returns -1 and sets errno to EOVERFLOW); the buffer
 *    still holds as much as fits;
 *  - a NULL buf is taken as size 0, whatever size says.
 *
 * Like glibc, %p prints a non-NULL pointer as "%#lx" would, honouring the
 * flags ('+' and ' ' included), width and precision given; NULL prints
 * "(nil)" as a string, which no precision cuts short.
 */
#include "core/lib/errno.h"
#include "core/lib/printf.h"

/* Not <limits.h>: with -ffreestanding GCC's copy still pulls in libc's. */
#define INT_MAX __INT_MAX__

_Static_assert(sizeof(size_t) == sizeof(unsigned long),
	       "%z is read as long");
_Static_assert(sizeof(ptrdiff_t) == sizeof(long), "%t is read as long");
_Static_assert(sizeof(uintmax_t) == sizeof(unsigned long long),
	       "conversions are done in unsigned long long");

/* Conversion flags. */
#define FMT_LEFT  BIT(0)	/* '-': pad on the right */
#define FMT_ZERO  BIT(1)	/* '0': pad numbers with zeros */
#define FMT_SPACE BIT(2)	/* ' ': space in place of a '+' sign */
#define FMT_PLUS  BIT(3)	/* '+': always print a sign */
#define FMT_ALT   BIT(4)	/* '#': 0x prefix, leading octal zero */

enum fmt_length {
	FMT_LEN_NONE,
	FMT_LEN_HH,
	FMT_LEN_H,
	FMT_LEN_L,
	FMT_LEN_LL,
	FMT_LEN_Z,
	FMT_LEN_T,
	FMT_LEN_J,
};

/* One parsed conversion specification. */
struct fmt_spec {
	unsigned int flags;
	bool has_prec;
	size_t width;		/* 0: none */
	size_t prec;		/* when has_prec */
	enum fmt_length length;
};

/*
 * Widths and precisions saturate here: past INT_MAX the output could not be
 * counted in an int anyway, and the return value says so.
 */
#define FMT_FIELD_MAX ((size_t)INT_MAX + 1)

/*
 * Output sink. len counts every character produced, whether it fit or not;
 * characters are stored only while they leave room for the final NUL.
 */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* n copies of c; only what fits is stored, so a huge width costs nothing. */
static void out_repeat(struct fmt_out *o, char c, size_t n)
{
	while (n && o->len + 1 < o->size) {
		o->buf[o->len++] = c;
		n--;
	}
	o->len += n;
}

static void out_mem(struct fmt_out *o, const char *s, size_t n)
{
	while (n && o->len + 1 < o->size) {
		o->buf[o->len++] = *s++;
		n--;
	}
	o->len += n;
}

/* Width padding for a field of len characters. */
static size_t fmt_pad(const struct fmt_spec *spec, size_t len)
{
	return spec->width > len ? spec->width - len : 0;
}

/* A string field: %s, %c and "(nil)". Precision limits what is read. */
static void fmt_string(struct fmt_out *o, const struct fmt_spec *spec,
		       const char *s)
{
	size_t len = 0;
	size_t pad;

	if (!s) {
		/* glibc prints nothing if the precision cuts "(null)" short. */
		s = spec->has_prec && spec->prec < 6 ? "" : "(null)";
	}
	while ((!spec->has_prec || len < spec->prec) && s[len])
		len++;

	pad = fmt_pad(spec, len);
	if (!(spec->flags & FMT_LEFT))
		out_repeat(o, ' ', pad);
	out_mem(o, s, len);
	if (spec->flags & FMT_LEFT)
		out_repeat(o, ' ', pad);
}

/*
 * An integer field. val is the magnitude, negative its sign (signed
 * conversions only); base is 8, 10 or 16.
 *
 * Layout: [pad spaces][sign][0x][pad or precision zeros][digits][pad spaces]
 */
static void fmt_number(struct fmt_out *o, const struct fmt_spec *spec,
		       unsigned long long val, bool negative, unsigned int base,
		       bool upper)
{
	const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	/* 64 bits in octal take 22 digits. */
	char digits[24];
	size_t ndigits = 0;
	size_t zeros = 0;
	size_t pad;
	char sign = 0;
	const char *prefix = "";
	size_t prefix_len = 0;
	bool is_zero = !val;

	/* Precision 0 with value 0 prints no digits at all. */
	if (!is_zero || !spec->has_prec || spec->prec) {
		do {
			digits[sizeof(digits) - ++ndigits] =
				digit_chars[val % base];
			val /= base;
		} while (val);
	}

	if (spec->has_prec && spec->prec > ndigits)
		zeros = spec->prec - ndigits;

	if (spec->flags & FMT_ALT) {
		if (base == 8) {
			/* '#' makes the first digit a zero. */
			if (!zeros && (!is_zero || !ndigits))
				zeros = 1;
		} else if (base == 16 && !is_zero) {
			/* Only a non-zero value gets the 0x prefix. */
			prefix = upper ? "0X" : "0x";
			prefix_len = 2;
		}
	}

	if (negative)
		sign = '-';
	else if (spec->flags & FMT_PLUS)
		sign = '+';
	else if (spec->flags & FMT_SPACE)
		sign = ' ';

	pad = fmt_pad(spec, (sign ? 1 : 0) + prefix_len + zeros + ndigits);
	/* '0' pads with zeros unless '-' or a precision is given. */
	if ((spec->flags & (FMT_ZERO | FMT_LEFT)) == FMT_ZERO &&
	    !spec->has_prec) {
		zeros += pad;
		pad = 0;
	}

	if (!(spec->flags & FMT_LEFT))
		out_repeat(o, ' ', pad);
	if (sign)
		out_char(o, sign);
	out_mem(o, prefix, prefix_len);
	out_repeat(o, '0', zeros);
	out_mem(o, digits + sizeof(digits) - ndigits, ndigits);
	if (spec->flags & FMT_LEFT)
		out_repeat(o, ' ', pad);
}

/* Reads a signed argument of the spec's length, promoted to long long. */
static long long fmt_arg_signed(const struct fmt_spec *spec, va_list *ap)
{
	switch (spec->length) {
	case FMT_LEN_HH:
		return (signed char)va_arg(*ap, int);
	case FMT_LEN_H:
		return (short)va_arg(*ap, int);
	case FMT_LEN_L:
	case FMT_LEN_Z:		/* the signed type of size_t */
	case FMT_LEN_T:
		return va_arg(*ap, long);
	case FMT_LEN_LL:
		return va_arg(*ap, long long);
	case FMT_LEN_J:
		return va_arg(*ap, intmax_t);
	case FMT_LEN_NONE:
	default:
		return va_arg(*ap, int);
	}
}

/* Reads an unsigned argument of the spec's length. */
static unsigned long long fmt_arg_unsigned(const struct fmt_spec *spec,
					   va_list *ap)
{
	switch (spec->length) {
	case FMT_LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case FMT_LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case FMT_LEN_L:
	case FMT_LEN_Z:
	case FMT_LEN_T:		/* the unsigned type of ptrdiff_t */
		return va_arg(*ap, unsigned long);
	case FMT_LEN_LL:
		return va_arg(*ap, unsigned long long);
	case FMT_LEN_J:
		return va_arg(*ap, uintmax_t);
	case FMT_LEN_NONE:
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Decimal digits at *p, saturating at FMT_FIELD_MAX; advances *p past them. */
static size_t fmt_parse_field(const char **p)
{
	const char *s = *p;
	size_t v = 0;

	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (size_t)(*s++ - '0');
		if (v > FMT_FIELD_MAX)
			v = FMT_FIELD_MAX;
	}
	*p = s;
	return v;
}

/*
 * Parses flags, width, precision and length of the specification that
 * starts after '%' at *p, fetching '*' arguments. Leaves *p at the
 * conversion character.
 */
static void fmt_parse_spec(struct fmt_spec *spec, const char **p, va_list *ap)
{
	const char *s = *p;

	spec->flags = 0;
	spec->has_prec = false;
	spec->width = 0;
	spec->prec = 0;
	spec->length = FMT_LEN_NONE;

	for (;; s++) {
		if (*s == '-')
			spec->flags |= FMT_LEFT;
		else if (*s == '0')
			spec->flags |= FMT_ZERO;
		else if (*s == ' ')
			spec->flags |= FMT_SPACE;
		else if (*s == '+')
			spec->flags |= FMT_PLUS;
		else if (*s == '#')
			spec->flags |= FMT_ALT;
		else
			break;
	}

	if (*s == '*') {
		int w = va_arg(*ap, int);

		s++;
		/* A negative width is a '-' flag and a positive width. */
		if (w < 0) {
			spec->flags |= FMT_LEFT;
			spec->width = (size_t)-(long)w;
		} else {
			spec->width = (size_t)w;
		}
	} else {
		spec->width = fmt_parse_field(&s);
	}

	if (*s == '.') {
		s++;
		spec->has_prec = true;
		if (*s == '*') {
			/* A negative precision is taken as if omitted. */
			int pr = va_arg(*ap, int);

			s++;
			spec->has_prec = pr >= 0;
			spec->prec = pr >= 0 ? (size_t)pr : 0;
		} else {
			spec->prec = fmt_parse_field(&s);
		}
	}

	switch (*s) {
	case 'h':
		s++;
		spec->length = FMT_LEN_H;
		if (*s == 'h') {
			s++;
			spec->length = FMT_LEN_HH;
		}
		break;
	case 'l':
		s++;
		spec->length = FMT_LEN_L;
		if (*s == 'l') {
			s++;
			spec->length = FMT_LEN_LL;
		}
		break;
	case 'z':
		s++;
		spec->length = FMT_LEN_Z;
		break;
	case 't':
		s++;
		spec->length = FMT_LEN_T;
		break;
	case 'j':
		s++;
		spec->length = FMT_LEN_J;
		break;
	default:
		break;
	}

	*p = s;
}

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct fmt_out o = { .buf = buf, .size = buf ? size : 0, .len = 0 };
	struct fmt_spec spec;
	const char *p = fmt;
	va_list ap;

	/* A copy whose address can be passed down (va_list may be an array). */
	va_copy(ap, ap_in);

	while (*p) {
		const char *start;
		unsigned long long u;
		long long v;
		char c;

		if (*p != '%') {
			out_char(&o, *p++);
			continue;
		}

		start = p++;
		fmt_parse_spec(&spec, &p, &ap);

		switch (*p) {
		case 'd':
		case 'i':
			v = fmt_arg_signed(&spec, &ap);
			/* Negate in unsigned arithmetic: LLONG_MIN has no positive. */
			u = v < 0 ? 0ull - (unsigned long long)v :
				    (unsigned long long)v;
			fmt_number(&o, &spec, u, v < 0, 10, false);
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			/* '+' and ' ' apply to signed conversions only. */
			spec.flags &= ~(FMT_PLUS | FMT_SPACE);
			u = fmt_arg_unsigned(&spec, &ap);
			fmt_number(&o, &spec, u, false,
				   *p == 'u' ? 10 : *p == 'o' ? 8 : 16,
				   *p == 'X');
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			if (u) {
				spec.flags |= FMT_ALT;
				fmt_number(&o, &spec, u, false, 16, false);
			} else {
				/* The precision never cuts "(nil)" short. */
				if (spec.has_prec && spec.prec < 5)
					spec.prec = 5;
				fmt_string(&o, &spec, "(nil)");
			}
			break;
		case 's':
			fmt_string(&o, &spec, va_arg(ap, const char *));
			break;
		case 'c':
			c = (char)(unsigned char)va_arg(ap, int);
			/* Not fmt_string(): the character may be NUL. */
			if (!(spec.flags & FMT_LEFT))
				out_repeat(&o, ' ', fmt_pad(&spec, 1));
			out_char(&o, c);
			if (spec.flags & FMT_LEFT)
				out_repeat(&o, ' ', fmt_pad(&spec, 1));
			break;
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			/* A specification cut short by the end of the format. */
			out_mem(&o, start, (size_t)(p - start));
			continue;
		default:
			/* Unsupported conversion: copy it through, unchanged. */
			out_mem(&o, start, (size_t)(p - start) + 1);
			break;
		}
		p++;
	}

	va_end(ap);

	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	if (o.len > INT_MAX)
		return -EOVERFLOW;
	return (int)o.len;
}

int hv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
