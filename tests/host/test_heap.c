/*
 * Hosted test of the heap (mm/heap.c) on top of the real frame allocator.
 *
 * Scenario: a 64 MiB arena stands for physical memory [0, 64 MiB), usable
 * from 1 MiB. Objects of every size from 0 to several pages are filled
 * with a pattern that is checked before they are freed, so overlapping
 * objects or a heap that writes into live objects show up as a mismatch;
 * frame_free_count() after heap_trim() shows leaks. A small map makes the
 * heap run dry. Bugs that must panic are checked in a forked child.
 */

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE MiB(64)

static const struct boot_mem_region map_big[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

/* Free frames right after setup: what the heap must give back. */
static uint64_t frames_at_start;

static void setup(const struct boot_mem_region *map, size_t n)
{
	setup_heap_on(map, n);
	frames_at_start = frame_free_count();
}

/* Nothing left allocated: every frame is back once the spares go. */
static void check_no_leak(void)
{
	struct heap_stats st;
	unsigned int i;

	heap_trim();
	CHECK_EQ(frame_free_count(), frames_at_start);
	heap_stats(&st);
	for (i = 0; i < HEAP_NR_CLASSES; i++) {
		CHECK_EQ(st.classes[i].objects, 0);
		CHECK_EQ(st.classes[i].slabs, 0);
	}
	CHECK_EQ(st.large_objects, 0);
	CHECK_EQ(st.large_frames, 0);
}

static uint8_t pattern(const void *p, size_t i)
{
	return (uint8_t)(((uintptr_t)p >> 4) * 31 + i * 7 + 1);
}

static void fill(void *p, size_t size)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = pattern(p, i);
}

