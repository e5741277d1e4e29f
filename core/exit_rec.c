/*
 * The VM-exit flight recorder (core/exit_rec.h), and a vCPU's recorder
 * printed on the console (vcpu_print_trace(), core/vcpu_run.h). The
 * writer halves run on the vCPU's own thread, interrupts on or off, no
 * lock held; the readers run anywhere and take no lock either.
 *
 * The protocol, per entry (the writer is the only one to store):
 *
 *	writer				reader
 *	seq = S | odd	(relaxed)	s1 = seq		(acquire)
 *	store the fields (release)	load the fields		(acquire)
 *	seq = S | even	(release)	s2 = seq		(relaxed)
 *
 * Each field store is a release, so it cannot pass the odd word before
 * it; the even word's release keeps the fields ahead of it. Each field
 * load is an acquire, so the second load of seq cannot pass it; the
 * first load's acquire keeps the fields after it. A copy that overlapped
 * a write therefore sees s1 odd, or s1 != s2: it is retried, or dropped
 * once the slot holds another exit. (Standalone fences would do the
 * same, but ThreadSanitizer does not model them.) On x86 every one of
 * these is a plain MOV: the recorder costs the vCPU plain stores to one
 * cache line of its own.
 */
#include "core/exit_rec.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/vcpu_run.h"

/* A reader gives up on an entry the writer keeps rewriting. */
#define EXIT_REC_READ_TRIES 8

/* A field of an entry: release stores, acquire loads (see above). */
#define REC_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define REC_LOAD(x)     __atomic_load_n(&(x), __ATOMIC_ACQUIRE)

static unsigned int exit_rec_default = EXIT_REC_DEFAULT_LEN;

unsigned int exit_rec_len_for(uint64_t n)
{
	unsigned int len = 1;

	if (n == 0)
		return 0;
	if (n >= EXIT_REC_MAX_LEN)
		return EXIT_REC_MAX_LEN;
	while (len < n)
		len <<= 1;
	return len;
}

void exit_rec_set_default_len(unsigned int len)
{
	exit_rec_default = exit_rec_len_for(len);
}

unsigned int exit_rec_default_len(void)
{
	return exit_rec_default;
}

void exit_rec_init(struct exit_rec *r, struct exit_rec_entry *ring, unsigned int len)
{
	r->ring = len ? ring : NULL;
	r->mask = len ? len - 1 : 0;
	r->open = false;
	r->head = 0;
}

static inline uint64_t exit_rec_seq(uint64_t n, enum exit_rec_state st)
{
	return ((n + 1) << EXIT_REC_SEQ_SHIFT) | st;
}

void exit_rec_exit(struct exit_rec *r, uint64_t tsc, const struct vm_exit *exit,
		   uint64_t rip)
{
	uint64_t n = r->head;
	struct exit_rec_entry *e;

	if (!r->ring)
		return;
	e = &r->ring[n & r->mask];
	WRITE_ONCE(e->seq, exit_rec_seq(n, EXIT_REC_WRITING_EXIT));
	/* Release stores: none passes the odd word (the reader's s2 sees it). */
	REC_STORE(e->tsc, tsc);
	REC_STORE(e->rip, rip);
	REC_STORE(e->qual, exit->qual);
	REC_STORE(e->gpa, exit->gpa_valid ? exit->gpa : 0);
	REC_STORE(e->cycles, 0);
	REC_STORE(e->raw, (uint32_t)exit->raw);
	REC_STORE(e->reason, (uint8_t)(exit->reason < EXIT_NR ? exit->reason : EXIT_UNKNOWN));
	REC_STORE(e->ev_type, EXIT_REC_EV_NONE);
	REC_STORE(e->ev_vector, 0);
	REC_STORE(e->ev_has_error, 0);
	REC_STORE(e->ev_error, 0);
	/* The fields before the even word: pairs with the reader's acquire load. */
	smp_store_release(&e->seq, exit_rec_seq(n, EXIT_REC_OPEN));
	r->open = true;
	/* The entry is whole before a reader can ask for it: exit_rec_head(). */
	smp_store_release(&r->head, n + 1);
}

void exit_rec_entry(struct exit_rec *r, uint64_t cycles, const struct vm_event *ev)
{
	uint64_t n = r->head - 1;
	struct exit_rec_entry *e;

	if (!r->open)
		return;
	r->open = false;
	e = &r->ring[n & r->mask];
	WRITE_ONCE(e->seq, exit_rec_seq(n, EXIT_REC_WRITING_ENTRY));
	/* As in exit_rec_exit(). */
	REC_STORE(e->cycles, cycles);
	if (ev && ev->valid) {
		REC_STORE(e->ev_type, ev->type);
		REC_STORE(e->ev_vector, ev->vector);
		REC_STORE(e->ev_has_error, ev->has_error);
		REC_STORE(e->ev_error, ev->error_code);
	}
	/* The fields before the even word: pairs with the reader's acquire of s1. */
	smp_store_release(&e->seq, exit_rec_seq(n, EXIT_REC_DONE));
}

