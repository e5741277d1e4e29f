/*
 * A fake target and byte stream for the GDB stub's tests (hosted unit
 * tests, the TCP server for real GDB, the fuzz target): guest memory is
 * an array with an unmapped hole, each thread has its registers, and
 * resuming "executes" by moving RIP to the next INT3 or hardware
 * breakpoint (or one byte for a step), or by firing a watchpoint newly
 * set, then reports the stop at once.
 */
#ifndef TESTS_HOST_TEST_GDB_H
#define TESTS_HOST_TEST_GDB_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/debug/gdb_stub.h"

#define FAKE_MEM_BASE   0x100000ull
#define FAKE_MEM_SIZE   0x4000ull
#define FAKE_HOLE_LO    0x102000ull	/* [LO, HI) is unmapped */
#define FAKE_HOLE_HI    0x103000ull
#define FAKE_MAX_THREADS 4
#define FAKE_MAX_HWBP   4
#define FAKE_IO_SIZE    (64 * 1024)

struct fake_hwbp {
	enum gdb_bp_type type;
	uint64_t addr, len;
	bool used;
	bool fired;		/* a watchpoint fires once, on the first continue */
};

struct fake_target {
	uint8_t mem[FAKE_MEM_SIZE];
	struct gdb_regs regs[FAKE_MAX_THREADS];
	unsigned int nr;
	struct fake_hwbp hwbp[FAKE_MAX_HWBP];
	struct gdb_stub *stub;
	bool running, killed, detached;
	bool stop_refused;		/* stop() does not report at once */
	uint8_t actions[FAKE_MAX_THREADS];
	unsigned int resumes, stops, reg_writes;
	/* Accesses outside mem[], which must never happen. */
	unsigned int bad_access;

	/* The byte stream: what GDB sent, what the stub wrote. */
	uint8_t in[FAKE_IO_SIZE];
	size_t in_len, in_pos;
	char out[FAKE_IO_SIZE];
	size_t out_len;
};

/* Long mode, paging on, at FAKE_MEM_BASE + 0x100 + 0x10 * thread. */
static inline void fake_regs_reset(struct gdb_regs *r, unsigned int t)
{
	memset(r, 0, sizeof(*r));
	r->rax = 0x1111 * t;
	r->rsp = FAKE_MEM_BASE + 0x1000;
	r->rip = FAKE_MEM_BASE + 0x100 + 0x10 * t;
	r->rflags = 0x202;
	r->cs = 0x10;
	r->ss = r->ds = r->es = 0x18;
	r->cr0 = 0x80050033;
	r->cr3 = 0x1000;
	r->cr4 = 0x20;
	r->efer = 0x501;
}

static inline bool fake_mapped(uint64_t a)
{
	return a >= FAKE_MEM_BASE && a < FAKE_MEM_BASE + FAKE_MEM_SIZE &&
	       !(a >= FAKE_HOLE_LO && a < FAKE_HOLE_HI);
}

/* How many bytes from gva on are mapped, at most len. */
static inline size_t fake_mapped_len(uint64_t gva, size_t len)
{
	uint64_t end;

	if (!fake_mapped(gva))
		return 0;
	end = gva < FAKE_HOLE_LO ? FAKE_HOLE_LO : FAKE_MEM_BASE + FAKE_MEM_SIZE;
	return end - gva < len ? (size_t)(end - gva) : len;
}

static unsigned int fake_nr_threads(void *ctx)
{
	return ((struct fake_target *)ctx)->nr;
}

static bool fake_thread_alive(void *ctx, unsigned int t)
{
	struct fake_target *f = ctx;

	return t >= 1 && t <= f->nr && !f->killed;
}

static int fake_regs_read(void *ctx, unsigned int t, struct gdb_regs *regs)
{
	struct fake_target *f = ctx;

	if (t < 1 || t > f->nr) {
		f->bad_access++;
		return -22;
	}
	*regs = f->regs[t - 1];
	return 0;
}

static int fake_regs_write(void *ctx, unsigned int t, const struct gdb_regs *regs)
{
	struct fake_target *f = ctx;

	if (t < 1 || t > f->nr) {
		f->bad_access++;
		return -22;
	}
	f->regs[t - 1] = *regs;
	f->reg_writes++;
	return 0;
}

static size_t fake_mem_read(void *ctx, unsigned int t, uint64_t gva, void *buf, size_t len)
{
	struct fake_target *f = ctx;
	size_t n;

	if (t < 1 || t > f->nr)
		f->bad_access++;
	n = fake_mapped_len(gva, len);
	if (n)
		memcpy(buf, &f->mem[gva - FAKE_MEM_BASE], n);
	return n;
}

static size_t fake_mem_write(void *ctx, unsigned int t, uint64_t gva, const void *buf,
			     size_t len)
{
	struct fake_target *f = ctx;
	size_t n;

	if (t < 1 || t > f->nr)
		f->bad_access++;
	n = fake_mapped_len(gva, len);
	if (n)
		memcpy(&f->mem[gva - FAKE_MEM_BASE], buf, n);
	return n;
}

