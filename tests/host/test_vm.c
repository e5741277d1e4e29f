/*
 * The concurrency core assembled: a VM whose vCPU threads run a model of
 * the run loop (service requests, enter guest mode, access guest memory
 * through a per-vCPU software TLB filled by walking the TDP tables, exit
 * on a TDP fault or a kick, handle the fault) while a control thread
 * creates, moves and deletes memslots. Remote TLB flushes go through the
 * real path: the TDP MMU's hook -> vm_flush_remote_tlbs() ->
 * VCPU_REQ_TLB_FLUSH with WAIT -> kicks of the vCPUs in guest mode.
 *
 * Invariant: once a memslot update has returned, no guest-mode section
 * that began afterwards reaches a frame through a gfn the update took
 * away (docs/races.md, "Fault installs after the zap": a fault that
 * resolved a gfn under the old set must not leave a mapping behind; and
 * "Request set while the vCPU enters guest mode": the flush must reach
 * every vCPU in guest mode). Also: every frame comes back at teardown (no
 * leaked tables).
 */
#include <pthread.h>

#include "core/lib/errno.h"
#include "core/vm.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ARENA_SIZE   MiB(64)
#define RAM_SIZE     MiB(32)		/* frame allocator: tables, heap */
#define GUEST_BASE   MiB(32)		/* host frames backing guest RAM */
#define NR_SLOTS     8
#define SLOT_PAGES   128
#define GFN_SPACE    (NR_SLOTS * SLOT_PAGES * 4)	/* room for holes and moves */
#define NR_VCPUS     8
#define TLB_ENTRIES  64
#define CONTROL_OPS  300
#define ACCESSES_PER_ENTRY 64
#define KICK_LATENCY 8
#define MAX_HISTORY  (CONTROL_OPS + 2)
#define PAGE_MAGIC   0x5a5a000000000000ull

static const struct boot_mem_region ram_map[] = {
	{ 0x0, RAM_SIZE, BOOT_MEM_USABLE },
};

/* Where slot s lived, and from/until which control tick. */
struct placement {
	gfn_t base;
	uint64_t valid_to;	/* 0: still there */
};

static struct {
	struct vm *vm;
	pthread_mutex_t history_lock;
	struct placement history[NR_SLOTS][MAX_HISTORY];
	unsigned int nr_history[NR_SLOTS];
	uint64_t clock;			/* atomic: control ticks */
	unsigned long stop;		/* atomic */
	unsigned long kicked[NR_VCPUS];	/* atomic, per CPU: "IPI pending" */
	uint64_t violations;		/* atomic */
	uint64_t accesses, faults, flushes_serviced, kicks_taken;	/* atomic */
} t;

struct tlb_entry {
	gfn_t gfn;
	paddr_t hpa;
	bool valid;
};

static paddr_t slot_host_base(unsigned int s)
{
	return GUEST_BASE + (paddr_t)s * SLOT_PAGES * PAGE_SIZE;
}

/* Every guest page carries (slot, index) in its first word. */
static void sign_pages(void)
{
	for (unsigned int s = 0; s < NR_SLOTS; s++)
		for (unsigned int i = 0; i < SLOT_PAGES; i++)
			*(uint64_t *)phys_to_virt(slot_host_base(s) + i * PAGE_SIZE) =
				PAGE_MAGIC | (uint64_t)s << 16 | i;
}

/*
 * True if gfn may legitimately reach page (s, i) in an access made at
 * control tick now: some placement of s with base + i == gfn was still in
 * force then. Strict on purpose: a placement ends at the tick after its
 * update returned, and by then the update's remote TLB flush (WAIT) has
 * ended every guest-mode section that began before it, so every section
 * still running began later and flushed its TLB on entry.
 */
