/*
 * Hosted test of core/launch/monitor.c. Scenario: the launcher's two
 * commands registered as on a booted hypervisor ('q' list, 's'
 * statistics), then commands that must be refused; keys typed on the
 * hypervisor's console run their command, and 'h' prints the help line
 * the integration scripts know, built from the registry.
 */
#include <stdio.h>
#include <unistd.h>

#include "core/launch/monitor.h"
#include "core/lib/errno.h"
#include "tests/host/check.h"

static unsigned int ran_list, ran_stats;
static char last_args[32];

static void cmd_list(const char *args)
{
	ran_list++;
	snprintf(last_args, sizeof(last_args), "%s", args);
}

static void cmd_stats(const char *args)
{
	ran_stats++;
}

static const struct monitor_cmd list_cmd = {
	.name = "vms", .key = 'q', .syntax = "vms", .help = "list VMs", .run = cmd_list,
};
static const struct monitor_cmd stats_cmd = {
	.name = "stats", .key = 's', .syntax = "stats", .help = "exit statistics",
	.run = cmd_stats,
};

/* What fn printed on the console (stderr in the hosted build). */
static void capture(void (*fn)(void), char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void press_h(void)
{
	CHECK(monitor_run_key('h'));
}

static void register_and_run(void)
{
	static const struct monitor_cmd same_name = {
		.name = "vms", .key = 'v', .help = "again", .run = cmd_list,
	};
	static const struct monitor_cmd same_key = {
		.name = "quit", .key = 'q', .help = "quit", .run = cmd_list,
	};
	static const struct monitor_cmd no_run = { .name = "none", .help = "none" };
	static const struct monitor_cmd no_key = {
		.name = "regs", .syntax = "regs VM VCPU", .help = "registers", .run = cmd_stats,
	};

	CHECK_EQ(monitor_register(&list_cmd), 0);
	CHECK_EQ(monitor_register(&stats_cmd), 0);
	CHECK_EQ(monitor_register(&same_name), -EEXIST);
	CHECK_EQ(monitor_register(&same_key), -EEXIST);
	CHECK_EQ(monitor_register(&no_run), -EINVAL);
	CHECK_EQ(monitor_register(&no_key), 0);	/* a prompt command only */
	CHECK(monitor_run_key('q'));
	CHECK_EQ(ran_list, 1);
	CHECK_STR(last_args, "");
	CHECK(monitor_run_key('s'));
	CHECK_EQ(ran_stats, 1);
	CHECK(!monitor_run_key('x'));
	CHECK(!monitor_run_key(0));
	CHECK_EQ(ran_list + ran_stats, 2);
}

static void help_line(void)
{
	char out[512];

	capture(press_h, out, sizeof(out));
	CHECK(strstr(out, "hv keys: h help, q list VMs, s exit statistics; "
			  "Ctrl-A x3 moves the console") != NULL);
	/* A command without a key: on a line of its own, with its syntax. */
	CHECK(strstr(out, "moves the console\n") != NULL);
	CHECK(strstr(out, "hv commands: regs VM VCPU (registers)") != NULL);
}

static void table_fills_up(void)
{
	static struct monitor_cmd many[MONITOR_MAX_CMDS];
	static char names[MONITOR_MAX_CMDS][8];
	unsigned int ok = 0;
	int err = 0;

	for (unsigned int i = 0; i < MONITOR_MAX_CMDS && !err; i++) {
		snprintf(names[i], sizeof(names[i]), "c%u", i);
		many[i] = (struct monitor_cmd){ .name = names[i], .help = "", .run = cmd_stats };
		err = monitor_register(&many[i]);
		if (!err)
			ok++;
	}
	CHECK_EQ(err, -ENOSPC);
	CHECK_EQ(ok, MONITOR_MAX_CMDS - 4);	/* help, vms, stats, regs before */
}

int main(void)
{
	RUN(register_and_run);
	RUN(help_line);
	RUN(table_fills_up);
	return check_done();
}
