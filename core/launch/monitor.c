/*
 * The console monitor (see core/launch/monitor.h): a table of registered
 * commands and the boot CPU's polling loop. Boot CPU only; the table is
 * written before the loop starts and read by it, no lock.
 */
#include "core/launch/console_mux.h"
#include "core/launch/monitor.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define MONITOR_PERIOD_NS 5000000ull	/* console poll: 5 ms */
#define MONITOR_HELP_MAX  256

static void monitor_help(const char *args);

static const struct monitor_cmd monitor_help_cmd = {
	.name = "help", .key = 'h', .syntax = "help", .help = "help", .run = monitor_help,
};

/* In registration order, help first: the order of the help line. */
static const struct monitor_cmd *monitor_cmds[MONITOR_MAX_CMDS] = { &monitor_help_cmd };
static unsigned int monitor_nr_cmds = 1;

int monitor_register(const struct monitor_cmd *cmd)
{
	if (!cmd->name || !cmd->run)
		return -EINVAL;
	for (unsigned int i = 0; i < monitor_nr_cmds; i++)
		if (strcmp(monitor_cmds[i]->name, cmd->name) == 0 ||
		    (cmd->key && monitor_cmds[i]->key == cmd->key))
			return -EEXIST;
	if (monitor_nr_cmds == MONITOR_MAX_CMDS)
		return -ENOSPC;
	monitor_cmds[monitor_nr_cmds++] = cmd;
	return 0;
}

/* Appends each command's key and help (keys) or syntax and help (no key). */
static void monitor_help_list(char *line, size_t size, bool keys)
{
	size_t len = 0;

	line[0] = '\0';
	for (unsigned int i = 0; i < monitor_nr_cmds && len < size; i++) {
		const struct monitor_cmd *c = monitor_cmds[i];

		if (keys && c->key)
			len += (size_t)hv_snprintf(line + len, size - len, "%s%c %s",
						   len ? ", " : "", c->key, c->help);
		else if (!keys && !c->key)
			len += (size_t)hv_snprintf(line + len, size - len, "%s%s (%s)",
						   len ? ", " : "",
						   c->syntax ? c->syntax : c->name, c->help);
	}
}

/*
 * The keys on one line, as the console has always shown them, then the
 * commands that have no key, if any, on a second one.
 */
static void monitor_help(const char *args)
{
	char line[MONITOR_HELP_MAX];

	(void)args;
	monitor_help_list(line, sizeof(line), true);
	pr_info("hv keys: %s; Ctrl-A x3 moves the console", line);
	monitor_help_list(line, sizeof(line), false);
	if (line[0])
		pr_info("hv commands: %s", line);
}

bool monitor_run_key(int key)
{
	for (unsigned int i = 0; i < monitor_nr_cmds; i++)
		if (monitor_cmds[i]->key && monitor_cmds[i]->key == key) {
			monitor_cmds[i]->run("");
			return true;
		}
	return false;
}

static void monitor_key(int c)
{
	monitor_run_key(c);
}

__noreturn void monitor_run(void (*tick)(void))
{
	for (;;) {
		unsigned long flags;

		console_mux_poll(monitor_key);
		tick();
		flags = irq_save();
		platform_timer_arm(time_now_ns() + MONITOR_PERIOD_NS);
		platform_wait_irq();
		irq_restore(flags);
	}
}
