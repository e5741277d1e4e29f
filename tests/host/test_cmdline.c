/*
 * Boot command line parser (core/lib/cmdline.c). Hosted test, single thread.
 *
 * Each struct cmdline is allocated on its own on the heap, so AddressSanitizer
 * catches any write past the end of its storage. Malformed lines print their
 * pr_err() messages on stderr; that is expected.
 */
#include "core/lib/cmdline.h"
#include "core/lib/errno.h"
#include "tests/host/check.h"

static struct cmdline *cl_alloc(void)
{
	struct cmdline *cl = malloc(sizeof(*cl));

	if (!cl) {
		perror("malloc");
		exit(2);
	}
	/* Garbage, not zeros: the parser must initialise what it uses. */
	memset(cl, 0xa5, sizeof(*cl));
	return cl;
}

/* Parses s into a fresh cmdline, checking the return value. */
static struct cmdline *parse_ok(const char *s)
{
	struct cmdline *cl = cl_alloc();

	CHECK_EQ(cmdline_parse(cl, s), 0);
	return cl;
}

/* s must be rejected with err and leave no options behind. */
static void parse_fails(const char *s, int err)
{
	struct cmdline *cl = cl_alloc();

	CHECK_EQ(cmdline_parse(cl, s), err);
	CHECK_EQ(cl->nr_opts, 0);
	CHECK(!cmdline_has(cl, "a"));
	free(cl);
}

/* A string of n copies of c, NUL-terminated, in a static buffer. */
static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void case_empty_lines(void)
{
	struct cmdline *cl;

	cl = parse_ok(NULL);
	CHECK_EQ(cl->nr_opts, 0);
	CHECK(cmdline_get(cl, "console") == NULL);
	free(cl);

	cl = parse_ok("");
	CHECK_EQ(cl->nr_opts, 0);
	free(cl);

	cl = parse_ok("  \t \n \r\n ");
	CHECK_EQ(cl->nr_opts, 0);
	CHECK(!cmdline_has(cl, ""));
	free(cl);
}

static void case_hypervisor_options(void)
{
	struct cmdline *cl = parse_ok("/EFI/hv/hv.efi console=com1 baud=115200 "
				      "loglevel=debug selftest=fault");
	uint64_t baud = 0;

	CHECK_EQ(cl->nr_opts, 5);
	CHECK(cmdline_has(cl, "/EFI/hv/hv.efi"));
	CHECK_STR(cmdline_get(cl, "console"), "com1");
	CHECK_STR(cmdline_get(cl, "loglevel"), "debug");
	CHECK_STR(cmdline_get(cl, "selftest"), "fault");
	CHECK_EQ(cmdline_get_u64(cl, "baud", &baud), 0);
	CHECK_EQ(baud, 115200);
	CHECK(cmdline_get(cl, "Console") == NULL);
	CHECK(cmdline_get(cl, "consol") == NULL);
	CHECK(cmdline_get(cl, "console=com1") == NULL);
	free(cl);

	cl = parse_ok("console=0x3f8 loglevel=2");
	CHECK_EQ(cmdline_get_u64(cl, "console", &baud), 0);
	CHECK_EQ(baud, 0x3f8);
	CHECK_EQ(cmdline_get_u64(cl, "loglevel", &baud), 0);
	CHECK_EQ(baud, 2);
	free(cl);
}

static void case_bare_keys(void)
{
	struct cmdline *cl = parse_ok("nosmp  debug\tquiet");

	CHECK_EQ(cl->nr_opts, 3);
	CHECK_STR(cmdline_get(cl, "nosmp"), "");
	CHECK_STR(cmdline_get(cl, "debug"), "");
	CHECK_STR(cmdline_get(cl, "quiet"), "");
	CHECK(cmdline_has(cl, "quiet"));
	CHECK(!cmdline_has(cl, "loud"));
	free(cl);
}

static void case_values(void)
{
	/* The first '=' splits; later ones belong to the value. */
	struct cmdline *cl = parse_ok("a= b=c=d e=\"\" f=-1 g=, h=\\");

	CHECK_STR(cmdline_get(cl, "a"), "");
	CHECK_STR(cmdline_get(cl, "b"), "c=d");
	CHECK_STR(cmdline_get(cl, "e"), "");
	CHECK_STR(cmdline_get(cl, "f"), "-1");
	CHECK_STR(cmdline_get(cl, "g"), ",");
	CHECK_STR(cmdline_get(cl, "h"), "\\");
	free(cl);
}

