/*
 * Hosted test of guest memory slots (core/memslots.c) behind the SRCU-like
 * epoch (core/srcu.c), on the real heap: one VM's slots at a time, one
 * update at a time (the set-up is in tests/host/test_memslots.h).
 *
 * Every kind of bad update is refused with its errno and leaves the
 * published set as it was (same pointer, generation and bytes) with no hook
 * called; good updates publish sets that lookups see at every edge;
 * memslot_find() reads O(log n) slots of a large set (counted in pages
 * touched: the set lies in PROT_NONE pages that a SIGSEGV handler opens one
 * by one); the TDP MMU hooks come with the right ranges and in the right
 * place around the publish; the dirty log is harvested and write-protected
 * in runs.
 */
#include "tests/host/test_memslots.h"

/* ---------------------------------------------------------------------
 * Refusals.
 */

struct snapshot {
	const struct memslot_set *set;
	uint64_t generation;
	size_t size;
	unsigned char bytes[sizeof(struct memslot_set) +
			    MEMSLOTS_MAX * sizeof(struct memslot)];
};

static void snap_take(struct vm_memslots *m, struct snapshot *sn)
{
	sn->set = active_of(m);
	sn->generation = sn->set->generation;
	sn->size = sizeof(*sn->set) + sn->set->nr * sizeof(sn->set->slots[0]);
	memcpy(sn->bytes, sn->set, sn->size);
}

static bool snap_same(struct vm_memslots *m, const struct snapshot *sn)
{
	const struct memslot_set *set = active_of(m);

	return set == sn->set && set->generation == sn->generation &&
	       !memcmp(set, sn->bytes, sn->size);
}

/* An update that must fail with err and change nothing, hooks included. */
#define CHECK_REFUSED(m, rec, call, err)				\
	do {								\
		struct snapshot __sn;					\
		unsigned int __calls = (rec)->nr;			\
									\
		snap_take((m), &__sn);					\
		CHECK_EQ((call), (err));				\
		CHECK(snap_same((m), &__sn));				\
		CHECK_EQ((rec)->nr, __calls);				\
	} while (0)