static bool mapping_legit(unsigned int s, unsigned int i, gfn_t gfn, uint64_t now)
{
	bool ok = false;

	pthread_mutex_lock(&t.history_lock);
	for (unsigned int h = 0; h < t.nr_history[s] && !ok; h++) {
		const struct placement *p = &t.history[s][h];

		if (p->base + i == gfn && (p->valid_to == 0 || p->valid_to > now))
			ok = true;
	}
	pthread_mutex_unlock(&t.history_lock);
	return ok;
}

static void kick_handler(unsigned int cpu)
{
	if (cpu < NR_VCPUS)
		__atomic_store_n(&t.kicked[cpu], 1, __ATOMIC_RELEASE);
}

static bool take_kick(unsigned int cpu)
{
	return __atomic_exchange_n(&t.kicked[cpu], 0, __ATOMIC_ACQ_REL);
}

static void tlb_flush(struct tlb_entry *tlb)
{
	for (unsigned int i = 0; i < TLB_ENTRIES; i++)
		tlb[i].valid = false;
}

/* One guest access to gfn; false: a TDP fault exit is needed. */
static bool guest_access(struct vcpu *vcpu, struct tlb_entry *tlb, gfn_t gfn)
{
	struct tlb_entry *e = &tlb[gfn % TLB_ENTRIES];
	uint64_t now = __atomic_load_n(&t.clock, __ATOMIC_SEQ_CST);
	uint64_t word;
	paddr_t hpa;

	if (!e->valid || e->gfn != gfn) {
		if (tdp_mmu_translate(&vcpu->vm->mmu, gfn << PAGE_SHIFT, TDP_ACC_WRITE,
				      &hpa) != TDP_XLATE_OK)
			return false;
		*e = (struct tlb_entry){ .gfn = gfn, .hpa = hpa, .valid = true };
	}
	word = __atomic_load_n((uint64_t *)phys_to_virt(e->hpa), __ATOMIC_RELAXED);
	if ((word & 0xffff000000000000ull) != PAGE_MAGIC ||
	    !mapping_legit((word >> 16) & 0xffff, word & 0xffff, gfn, now)) {
		if (__atomic_fetch_add(&t.violations, 1, __ATOMIC_RELAXED) < 5)
			fprintf(stderr, "  vCPU %u: gfn %#llx reached %#llx (word %#llx) "
				"at tick %llu\n", vcpu->id,
				(unsigned long long)gfn, (unsigned long long)e->hpa,
				(unsigned long long)word, (unsigned long long)now);
	}
	__atomic_fetch_add(&t.accesses, 1, __ATOMIC_RELAXED);
	return true;
}

/*
 * Mostly gfns the TLB already holds (a guest's working set: long guest
 * sections on cached translations, the case a missing flush breaks),
 * sometimes a new one.
 */
static gfn_t pick_gfn(const struct tlb_entry *tlb, uint64_t *seed)
{
	uint64_t r = rand_next(seed);
	const struct tlb_entry *e = &tlb[(r >> 8) % TLB_ENTRIES];

	if ((r & 7) != 0 && e->valid)
		return e->gfn;
	return rand_next(seed) % GFN_SPACE;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct tlb_entry tlb[TLB_ENTRIES] = { 0 };
	uint64_t seed = 0x9e3779b97f4a7c15ull * (vcpu->id + 1);

	shim_set_cpu(vcpu->id);
	vcpu_req_load(&vcpu->req);
	while (!__atomic_load_n(&t.stop, __ATOMIC_ACQUIRE)) {
		gfn_t fault_gfn = 0;
		bool fault = false;

		if (vcpu_check_request(&vcpu->req, VCPU_REQ_TLB_FLUSH)) {
			tlb_flush(tlb);
			__atomic_fetch_add(&t.flushes_serviced, 1, __ATOMIC_RELAXED);
		}
		if (!vcpu_enter_guest_mode(&vcpu->req))
			continue;
		for (unsigned int n = 0; n < ACCESSES_PER_ENTRY; n++) {
			gfn_t gfn = pick_gfn(tlb, &seed);

			/*
			 * An IPI is taken at instruction boundaries some time
			 * after it is sent: poll every KICK_LATENCY accesses.
			 */
			if (n % KICK_LATENCY == KICK_LATENCY - 1 && take_kick(vcpu->id)) {
				__atomic_fetch_add(&t.kicks_taken, 1, __ATOMIC_RELAXED);
				break;
			}
			if (!guest_access(vcpu, tlb, gfn)) {
				fault = true;
				fault_gfn = gfn;
				break;
			}
		}
		vcpu_exit_guest_mode(&vcpu->req);
		if (fault) {
			int r = tdp_mmu_page_fault(&vcpu->vm->mmu, &vcpu->srcu,
						   fault_gfn << PAGE_SHIFT, TDP_ACC_WRITE);

			CHECK(r == TDP_FAULT_FIXED || r == TDP_FAULT_RETRY ||
			      r == TDP_FAULT_NO_SLOT);
			__atomic_fetch_add(&t.faults, 1, __ATOMIC_RELAXED);
		}
	}
	vcpu_req_put(&vcpu->req);
	return NULL;
}

