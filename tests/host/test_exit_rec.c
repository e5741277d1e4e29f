/*
 * The VM-exit flight recorder (core/exit_rec.c), one thread: ring
 * lengths from trace=, the recorder off, reads of an empty ring, the
 * two halves of an entry and its layout, wrap-around, and the printed
 * lines (aligned under their titles). The concurrent reader is
 * test_exit_rec_race.c.
 */
#include "core/exit_rec.h"
#include "tests/host/check.h"

#define RING_MAX 16

static struct exit_rec_entry ring[RING_MAX] __aligned(64);
static struct exit_rec rec;

static void setup(unsigned int len)
{
	memset(ring, 0, sizeof(ring));
	exit_rec_init(&rec, len ? ring : NULL, len);
}

/* An exit whose fields all derive from k. */
static struct vm_exit exit_for(uint64_t k)
{
	struct vm_exit e;

	memset(&e, 0, sizeof(e));
	e.reason = (enum vm_exit_reason)(k % EXIT_NR);
	e.raw = 0x100 + k;
	e.qual = k * 3;
	e.gpa = k << 12;
	e.gpa_valid = (k & 1) == 0;
	return e;
}

static void record(uint64_t k, bool with_entry)
{
	struct vm_exit e = exit_for(k);
	struct vm_event ev = { .valid = true, .type = EVENT_EXCEPTION, .vector = 14,
			       .has_error = true, .error_code = (uint32_t)k };

	exit_rec_exit(&rec, 1000 + k, &e, 0xfff0 + k);
	if (with_entry)
		exit_rec_entry(&rec, 10 * k, (k % 3) ? &ev : NULL);
}

static void check_entry(uint64_t k, bool done)
{
	struct exit_rec_entry e;

	CHECK(exit_rec_read(&rec, k, &e));
	CHECK_EQ(exit_rec_entry_nr(&e), k);
	CHECK_EQ(exit_rec_entry_state(&e), done ? EXIT_REC_DONE : EXIT_REC_OPEN);
	CHECK_EQ(e.tsc, 1000 + k);
	CHECK_EQ(e.rip, 0xfff0 + k);
	CHECK_EQ(e.qual, k * 3);
	CHECK_EQ(e.gpa, (k & 1) ? 0 : k << 12);
	CHECK_EQ(e.raw, 0x100 + k);
	CHECK_EQ(e.reason, k % EXIT_NR);
	CHECK_EQ(e.cycles, done ? 10 * k : 0);
	if (done && (k % 3)) {
		CHECK_EQ(e.ev_type, EVENT_EXCEPTION);
		CHECK_EQ(e.ev_vector, 14);
		CHECK_EQ(e.ev_has_error, 1);
		CHECK_EQ(e.ev_error, (uint32_t)k);
	} else {
		CHECK_EQ(e.ev_type, EXIT_REC_EV_NONE);
	}
}

static void lengths(void)
{
	CHECK_EQ(exit_rec_len_for(0), 0);
	CHECK_EQ(exit_rec_len_for(1), 1);
	CHECK_EQ(exit_rec_len_for(3), 4);
	CHECK_EQ(exit_rec_len_for(256), 256);
	CHECK_EQ(exit_rec_len_for(257), 512);
	CHECK_EQ(exit_rec_len_for(EXIT_REC_MAX_LEN + 1), EXIT_REC_MAX_LEN);
	CHECK_EQ(exit_rec_len_for(~0ull), EXIT_REC_MAX_LEN);
	CHECK_EQ(exit_rec_default_len(), EXIT_REC_DEFAULT_LEN);
	exit_rec_set_default_len(100);
	CHECK_EQ(exit_rec_default_len(), 128);
	exit_rec_set_default_len(0);
	CHECK_EQ(exit_rec_default_len(), 0);
	exit_rec_set_default_len(EXIT_REC_DEFAULT_LEN);
}

static void layout(void)
{
	CHECK_EQ(sizeof(struct exit_rec_entry), 64);
	CHECK_EQ(_Alignof(struct exit_rec_entry), 64);
	CHECK_EQ(offsetof(struct exit_rec_entry, seq), 0);
	/* The sequence word: exit number + 1 above the two state bits. */
	setup(4);
	record(0, false);
	CHECK_EQ(ring[0].seq, (1ull << EXIT_REC_SEQ_SHIFT) | EXIT_REC_OPEN);
	exit_rec_entry(&rec, 5, NULL);
	CHECK_EQ(ring[0].seq, (1ull << EXIT_REC_SEQ_SHIFT) | EXIT_REC_DONE);
	record(1, true);
	CHECK_EQ(ring[1].seq, (2ull << EXIT_REC_SEQ_SHIFT) | EXIT_REC_DONE);
}

static void empty(void)
{
	struct exit_rec_entry e;

	setup(8);
	CHECK_EQ(exit_rec_len(&rec), 8);
	CHECK_EQ(exit_rec_head(&rec), 0);
	CHECK(!exit_rec_read(&rec, 0, &e));
	CHECK(!exit_rec_read(&rec, 7, &e));
	/* A second half with no first is nothing. */
	exit_rec_entry(&rec, 99, NULL);
	CHECK_EQ(ring[0].seq, 0);
	CHECK_EQ(exit_rec_head(&rec), 0);
}