static int fake_bp_insert(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	struct fake_target *f = ctx;
	unsigned int i;

	for (i = 0; i < FAKE_MAX_HWBP; i++) {
		if (!f->hwbp[i].used) {
			f->hwbp[i] = (struct fake_hwbp){ type, addr, len, true, false };
			return 0;
		}
	}
	return -28;	/* like four debug registers: the fifth is refused */
}

static int fake_bp_remove(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	struct fake_target *f = ctx;
	unsigned int i;

	for (i = 0; i < FAKE_MAX_HWBP; i++) {
		struct fake_hwbp *b = &f->hwbp[i];

		if (b->used && b->type == type && b->addr == addr && b->len == len) {
			b->used = false;
			return 0;
		}
	}
	return -2;
}

/*
 * A watchpoint that has not fired yet fires: the guest writes (or, for a
 * read watchpoint, reads) its first byte, the byte goes up by one.
 */
static bool fake_fire_watchpoint(struct fake_target *f, unsigned int t)
{
	struct gdb_stop stop = { .thread = t, .reason = GDB_STOP_WATCH };
	unsigned int i;

	for (i = 0; i < FAKE_MAX_HWBP; i++) {
		struct fake_hwbp *b = &f->hwbp[i];

		if (!b->used || b->fired || b->type == GDB_BP_HW)
			continue;
		b->fired = true;
		if (b->type != GDB_WATCH_READ && fake_mapped(b->addr))
			f->mem[b->addr - FAKE_MEM_BASE]++;
		stop.watch = b->type;
		stop.addr = b->addr;
		gdb_stub_report_stop(f->stub, &stop);
		return true;
	}
	return false;
}

/* Executes thread t from its RIP to the next INT3 or execution breakpoint. */
static void fake_run_to_break(struct fake_target *f, unsigned int t)
{
	struct gdb_regs *r = &f->regs[t - 1];
	struct gdb_stop stop = { .thread = t };
	uint64_t from = r->rip + 1, hit = 0, a = from;
	size_t n = fake_mapped_len(from, FAKE_MEM_SIZE);
	unsigned int i;

	/* The first INT3 the stub owns... */
	while (n > 0) {
		const uint8_t *start = &f->mem[a - FAKE_MEM_BASE];
		const uint8_t *p = memchr(start, 0xcc, n);

		if (!p)
			break;
		if (gdb_stub_owns_breakpoint(f->stub, a + (uint64_t)(p - start))) {
			hit = a + (uint64_t)(p - start);
			stop.reason = GDB_STOP_SWBREAK;
			break;
		}
		n -= (size_t)(p - start) + 1;
		a += (uint64_t)(p - start) + 1;
	}
	/* ...unless an execution breakpoint comes first. */
	for (i = 0; i < FAKE_MAX_HWBP; i++) {
		uint64_t b = f->hwbp[i].addr;

		if (f->hwbp[i].used && f->hwbp[i].type == GDB_BP_HW && b >= from &&
		    fake_mapped_len(from, b - from + 1) == b - from + 1 && (!hit || b < hit)) {
			hit = b;
			stop.reason = GDB_STOP_HWBREAK;
		}
	}
	if (!hit)
		return;		/* nothing to hit: it runs until a Ctrl-C */
	r->rip = hit;
	gdb_stub_report_stop(f->stub, &stop);
}

static int fake_resume(void *ctx, const uint8_t *actions, unsigned int nr)
{
	struct fake_target *f = ctx;
	struct gdb_stop stop = { .reason = GDB_STOP_STEP };
	unsigned int t;

	if (nr != f->nr)
		f->bad_access++;
	memcpy(f->actions, actions, nr < FAKE_MAX_THREADS ? nr : FAKE_MAX_THREADS);
	f->resumes++;
	f->running = true;
	for (t = 1; t <= nr && t <= f->nr; t++) {
		if (actions[t - 1] == GDB_RESUME_STEP) {
			f->regs[t - 1].rip++;
			stop.thread = t;
			f->running = false;
			gdb_stub_report_stop(f->stub, &stop);
			return 0;
		}
	}
	for (t = 1; t <= nr && t <= f->nr; t++) {
		if (actions[t - 1] == GDB_RESUME_CONTINUE) {
			if (!fake_fire_watchpoint(f, t))
				fake_run_to_break(f, t);
			break;
		}
	}
	return 0;
}

static int fake_stop(void *ctx)
{
	struct fake_target *f = ctx;
	struct gdb_stop stop = { .thread = 1, .reason = GDB_STOP_REQUEST };

	f->stops++;
	if (f->stop_refused)
		return -16;
	f->running = false;
	gdb_stub_report_stop(f->stub, &stop);
	return 0;
}

static void fake_detach(void *ctx)
{
	struct fake_target *f = ctx;

	f->detached = true;
	memset(f->hwbp, 0, sizeof(f->hwbp));
}

