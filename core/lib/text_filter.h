/*
 * Guest text made safe to print inside the hypervisor's own console
 * lines: control characters (below 0x20 except tab, and DEL) and ANSI
 * escape sequences (ESC, intermediates 0x20-0x2f, a final byte; CSI ESC [ up to its final byte;
 * OSC, DCS and the other string sequences up to BEL or ESC \) are
 * dropped, so a guest cannot move the cursor, clear the screen, retitle
 * the terminal or forge the start of a line. Bytes from 0x80 up pass
 * (UTF-8). A newline ends any sequence and is itself dropped (callers
 * that end lines on it look at it themselves). One filter per byte
 * stream; the caller serialises its bytes.
 */
#ifndef CORE_TEXT_FILTER_H
#define CORE_TEXT_FILTER_H

#include "core/lib/compiler.h"

struct text_filter {
	uint8_t state;		/* TEXT_FILTER_* in text_filter.c; 0 for plain text */
};

/* Whether c, the stream's next byte, is printed. */
bool text_filter_keep(struct text_filter *f, uint8_t c);

#endif
