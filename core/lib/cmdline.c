/*
 * Boot command line parser. cmdline_parse() runs on the boot CPU before
 * other CPUs start; the lookups are read-only and run anywhere afterwards.
 * No locks, no allocation.
 */
#include "core/lib/cmdline.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"

_Static_assert(CMDLINE_SIZE <= 65536, "struct cmdline offsets are 16-bit");

/* How much of an offending option an error message quotes. */
#define CMDLINE_QUOTE_MAX 40

static bool cmdline_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool cmdline_ends_word(char c)
{
	return c == '\0' || cmdline_is_blank(c);
}

/*
 * Parser state. Every byte written to cl->buf stands for one byte consumed
 * from the input: key and value characters for themselves, the NUL after
 * the key for the '=' (or for the blank or end of line after a bare key),
 * the NUL after a value for the blank or end of line that ends it, and
 * quotes are not copied at all. The output therefore never exceeds
 * strlen(line) + 1 bytes, which cmdline_parse() checks fits in buf.
 */
struct cmdline_parser {
	struct cmdline *cl;
	const char *p;		/* next input character */
	size_t pos;		/* next free byte in cl->buf */
};

/*
 * Copies the characters of a key or an unquoted value up to the next blank,
 * end of line or (for a key) '='. Returns -EINVAL if a quote turns up.
 */
static int cmdline_copy_word(struct cmdline_parser *ps, bool is_key)
{
	while (!cmdline_ends_word(*ps->p) && !(is_key && *ps->p == '=')) {
		if (*ps->p == '"')
			return -EINVAL;
		ps->cl->buf[ps->pos++] = *ps->p++;
	}
	ps->cl->buf[ps->pos++] = '\0';
	return 0;
}

/*
 * Copies a quoted value, ps->p at its opening quote. Returns -EINVAL if the
 * quote is not closed or the closing quote does not end the option.
 */
static int cmdline_copy_quoted(struct cmdline_parser *ps, const char *opt)
{
	ps->p++;
	while (*ps->p && *ps->p != '"')
		ps->cl->buf[ps->pos++] = *ps->p++;
	if (!*ps->p) {
		pr_err("cmdline: unterminated quote in '%.*s'",
		       CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}
	ps->p++;
	if (!cmdline_ends_word(*ps->p)) {
		pr_err("cmdline: text after closing quote in '%.*s'",
		       CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}
	ps->cl->buf[ps->pos++] = '\0';
	return 0;
}

/* Parses one option, ps->p at its first character. */
static int cmdline_parse_option(struct cmdline_parser *ps)
{
	struct cmdline *cl = ps->cl;
	const char *opt = ps->p;
	size_t key = ps->pos;
	size_t value;

	if (cl->nr_opts == CMDLINE_MAX_OPTS) {
		pr_err("cmdline: too many options (max %d) at '%.*s'",
		       CMDLINE_MAX_OPTS, CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}

	if (cmdline_copy_word(ps, true)) {
		pr_err("cmdline: quote in option name '%.*s'",
		       CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}
	if (ps->pos - 1 == key) {
		pr_err("cmdline: option with no name '%.*s'",
		       CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}
	if (ps->pos - 1 - key > CMDLINE_KEY_MAX) {
		pr_err("cmdline: option name too long (max %d characters) '%.*s'",
		       CMDLINE_KEY_MAX, CMDLINE_QUOTE_MAX, opt);
		return -EINVAL;
	}

	if (*ps->p != '=') {
		/* A bare key: its value is the empty string at its NUL. */
		value = ps->pos - 1;
	} else {
		ps->p++;
		value = ps->pos;
		if (*ps->p == '"') {
			if (cmdline_copy_quoted(ps, opt))
				return -EINVAL;
		} else if (cmdline_copy_word(ps, false)) {
			pr_err("cmdline: quote inside value of '%.*s'",
			       CMDLINE_QUOTE_MAX, opt);
			return -EINVAL;
		}
		if (ps->pos - 1 - value > CMDLINE_VALUE_MAX) {
			pr_err("cmdline: value too long (max %d characters) in '%.*s'",
			       CMDLINE_VALUE_MAX, CMDLINE_QUOTE_MAX, opt);
			return -EINVAL;
		}
	}

	cl->opts[cl->nr_opts].key = (uint16_t)key;
	cl->opts[cl->nr_opts].value = (uint16_t)value;
	cl->nr_opts++;
	return 0;
}

int cmdline_parse(struct cmdline *cl, const char *s)
{
	struct cmdline_parser ps = { .cl = cl, .p = s, .pos = 0 };
	int ret;

	cl->nr_opts = 0;
	if (!s)
		return 0;
	if (strnlen(s, CMDLINE_SIZE) == CMDLINE_SIZE) {
		pr_err("cmdline: longer than %d characters",
		       CMDLINE_SIZE - 1);
		return -E2BIG;
	}

	for (;;) {
		while (cmdline_is_blank(*ps.p))
			ps.p++;
		if (!*ps.p)
			return 0;
		ret = cmdline_parse_option(&ps);
		if (ret) {
			cl->nr_opts = 0;
			return ret;
		}
	}
}

const char *cmdline_get(const struct cmdline *cl, const char *key)
{
	unsigned int i;

	for (i = cl->nr_opts; i-- > 0;) {
		if (!strcmp(cl->buf + cl->opts[i].key, key))
			return cl->buf + cl->opts[i].value;
	}
	return NULL;
}

bool cmdline_has(const struct cmdline *cl, const char *key)
{
	return cmdline_get(cl, key) != NULL;
}

int cmdline_get_u64(const struct cmdline *cl, const char *key, uint64_t *out)
{
	const char *value = cmdline_get(cl, key);

	if (!value)
		return -ENOENT;
	return parse_u64(value, out);
}

/* Value of c as a digit in base, or -1. */
static int parse_digit(char c, unsigned int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return (unsigned int)d < base ? d : -1;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	unsigned int shift = 0;
	bool overflow = false;
	uint64_t v = 0;
	const char *digits;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}

	/* Overflow is reported only once the whole string is known good. */
	for (digits = s; (d = parse_digit(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			overflow = true;
		v = v * base + (uint64_t)d;
	}
	if (s == digits)
		return -EINVAL;

	switch (*s) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift) {
		s++;
		if (v > UINT64_MAX >> shift)
			overflow = true;
		v <<= shift;
	}
	if (*s)
		return -EINVAL;
	if (overflow)
		return -ERANGE;

	*out = v;
	return 0;
}
