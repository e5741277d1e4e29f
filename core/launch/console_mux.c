/*
 * Console multiplexer (see core/launch/console_mux.h for the model). Output runs
 * on any CPU under mux_lock; input, the focus and the input queues belong
 * to the boot CPU's console monitor, which also adds and removes slots.
 */
#include "core/launch/console_mux.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"

#define MUX_NAME_MAX  32
#define MUX_LINE_MAX  160
#define MUX_INPUT_MAX 1024

struct mux_slot {
	/* Under mux_lock: */
	bool used;
	char name[MUX_NAME_MAX];
	char line[MUX_LINE_MAX];	/* unfocused output, up to its newline */
	unsigned int len;

	/* Boot CPU only: */
	console_input_fn input;
	void *ctx;
	uint8_t queue[MUX_INPUT_MAX];	/* typed, not yet taken by the guest */
	unsigned int q_head, q_count;
};

static spinlock_t mux_lock = SPINLOCK_INIT;
static struct mux_slot slots[CONSOLE_MUX_SLOTS];
/* Read by output under mux_lock; written by the boot CPU under it. */
static int focus = -1;
/* The console's cursor is in the middle of a focused guest's line. */
static bool mid_line;
/* Boot CPU only: escapes seen in a row. */
static unsigned int escapes;
/* The hypervisor's prompt line (console_mux_set_prompt()); under mux_lock. */
static void (*prompt_hide)(void);
static void (*prompt_show)(void);

static void mux_write_locked(const char *s, size_t n)
{
	console_write(s, n);
}

/* from_hyp: the focus was the hypervisor's, whose prompt line goes. */
static void mux_announce(bool from_hyp)
{
	char buf[96];
	int n;

	spin_lock(&mux_lock);
	if (from_hyp && !mid_line && prompt_hide)
		prompt_hide();
	n = hv_snprintf(buf, sizeof(buf), "%s[hv] console input: %s (Ctrl-A x3 switches)\r\n",
			mid_line ? "\r\n" : "", focus < 0 ? "hypervisor" : slots[focus].name);
	mid_line = false;
	mux_write_locked(buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
	if (focus < 0 && prompt_show)
		prompt_show();
	spin_unlock(&mux_lock);
}

void console_mux_set_prompt(void (*hide)(void), void (*show)(void))
{
	spin_lock(&mux_lock);
	prompt_hide = hide;
	prompt_show = show;
	spin_unlock(&mux_lock);
}

void console_mux_locked(void (*fn)(void *ctx), void *ctx)
{
	spin_lock(&mux_lock);
	fn(ctx);
	spin_unlock(&mux_lock);
}

int console_mux_add(const char *name, console_input_fn input, void *ctx)
{
	bool first = true, from_hyp = false;
	int slot = -ENOSPC;

	spin_lock(&mux_lock);
	for (int i = 0; i < CONSOLE_MUX_SLOTS; i++) {
		if (slots[i].used) {
			first = false;
			continue;
		}
		if (slot < 0)
			slot = i;
	}
	if (slot >= 0) {
		struct mux_slot *s = &slots[slot];

		memset(s, 0, sizeof(*s));
		s->used = true;
		hv_strlcpy(s->name, name, sizeof(s->name));
		s->input = input;
		s->ctx = ctx;
		if (first && focus < 0) {
			focus = slot;
			from_hyp = true;
		}
	}
	spin_unlock(&mux_lock);
	if (slot >= 0 && focus == slot)
		mux_announce(from_hyp);
	return slot;
}

void console_mux_remove(int slot)
{
	bool refocus = false;

	if (slot < 0 || slot >= CONSOLE_MUX_SLOTS)
		return;
	spin_lock(&mux_lock);
	slots[slot].used = false;
	if (focus == slot) {
		focus = -1;
		refocus = true;
	}
	spin_unlock(&mux_lock);
	if (refocus)
		mux_announce(false);
}

void console_mux_output(int slot, uint8_t byte)
{
	struct mux_slot *s;

	if (slot < 0 || slot >= CONSOLE_MUX_SLOTS)
		return;
	s = &slots[slot];
	spin_lock(&mux_lock);
	if (!s->used)
		goto out;
	if (slot == focus) {
		mux_write_locked((const char *)&byte, 1);
		mid_line = byte != '\n';
		goto out;
	}
	if (byte != '\n' && byte != '\r')
		s->line[s->len++] = (char)byte;
	if (byte == '\n' || s->len == MUX_LINE_MAX - 1) {
		/* The hypervisor's prompt, if shown, is redrawn under the line. */
		bool prompt = focus < 0 && prompt_show;

		if (prompt)
			prompt_hide();
		else if (mid_line)
			mux_write_locked("\r\n", 2);
		mid_line = false;
		mux_write_locked("[", 1);
		mux_write_locked(s->name, strlen(s->name));
		mux_write_locked("] ", 2);
		mux_write_locked(s->line, s->len);
		mux_write_locked("\r\n", 2);
		s->len = 0;
		if (prompt)
			prompt_show();
	}
out:
	spin_unlock(&mux_lock);
}

int console_mux_focus(void)
{
	return READ_ONCE(focus);
}

/* The next guest after the focus, or the hypervisor after the last one. */
static void mux_switch_focus(void)
{
	int next = -1;
	bool from_hyp;

	spin_lock(&mux_lock);
	from_hyp = focus < 0;
	for (int i = focus + 1; i < CONSOLE_MUX_SLOTS; i++) {
		if (slots[i].used) {
			next = i;
			break;
		}
	}
	focus = next;
	spin_unlock(&mux_lock);
	mux_announce(from_hyp);
}

static void mux_queue(struct mux_slot *s, uint8_t c)
{
	if (s->q_count == MUX_INPUT_MAX)
		return;		/* the guest reads nothing: typing is lost */
	s->queue[(s->q_head + s->q_count) % MUX_INPUT_MAX] = c;
	s->q_count++;
}

static void mux_deliver(uint8_t c, void (*hyp_key)(int c))
{
	int f = READ_ONCE(focus);

	if (f < 0) {
		if (hyp_key)
			hyp_key(c);
		return;
	}
	mux_queue(&slots[f], c);
}

/* Hands each guest what its receiver takes now, in order. */
static void mux_flush_input(void)
{
	for (int i = 0; i < CONSOLE_MUX_SLOTS; i++) {
		struct mux_slot *s = &slots[i];

		while (s->used && s->q_count) {
			size_t run = MIN(s->q_count, MUX_INPUT_MAX - s->q_head);
			size_t took = s->input(s->ctx, &s->queue[s->q_head], run);

			s->q_head = (s->q_head + took) % MUX_INPUT_MAX;
			s->q_count -= took;
			if (took < run)
				break;
		}
		if (!s->used)
			s->q_count = 0;
	}
}

void console_mux_poll(void (*hyp_key)(int c))
{
	int c;

	while ((c = console_getc()) >= 0) {
		if (c == CONSOLE_MUX_ESCAPE) {
			if (++escapes == CONSOLE_MUX_PRESSES) {
				escapes = 0;
				mux_switch_focus();
			}
			continue;
		}
		/* Fewer escapes than a switch: they were meant for the guest. */
		for (; escapes; escapes--)
			mux_deliver(CONSOLE_MUX_ESCAPE, hyp_key);
		mux_deliver((uint8_t)c, hyp_key);
	}
	mux_flush_input();
}
