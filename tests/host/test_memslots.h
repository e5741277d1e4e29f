/*
 * What the hosted tests of guest memory slots (core/memslots.c behind the
 * SRCU-like epoch of core/srcu.c, on the real heap) share
 * (test_memslots.c, test_memslots_race.c): the heap on a host arena, slot
 * host addresses that name their slot, hooks that record how the TDP MMU
 * would be called, and a check that a published set is well formed.
 *
 * Threads stand for CPUs (shim_set_cpu()); main is CPU 0. Every wait for
 * another thread is bounded.
 */
#ifndef TESTS_HOST_TEST_MEMSLOTS_H
#define TESTS_HOST_TEST_MEMSLOTS_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/memslots.h"
#include "core/lib/rwlock.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE MiB(32)

static const struct boot_mem_region arena_map[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

static inline void setup_heap(void)
{
	setup_heap_on(arena_map, ARRAY_SIZE(arena_map));
}

/* The host address of slot id: ids can be checked against it. */
static inline paddr_t hpa_of(uint32_t id)
{
	return (paddr_t)(id + 1) << 32;
}

/* The published set, from the writer's side (no update runs meanwhile). */
static inline const struct memslot_set *active_of(struct vm_memslots *m)
{
	return srcu_dereference(m->active);
}

/* ---------------------------------------------------------------------
 * Hooks that record what they are called with.
 */

enum hook_kind { HOOK_BEGIN, HOOK_END, HOOK_WP };

struct hook_call {
	enum hook_kind kind;
	gfn_t gfn;
	uint64_t n;
	uint64_t generation;		/* of the set published at the call */
	unsigned long reader_left;	/* value of rec.reader_left then */
};

struct hook_rec {
	struct vm_memslots *m;
	struct hook_call calls[512];
	unsigned int nr;
	unsigned long reader_left;	/* atomic: set by a test reader */
};

static inline void hook_record(struct hook_rec *rec, enum hook_kind kind,
			gfn_t gfn, uint64_t n)
{
	struct hook_call *c;

	spin_assert_held(&rec->m->slots_lock);
	ASSERT(rec->nr < ARRAY_SIZE(rec->calls));
	c = &rec->calls[rec->nr++];
	c->kind = kind;
	c->gfn = gfn;
	c->n = n;
	c->generation = active_of(rec->m)->generation;
	c->reader_left = atomic_load(&rec->reader_left);
}

static inline void rec_begin(void *ctx, gfn_t gfn, uint64_t n)
{
	hook_record(ctx, HOOK_BEGIN, gfn, n);
}

static inline void rec_end(void *ctx, gfn_t gfn, uint64_t n)
{
	hook_record(ctx, HOOK_END, gfn, n);
}

static inline void rec_wp(void *ctx, gfn_t gfn, uint64_t n)
{
	hook_record(ctx, HOOK_WP, gfn, n);
}

static const struct memslots_ops rec_ops = {
	.invalidate_begin = rec_begin,
	.invalidate_end = rec_end,
	.write_protect = rec_wp,
};

static inline bool call_is(const struct hook_call *c, enum hook_kind kind,
		    gfn_t gfn, uint64_t n, uint64_t generation)
{
	if (c->kind == kind && c->gfn == gfn && c->n == n &&
	    c->generation == generation)
		return true;
	fprintf(stderr, "  hook call: kind %d gfn %#llx n %llu gen %llu, expected kind %d gfn %#llx n %llu gen %llu\n",
		c->kind, (unsigned long long)c->gfn, (unsigned long long)c->n,
		(unsigned long long)c->generation, kind,
		(unsigned long long)gfn, (unsigned long long)n,
		(unsigned long long)generation);
	return false;
}

static inline void vm_setup(struct vm_memslots *m, struct hook_rec *rec)
{
	setup_heap();
	memset(rec, 0, sizeof(*rec));
	rec->m = m;
	CHECK_EQ(memslots_init(m, 16, &rec_ops, rec), 0);
	CHECK_EQ(active_of(m)->generation, 0);
	CHECK_EQ(active_of(m)->nr, 0);
}

/* Sorted, disjoint, unique ids, every slot's fields sane. */
static inline bool set_well_formed(const struct memslot_set *set)
{
	unsigned int i, k;

	for (i = 0; i < set->nr; i++) {
		const struct memslot *s = &set->slots[i];

		if (!s->npages || s->base_gfn + s->npages > GFN_LIMIT)
			return false;
		if (!!s->dirty_bitmap != !!(s->flags & MEMSLOT_DIRTY_LOG))
			return false;
		if (i && set->slots[i - 1].base_gfn +
			 set->slots[i - 1].npages > s->base_gfn)
			return false;
		for (k = 0; k < i; k++) {
			if (set->slots[k].id == s->id)
				return false;
		}
	}
	return true;
}

#endif
