/*
 * Physical frame allocator.
 *
 * Runs on any CPU, any context, after frame_init(); frame_lock is a leaf
 * lock taken with interrupts off. frame_init() runs on the boot CPU alone.
 *
 * Bookkeeping. Two bitmaps cover the frames from the lowest to the highest
 * usable frame, [base_pfn, base_pfn + nbits), one bit per frame:
 *
 *   avail  1 = the frame is RAM this allocator manages. Written only by
 *          frame_init(); lets frame_free() tell an allocated frame from a
 *          hole, a reserved frame or the bitmaps themselves.
 *   used   1 = the frame cannot be handed out: allocated, or not managed
 *          at all (avail = 0), including the padding bits past nbits in the
 *          last word. A search therefore only ever looks at used.
 *
 * Both sit back to back in one run of frames carved out of the lowest free
 * range that can hold them (avail = 0, used = 1 there), and are reached
 * through phys_to_virt(): 64 KiB per GiB of RAM spanned.
 *
 * Search. Frames are found a 64-bit word at a time. first_free_word is a
 * hint with the invariant "every word of used below it is all ones": an
 * allocation scans from it and moves it up to the word where the first
 * free frame was found, a free moves it down to the freed word. Single
 * frames are thus handed out lowest address first (which keeps the top of
 * memory unfragmented for contiguous and 2 MiB-aligned requests) in O(1)
 * amortised time: a word is skipped again only after a free below it has
 * paid for the rescan.
 */
#include "mm/frame.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"

#define FRAME_NONE    UINT64_MAX
#define WORD_BITS     64ull

static spinlock_t frame_lock = SPINLOCK_INIT;

static struct {
	/* Written by frame_init() under frame_lock; constant afterwards. */
	const uint64_t *avail;
	uint64_t base_pfn;	/* frame number of bit 0 */
	uint64_t nbits;		/* frames spanned by the bitmaps */
	uint64_t total;		/* frames with avail = 1 */
	uint64_t meta_frames;	/* frames holding the bitmaps */
	bool firmware_held;	/* BOOT_MEM_FIRMWARE_RECLAIM frames not yet free */

	/* frame_lock protects these. */
	uint64_t *used;
	uint64_t first_free_word;
	uint64_t nfree;		/* also read without the lock, for statistics */
} frames;

/* The boot memory map and the reserved list as frame_init() received them. */
struct frame_src {
	const struct boot_mem_region *map;
	size_t n;
	const struct boot_mem_region *reserved;
	size_t n_reserved;
};

/* ------------------------------------------------------------------------
 * Bitmap helpers. Callers hold frame_lock, or run in frame_init().
 */

/*
 * First bit in [start, end) of @map that is set (@set) or clear (!@set),
 * or FRAME_NONE. A word at a time.
 */
static uint64_t bitmap_find(const uint64_t *map, uint64_t start, uint64_t end,
			    bool set)
{
	uint64_t flip = set ? 0 : ~0ull;
	uint64_t w, last, word, bit;

	if (start >= end)
		return FRAME_NONE;
	w = start / WORD_BITS;
	last = (end - 1) / WORD_BITS;
	word = (map[w] ^ flip) & (~0ull << (start % WORD_BITS));
	for (;;) {
		if (word) {
			bit = w * WORD_BITS + (uint64_t)__builtin_ctzll(word);
			return bit < end ? bit : FRAME_NONE;
		}
		if (w == last)
			return FRAME_NONE;
		word = map[++w] ^ flip;
	}
}

/* Sets (@set) or clears bits [start, end) of @map. */
static void bitmap_assign(uint64_t *map, uint64_t start, uint64_t end, bool set)
{
	while (start < end) {
		uint64_t off = start % WORD_BITS;
		uint64_t n = MIN(WORD_BITS - off, end - start);
		uint64_t mask = (n == WORD_BITS ? ~0ull : (1ull << n) - 1) << off;

		if (set)
			map[start / WORD_BITS] |= mask;
		else
			map[start / WORD_BITS] &= ~mask;
		start += n;
	}
}