static void refuses_bad_updates(void)
{
	static struct snapshot sn;
	struct vm_memslots m;
	struct hook_rec rec;
	uint64_t out[4];
	uint32_t id;

	vm_setup(&m, &rec);
	/* A = [100, 200) id 1; B = [300, 310) id 2, logging. */
	CHECK_EQ(memslots_create(&m, 1, 100, 100, hpa_of(1), 0), 0);
	CHECK_EQ(memslots_create(&m, 2, 300, 10, hpa_of(2),
				 MEMSLOT_DIRTY_LOG), 0);
	CHECK_EQ(active_of(&m)->generation, 2);

	/* Overlaps of every shape with A, under a fresh id. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 120, 10, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 50, 250, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 50, 51, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 199, 51, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 100, 100, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 100, 1, hpa_of(9), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 199, 1, hpa_of(9), 0), -EEXIST);
	/* Covering both A and B. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 0, 1000, hpa_of(9), 0), -EEXIST);

	/* Bad arguments. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 0, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 1, hpa_of(9) + 8, 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 1, hpa_of(9) + 0x800, 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, ~0ull - 5, 10, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, ~0ull, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, GFN_LIMIT - 1, 2, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, GFN_LIMIT, 1, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, GFN_LIMIT, hpa_of(9), 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 2, ~0ull & PAGE_MASK, 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 2, MEMSLOT_HPA_LIMIT - PAGE_SIZE, 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 1, MEMSLOT_HPA_LIMIT, 0), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 1, hpa_of(9), BIT(2)), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1000, 1, hpa_of(9), 0x80000000u), -EINVAL);
	/* Arguments are checked first: a bad range under a used id. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 1, 1000, 0, hpa_of(1), 0), -EINVAL);

	/* Id in use, range free. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 1, 1000, 1, hpa_of(1), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 2, 1000, 1, hpa_of(2), 0), -EEXIST);

	/* Unknown ids, bad flags, moves that do not fit. */
	CHECK_REFUSED(&m, &rec, memslots_delete(&m, 9), -ENOENT);
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 9, 5000), -ENOENT);
	CHECK_REFUSED(&m, &rec, memslots_set_flags(&m, 9, MEMSLOT_READONLY), -ENOENT);
	CHECK_REFUSED(&m, &rec, memslots_set_flags(&m, 1, BIT(2)), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_set_flags(&m, 9, BIT(2)), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 1, 250), -EEXIST);	/* onto B's left */
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 1, 305), -EEXIST);	/* over B */
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 2, 195), -EEXIST);	/* onto A's right */
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 2, 150), -EEXIST);	/* inside A */
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 1, GFN_LIMIT - 99), -EINVAL);
	CHECK_REFUSED(&m, &rec, memslots_move(&m, 1, ~0ull - 10), -EINVAL);

	/* Dirty log of an unknown slot, or of one that does not log. */
	out[0] = 0x1234;
	CHECK_REFUSED(&m, &rec, memslots_get_dirty_log(&m, 9, out), -ENOENT);
	CHECK_REFUSED(&m, &rec, memslots_get_dirty_log(&m, 1, out), -EINVAL);
	CHECK_EQ(out[0], 0x1234);

	/* No memory for a bitmap of 2^39 pages: nothing changes. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 9, 1ull << 39, 1ull << 39, 0,
						MEMSLOT_DIRTY_LOG), -ENOMEM);
	CHECK_EQ(memslots_create(&m, 9, 1ull << 39, 1ull << 39, 0, 0), 0);
	CHECK_REFUSED(&m, &rec, memslots_set_flags(&m, 9, MEMSLOT_DIRTY_LOG), -ENOMEM);
	CHECK_EQ(memslots_delete(&m, 9), 0);

	/* The same as the set: no-ops publish nothing and call no hook. */
	snap_take(&m, &sn);
	CHECK_EQ(memslots_move(&m, 1, 100), 0);
	CHECK_EQ(memslots_set_flags(&m, 2, MEMSLOT_DIRTY_LOG), 0);
	CHECK(snap_same(&m, &sn));

	/* Fill up to MEMSLOTS_MAX; one more is refused. */
	for (id = 10; active_of(&m)->nr < MEMSLOTS_MAX; id++)
		CHECK_EQ(memslots_create(&m, id, 1000 + id * 10, 10, hpa_of(id), 0), 0);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, id, 100000, 1, hpa_of(id), 0), -ENOSPC);
	/* A used id reports -EEXIST even when full; arguments come first. */
	CHECK_REFUSED(&m, &rec, memslots_create(&m, 10, 100000, 1, hpa_of(10), 0), -EEXIST);
	CHECK_REFUSED(&m, &rec, memslots_create(&m, id, 100000, 0, hpa_of(id), 0), -EINVAL);
	CHECK(set_well_formed(active_of(&m)));

	/* Only the ops that invalidate called hooks: the delete of id 9. */
	CHECK_EQ(rec.nr, 2);
	memslots_destroy(&m);
}

/* ---------------------------------------------------------------------
 * Lookups and good updates.
 */

/* lookup must find slot id (or none for id < 0), with the right hpa. */
static bool lookup_is(const struct memslot_set *set, gfn_t gfn, int id)
{
	const struct memslot *s = memslot_find(set, gfn);

	if (id < 0)
		return s == NULL;
	return s && s->id == (uint32_t)id &&
	       memslot_gfn_to_hpa(s, gfn) ==
	       s->host_base + ((gfn - s->base_gfn) << PAGE_SHIFT);
}

