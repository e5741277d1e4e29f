/*
 * Hosted test of the physical frame allocator (mm/frame.c).
 *
 * Scenario: a 96 MiB arena stands for physical memory [0, 96 MiB). Synthetic
 * boot memory maps describe it with holes, unaligned and overlapping
 * entries, non-usable entries inside usable ones and reserved ranges. A
 * brute-force model (a frame is free iff it lies wholly inside one usable
 * entry, overlaps no other entry nor reserved range, and is above 1 MiB)
 * says which frames the allocator may hand out; every case checks the
 * allocator against it. Bugs that must panic are checked in a forked child.
 */

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "mm/frame.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE   MiB(96)
#define ARENA_FRAMES (ARENA_SIZE >> PAGE_SHIFT)

static bool model_free[ARENA_FRAMES];
static uint64_t model_frames;	/* frames the model says are free */
static uint64_t model_meta;	/* frames the bitmaps need */

/* Per-frame owner while allocated: 0 = not handed out. */
static uint8_t owner[ARENA_FRAMES];
static paddr_t list[ARENA_FRAMES];

/* The main map: unsorted, with holes, overlaps and unaligned entries. */
static const struct boot_mem_region map1[] = {
	{ 0x1800000, 0x1800000, BOOT_MEM_USABLE },	/* 24..48 MiB */
	{ 0x0, 0x9f000, BOOT_MEM_USABLE },		/* below 1 MiB */
	{ 0x800000, 0x100000, BOOT_MEM_ACPI_RECLAIM },	/* hole 8..9 MiB */
	{ 0x3400000, 0x2c00000, BOOT_MEM_USABLE },	/* 52..96 MiB */
	{ 0x2800000, 0x1000, BOOT_MEM_BAD },		/* inside 24..48 */
	{ 0x100000, 0x700000, BOOT_MEM_USABLE },	/* 1..8 MiB */
	{ 0x2000000, 0x400000, BOOT_MEM_USABLE },	/* duplicate of 32..36 */
	{ 0x9f000, 0x61000, BOOT_MEM_RESERVED },
	{ 0x900123, 0x6fff33, BOOT_MEM_USABLE },	/* unaligned 9..16 MiB */
	{ 0x3000000, 0x200000, BOOT_MEM_LOADED },	/* 48..50, then a hole */
	{ 0x1000000, 0x800000, BOOT_MEM_RESERVED },	/* 16..24 MiB */
	{ 0x5000000, 0, BOOT_MEM_USABLE },		/* zero-sized */
	{ 0x2fff800, 0x1000, BOOT_MEM_ACPI_NVS },	/* straddles 48 MiB */
};

static const struct boot_mem_region rsv1[] = {
	{ 0x200000, 0x100000, BOOT_MEM_LOADED },	/* hypervisor image */
	{ 0x3500123, 0x100000, BOOT_MEM_LOADED },	/* a loaded file */
	{ 0x50000, 0x1000, BOOT_MEM_RESERVED },		/* boot record */
	{ 0x8000, 0x1000, BOOT_MEM_RESERVED },		/* AP trampoline */
	{ 0x3fffff0, 0x20, BOOT_MEM_RESERVED },		/* straddles 64 MiB */
};

/* ------------------------------------------------------------------------
 * The model.
 */

static bool overlaps(const struct boot_mem_region *r, uint64_t s, uint64_t e)
{
	return r->size && r->base < e && s < r->base + r->size;
}

