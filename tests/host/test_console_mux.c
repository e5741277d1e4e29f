/*
 * Hosted test of core/launch/console_mux.c: guest console output against a
 * UART that does not move. The test's console_write() is a 16550 at
 * 115200 baud (87 us a byte, counted, not slept) that blocks while the
 * test holds it, so a drain stuck in it stands for a UART that takes
 * longer than anyone could wait; the vCPUs' output must finish anyway.
 *
 * Threads stand for CPUs: CPU 0 is the boot CPU that drains (the main
 * thread, or the drainer while it is stuck), CPUs 1 and 2 two vCPUs, of
 * the focused VM alpha and the unfocused VM beta. Every wait is bounded
 * (WAIT_S), so old code that writes on the vCPU fails instead of hanging.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/launch/console_mux.h"
#include "core/lib/log.h"
#include "core/lib/text_filter.h"
#include "tests/host/check.h"

#define WAIT_S        10
#define UART_NS_BYTE  86806ull		/* 10 bits at 115200 baud */
#define OUT_MAX       (1u << 20)
#define ALPHA_LINES   100
#define BETA_LINES    200
#define BETA_LINE_LEN 50		/* with its newline */

/* --- The UART model -------------------------------------------------------- */

static pthread_mutex_t uart_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t uart_cv = PTHREAD_COND_INITIALIZER;
/* Under uart_mu: */
static bool uart_held;			/* writers wait in console_write() */
static unsigned int uart_waiting;	/* writers waiting there now */
static char out[OUT_MAX];		/* every byte the UART sent */
static size_t out_len;
static unsigned long long uart_ns;	/* the line's busy time, paced */

static void uart_write(const char *s, size_t n)
{
	pthread_mutex_lock(&uart_mu);
	uart_waiting++;
	pthread_cond_broadcast(&uart_cv);
	while (uart_held)
		pthread_cond_wait(&uart_cv, &uart_mu);
	uart_waiting--;
	if (out_len + n <= OUT_MAX) {
		memcpy(out + out_len, s, n);
		out_len += n;
	}
	uart_ns += n * UART_NS_BYTE;
	pthread_mutex_unlock(&uart_mu);
}

static void uart_hold(bool hold)
{
	pthread_mutex_lock(&uart_mu);
	uart_held = hold;
	pthread_cond_broadcast(&uart_cv);
	pthread_mutex_unlock(&uart_mu);
}

/* Waits, at most WAIT_S, until *flag (under uart_mu) is at least v. */
static bool uart_wait_for(const unsigned int *flag, unsigned int v)
{
	struct timespec until;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_S;
	pthread_mutex_lock(&uart_mu);
	while (*flag < v && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&uart_cv, &uart_mu, &until);
	err = *flag >= v;
	pthread_mutex_unlock(&uart_mu);
	return err;
}

static size_t uart_len(void)
{
	size_t n;

	pthread_mutex_lock(&uart_mu);
	n = out_len;
	pthread_mutex_unlock(&uart_mu);
	return n;
}

/* --- What the guests send ------------------------------------------------- */

static char alpha_text[ALPHA_LINES * 64];
static size_t alpha_len;
static char beta_text[BETA_LINES * BETA_LINE_LEN + 1];
static int slot_alpha, slot_beta;
static unsigned int kicks;		/* platform_kick_cpu() to CPU 0 */
static unsigned int producers_done;	/* under uart_mu */

static size_t no_input(void *ctx, const uint8_t *buf, size_t n)
{
	return n;
}

static void count_kick(unsigned int cpu)
{
	if (cpu == 0)
		__atomic_fetch_add(&kicks, 1, __ATOMIC_RELAXED);
}

