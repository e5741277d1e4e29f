/*
 * The exit profile (core/exit_profile.c) over a real flight recorder
 * (core/exit_rec.c), one thread: counts by (reason, RIP) and the top
 * list's order (count, then RIP), samples taken between batches of
 * exits, exits the ring overwrote before a sample counted as missed and
 * never as another RIP's, the exits before the start left out, and more
 * distinct pairs than the table holds counted as dropped.
 */
#include "core/exit_profile.h"
#include "tests/host/check.h"

#define RING_LEN 16

static struct exit_rec_entry ring[RING_LEN] __aligned(64);
static struct exit_rec rec;
static struct exit_profile prof;

static void setup(void)
{
	memset(ring, 0, sizeof(ring));
	exit_rec_init(&rec, ring, RING_LEN);
}

/* One exit of reason at rip, both halves, as the run loop records it. */
static void record(enum vm_exit_reason reason, uint64_t rip)
{
	struct vm_exit e;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	exit_rec_exit(&rec, 1, &e, rip);
	exit_rec_entry(&rec, 100, NULL);
}

static void case_top_order(void)
{
	struct exit_profile_slot top[4];

	setup();
	record(EXIT_IO, 0x500);			/* before the start: not counted */
	exit_profile_start(&prof, &rec);
	for (unsigned int i = 0; i < 5; i++)
		record(EXIT_IO, 0xffffffff81000010ull);
	record(EXIT_TDP_FAULT, 0xffffffff81000020ull);
	record(EXIT_TDP_FAULT, 0xffffffff81000020ull);
	record(EXIT_HLT, 0xffffffff81000030ull);
	record(EXIT_HLT, 0xffffffff81000008ull);
	/* The same RIP with another reason is another pair. */
	record(EXIT_EXTERNAL_INTR, 0xffffffff81000010ull);
	CHECK_EQ(exit_profile_sample(&prof, &rec), 10);
	CHECK_EQ(prof.sampled, 10);
	CHECK_EQ(prof.missed, 0);
	CHECK_EQ(exit_profile_top(&prof, top, 4), 4);
	CHECK_EQ(top[0].rip, 0xffffffff81000010ull);
	CHECK_EQ(top[0].reason, EXIT_IO);
	CHECK_EQ(top[0].count, 5);
	CHECK_EQ(top[1].rip, 0xffffffff81000020ull);
	CHECK_EQ(top[1].reason, EXIT_TDP_FAULT);
	CHECK_EQ(top[1].count, 2);
	/* Equal counts: the lower RIP first. */
	CHECK_EQ(top[2].rip, 0xffffffff81000008ull);
	CHECK_EQ(top[2].reason, EXIT_HLT);
	CHECK_EQ(top[3].rip, 0xffffffff81000010ull);
	CHECK_EQ(top[3].reason, EXIT_EXTERNAL_INTR);
	CHECK_EQ(top[3].count, 1);
	/* A longer list than there are pairs. */
	CHECK_EQ(exit_profile_top(&prof, top, 1), 1);
	CHECK_EQ(top[0].count, 5);
}

/* Samples between batches add up; a sample with nothing new adds nothing. */
static void case_samples_add_up(void)
{
	struct exit_profile_slot top[2];

	setup();
	exit_profile_start(&prof, &rec);
	CHECK_EQ(exit_profile_sample(&prof, &rec), 0);
	for (unsigned int round = 0; round < 10; round++) {
		for (unsigned int i = 0; i < 12; i++)
			record(EXIT_IO, 0x1100);
		record(EXIT_HLT, 0x2000);
		CHECK_EQ(exit_profile_sample(&prof, &rec), 13);
	}
	CHECK_EQ(exit_profile_sample(&prof, &rec), 0);
	CHECK_EQ(prof.sampled, 130);
	CHECK_EQ(prof.missed, 0);
	CHECK_EQ(exit_profile_top(&prof, top, 2), 2);
	CHECK_EQ(top[0].rip, 0x1100);
	CHECK_EQ(top[0].count, 120);
	CHECK_EQ(top[1].rip, 0x2000);
	CHECK_EQ(top[1].count, 10);
}

/* More exits between samples than the ring holds: the lost ones are missed. */
static void case_overwritten_are_missed(void)
{
	struct exit_profile_slot top[3];

	setup();
	exit_profile_start(&prof, &rec);
	for (unsigned int i = 0; i < 40; i++)
		record(EXIT_IO, 0x1000 + (i < 24 ? 0 : 0x10));
	CHECK_EQ(exit_profile_sample(&prof, &rec), RING_LEN);
	CHECK_EQ(prof.missed, 40 - RING_LEN);
	CHECK_EQ(prof.sampled, RING_LEN);
	/* Only the last 16 (all at 0x1010) were still there. */
	CHECK_EQ(exit_profile_top(&prof, top, 3), 1);
	CHECK_EQ(top[0].rip, 0x1010);
	CHECK_EQ(top[0].count, RING_LEN);
	CHECK_EQ(prof.next, 40);
}

/* Pairs beyond the table's slots are dropped, the others still counted. */
static void case_table_full(void)
{
	struct exit_profile_slot top[1];

	memset(&prof, 0, sizeof(prof));
	for (uint64_t rip = 0; rip < EXIT_PROFILE_SLOTS + 7; rip++)
		exit_profile_add(&prof, EXIT_IO, rip * 16);
	CHECK_EQ(prof.dropped, 7);
	exit_profile_add(&prof, EXIT_IO, 16 * 3);
	exit_profile_add(&prof, EXIT_IO, 16 * 3);
	CHECK_EQ(prof.sampled, EXIT_PROFILE_SLOTS + 9);
	CHECK_EQ(exit_profile_top(&prof, top, 1), 1);
	CHECK_EQ(top[0].rip, 48);
	CHECK_EQ(top[0].count, 3);
}

int main(void)
{
	RUN(case_top_order);
	RUN(case_samples_add_up);
	RUN(case_overwritten_are_missed);
	RUN(case_table_full);
	return check_done();
}
