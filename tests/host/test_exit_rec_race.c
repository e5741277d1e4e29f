/*
 * The flight recorder read while it is written (core/exit_rec.c): one
 * writer thread records exits as fast as it can into a small ring, so
 * that it laps the readers all the time; one reader thread reads entries
 * one by one (exit_rec_read()) and another dumps the ring the way the
 * monitor does (exit_rec_print(), lines parsed back). Every field of an
 * exit derives from its number, so an entry mixed from two exits, or
 * from two halves of one, shows: no read may be torn. Built with TSan
 * too (the accesses are atomics; TSan checks the rest of the test).
 */
#include <time.h>

#include "core/exit_rec.h"
#include "tests/host/check.h"

#define RACE_RING	8
#define RACE_SECONDS	1.5

static struct exit_rec_entry ring[RACE_RING] __aligned(64);
static struct exit_rec rec;
static int writer_done;
static unsigned long long written;

/* What exit k holds; the second half's fields too. */
static uint64_t f_tsc(uint64_t k) { return k * 3 + 1; }
static uint64_t f_rip(uint64_t k) { return k ^ 0x5555555555555555ull; }
static uint64_t f_qual(uint64_t k) { return ~k; }
static uint64_t f_gpa(uint64_t k) { return k << 12; }
static uint32_t f_raw(uint64_t k) { return (uint32_t)(k * 7); }
static uint8_t f_reason(uint64_t k) { return (uint8_t)(k % EXIT_NR); }
static uint64_t f_cycles(uint64_t k) { return k * 5 + 2; }
static uint8_t f_vector(uint64_t k) { return (uint8_t)(k * 13); }
static uint32_t f_error(uint64_t k) { return (uint32_t)(k * 11); }

static void writer(struct worker *w)
{
	struct timespec t0, t;
	uint64_t k = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (unsigned int i = 0; i < 1024; i++, k++) {
			struct vm_exit e = {
				.reason = (enum vm_exit_reason)f_reason(k), .raw = f_raw(k),
				.qual = f_qual(k), .gpa = f_gpa(k), .gpa_valid = true,
			};
			struct vm_event ev = {
				.valid = true, .type = EVENT_EXCEPTION, .vector = f_vector(k),
				.has_error = true, .error_code = f_error(k),
			};

			exit_rec_exit(&rec, f_tsc(k), &e, f_rip(k));
			exit_rec_entry(&rec, f_cycles(k), &ev);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < RACE_SECONDS);
	smp_store_release(&written, k);
	smp_store_release(&writer_done, 1);
	(void)w;
}

/* Whether e is exit k as written, whole: first half, and second if DONE. */
static bool entry_whole(const struct exit_rec_entry *e)
{
	uint64_t k = exit_rec_entry_nr(e);
	bool ok = e->tsc == f_tsc(k) && e->rip == f_rip(k) && e->qual == f_qual(k) &&
		  e->gpa == f_gpa(k) && e->raw == f_raw(k) && e->reason == f_reason(k);

	if (exit_rec_entry_state(e) == EXIT_REC_DONE)
		return ok && e->cycles == f_cycles(k) && e->ev_type == EVENT_EXCEPTION &&
		       e->ev_vector == f_vector(k) && e->ev_has_error &&
		       e->ev_error == f_error(k);
	return ok && exit_rec_entry_state(e) == EXIT_REC_OPEN && e->cycles == 0 &&
	       e->ev_type == EXIT_REC_EV_NONE;
}

struct reader_stats {
	unsigned long long good, torn, missed;
};

static void reader(struct worker *w)
{
	struct reader_stats *st = w->arg;

	while (!smp_load_acquire(&writer_done)) {
		uint64_t head = exit_rec_head(&rec);

		for (uint64_t n = head > RACE_RING ? head - RACE_RING : 0; n < head; n++) {
			struct exit_rec_entry e;

			if (!exit_rec_read(&rec, n, &e)) {
				st->missed++;
				continue;
			}
			if (exit_rec_entry_nr(&e) != n || !entry_whole(&e)) {
				if (st->torn++ < 5)
					fprintf(stderr, "  torn: wanted %llu, got %llu: tsc %llu rip %llx "
						"cycles %llu\n", (unsigned long long)n,
						(unsigned long long)exit_rec_entry_nr(&e),
						(unsigned long long)e.tsc, (unsigned long long)e.rip,
						(unsigned long long)e.cycles);
				continue;
			}
			st->good++;
		}
	}
}

/* One printed line, parsed back: exit, tsc, reason, raw, qual, rip, gpa. */
static void dump_line(void *ctx, const char *line)
{
	struct reader_stats *st = ctx;
	unsigned long long k, tsc, raw, qual, rip, gpa;
	char reason[32];

	if (sscanf(line, "%llu %llu %31s %llx %llx %llx %llx", &k, &tsc, reason, &raw, &qual,
		   &rip, &gpa) != 7)
		return;		/* the titles */
	if (tsc == f_tsc(k) && rip == f_rip(k) && qual == f_qual(k) && gpa == f_gpa(k) &&
	    raw == f_raw(k) && strcmp(reason, exit_reason_name(f_reason(k))) == 0) {
		st->good++;
	} else if (st->torn++ < 5) {
		fprintf(stderr, "  torn line: %s\n", line);
	}
}

static void dumper(struct worker *w)
{
	while (!smp_load_acquire(&writer_done))
		exit_rec_print(&rec, 32, dump_line, w->arg);
}

static void no_torn_entries(void)
{
	struct reader_stats rs = { 0 }, ds = { 0 };
	struct worker ww, wr, wd;

	exit_rec_init(&rec, ring, RACE_RING);
	worker_start(&ww, 0, writer, NULL);
	worker_start(&wr, 1, reader, &rs);
	worker_start(&wd, 2, dumper, &ds);
	worker_join(&ww);
	worker_join(&wr);
	worker_join(&wd);
	fprintf(stderr, "  %llu exits written; reader: %llu whole, %llu torn, %llu gone; "
		"dumper: %llu whole lines, %llu torn\n", smp_load_acquire(&written),
		rs.good, rs.torn, rs.missed, ds.good, ds.torn);
	CHECK_EQ(rs.torn, 0);
	CHECK_EQ(ds.torn, 0);
	/* The race took place: entries were read whole and others lost to the writer. */
	CHECK(rs.good > 1000);
	CHECK(ds.good > 100);
	CHECK(rs.missed > 0);
	CHECK(smp_load_acquire(&written) > 10000);
}

int main(void)
{
	RUN(no_torn_entries);
	return check_done();
}
