/*
 * Shared set-up of the TDP MMU hosted tests (tests/host/test_tdp_*.c):
 * one VM's memslots and TDP MMU over a physical memory that is a host arena, threads that
 * stand for vCPUs, and a model of a vCPU in guest mode.
 *
 * Physical memory: a 64 MiB arena. [0, 32 MiB) is RAM for the frame
 * allocator (page tables, heap); [32 MiB, 64 MiB) is guest RAM, which the
 * allocator never hands out, for memslots to point at. Slots whose memory
 * is never touched (1 GiB leaves) may point beyond the arena: the MMU
 * itself never reads guest memory.
 *
 * Guest mode. Hardware walks the tables while a vCPU runs; a remote TLB
 * flush with WAIT returns once every vCPU that was in guest mode has
 * left it. Here a vCPU in guest mode holds a read section of a test-only
 * srcu domain (th.guest), inside which it walks the tables with
 * tdp_mmu_walk() and touches the frame it found; the MMU's flush hook is
 * srcu_synchronize() on that domain. So a translation found in guest mode
 * can be used until the section ends, exactly as a TLB entry can be used
 * until the flush, and after a zap returns no guest-mode access uses what
 * it removed. (The real vCPU holds no memslots read section in guest
 * mode; neither does this model: the two domains are distinct.)
 */
#ifndef TESTS_HOST_TEST_TDP_HARNESS_H
#define TESTS_HOST_TEST_TDP_HARNESS_H

#include <pthread.h>
#include <sched.h>

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/memslots.h"
#include "core/srcu.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/tdp_iter.h"
#include "mm/tdp_mmu.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define TH_ARENA_SIZE    MiB(64)
#define TH_RAM_SIZE      MiB(32)
#define TH_GUEST_BASE    MiB(32)		/* host address of guest RAM */
#define TH_GUEST_SIZE    MiB(32)
#define TH_MAX_VCPUS     16
/* Bound on the re-entries of one access (RETRY is a lost race). */
#define TH_MAX_REFAULTS  100000

struct th_vcpu {
	struct srcu_reader slots_r;	/* memslots domain: faults */
	struct srcu_reader guest_r;	/* th.guest: guest mode */
	unsigned int cpu;
	uint64_t rng;
};

struct th_state {
	struct vm_memslots slots;
	struct tdp_mmu mmu;
	struct srcu_struct guest;
	struct th_vcpu vcpu[TH_MAX_VCPUS];
	unsigned int nr_vcpus;
	uint64_t flushes;		/* atomic */
	/*
	 * Optional, single-threaded cases only: called first by every flush;
	 * false holds that flush back (it does nothing and is not counted),
	 * as a sweep's flush that has not happened yet. NULL: every flush
	 * goes through.
	 */
	bool (*flush_gate)(void);
	uint64_t frames_before;		/* th_frames_not_mmu() at set-up */
	unsigned long go;		/* atomic: threads may start */
};

static struct th_state th;

static const struct boot_mem_region th_ram_map[] = {
	{ 0x0, TH_RAM_SIZE, BOOT_MEM_USABLE },
};

/*
 * Frames that are free or held by the heap (memslot sets and bitmaps come
 * and go during a case): what the TDP MMU holds is the rest.
 */
static inline uint64_t th_frames_not_mmu(void)
{
	struct heap_stats hs;
	uint64_t n = frame_free_count();
	unsigned int i;

	heap_stats(&hs);
	for (i = 0; i < HEAP_NR_CLASSES; i++)
		n += hs.classes[i].slabs;
	return n + hs.large_frames;
}

/* The remote TLB flush: waits for every vCPU in guest mode to leave it. */
static void th_flush_hook(void *ctx)
{
	struct th_state *t = ctx;

	if (t->flush_gate && !t->flush_gate())
		return;
	__atomic_fetch_add(&t->flushes, 1, __ATOMIC_RELAXED);
	srcu_synchronize(&t->guest);
}

/* Once per process, before any case. */
static inline void th_boot(void)
{
	log_level_max = LOG_WARN;
	shim_phys_arena(0, TH_ARENA_SIZE);
	shim_set_cpu(0);
}

/*
 * A fresh VM: allocator and heap reset, memslots with the TDP MMU's
 * hooks, a TDP MMU of format fmt, nr_vcpus vCPUs (CPU ids 1..n, their
 * readers registered in both domains).
 */
static inline void th_setup(const struct spte_format *fmt, int max_leaf_level,
			    unsigned int nr_vcpus)
{
	struct tdp_mmu_params p = {
		.fmt = fmt,
		.levels = 4,
		.max_leaf_level = max_leaf_level,
		.slots = &th.slots,
		.flush_remote_tlbs = th_flush_hook,
		.flush_ctx = &th,
	};
	unsigned int i;

	memset(&th, 0, sizeof(th));
	if (frame_init(th_ram_map, ARRAY_SIZE(th_ram_map), NULL, 0)) {
		fprintf(stderr, "frame_init failed\n");
		exit(2);
	}
	heap_init();
	if (memslots_init(&th.slots, TH_MAX_VCPUS + 1, &tdp_mmu_memslots_ops,
			  &th.mmu) ||
	    srcu_init(&th.guest, TH_MAX_VCPUS + 1)) {
		fprintf(stderr, "memslots_init/srcu_init failed\n");
		exit(2);
	}
	th.frames_before = th_frames_not_mmu();
	CHECK_EQ(tdp_mmu_init(&th.mmu, &p), 0);
	th.nr_vcpus = nr_vcpus;
	for (i = 0; i < nr_vcpus; i++) {
		struct th_vcpu *v = &th.vcpu[i];

		v->cpu = i + 1;
		v->rng = 0x9e3779b97f4a7c15ull * (i + 1);
		CHECK_EQ(srcu_reader_register(&th.slots.srcu, &v->slots_r), 0);
		CHECK_EQ(srcu_reader_register(&th.guest, &v->guest_r), 0);
	}
}