static void case_quoted_values(void)
{
	struct cmdline *cl = parse_ok("title=\"my  hyper visor\" x=1 "
				      "tab=\"a\tb\nc\" eq=\"k=v\" "
				      "last=\"end\"");

	CHECK_EQ(cl->nr_opts, 5);
	CHECK_STR(cmdline_get(cl, "title"), "my  hyper visor");
	CHECK_STR(cmdline_get(cl, "x"), "1");
	CHECK_STR(cmdline_get(cl, "tab"), "a\tb\nc");
	CHECK_STR(cmdline_get(cl, "eq"), "k=v");
	CHECK_STR(cmdline_get(cl, "last"), "end");
	free(cl);

	cl = parse_ok("q=\" leading and trailing \"\tnext");
	CHECK_STR(cmdline_get(cl, "q"), " leading and trailing ");
	CHECK(cmdline_has(cl, "next"));
	free(cl);
}

static void case_last_occurrence_wins(void)
{
	struct cmdline *cl = parse_ok("a=1 b a=2 c=x a=3");

	CHECK_STR(cmdline_get(cl, "a"), "3");
	free(cl);

	/* A later bare key overrides a value, and the other way round. */
	cl = parse_ok("a=1 a b a b=\"two words\"");
	CHECK_STR(cmdline_get(cl, "a"), "");
	CHECK_STR(cmdline_get(cl, "b"), "two words");
	free(cl);
}

static void case_malformed(void)
{
	/* Quotes: unterminated, inside a key or value, or followed by text. */
	parse_fails("a=\"unterminated", -EINVAL);
	parse_fails("a=1 b=\"never closed", -EINVAL);
	parse_fails("a=\"", -EINVAL);
	parse_fails("\"a\"", -EINVAL);
	parse_fails("a\"b=c", -EINVAL);
	parse_fails("a=b\"c\"", -EINVAL);
	parse_fails("a=\"b\"c", -EINVAL);
	parse_fails("a=\"b\"\"c\"", -EINVAL);
	parse_fails("a=1 f=x\"", -EINVAL);
	/* Options with no name. */
	parse_fails("=", -EINVAL);
	parse_fails("a=1 =2", -EINVAL);
	parse_fails("=\"x\"", -EINVAL);
}

static void case_limits(void)
{
	char key[CMDLINE_KEY_MAX + 2], value[CMDLINE_VALUE_MAX + 2];
	char line[CMDLINE_SIZE + 16];
	struct cmdline *cl;
	int i;

	/* Longest key and value. */
	repeat(key, 'k', CMDLINE_KEY_MAX);
	repeat(value, 'v', CMDLINE_VALUE_MAX);
	snprintf(line, sizeof(line), "%s=%s", key, value);
	cl = parse_ok(line);
	CHECK_STR(cmdline_get(cl, key), value);
	free(cl);
	snprintf(line, sizeof(line), "%s=\"%s\"", key, value);
	cl = parse_ok(line);
	CHECK_STR(cmdline_get(cl, key), value);
	free(cl);

	/* One character more. */
	repeat(key, 'k', CMDLINE_KEY_MAX + 1);
	parse_fails(key, -EINVAL);
	snprintf(line, sizeof(line), "%s=1", key);
	parse_fails(line, -EINVAL);
	repeat(value, 'v', CMDLINE_VALUE_MAX + 1);
	snprintf(line, sizeof(line), "a=%s", value);
	parse_fails(line, -EINVAL);
	snprintf(line, sizeof(line), "a=\"%s\"", value);
	parse_fails(line, -EINVAL);

	/* Most options, then one more. */
	line[0] = '\0';
	for (i = 0; i < CMDLINE_MAX_OPTS; i++)
		sprintf(line + strlen(line), "o%d=%d ", i, i);
	cl = parse_ok(line);
	CHECK_EQ(cl->nr_opts, CMDLINE_MAX_OPTS);
	CHECK_STR(cmdline_get(cl, "o0"), "0");
	CHECK_STR(cmdline_get(cl, "o31"), "31");
	free(cl);
	strcat(line, "extra");
	parse_fails(line, -EINVAL);
}