static void model_build(const struct boot_mem_region *map, size_t n,
			const struct boot_mem_region *rsv, size_t n_rsv)
{
	uint64_t lo = UINT64_MAX, hi = 0, nwords;
	size_t f, i;

	model_frames = 0;
	for (f = 0; f < ARENA_FRAMES; f++) {
		uint64_t s = f * PAGE_SIZE, e = s + PAGE_SIZE;
		bool usable = false, excluded = s < MiB(1);

		for (i = 0; i < n; i++) {
			const struct boot_mem_region *r = &map[i];

			if (r->type == BOOT_MEM_USABLE)
				usable |= r->base <= s && e <= r->base + r->size;
			else
				excluded |= overlaps(r, s, e);
		}
		for (i = 0; i < n_rsv; i++)
			excluded |= overlaps(&rsv[i], s, e);
		model_free[f] = usable && !excluded;
		model_frames += model_free[f];
	}

	/* The bitmaps span the lowest to the highest usable frame. */
	for (i = 0; i < n; i++) {
		uint64_t s = MAX(ALIGN_UP(map[i].base, PAGE_SIZE), MiB(1));
		uint64_t e = ALIGN_DOWN(map[i].base + map[i].size, PAGE_SIZE);

		if (map[i].type == BOOT_MEM_USABLE && s < e) {
			lo = MIN(lo, s);
			hi = MAX(hi, e);
		}
	}
	nwords = (((hi - lo) >> PAGE_SHIFT) + 63) / 64;
	model_meta = (2 * nwords * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
}

static int init_map1(void)
{
	model_build(map1, ARRAY_SIZE(map1), rsv1, ARRAY_SIZE(rsv1));
	memset(owner, 0, sizeof(owner));
	return frame_init(map1, ARRAY_SIZE(map1), rsv1, ARRAY_SIZE(rsv1));
}

/* Checks a run handed out by the allocator and marks it owned. */
static bool take_run(paddr_t pa, size_t count)
{
	uint64_t f = pa >> PAGE_SHIFT;
	size_t i;

	if (pa % PAGE_SIZE || pa < MiB(1) || f + count > ARENA_FRAMES)
		return false;
	for (i = 0; i < count; i++) {
		if (!model_free[f + i] || owner[f + i])
			return false;
		owner[f + i] = 1;
	}
	return true;
}

static void give_run(paddr_t pa, size_t count)
{
	memset(&owner[pa >> PAGE_SHIFT], 0, count);
	frame_free_contig(pa, count);
}

/* Allocates single frames until -ENOMEM; returns how many, all checked. */
static size_t alloc_all(void)
{
	size_t n = 0;
	paddr_t pa;

	while (!frame_alloc(&pa)) {
		CHECK(n < ARENA_FRAMES);
		if (n >= ARENA_FRAMES)
			break;
		CHECK(take_run(pa, 1));
		list[n++] = pa;
	}
	return n;
}

static void free_list(size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		give_run(list[i], 1);
}

/* Longest run of model-free frames nobody owns. */
static uint64_t longest_free_run(void)
{
	uint64_t best = 0, run = 0;
	size_t f;

	for (f = 0; f < ARENA_FRAMES; f++) {
		run = model_free[f] && !owner[f] ? run + 1 : 0;
		best = MAX(best, run);
	}
	return best;
}

/* ------------------------------------------------------------------------
 * Death tests: each bug runs in a forked child through expect_panic()
 * (tests/host/shim.c), which checks the panic message.
 */

struct free_args {
	paddr_t pa;
	size_t count;
};

static void do_free(void *arg)
{
	struct free_args *a = arg;

	frame_free_contig(a->pa, a->count);
}

static bool expect_free_panic(paddr_t pa, size_t count, const char *what,
			      paddr_t at)
{
	struct free_args a = { pa, count };
	char expect[128];

	snprintf(expect, sizeof(expect), "freeing %#llx%s",
		 (unsigned long long)at, what);
	return expect_panic(do_free, &a, expect);
}

/* ------------------------------------------------------------------------
 * Cases.
 */

static void case_init_counts(void)
{
	CHECK_EQ(init_map1(), 0);
	CHECK_EQ(model_meta, 2);
	CHECK_EQ(frame_total_count(), model_frames - model_meta);
	CHECK_EQ(frame_free_count(), frame_total_count());
	CHECK_EQ(frame_usable_bytes(), model_frames * PAGE_SIZE);
}

static void case_alloc_all_exhaust(void)
{
	size_t n, i, meta_first = 0, meta_n = 0;
	paddr_t pa, again;
	size_t f;

	CHECK_EQ(init_map1(), 0);
	n = alloc_all();
	CHECK_EQ(n, frame_total_count());
	CHECK_EQ(frame_free_count(), 0);
	CHECK_EQ(frame_alloc(&pa), -ENOMEM);
	CHECK_EQ(frame_alloc_zeroed(&pa), -ENOMEM);
	CHECK_EQ(frame_alloc_below(GiB(4), &pa), -ENOMEM);
	CHECK_EQ(frame_alloc_contig(1, 1, &pa), -ENOMEM);
	CHECK_EQ(frame_free_count(), 0);

	/* Lowest address first. */
	for (i = 1; i < n; i++)
		CHECK(list[i] > list[i - 1]);

	/* What was never handed out is the bitmap: one run, meta frames. */
	for (f = 0; f < ARENA_FRAMES; f++) {
		if (model_free[f] && !owner[f]) {
			if (!meta_n)
				meta_first = f;
			CHECK_EQ(f, meta_first + meta_n);
			meta_n++;
		}
	}
	CHECK_EQ(meta_n, model_meta);
	CHECK_EQ(meta_first, MiB(1) >> PAGE_SHIFT);

	/* One freed frame comes back, then the allocator is dry again. */
	give_run(list[n / 2], 1);
	CHECK_EQ(frame_free_count(), 1);
	CHECK_EQ(frame_alloc(&again), 0);
	CHECK_EQ(again, list[n / 2]);
	CHECK(take_run(again, 1));
	CHECK_EQ(frame_alloc(&pa), -ENOMEM);

	free_list(n);
	CHECK_EQ(frame_free_count(), frame_total_count());
	n = alloc_all();
	CHECK_EQ(n, frame_total_count());
	free_list(n);
}

static void fill_frame(paddr_t pa)
{
	uint64_t *p = phys_to_virt(pa);
	size_t w;

	for (w = 0; w < PAGE_SIZE / 8; w++)
		p[w] = ~pa ^ w;
}

/* Words of the frame at pa that do not hold what fill_frame() wrote. */
static size_t frame_changed(paddr_t pa)
{
	const uint64_t *p = phys_to_virt(pa);
	size_t w, bad = 0;

	for (w = 0; w < PAGE_SIZE / 8; w++)
		bad += p[w] != (~pa ^ w);
	return bad;
}

/*
 * Bitmaps that overlapped an allocation would be overwritten here, or
 * would overwrite it. The frames' contents are ours while allocated;
 * once freed they are the platform's: every frame freed goes through
 * platform_frames_freed(), which the hosted shim shows by its fill.
 */
static void case_bitmap_intact(void)
{
	size_t n, i, w, bad = 0;
	paddr_t pa;

	CHECK_EQ(init_map1(), 0);
	n = alloc_all();
	for (i = 0; i < n; i++)
		fill_frame(list[i]);
	/* Free in a scrambled order, then take everything again. */
	for (i = 0; i < n; i++)
		give_run(list[(i * 7919) % n], 1);
	CHECK_EQ(frame_free_count(), n);
	CHECK_EQ(alloc_all(), n);
	for (i = 0; i < n; i++) {
		const uint64_t *p = phys_to_virt(list[i]);

		for (w = 0; w < PAGE_SIZE / 8; w++)
			bad += p[w] != SHIM_FREED_FRAME;
	}
	CHECK_EQ(bad, 0);

	/*
	 * The bitmaps change under live frames: every other frame is freed
	 * and taken again, and the ones held meanwhile keep their contents.
	 */
	for (i = 0; i < n; i++)
		fill_frame(list[i]);
	for (i = 1; i < n; i += 2)
		give_run(list[i], 1);
	for (i = 1; i < n; i += 2) {
		CHECK_EQ(frame_alloc(&list[i]), 0);
		CHECK(take_run(list[i], 1));
	}
	for (i = 0; i < n; i += 2)
		bad += frame_changed(list[i]);
	CHECK_EQ(bad, 0);

	/* frame_alloc_zeroed() clears what the last owner left. */
	fill_frame(list[0]);
	give_run(list[0], 1);
	CHECK_EQ(frame_alloc_zeroed(&pa), 0);
	CHECK_EQ(pa, list[0]);
	CHECK(take_run(pa, 1));
	for (w = 0; w < PAGE_SIZE / 8; w++)
		bad += ((uint64_t *)phys_to_virt(pa))[w] != 0;
	CHECK_EQ(bad, 0);
	free_list(n);
	CHECK_EQ(frame_free_count(), frame_total_count());
}

static void case_contig_aligned(void)
{
	static const struct { size_t count, align; } req[] = {
		{ 2, 1 },	/* MSR bitmap, 8 KiB */
		{ 3, 1 },	/* I/O bitmap, 12 KiB */
		{ 512, 512 },	/* 2 MiB block */
		{ 16, 16 },
		{ 1, 4 },
		{ 5, 2 },
		{ 512, 512 },
	};
	paddr_t pa[ARRAY_SIZE(req)], p;
	uint64_t longest, before;
	size_t i;

	CHECK_EQ(init_map1(), 0);
	CHECK_EQ(frame_alloc_contig(0, 1, &p), -EINVAL);
	CHECK_EQ(frame_alloc_contig(1, 0, &p), -EINVAL);
	CHECK_EQ(frame_alloc_contig(1, 3, &p), -EINVAL);
	CHECK_EQ(frame_alloc_contig(1, 1ull << 63, &p), -ENOMEM);
	CHECK_EQ(frame_alloc_contig(SIZE_MAX, 1, &p), -ENOMEM);
	CHECK_EQ(frame_free_count(), frame_total_count());

	for (i = 0; i < ARRAY_SIZE(req); i++) {
		CHECK_EQ(frame_alloc_contig(req[i].count, req[i].align, &pa[i]), 0);
		CHECK(IS_ALIGNED(pa[i], req[i].align * PAGE_SIZE));
		CHECK(take_run(pa[i], req[i].count));
	}

	/* The longest free run fits exactly; one frame more does not. */
	longest = longest_free_run();
	before = frame_free_count();
	CHECK_EQ(frame_alloc_contig(longest + 1, 1, &p), -ENOMEM);
	CHECK_EQ(frame_free_count(), before);
	CHECK_EQ(frame_alloc_contig(longest, 1, &p), 0);
	CHECK(take_run(p, longest));
	CHECK_EQ(frame_free_count(), before - longest);
	give_run(p, longest);

	for (i = 0; i < ARRAY_SIZE(req); i++)
		give_run(pa[i], req[i].count);
	CHECK_EQ(frame_free_count(), frame_total_count());
}

static void case_contig_fragmented(void)
{
	size_t n, i, held = 0;
	uint64_t before;
	paddr_t p;

	CHECK_EQ(init_map1(), 0);
	n = alloc_all();
	/* Free every other frame: plenty free, no two adjacent. */
	for (i = 0; i < n; i += 2)
		give_run(list[i], 1);
	before = frame_free_count();
	CHECK_EQ(before, (n + 1) / 2);
	CHECK_EQ(frame_alloc_contig(2, 1, &p), -ENOMEM);
	CHECK_EQ(frame_free_count(), before);

	/* Freeing list[3] joins it with list[2] and list[4]. */
	CHECK_EQ(list[3], list[2] + PAGE_SIZE);
	CHECK_EQ(list[4], list[3] + PAGE_SIZE);
	give_run(list[3], 1);
	CHECK_EQ(frame_alloc_contig(3, 1, &p), 0);
	CHECK_EQ(p, list[2]);
	CHECK(take_run(p, 3));
	give_run(p, 3);

	for (i = 1; i < n; i += 2) {
		if (i != 3) {
			give_run(list[i], 1);
			held++;
		}
	}
	CHECK_EQ(held, n / 2 - 1);
	CHECK_EQ(frame_free_count(), frame_total_count());
}

static void case_alloc_below(void)
{
	static const paddr_t limits[] = { 0x180800, 0x900000, MiB(30) };
	size_t n, i, k, expect, got;
	paddr_t p;

	CHECK_EQ(init_map1(), 0);
	n = alloc_all();
	free_list(n);

	CHECK_EQ(frame_alloc_below(0, &p), -ENOMEM);
	CHECK_EQ(frame_alloc_below(MiB(1), &p), -ENOMEM);
	CHECK_EQ(frame_alloc_below(MiB(1) + PAGE_SIZE - 1, &p), -ENOMEM);

	for (k = 0; k < ARRAY_SIZE(limits); k++) {
		for (expect = 0, i = 0; i < n; i++)
			expect += list[i] + PAGE_SIZE <= limits[k];
		got = 0;
		while (!frame_alloc_below(limits[k], &p)) {
			CHECK(p + PAGE_SIZE <= limits[k]);
			CHECK(take_run(p, 1));
			got++;
		}
		CHECK_EQ(got, expect);
		/* Memory above the limit is still there. */
		CHECK_EQ(frame_alloc(&p), 0);
		CHECK(p + PAGE_SIZE > limits[k]);
		give_run(p, 1);
		for (i = 0; i < ARENA_FRAMES; i++) {
			if (owner[i])
				give_run(i << PAGE_SHIFT, 1);
		}
	}

	/* A limit above everything is plain frame_alloc(). */
	CHECK_EQ(frame_alloc_below(FRAME_PHYS_LIMIT, &p), 0);
	CHECK_EQ(p, list[0]);
	give_run(p, 1);
	CHECK_EQ(frame_free_count(), frame_total_count());
}

/* Shuffled copies of map1 and rsv1 give the very same allocator. */
static void case_unsorted(void)
{
	struct boot_mem_region map[ARRAY_SIZE(map1)], rsv[ARRAY_SIZE(rsv1)];
	static bool first[ARENA_FRAMES];
	size_t n, k, i, diff;

	CHECK_EQ(init_map1(), 0);
	n = alloc_all();
	for (i = 0; i < ARENA_FRAMES; i++)
		first[i] = owner[i];

	for (k = 1; k <= 3; k++) {
		for (i = 0; i < ARRAY_SIZE(map); i++)
			map[i] = map1[(i * (k * 2 + 1) + k) % ARRAY_SIZE(map1)];
		for (i = 0; i < ARRAY_SIZE(rsv); i++)
			rsv[i] = rsv1[ARRAY_SIZE(rsv1) - 1 - (i + k) % ARRAY_SIZE(rsv1)];
		memset(owner, 0, sizeof(owner));
		CHECK_EQ(frame_init(map, ARRAY_SIZE(map), rsv, ARRAY_SIZE(rsv)), 0);
		CHECK_EQ(frame_total_count(), n);
		CHECK_EQ(alloc_all(), n);
		for (diff = 0, i = 0; i < ARENA_FRAMES; i++)
			diff += first[i] != owner[i];
		CHECK_EQ(diff, 0);
	}
}

static void case_bad_maps(void)
{
	static const struct boot_mem_region ok[] = {
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region wraps[] = {
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ 0xfffffffffffff000ull, 0x2000, BOOT_MEM_RESERVED },
	};
	static const struct boot_mem_region too_high[] = {
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ FRAME_PHYS_LIMIT - 0x1000, 0x2000, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region none_usable[] = {
		{ 0x100000, 0x100000, BOOT_MEM_RESERVED },
		{ 0x200000, 0x100000, BOOT_MEM_ACPI_RECLAIM },
		{ 0x300000, 0x100000, BOOT_MEM_LOADED },
	};
	static const struct boot_mem_region low_only[] = {
		{ 0x1000, 0x9e000, BOOT_MEM_USABLE },
		{ 0x80000, 0x80000, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region covered[] = {
		{ 0x180000, 0x10000, BOOT_MEM_RESERVED },
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ 0xff000, 0x102000, BOOT_MEM_BAD },
	};
	static const struct boot_mem_region sub_frame[] = {
		{ 0x100800, 0x1000, BOOT_MEM_USABLE },
		{ 0x200001, 0xffe, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region no_room[] = {
		{ 0x100000, 0x1000, BOOT_MEM_USABLE },
		{ 0x5a00000, 0x1000, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region only_bitmap[] = {
		{ 0x100000, 0x1000, BOOT_MEM_USABLE },
	};
	static const struct boot_mem_region zero_sized[] = {
		{ 0x200000, 0, BOOT_MEM_USABLE },
		{ 0x400000, 0x100000, BOOT_MEM_USABLE },
		{ 0x480000, 0, BOOT_MEM_RESERVED },
	};
	static const struct boot_mem_region high_reserved[] = {
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ 0xfffffffffff00000ull, 0x100000 - 1, BOOT_MEM_RESERVED },
	};
	/* Reserved entry listed first, overlapping the usable one. */
	static const struct boot_mem_region overlap[] = {
		{ 0x180000, 0x180000, BOOT_MEM_RESERVED },
		{ 0x100000, 0x100000, BOOT_MEM_USABLE },
		{ 0x800000, 0x100000, BOOT_MEM_USABLE },
		{ 0x840000, 0x100000, BOOT_MEM_ACPI_NVS },
	};
	static const struct boot_mem_region rsv_all[] = {
		{ 0x0, 0x200000, BOOT_MEM_LOADED },
	};
	static const struct boot_mem_region rsv_zero[] = {
		{ 0x400000, 0, BOOT_MEM_LOADED },
	};
	struct boot_mem_region empty;
	size_t n, i;
	paddr_t p;

	memset(&empty, 0, sizeof(empty));
#define EXPECT_INIT(err, m, r, nr)					\
	do {								\
		CHECK_EQ(frame_init((m), ARRAY_SIZE(m), (r), (nr)), (err)); \
		if (err) {						\
			CHECK_EQ(frame_total_count(), 0);		\
			CHECK_EQ(frame_free_count(), 0);		\
			CHECK_EQ(frame_usable_bytes(), 0);		\
			CHECK_EQ(frame_alloc(&p), -ENOMEM);		\
			CHECK_EQ(frame_alloc_contig(1, 1, &p), -ENOMEM); \
			CHECK_EQ(frame_alloc_below(GiB(4), &p), -ENOMEM); \
		}							\
	} while (0)

	CHECK_EQ(frame_init(NULL, 3, NULL, 0), -EINVAL);
	CHECK_EQ(frame_init(ok, 1, NULL, 2), -EINVAL);
	CHECK_EQ(frame_init(&empty, 0, NULL, 0), -ENOMEM);
	EXPECT_INIT(-EINVAL, wraps, NULL, 0);
	EXPECT_INIT(-EINVAL, too_high, NULL, 0);
	EXPECT_INIT(-EINVAL, ok, wraps + 1, 1);
	EXPECT_INIT(-ENOMEM, none_usable, NULL, 0);
	EXPECT_INIT(-ENOMEM, low_only, NULL, 0);
	EXPECT_INIT(-ENOMEM, ok, rsv_all, 1);
	EXPECT_INIT(-ENOMEM, covered, NULL, 0);
	EXPECT_INIT(-ENOMEM, sub_frame, NULL, 0);
	EXPECT_INIT(-ENOMEM, no_room, NULL, 0);
	EXPECT_INIT(-ENOMEM, only_bitmap, NULL, 0);

	/* Ignored: zero-sized entries, a reserved entry beyond 2^52. */
	EXPECT_INIT(0, zero_sized, rsv_zero, 1);
	CHECK_EQ(frame_total_count(), 255);
	EXPECT_INIT(0, high_reserved, NULL, 0);
	CHECK_EQ(frame_total_count(), 255);

	/* Usable overlapped by non-usable: only what no entry covers. */
	model_build(overlap, ARRAY_SIZE(overlap), NULL, 0);
	memset(owner, 0, sizeof(owner));
	EXPECT_INIT(0, overlap, NULL, 0);
	CHECK_EQ(frame_total_count(), 0x80 - 1 + 0x40);
	CHECK_EQ(frame_total_count(), model_frames - model_meta);
	n = alloc_all();
	CHECK_EQ(n, 0x80 - 1 + 0x40);
	for (i = 0; i < n; i++)
		CHECK((list[i] >= 0x101000 && list[i] < 0x180000) ||
		      (list[i] >= 0x800000 && list[i] < 0x840000));
	free_list(n);
#undef EXPECT_INIT
}

static void case_reinit(void)
{
	static const struct boot_mem_region small[] = {
		{ 0x400000, 0x40000, BOOT_MEM_USABLE },
	};
	size_t n;
	paddr_t p;

	CHECK_EQ(init_map1(), 0);
	CHECK_EQ(frame_alloc_contig(100, 1, &p), 0);
	CHECK_EQ(frame_free_count(), frame_total_count() - 100);

	memset(owner, 0, sizeof(owner));
	CHECK_EQ(frame_init(small, 1, NULL, 0), 0);
	CHECK_EQ(frame_total_count(), 0x40 - 1);
	CHECK_EQ(frame_free_count(), 0x40 - 1);
	CHECK_EQ(frame_usable_bytes(), 0x40000);
	model_build(small, 1, NULL, 0);
	n = alloc_all();
	CHECK_EQ(n, 0x40 - 1);
	CHECK_EQ(list[0], 0x401000);

	CHECK_EQ(init_map1(), 0);
	CHECK_EQ(frame_free_count(), model_frames - model_meta);
}

/*
 * Firmware RAM is managed but held back until frame_release_firmware(),
 * never holds the bitmaps, and is released exactly once.
 */
static size_t fw_alloc_all(paddr_t *out, size_t max)
{
	size_t n = 0;
	paddr_t pa;

	while (n < max && !frame_alloc(&pa))
		out[n++] = pa;
	return n;
}

static void case_firmware_reclaim(void)
{
	static const struct boot_mem_region map[] = {
		{ 0x100000, 0x100000, BOOT_MEM_FIRMWARE_RECLAIM },
		{ 0x200000, 0x40000, BOOT_MEM_USABLE },
		{ 0x240000, 0x20000, BOOT_MEM_FIRMWARE_RECLAIM },
		{ 0x260000, 0x10000, BOOT_MEM_RESERVED },
	};
	static const struct boot_mem_region reserved[] = {
		{ 0x248000, 0x1000, BOOT_MEM_LOADED },
	};
	uint64_t total, free_before;
	size_t n, i;

	CHECK_EQ(frame_init(map, ARRAY_SIZE(map), reserved, ARRAY_SIZE(reserved)), 0);
	total = frame_total_count();
	free_before = frame_free_count();
	/* 0x100 + 0x20 firmware frames, one of them reserved, are held. */
	CHECK_EQ(total - free_before, 0x100 + 0x20 - 1);
	n = fw_alloc_all(list, ARENA_FRAMES);
	CHECK_EQ(n, free_before);
	for (i = 0; i < n; i++)	/* usable RAM only; bitmaps not in firmware RAM */
		CHECK(list[i] >= 0x200000 && list[i] < 0x240000);
	for (i = 0; i < n; i++)
		frame_free(list[i]);

	CHECK_EQ(frame_release_firmware(map, ARRAY_SIZE(map)), 0x100 + 0x20 - 1);
	CHECK_EQ(frame_free_count(), total);
	CHECK_EQ(frame_release_firmware(map, ARRAY_SIZE(map)), 0);
	CHECK_EQ(frame_free_count(), total);
	n = fw_alloc_all(list, ARENA_FRAMES);
	CHECK_EQ(n, total);
	for (i = 0; i < n; i++) {
		CHECK(list[i] != 0x248000);
		CHECK(list[i] >= 0x100000 && list[i] < 0x260000);
	}
	for (i = 0; i < n; i++)
		frame_free(list[i]);
	CHECK_EQ(frame_free_count(), total);
}

static void case_free_bugs(void)
{
	paddr_t a, b;

	CHECK_EQ(init_map1(), 0);
	CHECK_EQ(frame_alloc(&a), 0);
	CHECK_EQ(frame_alloc(&b), 0);
	CHECK_EQ(b, a + PAGE_SIZE);
	frame_free(b);

	/* Not allocated: freed already, or never handed out. */
	CHECK(expect_free_panic(b, 1, ": not allocated", b));
	CHECK(expect_free_panic(a, 2, ": not allocated", b));
	CHECK(expect_free_panic(MiB(60), 1, ": not allocated", MiB(60)));
	/* Inside the span but not managed: reserved, hole, the bitmaps. */
	CHECK(expect_free_panic(MiB(16), 1, ": not RAM", MiB(16)));
	CHECK(expect_free_panic(MiB(8), 1, ": not RAM", MiB(8)));
	CHECK(expect_free_panic(MiB(1), 1, ": not RAM", MiB(1)));
	CHECK(expect_free_panic(0x3500000, 1, ": not RAM", 0x3500000));
	/* Outside the span, misaligned, or no frame at all. */
	CHECK(expect_free_panic(0x80000, 1, " (1 frames): not managed", 0x80000));
	CHECK(expect_free_panic(ARENA_SIZE, 1, " (1 frames): not managed",
				ARENA_SIZE));
	CHECK(expect_free_panic(a + 0x800, 1, " (1 frames): not managed",
				a + 0x800));
	CHECK(expect_free_panic(a, 0, " (0 frames): not managed", a));
	CHECK(expect_free_panic(ARENA_SIZE - PAGE_SIZE, 2,
				" (2 frames): not managed",
				ARENA_SIZE - PAGE_SIZE));

	/* None of that changed the parent's allocator. */
	CHECK_EQ(frame_free_count(), frame_total_count() - 1);
	frame_free(a);
	CHECK_EQ(frame_free_count(), frame_total_count());
}

/* ------------------------------------------------------------------------
 * Threads: allocate and free concurrently; no frame is ever shared.
 */

#define NR_THREADS   4
#ifndef THREAD_ITERS
#define THREAD_ITERS 2000
#endif
#define THREAD_HELD  48

struct held {
	paddr_t pa;
	size_t count;
	uint64_t seed;
};

static uint8_t thread_owner[ARENA_FRAMES];	/* atomics */
static int thread_errors;			/* atomics */

static void thread_fail(void)
{
	__atomic_fetch_add(&thread_errors, 1, __ATOMIC_RELAXED);
}

static void thread_fill(const struct held *h)
{
	uint64_t *p = phys_to_virt(h->pa);
	size_t w;

	for (w = 0; w < h->count * PAGE_SIZE / 8; w++)
		p[w] = h->seed + w;
}

static void thread_take(const struct held *h, uint8_t id)
{
	uint64_t f = h->pa >> PAGE_SHIFT;
	size_t i;

	if (h->pa % PAGE_SIZE || f + h->count > ARENA_FRAMES) {
		thread_fail();
		return;
	}
	for (i = 0; i < h->count; i++) {
		if (!model_free[f + i] ||
		    __atomic_exchange_n(&thread_owner[f + i], id,
					__ATOMIC_RELAXED) != 0)
			thread_fail();
	}
	thread_fill(h);
}

static void thread_release(const struct held *h, uint8_t id)
{
	const uint64_t *p = phys_to_virt(h->pa);
	uint64_t f = h->pa >> PAGE_SHIFT;
	size_t i, w;

	for (w = 0; w < h->count * PAGE_SIZE / 8; w++) {
		if (p[w] != h->seed + w) {
			thread_fail();
			break;
		}
	}
	for (i = 0; i < h->count; i++) {
		if (__atomic_exchange_n(&thread_owner[f + i], 0,
					__ATOMIC_RELAXED) != id)
			thread_fail();
	}
	frame_free_contig(h->pa, h->count);
}

static void thread_main(struct worker *w)
{
	uint8_t id = (uint8_t)w->cpu;
	struct held held[THREAD_HELD];
	uint64_t rnd = 0x9e3779b97f4a7c15ull * id;
	size_t n = 0, i, iter;

	for (iter = 0; iter < THREAD_ITERS; iter++) {
		uint64_t r = rand_next(&rnd);
		struct held h = { 0, 1, r };
		int err;

		if (n && (n == THREAD_HELD || r % 3 == 0)) {
			i = (r >> 8) % n;
			thread_release(&held[i], id);
			held[i] = held[--n];
			continue;
		}
		switch ((r >> 8) % 4) {
		case 0:
			err = frame_alloc(&h.pa);
			break;
		case 1:
			err = frame_alloc_below(MiB(40), &h.pa);
			if (!err && h.pa + PAGE_SIZE > MiB(40))
				thread_fail();
			break;
		case 2:
			h.count = 1 + (r >> 16) % 4;
			err = frame_alloc_contig(h.count, 1ull << ((r >> 20) % 3),
						 &h.pa);
			if (!err && !IS_ALIGNED(h.pa, PAGE_SIZE << ((r >> 20) % 3)))
				thread_fail();
			break;
		default:
			err = frame_alloc_zeroed(&h.pa);
			if (!err && *(uint64_t *)phys_to_virt(h.pa) != 0)
				thread_fail();
			break;
		}
		if (err) {
			thread_fail();	/* never near exhaustion here */
			continue;
		}
		thread_take(&h, id);
		held[n++] = h;
	}
	while (n)
		thread_release(&held[--n], id);
}

static void case_threads(void)
{
	struct worker t[NR_THREADS];
	unsigned int i;

	CHECK_EQ(init_map1(), 0);
	memset(thread_owner, 0, sizeof(thread_owner));
	thread_errors = 0;
	for (i = 0; i < NR_THREADS; i++)
		worker_start(&t[i], i + 1, thread_main, NULL);
	for (i = 0; i < NR_THREADS; i++)
		worker_join(&t[i]);
	CHECK_EQ(thread_errors, 0);
	CHECK_EQ(frame_free_count(), frame_total_count());
	CHECK_EQ(alloc_all(), frame_total_count());
}

int main(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, ARENA_SIZE);

	RUN(case_init_counts);
	RUN(case_alloc_all_exhaust);
	RUN(case_bitmap_intact);
	RUN(case_contig_aligned);
	RUN(case_contig_fragmented);
	RUN(case_alloc_below);
	RUN(case_unsorted);
	RUN(case_bad_maps);
	RUN(case_reinit);
	RUN(case_firmware_reclaim);
	RUN(case_free_bugs);
	RUN(case_threads);
	return check_done();
}