static bool intact(const void *p, size_t size)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < size; i++) {
		if (b[i] != pattern(p, i))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Death tests: each bug runs in a forked child through expect_panic()
 * (tests/host/shim.c), which checks the panic message.
 */

static void do_kfree(void *p)
{
	kfree(p);
}

static void do_kfree_twice(void *p)
{
	kfree(p);
	kfree(p);
}

/* Writes into a freed object, then allocates it again. */
static void do_use_after_free(void *p)
{
	kfree(p);
	memset(p, 0x5a, 8);
	(void)kmalloc(40);
}

static bool expect_kfree_panic(void (*fn)(void *), void *p, const char *what)
{
	char expect[128];

	snprintf(expect, sizeof(expect), what, p);
	return expect_panic(fn, p, expect);
}

/* ------------------------------------------------------------------------
 * Cases.
 */

#define SIZES_MAX (5 * 4096 + 100)

/* Every size up to 2100 bytes, then a stride through five pages. */
static size_t size_at(size_t i)
{
	return i <= 2100 ? i : 2100 + (i - 2100) * 37;
}

static void case_sizes_alignment_contents(void)
{
	static void *ptr[2100 + SIZES_MAX / 37 + 1];
	size_t n = 0, i, bad = 0;

	setup(map_big, ARRAY_SIZE(map_big));
	for (i = 0; size_at(i) <= SIZES_MAX; i++) {
		void *p = kmalloc(size_at(i));

		CHECK(p != NULL);
		if (!p)
			break;
		CHECK(IS_ALIGNED((uintptr_t)p, 16));
		fill(p, size_at(i));
		ptr[n++] = p;
	}
	/* All alive at once: any overlap broke someone's pattern. */
	for (i = 0; i < n; i++)
		bad += !intact(ptr[i], size_at(i));
	CHECK_EQ(bad, 0);

	/* Free in a scrambled order, checking the rest stays intact. */
	for (i = 0; i < n; i++) {
		size_t k = (i * 7919) % n;

		bad += !intact(ptr[k], size_at(k));
		kfree(ptr[k]);
	}
	CHECK_EQ(bad, 0);
	check_no_leak();
}

/* Where the class boundaries are, seen through the frame counts. */
static void case_classes_and_large(void)
{
	struct heap_stats st;
	uint64_t before;
	void *a, *b, *c, *d;

	setup(map_big, ARRAY_SIZE(map_big));
	heap_stats(&st);
	CHECK_EQ(st.classes[0].size, 16);
	CHECK_EQ(st.classes[HEAP_NR_CLASSES - 1].size, HEAP_SMALL_MAX);

	/* 0, 1 and 16 bytes share one 16-byte slab; 17 needs another. */
	a = kmalloc(0);
	b = kmalloc(1);
	c = kmalloc(16);
	CHECK(a && b && c);
	CHECK_EQ(frame_free_count(), frames_at_start - 1);
	CHECK_EQ((char *)b - (char *)a, 16);
	CHECK_EQ((char *)c - (char *)b, 16);
	d = kmalloc(17);
	CHECK_EQ(frame_free_count(), frames_at_start - 2);
	heap_stats(&st);
	CHECK_EQ(st.classes[0].objects, 3);
	CHECK_EQ(st.classes[0].capacity, 252);
	CHECK_EQ(st.classes[1].objects, 1);
	kfree(a);
	kfree(b);
	kfree(c);
	kfree(d);

	/* The largest class holds two objects a frame. */
	before = frame_free_count();
	a = kmalloc(HEAP_SMALL_MAX);
	b = kmalloc(HEAP_SMALL_MAX);
	CHECK_EQ(frame_free_count(), before - 1);
	c = kmalloc(HEAP_SMALL_MAX);
	CHECK_EQ(frame_free_count(), before - 2);
	kfree(a);
	kfree(b);
	kfree(c);

	/* Large: ceil((size + 16) / 4 KiB) frames. */
	heap_trim();
	before = frame_free_count();
	a = kmalloc(HEAP_SMALL_MAX + 1);
	CHECK_EQ(frame_free_count(), before - 1);
	b = kmalloc(4096 - 16);
	CHECK_EQ(frame_free_count(), before - 2);
	c = kmalloc(4096 - 15);
	CHECK_EQ(frame_free_count(), before - 4);
	d = kmalloc(MiB(1));
	CHECK_EQ(frame_free_count(), before - 4 - 257);
	heap_stats(&st);
	CHECK_EQ(st.large_objects, 4);
	CHECK_EQ(st.large_frames, 1 + 1 + 2 + 257);
	CHECK(IS_ALIGNED((uintptr_t)a, 16) && IS_ALIGNED((uintptr_t)d, 16));
	fill(d, MiB(1));
	CHECK(intact(d, MiB(1)));
	kfree(a);
	kfree(b);
	kfree(c);
	kfree(d);
	check_no_leak();
}

static void case_free_and_reuse(void)
{
	void *p, *q, *objs[64];
	struct heap_stats st;
	size_t i, slabs;

	setup(map_big, ARRAY_SIZE(map_big));
	p = kmalloc(100);
	kfree(p);
	q = kmalloc(100);
	CHECK(p == q);		/* the object just freed comes back first */
	kfree(q);

	p = kmalloc(3 * 4096);
	kfree(p);
	q = kmalloc(3 * 4096);
	CHECK(p == q);		/* lowest frames first */
	kfree(q);

	/* Filling and emptying classes many times neither leaks nor grows. */
	for (i = 0; i < 200; i++) {
		size_t k, bad = 0;

		for (k = 0; k < ARRAY_SIZE(objs); k++) {
			objs[k] = kmalloc(200 + k * 5);
			fill(objs[k], 200 + k * 5);
		}
		for (k = 0; k < ARRAY_SIZE(objs); k++)
			bad += !intact(objs[k], 200 + k * 5);
		for (k = ARRAY_SIZE(objs); k-- > 0;)
			kfree(objs[(k * 13) % ARRAY_SIZE(objs)]);
		CHECK_EQ(bad, 0);
		/* Left: one spare slab in each class used, nothing else. */
		heap_stats(&st);
		for (k = 0, slabs = 0; k < HEAP_NR_CLASSES; k++) {
			CHECK(st.classes[k].slabs <= 1);
			slabs += st.classes[k].slabs;
		}
		CHECK_EQ(slabs, 5);
		CHECK_EQ(frame_free_count() + slabs, frames_at_start);
	}
	kfree(NULL);
	check_no_leak();
}

static void case_kzalloc_kcalloc(void)
{
	uint8_t *p, *q;
	uint64_t before;
	size_t i, nonzero = 0;

	setup(map_big, ARRAY_SIZE(map_big));
	p = kmalloc(300);
	memset(p, 0xaa, 300);
	kfree(p);
	q = kzalloc(300);
	CHECK(q == p);
	for (i = 0; i < 300; i++)
		nonzero += q[i] != 0;
	kfree(q);

	p = kmalloc(10000);
	memset(p, 0xaa, 10000);
	kfree(p);
	q = kcalloc(100, 100);
	CHECK(q == p);
	for (i = 0; i < 10000; i++)
		nonzero += q[i] != 0;
	kfree(q);
	CHECK_EQ(nonzero, 0);

	/* Overflowing and absurd requests fail and change nothing. */
	heap_trim();
	before = frame_free_count();
	CHECK(kcalloc(SIZE_MAX / 2, 3) == NULL);
	CHECK(kcalloc(1ull << 33, 1ull << 31) == NULL);
	CHECK(kcalloc(3, SIZE_MAX / 2) == NULL);
	CHECK(kmalloc(SIZE_MAX) == NULL);
	CHECK(kmalloc(SIZE_MAX - 15) == NULL);
	CHECK(kzalloc(1ull << 40) == NULL);
	CHECK(kmalloc(ARENA_SIZE) == NULL);
	CHECK_EQ(frame_free_count(), before);

	p = kcalloc(0, 8);
	CHECK(p != NULL);
	kfree(p);
	check_no_leak();
}

static void case_exhaustion(void)
{
	/* 40 frames, one of which holds the frame allocator's bitmaps. */
	static const struct boot_mem_region small[] = {
		{ MiB(1), 40 * 4096, BOOT_MEM_USABLE },
	};
	static void *obj[40 * 4];
	size_t n = 0, i, bad = 0;
	void *p, *big;

	setup(small, ARRAY_SIZE(small));
	CHECK_EQ(frames_at_start, 39);

	/* 1000-byte objects, four a frame, until the heap runs dry. */
	while ((p = kmalloc(1000)) != NULL) {
		CHECK(n < ARRAY_SIZE(obj));
		if (n >= ARRAY_SIZE(obj))
			break;
		fill(p, 1000);
		obj[n++] = p;
	}
	CHECK_EQ(n, 39 * 4);
	CHECK_EQ(frame_free_count(), 0);
	CHECK(kmalloc(1000) == NULL);
	CHECK(kmalloc(16) == NULL);
	CHECK(kzalloc(5000) == NULL);
	CHECK(kcalloc(2, 8) == NULL);
	for (i = 0; i < n; i++)
		bad += !intact(obj[i], 1000);
	CHECK_EQ(bad, 0);

	/* Frees make room again: a whole slab's worth gives a frame back. */
	for (i = 0; i < 8; i++)
		kfree(obj[--n]);
	CHECK(frame_free_count() >= 1);
	p = kmalloc(16);
	CHECK(p != NULL);
	kfree(p);
	for (i = 0; i < n; i++) {
		bad += !intact(obj[i], 1000);
		kfree(obj[i]);
	}
	CHECK_EQ(bad, 0);

	/*
	 * Spares are released when the frame allocator runs dry: with one
	 * empty slab kept in two classes, the whole arena is still one
	 * large object.
	 */
	heap_trim();
	kfree(kmalloc(16));
	kfree(kmalloc(64));
	CHECK_EQ(frame_free_count(), frames_at_start - 2);
	big = kmalloc(frames_at_start * 4096 - 16);
	CHECK(big != NULL);
	CHECK_EQ(frame_free_count(), 0);
	kfree(big);
	check_no_leak();
}

static void case_bad_free_panics(void)
{
	uint8_t *small, *other, *large;
	paddr_t frame;

	setup(map_big, ARRAY_SIZE(map_big));
	small = kmalloc(64);
	other = kmalloc(48);
	large = kmalloc(3 * 4096);
	CHECK_EQ(frame_alloc_zeroed(&frame), 0);

	CHECK(expect_kfree_panic(do_kfree, small + 1, "kfree(%p): misaligned"));
	CHECK(expect_kfree_panic(do_kfree, small + 16,
				 "kfree(%p): not the start of a 64-byte"));
	CHECK(expect_kfree_panic(do_kfree_twice, small,
				 "kfree(%p): double free of a 64-byte"));
	CHECK(expect_kfree_panic(do_kfree, large + 16,
				 "kfree(%p): inside a large heap object"));
	CHECK(expect_kfree_panic(do_kfree, large + 4096,
				 "kfree(%p): not a heap pointer"));
	/*
	 * The second kfree() reads the header in a frame the allocator has
	 * back: under ASan that read is the report (freed frames are
	 * poisoned, tests/host/shim.c), elsewhere the heap's own check.
	 */
	CHECK(expect_kfree_panic(do_kfree_twice, large,
				 CHECK_ASAN ? "use-after-poison" :
				 "kfree(%p): not a heap pointer, or already freed"));
	CHECK(expect_kfree_panic(do_kfree, phys_to_virt(frame + 64),
				 "kfree(%p): not a heap pointer"));
	CHECK(expect_kfree_panic(do_use_after_free, other,
				 "heap: free 48-byte object %p overwritten"));

	/* None of that touched the parent's heap. */
	kfree(small);
	kfree(other);
	kfree(large);
	frame_free(frame);
	check_no_leak();
}

/* ------------------------------------------------------------------------
 * Threads: allocate, fill, check and free concurrently.
 */

#define NR_THREADS   4
#ifndef THREAD_ITERS
#define THREAD_ITERS 20000
#endif
#define THREAD_HELD  96

static int thread_errors;	/* atomics */

/* Mostly small objects, some up to the largest class, a few large. */
static size_t thread_size(uint64_t r)
{
	switch (r % 16) {
	case 0:
		return HEAP_SMALL_MAX + (r >> 8) % 12000;
	case 1: case 2: case 3:
		return (r >> 8) % (HEAP_SMALL_MAX + 1);
	default:
		return (r >> 8) % 257;
	}
}

static void thread_main(struct worker *w)
{
	unsigned int id = w->cpu;
	struct { uint8_t *p; size_t size; } held[THREAD_HELD];
	uint64_t rnd = 0x9e3779b97f4a7c15ull * id;
	size_t n = 0, i, iter;

	for (iter = 0; iter < THREAD_ITERS; iter++) {
		uint64_t r = rand_next(&rnd);

		if (n && (n == THREAD_HELD || r % 2 == 0)) {
			i = (r >> 4) % n;
			if (!intact(held[i].p, held[i].size))
				__atomic_fetch_add(&thread_errors, 1,
						   __ATOMIC_RELAXED);
			kfree(held[i].p);
			held[i] = held[--n];
			continue;
		}
		held[n].size = thread_size(r >> 4);
		held[n].p = r & 8 ? kzalloc(held[n].size) : kmalloc(held[n].size);
		if (!held[n].p || !IS_ALIGNED((uintptr_t)held[n].p, 16)) {
			__atomic_fetch_add(&thread_errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		fill(held[n].p, held[n].size);
		n++;
	}
	while (n--) {
		if (!intact(held[n].p, held[n].size))
			__atomic_fetch_add(&thread_errors, 1, __ATOMIC_RELAXED);
		kfree(held[n].p);
	}
}

static void case_threads(void)
{
	struct worker t[NR_THREADS];
	unsigned int i;

	setup(map_big, ARRAY_SIZE(map_big));
	thread_errors = 0;
	for (i = 0; i < NR_THREADS; i++)
		worker_start(&t[i], i + 1, thread_main, NULL);
	for (i = 0; i < NR_THREADS; i++)
		worker_join(&t[i]);
	CHECK_EQ(thread_errors, 0);
	check_no_leak();
}

int main(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, ARENA_SIZE);

	RUN(case_sizes_alignment_contents);
	RUN(case_classes_and_large);
	RUN(case_free_and_reuse);
	RUN(case_kzalloc_kcalloc);
	RUN(case_exhaustion);
	RUN(case_bad_free_panics);
	RUN(case_threads);
	return check_done();
}
