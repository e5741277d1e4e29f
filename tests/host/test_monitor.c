/*
 * Hosted test of core/launch/monitor.c with the line editor and the
 * console multiplexer. Scenario: the launcher's commands registered as on
 * a booted hypervisor (vms, alias q; stats, alias s) and one registered
 * the way other parts do, with no alias; command lines run directly and
 * typed on the console (tests/host/shim.c queues the bytes), a guest's
 * console beside the hypervisor's prompt.
 */
#include <stdio.h>
#include <unistd.h>

#include "core/launch/console_mux.h"
#include "core/launch/monitor.h"
#include "core/lib/errno.h"
#include "tests/host/check.h"

static unsigned int ran_list, ran_stats, ran_regs;
static char last_args[64];

static void cmd_list(const char *args)
{
	ran_list++;
	snprintf(last_args, sizeof(last_args), "%s", args);
}

static void cmd_stats(const char *args)
{
	ran_stats++;
	snprintf(last_args, sizeof(last_args), "%s", args);
}

static void cmd_regs(const char *args)
{
	ran_regs++;
	snprintf(last_args, sizeof(last_args), "%s", args);
}

static const struct monitor_cmd list_cmd = {
	.name = "vms", .alias = "q", .syntax = "vms", .help = "list VMs", .run = cmd_list,
};
static const struct monitor_cmd stats_cmd = {
	.name = "stats", .alias = "s", .syntax = "stats [NAME]", .help = "exit statistics",
	.run = cmd_stats,
};
/* As other command files register theirs: no alias. */
static const struct monitor_cmd regs_cmd = {
	.name = "regs", .syntax = "regs VM VCPU", .help = "registers", .run = cmd_regs,
};

/* What the last capture printed on the console (stderr in the hosted build). */
static char out[16384];

static void capture_begin(FILE **tmp, int *saved)
{
	*tmp = tmpfile();
	*saved = dup(2);
	CHECK(*tmp && *saved >= 0);
	fflush(stderr);
	dup2(fileno(*tmp), 2);
}

