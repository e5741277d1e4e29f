/*
 * Console multiplexer (see core/launch/console_mux.h for the model).
 *
 * Output runs on any CPU and only copies the byte into its slot's ring,
 * under that ring's lock; the boot CPU's console monitor drains the rings
 * to the UART (console_mux_poll()), outside every lock a vCPU's exit path
 * takes except log_lock, which every console line holds while it is
 * written. Input, the focus, the input queues, the names and the held
 * back lines belong to the boot CPU, which also adds and removes slots.
 */
#include "core/launch/console_mux.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"
#include "core/lib/text_filter.h"

#define MUX_NAME_MAX  32
#define MUX_LINE_MAX  160
#define MUX_INPUT_MAX 1024
#define MUX_CHUNK     256	/* bytes taken from a ring, and written, at a time */
#define MUX_HOLD_QUIET_NS 50000000ull	/* the focus's open line is done after 50 ms */
#define MUX_HOLD_MAX_NS   500000000ull	/* others wait for it 500 ms at most */

_Static_assert((CONSOLE_MUX_RING & (CONSOLE_MUX_RING - 1)) == 0, "ring size: a power of two");

/* A guest's output on its way to the console: any CPU in, the boot CPU out. */
struct mux_ring {
	spinlock_t lock;
	/* Under lock: */
	bool open;			/* the slot takes output */
	uint32_t head, tail;		/* bytes written and read, free-running */
	uint64_t dropped;		/* lost since the ring filled; not 0: all are */
	uint64_t filled_ns;		/* when its first byte came into the empty ring */
	uint32_t written;		/* bytes on the console: tail once written */
	uint8_t buf[CONSOLE_MUX_RING];
};

/* How long output waited for the drain: reported when the slot goes. */
struct mux_stats {
	uint64_t bytes, dropped;
	uint64_t waits, wait_sum_ns, wait_max_ns;	/* empty ring to its first drain */
};

struct mux_slot {
	struct mux_ring out;

	/* Boot CPU only: */
	bool used;
	char name[MUX_NAME_MAX];
	char line[MUX_LINE_MAX];	/* unfocused output, up to its newline */
	unsigned int len;
	struct text_filter filter;	/* for line */
	struct mux_stats stats;
	console_input_fn input;
	void *ctx;
	uint8_t queue[MUX_INPUT_MAX];	/* typed, not yet taken by the guest */
	unsigned int q_head, q_count;
};

static struct mux_slot slots[CONSOLE_MUX_SLOTS];
/* Written by the boot CPU; read anywhere with READ_ONCE(). */
static int focus = -1;
/* Boot CPU only: the first guest added takes the focus (console_mux_set_autofocus()). */
static bool autofocus = true;
/* Boot CPU only: escapes seen in a row; the next unfocused slot drained first. */
static unsigned int escapes;
static unsigned int drain_next;
/*
 * Boot CPU only: the focused guest's last bytes left its line open, when
 * it last wrote, and since when the others' lines wait for it (0: not).
 */
static bool focus_mid_line;
static uint64_t focus_wrote_ns;
static uint64_t hold_since_ns;
/*
 * The CPU that drains (set by its first poll, -1 before) and whether a
 * kick is on its way to it since it last looked (atomic exchange: one
 * kick per drain pass, however many rings a burst of output opens).
 */
static int drain_cpu = -1;
static bool drain_kicked;
/* The hypervisor's prompt line (console_mux_set_prompt()); under log_lock. */
static void (*prompt_hide)(void);
static void (*prompt_show)(void);

/* --- Output: the producer side, any CPU ----------------------------------- */

/* Wakes the draining CPU early, so an echo need not wait for its poll period. */
static void mux_kick_drain(void)
{
	int cpu = READ_ONCE(drain_cpu);

	if (cpu >= 0 && !__atomic_exchange_n(&drain_kicked, true, __ATOMIC_ACQ_REL))
		platform_kick_cpu((unsigned int)cpu);
}

/*
 * Copies the byte into the slot's ring; never waits for the console. A
 * full ring drops it and every byte after it, counted, until the drain
 * has written everything before the gap and reported it: the console
 * then shows one "[name: N bytes dropped]" line where the gap is.
 */
