/*
 * Heap for small objects.
 *
 * Runs on any CPU, any context. Each size class has its own spinlock,
 * taken with interrupts off; no heap lock is held while frame_lock is taken
 * (new slabs are allocated, and empty ones released, outside the class
 * lock), so the heap adds no lock ordering of its own.
 *
 * Layout. All heap memory comes from the frame allocator, and the first
 * bytes of the frame holding a pointer p (p's physical address rounded
 * down to 4 KiB) say what p is:
 *
 *   slab   struct heap_slab (64 bytes), then objects of one size class
 *          packed in the remaining 4032 bytes. Free objects of a slab are
 *          on the slab's free list.
 *   large  struct heap_large (16 bytes), then the object: a request above
 *          HEAP_SMALL_MAX takes ceil((size + 16) / 4 KiB) contiguous frames
 *          (any alignment), returned to the frame allocator by kfree().
 *
 * Both headers start with a tag, the frame's physical address XORed with a
 * per-kind key; a released frame has tag 0. The class sizes are multiples
 * of 16 from 16 to 2016; above 256 bytes each is 4032 / n rounded down
 * (2016, 1344, 1008, ... for 2, 3, 4... objects a slab), so a slab wastes
 * at most 192 bytes and every object lies on a 16-byte boundary. Powers
 * of two would waste half a slab for 2048-byte objects once the header
 * sits in the page.
 *
 * Each class keeps the slabs that have a free object on its partial list,
 * full slabs on no list, and at most one empty slab as a spare; a slab
 * that empties while a spare exists goes back to the frame allocator.
 *
 * Checks (cheap, and each a panic naming the pointer): kfree() of a
 * pointer whose frame has no valid tag, that is not the start of an
 * object, or that is freed twice. A free object carries its free-list link
 * and a check word derived from the link and its own address; allocation
 * verifies the word (a write after free is caught when the object is
 * reused), and kfree() of an object whose check word is already valid
 * walks the slab's free list to tell a double free from a coincidence.
 * A double free after the slab or the large object went back to the frame
 * allocator is caught only while the frames stay free. A pointer into the
 * second or later frame of a large object is read as user data and caught
 * unless that data happens to hold a valid tag.
 */
#include "mm/heap.h"
#include "mm/frame.h"
#include "asm/atomic.h"
#include "core/lib/log.h"
#include "core/lib/spinlock.h"
#include "core/lib/string.h"

#define HEAP_ALIGN     16u
#define HEAP_SLAB_HDR  64u
#define HEAP_SLAB_ROOM (PAGE_SIZE - HEAP_SLAB_HDR)
#define HEAP_LARGE_HDR 16u

/* Keys for the tags and check words; arbitrary, unlikely as data. */
#define HEAP_SLAB_KEY  0x51ab51ab0000c0deull
#define HEAP_LARGE_KEY 0x1a12e1a12e00beefull
#define HEAP_FREE_KEY  0xf1eef1eef1eef1eeull

/* Object sizes, ascending; from 336 up, 4032 / n rounded down to 16. */
#define HEAP_CLASS_SIZES(X) \
	X(16) X(32) X(48) X(64) X(96) X(128) X(192) X(256) X(336) X(448) \
	X(576) X(800) X(1008) X(1344) X(2016)

struct heap_class;

/* A free object: the first 16 bytes of it, while it is free. */
struct heap_free {
	struct heap_free *next;
	uint64_t check;		/* heap_free_check(this, next) */
};

struct heap_slab {
	/* Set when the slab is created, constant until it is released. */
	uint64_t tag;		/* frame pa ^ HEAP_SLAB_KEY; 0 once released */
	struct heap_class *cls;
	uint32_t capacity;	/* objects in the slab */

	/* cls->lock protects these. */
	uint32_t inuse;
	struct heap_free *free;
	struct heap_slab *prev, *next;	/* on cls->partial */
};