bool exit_rec_read(const struct exit_rec *r, uint64_t n, struct exit_rec_entry *out)
{
	const struct exit_rec_entry *e;

	if (!r->ring || n >= exit_rec_head(r))
		return false;
	e = &r->ring[n & r->mask];
	for (unsigned int tries = 0; tries < EXIT_REC_READ_TRIES; tries++) {
		/* Pairs with the writer's release stores of the even word. */
		uint64_t s1 = smp_load_acquire(&e->seq), s2;

		if ((s1 >> EXIT_REC_SEQ_SHIFT) != n + 1)
			return false;		/* overwritten by a later exit */
		if (s1 & 1) {
			cpu_relax();
			continue;		/* being written: try again */
		}
		/* Acquire loads: the second load of seq cannot pass any of them. */
		out->tsc = REC_LOAD(e->tsc);
		out->rip = REC_LOAD(e->rip);
		out->qual = REC_LOAD(e->qual);
		out->gpa = REC_LOAD(e->gpa);
		out->cycles = REC_LOAD(e->cycles);
		out->raw = REC_LOAD(e->raw);
		out->reason = REC_LOAD(e->reason);
		out->ev_type = REC_LOAD(e->ev_type);
		out->ev_vector = REC_LOAD(e->ev_vector);
		out->ev_has_error = REC_LOAD(e->ev_has_error);
		out->ev_error = REC_LOAD(e->ev_error);
		s2 = READ_ONCE(e->seq);
		if (s1 == s2) {
			out->seq = s1;
			out->pad = 0;
			return true;
		}
	}
	return false;
}

/* --- Printing ------------------------------------------------------------- */

static const char *exit_rec_event_name(uint8_t type)
{
	static const char *const names[] = {
		[EVENT_EXTINT] = "EXT", [EVENT_NMI] = "NMI", [EVENT_EXCEPTION] = "EXC",
		[EVENT_SOFT_INT] = "INTn", [EVENT_SOFT_EXCEPTION] = "SWEXC",
		[EVENT_PRIV_SOFT_EXCEPTION] = "INT1",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type] : "?";
}

#define EXIT_REC_COLUMNS "%8s %14s %-14s %8s %18s %18s %12s %-12s %10s"

void exit_rec_format_header(char *buf, size_t len)
{
	hv_snprintf(buf, len, EXIT_REC_COLUMNS, "exit", "tsc", "reason", "raw", "qual", "rip",
		    "gpa", "injected", "cycles");
}

void exit_rec_format(const struct exit_rec_entry *e, char *buf, size_t len)
{
	char nr[24], tsc[24], raw[16], qual[24], rip[24], gpa[24], ev[24], cyc[24];

	hv_snprintf(nr, sizeof(nr), "%llu", (unsigned long long)exit_rec_entry_nr(e));
	hv_snprintf(tsc, sizeof(tsc), "%llu", (unsigned long long)e->tsc);
	hv_snprintf(raw, sizeof(raw), "%#x", e->raw);
	hv_snprintf(qual, sizeof(qual), "%#llx", (unsigned long long)e->qual);
	hv_snprintf(rip, sizeof(rip), "%#llx", (unsigned long long)e->rip);
	hv_snprintf(gpa, sizeof(gpa), "%#llx", (unsigned long long)e->gpa);
	if (exit_rec_entry_state(e) != EXIT_REC_DONE) {
		hv_snprintf(ev, sizeof(ev), "-");
		hv_snprintf(cyc, sizeof(cyc), "-");
	} else {
		if (e->ev_type == EXIT_REC_EV_NONE)
			hv_snprintf(ev, sizeof(ev), "none");
		else if (e->ev_has_error)
			hv_snprintf(ev, sizeof(ev), "%s %u/%#x", exit_rec_event_name(e->ev_type),
				    e->ev_vector, e->ev_error);
		else
			hv_snprintf(ev, sizeof(ev), "%s %u", exit_rec_event_name(e->ev_type),
				    e->ev_vector);
		hv_snprintf(cyc, sizeof(cyc), "%llu", (unsigned long long)e->cycles);
	}
	hv_snprintf(buf, len, EXIT_REC_COLUMNS, nr, tsc,
		    exit_reason_name((enum vm_exit_reason)e->reason), raw, qual, rip, gpa, ev, cyc);
}

unsigned int exit_rec_print(const struct exit_rec *r, unsigned int n,
			    void (*print)(void *ctx, const char *line), void *ctx)
{
	uint64_t head = exit_rec_head(r), first;
	char line[EXIT_REC_LINE_MAX];
	unsigned int printed = 0;

	n = MIN(n, exit_rec_len(r));
	first = head > n ? head - n : 0;
	exit_rec_format_header(line, sizeof(line));
	print(ctx, line);
	for (uint64_t i = first; i < head; i++) {
		struct exit_rec_entry e;

		if (!exit_rec_read(r, i, &e))
			continue;
		exit_rec_format(&e, line, sizeof(line));
		print(ctx, line);
		printed++;
	}
	return printed;
}

/* --- A vCPU's recorder on the console ------------------------------------ */

static void exit_rec_print_line(void *ctx, const char *line)
{
	pr_info("%s%s", (const char *)ctx, line);
}

unsigned int vcpu_print_trace(const struct vcpu *vcpu, unsigned int n)
{
	const struct exit_rec *r = &vcpu->rec;
	uint64_t head;

	if (!exit_rec_len(r)) {
		pr_info("vm %s vCPU %u: the flight recorder is off (trace=0)", vcpu->vm->name,
			vcpu->id);
		return 0;
	}
	head = exit_rec_head(r);
	pr_info("vm %s vCPU %u: last %llu of %llu exits (oldest first):", vcpu->vm->name,
		vcpu->id, (unsigned long long)MIN(head, (uint64_t)MIN(n, exit_rec_len(r))),
		(unsigned long long)head);
	return exit_rec_print(r, n, exit_rec_print_line, "  ");
}
