/*
 * Atomics and memory barriers for x86-64, on GCC's __atomic builtins so that
 * the same code is understood by ThreadSanitizer in the hosted build.
 *
 * x86 is TSO: loads are not reordered with loads, stores not with stores,
 * and a store may pass a later load only. smp_mb() is therefore the only
 * barrier that emits an instruction; acquire/release are compiler barriers
 * on the hardware but still tell the compiler (and TSan) what is meant.
 */
#ifndef ASM_ATOMIC_H
#define ASM_ATOMIC_H

#include "core/lib/compiler.h"

/* Full barrier: orders earlier stores before later loads. */
#define smp_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#define smp_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define atomic_load(p)      __atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_store(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Read-modify-write helpers; all are full barriers (LOCK prefix). */
#define atomic_fetch_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_sub(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define atomic_add_return(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_sub_return(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_or(p, v)  __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_and(p, v) __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define atomic_xchg(p, v)      __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

/*
 * Compare-and-exchange. Returns true if *p held *old and now holds new;
 * otherwise *old is updated with the value found.
 */
#define atomic_try_cmpxchg(p, old, new) \
	__atomic_compare_exchange_n((p), (old), (new), false, \
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

/* Returns the value found at *p (equal to old on success). */
#define atomic_cmpxchg(p, old, new) ({ \
	__typeof__(*(p)) __old = (old); \
	atomic_try_cmpxchg((p), &__old, (new)); \
	__old; })

static __always_inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/* Bit operations on an array of 64-bit words. */
static inline void set_bit_atomic(unsigned long nr, uint64_t *map)
{
	atomic_fetch_or(&map[nr / 64], 1ull << (nr % 64));
}

static inline void clear_bit_atomic(unsigned long nr, uint64_t *map)
{
	atomic_fetch_and(&map[nr / 64], ~(1ull << (nr % 64)));
}

static inline bool test_and_set_bit_atomic(unsigned long nr, uint64_t *map)
{
	uint64_t m = 1ull << (nr % 64);
	return atomic_fetch_or(&map[nr / 64], m) & m;
}

static inline bool test_and_clear_bit_atomic(unsigned long nr, uint64_t *map)
{
	uint64_t m = 1ull << (nr % 64);
	return atomic_fetch_and(&map[nr / 64], ~m) & m;
}

/* Sets or clears bit nr of a byte-addressed bitmap (hardware permission maps). */
static inline void bitmap_assign_bit(uint8_t *map, size_t nr, bool on)
{
	if (on)
		map[nr / 8] |= (uint8_t)(1u << (nr % 8));
	else
		map[nr / 8] &= (uint8_t)~(1u << (nr % 8));
}

static inline bool test_bit(unsigned long nr, const uint64_t *map)
{
	return (atomic_load(&map[nr / 64]) >> (nr % 64)) & 1;
}

#endif
