/*
 * Hosted test of core/pc/memmap.c: the firmware's bytes below 1 MiB, the
 * unbacked regions of a PC's guest-physical space, the rate limit of
 * their log and its line.
 */
#include <pthread.h>

#include "core/pc/memmap.h"
#include "tests/host/check.h"

static uint8_t low[PC_ROM_END];

static uint16_t word(uint64_t off)
{
	return (uint16_t)(low[off] | low[off + 1] << 8);
}

/* The BDA and EBDA words a kernel reads, 0xff over the ROM, nothing else. */
static void fill_low(void)
{
	struct pc_region r[PC_MEMMAP_FILLED];
	unsigned int changed = 0;

	memset(low, 0x5a, sizeof(low));
	pc_memmap_fill_low(low, r);
	CHECK_EQ(word(0x400), 0x3f8);
	CHECK_EQ(word(0x402), 0x2f8);
	CHECK_EQ(word(0x404), 0);
	CHECK_EQ(word(0x406), 0);
	CHECK_EQ(word(0x40e), 0x9fc0);
	/* Two serial ports (bits 11:9), 80x25 colour (bits 5:4), an FPU, no diskette. */
	CHECK_EQ(word(0x410), 0x0422);
	CHECK_EQ(word(0x413), 639);
	CHECK_EQ(word(0x9fc00), 1);
	for (uint64_t a = PC_ROM_START; a < PC_ROM_END; a++)
		changed += low[a] != 0xff;
	CHECK_EQ(changed, 0);
	/* The ranges it reports cover what changed, and only that. */
	for (uint64_t a = 0; a < PC_ROM_START; a++) {
		bool in = false;

		for (unsigned int i = 0; i < PC_MEMMAP_FILLED; i++)
			in |= a >= r[i].start && a < r[i].end;
		if (!in)
			changed += low[a] != 0x5a;
	}
	CHECK_EQ(changed, 0);
	for (unsigned int i = 1; i < PC_MEMMAP_FILLED; i++)
		CHECK(r[i - 1].end <= r[i].start);
	CHECK_EQ(r[2].start, 0xc0000);
	CHECK_EQ(r[2].end, 0x100000);
	pc_memmap_fill_low(low, NULL);
}

static void expect_region(const struct guest_ram_layout *l, uint64_t gpa, int idx,
			  uint64_t start, uint64_t end)
{
	struct pc_region r = { 1, 1 };

	CHECK_EQ(pc_memmap_unbacked(l, gpa, &r), idx);
	if (idx >= 0) {
		CHECK_EQ(r.start, start);
		CHECK_EQ(r.end, end);
	} else {
		CHECK_EQ(r.start, 1);
	}
}

/* The gaps between RAM, the IOAPIC and local APIC pages, RAM above 4 GiB. */
static void unbacked_regions(void)
{
	struct guest_ram_layout small = guest_ram_layout_for(MiB(64));
	struct guest_ram_layout big = guest_ram_layout_for(GiB(5));

	expect_region(&small, 0, -1, 0, 0);
	expect_region(&small, PC_ROM_START, -1, 0, 0);
	expect_region(&small, MiB(64) - 1, -1, 0, 0);
	expect_region(&small, MiB(64), 0, MiB(64), 0xfec00000);
	expect_region(&small, 0xfebfffff, 0, MiB(64), 0xfec00000);
	expect_region(&small, 0xfec00000, -1, 0, 0);
	expect_region(&small, 0xfec00fff, -1, 0, 0);
	expect_region(&small, 0xfec01000, 1, 0xfec01000, 0xfee00000);
	expect_region(&small, 0xfee00ffc, -1, 0, 0);
	expect_region(&small, 0xfee01000, 2, 0xfee01000, GiB(4));
	expect_region(&small, GiB(4) - 1, 2, 0xfee01000, GiB(4));
	expect_region(&small, GiB(4), 3, GiB(4), 1ull << 52);
	expect_region(&small, (1ull << 52) - 1, 3, GiB(4), 1ull << 52);
	expect_region(&small, 1ull << 52, -1, 0, 0);
	expect_region(&small, ~0ull, -1, 0, 0);

	/* 3 GiB low, 2 GiB at 4 GiB. */
	expect_region(&big, GiB(3) - 1, -1, 0, 0);
	expect_region(&big, GiB(3), 0, GiB(3), 0xfec00000);
	expect_region(&big, GiB(4) - 1, 2, 0xfee01000, GiB(4));
	expect_region(&big, GiB(4), -1, 0, 0);
	expect_region(&big, GiB(6) - 1, -1, 0, 0);
	expect_region(&big, GiB(6), 3, GiB(6), 1ull << 52);
}

#define RACERS 4

static unsigned int logged;
static unsigned int wins[PC_MEMMAP_ROM_REGION + 1];

static void *racer(void *arg)
{
	for (unsigned int round = 0; round < 1000; round++)
		for (unsigned int idx = 0; idx <= PC_MEMMAP_ROM_REGION; idx++)
			if (pc_memmap_note_once(&logged, idx))
				__atomic_add_fetch(&wins[idx], 1, __ATOMIC_RELAXED);
	return arg;
}

/* Each region logs once, whatever the number of vCPUs that race for it. */
static void note_once(void)
{
	pthread_t t[RACERS];

	for (unsigned int i = 0; i < RACERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, racer, NULL), 0);
	for (unsigned int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (unsigned int idx = 0; idx <= PC_MEMMAP_ROM_REGION; idx++)
		CHECK_EQ(wins[idx], 1);
	CHECK(!pc_memmap_note_once(&logged, 0));
}

static void message(void)
{
	struct pc_region r = { MiB(64), 0xfec00000 };
	char buf[200];

	CHECK_STR(pc_memmap_unbacked_msg(buf, sizeof(buf), "linux", 0x20000000, false, &r),
		  "vm linux: unbacked guest-physical 0x20000000 (read, all ones); "
		  "further accesses to [0x4000000, 0xfec00000) are not logged");
	CHECK_STR(pc_memmap_unbacked_msg(buf, sizeof(buf), "a", 0x4000000, true, &r),
		  "vm a: unbacked guest-physical 0x4000000 (write, dropped); "
		  "further accesses to [0x4000000, 0xfec00000) are not logged");
}

int main(void)
{
	RUN(fill_low);
	RUN(unbacked_regions);
	RUN(note_once);
	RUN(message);
	return check_done();
}
