/*
 * Hosted test of guest memory slots (core/memslots.c, core/srcu.c) under
 * concurrency (the set-up is in tests/host/test_memslots.h).
 *
 * The dirty log is harvested against concurrent markers and a mover. The
 * stress case runs a small model of the TDP MMU (an SPTE array, mmu_lock,
 * invalidation count and sequence, write-protect) under eight faulting
 * readers while a writer creates, deletes, moves and changes slots,
 * checking after every update that no mapping survives from a set that is
 * gone and that a reader never holds a freed set.
 */
#include "tests/host/test_memslots.h"


/*
 * Markers in read sections against a harvester and a mover: every page
 * marked is reported by some harvest, and nothing else is.
 */
#define DIRTY_PAGES   1000
#define DIRTY_MARKERS 4
#define DIRTY_MARKS   20000	/* per marker */

static struct vm_memslots dirty_m;
static struct srcu_reader dirty_readers[DIRTY_MARKERS];
static uint8_t dirty_marked[DIRTY_PAGES];	/* atomic */
static uint8_t dirty_reported[DIRTY_PAGES];	/* harvester only */
static unsigned long dirty_markers_done;	/* atomic */

static const struct memslot *slot_by_id(const struct memslot_set *set,
					uint32_t id)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++) {
		if (set->slots[i].id == id)
			return &set->slots[i];
	}
	return NULL;
}

static void dirty_marker_fn(struct worker *w)
{
	struct srcu_reader *r = w->arg;
	uint64_t seed = 0x2545f4914f6cdd1dull * (w->cpu + 1);
	unsigned int i;

	for (i = 0; i < DIRTY_MARKS; i++) {
		uint64_t page = rand_next(&seed) % DIRTY_PAGES;
		const struct memslot *s;

		srcu_read_lock(r);
		s = slot_by_id(srcu_dereference(dirty_m.active), 7);
		if (s && s->dirty_bitmap) {
			/* Truth first: a harvest may see the bit at once. */
			atomic_store(&dirty_marked[page], 1);
			memslot_mark_dirty(s, s->base_gfn + page);
		} else {
			w->result++;
		}
		srcu_read_unlock(r);
	}
	atomic_fetch_add(&dirty_markers_done, 1);
}

static unsigned long dirty_harvest(uint64_t *out)
{
	unsigned long bad = 0;
	unsigned int p;

	if (memslots_get_dirty_log(&dirty_m, 7, out))
		return 1;
	for (p = 0; p < ALIGN_UP(DIRTY_PAGES, 64); p++) {
		if (!(out[p / 64] >> (p % 64) & 1))
			continue;
		/* Never a page nobody marked, never past the slot's end. */
		bad += p >= DIRTY_PAGES || !atomic_load(&dirty_marked[p]);
		if (p < DIRTY_PAGES)
			dirty_reported[p] = 1;
	}
	return bad;
}

static void dirty_harvester_fn(struct worker *w)
{
	uint64_t out[ALIGN_UP(DIRTY_PAGES, 64) / 64];
	uint64_t seed = 99;

	while (atomic_load(&dirty_markers_done) < DIRTY_MARKERS) {
		w->result += dirty_harvest(out);
		if (rand_next(&seed) % 4 == 0)
			w->result += memslots_move(&dirty_m, 7,
					0x10000 + rand_next(&seed) % 64 * 0x1000) != 0;
		sched_yield();
	}
	w->result += dirty_harvest(out);	/* the last marks */
}

static void dirty_log_concurrent(void)
{
	struct worker markers[DIRTY_MARKERS], harvester;
	unsigned int i, missed = 0;

	/* No MMU here: only the bitmap's own protocol is under test. */
	setup_heap();
	CHECK_EQ(memslots_init(&dirty_m, DIRTY_MARKERS, NULL, NULL), 0);
	for (i = 0; i < DIRTY_MARKERS; i++)
		CHECK_EQ(srcu_reader_register(&dirty_m.srcu, &dirty_readers[i]), 0);
	CHECK_EQ(memslots_create(&dirty_m, 7, 0x10000, DIRTY_PAGES, hpa_of(7),
				 MEMSLOT_DIRTY_LOG), 0);
	worker_start(&harvester, 1, dirty_harvester_fn, NULL);
	for (i = 0; i < DIRTY_MARKERS; i++)
		worker_start(&markers[i], 2 + i, dirty_marker_fn,
			     &dirty_readers[i]);
	for (i = 0; i < DIRTY_MARKERS; i++) {
		worker_join(&markers[i]);
		CHECK_EQ(markers[i].result, 0);
	}
	worker_join(&harvester);
	CHECK_EQ(harvester.result, 0);
	for (i = 0; i < DIRTY_PAGES; i++)
		missed += atomic_load(&dirty_marked[i]) && !dirty_reported[i];
	CHECK_EQ(missed, 0);
	for (i = 0; i < DIRTY_MARKERS; i++)
		srcu_reader_unregister(&dirty_m.srcu, &dirty_readers[i]);
	memslots_destroy(&dirty_m);
}

