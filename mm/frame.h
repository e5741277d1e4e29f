/*
 * Physical frame allocator: hands out 4 KiB frames of the RAM that the boot
 * memory map declares usable.
 *
 * Runs on any CPU, in any context (interrupt handlers included) once
 * frame_init() has returned; every entry point takes frame_lock, a leaf
 * spinlock, with interrupts off, and may be called with other locks held.
 * frame_init() runs once on the boot CPU before the other CPUs are started
 * (hosted tests call it again to start from a clean state).
 *
 * Frames are returned by physical address and are reached through
 * phys_to_virt(). They are not zeroed unless the _zeroed variant is used.
 */
#ifndef MM_FRAME_H
#define MM_FRAME_H

#include "core/lib/boot.h"
#include "core/lib/platform.h"

/* Frames below this address are never handed out (BIOS area, trampoline). */
#define FRAME_LOW_LIMIT MiB(1)

/* No physical address reaches this (architectural MAXPHYADDR is 52 bits). */
#define FRAME_PHYS_LIMIT (1ull << 52)

/*
 * Builds the allocator from the boot memory map.
 *
 * Free RAM is every BOOT_MEM_USABLE region of @map (page-aligned inward),
 * less every other region of @map, every range in @reserved (both rounded
 * outward to whole frames) and everything below FRAME_LOW_LIMIT. Entries
 * may be unsorted and may overlap; memory that any non-usable entry covers
 * is not used. Zero-sized entries are ignored. The bookkeeping bitmap is
 * carved out of the lowest free range large enough to hold it.
 *
 * Any previous state is discarded (frames handed out before are forgotten):
 * callers must not be using the allocator concurrently.
 *
 * Returns 0, -EINVAL if an entry wraps around the address space, a usable
 * entry lies beyond FRAME_PHYS_LIMIT or an array is NULL with a non-zero
 * count, or -ENOMEM if no usable frame remains or none of the free ranges
 * can hold the bitmap. On error the allocator is left empty: every
 * allocation fails with -ENOMEM until a successful frame_init().
 */
int frame_init(const struct boot_mem_region *map, size_t n,
	       const struct boot_mem_region *reserved, size_t n_reserved);

/*
 * Hands the BOOT_MEM_FIRMWARE_RECLAIM regions of @map (the map given to
 * frame_init()) to the allocator: call it once the firmware's page
 * tables, descriptor tables and stack are no longer in use. Frames that
 * are also reserved or outside the managed span stay out. Returns the
 * number of frames released; a second call releases nothing.
 */
int frame_release_firmware(const struct boot_mem_region *map, size_t n);

/*
 * Allocates one frame (contents undefined) and stores its address in *@out.
 * Returns 0, or -ENOMEM with *@out and the allocator unchanged.
 */
int frame_alloc(paddr_t *out);

/* As frame_alloc(), but the frame is filled with zeroes. */
int frame_alloc_zeroed(paddr_t *out);

/*
 * Allocates @count physically contiguous frames whose first address is a
 * multiple of @align_frames * PAGE_SIZE, contents undefined.
 * Returns 0, -EINVAL if @count is 0 or @align_frames is not a power of two,
 * or -ENOMEM if no such run is free; nothing changes on error.
 */
int frame_alloc_contig(size_t count, size_t align_frames, paddr_t *out);

/*
 * Allocates one frame that lies entirely below @limit (its last byte is
 * below @limit), e.g. for structures that need 32-bit physical addresses.
 * Returns 0 or -ENOMEM; nothing changes on error.
 */
int frame_alloc_below(paddr_t limit, paddr_t *out);

/*
 * Returns a frame obtained from one of the allocation functions. Freeing a
 * frame that is not allocated, not page-aligned or not managed here is a
 * hypervisor bug and panics with the address. From then on the frame's
 * contents are undefined: the platform hears of the free
 * (platform_frames_freed()), and the hosted build overwrites and poisons
 * the frame.
 */
void frame_free(paddr_t pa);

/*
 * Returns @count frames starting at @pa, all of which must be allocated
 * (typically one frame_alloc_contig() block, or part of one). Checked as
 * frame_free() does, before anything is released.
 */
void frame_free_contig(paddr_t pa, size_t count);

/* Frames free now; a snapshot that may be stale by the time it is read. */
uint64_t frame_free_count(void);

/* Frames managed: usable RAM less the frames holding the bitmap. */
uint64_t frame_total_count(void);

/*
 * Bytes of usable RAM found by frame_init(): the frames managed plus the
 * frames holding the bitmap.
 */
uint64_t frame_usable_bytes(void);

#endif