void console_mux_output(int slot, uint8_t byte)
{
	struct mux_ring *r;
	bool was_empty = false;

	if (slot < 0 || slot >= CONSOLE_MUX_SLOTS)
		return;
	r = &slots[slot].out;
	spin_lock(&r->lock);
	if (!r->open)
		goto out;
	if (r->dropped || r->head - r->tail == CONSOLE_MUX_RING) {
		r->dropped++;
		goto out;
	}
	was_empty = r->head == r->tail;
	if (was_empty)
		r->filled_ns = time_now_ns();
	r->buf[r->head++ % CONSOLE_MUX_RING] = byte;
out:
	spin_unlock(&r->lock);
	if (was_empty)
		mux_kick_drain();
}

void console_mux_flush(int slot, uint64_t timeout_ns)
{
	struct mux_ring *r;
	uint64_t end = time_now_ns() + timeout_ns;
	uint32_t target;

	if (slot < 0 || slot >= CONSOLE_MUX_SLOTS ||
	    (int)smp_processor_id() == READ_ONCE(drain_cpu))
		return;
	r = &slots[slot].out;
	spin_lock(&r->lock);
	target = r->head;
	spin_unlock(&r->lock);
	mux_kick_drain();
	for (;;) {
		uint32_t written;
		bool open;

		spin_lock(&r->lock);
		written = r->written;
		open = r->open;
		spin_unlock(&r->lock);
		/* Free-running counts: "written reached target", modulo 2^32. */
		if (!open || (int32_t)(written - target) >= 0 || time_now_ns() >= end)
			return;
		cpu_relax();
	}
}

/* --- Output: the drain, boot CPU ------------------------------------------ */

/*
 * Takes up to max bytes out of the ring into buf; once the ring is empty
 * it also takes the count of bytes dropped (*dropped, else 0), which
 * lets the producers in again. *filled_ns: when the ring, empty before,
 * got its first byte, if this take is the first since (else 0).
 */
static size_t mux_ring_take(struct mux_ring *r, uint8_t *buf, size_t max, uint64_t *dropped,
			    uint64_t *filled_ns)
{
	size_t n, first;

	spin_lock(&r->lock);
	*filled_ns = r->filled_ns;
	r->filled_ns = 0;
	n = MIN((size_t)(r->head - r->tail), max);
	first = MIN(n, CONSOLE_MUX_RING - r->tail % CONSOLE_MUX_RING);
	memcpy(buf, &r->buf[r->tail % CONSOLE_MUX_RING], first);
	memcpy(buf + first, r->buf, n - first);
	r->tail += (uint32_t)n;
	*dropped = 0;
	if (r->head == r->tail) {
		*dropped = r->dropped;
		r->dropped = 0;
	}
	spin_unlock(&r->lock);
	return n;
}

/* Prints one whole line of the hypervisor's on a slot's behalf. */
static void mux_print_line(const char *text, size_t n)
{
	log_write_guest(text, n, true);
}

/* Prints the slot's held-back line as "[name] line". */
static void mux_print_tagged(struct mux_slot *s)
{
	char buf[MUX_NAME_MAX + MUX_LINE_MAX + 8];
	int n;

	n = hv_snprintf(buf, sizeof(buf), "[%s] %.*s\r\n", s->name, (int)s->len, s->line);
	mux_print_line(buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
	s->len = 0;
}

/* As mux_print_tagged(), if the slot holds part of a line. */
static void mux_flush_line(struct mux_slot *s)
{
	if (s->len)
		mux_print_tagged(s);
}

/* Unfocused output: whole lines, without the guest's control characters. */
static void mux_unfocused_bytes(struct mux_slot *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool keep = text_filter_keep(&s->filter, buf[i]);

		if (buf[i] == '\n') {
			mux_print_tagged(s);
			continue;
		}
		if (keep)
			s->line[s->len++] = (char)buf[i];
		if (s->len == MUX_LINE_MAX - 1)
			mux_flush_line(s);
	}
}