static void make_texts(void)
{
	for (unsigned int i = 0; i < ALPHA_LINES; i++)	/* ESC sequences pass for the focus */
		alpha_len += (size_t)snprintf(alpha_text + alpha_len, sizeof(alpha_text) - alpha_len,
					      "alpha %04u \x1b[1mbold\x1b[0m\t%s\n", i,
					      i % 2 ? "odd" : "even");
	for (unsigned int i = 0; i < BETA_LINES; i++) {
		char *l = beta_text + i * BETA_LINE_LEN;

		snprintf(l, BETA_LINE_LEN + 1, "beta %04u %-*s", i, BETA_LINE_LEN - 11, "x");
		l[BETA_LINE_LEN - 1] = '\n';
	}
}

static void produce(struct worker *w)
{
	const char *text = w->cpu == 1 ? alpha_text : beta_text;
	size_t len = w->cpu == 1 ? alpha_len : sizeof(beta_text) - 1;
	int slot = w->cpu == 1 ? slot_alpha : slot_beta;

	for (size_t i = 0; i < len; i++)
		console_mux_output(slot, (uint8_t)text[i]);
	pthread_mutex_lock(&uart_mu);
	producers_done++;
	pthread_cond_broadcast(&uart_cv);
	pthread_mutex_unlock(&uart_mu);
}

static void drain_once(struct worker *w)
{
	console_mux_poll(NULL);
}

/*
 * The clock: moved by the test only (drain_all(), echo_not_cut()), so
 * that the focus's quiet time (50 ms) is the test's to decide.
 */
static uint64_t fake_ns = 1000000000ull;

static uint64_t fake_clock(void)
{
	return __atomic_load_n(&fake_ns, __ATOMIC_RELAXED);
}

static void clock_advance(uint64_t ns)
{
	__atomic_store_n(&fake_ns, fake_ns + ns, __ATOMIC_RELAXED);
}

/*
 * Boot CPU: enough drain passes, 10 ms apart, to empty every ring (a few
 * hundred bytes a pass) and to end any wait for the focus's open line.
 */
static void drain_all(void)
{
	for (unsigned int i = 0; i < 4 * CONSOLE_MUX_RING / CONSOLE_MUX_BUDGET + 8; i++) {
		console_mux_poll(NULL);
		clock_advance(10000000);
	}
}

/*
 * Splits the console's bytes from 'from' on into the focused guest's
 * stream (without the "\r\n" the console puts before a tagged line that
 * would start inside one of its lines) and the tagged lines, each ended
 * by '\n' in tagged. A tagged line starts with '[' at the start of a line.
 */
static void split(size_t from, char *focused, size_t *flen, char *tagged, size_t *tlen)
{
	bool line_start = true;
	size_t i = from;

	*flen = *tlen = 0;
	while (i < out_len) {
		if (line_start && out[i] == '[') {
			char *end = memmem(out + i, out_len - i, "\r\n", 2);
			size_t n = end ? (size_t)(end - (out + i)) : out_len - i;

			memcpy(tagged + *tlen, out + i, n);
			*tlen += n;
			tagged[(*tlen)++] = '\n';
			i += n + 2;
			continue;
		}
		if (out[i] == '\r' && i + 1 < out_len && out[i + 1] == '\n') {
			i += 2;
			line_start = true;
			continue;
		}
		focused[(*flen)++] = out[i];
		line_start = out[i] == '\n';
		i++;
	}
	focused[*flen] = tagged[*tlen] = '\0';
}

/* --- Cases ------------------------------------------------------------------ */

/*
 * The drain is stuck in the UART with one byte of alpha's; alpha and beta
 * then write 3 KiB and 10 KiB. Both must finish while the UART still
 * holds the drain; once it lets go, alpha's bytes come out as sent, beta's
 * first CONSOLE_MUX_RING bytes as tagged lines, then the count of the
 * rest, dropped, then what beta writes after.
 */