static void fake_kill(void *ctx)
{
	((struct fake_target *)ctx)->killed = true;
}

static const struct gdb_target_ops fake_ops = {
	.nr_threads = fake_nr_threads,
	.thread_alive = fake_thread_alive,
	.regs_read = fake_regs_read,
	.regs_write = fake_regs_write,
	.mem_read = fake_mem_read,
	.mem_write = fake_mem_write,
	.bp_insert = fake_bp_insert,
	.bp_remove = fake_bp_remove,
	.resume = fake_resume,
	.stop = fake_stop,
	.detach = fake_detach,
	.kill = fake_kill,
};

static int fake_getc(void *ctx)
{
	struct fake_target *f = ctx;

	return f->in_pos < f->in_len ? f->in[f->in_pos++] : -1;
}

static void fake_write(void *ctx, const void *buf, size_t len)
{
	struct fake_target *f = ctx;

	if (len > FAKE_IO_SIZE - 1 - f->out_len) {
		f->bad_access++;	/* the test never lets output pile up this far */
		len = FAKE_IO_SIZE - 1 - f->out_len;
	}
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->out[f->out_len] = '\0';
}

/* Memory filled with a pattern, nr threads, the stub set up on it. */
static inline int fake_setup(struct fake_target *f, struct gdb_stub *s, unsigned int nr)
{
	struct gdb_io io = { fake_getc, fake_write, f };
	struct gdb_target target = { &fake_ops, f, 0, 0 };
	unsigned int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < FAKE_MEM_SIZE; i++)
		f->mem[i] = (uint8_t)(i * 7 + 1) == 0xcc ? 0x90 : (uint8_t)(i * 7 + 1);
	f->nr = nr;
	for (i = 0; i < nr; i++)
		fake_regs_reset(&f->regs[i], i + 1);
	f->stub = s;
	f->running = true;
	return gdb_stub_init(s, &io, &target);
}

/* Queues raw bytes as if GDB sent them. */
static inline void fake_feed(struct fake_target *f, const void *buf, size_t len)
{
	if (f->in_pos == f->in_len)
		f->in_pos = f->in_len = 0;
	if (len > FAKE_IO_SIZE - f->in_len)
		len = FAKE_IO_SIZE - f->in_len;
	memcpy(f->in + f->in_len, buf, len);
	f->in_len += len;
}

/* Frames payload (len bytes) as $payload#cs into buf; returns the length. */
static inline size_t gdb_frame(char *buf, const void *payload, size_t len)
{
	const uint8_t *p = payload;
	uint8_t sum = 0;
	size_t i;

	buf[0] = '$';
	for (i = 0; i < len; i++) {
		buf[1 + i] = (char)p[i];
		sum += p[i];
	}
	sprintf(buf + 1 + len, "#%02x", sum);
	return len + 4;
}

/*
 * Checks that out holds only acks and well-formed packets with the right
 * checksums; the payload of the last packet goes to last (if not NULL,
 * size bytes). Returns the number of packets, or -1 if malformed.
 */
static inline int gdb_parse_output(const char *out, size_t len, char *last, size_t size)
{
	size_t i = 0, j;
	int packets = 0;

	while (i < len) {
		uint8_t sum = 0;
		unsigned int cs;

		if (out[i] == '+' || out[i] == '-') {
			i++;
			continue;
		}
		if (out[i] != '$')
			return -1;
		for (j = i + 1; j < len && out[j] != '#'; j++) {
			if (out[j] == '$')
				return -1;
			sum += (uint8_t)out[j];
		}
		if (j + 3 > len || !isxdigit((unsigned char)out[j + 1]) ||
		    !isxdigit((unsigned char)out[j + 2]) ||
		    sscanf(out + j + 1, "%2x", &cs) != 1 || cs != sum)
			return -1;
		if (last) {
			size_t n = j - i - 1 < size - 1 ? j - i - 1 : size - 1;

			memcpy(last, out + i + 1, n);
			last[n] = '\0';
		}
		packets++;
		i = j + 3;
	}
	return packets;
}

/*
 * Sends payload as one packet (out cleared first), polls the stub once,
 * and returns the payload of the last packet it answered with ("" if
 * none; "<malformed>" if the output is not well-formed).
 */
static inline const char *gdb_cmd_len(struct fake_target *f, const void *payload, size_t len)
{
	static char frame[FAKE_IO_SIZE], reply[FAKE_IO_SIZE];
	size_t n = gdb_frame(frame, payload, len);

	f->out_len = 0;
	f->out[0] = '\0';
	reply[0] = '\0';
	fake_feed(f, frame, n);
	gdb_stub_poll(f->stub);
	if (gdb_parse_output(f->out, f->out_len, reply, sizeof(reply)) < 0)
		return "<malformed>";
	return reply;
}

static inline const char *gdb_cmd(struct fake_target *f, const char *payload)
{
	return gdb_cmd_len(f, payload, strlen(payload));
}

#endif
