/*
 * The console monitor: the boot CPU's loop once VMs run, and the
 * hypervisor's shell. It polls the console (core/launch/console_mux.c
 * routes input to the focused guest and switches the focus), runs the
 * caller's periodic work (the end and restart of VMs), and, while the
 * hypervisor has the console, reads command lines at the prompt "hv> "
 * with the line editor (core/launch/line_edit.h) and runs them.
 *
 * Parts of the hypervisor register commands here: a name, an optional
 * short alias ("q" for "vms"), a syntax, a help line and a handler. A
 * line is a command's name or alias and its arguments; an unknown
 * command is one error line. The built-in `help` (alias h) lists every
 * command, `help CMD` one command's syntax.
 *
 * Boot CPU only: registration before monitor_run(), commands inside it.
 * No lock of its own; the editor runs under the console's lock.
 */
#ifndef CORE_LAUNCH_MONITOR_H
#define CORE_LAUNCH_MONITOR_H

#include "core/lib/compiler.h"

#define MONITOR_MAX_CMDS 32
#define MONITOR_PROMPT   "hv> "
#define MONITOR_MAX_ARGS 8	/* words of one line, the command's name included */

struct monitor_cmd {
	const char *name;	/* one word: "vms" */
	const char *alias;	/* a short word typed instead, "q"; NULL: none */
	const char *syntax;	/* how it is called: "vm NAME"; NULL: the name */
	const char *help;	/* what it does, a few words: "one VM in full" */
	/*
	 * Runs the command; args is what followed the name or alias, leading
	 * blanks skipped ("" for none). Reports bad arguments with
	 * monitor_error().
	 */
	void (*run)(const char *args);
};

/*
 * Adds cmd (kept by pointer: it must outlive the monitor). Returns 0, or
 * -EINVAL (no name or handler), -EEXIST (its name or alias is another
 * command's name or alias) or -ENOSPC (MONITOR_MAX_CMDS registered).
 */
int monitor_register(const struct monitor_cmd *cmd);

/*
 * Runs one command line: the first word picks the command, the rest is
 * its arguments. A blank line does nothing. Returns false, with an error
 * line, if no command has that name or alias.
 */
bool monitor_exec(const char *line);

/*
 * A line typed while the hypervisor has the console: one byte of it, as
 * console_mux_poll() hands them over. Runs the line it ends, then shows
 * the prompt again.
 */
void monitor_key(int c);

/*
 * Connects the shell to the console: the prompt is shown when the
 * hypervisor takes the console and redrawn after guest lines. Called by
 * monitor_run(); the hosted tests call it themselves.
 */
void monitor_attach(void);

/* One line of a command's output, shown whatever the log level. */
void monitor_printf(const char *fmt, ...) __printf(1, 2);

/* One error line, "hv: " and the message: a bad command or argument. */
void monitor_error(const char *fmt, ...) __printf(1, 2);

/*
 * Splits args into blank-separated words: copies it to buf (size bytes),
 * cuts it there and points argv[0..] at the words. Returns how many,
 * -E2BIG if there are more than max, -EOVERFLOW if args does not fit
 * in buf.
 */
int monitor_split(const char *args, char *buf, size_t size, const char **argv,
		  unsigned int max);

/*
 * Parses word as an unsigned number, hex with 0x or decimal, in
 * [min, max]. Returns 0 with *out set, -EINVAL (not a number) or -ERANGE
 * (outside the range, or past 64 bits); *out untouched on error.
 */
int monitor_parse_u64(const char *word, uint64_t min, uint64_t max, uint64_t *out);

/*
 * The loop: console input, then tick(), then a wait for the next period
 * (MONITOR_PERIOD_NS). Never returns.
 */
__noreturn void monitor_run(void (*tick)(void));

#endif