static void case_line_too_long(void)
{
	char line[CMDLINE_SIZE + 16];
	struct cmdline *cl;

	/* CMDLINE_SIZE - 1 characters fit, whatever they are. */
	repeat(line, ' ', CMDLINE_SIZE - 2);
	strcat(line, "x");
	cl = parse_ok(line);
	CHECK(cmdline_has(cl, "x"));
	free(cl);

	repeat(line, ' ', CMDLINE_SIZE - 1);
	strcat(line, "x");
	parse_fails(line, -E2BIG);
	repeat(line, 'x', CMDLINE_SIZE + 8);
	parse_fails(line, -E2BIG);
}

/*
 * Lines of CMDLINE_SIZE - 1 characters that fill the storage to the last
 * byte: CMDLINE_MAX_OPTS options of 15 characters and 31 blanks. The
 * heap-allocated cmdline lets ASan see a write past the end.
 */
static void case_storage_full(void)
{
	char line[CMDLINE_SIZE];
	struct cmdline *cl;
	int i;

	_Static_assert(CMDLINE_MAX_OPTS * 16 - 1 == CMDLINE_SIZE - 1,
		       "line below must be exactly the longest accepted");

	/* Bare keys: every key byte and every NUL is stored. */
	line[0] = '\0';
	for (i = 0; i < CMDLINE_MAX_OPTS; i++)
		sprintf(line + strlen(line), "%s%015d", i ? " " : "", i);
	CHECK_EQ(strlen(line), CMDLINE_SIZE - 1);
	cl = parse_ok(line);
	CHECK_EQ(cl->nr_opts, CMDLINE_MAX_OPTS);
	CHECK_STR(cmdline_get(cl, "000000000000031"), "");
	free(cl);

	/* Keys with values. */
	line[0] = '\0';
	for (i = 0; i < CMDLINE_MAX_OPTS; i++)
		sprintf(line + strlen(line), "%sk%02d=%011d", i ? " " : "", i,
			i);
	CHECK_EQ(strlen(line), CMDLINE_SIZE - 1);
	cl = parse_ok(line);
	CHECK_STR(cmdline_get(cl, "k31"), "00000000031");
	CHECK_STR(cmdline_get(cl, "k00"), "00000000000");
	free(cl);

	/* One long value. */
	memset(line, 'v', CMDLINE_SIZE - 1);
	line[CMDLINE_SIZE - 1] = '\0';
	memcpy(line, "a=", 2);
	line[2 + CMDLINE_VALUE_MAX] = ' ';
	line[3 + CMDLINE_VALUE_MAX] = 'b';
	line[4 + CMDLINE_VALUE_MAX] = '=';
	cl = parse_ok(line);
	CHECK_EQ(strlen(cmdline_get(cl, "a")), CMDLINE_VALUE_MAX);
	CHECK_EQ(strlen(cmdline_get(cl, "b")),
		 CMDLINE_SIZE - 1 - 5 - CMDLINE_VALUE_MAX);
	free(cl);
}

static void case_failure_clears(void)
{
	struct cmdline *cl = parse_ok("a=1 b=2");

	CHECK(cmdline_has(cl, "a"));
	CHECK_EQ(cmdline_parse(cl, "a=1 b=\"oops"), -EINVAL);
	CHECK(!cmdline_has(cl, "a"));
	CHECK(!cmdline_has(cl, "b"));
	CHECK_EQ(cmdline_parse(cl, "c"), 0);
	CHECK(!cmdline_has(cl, "a"));
	CHECK(cmdline_has(cl, "c"));
	free(cl);
}

static void case_copy_is_self_contained(void)
{
	char line[] = "console=com2 title=\"a b\"";
	struct cmdline *cl = parse_ok(line);
	struct cmdline copy;

	/* Neither the caller's string nor the original is needed later. */
	memset(line, 'X', sizeof(line) - 1);
	copy = *cl;
	memset(cl, 0, sizeof(*cl));
	free(cl);
	CHECK_STR(cmdline_get(&copy, "console"), "com2");
	CHECK_STR(cmdline_get(&copy, "title"), "a b");
}