/* ---------------------------------------------------------------------
 * Stress: faulting readers against a writer, over a model TDP MMU.
 */

#define GFN_SPACE      1024		/* gfns the stress case uses */
#define STRESS_IDS     12
#define STRESS_READERS 8
#define STRESS_OPS     1500		/* writer updates */
#define STRESS_PACE_NS 1000000ull	/* most a writer waits for faults */

#define SPTE_PRESENT BIT_ULL(0)
#define SPTE_WRITE   BIT_ULL(1)

/* The model MMU. spte[] entries: hpa | SPTE_WRITE | SPTE_PRESENT. */
static struct {
	rwlock_t mmu_lock;
	/* Atomics, changed under mmu_lock for write only. */
	unsigned long invalidate_count;
	unsigned long invalidate_seq;
	/* Installed under mmu_lock for read (atomics), zapped under write. */
	uint64_t spte[GFN_SPACE];
} mmu;


static struct vm_memslots stress_m;
static struct srcu_reader stress_readers[STRESS_READERS];
static unsigned long stress_writer_done;	/* atomic */
static unsigned long stress_installs;		/* atomic */
static unsigned long stress_retries;		/* atomic: faults that gave up */
static unsigned long stress_faults;		/* atomic: all faults */
static unsigned long stress_started;		/* atomic: readers running */

/*
 * Lets the readers fault a few times, for at most STRESS_PACE_NS: between
 * two updates (on a 2-core host the writer would otherwise run them in a
 * burst), and inside an invalidation.
 */
static void stress_pace(void)
{
	unsigned long seen = atomic_load(&stress_faults);
	uint64_t deadline = time_now_ns() + STRESS_PACE_NS;

	while (atomic_load(&stress_faults) - seen < STRESS_READERS &&
	       time_now_ns() < deadline)
		sched_yield();
}

static void mmu_invalidate_begin(void *ctx, gfn_t gfn, uint64_t n)
{
	gfn_t g;

	write_lock(&mmu.mmu_lock);
	atomic_store(&mmu.invalidate_count, mmu.invalidate_count + 1);
	for (g = gfn; g < gfn + n && g < GFN_SPACE; g++)
		atomic_store(&mmu.spte[g], 0);
	write_unlock(&mmu.mmu_lock);
	/*
	 * A slow zap (a TLB shootdown, say): faults run meanwhile, and the
	 * ones that resolved under the old set must give up.
	 */
	stress_pace();
}

static void mmu_invalidate_end(void *ctx, gfn_t gfn, uint64_t n)
{
	write_lock(&mmu.mmu_lock);
	atomic_store(&mmu.invalidate_seq, mmu.invalidate_seq + 1);
	ASSERT(mmu.invalidate_count > 0);
	atomic_store(&mmu.invalidate_count, mmu.invalidate_count - 1);
	write_unlock(&mmu.mmu_lock);
}

static void mmu_write_protect(void *ctx, gfn_t gfn, uint64_t n)
{
	gfn_t g;

	write_lock(&mmu.mmu_lock);
	for (g = gfn; g < gfn + n && g < GFN_SPACE; g++)
		atomic_store(&mmu.spte[g], mmu.spte[g] & ~SPTE_WRITE);
	write_unlock(&mmu.mmu_lock);
}

static const struct memslots_ops mmu_ops = {
	.invalidate_begin = mmu_invalidate_begin,
	.invalidate_end = mmu_invalidate_end,
	.write_protect = mmu_write_protect,
};

/* A slot as a reader may find it: the invariants every set keeps. */
static bool slot_sane(const struct memslot *s, gfn_t gfn)
{
	return s->id < STRESS_IDS && s->host_base == hpa_of(s->id) &&
	       gfn - s->base_gfn < s->npages &&
	       s->base_gfn + s->npages <= GFN_SPACE &&
	       !(s->flags & ~MEMSLOT_FLAGS_ALL) &&
	       !!s->dirty_bitmap == !!(s->flags & MEMSLOT_DIRTY_LOG);
}

