/*
 * Guest text filter (see core/lib/text_filter.h). Any context; the state
 * belongs to the caller's stream.
 */
#include "core/lib/text_filter.h"

#define ASCII_ESC 0x1b
#define ASCII_BEL 0x07
#define ASCII_DEL 0x7f

enum {
	TEXT_FILTER_PLAIN,
	TEXT_FILTER_ESC,	/* after ESC and any intermediates 0x20-0x2f */
	TEXT_FILTER_CSI,	/* inside ESC [ ..., up to a byte 0x40-0x7e */
	TEXT_FILTER_STRING,	/* inside ESC ] / P / X / ^ / _, up to BEL or ESC \ */
	TEXT_FILTER_STRING_ESC,	/* ESC inside a string sequence */
};

static bool text_filter_plain(struct text_filter *f, uint8_t c)
{
	if (c == ASCII_ESC) {
		f->state = TEXT_FILTER_ESC;
		return false;
	}
	return c == '\t' || (c >= 0x20 && c != ASCII_DEL);
}

bool text_filter_keep(struct text_filter *f, uint8_t c)
{
	if (c == '\n') {		/* a newline ends every sequence; it is a control */
		f->state = TEXT_FILTER_PLAIN;
		return false;
	}
	switch (f->state) {
	case TEXT_FILTER_ESC:
		if (c == '[')
			f->state = TEXT_FILTER_CSI;
		else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
			f->state = TEXT_FILTER_STRING;
		else if (c != ASCII_ESC && (c < 0x20 || c > 0x2f))
			f->state = TEXT_FILTER_PLAIN;	/* its final byte */
		return false;				/* or an intermediate (ESC ( B) */
	case TEXT_FILTER_CSI:
		if (c >= 0x20 && c <= 0x3f)
			return false;		/* parameter or intermediate */
		f->state = TEXT_FILTER_PLAIN;
		if (c >= 0x40 && c <= 0x7e)
			return false;		/* the final byte */
		return text_filter_plain(f, c);	/* anything else cuts it short */
	case TEXT_FILTER_STRING:
		if (c == ASCII_BEL)
			f->state = TEXT_FILTER_PLAIN;
		else if (c == ASCII_ESC)
			f->state = TEXT_FILTER_STRING_ESC;
		return false;
	case TEXT_FILTER_STRING_ESC:
		f->state = c == '\\' ? TEXT_FILTER_PLAIN : TEXT_FILTER_STRING;
		return false;
	default:
		return text_filter_plain(f, c);
	}
}