static void case_parse_u64(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t val;
	} cases[] = {
		{ "0", 0, 0 },
		{ "00", 0, 0 },
		{ "7", 0, 7 },
		{ "010", 0, 10 },		/* not octal */
		{ "115200", 0, 115200 },
		{ "0x3f8", 0, 0x3f8 },
		{ "0X3F8", 0, 0x3f8 },
		{ "0xDeadBeef", 0, 0xdeadbeef },
		{ "0x0", 0, 0 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "0x0000000000000000ffffffffffffffff", 0, UINT64_MAX },
		{ "4K", 0, 4096 },
		{ "4k", 0, 4096 },
		{ "512M", 0, 512ull << 20 },
		{ "2m", 0, 2ull << 20 },
		{ "1G", 0, 1ull << 30 },
		{ "3g", 0, 3ull << 30 },
		{ "0K", 0, 0 },
		{ "0x10K", 0, 16ull << 10 },
		{ "17179869183G", 0, 17179869183ull << 30 },
		{ "0x3ffffffffG", 0, 0x3ffffffffull << 30 },
		{ "18014398509481983K", 0, 18014398509481983ull << 10 },
		/* Too big. */
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
		{ "18014398509481984K", -ERANGE, 0 },
		{ "0x400000000G", -ERANGE, 0 },
		/* Malformed, even when also too big. */
		{ "", -EINVAL, 0 },
		{ "x", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "0xK", -EINVAL, 0 },
		{ "0xg", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1KK", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1T", -EINVAL, 0 },
		{ "1.5", -EINVAL, 0 },
		{ "12a", -EINVAL, 0 },
		{ "0b101", -EINVAL, 0 },
		{ "0x0x1", -EINVAL, 0 },
		{ "99999999999999999999z", -EINVAL, 0 },
		{ "com1", -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t out = 0x5a5a5a5a5a5a5a5aull;
		int ret = parse_u64(cases[i].s, &out);

		if (ret != cases[i].ret) {
			fprintf(stderr, "  \"%s\": returned %d, want %d\n",
				cases[i].s, ret, cases[i].ret);
			check_case_failed = 1;
		}
		/* On failure *out must be untouched. */
		CHECK_EQ(out, ret ? 0x5a5a5a5a5a5a5a5aull : cases[i].val);
	}
}

static void case_get_u64(void)
{
	struct cmdline *cl = parse_ok("baud=115200 mem=512M port=0x3f8 bare "
				      "bad=12q big=99999999999999999999 "
				      "empty= quoted=\"64K\"");
	uint64_t v = 1;

	CHECK_EQ(cmdline_get_u64(cl, "baud", &v), 0);
	CHECK_EQ(v, 115200);
	CHECK_EQ(cmdline_get_u64(cl, "mem", &v), 0);
	CHECK_EQ(v, 512ull << 20);
	CHECK_EQ(cmdline_get_u64(cl, "port", &v), 0);
	CHECK_EQ(v, 0x3f8);
	CHECK_EQ(cmdline_get_u64(cl, "quoted", &v), 0);
	CHECK_EQ(v, 64 << 10);

	v = 1;
	CHECK_EQ(cmdline_get_u64(cl, "absent", &v), -ENOENT);
	CHECK_EQ(cmdline_get_u64(cl, "bare", &v), -EINVAL);
	CHECK_EQ(cmdline_get_u64(cl, "empty", &v), -EINVAL);
	CHECK_EQ(cmdline_get_u64(cl, "bad", &v), -EINVAL);
	CHECK_EQ(cmdline_get_u64(cl, "big", &v), -ERANGE);
	CHECK_EQ(v, 1);
	free(cl);
}

int main(void)
{
	RUN(case_empty_lines);
	RUN(case_hypervisor_options);
	RUN(case_bare_keys);
	RUN(case_values);
	RUN(case_quoted_values);
	RUN(case_last_occurrence_wins);
	RUN(case_malformed);
	RUN(case_limits);
	RUN(case_line_too_long);
	RUN(case_storage_full);
	RUN(case_failure_clears);
	RUN(case_copy_is_self_contained);
	RUN(case_parse_u64);
	RUN(case_get_u64);
	return check_done();
}