/*
 * One guest access to gfn, faulting as the TDP MMU would: sample the
 * sequence, resolve gfn in the read section, install under mmu_lock for
 * read unless an invalidation began or ended meanwhile. Returns the number
 * of broken invariants seen.
 */
static unsigned long stress_fault(struct srcu_reader *r, gfn_t gfn,
				  bool write, bool check_set)
{
	const struct memslot_set *set;
	const struct memslot *s;
	unsigned long bad = 0, seq;
	uint64_t gen, spte;

	srcu_read_lock(r);
	seq = smp_load_acquire(&mmu.invalidate_seq);
	set = srcu_dereference(stress_m.active);
	gen = set->generation;
	bad += gen == MEMSLOT_SET_FREED;
	if (check_set)
		bad += !set_well_formed(set);
	s = memslot_find(set, gfn);
	if (!s || (write && (s->flags & MEMSLOT_READONLY)))
		goto out;	/* MMIO or a write to ROM: emulated */
	bad += !slot_sane(s, gfn);
	spte = memslot_gfn_to_hpa(s, gfn) | SPTE_PRESENT;
	if (!(s->flags & MEMSLOT_READONLY) &&
	    (write || !(s->flags & MEMSLOT_DIRTY_LOG)))
		spte |= SPTE_WRITE;
	read_lock(&mmu.mmu_lock);
	if (!atomic_load(&mmu.invalidate_count) &&
	    atomic_load(&mmu.invalidate_seq) == seq) {
		atomic_store(&mmu.spte[gfn], spte);
		/* After the SPTE is writable (memslot_mark_dirty()). */
		if (spte & SPTE_WRITE)
			memslot_mark_dirty(s, gfn);
		atomic_fetch_add(&stress_installs, 1);
	} else {
		atomic_fetch_add(&stress_retries, 1);
	}
	read_unlock(&mmu.mmu_lock);
out:
	/* The set is still the one found: nobody freed or reused it. */
	bad += set->generation != gen;
	srcu_read_unlock(r);
	return bad;
}

static void stress_reader_fn(struct worker *w)
{
	struct srcu_reader *r = w->arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (w->cpu + 1);
	unsigned long n = 0;

	atomic_fetch_add(&stress_started, 1);
	while (!atomic_load(&stress_writer_done)) {
		uint64_t x = rand_next(&seed);

		w->result += stress_fault(r, x % GFN_SPACE, x & (1ull << 32),
					  (x >> 40) % 16 == 0);
		atomic_fetch_add(&stress_faults, 1);
		if (++n % 32 == 0)
			sched_yield();
	}
}

/*
 * Every SPTE matches the published set: its gfn is in a slot, with that
 * slot's hpa; writable only if the slot is writable, and, if the slot
 * logs, dirty in its bitmap. Caller is the only updater.
 */
static unsigned long mmu_check_against(const struct memslot_set *set)
{
	unsigned long bad = 0;
	gfn_t g;

	write_lock(&mmu.mmu_lock);
	for (g = 0; g < GFN_SPACE; g++) {
		uint64_t spte = atomic_load(&mmu.spte[g]);
		const struct memslot *s;

		if (!spte)
			continue;
		s = memslot_find(set, g);
		if (!s || (spte & PAGE_MASK) != memslot_gfn_to_hpa(s, g)) {
			bad++;
			continue;
		}
		if (!(spte & SPTE_WRITE))
			continue;
		bad += !!(s->flags & MEMSLOT_READONLY);
		if (s->dirty_bitmap)
			bad += !test_bit(g - s->base_gfn, s->dirty_bitmap);
	}
	write_unlock(&mmu.mmu_lock);
	return bad;
}

/* The writer's own idea of the slots, to predict each update's result. */
struct shadow_slot {
	bool used;
	gfn_t base;
	uint64_t npages;
	uint32_t flags;
};

static bool shadow_overlaps(const struct shadow_slot *sh, uint32_t skip,
			    gfn_t base, uint64_t n)
{
	uint32_t id;

	for (id = 0; id < STRESS_IDS; id++) {
		if (sh[id].used && id != skip && base < sh[id].base + sh[id].npages &&
		    sh[id].base < base + n)
			return true;
	}
	return false;
}