static void create_and_lookup(void)
{
	const struct memslot_set *set;
	struct vm_memslots m;
	struct hook_rec rec;

	vm_setup(&m, &rec);
	CHECK(memslot_find(active_of(&m), 0) == NULL);
	CHECK(memslot_find(NULL, 0) == NULL);

	/* Created out of order, with a gap, touching ends, at both limits. */
	CHECK_EQ(memslots_create(&m, 3, 0x200, 0x100, hpa_of(3), 0), 0);
	CHECK_EQ(memslots_create(&m, 1, 0, 0x10, hpa_of(1), 0), 0);
	CHECK_EQ(memslots_create(&m, 2, 0x10, 0x20, hpa_of(2), MEMSLOT_READONLY), 0);
	CHECK_EQ(memslots_create(&m, 4, GFN_LIMIT - 1, 1, hpa_of(4), 0), 0);
	CHECK_EQ(memslots_create(&m, 5, 0x1000, 1,
				 MEMSLOT_HPA_LIMIT - PAGE_SIZE, 0), 0);
	set = active_of(&m);
	CHECK_EQ(set->generation, 5);
	CHECK_EQ(set->nr, 5);
	CHECK(set_well_formed(set));
	CHECK_EQ(set->slots[0].id, 1);
	CHECK_EQ(set->slots[1].id, 2);
	CHECK_EQ(set->slots[2].id, 3);
	CHECK_EQ(set->slots[3].id, 5);
	CHECK_EQ(set->slots[4].id, 4);
	CHECK_EQ(set->slots[1].flags, MEMSLOT_READONLY);

	CHECK(lookup_is(set, 0, 1));
	CHECK(lookup_is(set, 0xf, 1));
	CHECK(lookup_is(set, 0x10, 2));
	CHECK(lookup_is(set, 0x2f, 2));
	CHECK(lookup_is(set, 0x30, -1));	/* gap */
	CHECK(lookup_is(set, 0x1ff, -1));
	CHECK(lookup_is(set, 0x200, 3));
	CHECK(lookup_is(set, 0x2ff, 3));
	CHECK(lookup_is(set, 0x300, -1));
	CHECK(lookup_is(set, 0xfff, -1));
	CHECK(lookup_is(set, 0x1000, 5));
	CHECK(lookup_is(set, 0x1001, -1));
	CHECK(lookup_is(set, GFN_LIMIT - 2, -1));
	CHECK(lookup_is(set, GFN_LIMIT - 1, 4));
	CHECK(lookup_is(set, GFN_LIMIT, -1));
	CHECK(lookup_is(set, ~0ull, -1));
	CHECK_EQ(memslot_gfn_to_hpa(memslot_find(set, 0x2ff), 0x2ff),
		 hpa_of(3) + 0xff * PAGE_SIZE);
	CHECK_EQ(memslot_gfn_to_hpa(memslot_find(set, 0x1000), 0x1000),
		 MEMSLOT_HPA_LIMIT - PAGE_SIZE);
	/* Creating over nothing calls no hook. */
	CHECK_EQ(rec.nr, 0);
	memslots_destroy(&m);
}

