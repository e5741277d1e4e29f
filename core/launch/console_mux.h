/*
 * The serial console shared by the hypervisor and its guests, as Xen
 * shares it: input goes to one owner at a time, the focus, and Ctrl-A
 * pressed three times in a row moves the focus to the next guest and
 * from the last guest back to the hypervisor. The focused guest's output
 * passes through untouched (its shell prompt shows as typed); the others'
 * output is held back to whole lines, each printed as "[name] line".
 *
 * Output: any CPU (vCPU threads, from their COM1's transmitter). Input
 * and focus: the console monitor on the boot CPU only (console_mux_poll).
 * One spinlock, mux_lock, guards the slots and the line buffers; it is a
 * leaf (no other lock is taken under it; console_write() is raw output).
 */
#ifndef CORE_CONSOLE_MUX_H
#define CORE_CONSOLE_MUX_H

#include "core/lib/compiler.h"

#define CONSOLE_MUX_SLOTS   8
#define CONSOLE_MUX_ESCAPE  0x01	/* Ctrl-A */
#define CONSOLE_MUX_PRESSES 3

/* Where a guest's input goes: returns how many bytes it took now. */
typedef size_t (*console_input_fn)(void *ctx, const uint8_t *buf, size_t n);

/*
 * Registers a guest console. The first guest registered takes the focus
 * from the hypervisor. Returns the slot or -ENOSPC.
 */
int console_mux_add(const char *name, console_input_fn input, void *ctx);

/* Unregisters a slot; the focus falls back to the hypervisor if it had it. */
void console_mux_remove(int slot);

/* A byte of a guest's console output. Any CPU. */
void console_mux_output(int slot, uint8_t byte);

/*
 * Reads what was typed, switches the focus on the escape, hands input to
 * the focused guest (holding back what it cannot take yet) or, with the
 * hypervisor focused, runs the key's command (hyp_key). Boot CPU.
 */
void console_mux_poll(void (*hyp_key)(int c));

/*
 * The hypervisor's prompt line (core/launch/monitor.c): hide() erases it
 * and show() draws it again, around each tagged guest line printed while
 * the hypervisor has the focus, and when the focus leaves or reaches it.
 * Both are called under the console's lock, on any CPU; they write raw
 * output and take no lock.
 */
void console_mux_set_prompt(void (*hide)(void), void (*show)(void));

/*
 * Runs fn(ctx) under the console's lock, so that its raw output is never
 * cut by a guest's line (the prompt's echo). fn takes no lock.
 */
void console_mux_locked(void (*fn)(void *ctx), void *ctx);

/* Slot with the focus, -1 for the hypervisor. */
int console_mux_focus(void);

#endif