static bool shadow_matches(const struct shadow_slot *sh,
			   const struct memslot_set *set)
{
	unsigned int used = 0, i;
	uint32_t id;

	for (id = 0; id < STRESS_IDS; id++)
		used += sh[id].used;
	if (set->nr != used || !set_well_formed(set))
		return false;
	for (i = 0; i < set->nr; i++) {
		const struct memslot *s = &set->slots[i];

		if (s->id >= STRESS_IDS || !sh[s->id].used ||
		    sh[s->id].base != s->base_gfn ||
		    sh[s->id].npages != s->npages ||
		    sh[s->id].flags != s->flags || s->host_base != hpa_of(s->id))
			return false;
	}
	return true;
}

/* result: broken invariants; updates done in arg (unsigned long *). */
static void stress_writer_fn(struct worker *w)
{
	static struct shadow_slot sh[STRESS_IDS];
	unsigned long *updates = w->arg;
	uint64_t seed = 0xdeadbeefcafef00dull;
	uint64_t out[GFN_SPACE / 64];
	unsigned int op;

	wait_ul(&stress_started, STRESS_READERS);
	for (op = 0; op < STRESS_OPS; op++) {
		uint64_t x = rand_next(&seed);
		uint32_t id = x % STRESS_IDS;
		gfn_t base = (x >> 8) % GFN_SPACE;
		uint64_t n = 1 + (x >> 20) % 64;
		uint32_t flags = (x >> 30) % 4;
		uint64_t gen = active_of(&stress_m)->generation;
		int err, expect;

		if (base + n > GFN_SPACE)
			n = GFN_SPACE - base;
		if (!sh[id].used) {
			expect = shadow_overlaps(sh, id, base, n) ? -EEXIST : 0;
			err = memslots_create(&stress_m, id, base, n, hpa_of(id),
					      flags);
			if (!err)
				sh[id] = (struct shadow_slot){ true, base, n, flags };
		} else if (x >> 40 & 1) {
			n = sh[id].npages;
			if (base + n > GFN_SPACE)
				base = GFN_SPACE - n;
			expect = shadow_overlaps(sh, id, base, n) ? -EEXIST : 0;
			err = memslots_move(&stress_m, id, base);
			if (!err)
				sh[id].base = base;
		} else if (x >> 41 & 1) {
			expect = 0;
			err = memslots_set_flags(&stress_m, id, flags);
			if (!err)
				sh[id].flags = flags;
		} else if (x >> 42 & 1 && (sh[id].flags & MEMSLOT_DIRTY_LOG)) {
			/* Harvest, and the MMU must still agree after. */
			expect = 0;
			err = memslots_get_dirty_log(&stress_m, id, out);
		} else {
			expect = 0;
			err = memslots_delete(&stress_m, id);
			if (!err)
				sh[id].used = false;
		}
		w->result += err != expect;
		if (err)
			w->result += active_of(&stress_m)->generation != gen;
		else
			(*updates)++;
		w->result += !shadow_matches(sh, active_of(&stress_m));
		w->result += mmu_check_against(active_of(&stress_m));
		stress_pace();
	}
	atomic_store(&stress_writer_done, 1);
}

static void stress_readers_vs_updates(void)
{
	struct worker readers[STRESS_READERS], writer;
	unsigned long updates = 0;
	unsigned int i;

	setup_heap();
	rwlock_init(&mmu.mmu_lock);
	CHECK_EQ(memslots_init(&stress_m, STRESS_READERS, &mmu_ops, NULL), 0);
	for (i = 0; i < STRESS_READERS; i++) {
		CHECK_EQ(srcu_reader_register(&stress_m.srcu,
					      &stress_readers[i]), 0);
		worker_start(&readers[i], 2 + i, stress_reader_fn,
			     &stress_readers[i]);
	}
	worker_start(&writer, 1, stress_writer_fn, &updates);
	worker_join(&writer);
	CHECK_EQ(writer.result, 0);
	for (i = 0; i < STRESS_READERS; i++) {
		worker_join(&readers[i]);
		CHECK_EQ(readers[i].result, 0);
		srcu_reader_unregister(&stress_m.srcu, &stress_readers[i]);
	}
	fprintf(stderr, "  stress: %lu updates published under %u faulting readers (%lu SPTEs installed, %lu faults gave up to an invalidation)\n",
		updates, STRESS_READERS, stress_installs, stress_retries);
	CHECK(stress_retries > 0);
	CHECK(updates > STRESS_OPS / 4);
	CHECK_EQ(mmu.invalidate_count, 0);
	CHECK_EQ(mmu_check_against(active_of(&stress_m)), 0);
	memslots_destroy(&stress_m);
}

int main(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, ARENA_SIZE);
	shim_set_cpu(0);

	RUN(dirty_log_concurrent);
	RUN(stress_readers_vs_updates);
	return check_done();
}
