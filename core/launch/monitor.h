/*
 * The console monitor: the boot CPU's loop once VMs run. It polls the
 * console (core/launch/console_mux.c routes input to the focused guest
 * and switches the focus), runs the caller's periodic work (the end and
 * restart of VMs), and runs the hypervisor's commands, which parts of the
 * hypervisor register here: a command has a name, a one-key shortcut on
 * the hypervisor's console, a syntax and a help line. The built-in `help`
 * (key h) prints the keys on one line ("hv keys: h help, q list VMs,
 * ..."), then the commands without a key, by syntax, on a second.
 *
 * Boot CPU only: registration before monitor_run(), commands inside it.
 * No lock.
 */
#ifndef CORE_LAUNCH_MONITOR_H
#define CORE_LAUNCH_MONITOR_H

#include "core/lib/compiler.h"

#define MONITOR_MAX_CMDS 32

struct monitor_cmd {
	const char *name;	/* one word: "vms" */
	char key;		/* its key with the hypervisor focused; 0: none */
	const char *syntax;	/* how it is called: "vms" */
	const char *help;	/* what it does, a few words: "list VMs" */
	/* Runs the command; args is what followed the name ("" for a key). */
	void (*run)(const char *args);
};

/*
 * Adds cmd (kept by pointer: it must outlive the monitor). Returns 0, or
 * -EINVAL (no name or handler), -EEXIST (its name or key is taken) or
 * -ENOSPC (MONITOR_MAX_CMDS registered).
 */
int monitor_register(const struct monitor_cmd *cmd);

/*
 * Handles key as typed on the hypervisor's console: runs the command it
 * is the key of. Returns false if no command has it.
 */
bool monitor_run_key(int key);

/*
 * The loop: console input, then tick(), then a wait for the next period
 * (MONITOR_PERIOD_NS). Never returns.
 */
__noreturn void monitor_run(void (*tick)(void));

#endif