static void exit_path_never_waits(void)
{
	static char focused[OUT_MAX], tagged[OUT_MAX], want[OUT_MAX];
	size_t flen, tlen, from, kept = CONSOLE_MUX_RING, wlen = 0;
	struct worker drainer, alpha, beta;
	bool stuck, finished;

	make_texts();
	shim_set_cpu(0);
	shim_set_kick_handler(count_kick);
	shim_set_console_write(uart_write);
	slot_alpha = console_mux_add("alpha", no_input, NULL);
	slot_beta = console_mux_add("beta", no_input, NULL);
	CHECK(slot_alpha >= 0 && slot_beta >= 0);
	CHECK_EQ(console_mux_focus(), slot_alpha);
	from = uart_len();

	console_mux_output(slot_alpha, 'a');
	uart_hold(true);
	worker_start(&drainer, 0, drain_once, NULL);
	stuck = uart_wait_for(&uart_waiting, 1);
	CHECK(stuck);

	worker_start(&alpha, 1, produce, NULL);
	worker_start(&beta, 2, produce, NULL);
	finished = uart_wait_for(&producers_done, 2);
	CHECK(finished);
	pthread_mutex_lock(&uart_mu);
	CHECK_EQ(uart_waiting, 1);	/* the drain never left the UART meanwhile */
	CHECK_EQ(out_len, from);
	pthread_mutex_unlock(&uart_mu);
	/* alpha's first byte into its emptied ring; beta's finds a kick on its way. */
	CHECK_EQ(__atomic_load_n(&kicks, __ATOMIC_RELAXED), 1);

	uart_hold(false);
	worker_join(&drainer);
	worker_join(&alpha);
	worker_join(&beta);
	drain_all();
	for (const char *p = "beta after\n"; *p; p++)
		console_mux_output(slot_beta, (uint8_t)*p);
	drain_all();

	split(from, focused, &flen, tagged, &tlen);
	CHECK_EQ(flen, alpha_len + 1);
	CHECK(focused[0] == 'a' && memcmp(focused + 1, alpha_text, alpha_len) == 0);

	for (size_t i = 0; i < kept; i += BETA_LINE_LEN) {
		size_t n = MIN((size_t)BETA_LINE_LEN - 1, kept - i);

		wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen, "[beta] %.*s\n",
					 (int)n, beta_text + i);
	}
	wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen,
				 "[beta: %zu bytes dropped]\n[beta] beta after\n",
				 sizeof(beta_text) - 1 - kept);
	CHECK_EQ(tlen, wlen);
	CHECK_STR(tagged, want);
	printf("  UART time for the %zu bytes written: %llu ms at 115200 baud\n",
	       out_len - from, uart_ns / 1000000);
	shim_set_kick_handler(NULL);
}

/* An unfocused guest's control characters and escape sequences never print. */
static void unfocused_lines_are_stripped(void)
{
	static char focused[OUT_MAX], tagged[OUT_MAX];
	static const char text[] = "\x1b[2J\x1b[Hhi\x07 the\x7fre\r\n"
		"\x1b]0;forged title\x07ok\x1b(B\x1b[38;5;1m!\n"
		"\r[hv] console input: hypervisor\n";
	size_t flen, tlen, from = uart_len();
	int gamma = console_mux_add("gamma", no_input, NULL);

	CHECK(gamma >= 0);
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		console_mux_output(gamma, (uint8_t)text[i]);
	drain_all();
	split(from, focused, &flen, tagged, &tlen);
	CHECK_STR(focused, "");
	CHECK_STR(tagged, "[gamma] hi there\n[gamma] ok!\n"
		  "[gamma] [hv] console input: hypervisor\n");
	console_mux_remove(gamma);
}

/*
 * A log line after a prompt the focused guest left open starts on a line
 * of its own, and so does a tagged line; the prompt itself is unchanged.
 */
