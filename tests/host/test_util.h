/*
 * Helpers shared by the hosted tests: bounded spin-waits for another
 * thread, the xorshift generator behind their reproducible random
 * choices, and the heap on a host arena. One copy here instead of one per
 * test file (check.h has the harness and the worker threads).
 *
 * Waits give the CPU away with shim_pause() between looks and give up
 * after TEST_WAIT_NS, so that a thread that never arrives fails the case
 * instead of hanging it.
 */
#ifndef TESTS_HOST_TEST_UTIL_H
#define TESTS_HOST_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "asm/atomic.h"
#include "core/lib/platform.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"

#define TEST_WAIT_NS 10000000000ull	/* bound on any wait for a thread */
#define TEST_HOLD_NS 30000000ull	/* how long "still blocked" is watched */

/*
 * Waits until (*p & mask) == v, at most TEST_WAIT_NS. True if it got
 * there. A relaxed load: the handshake orders nothing by itself.
 */
static inline bool wait_mask_u32(const uint32_t *p, uint32_t mask, uint32_t v)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while ((atomic_load(p) & mask) != v) {
		if (time_now_ns() > deadline)
			return false;
		shim_pause();
	}
	return true;
}

/* Waits until *p == v, at most TEST_WAIT_NS. True if it got there. */
static inline bool wait_u32(const uint32_t *p, uint32_t v)
{
	return wait_mask_u32(p, ~0u, v);
}

/*
 * As wait_u32(), with an acquire load: what the thread that stored v did
 * before its (release) store is visible to the caller afterwards.
 */
static inline bool wait_u32_acquire(const uint32_t *p, uint32_t v)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while (smp_load_acquire(p) != v) {
		if (time_now_ns() > deadline)
			return false;
		shim_pause();
	}
	return true;
}

/* Waits until *p == v, at most TEST_WAIT_NS. True if it got there. */
static inline bool wait_ul(const unsigned long *p, unsigned long v)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while (atomic_load(p) != v) {
		if (time_now_ns() > deadline)
			return false;
		shim_pause();
	}
	return true;
}

/* True if *p stays different from v for TEST_HOLD_NS. */
static inline bool stays_not(const unsigned long *p, unsigned long v)
{
	uint64_t deadline = time_now_ns() + TEST_HOLD_NS;

	while (time_now_ns() < deadline) {
		if (atomic_load(p) == v)
			return false;
		shim_pause();
	}
	return true;
}

/* xorshift64 (13, 7, 17): reproducible choices; *state must not be 0. */
static inline uint64_t rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/*
 * The frame allocator and the heap over the n regions of @map (a host
 * arena from shim_phys_arena() standing for physical memory), for code
 * under test that allocates. @map must outlive the test.
 */
static inline void setup_heap_on(const struct boot_mem_region *map, size_t n)
{
	CHECK_EQ(frame_init(map, n, NULL, 0), 0);
	heap_init();
}

/* A choice in [0, n), n > 0. */
static inline uint64_t rand_below(uint64_t *state, uint64_t n)
{
	return rand_next(state) % n;
}

#endif