static void delete_move_set_flags(void)
{
	const struct memslot_set *set;
	struct vm_memslots m;
	struct hook_rec rec;

	vm_setup(&m, &rec);
	CHECK_EQ(memslots_create(&m, 1, 0x100, 0x10, hpa_of(1), 0), 0);
	CHECK_EQ(memslots_create(&m, 2, 0x200, 0x10, hpa_of(2), 0), 0);
	CHECK_EQ(memslots_create(&m, 3, 0x300, 0x10, hpa_of(3), 0), 0);

	/* Delete the middle one. */
	CHECK_EQ(memslots_delete(&m, 2), 0);
	set = active_of(&m);
	CHECK_EQ(set->generation, 4);
	CHECK_EQ(set->nr, 2);
	CHECK(lookup_is(set, 0x205, -1));
	CHECK(lookup_is(set, 0x105, 1));
	CHECK(lookup_is(set, 0x305, 3));
	/* Its id and range are free again. */
	CHECK_EQ(memslots_create(&m, 2, 0x208, 0x8, hpa_of(2), 0), 0);
	CHECK_EQ(memslots_delete(&m, 2), 0);

	/* Move slot 1 past slot 3, then onto a range that overlaps itself. */
	CHECK_EQ(memslots_move(&m, 1, 0x400), 0);
	set = active_of(&m);
	CHECK_EQ(set->generation, 7);
	CHECK(set_well_formed(set));
	CHECK_EQ(set->slots[0].id, 3);
	CHECK_EQ(set->slots[1].id, 1);
	CHECK(lookup_is(set, 0x100, -1));
	CHECK(lookup_is(set, 0x400, 1));
	CHECK_EQ(memslot_gfn_to_hpa(memslot_find(set, 0x40f), 0x40f),
		 hpa_of(1) + 0xf * PAGE_SIZE);
	CHECK_EQ(memslots_move(&m, 1, 0x408), 0);
	CHECK(lookup_is(active_of(&m), 0x407, -1));
	CHECK(lookup_is(active_of(&m), 0x417, 1));
	/* Right up against slot 3's end. */
	CHECK_EQ(memslots_move(&m, 1, 0x310), 0);
	CHECK(lookup_is(active_of(&m), 0x30f, 3));
	CHECK(lookup_is(active_of(&m), 0x310, 1));

	/* Flags, on and off; the slot stays where it is. */
	CHECK_EQ(memslots_set_flags(&m, 3, MEMSLOT_READONLY), 0);
	set = active_of(&m);
	CHECK_EQ(set->slots[0].flags, MEMSLOT_READONLY);
	CHECK(set->slots[0].dirty_bitmap == NULL);
	CHECK_EQ(memslots_set_flags(&m, 3, MEMSLOT_FLAGS_ALL), 0);
	set = active_of(&m);
	CHECK_EQ(set->slots[0].flags, MEMSLOT_FLAGS_ALL);
	CHECK(set->slots[0].dirty_bitmap != NULL);
	CHECK_EQ(memslots_set_flags(&m, 3, 0), 0);
	set = active_of(&m);
	CHECK_EQ(set->slots[0].flags, 0);
	CHECK(set->slots[0].dirty_bitmap == NULL);
	CHECK_EQ(set->generation, 12);
	CHECK(lookup_is(set, 0x300, 3));
	CHECK(set_well_formed(set));

	/* Everything goes. */
	CHECK_EQ(memslots_delete(&m, 1), 0);
	CHECK_EQ(memslots_delete(&m, 3), 0);
	CHECK_EQ(active_of(&m)->nr, 0);
	memslots_destroy(&m);
}

/* ---------------------------------------------------------------------
 * O(log n): count the pages of a large set that one lookup reads.
 */

#define PROBE_SLOTS (1u << 14)

static uintptr_t probe_base;
static size_t probe_len;
static unsigned long probe_faults;

static void probe_segv(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	if (a < probe_base || a >= probe_base + probe_len) {
		signal(SIGSEGV, SIG_DFL);	/* a real fault: die on retry */
		return;
	}
	mprotect((void *)(a & ~(uintptr_t)4095), 4096, PROT_READ);
	probe_faults++;
}

static void lookup_is_logarithmic(void)
{
	struct sigaction sa = { 0 }, old_sa;
	struct memslot_set *set;
	unsigned long worst = 0, bad = 0;
	uint64_t seed = 12345;
	unsigned int i, limit;

	/* A hand-built set of 2^14 two-page slots, two-page gaps between. */
	probe_len = ALIGN_UP(sizeof(*set) + PROBE_SLOTS * sizeof(set->slots[0]),
			     4096);
	set = mmap(NULL, probe_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(set != MAP_FAILED);
	if (set == MAP_FAILED)
		return;
	probe_base = (uintptr_t)set;
	set->generation = 1;
	set->nr = PROBE_SLOTS;
	for (i = 0; i < PROBE_SLOTS; i++) {
		set->slots[i] = (struct memslot){
			.id = i, .base_gfn = 4ull * i, .npages = 2,
			.host_base = hpa_of(i),
		};
	}

	sa.sa_sigaction = probe_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_sa);
	for (i = 0; i < 300; i++) {
		gfn_t gfn = rand_next(&seed) % (4ull * PROBE_SLOTS + 8);
		const struct memslot *s;

		mprotect(set, probe_len, PROT_NONE);
		probe_faults = 0;
		barrier();
		s = memslot_find(set, gfn);
		barrier();
		worst = MAX(worst, probe_faults);
		mprotect(set, probe_len, PROT_READ);
		if (gfn % 4 < 2 && gfn < 4ull * PROBE_SLOTS)
			bad += !(s && s->id == gfn / 4);
		else
			bad += s != NULL;
	}
	sigaction(SIGSEGV, &old_sa, NULL);
	munmap(set, probe_len);

	/* log2(2^14) probes, plus the header, plus one of slack. */
	limit = 14 + 2;
	fprintf(stderr, "  lookup_is_logarithmic: at most %lu of %zu pages read per lookup\n",
		worst, probe_len / 4096);
	CHECK_EQ(bad, 0);
	CHECK(worst <= limit);
	CHECK(worst >= 2);
}

