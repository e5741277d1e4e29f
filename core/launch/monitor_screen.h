/*
 * The monitor's `screen NAME` (core/launch/monitor_screen.c): a PC guest's
 * 80x25 VGA text, characters only. Boot CPU, inside the monitor's loop;
 * monitor_screen_row() is a pure function and runs anywhere.
 */
#ifndef CORE_LAUNCH_MONITOR_SCREEN_H
#define CORE_LAUNCH_MONITOR_SCREEN_H

#include "core/lib/compiler.h"

#define SCREEN_COLS  80
#define SCREEN_ROWS  25
#define SCREEN_BYTES (SCREEN_COLS * SCREEN_ROWS * 2)	/* character, attribute */

/* Registers the command; a refusal is an error line. */
void monitor_screen_register(void);

/*
 * One row of text from SCREEN_COLS cells (character byte, attribute
 * byte) into buf (SCREEN_COLS + 1 bytes): attributes skipped, NUL and
 * space a blank, other bytes outside 0x20-0x7e a '.', a cell whose valid
 * flag (the character byte's) is false a blank; trailing blanks cut.
 * Returns buf.
 */
const char *monitor_screen_row(const uint8_t *cells, const bool *valid, char *buf);

#endif
