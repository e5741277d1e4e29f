/*
 * Heap for small objects, on top of the frame allocator.
 *
 * Runs on any CPU, in any context (interrupt handlers included) once
 * frame_init() and heap_init() have run; takes only its own per-size-class
 * leaf spinlocks (interrupts off) and frame_lock, never both at once.
 *
 * Every pointer returned is 16-byte aligned. Memory is not zeroed unless
 * the z/c variant is used. kmalloc() is meant for objects: whole pages for
 * hardware structures (VMCS, page tables, bitmaps) come from frame_alloc(),
 * which wastes nothing on a header.
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include "core/lib/compiler.h"

/*
 * Requests up to HEAP_SMALL_MAX bytes are served from HEAP_NR_CLASSES size
 * classes (16 ... 2016 bytes, see heap.c); larger ones take whole frames,
 * ceil((size + 16) / 4 KiB) of them.
 */
#define HEAP_NR_CLASSES 15
#define HEAP_SMALL_MAX  2016

/*
 * Resets the heap to empty. Call once on the boot CPU after frame_init();
 * a second call forgets every object and slab without freeing them (for
 * tests that also call frame_init() again).
 */
void heap_init(void);

/*
 * Returns @size bytes (contents undefined), or NULL if memory is exhausted
 * or @size is absurd; nothing changes on failure. kmalloc(0) returns a
 * valid minimum-size object, to be passed to kfree() like any other.
 */
void *kmalloc(size_t size);

/* As kmalloc(), zero-filled. */
void *kzalloc(size_t size);

/* Zero-filled array of @n elements of @size bytes; NULL if n * size overflows. */
void *kcalloc(size_t n, size_t size);

/*
 * Returns an object obtained from kmalloc()/kzalloc()/kcalloc(). NULL is
 * ignored. A pointer the heap did not hand out, or one freed twice, is a
 * hypervisor bug: detected where cheaply possible, and panics.
 */
void kfree(void *p);

/*
 * Releases the frames of slabs that hold no object (one spare slab per
 * class is kept otherwise) and returns how many. Done automatically when
 * the frame allocator runs dry; callable anywhere.
 */
uint64_t heap_trim(void);

struct heap_stats {
	struct {
		uint32_t size;		/* object size of the class */
		uint64_t slabs;		/* slabs of the class, spare included */
		uint64_t objects;	/* objects in use */
		uint64_t capacity;	/* objects the slabs can hold */
	} classes[HEAP_NR_CLASSES];
	uint64_t large_objects;		/* allocations above HEAP_SMALL_MAX */
	uint64_t large_frames;		/* frames they hold */
};

/* Snapshot of the heap's usage; each class is consistent on its own. */
void heap_stats(struct heap_stats *st);

#endif
