/*
 * The monitor's line editor: keystrokes in, whole command lines out, the
 * echo written through the caller's output function. Printable
 * characters go in at the cursor; backspace and DEL erase before it;
 * Ctrl-U erases the line; ESC [ D / ESC [ C move left / right, ESC [ H,
 * ESC [ F, ESC [ 1 ~ and ESC [ 4 ~ go home / to the end; ESC [ A / ESC [ B
 * walk the history (the last LINE_EDIT_HISTORY lines, oldest dropped).
 * CR or LF ends the line; the LF of a CR LF pair is dropped. An escape
 * sequence may arrive split over several calls. Other control bytes and
 * unknown sequences are ignored; a line full at LINE_EDIT_MAX - 1 bytes
 * takes no more.
 *
 * No lock: the owner serialises every call on one editor (the console
 * monitor calls them under the console's lock, core/launch/console_mux.h).
 */
#ifndef CORE_LAUNCH_LINE_EDIT_H
#define CORE_LAUNCH_LINE_EDIT_H

#include "core/lib/compiler.h"

#define LINE_EDIT_MAX     128
#define LINE_EDIT_HISTORY 16

struct line_edit {
	const char *prompt;
	void (*write)(const char *s, size_t n);	/* raw echo */
	char buf[LINE_EDIT_MAX];
	unsigned int len, cur;		/* bytes in buf, cursor position */
	/* Escape sequence being read: 0 none, 1 after ESC, 2 after ESC [. */
	unsigned int esc;
	unsigned int esc_arg;		/* digits after ESC [ */
	bool after_cr;			/* the last byte ended a line with CR */
	/* History ring: hist[(hist_first + i) % N], i < hist_nr, oldest first. */
	char hist[LINE_EDIT_HISTORY][LINE_EDIT_MAX];
	unsigned int hist_first, hist_nr;
	unsigned int hist_pos;		/* browsing: index into it; hist_nr: not */
	char draft[LINE_EDIT_MAX];	/* the line typed before browsing */
};

/* Sets up e, empty, with prompt and output; writes nothing. */
void line_edit_init(struct line_edit *e, const char *prompt,
		    void (*write)(const char *s, size_t n));

/*
 * Takes one byte typed. Returns true when it ended a line: the line (NUL
 * terminated, maybe empty) is copied to out (size bytes, truncated) and
 * the editor starts a fresh one (its prompt is not written: the caller
 * shows it when the command is done).
 */
bool line_edit_feed(struct line_edit *e, int c, char *out, size_t size);

/* Writes the prompt and the partial line, the cursor where it was. */
void line_edit_show(struct line_edit *e);

/* Erases the prompt line (the cursor back at its start). */
void line_edit_hide(struct line_edit *e);

#endif
