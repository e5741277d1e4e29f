/*
 * The monitor's line editor (see core/launch/line_edit.h). Whoever owns
 * the editor serialises the calls; the echo goes out through e->write.
 * Typing at the end of the line echoes the byte alone; any other edit
 * redraws the whole line (erase it, prompt, text, cursor moved back).
 */
#include "core/launch/line_edit.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define KEY_CTRL_U 0x15
#define KEY_BS     0x08
#define KEY_DEL    0x7f
#define KEY_ESC    0x1b

enum {
	ESC_NONE,
	ESC_SEEN,	/* ESC */
	ESC_CSI,	/* ESC [ */
};

void line_edit_init(struct line_edit *e, const char *prompt,
		    void (*write)(const char *s, size_t n))
{
	memset(e, 0, sizeof(*e));
	e->prompt = prompt;
	e->write = write;
}

static void edit_puts(struct line_edit *e, const char *s)
{
	e->write(s, strlen(s));
}

void line_edit_hide(struct line_edit *e)
{
	edit_puts(e, "\r\x1b[K");
}

void line_edit_show(struct line_edit *e)
{
	char back[16];

	line_edit_hide(e);
	edit_puts(e, e->prompt);
	e->write(e->buf, e->len);
	if (e->cur < e->len) {
		hv_snprintf(back, sizeof(back), "\x1b[%uD", e->len - e->cur);
		edit_puts(e, back);
	}
}

static void edit_set(struct line_edit *e, const char *text)
{
	hv_strlcpy(e->buf, text, sizeof(e->buf));
	e->len = (unsigned int)strlen(e->buf);
	e->cur = e->len;
	line_edit_show(e);
}

static void edit_insert(struct line_edit *e, char c)
{
	if (e->len == LINE_EDIT_MAX - 1)
		return;
	memmove(&e->buf[e->cur + 1], &e->buf[e->cur], e->len - e->cur);
	e->buf[e->cur++] = c;
	e->len++;
	e->buf[e->len] = '\0';
	if (e->cur == e->len)
		e->write(&c, 1);
	else
		line_edit_show(e);
}

static void edit_backspace(struct line_edit *e)
{
	if (e->cur == 0)
		return;
	memmove(&e->buf[e->cur - 1], &e->buf[e->cur], e->len - e->cur);
	e->cur--;
	e->len--;
	e->buf[e->len] = '\0';
	if (e->cur == e->len)
		edit_puts(e, "\b \b");
	else
		line_edit_show(e);
}

static void edit_move(struct line_edit *e, unsigned int to)
{
	if (to == e->cur)
		return;
	e->cur = to;
	line_edit_show(e);
}

/* Up (older, dir < 0) or down (newer, dir > 0) in the history. */
static void edit_history(struct line_edit *e, int dir)
{
	unsigned int pos = e->hist_pos;

	if (dir < 0) {
		if (pos == 0)
			return;
		if (pos == e->hist_nr)
			hv_strlcpy(e->draft, e->buf, sizeof(e->draft));
		pos--;
	} else {
		if (pos == e->hist_nr)
			return;
		pos++;
	}
	e->hist_pos = pos;
	edit_set(e, pos == e->hist_nr ? e->draft :
		 e->hist[(e->hist_first + pos) % LINE_EDIT_HISTORY]);
}

/* Keeps a non-empty line unless it repeats the newest entry. */
static void edit_remember(struct line_edit *e)
{
	unsigned int last = (e->hist_first + e->hist_nr - 1) % LINE_EDIT_HISTORY;

	if (!e->len || (e->hist_nr && strcmp(e->hist[last], e->buf) == 0))
		return;
	if (e->hist_nr == LINE_EDIT_HISTORY) {
		e->hist_first = (e->hist_first + 1) % LINE_EDIT_HISTORY;
		e->hist_nr--;
	}
	hv_strlcpy(e->hist[(e->hist_first + e->hist_nr) % LINE_EDIT_HISTORY], e->buf,
		   LINE_EDIT_MAX);
	e->hist_nr++;
}

/* The final byte of ESC [ ...: what the sequence asks for. */
static void edit_csi(struct line_edit *e, int c)
{
	switch (c) {
	case 'A':
		edit_history(e, -1);
		break;
	case 'B':
		edit_history(e, 1);
		break;
	case 'C':
		if (e->cur < e->len)
			edit_move(e, e->cur + 1);
		break;
	case 'D':
		if (e->cur)
			edit_move(e, e->cur - 1);
		break;
	case 'H':
		edit_move(e, 0);
		break;
	case 'F':
		edit_move(e, e->len);
		break;
	case '~':
		if (e->esc_arg == 1 || e->esc_arg == 7)
			edit_move(e, 0);
		else if (e->esc_arg == 4 || e->esc_arg == 8)
			edit_move(e, e->len);
		break;
	default:
		break;
	}
}

/* One byte of an escape sequence (e->esc set). */
static void edit_escape(struct line_edit *e, int c)
{
	if (e->esc == ESC_SEEN) {
		e->esc = c == '[' || c == 'O' ? ESC_CSI : ESC_NONE;
		e->esc_arg = 0;
		return;
	}
	if (c >= '0' && c <= '9') {
		if (e->esc_arg < 1000)
			e->esc_arg = e->esc_arg * 10 + (unsigned int)(c - '0');
		return;
	}
	if (c == ';')
		return;
	e->esc = ESC_NONE;
	edit_csi(e, c);
}

bool line_edit_feed(struct line_edit *e, int c, char *out, size_t size)
{
	bool after_cr = e->after_cr;

	e->after_cr = false;
	if (e->esc) {
		edit_escape(e, c);
		return false;
	}
	switch (c) {
	case '\n':
		if (after_cr)
			return false;	/* the LF of CR LF */
		/* fallthrough */
	case '\r':
		e->after_cr = c == '\r';
		edit_puts(e, "\r\n");
		edit_remember(e);
		hv_strlcpy(out, e->buf, size);
		e->buf[0] = '\0';
		e->len = e->cur = 0;
		e->hist_pos = e->hist_nr;
		return true;
	case KEY_ESC:
		e->esc = ESC_SEEN;
		return false;
	case KEY_BS:
	case KEY_DEL:
		edit_backspace(e);
		return false;
	case KEY_CTRL_U:
		e->buf[0] = '\0';
		e->len = e->cur = 0;
		line_edit_show(e);
		return false;
	default:
		if (c >= 0x20 && c < 0x7f)
			edit_insert(e, (char)c);
		return false;
	}
}