struct heap_large {
	uint64_t tag;		/* first frame pa ^ HEAP_LARGE_KEY; 0 once freed */
	uint64_t nframes;
};

struct heap_class {
	spinlock_t lock;
	uint32_t size;		/* constant */

	/* lock protects these. */
	struct heap_slab *partial;	/* slabs with a free object, in use */
	struct heap_slab *spare;	/* an empty slab kept back, or NULL */
	uint64_t nslabs;
	uint64_t inuse;
} __aligned(64);

#define HEAP_CLASS_INIT(sz) { .lock = SPINLOCK_INIT, .size = (sz) },
#define HEAP_CLASS_CHECK(sz) \
	_Static_assert((sz) % HEAP_ALIGN == 0 && (sz) <= HEAP_SMALL_MAX && \
		       (sz) >= sizeof(struct heap_free), \
		       "bad heap class size " #sz);

static struct heap_class heap_classes[] = { HEAP_CLASS_SIZES(HEAP_CLASS_INIT) };

HEAP_CLASS_SIZES(HEAP_CLASS_CHECK)
_Static_assert(ARRAY_SIZE(heap_classes) == HEAP_NR_CLASSES,
	       "HEAP_NR_CLASSES does not match the class table");
_Static_assert(sizeof(struct heap_slab) <= HEAP_SLAB_HDR,
	       "slab header overlaps the first object");
_Static_assert(sizeof(struct heap_large) == HEAP_LARGE_HDR,
	       "large header must keep objects 16-byte aligned");
_Static_assert(HEAP_SLAB_HDR % HEAP_ALIGN == 0 &&
	       HEAP_LARGE_HDR % HEAP_ALIGN == 0, "objects must stay aligned");

/* Large allocations in flight; atomics, for heap_stats() only. */
static uint64_t heap_large_objects;
static uint64_t heap_large_frames;

/* ------------------------------------------------------------------------
 * Helpers.
 */

static uint64_t heap_free_check(const struct heap_free *obj,
				const struct heap_free *next)
{
	return (uintptr_t)obj ^ (uintptr_t)next ^ HEAP_FREE_KEY;
}

/* The smallest class that holds @size bytes, size <= HEAP_SMALL_MAX. */
static struct heap_class *heap_class_for(size_t size)
{
	unsigned int lo = 0, hi = HEAP_NR_CLASSES - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (heap_classes[mid].size >= size)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &heap_classes[lo];
}

static void __heap_partial_add(struct heap_class *c, struct heap_slab *slab)
{
	slab->prev = NULL;
	slab->next = c->partial;
	if (c->partial)
		c->partial->prev = slab;
	c->partial = slab;
}

static void __heap_partial_del(struct heap_class *c, struct heap_slab *slab)
{
	if (slab->prev)
		slab->prev->next = slab->next;
	else
		c->partial = slab->next;
	if (slab->next)
		slab->next->prev = slab->prev;
	slab->prev = slab->next = NULL;
}

/*
 * Allocates @nframes contiguous frames. If the frame allocator is dry,
 * releases the spare slabs and tries once more (unless the request could
 * never be met, or there was nothing to release).
 */
static int heap_frames_alloc(uint64_t nframes, paddr_t *pa)
{
	int err = frame_alloc_contig(nframes, 1, pa);

	if (err && nframes <= frame_total_count() && heap_trim())
		err = frame_alloc_contig(nframes, 1, pa);
	return err;
}

/* ------------------------------------------------------------------------
 * Slabs.
 */

/* A new slab for @c with every object free, not on any list; or NULL. */
static struct heap_slab *heap_slab_create(struct heap_class *c)
{
	struct heap_slab *slab;
	struct heap_free *obj, *next = NULL;
	uint32_t i;
	paddr_t pa;

	if (heap_frames_alloc(1, &pa))
		return NULL;
	slab = phys_to_virt(pa);
	slab->tag = pa ^ HEAP_SLAB_KEY;
	slab->cls = c;
	slab->capacity = HEAP_SLAB_ROOM / c->size;
	slab->inuse = 0;
	slab->prev = slab->next = NULL;
	/* Threaded from the last object down: handed out in address order. */
	for (i = slab->capacity; i-- > 0;) {
		obj = (void *)((char *)slab + HEAP_SLAB_HDR + i * c->size);
		obj->next = next;
		obj->check = heap_free_check(obj, next);
		next = obj;
	}
	slab->free = next;
	return slab;
}

/* Takes an object from the partial list or the spare; NULL if neither. */
static void *__heap_class_pop(struct heap_class *c)
{
	struct heap_slab *slab = c->partial;
	struct heap_free *obj;

	spin_assert_held(&c->lock);
	if (!slab) {
		slab = c->spare;
		if (!slab)
			return NULL;
		c->spare = NULL;
		__heap_partial_add(c, slab);
	}

	obj = slab->free;
	if (unlikely(obj->check != heap_free_check(obj, obj->next)))
		panic("heap: free %u-byte object %p overwritten (use after free?)",
		      c->size, (void *)obj);
	slab->free = obj->next;
	slab->inuse++;
	if (!slab->free)
		__heap_partial_del(c, slab);
	c->inuse++;
	return obj;
}

static void *heap_small_alloc(struct heap_class *c)
{
	struct heap_slab *slab;
	unsigned long flags;
	void *obj;

	flags = spin_lock_irqsave(&c->lock);
	obj = __heap_class_pop(c);
	spin_unlock_irqrestore(&c->lock, flags);
	if (obj)
		return obj;

	/*
	 * Slow path, without the lock: another CPU may add a slab meanwhile,
	 * which only leaves one more partial slab.
	 */
	slab = heap_slab_create(c);
	if (!slab)
		return NULL;
	flags = spin_lock_irqsave(&c->lock);
	c->nslabs++;
	__heap_partial_add(c, slab);
	obj = __heap_class_pop(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return obj;
}

/* True if @obj is on @slab's free list. */
static bool __heap_slab_holds_free(const struct heap_slab *slab,
				   const struct heap_free *obj)
{
	const struct heap_free *f;
	uint32_t n = 0;

	for (f = slab->free; f && n <= slab->capacity; f = f->next, n++) {
		if (f == obj)
			return true;
	}
	return false;
}

static void heap_small_free(struct heap_slab *slab, void *p)
{
	struct heap_class *c = slab->cls;
	struct heap_free *obj = p;
	struct heap_slab *release = NULL;
	uintptr_t idx, off;
	unsigned long flags;

	idx = ((uintptr_t)c - (uintptr_t)heap_classes) / sizeof(*c);
	if (idx >= HEAP_NR_CLASSES || c != &heap_classes[idx])
		panic("kfree(%p): slab header corrupted", p);
	off = (uintptr_t)p - (uintptr_t)slab;
	if (off < HEAP_SLAB_HDR || (off - HEAP_SLAB_HDR) % c->size ||
	    (off - HEAP_SLAB_HDR) / c->size >= slab->capacity)
		panic("kfree(%p): not the start of a %u-byte heap object",
		      p, c->size);

	flags = spin_lock_irqsave(&c->lock);
	if (obj->check == heap_free_check(obj, obj->next) &&
	    __heap_slab_holds_free(slab, obj))
		panic("kfree(%p): double free of a %u-byte object", p, c->size);

	if (!slab->free)
		__heap_partial_add(c, slab);	/* was full */
	obj->next = slab->free;
	obj->check = heap_free_check(obj, obj->next);
	slab->free = obj;
	slab->inuse--;
	c->inuse--;

	if (!slab->inuse) {
		__heap_partial_del(c, slab);
		if (!c->spare) {
			c->spare = slab;
		} else {
			slab->tag = 0;
			c->nslabs--;
			release = slab;
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);

	if (release)
		frame_free(virt_to_phys(release));
}

/* ------------------------------------------------------------------------
 * Large objects.
 */

static void *heap_large_alloc(size_t size)
{
	struct heap_large *hdr;
	uint64_t nframes;
	paddr_t pa;

	if (size > FRAME_PHYS_LIMIT)
		return NULL;
	nframes = (size + HEAP_LARGE_HDR + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (heap_frames_alloc(nframes, &pa))
		return NULL;
	hdr = phys_to_virt(pa);
	hdr->tag = pa ^ HEAP_LARGE_KEY;
	hdr->nframes = nframes;
	atomic_fetch_add(&heap_large_objects, 1);
	atomic_fetch_add(&heap_large_frames, nframes);
	return hdr + 1;
}

static void heap_large_free(struct heap_large *hdr, void *p)
{
	paddr_t pa = virt_to_phys(hdr);
	uint64_t nframes = hdr->nframes;

	if (p != hdr + 1)
		panic("kfree(%p): inside a large heap object at %p",
		      p, (void *)(hdr + 1));
	if (!nframes || nframes > FRAME_PHYS_LIMIT >> PAGE_SHIFT)
		panic("kfree(%p): large object header corrupted", p);
	hdr->tag = 0;
	atomic_fetch_sub(&heap_large_objects, 1);
	atomic_fetch_sub(&heap_large_frames, nframes);
	frame_free_contig(pa, nframes);
}

/* ------------------------------------------------------------------------
 * Interface.
 */

void heap_init(void)
{
	unsigned int i;

	for (i = 0; i < HEAP_NR_CLASSES; i++) {
		struct heap_class *c = &heap_classes[i];
		unsigned long flags = spin_lock_irqsave(&c->lock);

		c->partial = NULL;
		c->spare = NULL;
		c->nslabs = 0;
		c->inuse = 0;
		spin_unlock_irqrestore(&c->lock, flags);
	}
	atomic_store(&heap_large_objects, 0);
	atomic_store(&heap_large_frames, 0);
}

void *kmalloc(size_t size)
{
	if (size <= HEAP_SMALL_MAX)
		return heap_small_alloc(heap_class_for(size));
	return heap_large_alloc(size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes);
}

void kfree(void *p)
{
	paddr_t page_pa;
	uint64_t tag;
	void *page;

	if (!p)
		return;
	if (!IS_ALIGNED((uintptr_t)p, HEAP_ALIGN))
		panic("kfree(%p): misaligned, not a heap pointer", p);
	page_pa = virt_to_phys(p) & PAGE_MASK;
	page = phys_to_virt(page_pa);
	tag = *(const uint64_t *)page;
	if (tag == (page_pa ^ HEAP_SLAB_KEY))
		heap_small_free(page, p);
	else if (tag == (page_pa ^ HEAP_LARGE_KEY))
		heap_large_free(page, p);
	else
		panic("kfree(%p): not a heap pointer, or already freed", p);
}

uint64_t heap_trim(void)
{
	struct heap_slab *slab;
	uint64_t released = 0;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < HEAP_NR_CLASSES; i++) {
		struct heap_class *c = &heap_classes[i];

		flags = spin_lock_irqsave(&c->lock);
		slab = c->spare;
		if (slab) {
			c->spare = NULL;
			c->nslabs--;
			slab->tag = 0;
		}
		spin_unlock_irqrestore(&c->lock, flags);
		if (slab) {
			frame_free(virt_to_phys(slab));
			released++;
		}
	}
	return released;
}

void heap_stats(struct heap_stats *st)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < HEAP_NR_CLASSES; i++) {
		struct heap_class *c = &heap_classes[i];

		flags = spin_lock_irqsave(&c->lock);
		st->classes[i].size = c->size;
		st->classes[i].slabs = c->nslabs;
		st->classes[i].objects = c->inuse;
		st->classes[i].capacity = c->nslabs * (HEAP_SLAB_ROOM / c->size);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	st->large_objects = atomic_load(&heap_large_objects);
	st->large_frames = atomic_load(&heap_large_frames);
}