static void capture_end(FILE *tmp, int saved)
{
	size_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

/* Runs line with the monitor, capturing its output; returns its result. */
static bool exec_line(const char *line)
{
	FILE *tmp;
	int saved;
	bool ok;

	capture_begin(&tmp, &saved);
	ok = monitor_exec(line);
	capture_end(tmp, saved);
	return ok;
}

/* Types keys on the console and polls once, capturing the output. */
static void type_poll(const char *keys)
{
	FILE *tmp;
	int saved;

	capture_begin(&tmp, &saved);
	shim_console_type(keys, strlen(keys));
	console_mux_poll(monitor_key);
	capture_end(tmp, saved);
}

static void register_cmds(void)
{
	static const struct monitor_cmd same_name = {
		.name = "vms", .help = "again", .run = cmd_list,
	};
	static const struct monitor_cmd alias_is_a_name = {
		.name = "list", .alias = "vms", .help = "again", .run = cmd_list,
	};
	static const struct monitor_cmd name_is_an_alias = {
		.name = "q", .help = "quit", .run = cmd_list,
	};
	static const struct monitor_cmd same_alias = {
		.name = "quit", .alias = "q", .help = "quit", .run = cmd_list,
	};
	static const struct monitor_cmd help_alias = {
		.name = "hello", .alias = "h", .help = "hi", .run = cmd_list,
	};
	static const struct monitor_cmd no_run = { .name = "none", .help = "none" };
	static const struct monitor_cmd no_name = { .help = "none", .run = cmd_list };

	CHECK_EQ(monitor_register(&list_cmd), 0);
	CHECK_EQ(monitor_register(&stats_cmd), 0);
	CHECK_EQ(monitor_register(&regs_cmd), 0);
	CHECK_EQ(monitor_register(&same_name), -EEXIST);
	CHECK_EQ(monitor_register(&alias_is_a_name), -EEXIST);
	CHECK_EQ(monitor_register(&name_is_an_alias), -EEXIST);
	CHECK_EQ(monitor_register(&same_alias), -EEXIST);
	CHECK_EQ(monitor_register(&help_alias), -EEXIST);
	CHECK_EQ(monitor_register(&no_run), -EINVAL);
	CHECK_EQ(monitor_register(&no_name), -EINVAL);
}

static void dispatch(void)
{
	CHECK(exec_line("q"));
	CHECK_EQ(ran_list, 1);
	CHECK_STR(last_args, "");
	CHECK(exec_line("  vms   alpha  7 "));
	CHECK_EQ(ran_list, 2);
	CHECK_STR(last_args, "alpha  7 ");	/* leading blanks skipped */
	CHECK(exec_line("s\tbeta"));
	CHECK_EQ(ran_stats, 1);
	CHECK_STR(last_args, "beta");
	CHECK(exec_line("regs alpha 0"));
	CHECK_EQ(ran_regs, 1);
	CHECK_STR(last_args, "alpha 0");
	CHECK(exec_line(""));
	CHECK(exec_line("   "));
	CHECK_STR(out, "");
	CHECK_EQ(ran_list + ran_stats + ran_regs, 4);

	/* Unknown: one error line, nothing runs. Prefixes are not names. */
	CHECK(!exec_line("foo bar"));
	CHECK_STR(out, "hv: unknown command 'foo' (help lists them)\n");
	CHECK(!exec_line("vm"));
	CHECK(!exec_line("vmss"));
	CHECK(!exec_line("Q"));
	CHECK_EQ(ran_list + ran_stats + ran_regs, 4);
}

static void help(void)
{
	CHECK(exec_line("help"));
	CHECK(strstr(out, "hv commands (Ctrl-A x3 moves the console):\n") != NULL);
	CHECK(strstr(out, "  help [CMD]") != NULL);
	CHECK(strstr(out, "  vms                  list VMs (q)\n") != NULL);
	CHECK(strstr(out, "  stats [NAME]         exit statistics (s)\n") != NULL);
	CHECK(strstr(out, "  regs VM VCPU         registers\n") != NULL);
	CHECK(exec_line("h"));		/* the alias */
	CHECK(strstr(out, "  regs VM VCPU") != NULL);
	CHECK(exec_line("help regs"));
	CHECK_STR(out, "hv: syntax: regs VM VCPU: registers\n");
	CHECK(exec_line("help q"));
	CHECK_STR(out, "hv: syntax: vms: list VMs; alias q\n");
	CHECK(exec_line("help nope"));
	CHECK_STR(out, "hv: help: unknown command 'nope' (help lists them)\n");
	CHECK(exec_line("help vms stats"));
	CHECK_STR(out, "hv: help: syntax: help [CMD]\n");
}

static void errors(void)
{
	FILE *tmp;
	int saved;

	capture_begin(&tmp, &saved);
	monitor_error("vm: no VM named '%s'", "x");
	monitor_printf("%d lines", 2);
	capture_end(tmp, saved);
	CHECK_STR(out, "hv: vm: no VM named 'x'\n2 lines\n");
}

static void split_words(void)
{
	const char *argv[3];
	char buf[32];

	CHECK_EQ(monitor_split("  a bb\tccc ", buf, sizeof(buf), argv, 3), 3);
	CHECK_STR(argv[0], "a");
	CHECK_STR(argv[1], "bb");
	CHECK_STR(argv[2], "ccc");
	CHECK_EQ(monitor_split("", buf, sizeof(buf), argv, 3), 0);
	CHECK_EQ(monitor_split("   ", buf, sizeof(buf), argv, 3), 0);
	CHECK_EQ(monitor_split("a b c d", buf, sizeof(buf), argv, 3), -E2BIG);
	CHECK_EQ(monitor_split("a", buf, sizeof(buf), argv, 0), -E2BIG);
	CHECK_EQ(monitor_split("0123456789012345678901234567890123", buf, sizeof(buf), argv, 3),
		 -EOVERFLOW);
}

static void parse_numbers(void)
{
	uint64_t v = 99;

	CHECK_EQ(monitor_parse_u64("0", 0, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(monitor_parse_u64("42", 0, 100, &v), 0);
	CHECK_EQ(v, 42);
	CHECK_EQ(monitor_parse_u64("0x1F", 0, 100, &v), 0);
	CHECK_EQ(v, 31);
	CHECK_EQ(monitor_parse_u64("0xffffffffffffffff", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(monitor_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	v = 7;
	CHECK_EQ(monitor_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(monitor_parse_u64("0x10000000000000000", 0, UINT64_MAX, &v), -ERANGE);
	CHECK_EQ(monitor_parse_u64("101", 0, 100, &v), -ERANGE);
	CHECK_EQ(monitor_parse_u64("1", 2, 100, &v), -ERANGE);
	CHECK_EQ(monitor_parse_u64("", 0, 100, &v), -EINVAL);
	CHECK_EQ(monitor_parse_u64("0x", 0, 100, &v), -EINVAL);
	CHECK_EQ(monitor_parse_u64("12a", 0, 100, &v), -EINVAL);
	CHECK_EQ(monitor_parse_u64("0x1g", 0, 100, &v), -EINVAL);
	CHECK_EQ(monitor_parse_u64("-1", 0, 100, &v), -EINVAL);
	CHECK_EQ(monitor_parse_u64(" 1", 0, 100, &v), -EINVAL);
	CHECK_EQ(v, 7);			/* untouched on error */
}

static uint8_t guest_in[256];
static size_t guest_in_len;

static size_t guest_input(void *ctx, const uint8_t *buf, size_t n)
{
	memcpy(guest_in + guest_in_len, buf, MIN(n, sizeof(guest_in) - guest_in_len));
	guest_in_len += MIN(n, sizeof(guest_in) - guest_in_len);
	return n;
}

static void guest_line(int slot, const char *s)
{
	FILE *tmp;
	int saved;

	capture_begin(&tmp, &saved);
	for (; *s; s++)
		console_mux_output(slot, (uint8_t)*s);
	capture_end(tmp, saved);
}

static void shell_on_console(void)
{
	unsigned int list0 = ran_list, stats0 = ran_stats;
	int slot;

	monitor_attach();
	slot = console_mux_add("g", guest_input, NULL);
	CHECK_EQ(slot, 0);
	CHECK_EQ(console_mux_focus(), 0);	/* the first guest has the console */
	type_poll("vms\r");
	CHECK_EQ(ran_list, list0);		/* went to the guest */
	CHECK_EQ(guest_in_len, 4);

	type_poll("\x01\x01\x01");
	CHECK_EQ(console_mux_focus(), -1);
	CHECK(strstr(out, "[hv] console input: hypervisor (Ctrl-A x3 switches)\r\n"
			  "\r\x1b[Khv> ") != NULL);

	/* A line typed in pieces, the left arrow split across polls. */
	type_poll("vs");
	CHECK_STR(out, "vs");
	type_poll("\x1b");
	type_poll("[");
	type_poll("Dm");
	type_poll("\r");
	CHECK_EQ(ran_list, list0 + 1);
	CHECK_STR(last_args, "");
	CHECK_STR(out, "\r\n\r\x1b[Khv> ");		/* the prompt again */
	type_poll("\n");			/* the LF of CR LF runs nothing */
	CHECK_STR(out, "");

	/* Unknown and bad lines: an error line, then the prompt. */
	type_poll("nope 1\r\n");
	CHECK(strstr(out, "hv: unknown command 'nope' (help lists them)\n") != NULL);
	CHECK(strstr(out, "hv> ") != NULL);

	/* A guest's line while a partial line is typed: erased, redrawn after. */
	type_poll("st");
	guest_line(slot, "hello from g\n");
	CHECK_STR(out, "\r\x1b[K[g] hello from g\r\n\r\x1b[Khv> st");
	guest_line(slot, "partial");		/* no newline yet: nothing shows */
	CHECK_STR(out, "");
	type_poll("ats g\r");
	CHECK_EQ(ran_stats, stats0 + 1);
	CHECK_STR(last_args, "g");

	/* History across the console: up runs the last line again. */
	type_poll("\x1b[A\r");
	CHECK_EQ(ran_stats, stats0 + 2);

	/* Leaving the hypervisor erases its prompt line; coming back shows it. */
	type_poll("ab\x01\x01\x01");
	CHECK_EQ(console_mux_focus(), 0);
	CHECK(strstr(out, "\r\x1b[K[hv] console input: g") != NULL);
	guest_line(slot, "\n");			/* focused: untouched, no prompt */
	CHECK_STR(out, "\n");
	type_poll("\x01\x01\x01");
	CHECK(strstr(out, "console input: hypervisor (Ctrl-A x3 switches)\r\n"
			  "\r\x1b[Khv> ab") != NULL);
	type_poll("\x15q\r");
	CHECK_EQ(ran_list, list0 + 2);
	console_mux_remove(slot);
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
	RUN(register_cmds);
	RUN(dispatch);
	RUN(help);
	RUN(errors);
	RUN(split_words);
	RUN(parse_numbers);
	RUN(shell_on_console);
	RUN(table_fills_up);
	return check_done();
}