static void off(void)
{
	struct exit_rec_entry e;

	setup(0);
	CHECK_EQ(exit_rec_len(&rec), 0);
	record(0, true);
	record(1, false);
	CHECK_EQ(exit_rec_head(&rec), 0);
	CHECK(!exit_rec_read(&rec, 0, &e));
	for (unsigned int i = 0; i < RING_MAX; i++)
		CHECK_EQ(ring[i].seq, 0);
}

static void halves(void)
{
	struct exit_rec_entry e;

	setup(8);
	record(1, false);
	CHECK_EQ(exit_rec_head(&rec), 1);
	/* Numbered from 0: the exit k = 1 is exit number 0 here. */
	CHECK(exit_rec_read(&rec, 0, &e));
	CHECK_EQ(exit_rec_entry_state(&e), EXIT_REC_OPEN);
	CHECK_EQ(e.cycles, 0);
	CHECK_EQ(e.ev_type, EXIT_REC_EV_NONE);
	CHECK(!exit_rec_read(&rec, 1, &e));
	exit_rec_entry(&rec, 1234, &(struct vm_event){ .valid = true, .type = EVENT_EXTINT,
						      .vector = 0x30 });
	CHECK(exit_rec_read(&rec, 0, &e));
	CHECK_EQ(exit_rec_entry_state(&e), EXIT_REC_DONE);
	CHECK_EQ(e.cycles, 1234);
	CHECK_EQ(e.ev_type, EVENT_EXTINT);
	CHECK_EQ(e.ev_vector, 0x30);
	CHECK_EQ(e.ev_has_error, 0);
	/* A second entry half for the same exit changes nothing. */
	exit_rec_entry(&rec, 1, NULL);
	CHECK(exit_rec_read(&rec, 0, &e));
	CHECK_EQ(e.cycles, 1234);
	/* An invalid event is none. */
	record(1, false);
	exit_rec_entry(&rec, 7, &(struct vm_event){ .valid = false, .vector = 3 });
	CHECK(exit_rec_read(&rec, 1, &e));
	CHECK_EQ(e.ev_type, EXIT_REC_EV_NONE);
}

static void wrap_around(void)
{
	struct exit_rec_entry e;

	setup(4);
	for (uint64_t k = 0; k < 10; k++)
		record(k, k != 9);
	CHECK_EQ(exit_rec_head(&rec), 10);
	for (uint64_t k = 0; k < 6; k++)
		CHECK(!exit_rec_read(&rec, k, &e));
	for (uint64_t k = 6; k < 10; k++)
		check_entry(k, k != 9);
	CHECK(!exit_rec_read(&rec, 10, &e));
	/* Nothing written outside the ring's 4 slots. */
	for (unsigned int i = 4; i < RING_MAX; i++)
		CHECK_EQ(ring[i].seq, 0);
}

static char lines[8][EXIT_REC_LINE_MAX];
static unsigned int nr_lines;

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	if (nr_lines < 8)
		snprintf(lines[nr_lines], sizeof(lines[0]), "%s", line);
	nr_lines++;
}

/* The column of the end of word (the n-th blank-separated one) in s. */
static long word_end(const char *s, unsigned int n)
{
	const char *p = s;

	for (unsigned int i = 0; i <= n; i++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	return p - s;
}

static void printing(void)
{
	setup(4);
	nr_lines = 0;
	CHECK_EQ(exit_rec_print(&rec, 32, collect, NULL), 0);
	CHECK_EQ(nr_lines, 1);		/* the titles only */
	CHECK(strstr(lines[0], "reason") != NULL);

	for (uint64_t k = 0; k < 6; k++)
		record(k, k != 5);
	nr_lines = 0;
	CHECK_EQ(exit_rec_print(&rec, 32, collect, NULL), 4);	/* the ring's 4 */
	CHECK_EQ(nr_lines, 5);
	nr_lines = 0;
	CHECK_EQ(exit_rec_print(&rec, 2, collect, NULL), 2);
	CHECK_EQ(nr_lines, 3);
	/* Oldest first: exits 4 and 5; 5 still open, 4 injected #PF with code 4. */
	CHECK_EQ(strtoull(lines[1], NULL, 10), 4);
	CHECK_EQ(strtoull(lines[2], NULL, 10), 5);
	CHECK(strstr(lines[1], exit_reason_name((enum vm_exit_reason)(4 % EXIT_NR))) != NULL);
	CHECK(strstr(lines[1], " 0x104 ") != NULL);
	CHECK(strstr(lines[1], "EXC 14/0x4") != NULL);
	CHECK(strstr(lines[1], " 40") != NULL);
	CHECK(strstr(lines[2], " -") != NULL);
	/* Right-aligned columns end where their titles end (reason and injected
	 * are left-aligned: skip those). */
	for (unsigned int l = 1; l < 3; l++) {
		CHECK_EQ(strlen(lines[l]), strlen(lines[0]));
		for (unsigned int w = 0; w < 7; w++)
			if (w != 2)
				CHECK_EQ(word_end(lines[l], w), word_end(lines[0], w));
	}
}

int main(void)
{
	RUN(lengths);
	RUN(layout);
	RUN(empty);
	RUN(off);
	RUN(halves);
	RUN(wrap_around);
	RUN(printing);
	return check_done();
}