/* ---------------------------------------------------------------------
 * Hooks: ranges, and where they are called around the publish.
 */

static struct vm_memslots order_m;
static struct hook_rec order_rec;
static struct srcu_reader order_reader;
static unsigned long order_step;	/* atomic */
static unsigned long order_done;	/* atomic */

/* Holds a read section over the set it finds until step 2. */
static void order_reader_fn(struct worker *w)
{
	const struct memslot_set *set;

	srcu_read_lock(&order_reader);
	set = srcu_dereference(order_m.active);
	w->result = set->generation;
	atomic_store(&order_step, 1);
	wait_ul(&order_step, 2);
	/* Still the set it found, intact: not freed under it. */
	if (set->generation != w->result || !set_well_formed(set))
		w->result = ~0ul;
	atomic_store(&order_rec.reader_left, 1);
	srcu_read_unlock(&order_reader);
}

static void order_writer_fn(struct worker *w)
{
	int (*op)(struct vm_memslots *m) = w->arg;

	w->result = (unsigned long)op(&order_m);
	atomic_store(&order_done, 1);
}

/*
 * Runs op on a writer thread while a reader holds a section over the
 * current set: op must not return before the reader leaves. Returns op's
 * result; rec.reader_left in the hook calls tells where each came.
 */
static int order_under_reader(int (*op)(struct vm_memslots *m))
{
	uint64_t gen = active_of(&order_m)->generation;
	struct worker reader, writer;

	atomic_store(&order_step, 0);
	atomic_store(&order_done, 0);
	atomic_store(&order_rec.reader_left, 0);
	order_rec.nr = 0;
	worker_start(&reader, 1, order_reader_fn, NULL);
	CHECK(wait_ul(&order_step, 1));
	worker_start(&writer, 2, order_writer_fn, op);
	CHECK(stays_not(&order_done, 1));
	atomic_store(&order_step, 2);
	worker_join(&reader);
	worker_join(&writer);
	CHECK_EQ(reader.result, gen);
	return (int)writer.result;
}

static int order_delete_1(struct vm_memslots *m)
{
	return memslots_delete(m, 1);
}

static int order_log_on_2(struct vm_memslots *m)
{
	return memslots_set_flags(m, 2, MEMSLOT_DIRTY_LOG);
}

static int order_readonly_on_2(struct vm_memslots *m)
{
	return memslots_set_flags(m, 2, MEMSLOT_READONLY);
}

static int order_move_2(struct vm_memslots *m)
{
	return memslots_move(m, 2, 0x1000);
}