/*
 * Tears the VM down, checking that every table page went back: the MMU's
 * own count and the frame allocator's agree.
 */
static inline void th_teardown(void)
{
	struct tdp_mmu_stats st;
	unsigned int i;

	tdp_mmu_destroy(&th.mmu);
	tdp_mmu_stats_read(&th.mmu, &st);
	CHECK_EQ(st.pages_allocated, st.pages_freed);
	CHECK_EQ(th_frames_not_mmu(), th.frames_before);
	for (i = 0; i < th.nr_vcpus; i++) {
		srcu_reader_unregister(&th.slots.srcu, &th.vcpu[i].slots_r);
		srcu_reader_unregister(&th.guest, &th.vcpu[i].guest_r);
	}
	srcu_destroy(&th.guest);
	memslots_destroy(&th.slots);
}

/* Tables in the tree now: the root and every table under it. */
static inline uint64_t th_count_tables(void)
{
	const struct spte_format *fmt = th.mmu.fmt;
	struct tdp_iter it;
	uint64_t n = 1;

	for_each_tdp_pte(it, fmt, th.mmu.root, th.mmu.levels, TDP_LEVEL_4K,
			 0, tdp_mmu_gfn_limit(&th.mmu)) {
		if (spte_is_shadow_present(it.old_spte) &&
		    !spte_is_leaf(fmt, it.old_spte, it.level))
			n++;
	}
	return n;
}

/* Host address of the guest RAM page @i (0 .. TH_GUEST_SIZE / 4 KiB). */
static inline paddr_t th_guest_page(uint64_t i)
{
	return TH_GUEST_BASE + (i << PAGE_SHIFT);
}

/*
 * One access in guest mode: walks the tables as the hardware would and,
 * if the access is granted, touches the frame (an atomic add, so that
 * concurrent guests do not race in TSan's eyes) within the same section.
 * Returns the walk's result; *hpa_out gets the address on success.
 */
static inline int th_guest_access(struct th_vcpu *v, uint64_t gpa,
				  unsigned int access, paddr_t *hpa_out)
{
	paddr_t hpa = 0;
	int ret;

	srcu_read_lock(&v->guest_r);
	ret = tdp_mmu_translate(&th.mmu, gpa, access, &hpa);
	if (ret == TDP_XLATE_OK) {
		uint64_t *word = phys_to_virt(hpa & ~7ull);

		if (hpa >= TH_GUEST_BASE && hpa < TH_GUEST_BASE + TH_GUEST_SIZE)
			__atomic_fetch_add(word, 1, __ATOMIC_RELAXED);
	}
	srcu_read_unlock(&v->guest_r);
	if (hpa_out)
		*hpa_out = hpa;
	return ret;
}

/*
 * One access that must go through: in guest mode while the walk refuses
 * it, a fault (EPT violation, #NPF) and a re-entry. Returns
 * TDP_FAULT_FIXED once the access went through, or the fault result that
 * stops the vCPU (NO_SLOT, READONLY, ENOMEM, or RETRY too many times).
 */
static inline int th_access(struct th_vcpu *v, uint64_t gpa,
			    unsigned int access, paddr_t *hpa)
{
	int i, ret = TDP_FAULT_RETRY;

	for (i = 0; i < TH_MAX_REFAULTS; i++) {
		if (th_guest_access(v, gpa, access, hpa) == TDP_XLATE_OK)
			return TDP_FAULT_FIXED;
		ret = tdp_mmu_page_fault(&th.mmu, &v->slots_r, gpa, access);
		if (ret != TDP_FAULT_FIXED && ret != TDP_FAULT_RETRY)
			return ret;
	}
	return ret;
}

/*
 * Starts fn on a new thread that runs as vCPU v (its CPU id), once
 * th_threads_go() is called.
 */
struct th_thread {
	pthread_t tid;
	struct th_vcpu *v;
	void (*fn)(struct th_vcpu *v, void *arg);
	void *arg;
};

static void *th_thread_main(void *p)
{
	struct th_thread *t = p;

	shim_set_cpu(t->v->cpu);
	while (!__atomic_load_n(&th.go, __ATOMIC_ACQUIRE))
		sched_yield();
	t->fn(t->v, t->arg);
	return NULL;
}

static inline void th_thread_start(struct th_thread *t, struct th_vcpu *v,
				   void (*fn)(struct th_vcpu *v, void *arg),
				   void *arg)
{
	t->v = v;
	t->fn = fn;
	t->arg = arg;
	if (pthread_create(&t->tid, NULL, th_thread_main, t)) {
		perror("pthread_create");
		exit(2);
	}
}

/* Lets every thread started since th_setup() run, all at once. */
static inline void th_threads_go(void)
{
	__atomic_store_n(&th.go, 1, __ATOMIC_RELEASE);
}

static inline void th_thread_join(struct th_thread *t)
{
	pthread_join(t->tid, NULL);
}

#endif