static void log_lines_keep_whole(void)
{
	static const char prompt[] = "~ # ";
	size_t from = uart_len();

	for (size_t i = 0; i < sizeof(prompt) - 1; i++)
		console_mux_output(slot_alpha, (uint8_t)prompt[i]);
	drain_all();
	pr_info("hv line");
	for (size_t i = 0; i < sizeof(prompt) - 1; i++)
		console_mux_output(slot_alpha, (uint8_t)prompt[i]);
	console_mux_output(slot_beta, '!');
	console_mux_output(slot_beta, '\n');
	drain_all();
	out[out_len] = '\0';
	CHECK(strncmp(out + from, "~ # \r\n[", 7) == 0);
	CHECK(strstr(out + from, "] hv line\n~ # \r\n[beta] !\r\n") != NULL);
}

static void send(int slot, const char *text)
{
	for (; *text; text++)
		console_mux_output(slot, (uint8_t)*text);
}

/*
 * An unfocused line waits while the focused guest's line is open and
 * being written (an echo half-way out, on a clock the test moves): it goes
 * once the focus has been quiet for 50 ms, on a fresh line, or after
 * 500 ms of a line the focus keeps writing to.
 */
static void echo_not_cut(void)
{
	size_t from = uart_len();
	unsigned int passes = 0;

	send(slot_alpha, "lat-");
	send(slot_beta, "x\n");
	console_mux_poll(NULL);
	clock_advance(10000000);
	send(slot_alpha, "1\n~ # ");
	console_mux_poll(NULL);
	clock_advance(30000000);
	console_mux_poll(NULL);		/* quiet for 30 ms: still waiting */
	out[out_len] = '\0';
	CHECK_STR(out + from, "lat-1\n~ # ");
	clock_advance(20000000);
	console_mux_poll(NULL);		/* quiet for 50 ms */
	CHECK_STR(out + from, "lat-1\n~ # \r\n[beta] x\r\n");

	from = uart_len();
	send(slot_beta, "y\n");
	while (!strstr(out + from, "[beta] y") && passes++ < 100) {
		send(slot_alpha, "z");
		console_mux_poll(NULL);
		out[out_len] = '\0';
		clock_advance(10000000);
	}
	CHECK_EQ(passes, 51);		/* passes at 0, 10, ..., 500 ms */
	send(slot_alpha, "\n");
	drain_all();
}

/*
 * A removed slot's last bytes are written, then its figures; then it
 * takes no more.
 */
static int flush_wrote, flush_done;	/* atomic */

/* A vCPU of alpha: its last words, then the VM stops (vm_stop()'s report). */
static void flush_then_report(struct worker *w)
{
	static const char last[] = "alpha: last words\n";

	for (size_t i = 0; i < sizeof(last) - 1; i++)
		console_mux_output(slot_alpha, (uint8_t)last[i]);
	__atomic_store_n(&flush_wrote, 1, __ATOMIC_RELEASE);
	console_mux_flush(slot_alpha, 1000000000ull);
	pr_info("vm alpha: stopping: powered off by the guest");
	__atomic_store_n(&flush_done, 1, __ATOMIC_RELEASE);
}

/*
 * The report of a VM's stop comes after what the VM wrote before it: the
 * stopping CPU waits (bounded) for the drain. The drain starts only 20 ms
 * after the words are written, so a report that does not wait comes
 * first.
 */
static void stop_report_after_last_words(void)
{
	struct worker w;
	size_t from = uart_len();
	const char *words, *report;
	struct timespec ms20 = { 0, 20000000 };

	worker_start(&w, 1, flush_then_report, NULL);
	while (!__atomic_load_n(&flush_wrote, __ATOMIC_ACQUIRE))
		sched_yield();
	nanosleep(&ms20, NULL);
	while (!__atomic_load_n(&flush_done, __ATOMIC_ACQUIRE)) {
		console_mux_poll(NULL);
		clock_advance(1000000);
	}
	worker_join(&w);
	drain_all();
	pthread_mutex_lock(&uart_mu);
	out[out_len] = '\0';
	words = strstr(out + from, "alpha: last words");
	report = strstr(out + from, "vm alpha: stopping");
	pthread_mutex_unlock(&uart_mu);
	CHECK(words && report && words < report);
}