/*
 * Stamps placement h of slot s with the tick after the update that ended
 * it returned: sections that begin at that tick or later must not use it.
 */
static void history_end(unsigned int s, unsigned int h)
{
	pthread_mutex_lock(&t.history_lock);
	t.history[s][h].valid_to = __atomic_add_fetch(&t.clock, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&t.history_lock);
}

/* The slot was deleted: its current placement ends. */
static void history_close(unsigned int s)
{
	history_end(s, t.nr_history[s] - 1);
}

/* The slot was moved: the placement before the newest one ends. */
static void history_close_previous(unsigned int s)
{
	history_end(s, t.nr_history[s] - 2);
}

static void history_open(unsigned int s, gfn_t base)
{
	pthread_mutex_lock(&t.history_lock);
	if (t.nr_history[s] < MAX_HISTORY)
		t.history[s][t.nr_history[s]++] = (struct placement){ .base = base };
	pthread_mutex_unlock(&t.history_lock);
}

/* A free, aligned base for slot s, or false. */
static bool pick_base(const bool *present, const gfn_t *base, unsigned int s,
		      uint64_t *seed, gfn_t *out)
{
	for (unsigned int tries = 0; tries < 16; tries++) {
		gfn_t b = (rand_next(seed) % (GFN_SPACE / SLOT_PAGES)) * SLOT_PAGES;
		bool clash = false;

		for (unsigned int o = 0; o < NR_SLOTS; o++)
			if (o != s && present[o] && base[o] == b)
				clash = true;
		if (!clash) {
			*out = b;
			return true;
		}
	}
	return false;
}

static void control_ops(struct vm *vm)
{
	bool present[NR_SLOTS] = { 0 };
	gfn_t base[NR_SLOTS] = { 0 };
	uint64_t seed = 12345;

	for (unsigned int op = 0; op < CONTROL_OPS; op++) {
		unsigned int s = rand_next(&seed) % NR_SLOTS;
		gfn_t b;

		if (!present[s]) {
			if (!pick_base(present, base, s, &seed, &b))
				continue;
			/* Open first: a vCPU may use it as soon as it is published. */
			history_open(s, b);
			CHECK_EQ(memslots_create(&vm->memslots, s, b, SLOT_PAGES,
						 slot_host_base(s), 0), 0);
			present[s] = true;
			base[s] = b;
		} else if (rand_next(&seed) % 2) {
			CHECK_EQ(memslots_delete(&vm->memslots, s), 0);
			present[s] = false;
			history_close(s);
		} else {
			if (!pick_base(present, base, s, &seed, &b) || b == base[s])
				continue;
			history_open(s, b);
			CHECK_EQ(memslots_move(&vm->memslots, s, b), 0);
			history_close_previous(s);
			base[s] = b;
		}
		/* Let the vCPUs fault the new layout in before the next change. */
		for (unsigned int spin = 0; spin < 2000; spin++)
			__builtin_ia32_pause();
	}
}

