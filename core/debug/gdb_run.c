/*
 * The GDB stub's threads, resumes and stops: H, T, qfThreadInfo, ?, c,
 * s, vCont, Ctrl-C, and the stop replies. Poll context, except
 * gdb_stub_report_stop() (any CPU, under s->lock); see gdb_stub.h.
 */
#include "core/debug/gdb_internal.h"
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define SIGINT_NR  2
#define SIGTRAP_NR 5

/* A thread id: hex, or "-1" (all threads). */
static bool parse_thread(struct gdb_pkt *pkt, int64_t *t)
{
	uint64_t v;

	if (gdb_parse_char(pkt, '-')) {
		if (!gdb_parse_hex(pkt, &v) || v != 1)
			return false;
		*t = -1;
		return true;
	}
	if (!gdb_parse_hex(pkt, &v) || v > GDB_MAX_THREADS)
		return false;
	*t = (int64_t)v;
	return true;
}

/* ------------------------------------------------------------------------
 * Threads
 */

static unsigned int nr_threads(struct gdb_stub *s)
{
	unsigned int n = s->target.ops->nr_threads(s->target.ctx);

	return MIN(n, GDB_MAX_THREADS);
}

bool gdb_thread_valid(struct gdb_stub *s, uint64_t t)
{
	return t >= 1 && t <= nr_threads(s) &&
	       s->target.ops->thread_alive(s->target.ctx, (unsigned int)t);
}

/* The stopped thread, else the first live one (1 if none is). */
static unsigned int thread_current(struct gdb_stub *s)
{
	unsigned int t, n = nr_threads(s);

	if (gdb_thread_valid(s, s->last_stop.thread))
		return s->last_stop.thread;
	for (t = 1; t <= n; t++)
		if (s->target.ops->thread_alive(s->target.ctx, t))
			return t;
	return 1;
}

unsigned int gdb_thread_g(struct gdb_stub *s)
{
	if (s->thread_g > 0 && gdb_thread_valid(s, (uint64_t)s->thread_g))
		return (unsigned int)s->thread_g;
	return thread_current(s);
}

/* H g / H c: 0 any thread, -1 all (H c only), else one that lives. */
void gdb_handle_set_thread(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	char op = pkt->p < pkt->end ? *pkt->p++ : 0;
	int64_t t;

	if ((op != 'g' && op != 'c') || !parse_thread(pkt, &t) || pkt->p != pkt->end) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	if (t > 0 && !gdb_thread_valid(s, (uint64_t)t)) {
		gdb_reply_error(s, -ENOENT);
		return;
	}
	if (op == 'g')
		s->thread_g = (int)t;
	else
		s->thread_c = (int)t;
	gdb_reply(s, "OK");
}

void gdb_handle_thread_alive(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	int64_t t;

	if (!parse_thread(pkt, &t) || pkt->p != pkt->end || t <= 0)
		gdb_reply_error(s, -EINVAL);
	else if (!gdb_thread_valid(s, (uint64_t)t))
		gdb_reply_error(s, -ENOENT);
	else
		gdb_reply(s, "OK");
}

void gdb_reply_thread_list(struct gdb_stub *s)
{
	unsigned int t, n = nr_threads(s);
	bool first = true;
	char buf[24];

	gdb_reply_begin(s);
	for (t = 1; t <= n; t++) {
		if (!s->target.ops->thread_alive(s->target.ctx, t))
			continue;
		hv_snprintf(buf, sizeof(buf), "%c%x", first ? 'm' : ',', t);
		gdb_reply_str(s, buf);
		first = false;
	}
	if (first)
		gdb_reply_str(s, "l");
	gdb_reply_send(s);
}

/* ------------------------------------------------------------------------
 * Stops and resumes
 */

