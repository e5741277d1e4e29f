/*
 * TDP walker: a pre-order iterator over the entries of a TDP table tree
 * that cover a gfn range, top-down, stepping into every table it meets.
 *
 * Runs anywhere. The iterator itself takes no lock and only reads entries
 * (spte_read(), acquire); what keeps the tables it walks alive is the
 * caller's: mmu_lock held (read or write), or a read section of the
 * memslots srcu domain, which the TDP MMU waits for before it frees a
 * table it took out of the tree (mm/tdp_mmu.h, "Reclaim").
 *
 * Each step yields one entry: its level, the first gfn it covers, its
 * address and the value read (old_spte). The caller may replace the entry
 * (cmpxchg against old_spte) and then store what it wrote into old_spte:
 * the next step descends into the entry iff old_spte is a shadow-present
 * table and the walk has not reached min_level. So a fault that installs
 * a table at the current entry walks on into it, and a zap that cleared a
 * table does not.
 *
 *	struct tdp_iter it;
 *
 *	for_each_tdp_pte(it, fmt, root, levels, TDP_LEVEL_4K, start, end) {
 *		if (!spte_is_shadow_present(it.old_spte) ||
 *		    !spte_is_leaf(fmt, it.old_spte, it.level))
 *			continue;
 *		... a leaf covering [it.gfn, it.gfn + TDP_LEVEL_PAGES(it.level))
 *	}
 *
 * The first and last entries yielded at a level may cover gfns outside
 * [start, end) (a 2 MiB leaf that straddles start, say): callers decide
 * what a partly covered entry means for them.
 */
#ifndef MM_TDP_ITER_H
#define MM_TDP_ITER_H

#include "core/lib/compiler.h"
#include "core/memslots.h"
#include "core/lib/platform.h"
#include "mm/spte.h"

struct tdp_iter {
	const struct spte_format *fmt;
	/* pt_path[l]: the table whose entries are of level l. */
	uint64_t *pt_path[TDP_MAX_LEVELS + 1];
	/* Lowest gfn the walk has not finished with yet. */
	gfn_t next_gfn;
	gfn_t end;
	int root_level;
	int min_level;

	/* The current entry. */
	int level;
	gfn_t gfn;		/* first gfn it covers */
	uint64_t *sptep;
	uint64_t old_spte;	/* value read, or written by the caller */
	bool valid;		/* false once the range is exhausted */
};

/* gfns [0, this) are reachable through a tree of @levels levels. */
static inline gfn_t tdp_iter_gfn_limit(int levels)
{
	return TDP_LEVEL_PAGES(levels) * SPTE_ENTRIES;
}

static inline void tdp_iter_read(struct tdp_iter *it)
{
	it->sptep = &it->pt_path[it->level][SPTE_INDEX(it->gfn, it->level)];
	it->old_spte = spte_read(it->sptep);
}

/*
 * Positions @it on the root entry covering @start. @root is the root
 * table (virtual address), walked with @root_level levels; the walk does
 * not descend below @min_level. Empty or out-of-reach ranges leave the
 * iterator invalid.
 */
static inline void tdp_iter_start(struct tdp_iter *it,
				  const struct spte_format *fmt, uint64_t *root,
				  int root_level, int min_level,
				  gfn_t start, gfn_t end)
{
	it->fmt = fmt;
	it->root_level = root_level;
	it->min_level = min_level;
	it->pt_path[root_level] = root;
	it->end = MIN(end, tdp_iter_gfn_limit(root_level));
	it->next_gfn = start;
	it->level = root_level;
	it->gfn = ALIGN_DOWN(start, TDP_LEVEL_PAGES(root_level));
	it->valid = start < it->end;
	if (it->valid)
		tdp_iter_read(it);
}

/* Into the table the current entry references, if the walk goes there. */
static inline bool tdp_iter_step_down(struct tdp_iter *it)
{
	uint64_t spte = it->old_spte;

	if (it->level <= it->min_level || !spte_is_shadow_present(spte) ||
	    spte_is_leaf(it->fmt, spte, it->level))
		return false;
	it->level--;
	it->pt_path[it->level] = phys_to_virt(spte_table_pa(spte));
	/* next_gfn lies inside the entry just left: start there. */
	it->gfn = ALIGN_DOWN(it->next_gfn, TDP_LEVEL_PAGES(it->level));
	tdp_iter_read(it);
	return true;
}

/* To the next entry of the same table, unless the table ends here. */
static inline bool tdp_iter_step_side(struct tdp_iter *it)
{
	if (SPTE_INDEX(it->gfn, it->level) == SPTE_ENTRIES - 1)
		return false;
	it->gfn += TDP_LEVEL_PAGES(it->level);
	it->next_gfn = it->gfn;
	if (it->gfn >= it->end) {
		it->valid = false;
		return true;
	}
	tdp_iter_read(it);
	return true;
}

/* Back to the entry that references the current table. */
static inline bool tdp_iter_step_up(struct tdp_iter *it)
{
	if (it->level == it->root_level)
		return false;
	it->level++;
	it->gfn = ALIGN_DOWN(it->gfn, TDP_LEVEL_PAGES(it->level));
	return true;
}

/* Advances to the next entry in pre-order, or invalidates the iterator. */
static inline void tdp_iter_next(struct tdp_iter *it)
{
	if (tdp_iter_step_down(it))
		return;
	do {
		if (tdp_iter_step_side(it))
			return;
	} while (tdp_iter_step_up(it));
	it->valid = false;
}

#define for_each_tdp_pte(it, fmt, root, root_level, min_level, start, end) \
	for (tdp_iter_start(&(it), (fmt), (root), (root_level),		    \
			    (min_level), (start), (end));		    \
	     (it).valid; tdp_iter_next(&(it)))

#endif