static void mux_report_dropped(struct mux_slot *s, uint64_t dropped)
{
	char buf[MUX_NAME_MAX + 48];
	int n;

	mux_flush_line(s);
	n = hv_snprintf(buf, sizeof(buf), "[%s: %llu bytes dropped]\r\n", s->name,
			(unsigned long long)dropped);
	mux_print_line(buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
}

static void mux_count(struct mux_stats *st, size_t n, uint64_t dropped, uint64_t filled_ns)
{
	uint64_t now = time_now_ns();

	st->bytes += n;
	st->dropped += dropped;
	if (!filled_ns || now < filled_ns)
		return;
	st->waits++;
	st->wait_sum_ns += now - filled_ns;
	st->wait_max_ns = MAX(st->wait_max_ns, now - filled_ns);
}

/*
 * Writes up to max bytes of the slot's ring to the console, each chunk
 * under log_lock only (never a ring lock). Returns how many it took.
 */
static size_t mux_drain_slot(int i, size_t max)
{
	struct mux_slot *s = &slots[i];
	uint8_t buf[MUX_CHUNK];
	size_t done = 0;

	while (done < max) {
		uint64_t dropped, filled_ns;
		size_t n = mux_ring_take(&s->out, buf, MIN(sizeof(buf), max - done), &dropped,
					 &filled_ns);

		mux_count(&s->stats, n, dropped, filled_ns);
		if (i == READ_ONCE(focus)) {
			mux_flush_line(s);	/* held back before it had the focus */
			log_write_guest((const char *)buf, n, false);
			if (n)
				focus_mid_line = buf[n - 1] != '\n';
		} else {
			mux_unfocused_bytes(s, buf, n);
		}
		if (dropped)
			mux_report_dropped(s, dropped);
		/* Taken and written: what console_mux_flush() waits for. */
		spin_lock(&s->out.lock);
		s->out.written += (uint32_t)n;
		spin_unlock(&s->out.lock);
		done += n;
		if (n < sizeof(buf) || !n)
			break;
	}
	return done;
}

/*
 * Whether the others' lines wait, this pass, for the focused guest's open
 * line: while it writes to it (an echo half-way out, a command being
 * typed), until it has been quiet for MUX_HOLD_QUIET_NS, and never for
 * longer than MUX_HOLD_MAX_NS in a row. A prompt left open is then cut,
 * its line ended first (log_write_guest()).
 */
static bool mux_hold_others(bool focus_wrote)
{
	uint64_t now = time_now_ns();

	if (focus_wrote)
		focus_wrote_ns = now;
	if (focus_mid_line && now - focus_wrote_ns < MUX_HOLD_QUIET_NS &&
	    (!hold_since_ns || now - hold_since_ns < MUX_HOLD_MAX_NS)) {
		if (!hold_since_ns)
			hold_since_ns = now;
		return true;
	}
	hold_since_ns = 0;
	return false;
}

/*
 * One drain pass: all of the focused guest's output first (it is what the
 * person at the console is typing to), then, unless they wait for its
 * open line (mux_hold_others()), at most CONSOLE_MUX_BUDGET bytes from
 * the others, starting one slot further each pass so that no chatty VM
 * keeps the rest waiting.
 */
static void mux_drain(void)
{
	int f = READ_ONCE(focus);
	size_t budget = CONSOLE_MUX_BUDGET;
	bool wrote = false;

	/* Pairs with the exchange in mux_kick_drain(): bytes after this kick again. */
	__atomic_store_n(&drain_kicked, false, __ATOMIC_SEQ_CST);
	if (f >= 0 && slots[f].used)
		wrote = mux_drain_slot(f, CONSOLE_MUX_RING) != 0;
	if (mux_hold_others(wrote))
		return;
	for (unsigned int k = 0; k < CONSOLE_MUX_SLOTS && budget; k++) {
		int i = (int)((drain_next + k) % CONSOLE_MUX_SLOTS);

		if (i != f && slots[i].used)
			budget -= mux_drain_slot(i, budget);
	}
	drain_next = (drain_next + 1) % CONSOLE_MUX_SLOTS;
}

/* --- The hypervisor's prompt ------------------------------------------------ */

/* The log's hooks: the prompt is on the console only while the focus is ours. */
static void mux_prompt_hide(void)
{
	if (READ_ONCE(focus) < 0 && prompt_hide)
		prompt_hide();
}

static void mux_prompt_show(void)
{
	if (READ_ONCE(focus) < 0 && prompt_show)
		prompt_show();
}

void console_mux_set_prompt(void (*hide)(void), void (*show)(void))
{
	prompt_hide = hide;
	prompt_show = show;
	log_set_prompt(mux_prompt_hide, mux_prompt_show);
}

void console_mux_locked(void (*fn)(void *ctx), void *ctx)
{
	log_locked(fn, ctx);
}

static void mux_prompt_hide_locked(void *ctx)
{
	(void)ctx;
	mux_prompt_hide();
}

/*
 * The focus moves to slot (boot CPU): the prompt line goes first, while
 * the focus is still the hypervisor's; the announcement then shows it
 * again if the focus comes back to the hypervisor.
 */
static void mux_set_focus(int slot)
{
	if (focus < 0 && slot >= 0)
		log_locked(mux_prompt_hide_locked, NULL);
	WRITE_ONCE(focus, slot);
	focus_mid_line = false;
}

/* --- Slots and the focus, boot CPU ---------------------------------------- */

static void mux_announce(void)
{
	char buf[96];
	int n;

	n = hv_snprintf(buf, sizeof(buf), "[hv] console input: %s (Ctrl-A x3 switches)\r\n",
			focus < 0 ? "hypervisor" : slots[focus].name);
	mux_print_line(buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
}

int console_mux_add(const char *name, console_input_fn input, void *ctx)
{
	struct mux_slot *s;
	bool first = true;
	int slot = -ENOSPC;

	for (int i = 0; i < CONSOLE_MUX_SLOTS; i++) {
		if (slots[i].used) {
			first = false;
			continue;
		}
		if (slot < 0)
			slot = i;
	}
	if (slot < 0)
		return slot;
	s = &slots[slot];
	s->used = true;
	hv_strlcpy(s->name, name, sizeof(s->name));
	s->len = 0;
	s->filter = (struct text_filter){ 0 };
	s->stats = (struct mux_stats){ 0 };
	s->input = input;
	s->ctx = ctx;
	s->q_head = s->q_count = 0;
	spin_lock(&s->out.lock);
	s->out.head = s->out.tail = s->out.written = 0;
	s->out.dropped = 0;
	s->out.filled_ns = 0;
	s->out.open = true;
	spin_unlock(&s->out.lock);
	if (first && focus < 0 && autofocus) {
		mux_set_focus(slot);
		mux_announce();
	}
	return slot;
}

void console_mux_remove(int slot)
{
	struct mux_slot *s;

	if (slot < 0 || slot >= CONSOLE_MUX_SLOTS || !slots[slot].used)
		return;
	s = &slots[slot];
	spin_lock(&s->out.lock);
	s->out.open = false;
	spin_unlock(&s->out.lock);
	/* Its last words, before the hypervisor's lines about its end. */
	mux_drain_slot(slot, CONSOLE_MUX_RING);
	mux_flush_line(s);
	s->used = false;
	if (s->stats.bytes || s->stats.dropped)	/* nothing to say for a VM that never ran */
		pr_info("console %s: %llu bytes written, %llu dropped; output waited for the drain "
			"%llu us on average, %llu us at most", s->name,
			(unsigned long long)s->stats.bytes, (unsigned long long)s->stats.dropped,
			(unsigned long long)(s->stats.waits ?
					     s->stats.wait_sum_ns / s->stats.waits / 1000 : 0),
			(unsigned long long)(s->stats.wait_max_ns / 1000));
	if (focus == slot) {
		mux_set_focus(-1);
		mux_announce();
	}
}

void console_mux_set_autofocus(bool on)
{
	autofocus = on;
}

int console_mux_focus(void)
{
	return READ_ONCE(focus);
}

/* The next guest after the focus, or the hypervisor after the last one. */
static void mux_switch_focus(void)
{
	int next = -1;

	for (int i = focus + 1; i < CONSOLE_MUX_SLOTS; i++) {
		if (slots[i].used) {
			next = i;
			break;
		}
	}
	mux_set_focus(next);
	mux_announce();
}

/* --- Input, boot CPU ------------------------------------------------------- */

static void mux_queue(struct mux_slot *s, uint8_t c)
{
	if (s->q_count == MUX_INPUT_MAX)
		return;		/* the guest reads nothing: typing is lost */
	s->queue[(s->q_head + s->q_count) % MUX_INPUT_MAX] = c;
	s->q_count++;
}

static void mux_deliver(uint8_t c, void (*hyp_key)(int c))
{
	if (focus < 0) {
		if (hyp_key)
			hyp_key(c);
		return;
	}
	mux_queue(&slots[focus], c);
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

	if (drain_cpu < 0)
		WRITE_ONCE(drain_cpu, (int)smp_processor_id());
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
	mux_drain();
}