static void send_stop_reply(struct gdb_stub *s, const struct gdb_stop *stop, int sig)
{
	char buf[64];

	if (stop->reason == GDB_STOP_EXITED) {
		gdb_reply(s, "W00");
		return;
	}
	gdb_reply_begin(s);
	hv_snprintf(buf, sizeof(buf), "T%02xthread:%x;", sig, stop->thread);
	gdb_reply_str(s, buf);
	switch (stop->reason) {
	case GDB_STOP_SWBREAK:
		gdb_reply_str(s, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		gdb_reply_str(s, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
		hv_snprintf(buf, sizeof(buf), "%s:%llx;",
			    stop->watch == GDB_WATCH_READ ? "rwatch" :
			    stop->watch == GDB_WATCH_ACCESS ? "awatch" : "watch",
			    (unsigned long long)stop->addr);
		gdb_reply_str(s, buf);
		break;
	default:
		break;
	}
	gdb_reply_send(s);
}

static int stop_signal(struct gdb_stub *s, const struct gdb_stop *stop)
{
	if (stop->reason == GDB_STOP_REQUEST && s->wait == GDB_WAIT_INTERRUPT)
		return SIGINT_NR;
	return SIGTRAP_NR;
}

/* Sends the stop a target reported, if one waits. */
void gdb_deliver_stop(struct gdb_stub *s)
{
	struct gdb_stop stop;
	bool pending;

	spin_lock(&s->lock);
	pending = s->stop_pending;
	stop = s->pending;
	s->stop_pending = false;
	spin_unlock(&s->lock);
	if (!pending || !s->running)
		return;
	s->running = false;
	if (stop.reason != GDB_STOP_EXITED && !gdb_thread_valid(s, stop.thread))
		stop.thread = thread_current(s);
	s->last_stop = stop;
	s->last_signal = stop_signal(s, &stop);
	send_stop_reply(s, &stop, s->last_signal);
	s->wait = GDB_WAIT_NONE;
	/* GDB reads the stopped thread's registers next unless it says otherwise. */
	s->thread_g = 0;
}

void gdb_stub_report_stop(struct gdb_stub *s, const struct gdb_stop *stop)
{
	spin_lock(&s->lock);
	if (!s->stop_pending) {
		s->pending = *stop;
		s->stop_pending = true;
	}
	spin_unlock(&s->lock);
}

/* Asks the target to stop; the reply goes out when its stop comes. */
void gdb_request_stop(struct gdb_stub *s, enum gdb_wait why)
{
	int err;

	if (!s->running || s->wait != GDB_WAIT_NONE)
		return;
	s->wait = why;
	err = s->target.ops->stop(s->target.ctx);
	if (err < 0) {
		s->wait = GDB_WAIT_NONE;
		if (why == GDB_WAIT_QUERY)
			gdb_reply_error(s, err);
	}
}

void gdb_handle_query_stop(struct gdb_stub *s)
{
	if (s->running)
		gdb_request_stop(s, GDB_WAIT_QUERY);
	else
		send_stop_reply(s, &s->last_stop, s->last_signal);
}

static void resume(struct gdb_stub *s)
{
	int err;

	/*
	 * Every thread is stopped: a stop reported since the one GDB got is
	 * another thread's late report of the same all-stop, not an answer
	 * to this resume.
	 */
	spin_lock(&s->lock);
	s->stop_pending = false;
	spin_unlock(&s->lock);
	err = s->target.ops->resume(s->target.ctx, s->actions, nr_threads(s));
	if (err < 0) {
		gdb_reply_error(s, err);
		return;
	}
	/* No reply now: the stop reply answers the packet. */
	s->running = true;
}

/* c [addr] / s [addr]: the H c thread (any: the stopped one). */
void gdb_handle_continue(struct gdb_stub *s, struct gdb_pkt *pkt, bool step)
{
	unsigned int t = s->thread_c > 0 ? (unsigned int)s->thread_c : thread_current(s);
	unsigned int i, n = nr_threads(s);
	uint64_t addr;
	int err;

	if (pkt->p < pkt->end) {
		if (!gdb_parse_hex(pkt, &addr) || pkt->p != pkt->end) {
			gdb_reply_error(s, -EINVAL);
			return;
		}
		err = gdb_set_rip(s, t, addr);
		if (err < 0) {
			gdb_reply_error(s, err);
			return;
		}
	}
	for (i = 0; i < n; i++)
		s->actions[i] = step ? GDB_RESUME_STAY : GDB_RESUME_CONTINUE;
	if (!gdb_thread_valid(s, t)) {
		gdb_reply_error(s, -ENOENT);
		return;
	}
	if (step)
		s->actions[t - 1] = GDB_RESUME_STEP;
	resume(s);
}

/*
 * vCont;ACTION[:TID];...: for each thread the leftmost action naming it
 * (or naming no thread) applies; threads no action names stay stopped.
 * C and S take a signal number, which a VM cannot receive: ignored.
 */
void gdb_handle_vcont(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	unsigned int i, n = nr_threads(s);
	bool any = false;

	memset(s->actions, 0, sizeof(s->actions));
	for (i = 0; i < n; i++)
		s->actions[i] = 0xff;		/* not named yet */
	while (gdb_parse_char(pkt, ';')) {
		char op = pkt->p < pkt->end ? *pkt->p++ : 0;
		uint8_t act;
		uint64_t sig;
		int64_t t = -1;

		if (op == 'c' || op == 'C')
			act = GDB_RESUME_CONTINUE;
		else if (op == 's' || op == 'S')
			act = GDB_RESUME_STEP;
		else
			goto bad;
		if ((op == 'C' || op == 'S') && (!gdb_parse_hex(pkt, &sig) || sig > 0xff))
			goto bad;
		if (gdb_parse_char(pkt, ':')) {
			if (!parse_thread(pkt, &t) || t == 0)
				goto bad;
			if (t > 0 && !gdb_thread_valid(s, (uint64_t)t)) {
				gdb_reply_error(s, -ENOENT);
				return;
			}
		}
		for (i = 0; i < n; i++)
			if ((t < 0 || (uint64_t)t == i + 1) && s->actions[i] == 0xff)
				s->actions[i] = act;
		any = true;
	}
	if (!any || pkt->p != pkt->end)
		goto bad;
	for (i = 0; i < n; i++)
		if (s->actions[i] == 0xff)
			s->actions[i] = GDB_RESUME_STAY;
	resume(s);
	return;
bad:
	gdb_reply_error(s, -EINVAL);
}
