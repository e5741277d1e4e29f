/*
 * Hosted test of core/launch/line_edit.c. Scenario: keystrokes as a
 * serial terminal sends them, one byte per call, escape sequences
 * included; checked are the lines the editor hands out and the echo it
 * writes (through a write function that records it).
 */
#include <stdio.h>

#include "core/launch/line_edit.h"
#include "tests/host/check.h"

#define ECHO_MAX 8192

static char echo[ECHO_MAX];
static size_t echo_len;

static void echo_write(const char *s, size_t n)
{
	if (echo_len + n >= sizeof(echo))
		n = sizeof(echo) - 1 - echo_len;
	memcpy(echo + echo_len, s, n);
	echo_len += n;
	echo[echo_len] = '\0';
}

static struct line_edit ed;
static char lines[32][LINE_EDIT_MAX];
static unsigned int nr_lines;

static void fresh(void)
{
	line_edit_init(&ed, "hv> ", echo_write);
	nr_lines = 0;
	echo_len = 0;
	echo[0] = '\0';
}

/* Feeds keys (n bytes), one call per byte; collects the lines ended. */
static void type_n(const char *keys, size_t n)
{
	char out[LINE_EDIT_MAX];

	for (size_t i = 0; i < n; i++)
		if (line_edit_feed(&ed, (unsigned char)keys[i], out, sizeof(out)) &&
		    nr_lines < 32)
			strcpy(lines[nr_lines++], out);
}

static void type(const char *keys)
{
	type_n(keys, strlen(keys));
}

static void plain_line(void)
{
	fresh();
	type("vms");
	CHECK_EQ(nr_lines, 0);
	CHECK_STR(echo, "vms");		/* typing at the end echoes the bytes alone */
	type("\r");
	CHECK_EQ(nr_lines, 1);
	CHECK_STR(lines[0], "vms");
	CHECK_STR(echo, "vms\r\n");
	type("\n");			/* the LF of CR LF: no second line */
	CHECK_EQ(nr_lines, 1);
	type("stats alpha\n\n");	/* LF alone ends a line; LF LF is two */
	CHECK_EQ(nr_lines, 3);
	CHECK_STR(lines[1], "stats alpha");
	CHECK_STR(lines[2], "");
	type("a\r\r");			/* CR CR: two lines */
	CHECK_EQ(nr_lines, 5);
	CHECK_STR(lines[3], "a");
	CHECK_STR(lines[4], "");
}

static void erase_keys(void)
{
	fresh();
	type("abc\b\x7f" "d\r");	/* backspace and DEL erase before the cursor */
	CHECK_STR(lines[0], "ad");
	type("\b\b\x7fx\r");		/* nothing to erase: no harm */
	CHECK_STR(lines[1], "x");
	type("garbage\x15vm alpha\r");	/* Ctrl-U: the line goes */
	CHECK_STR(lines[2], "vm alpha");
	type("\x01\x02\x07\tok\r");	/* other control bytes are ignored */
	CHECK_STR(lines[3], "ok");
	CHECK_EQ(nr_lines, 4);
}

static void cursor_keys(void)
{
	fresh();
	type("ac\x1b[Db\r");		/* left, then insert */
	CHECK_STR(lines[0], "abc");
	type("bd\x1b[D\x1b[D\x1b[Da\x1b[Cc\x1b[C\x1b[C\x1b[Ce\r");	/* left past 0, right past the end stay */
	CHECK_STR(lines[1], "abcde");
	type("bc\x1b[Ha\x1b[Fd\r");	/* Home, End */
	CHECK_STR(lines[2], "abcd");
	type("yz\x1b[1~x\x1b[4~!\r");	/* Home and End as ESC [ 1 ~, ESC [ 4 ~ */
	CHECK_STR(lines[3], "xyz!");
	type("ab\x1bOHc\r");		/* ESC O H: Home too */
	CHECK_STR(lines[4], "cab");
	type("ab\x1b[D\x1b[D\x7fX\r");	/* DEL at 0 does nothing */
	CHECK_STR(lines[5], "Xab");
	type("12\x1b[D\b3\r");		/* backspace in the middle */
	CHECK_STR(lines[6], "32");
	type("q\x1b[Z\x1bxw\x1b[99~\r");	/* unknown sequences: ignored, whole */
	CHECK_STR(lines[7], "qw");
	CHECK_EQ(nr_lines, 8);
}

static void redraw_echo(void)
{
	fresh();
	type("ab\x1b[D");
	CHECK(strstr(echo, "\r\x1b[Khv> ab\x1b[1D") != NULL);	/* cursor before b */
	echo_len = 0;
	line_edit_hide(&ed);
	CHECK_STR(echo, "\r\x1b[K");
	echo_len = 0;
	line_edit_show(&ed);
	CHECK_STR(echo, "\r\x1b[Khv> ab\x1b[1D");
	echo_len = 0;
	type("\x1b[C");
	line_edit_show(&ed);
	CHECK_STR(echo, "\r\x1b[Khv> ab\r\x1b[Khv> ab");	/* at the end: no move */
}

static void history(void)
{
	char want[16];

	fresh();
	type("\x1b[A\x1b[B\r");		/* empty history: nothing */
	CHECK_STR(lines[0], "");
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "c%d\r", i);
		type(want);
	}
	type("c19\r");			/* the newest again: kept once */
	/* 16 entries: the oldest kept is c4; up past it stays there. */
	for (int i = 0; i < 20; i++)
		type("\x1b[A");
	type("\r");
	CHECK_STR(lines[22], "c4");
	type("\x1b[A\r");		/* c4 is the newest now */
	CHECK_STR(lines[23], "c4");
	type("\x1b[A\x1b[A\r");		/* c19 before it: c19 once more */
	CHECK_STR(lines[24], "c19");
	/* Down past the newest gives back the line being typed. */
	type("draft\x1b[A\x1b[A\x1b[B\r");
	CHECK_STR(lines[25], "c19");
	type("dra\x1b[A\x1b[B" "ft\r");
	CHECK_STR(lines[26], "draft");
	/* A line recalled and edited runs as edited; the entry stays. */
	type("\x1b[A\x1b[A\x7f" "8\r");
	CHECK_STR(lines[27], "c18");
	type("\x1b[A\x1b[A\x1b[A\r");
	CHECK_STR(lines[28], "c19");
	CHECK_EQ(nr_lines, 29);
}

static void full_line(void)
{
	char many[300];

	fresh();
	memset(many, 'x', sizeof(many));
	type_n(many, sizeof(many));
	type("\r");
	CHECK_EQ(strlen(lines[0]), LINE_EDIT_MAX - 1);
	type("abcdef\r");
	CHECK_STR(lines[1], "abcdef");
}

int main(void)
{
	RUN(plain_line);
	RUN(erase_keys);
	RUN(cursor_keys);
	RUN(redraw_echo);
	RUN(history);
	RUN(full_line);
	return check_done();
}
