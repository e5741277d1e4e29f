/*
 * Hosted test of core/ram_zero.c. Scenario: a guest's RAM filled with
 * garbage (an earlier VM's data), 3 MiB at guest-physical 0 and 1 MiB at
 * 4 GiB, in 64 KiB chunks. Single-threaded cases check which bytes each
 * call zeroes and keeps; the race case has threads touch the same chunks
 * at once and write right after their touch returns, as a vCPU's guest
 * would once its fault is mapped: a late zeroing would wipe those writes.
 */
#include <stdlib.h>

#include "core/ram_zero.h"
#include "tests/host/check.h"

#define SHIFT   16
#define CHUNK   (1ull << SHIFT)
#define LOW     (3ull << 20)
#define SIZE    (4ull << 20)
#define GARBAGE 0xa5

static uint8_t *ram;
static uint8_t *state;
static struct ram_zero z;
static struct guest_ram_layout layout = {
	.low = LOW, .high_base = GUEST_RAM_HIGH_BASE, .high = SIZE - LOW,
};

static void setup(void)
{
	free(ram);
	free(state);
	ram = malloc(SIZE);
	state = malloc(ram_zero_state_bytes(SIZE, SHIFT));
	CHECK(ram && state);
	memset(ram, GARBAGE, SIZE);
	ram_zero_init(&z, ram, &layout, SHIFT, state);
}

/* True if every byte of RAM offset [off, off + len) equals v. */
static bool all(uint64_t off, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (ram[off + i] != v)
			return false;
	return true;
}

static void touch_zeroes_whole_chunks(void)
{
	setup();
	CHECK_EQ(z.nr_chunks, SIZE / CHUNK);
	ram_zero_touch(&z, 5 * CHUNK + 100, 1);
	CHECK(all(5 * CHUNK, CHUNK, 0));
	CHECK(all(4 * CHUNK, CHUNK, GARBAGE));
	CHECK(all(6 * CHUNK, CHUNK, GARBAGE));
	CHECK_EQ(state[5], RAM_CHUNK_ZEROED);
	/* A range across a boundary takes both chunks. */
	ram_zero_touch(&z, 8 * CHUNK - 1, 2);
	CHECK(all(7 * CHUNK, 2 * CHUNK, 0));
	/* A second touch does not zero again: data written since stays. */
	ram[5 * CHUNK + 7] = 0x42;
	ram_zero_touch(&z, 5 * CHUNK, CHUNK);
	CHECK_EQ(ram[5 * CHUNK + 7], 0x42);
}

static void high_ram_and_holes(void)
{
	setup();
	/* Guest-physical 4 GiB + 3 chunks is RAM offset LOW + 3 chunks. */
	ram_zero_touch(&z, GUEST_RAM_HIGH_BASE + 3 * CHUNK, 1);
	CHECK(all(LOW + 3 * CHUNK, CHUNK, 0));
	CHECK_EQ(state[(LOW >> SHIFT) + 3], RAM_CHUNK_ZEROED);
	/* The MMIO hole and what lies past the end of RAM are no RAM. */
	ram_zero_touch(&z, 0xfee00000ull, 4096);
	ram_zero_touch(&z, GUEST_RAM_HIGH_BASE + (SIZE - LOW), 4096);
	for (uint64_t c = 0; c < z.nr_chunks; c++)
		CHECK(c == (LOW >> SHIFT) + 3 ? state[c] == RAM_CHUNK_ZEROED
					      : state[c] == RAM_CHUNK_DIRTY);
	/* A range from the end of low RAM across the hole into high RAM. */
	ram_zero_touch(&z, LOW - 1, GUEST_RAM_HIGH_BASE - LOW + 2);
	CHECK_EQ(state[(LOW >> SHIFT) - 1], RAM_CHUNK_ZEROED);
	CHECK_EQ(state[LOW >> SHIFT], RAM_CHUNK_ZEROED);
	CHECK_EQ(state[(LOW >> SHIFT) + 1], RAM_CHUNK_DIRTY);
}

/* The layout, not a constant, says where high RAM is: here at 16 MiB. */
static void layout_places_high_ram(void)
{
	setup();
	layout.high_base = 16ull << 20;
	ram_zero_init(&z, ram, &layout, SHIFT, state);
	ram_zero_touch(&z, GUEST_RAM_HIGH_BASE + CHUNK, 1);
	ram_zero_touch(&z, (16ull << 20) + 2 * CHUNK, 1);
	CHECK_EQ(state[(LOW >> SHIFT) + 1], RAM_CHUNK_DIRTY);
	CHECK_EQ(state[(LOW >> SHIFT) + 2], RAM_CHUNK_ZEROED);
	CHECK(all(LOW + 2 * CHUNK, CHUNK, 0));
	CHECK(all(LOW + CHUNK, CHUNK, GARBAGE));
	layout.high_base = GUEST_RAM_HIGH_BASE;
}

