/*
 * The serial console shared by the hypervisor and its guests, as Xen
 * shares it: input goes to one owner at a time, the focus, and Ctrl-A
 * pressed three times in a row moves the focus to the next guest and
 * from the last guest back to the hypervisor. The focused guest's output
 * passes through untouched (its shell prompt shows as typed); the others'
 * output is held back to whole lines, each printed as "[name] line".
 *
 * Output: any CPU (vCPU threads, from their COM1's transmitter) copies
 * the byte into its slot's ring of CONSOLE_MUX_RING bytes and returns; it
 * never waits for the UART. The console monitor on the boot CPU drains the
 * rings (console_mux_poll): the focused guest's bytes as they are, the
 * others' as tagged lines with their control characters and escape
 * sequences stripped, held back while the focused guest is writing an
 * open line (50 ms of quiet, 500 ms at most) so they do not cut its echo. A full ring drops bytes, counted, and the console
 * later shows "[name: N bytes dropped]" where they are missing. The first
 * byte into an empty ring kicks the boot CPU, so output does not wait for
 * its next poll. Each ring has its own leaf spinlock; the console writes
 * happen outside it, under log_lock, so guest lines and the hypervisor's
 * log lines never split each other (core/lib/log.h, log_write_guest()).
 * Input, the focus and the slots: the console monitor on the boot CPU only.
 */
#ifndef CORE_CONSOLE_MUX_H
#define CORE_CONSOLE_MUX_H

#include "core/lib/compiler.h"

#define CONSOLE_MUX_SLOTS   8
#define CONSOLE_MUX_ESCAPE  0x01	/* Ctrl-A */
#define CONSOLE_MUX_PRESSES 3
#define CONSOLE_MUX_RING    4096	/* bytes of output held per slot */
#define CONSOLE_MUX_BUDGET  512	/* unfocused bytes written per poll */

/* Where a guest's input goes: returns how many bytes it took now. */
typedef size_t (*console_input_fn)(void *ctx, const uint8_t *buf, size_t n);

/*
 * Registers a guest console. The first guest registered takes the focus
 * from the hypervisor, unless console_mux_set_autofocus(false) said the
 * hypervisor keeps it. Returns the slot or -ENOSPC.
 */
int console_mux_add(const char *name, console_input_fn input, void *ctx);

/*
 * Whether a guest registered while the hypervisor has the focus takes it
 * (on, the default) or the hypervisor keeps it (the boot option focus=hv):
 * then every guest's output comes as tagged lines, which a program reading
 * the console tells apart from the hypervisor's log lines, and no guest
 * can pass a line off as the hypervisor's. Ctrl-A x3 still moves the
 * focus. Boot CPU.
 */
void console_mux_set_autofocus(bool on);

/*
 * Unregisters a slot after writing what its ring still holds; the focus
 * falls back to the hypervisor if it had it.
 */
void console_mux_remove(int slot);

/* A byte of a guest's console output. Any CPU; never waits for the UART. */
void console_mux_output(int slot, uint8_t byte);

/*
 * Reads what was typed, switches the focus on the escape, hands input to
 * the focused guest (holding back what it cannot take yet) or, with the
 * hypervisor focused, runs the key's command (hyp_key); then writes the
 * guests' buffered output to the console. Boot CPU; the first call makes
 * its CPU the one that output kicks.
 */
void console_mux_poll(void (*hyp_key)(int c));

/*
 * The hypervisor's prompt line (core/launch/monitor.c): hide() erases it
 * and show() draws it again around every log line and tagged guest line
 * printed while the hypervisor has the focus, and hide() runs when the
 * focus leaves it. Both are called under log_lock, on any CPU; they write
 * raw output and take no lock.
 */
void console_mux_set_prompt(void (*hide)(void), void (*show)(void));

/*
 * Runs fn(ctx) under the console's lock (log_lock), so that its raw
 * output is never cut by a log line or a guest's line (the prompt's
 * echo). fn takes no lock.
 */
void console_mux_locked(void (*fn)(void *ctx), void *ctx);

/*
 * Waits, at most timeout_ns, until every byte the slot's guest wrote
 * before the call is on the console: for a VM's last words before the
 * hypervisor reports its end. Any CPU but the draining one (there it
 * returns at once: the drain cannot run while it waits); it kicks the
 * drain and spins, holding no lock.
 */
void console_mux_flush(int slot, uint64_t timeout_ns);

/* Slot with the focus, -1 for the hypervisor. */
int console_mux_focus(void);

#endif
