/*
 * The console monitor (see core/launch/monitor.h): a table of registered
 * commands, the shell that reads lines for them, and the boot CPU's
 * polling loop. Boot CPU only; the table is written before the loop
 * starts and read by it, no lock. The line editor's state is also read
 * by the console's redraw hook on whichever CPU prints a guest line, so
 * every call into the editor runs under the console's lock
 * (console_mux_locked()).
 */
#include <stdarg.h>

#include "core/launch/console_mux.h"
#include "core/launch/line_edit.h"
#include "core/launch/monitor.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/sched.h"

#define MONITOR_PERIOD_NS 5000000ull	/* console poll: 5 ms */
#define MONITOR_OUT_MAX   240

static void monitor_help(const char *args);

static const struct monitor_cmd monitor_help_cmd = {
	.name = "help", .alias = "h", .syntax = "help [CMD]",
	.help = "list the commands, or one command's syntax", .run = monitor_help,
};

/* In registration order, help first: the order help lists them in. */
static const struct monitor_cmd *monitor_cmds[MONITOR_MAX_CMDS] = { &monitor_help_cmd };
static unsigned int monitor_nr_cmds = 1;

/* The shell: under the console's lock once attached. */
static struct line_edit monitor_edit;
/* A line is running: its output goes without the prompt in between. */
static bool monitor_busy;
static bool monitor_attached;

static bool monitor_word_is(const char *word, const struct monitor_cmd *c)
{
	return strcmp(c->name, word) == 0 || (c->alias && strcmp(c->alias, word) == 0);
}

static const struct monitor_cmd *monitor_find(const char *word)
{
	for (unsigned int i = 0; i < monitor_nr_cmds; i++)
		if (monitor_word_is(word, monitor_cmds[i]))
			return monitor_cmds[i];
	return NULL;
}

int monitor_register(const struct monitor_cmd *cmd)
{
	if (!cmd->name || !cmd->name[0] || !cmd->run)
		return -EINVAL;
	if (monitor_find(cmd->name) || (cmd->alias && monitor_find(cmd->alias)))
		return -EEXIST;
	if (monitor_nr_cmds == MONITOR_MAX_CMDS)
		return -ENOSPC;
	monitor_cmds[monitor_nr_cmds++] = cmd;
	return 0;
}

static void monitor_vprintf(const char *prefix, const char *fmt, va_list ap)
{
	char line[MONITOR_OUT_MAX];

	hv_vsnprintf(line, sizeof(line), fmt, ap);
	log_raw("%s%s\n", prefix, line);
}

void monitor_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	monitor_vprintf("", fmt, ap);
	va_end(ap);
}

void monitor_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	monitor_vprintf("hv: ", fmt, ap);
	va_end(ap);
}

static bool monitor_blank(char c)
{
	return c == ' ' || c == '\t';
}

int monitor_split(const char *args, char *buf, size_t size, const char **argv,
		  unsigned int max)
{
	unsigned int n = 0;
	char *p = buf;

	if (hv_strlcpy(buf, args, size) >= size)
		return -EOVERFLOW;
	for (;;) {
		while (monitor_blank(*p))
			p++;
		if (!*p)
			return (int)n;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p && !monitor_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
}

static int monitor_digit(char c, unsigned int base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned int)d < base ? d : -1;
}

int monitor_parse_u64(const char *word, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	bool range = false;

	if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
		base = 16;
		word += 2;
	}
	if (!*word)
		return -EINVAL;
	for (; *word; word++) {
		int d = monitor_digit(*word, base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			range = true;
		else
			v = v * base + (uint64_t)d;
	}
	if (range || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool monitor_exec(const char *line)
{
	char word[LINE_EDIT_MAX];
	const struct monitor_cmd *c;
	size_t n = 0;

	while (monitor_blank(*line))
		line++;
	while (line[n] && !monitor_blank(line[n]) && n < sizeof(word) - 1) {
		word[n] = line[n];
		n++;
	}
	word[n] = '\0';
	if (!n)
		return true;
	c = monitor_find(word);
	if (!c) {
		monitor_error("unknown command '%s' (help lists them)", word);
		return false;
	}
	line += n;
	while (monitor_blank(*line))
		line++;
	c->run(line);
	return true;
}

static const char *monitor_syntax(const struct monitor_cmd *c)
{
	return c->syntax ? c->syntax : c->name;
}

static void monitor_help(const char *args)
{
	const char *argv[2];
	char buf[LINE_EDIT_MAX];
	const struct monitor_cmd *c;
	int n = monitor_split(args, buf, sizeof(buf), argv, 1);

	if (n < 0) {
		monitor_error("help: syntax: %s", monitor_help_cmd.syntax);
		return;
	}
	if (n == 1) {
		c = monitor_find(argv[0]);
		if (!c)
			monitor_error("help: unknown command '%s' (help lists them)", argv[0]);
		else
			monitor_printf("hv: syntax: %s: %s%s%s", monitor_syntax(c), c->help ? c->help : "",
				       c->alias ? "; alias " : "", c->alias ? c->alias : "");
		return;
	}
	monitor_printf("hv commands (Ctrl-A x3 moves the console):");
	for (unsigned int i = 0; i < monitor_nr_cmds; i++) {
		char alias[24] = "";

		c = monitor_cmds[i];
		if (c->alias)
			hv_snprintf(alias, sizeof(alias), " (%s)", c->alias);
		monitor_printf("  %-20s %s%s", monitor_syntax(c), c->help ? c->help : "", alias);
	}
}

/* --- The shell on the console ------------------------------------------- */

static void monitor_prompt_hide(void)
{
	if (!monitor_busy)
		line_edit_hide(&monitor_edit);
}

static void monitor_prompt_show(void)
{
	if (!monitor_busy)
		line_edit_show(&monitor_edit);
}

void monitor_attach(void)
{
	if (monitor_attached)
		return;
	line_edit_init(&monitor_edit, MONITOR_PROMPT, console_write);
	monitor_attached = true;
	console_mux_set_prompt(monitor_prompt_hide, monitor_prompt_show);
}

struct monitor_feed {
	int c;
	bool done;
	char line[LINE_EDIT_MAX];
};

static void monitor_feed_locked(void *ctx)
{
	struct monitor_feed *f = ctx;

	f->done = line_edit_feed(&monitor_edit, f->c, f->line, sizeof(f->line));
	if (f->done)
		monitor_busy = true;
}

static void monitor_show_locked(void *ctx)
{
	(void)ctx;
	monitor_busy = false;
	if (console_mux_focus() < 0)
		line_edit_show(&monitor_edit);
}

void monitor_key(int c)
{
	struct monitor_feed f = { .c = c };

	monitor_attach();
	console_mux_locked(monitor_feed_locked, &f);
	if (!f.done)
		return;
	monitor_exec(f.line);
	console_mux_locked(monitor_show_locked, NULL);
}

__noreturn void monitor_run(void (*tick)(void))
{
	monitor_attach();
	for (;;) {
		console_mux_poll(monitor_key);
		tick();
		/*
		 * The monitor is a thread of the boot CPU that outranks its
		 * vCPUs: it sleeps until its next tick, and its deadline wakes
		 * it (and preempts a vCPU there) when the period is over.
		 */
		sched_sleep_until(time_now_ns() + MONITOR_PERIOD_NS);
	}
}