static void case_memslot_updates_vs_running_vcpus(void)
{
	pthread_t threads[NR_VCPUS];
	struct vm_params p = {
		.name = "stress", .tdp = BACKEND_TDP_NPT, .tdp_levels = 4,
		.tdp_max_leaf = TDP_LEVEL_2M, .max_vcpus = NR_VCPUS,
		.extra_readers = 1,
	};
	uint64_t frames_before;
	struct vcpu *vcpu;
	struct vm *vm;

	heap_trim();
	frames_before = frame_free_count();
	CHECK_EQ(vm_create(&p, &vm), 0);
	t.vm = vm;
	for (unsigned int i = 0; i < NR_VCPUS; i++) {
		CHECK_EQ(vm_vcpu_create(vm, &vcpu), 0);
		CHECK_EQ(vcpu->id, i);
		pthread_create(&threads[i], NULL, vcpu_thread, vcpu);
	}
	CHECK_EQ(vm_vcpu_create(vm, &vcpu), -ENOSPC);

	shim_set_cpu(NR_VCPUS);
	control_ops(vm);
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i], NULL);

	CHECK_EQ(t.violations, 0);
	CHECK(t.accesses > 0);
	CHECK(t.faults > 0);
	CHECK(t.flushes_serviced > 0);
	printf("  %llu accesses, %llu faults, %llu TLB flushes serviced, %llu kicks\n",
	       (unsigned long long)t.accesses, (unsigned long long)t.faults,
	       (unsigned long long)t.flushes_serviced,
	       (unsigned long long)t.kicks_taken);

	for (unsigned int s = 0; s < NR_SLOTS; s++)
		memslots_delete(&vm->memslots, s);
	CHECK_EQ(tdp_mmu_count_leaves(&vm->mmu, 0, GFN_SPACE), 0);
	vm_destroy(vm);
	heap_trim();
	CHECK_EQ(frame_free_count(), frames_before);
}

/* A request made of a masked set only reaches those vCPUs. */
static void case_vm_requests(void)
{
	struct vm_params p = {
		.name = "req", .tdp = BACKEND_TDP_EPT, .max_vcpus = 4,
	};
	uint64_t mask = BIT(1) | BIT(3);
	struct vcpu *v[4];
	struct vm *vm;

	CHECK_EQ(vm_create(&p, &vm), 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(vm_vcpu_create(vm, &v[i]), 0);
	CHECK_EQ(vm_nr_vcpus(vm), 4);
	vm_make_request(vm, VCPU_REQ_EVENT, &mask);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(vcpu_test_request(&v[i]->req, VCPU_REQ_EVENT), (mask >> i) & 1);
	vm_flush_remote_tlbs(vm);	/* nobody in guest mode: returns at once */
	for (unsigned int i = 0; i < 4; i++)
		CHECK(vcpu_test_request(&v[i]->req, VCPU_REQ_TLB_FLUSH));
	vm_destroy(vm);
}

static void case_vm_create_errors(void)
{
	struct vm_params p = { .name = "bad", .max_vcpus = 0 };
	struct vm *vm;

	CHECK_EQ(vm_create(&p, &vm), -EINVAL);
	p.max_vcpus = VM_MAX_VCPUS + 1;
	CHECK_EQ(vm_create(&p, &vm), -EINVAL);
}

int main(void)
{
	shim_phys_arena(0, ARENA_SIZE);
	setup_heap_on(ram_map, ARRAY_SIZE(ram_map));
	sign_pages();
	pthread_mutex_init(&t.history_lock, NULL);
	shim_set_kick_handler(kick_handler);

	RUN(case_vm_create_errors);
	RUN(case_vm_requests);
	RUN(case_memslot_updates_vs_running_vcpus);
	return check_done();
}