static void hooks_order_and_ranges(void)
{
	struct vm_memslots *m = &order_m;
	struct hook_rec *rec = &order_rec;
	uint64_t gen;

	vm_setup(m, rec);
	CHECK_EQ(srcu_reader_register(&m->srcu, &order_reader), 0);
	CHECK_EQ(memslots_create(m, 1, 0x100, 0x10, hpa_of(1), 0), 0);
	CHECK_EQ(memslots_create(m, 2, 0x200, 0x20, hpa_of(2), 0), 0);
	CHECK_EQ(rec->nr, 0);
	gen = active_of(m)->generation;

	/*
	 * Delete under a reader of the old set: begin before the publish
	 * (the old set still active), end after it and only once the
	 * reader has left.
	 */
	CHECK_EQ(order_under_reader(order_delete_1), 0);
	CHECK_EQ(rec->nr, 2);
	CHECK(call_is(&rec->calls[0], HOOK_BEGIN, 0x100, 0x10, gen));
	CHECK_EQ(rec->calls[0].reader_left, 0);
	CHECK(call_is(&rec->calls[1], HOOK_END, 0x100, 0x10, gen + 1));
	CHECK_EQ(rec->calls[1].reader_left, 1);

	/* Move: the old range only, in the same places. */
	CHECK_EQ(order_under_reader(order_move_2), 0);
	CHECK_EQ(rec->nr, 2);
	CHECK(call_is(&rec->calls[0], HOOK_BEGIN, 0x200, 0x20, gen + 1));
	CHECK_EQ(rec->calls[0].reader_left, 0);
	CHECK(call_is(&rec->calls[1], HOOK_END, 0x200, 0x20, gen + 2));
	CHECK_EQ(rec->calls[1].reader_left, 1);

	/* READONLY on: invalidate; off: nothing to drop. */
	CHECK_EQ(order_under_reader(order_readonly_on_2), 0);
	CHECK_EQ(rec->nr, 2);
	CHECK(call_is(&rec->calls[0], HOOK_BEGIN, 0x1000, 0x20, gen + 2));
	CHECK_EQ(rec->calls[0].reader_left, 0);
	CHECK(call_is(&rec->calls[1], HOOK_END, 0x1000, 0x20, gen + 3));
	CHECK_EQ(rec->calls[1].reader_left, 1);
	rec->nr = 0;
	CHECK_EQ(memslots_set_flags(m, 2, 0), 0);
	CHECK_EQ(rec->nr, 0);

	/*
	 * DIRTY_LOG on: write-protect once the readers of the set without
	 * logging are gone; off: nothing.
	 */
	CHECK_EQ(order_under_reader(order_log_on_2), 0);
	CHECK_EQ(rec->nr, 1);
	CHECK(call_is(&rec->calls[0], HOOK_WP, 0x1000, 0x20, gen + 5));
	CHECK_EQ(rec->calls[0].reader_left, 1);
	rec->nr = 0;
	CHECK_EQ(memslots_set_flags(m, 2, 0), 0);
	CHECK_EQ(rec->nr, 0);

	/* Both on at once: the invalidation alone (nothing left to protect). */
	CHECK_EQ(memslots_set_flags(m, 2, MEMSLOT_FLAGS_ALL), 0);
	CHECK_EQ(rec->nr, 2);
	CHECK(call_is(&rec->calls[0], HOOK_BEGIN, 0x1000, 0x20, gen + 6));
	CHECK(call_is(&rec->calls[1], HOOK_END, 0x1000, 0x20, gen + 7));

	/* A create with logging on has nothing mapped to protect. */
	rec->nr = 0;
	CHECK_EQ(memslots_create(m, 3, 0x3000, 0x40, hpa_of(3),
				 MEMSLOT_DIRTY_LOG), 0);
	CHECK_EQ(rec->nr, 0);

	/* Hooks may be absent. */
	m->ops = NULL;
	CHECK_EQ(memslots_delete(m, 3), 0);
	CHECK_EQ(rec->nr, 0);

	srcu_reader_unregister(&m->srcu, &order_reader);
	memslots_destroy(m);
}

/* ---------------------------------------------------------------------
 * Dirty log.
 */

static bool wp_calls_are(const struct hook_rec *rec, unsigned int first,
			 const uint64_t (*runs)[2], unsigned int n, gfn_t base)
{
	unsigned int i;

	if (rec->nr - first != n)
		return false;
	for (i = 0; i < n; i++) {
		const struct hook_call *c = &rec->calls[first + i];

		if (c->kind != HOOK_WP || c->gfn != base + runs[i][0] ||
		    c->n != runs[i][1])
			return false;
	}
	return true;
}