/* Population count without the libgcc helper (no POPCNT in freestanding). */
static uint64_t word_weight(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* Set bits of @map in [start, end). */
static uint64_t frame_count_bits(const uint64_t *map, uint64_t start, uint64_t end)
{
	uint64_t n = 0;

	for (; start < end; start++)
		n += (map[start / WORD_BITS] >> (start % WORD_BITS)) & 1;
	return n;
}

static paddr_t frame_bit_to_pa(uint64_t bit)
{
	return (frames.base_pfn + bit) << PAGE_SHIFT;
}

/* ------------------------------------------------------------------------
 * Reading the memory map (frame_init() only).
 */

/*
 * The frames of a usable entry, page-aligned inward and above
 * FRAME_LOW_LIMIT, as [*start, *end). False if the entry is not usable or
 * holds no whole frame there. Entries were validated by frame_src_check().
 */
static bool frame_region_usable(const struct boot_mem_region *r,
				uint64_t *start, uint64_t *end)
{
	uint64_t s, e;

	if (r->type != BOOT_MEM_USABLE || !r->size)
		return false;
	s = MAX(ALIGN_UP(r->base, PAGE_SIZE), FRAME_LOW_LIMIT);
	e = ALIGN_DOWN(r->base + r->size, PAGE_SIZE);
	if (s >= e)
		return false;
	*start = s;
	*end = e;
	return true;
}

/*
 * Like frame_region_usable(), for the frames the allocator manages: usable
 * RAM and firmware RAM that frame_release_firmware() frees later.
 */
static bool frame_region_managed(const struct boot_mem_region *r,
				 uint64_t *start, uint64_t *end)
{
	struct boot_mem_region u = *r;

	if (u.type == BOOT_MEM_FIRMWARE_RECLAIM)
		u.type = BOOT_MEM_USABLE;
	return frame_region_usable(&u, start, end);
}

/* Number of excluded ranges frame_excluded() enumerates. */
static size_t frame_excluded_count(const struct frame_src *src)
{
	return 1 + src->n + src->n_reserved;
}

/*
 * Excluded range @i, rounded outward to whole frames and clipped to
 * FRAME_PHYS_LIMIT: first everything below FRAME_LOW_LIMIT, then every
 * non-usable map entry, then every reserved range. False if entry @i
 * excludes nothing (a usable or empty entry).
 */
static bool frame_excluded(const struct frame_src *src, size_t i,
			   uint64_t *start, uint64_t *end)
{
	const struct boot_mem_region *r;
	uint64_t e;

	if (i == 0) {
		*start = 0;
		*end = FRAME_LOW_LIMIT;
		return true;
	}
	i--;
	if (i < src->n) {
		r = &src->map[i];
		if (r->type == BOOT_MEM_USABLE || r->type == BOOT_MEM_FIRMWARE_RECLAIM)
			return false;
	} else {
		r = &src->reserved[i - src->n];
	}
	if (!r->size || r->base >= FRAME_PHYS_LIMIT)
		return false;
	e = MIN(r->base + r->size, FRAME_PHYS_LIMIT);
	*start = ALIGN_DOWN(r->base, PAGE_SIZE);
	*end = ALIGN_UP(e, PAGE_SIZE);
	return true;
}

/* -EINVAL for an entry that wraps or a usable one past FRAME_PHYS_LIMIT. */
static int frame_src_check(const struct frame_src *src)
{
	const struct boot_mem_region *r;
	size_t i;

	if ((!src->map && src->n) || (!src->reserved && src->n_reserved))
		return -EINVAL;
	for (i = 0; i < src->n + src->n_reserved; i++) {
		r = i < src->n ? &src->map[i] : &src->reserved[i - src->n];
		if (r->size > UINT64_MAX - r->base) {
			pr_err("frame: memory map entry %#llx+%#llx wraps",
			       (unsigned long long)r->base,
			       (unsigned long long)r->size);
			return -EINVAL;
		}
		if (i < src->n && r->type == BOOT_MEM_USABLE && r->size &&
		    r->base + r->size > FRAME_PHYS_LIMIT) {
			pr_err("frame: usable RAM %#llx+%#llx beyond 2^52",
			       (unsigned long long)r->base,
			       (unsigned long long)r->size);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * End of the furthest excluded range that overlaps [start, end), or 0 if
 * none does: no window starting below that end can be free.
 */
static uint64_t frame_conflict_end(const struct frame_src *src, uint64_t start,
				   uint64_t end)
{
	uint64_t s, e, furthest = 0;
	size_t i;

	for (i = 0; i < frame_excluded_count(src); i++) {
		if (frame_excluded(src, i, &s, &e) && s < end && start < e)
			furthest = MAX(furthest, e);
	}
	/* Firmware RAM is still in use while the bitmaps are placed. */
	for (i = 0; i < src->n; i++) {
		const struct boot_mem_region *r = &src->map[i];

		if (r->type != BOOT_MEM_FIRMWARE_RECLAIM || !r->size)
			continue;
		s = ALIGN_DOWN(r->base, PAGE_SIZE);
		e = ALIGN_UP(r->base + r->size, PAGE_SIZE);
		if (s < end && start < e)
			furthest = MAX(furthest, e);
	}
	return furthest;
}

/*
 * Lowest address at which @len bytes of free RAM lie inside one usable
 * entry, or FRAME_NONE.
 */
static uint64_t frame_place_meta(const struct frame_src *src, uint64_t len)
{
	uint64_t best = FRAME_NONE;
	uint64_t s, e, cand, next;
	size_t i;

	for (i = 0; i < src->n; i++) {
		if (!frame_region_usable(&src->map[i], &s, &e))
			continue;
		cand = s;
		while (cand < best && len <= e - cand) {
			next = frame_conflict_end(src, cand, cand + len);
			if (!next) {
				best = cand;
				break;
			}
			if (next >= e)
				break;
			cand = next;
		}
	}
	return best;
}

/* ------------------------------------------------------------------------
 * Initialisation.
 */

/*
 * Empties the allocator: every allocation fails until the next frame_init().
 * The frames it had are forgotten, free ones included: the platform hears
 * of them as taken, since whatever uses that memory next does not get it
 * from here.
 */
static void frame_reset(void)
{
	unsigned long flags = spin_lock_irqsave(&frame_lock);

	if (frames.nbits)
		platform_frames_taken(frame_bit_to_pa(0), frames.nbits);
	memset(&frames, 0, sizeof(frames));
	spin_unlock_irqrestore(&frame_lock, flags);
}

int frame_init(const struct boot_mem_region *map, size_t n,
	       const struct boot_mem_region *reserved, size_t n_reserved)
{
	const struct frame_src src = { map, n, reserved, n_reserved };
	uint64_t lo = FRAME_NONE, hi = 0, s, e, nbits, nwords, bytes;
	uint64_t meta_pa, meta_frames, total = 0, held = 0, w;
	uint64_t *avail, *used;
	unsigned long flags;
	size_t i;
	int err;

	/*
	 * Nobody else uses the allocator meanwhile (see frame.h): the
	 * bitmaps are built unlocked and published under frame_lock.
	 */
	frame_reset();
	err = frame_src_check(&src);
	if (err)
		return err;

	for (i = 0; i < n; i++) {
		if (frame_region_managed(&map[i], &s, &e)) {
			lo = MIN(lo, s);
			hi = MAX(hi, e);
		}
	}
	if (lo >= hi) {
		pr_err("frame: no usable RAM above 1 MiB in the memory map");
		return -ENOMEM;
	}

	nbits = (hi - lo) >> PAGE_SHIFT;
	nwords = (nbits + WORD_BITS - 1) / WORD_BITS;
	bytes = 2 * nwords * sizeof(uint64_t);
	meta_frames = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	meta_pa = frame_place_meta(&src, meta_frames << PAGE_SHIFT);
	if (meta_pa == FRAME_NONE) {
		if (frame_place_meta(&src, PAGE_SIZE) == FRAME_NONE)
			pr_err("frame: no usable RAM left once reserved ranges are removed");
		else
			pr_err("frame: no free range of %llu KiB for the bitmaps",
			       (unsigned long long)(meta_frames << PAGE_SHIFT) >> 10);
		return -ENOMEM;
	}

	/*
	 * avail: the usable frames first, then every exclusion on top, so
	 * that the result does not depend on the order of the entries.
	 */
	avail = phys_to_virt(meta_pa);
	used = avail + nwords;
	memset(avail, 0, nwords * sizeof(uint64_t));
	for (i = 0; i < n; i++) {
		if (frame_region_managed(&map[i], &s, &e))
			bitmap_assign(avail, (s - lo) >> PAGE_SHIFT,
				      (e - lo) >> PAGE_SHIFT, true);
	}
	for (i = 0; i < frame_excluded_count(&src); i++) {
		if (!frame_excluded(&src, i, &s, &e))
			continue;
		s = MAX(s, lo);
		e = MIN(e, hi);
		if (s < e)
			bitmap_assign(avail, (s - lo) >> PAGE_SHIFT,
				      (e - lo) >> PAGE_SHIFT, false);
	}
	bitmap_assign(avail, (meta_pa - lo) >> PAGE_SHIFT,
		      ((meta_pa - lo) >> PAGE_SHIFT) + meta_frames, false);

	for (w = 0; w < nwords; w++) {
		used[w] = ~avail[w];
		total += word_weight(avail[w]);
	}
	/* Firmware RAM: managed, but held until frame_release_firmware(). */
	for (i = 0; i < n; i++) {
		if (map[i].type == BOOT_MEM_FIRMWARE_RECLAIM &&
		    frame_region_managed(&map[i], &s, &e)) {
			held += frame_count_bits(avail, (s - lo) >> PAGE_SHIFT,
						 (e - lo) >> PAGE_SHIFT);
			bitmap_assign(used, (s - lo) >> PAGE_SHIFT,
				      (e - lo) >> PAGE_SHIFT, true);
		}
	}
	if (total == held) {
		pr_err("frame: no usable RAM left beside the bitmaps");
		return -ENOMEM;
	}

	flags = spin_lock_irqsave(&frame_lock);
	frames.avail = avail;
	frames.used = used;
	frames.base_pfn = lo >> PAGE_SHIFT;
	frames.nbits = nbits;
	WRITE_ONCE(frames.total, total);
	WRITE_ONCE(frames.meta_frames, meta_frames);
	frames.first_free_word = 0;
	frames.firmware_held = held != 0;
	WRITE_ONCE(frames.nfree, total - held);
	spin_unlock_irqrestore(&frame_lock, flags);

	pr_info("frame: %llu MiB usable in [%#llx, %#llx), bitmaps %llu KiB at %#llx",
		(unsigned long long)(total << PAGE_SHIFT) >> 20,
		(unsigned long long)lo, (unsigned long long)hi,
		(unsigned long long)(meta_frames << PAGE_SHIFT) >> 10,
		(unsigned long long)meta_pa);
	return 0;
}

/* ------------------------------------------------------------------------
 * Allocation and release. The __ helpers need frame_lock held.
 */

static void __frame_take(uint64_t bit, uint64_t count)
{
	bitmap_assign(frames.used, bit, bit + count, true);
	WRITE_ONCE(frames.nfree, frames.nfree - count);
	platform_frames_taken(frame_bit_to_pa(bit), count);
}

/*
 * The platform hears of the free first: once the bits are clear, another
 * CPU may take the frames, and its platform_frames_taken() must come
 * after our platform_frames_freed(). frame_lock orders the two.
 */
static void __frame_give(uint64_t bit, uint64_t count)
{
	platform_frames_freed(frame_bit_to_pa(bit), count);
	bitmap_assign(frames.used, bit, bit + count, false);
	WRITE_ONCE(frames.nfree, frames.nfree + count);
	frames.first_free_word = MIN(frames.first_free_word, bit / WORD_BITS);
}

/*
 * First free frame with index below @end, or FRAME_NONE. Moves the hint to
 * the word where it was found: nothing below it is free.
 */
static uint64_t __frame_find_one(uint64_t end)
{
	uint64_t bit;

	bit = bitmap_find(frames.used, frames.first_free_word * WORD_BITS,
			  end, false);
	if (bit != FRAME_NONE)
		frames.first_free_word = bit / WORD_BITS;
	return bit;
}

/* Smallest bit >= @bit whose frame number is a multiple of @align. */
static uint64_t frame_align_bit(uint64_t bit, uint64_t align)
{
	uint64_t pfn;

	if (__builtin_add_overflow(frames.base_pfn + bit, align - 1, &pfn))
		return FRAME_NONE;
	return (pfn & ~(align - 1)) - frames.base_pfn;
}

/* First run of @count free frames aligned to @align frames, or FRAME_NONE. */
static uint64_t __frame_find_run(uint64_t count, uint64_t align)
{
	uint64_t last_start, bit, busy;

	if (count > frames.nbits)
		return FRAME_NONE;
	last_start = frames.nbits - count;
	bit = __frame_find_one(last_start + 1);
	while (bit != FRAME_NONE) {
		bit = frame_align_bit(bit, align);
		if (bit == FRAME_NONE || bit > last_start)
			return FRAME_NONE;
		busy = bitmap_find(frames.used, bit, bit + count, true);
		if (busy == FRAME_NONE)
			return bit;
		bit = bitmap_find(frames.used, busy + 1, last_start + 1, false);
	}
	return FRAME_NONE;
}

int frame_alloc(paddr_t *out)
{
	unsigned long flags;
	uint64_t bit;

	flags = spin_lock_irqsave(&frame_lock);
	bit = __frame_find_one(frames.nbits);
	if (bit == FRAME_NONE) {
		spin_unlock_irqrestore(&frame_lock, flags);
		return -ENOMEM;
	}
	__frame_take(bit, 1);
	spin_unlock_irqrestore(&frame_lock, flags);
	*out = frame_bit_to_pa(bit);
	return 0;
}

int frame_alloc_zeroed(paddr_t *out)
{
	int err = frame_alloc(out);

	if (!err)
		memset(phys_to_virt(*out), 0, PAGE_SIZE);
	return err;
}

int frame_alloc_contig(size_t count, size_t align_frames, paddr_t *out)
{
	unsigned long flags;
	uint64_t bit;

	if (!count || !align_frames || (align_frames & (align_frames - 1)))
		return -EINVAL;
	flags = spin_lock_irqsave(&frame_lock);
	bit = __frame_find_run(count, align_frames);
	if (bit == FRAME_NONE) {
		spin_unlock_irqrestore(&frame_lock, flags);
		return -ENOMEM;
	}
	__frame_take(bit, count);
	spin_unlock_irqrestore(&frame_lock, flags);
	*out = frame_bit_to_pa(bit);
	return 0;
}

int frame_alloc_below(paddr_t limit, paddr_t *out)
{
	uint64_t limit_pfn = limit >> PAGE_SHIFT;
	unsigned long flags;
	uint64_t bit = FRAME_NONE;

	flags = spin_lock_irqsave(&frame_lock);
	if (limit_pfn > frames.base_pfn)
		bit = __frame_find_one(MIN(frames.nbits,
					   limit_pfn - frames.base_pfn));
	if (bit == FRAME_NONE) {
		spin_unlock_irqrestore(&frame_lock, flags);
		return -ENOMEM;
	}
	__frame_take(bit, 1);
	spin_unlock_irqrestore(&frame_lock, flags);
	*out = frame_bit_to_pa(bit);
	return 0;
}

void frame_free_contig(paddr_t pa, size_t count)
{
	uint64_t pfn = pa >> PAGE_SHIFT, bit, bad;
	unsigned long flags;

	flags = spin_lock_irqsave(&frame_lock);
	if (!count || !IS_ALIGNED(pa, PAGE_SIZE) || pfn < frames.base_pfn ||
	    pfn - frames.base_pfn >= frames.nbits ||
	    count > frames.nbits - (pfn - frames.base_pfn))
		panic("frame: freeing %#llx (%zu frames): not managed here",
		      (unsigned long long)pa, count);

	bit = pfn - frames.base_pfn;
	bad = bitmap_find(frames.avail, bit, bit + count, false);
	if (bad != FRAME_NONE)
		panic("frame: freeing %#llx: not RAM managed here",
		      (unsigned long long)frame_bit_to_pa(bad));
	bad = bitmap_find(frames.used, bit, bit + count, false);
	if (bad != FRAME_NONE)
		panic("frame: freeing %#llx: not allocated (double free?)",
		      (unsigned long long)frame_bit_to_pa(bad));

	__frame_give(bit, count);
	spin_unlock_irqrestore(&frame_lock, flags);
}

void frame_free(paddr_t pa)
{
	frame_free_contig(pa, 1);
}

int frame_release_firmware(const struct boot_mem_region *map, size_t n)
{
	uint64_t lo = frames.base_pfn << PAGE_SHIFT;
	uint64_t hi = lo + (frames.nbits << PAGE_SHIFT);
	uint64_t s, e, bit, released = 0;
	unsigned long flags;
	size_t i;

	flags = spin_lock_irqsave(&frame_lock);
	if (!frames.firmware_held) {
		spin_unlock_irqrestore(&frame_lock, flags);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (map[i].type != BOOT_MEM_FIRMWARE_RECLAIM ||
		    !frame_region_managed(&map[i], &s, &e))
			continue;
		s = MAX(s, lo);
		e = MIN(e, hi);
		for (; s < e; s += PAGE_SIZE) {
			bit = (s - lo) >> PAGE_SHIFT;
			if (test_bit(bit, frames.avail) && test_bit(bit, frames.used)) {
				__frame_give(bit, 1);
				released++;
			}
		}
	}
	frames.firmware_held = false;
	spin_unlock_irqrestore(&frame_lock, flags);
	return (int)MIN(released, (uint64_t)INT32_MAX);
}

/* ------------------------------------------------------------------------
 * Statistics: lock-free snapshots.
 */

uint64_t frame_free_count(void)
{
	return READ_ONCE(frames.nfree);
}

uint64_t frame_total_count(void)
{
	return READ_ONCE(frames.total);
}

uint64_t frame_usable_bytes(void)
{
	return (READ_ONCE(frames.total) + READ_ONCE(frames.meta_frames))
		<< PAGE_SHIFT;
}