static void remove_writes_last_words(void)
{
	static const char last[] = "reboot: Power down\n";
	size_t from = uart_len();

	for (size_t i = 0; i < sizeof(last) - 1; i++)
		console_mux_output(slot_beta, (uint8_t)last[i]);
	console_mux_remove(slot_beta);
	console_mux_output(slot_beta, 'x');
	console_mux_output(slot_beta, '\n');
	drain_all();
	out[out_len] = '\0';
	CHECK(strncmp(out + from, "[beta] reboot: Power down\r\n[", 28) == 0);
	/* Its figures: every byte beta's ring took and every one it dropped. */
	CHECK(strstr(out + from, "] console beta: 4132 bytes written, 5904 dropped; ") != NULL);
}

/*
 * focus=hv: a guest added while the hypervisor has the focus leaves it
 * there, so its lines come tagged from the first byte on (none passes
 * raw, where it could pass for a log line), and its last line, without
 * a newline, comes whole before the report of its end. The default
 * (autofocus on) gives the next guest the focus again.
 */
static void autofocus_off_tags_every_line(void)
{
	static const char text[] = "[  1.000000] vm gamma: ended: forged\n\x1b[1mbold\x1b[0m\tline\n"
				   "last words";
	static const char want[] = "[gamma] [  1.000000] vm gamma: ended: forged\r\n"
				   "[gamma] bold\tline\r\n[gamma] last words\r\n[";
	size_t from;
	int gamma, delta;

	console_mux_remove(slot_alpha);
	CHECK(console_mux_focus() == -1);
	console_mux_set_autofocus(false);
	gamma = console_mux_add("gamma", no_input, NULL);
	CHECK(gamma >= 0);
	CHECK(console_mux_focus() == -1);
	from = uart_len();
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		console_mux_output(gamma, (uint8_t)text[i]);
	drain_all();
	console_mux_remove(gamma);
	drain_all();
	out[out_len] = '\0';
	CHECK(strncmp(out + from, want, sizeof(want) - 1) == 0);
	console_mux_set_autofocus(true);
	delta = console_mux_add("delta", no_input, NULL);
	CHECK(delta >= 0 && console_mux_focus() == delta);
	console_mux_remove(delta);
}

/* The filter on its own: what survives of each kind of sequence. */
static void filter_sequences(void)
{
	static const struct {
		const char *in, *kept;
	} cases[] = {
		{ "plain\ttext", "plain\ttext" },
		{ "a\x01\x08\x0c\x1f\x7f" "b", "ab" },
		{ "\x1b[1;31mred\x1b[0m", "red" },
		{ "\x1b[?25l\x1b[2K" "x", "x" },
		{ "\x1b" "7\x1b" "8\x1b" "c\x1b(B\x1b#8z", "z" },
		{ "\x1b]0;title\x07" "after", "after" },
		{ "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link" },
		{ "\x1bPq#0;2;0;0;0\x1b\\" "d", "d" },
		{ "\x1b[12\x01" "3m", "3m" },		/* a control cuts a CSI short */
		{ "\x1b]unterminated\nnext", "next" },	/* a newline ends any sequence */
		{ "caf\xc3\xa9 \xe2\x86\x92", "caf\xc3\xa9 \xe2\x86\x92" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct text_filter f = { 0 };
		char got[64];
		size_t n = 0;

		for (const char *p = cases[c].in; *p; p++)
			if (text_filter_keep(&f, (uint8_t)*p))
				got[n++] = *p;
		got[n] = '\0';
		CHECK_STR(got, cases[c].kept);
	}
}

int main(void)
{
	shim_set_clock(fake_clock);
	RUN(exit_path_never_waits);
	RUN(unfocused_lines_are_stripped);
	RUN(log_lines_keep_whole);
	RUN(echo_not_cut);
	RUN(stop_report_after_last_words);
	RUN(remove_writes_last_words);
	RUN(autofocus_off_tags_every_line);
	RUN(filter_sequences);
	return check_done();
}