static void dirty_log_harvest(void)
{
	static const uint64_t pages[] = { 0, 1, 2, 63, 64, 65, 130, 199 };
	static const uint64_t runs[][2] = { { 0, 3 }, { 63, 3 }, { 130, 1 },
					    { 199, 1 } };
	static const uint64_t all[][2] = { { 0, 200 } };
	const struct memslot *s;
	struct vm_memslots m;
	struct hook_rec rec;
	struct srcu_reader r = { 0 };
	uint64_t out[4];
	unsigned int i, first;

	vm_setup(&m, &rec);
	CHECK_EQ(srcu_reader_register(&m.srcu, &r), 0);
	CHECK_EQ(memslots_create(&m, 1, 0x1000, 200, hpa_of(1), 0), 0);
	CHECK_EQ(memslots_set_flags(&m, 1, MEMSLOT_DIRTY_LOG), 0);

	/* Mark a few pages, twice for some; harvest; runs get protected. */
	srcu_read_lock(&r);
	s = memslot_find(srcu_dereference(m.active), 0x1000);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		memslot_mark_dirty(s, 0x1000 + pages[i]);
		memslot_mark_dirty(s, 0x1000 + pages[i]);
	}
	srcu_read_unlock(&r);
	first = rec.nr;
	memset(out, 0xff, sizeof(out));
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), 0);
	CHECK_EQ(out[0], BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2) | BIT_ULL(63));
	CHECK_EQ(out[1], BIT_ULL(64 - 64) | BIT_ULL(65 - 64));
	CHECK_EQ(out[2], BIT_ULL(130 - 128));
	CHECK_EQ(out[3], BIT_ULL(199 - 192));
	CHECK(wp_calls_are(&rec, first, runs, ARRAY_SIZE(runs), 0x1000));

	/* Cleared: a second harvest finds nothing and protects nothing. */
	first = rec.nr;
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), 0);
	CHECK_EQ(out[0] | out[1] | out[2] | out[3], 0);
	CHECK_EQ(rec.nr, first);

	/* Every page: one run across the words. */
	srcu_read_lock(&r);
	s = memslot_find(srcu_dereference(m.active), 0x1000);
	for (i = 0; i < 200; i++)
		memslot_mark_dirty(s, 0x1000 + i);
	srcu_read_unlock(&r);
	first = rec.nr;
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), 0);
	CHECK_EQ(out[0], ~0ull);
	CHECK_EQ(out[1], ~0ull);
	CHECK_EQ(out[2], ~0ull);
	CHECK_EQ(out[3], GENMASK_ULL(199 - 192, 0));
	CHECK(wp_calls_are(&rec, first, all, 1, 0x1000));

	/* A move keeps the bitmap and what is in it. */
	srcu_read_lock(&r);
	s = memslot_find(srcu_dereference(m.active), 0x1000);
	memslot_mark_dirty(s, 0x1000 + 77);
	srcu_read_unlock(&r);
	CHECK_EQ(memslots_move(&m, 1, 0x5000), 0);
	first = rec.nr;
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), 0);
	CHECK_EQ(out[1], BIT_ULL(77 - 64));
	CHECK_EQ(out[0] | out[2] | out[3], 0);
	CHECK_EQ(rec.nr, first + 1);
	CHECK(call_is(&rec.calls[first], HOOK_WP, 0x5000 + 77, 1,
		      active_of(&m)->generation));

	/* Logging off: marks are ignored, harvests refused. */
	CHECK_EQ(memslots_set_flags(&m, 1, 0), 0);
	srcu_read_lock(&r);
	s = memslot_find(srcu_dereference(m.active), 0x5000);
	memslot_mark_dirty(s, 0x5000);
	srcu_read_unlock(&r);
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), -EINVAL);

	/* Back on: a fresh, clean bitmap. */
	CHECK_EQ(memslots_set_flags(&m, 1, MEMSLOT_DIRTY_LOG), 0);
	CHECK_EQ(memslots_get_dirty_log(&m, 1, out), 0);
	CHECK_EQ(out[0] | out[1] | out[2] | out[3], 0);

	srcu_reader_unregister(&m.srcu, &r);
	memslots_destroy(&m);
}

int main(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, ARENA_SIZE);
	shim_set_cpu(0);

	RUN(refuses_bad_updates);
	RUN(create_and_lookup);
	RUN(delete_move_set_flags);
	RUN(lookup_is_logarithmic);
	RUN(hooks_order_and_ranges);
	RUN(dirty_log_harvest);
	return check_done();
}