static void keep_loaded_ranges(void)
{
	/* Two loaded ranges sharing chunk 2, one spanning chunks 4-6. */
	struct ram_zero_range kept[] = {
		{ 2 * CHUNK + 100, 200 },
		{ 2 * CHUNK + 1000, 50 },
		{ 4 * CHUNK + 10, 2 * CHUNK },
	};

	setup();
	memset(ram + kept[0].gpa, 0x11, kept[0].len);
	memset(ram + kept[1].gpa, 0x22, kept[1].len);
	memset(ram + kept[2].gpa, 0x33, kept[2].len);
	ram_zero_keep(&z, kept, 3);
	CHECK(all(2 * CHUNK, 100, 0));
	CHECK(all(kept[0].gpa, kept[0].len, 0x11));
	CHECK(all(kept[0].gpa + kept[0].len, 1000 - 300, 0));
	CHECK(all(kept[1].gpa, kept[1].len, 0x22));
	CHECK(all(kept[1].gpa + kept[1].len, 3 * CHUNK - kept[1].gpa - kept[1].len, 0));
	CHECK(all(4 * CHUNK, 10, 0));
	CHECK(all(kept[2].gpa, kept[2].len, 0x33));
	CHECK(all(kept[2].gpa + kept[2].len, 7 * CHUNK - kept[2].gpa - kept[2].len, 0));
	CHECK(all(3 * CHUNK, CHUNK, GARBAGE));
	CHECK(all(7 * CHUNK, CHUNK, GARBAGE));
	for (uint64_t c = 2; c <= 6; c++)
		CHECK_EQ(state[c], c == 3 ? RAM_CHUNK_DIRTY : RAM_CHUNK_ZEROED);
	/* A later touch of a kept chunk leaves the loaded data alone. */
	ram_zero_touch(&z, 2 * CHUNK, CHUNK);
	CHECK(all(kept[0].gpa, kept[0].len, 0x11));
}

#define RACE_THREADS 4
#define RACE_ROUNDS  50

static unsigned int race_ready;

/*
 * The threads start together and touch the chunks in the same order, so
 * that they meet on each chunk; right after each touch a thread writes
 * its mark into its own byte (at the chunk's end, which a zeroing memset
 * reaches last). Whoever zeroes a chunk does it before any touch of it
 * returns, so every mark survives; publishing ZEROED before the memset
 * loses marks.
 */
static void race_fn(struct worker *w)
{
	unsigned int me = (unsigned int)(uintptr_t)w->arg;

	__atomic_add_fetch(&race_ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&race_ready, __ATOMIC_ACQUIRE) < RACE_THREADS)
		;
	for (uint64_t c = 0; c < z.nr_chunks; c++) {
		uint64_t off = c * CHUNK + CHUNK - 1 - me;
		uint64_t gpa = off < LOW ? off : GUEST_RAM_HIGH_BASE + off - LOW;

		ram_zero_touch(&z, gpa, 1);
		__atomic_store_n(&ram[off], (uint8_t)(0x80 | me), __ATOMIC_RELAXED);
	}
}

static void racing_touches(void)
{
	for (int round = 0; round < RACE_ROUNDS; round++) {
		struct worker w[RACE_THREADS];

		setup();
		race_ready = 0;
		for (unsigned int t = 0; t < RACE_THREADS; t++)
			worker_start(&w[t], t, race_fn, (void *)(uintptr_t)t);
		for (unsigned int t = 0; t < RACE_THREADS; t++)
			worker_join(&w[t]);
		for (uint64_t c = 0; c < z.nr_chunks; c++) {
			CHECK_EQ(state[c], RAM_CHUNK_ZEROED);
			for (unsigned int t = 0; t < RACE_THREADS; t++)
				CHECK_EQ(ram[c * CHUNK + CHUNK - 1 - t], 0x80 | t);
			CHECK(all(c * CHUNK, CHUNK - RACE_THREADS, 0));
		}
	}
}

int main(void)
{
	shim_set_cpu(0);
	RUN(touch_zeroes_whole_chunks);
	RUN(high_ram_and_holes);
	RUN(layout_places_high_ram);
	RUN(keep_loaded_ranges);
	RUN(racing_touches);
	free(ram);
	free(state);
	return check_done();
}
