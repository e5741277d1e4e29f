/*
 * Hosted test of core/vm_build.c with a fake backend (it counts backend
 * vCPUs and records the TDP root each gets, and can be told to fail the
 * Nth vCPU) and a fake run loop (it records where each vCPU ran).
 * Scenario: VMs of 16 MiB built, written, rebuilt and torn down in a
 * 64 MiB physical arena; every frame comes back after each case.
 */
#include "core/lib/errno.h"
#include "core/vm_build.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"

#define ARENA_SIZE MiB(64)
#define RAM        MiB(16)
#define NR_CPUS    4

static const struct boot_mem_region ram_map[] = {
	{ 0x0, ARENA_SIZE, BOOT_MEM_USABLE },
};

struct backend_vcpu_fake {
	struct backend_vcpu bv;
	paddr_t root;
	unsigned int levels;
};

static struct {
	int live_bvs;			/* created - destroyed */
	unsigned int created;
	unsigned int fail_at;		/* 1-based vCPU creation to fail; 0: none */
	int ran_on[VM_MAX_VCPUS];	/* smp_processor_id() in vcpu_run, -1 */
} f;

static int fake_vcpu_create(unsigned int id, struct backend_vcpu **out)
{
	struct backend_vcpu_fake *v;

	if (++f.created == f.fail_at)
		return -EIO;
	v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	f.live_bvs++;
	*out = &v->bv;
	return 0;
}

static void fake_vcpu_destroy(struct backend_vcpu *bv)
{
	f.live_bvs--;
	kfree(bv);
}

static int fake_set_tdp_root(struct backend_vcpu *bv, paddr_t root, unsigned int levels)
{
	struct backend_vcpu_fake *v = (struct backend_vcpu_fake *)bv;

	v->root = root;
	v->levels = levels;
	return 0;
}

static const struct backend_ops fake_ops = {
	.name = "fake",
	.vcpu_create = fake_vcpu_create,
	.vcpu_destroy = fake_vcpu_destroy,
	.set_tdp_root = fake_set_tdp_root,
};

/* The run loop, as far as the builder knows it. */
void vcpu_run(struct vcpu *vcpu)
{
	f.ran_on[vcpu->id] = (int)smp_processor_id();
}

void vcpu_print_exits(const struct vcpu *vcpu)
{
}

static unsigned int error_dumps;

void vm_print_error_dump(struct vm *vm)
{
	error_dumps++;
}

static uint64_t free_frames;

static void setup(enum backend_tdp_format fmt, unsigned int levels)
{
	memset(&f, 0, sizeof(f));
	memset(f.ran_on, -1, sizeof(f.ran_on));
	backend = &fake_ops;
	backend_caps = (struct backend_caps){
		.tdp_format = fmt, .tdp_levels = levels, .tdp_large = BACKEND_TDP_2M,
	};
	free_frames = frame_free_count();
}

/* Everything came back: backend vCPUs and frames (RAM, tables, heap pages). */
static void check_all_returned(void)
{
	CHECK_EQ(f.live_bvs, 0);
	heap_trim();
	CHECK_EQ(frame_free_count(), free_frames);
}

static void build_and_destroy(void)
{
	struct vm_build_params p = { .name = "alpha", .vcpus = 3, .ram_bytes = RAM };
	struct vm_build *b;

	setup(BACKEND_TDP_EPT, 5);
	CHECK_EQ(vm_build_create(&p, &b), 0);
	CHECK_STR(b->vm->name, "alpha");
	CHECK_EQ(b->layout.low, RAM);
	CHECK_EQ(b->layout.high, 0);
	CHECK_EQ(b->ram % MiB(2), 0);
	CHECK_EQ(b->frames, RAM / PAGE_SIZE);
	/* TDP as the backend reported it: EPT, five levels, 2 MiB leaves. */
	CHECK(b->vm->mmu.fmt == &spte_format_ept);
	CHECK_EQ(b->vm->mmu.levels, 5);
	CHECK_EQ(b->zero_shift, 21);
	CHECK_EQ(vm_nr_vcpus(b->vm), 3);
	for (unsigned int i = 0; i < 3; i++) {
		struct backend_vcpu_fake *v = (struct backend_vcpu_fake *)b->vm->vcpus[i]->bv;

		CHECK(v != NULL);
		CHECK_EQ(v->root, b->vm->mmu.root_pa);
		CHECK_EQ(v->levels, 5);
	}
	/* One memslot over the RAM; the zeroing state is the VM's. */
	CHECK_EQ(b->nr_slots, 1);
	CHECK(b->vm->ram_zero == &b->zero);
	CHECK_EQ(b->zero.size, RAM);
	CHECK_EQ(b->zero_state[0], RAM_CHUNK_ZEROED);	/* the first MiB */
	CHECK_EQ(b->zero_state[1], RAM_CHUNK_DIRTY);
	vm_build_destroy(b);
	check_all_returned();
}

static void write_and_rebuild(void)
{
	struct vm_build_params p = { .name = "beta", .vcpus = 2, .ram_bytes = RAM };
	const char msg[] = "payload";
	struct vm_build *b;
	paddr_t ram;

	setup(BACKEND_TDP_NPT, 4);
	CHECK_EQ(vm_build_create(&p, &b), 0);
	CHECK(b->vm->mmu.fmt == &spte_format_npt);
	CHECK_EQ(b->vm->mmu.levels, 4);
	/* A write zeroes the rest of its chunk first. */
	memset(b->host + MiB(4), 0xa5, MiB(2));
	CHECK_EQ(vm_build_write(b, MiB(4) + 100, msg, sizeof(msg)), 0);
	CHECK_STR((char *)b->host + MiB(4) + 100, "payload");
	CHECK_EQ(b->host[MiB(4)], 0);
	CHECK_EQ(b->host[MiB(6) - 1], 0);
	CHECK_EQ(vm_build_write(b, RAM - 4, msg, sizeof(msg)), -EINVAL);
	CHECK_EQ(vm_build_write(b, RAM + MiB(1), msg, 1), -EINVAL);
	/* Rebuilt: a new VM over the same RAM, to be zeroed again. */
	ram = b->ram;
	CHECK_EQ(vm_build_rebuild(b), 0);
	CHECK(b->vm != NULL);
	CHECK_EQ(b->ram, ram);
	CHECK(b->vm->ram_zero == &b->zero);
	CHECK_EQ(vm_nr_vcpus(b->vm), 2);
	CHECK_EQ(f.live_bvs, 2);
	CHECK_EQ(b->zero_state[2], RAM_CHUNK_DIRTY);
	ram_zero_touch(b->vm->ram_zero, MiB(4) + 100, 1);
	CHECK_EQ(b->host[MiB(4) + 100], 0);
	vm_build_destroy(b);
	check_all_returned();
}

static void failed_builds_leave_nothing(void)
{
	struct vm_build_params p = { .name = "gamma", .vcpus = 4, .ram_bytes = RAM };
	struct vm_build *b = NULL;

	setup(BACKEND_TDP_NPT, 4);
	f.fail_at = 3;				/* the third backend vCPU */
	CHECK_EQ(vm_build_create(&p, &b), -EIO);
	CHECK(b == NULL);
	check_all_returned();
	/* More RAM than the arena has. */
	setup(BACKEND_TDP_NPT, 4);
	p.ram_bytes = MiB(128);
	CHECK_EQ(vm_build_create(&p, &b), -ENOMEM);
	check_all_returned();
	/* Bad parameters. */
	p.ram_bytes = RAM + 4096;
	CHECK_EQ(vm_build_create(&p, &b), -EINVAL);
	p.ram_bytes = RAM;
	p.vcpus = 0;
	CHECK_EQ(vm_build_create(&p, &b), -EINVAL);
	/* A rebuild that fails leaves only what destroy frees. */
	p.vcpus = 2;
	CHECK_EQ(vm_build_create(&p, &b), 0);
	f.fail_at = f.created + 2;
	CHECK_EQ(vm_build_rebuild(b), -EIO);
	CHECK(b->vm == NULL);
	vm_build_destroy(b);
	check_all_returned();
}

static struct sched_thread idle_threads[NR_CPUS];

/* Hosted CPUs 0..NR_CPUS-1 with empty run queues. */
static void sched_setup(void)
{
	memset(sched_rq_of(0), 0, sizeof(struct sched_rq) * NR_CPUS);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		sched_init_cpu(c, &idle_threads[c], &idle_threads[c]);
}

/*
 * Each hosted CPU runs the threads placed on it, each to its end (the
 * hosted switch does nothing: this thread plays each one in turn).
 */
static void run_placed_threads(void)
{
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		shim_set_cpu(c);
		for (;;) {
			struct sched_thread *t;

			sched_preempt();
			t = sched_current();
			if (t == sched_rq_of(c)->idle)
				break;
			t->fn(t->arg);
			sched_exit();
		}
	}
	shim_set_cpu(0);
}

static void vcpus_run_on_their_cpus(void)
{
	struct vm_build_params p = { .name = "delta", .vcpus = 3, .ram_bytes = RAM };
	unsigned int cpus[3] = { 2, 0, 3 };
	struct vm_build_sched s = { .affinity = BIT_ULL(NR_CPUS) - 1, .pin = cpus };
	struct vm_build *b;

	setup(BACKEND_TDP_NPT, 4);
	sched_setup();
	CHECK_EQ(vm_build_create(&p, &b), 0);
	vm_build_start(b, &s);
	/* Placed, not run yet: the threads run when their CPUs switch to them. */
	CHECK(vm_build_running(b));
	CHECK_EQ(f.ran_on[0], -1);
	CHECK_EQ(b->vm->vcpus[0]->thread.cpu, 2);
	CHECK_EQ(sched_rq_of(2)->nr_runnable, 1);
	run_placed_threads();
	CHECK(!vm_build_running(b));
	CHECK_EQ(f.ran_on[0], 2);
	CHECK_EQ(f.ran_on[1], 0);
	CHECK_EQ(f.ran_on[2], 3);
	CHECK_EQ(b->vm->vcpus[2]->host_cpu, 3);
	CHECK(!vm_is_stopped(b->vm));
	/* A CPU that is not there stops the VM; the count still reaches 0. */
	CHECK_EQ(vm_build_rebuild(b), 0);
	cpus[2] = NR_CPUS;
	memset(f.ran_on, -1, sizeof(f.ran_on));
	vm_build_start(b, &s);
	run_placed_threads();
	CHECK(!vm_build_running(b));
	CHECK_EQ(f.ran_on[2], -1);
	CHECK(vm_is_stopped(b->vm));
	CHECK(strstr(b->vm->stop_reason, "CPU 4 cannot take vCPU 2") != NULL);
	vm_build_destroy(b);
	check_all_returned();
}

/*
 * Without pins, each vCPU goes to the least loaded CPU of the VM's set,
 * CPU 0 included, and more vCPUs than CPUs share them.
 */
static void vcpus_share_least_loaded(void)
{
	struct vm_build_params p = { .name = "share", .vcpus = 5, .ram_bytes = RAM };
	struct vm_build_sched s = { .affinity = BIT_ULL(0) | BIT_ULL(3), .weight = 512 };
	struct vm_build *b;

	setup(BACKEND_TDP_NPT, 4);
	sched_setup();
	CHECK_EQ(vm_build_create(&p, &b), 0);
	vm_build_start(b, &s);
	CHECK_EQ(sched_rq_of(0)->nr_placed, 3);
	CHECK_EQ(sched_rq_of(3)->nr_placed, 2);
	CHECK_EQ(sched_rq_of(1)->nr_placed, 0);
	CHECK_EQ(b->vm->vcpus[1]->host_cpu, 3);
	CHECK_EQ(b->vm->vcpus[4]->thread.weight, 512);
	run_placed_threads();
	CHECK(!vm_build_running(b));
	CHECK_EQ(f.ran_on[0], 0);
	CHECK_EQ(f.ran_on[1], 3);
	CHECK_EQ(f.ran_on[4], 0);
	CHECK(!vm_is_stopped(b->vm));
	vm_build_destroy(b);
	check_all_returned();
}

/*
 * The report dumps the vCPUs only for a stop by an error (after the loops
 * ended): not for the guest's own poweroff or a stop by the host.
 */
static void report_dumps_only_errors(void)
{
	struct vm_build_params p = { .name = "echo", .vcpus = 2, .ram_bytes = RAM };
	unsigned int cpus[2] = { 1, 2 };
	struct vm_build_sched s = { .affinity = BIT_ULL(NR_CPUS) - 1, .pin = cpus };
	struct vm_build *b;

	setup(BACKEND_TDP_NPT, 4);
	sched_setup();
	CHECK_EQ(vm_build_create(&p, &b), 0);
	vm_build_start(b, &s);
	run_placed_threads();
	vm_stop(b->vm, "powered off by the guest");
	error_dumps = 0;
	vm_build_report(b);
	CHECK_EQ(error_dumps, 0);
	CHECK_EQ(vm_build_rebuild(b), 0);
	vm_build_start(b, &s);
	run_placed_threads();
	vm_stop_error(b->vm, "vCPU 1: triple fault");
	vm_stop(b->vm, "stopped by the host");	/* too late: the first wins */
	CHECK(b->vm->stop_error);
	CHECK_STR(b->vm->stop_reason, "vCPU 1: triple fault");
	vm_build_report(b);
	CHECK_EQ(error_dumps, 1);
	vm_build_destroy(b);
	check_all_returned();
}

/*
 * A read-only range inside the first MiB (the PC's ROM): its own memslot,
 * MEMSLOT_READONLY, over the same host pages, between two RAM slots; a
 * guest write there faults as read-only, a read maps; the slots come back
 * after a rebuild. A range past the first MiB or not page aligned is
 * refused.
 */
static void rom_range_is_a_readonly_slot(void)
{
	struct vm_build_params p = { .name = "rom", .vcpus = 1, .ram_bytes = RAM,
				     .rom_start = 0xc0000, .rom_end = 0x100000 };
	struct srcu_reader reader = { .name = "test" };
	const struct memslot_set *set;
	const struct memslot *s;
	struct vm_build *b;

	setup(BACKEND_TDP_NPT, 4);
	CHECK_EQ(vm_build_create(&p, &b), 0);
	for (int pass = 0; pass < 2; pass++) {
		CHECK_EQ(b->nr_slots, 3);
		CHECK_EQ(srcu_reader_register(&b->vm->memslots.srcu, &reader), 0);
		srcu_read_lock(&reader);
		set = srcu_dereference(b->vm->memslots.active);
		s = memslot_find(set, 0xbf);
		CHECK(s && s->flags == 0 && s->npages == 0xc0);
		s = memslot_find(set, 0xc0);
		CHECK(s && s->flags == MEMSLOT_READONLY && s->npages == 0x40);
		CHECK_EQ(memslot_gfn_to_hpa(s, 0xe0), b->ram + 0xe0000);
		s = memslot_find(set, 0x100);
		CHECK(s && s->flags == 0 && s->base_gfn == 0x100);
		CHECK_EQ(s->npages, (RAM >> PAGE_SHIFT) - 0x100);
		srcu_read_unlock(&reader);
		CHECK_EQ(tdp_mmu_page_fault(&b->vm->mmu, &reader, 0xe0000,
					    TDP_ACC_READ | TDP_ACC_WRITE), TDP_FAULT_READONLY);
		CHECK_EQ(tdp_mmu_page_fault(&b->vm->mmu, &reader, 0xe0000, TDP_ACC_READ),
			 TDP_FAULT_FIXED);
		srcu_reader_unregister(&b->vm->memslots.srcu, &reader);
		CHECK_EQ(vm_build_rebuild(b), 0);
	}
	vm_build_destroy(b);
	check_all_returned();
	p.rom_end = 0x101000;
	CHECK_EQ(vm_build_create(&p, &b), -EINVAL);
	p.rom_end = 0xfff00;
	CHECK_EQ(vm_build_create(&p, &b), -EINVAL);
	check_all_returned();
}

int main(void)
{
	shim_set_cpu(0);
	shim_set_nr_cpus(NR_CPUS);
	shim_phys_arena(0, ARENA_SIZE);
	CHECK_EQ(frame_init(ram_map, ARRAY_SIZE(ram_map), NULL, 0), 0);
	heap_init();
	RUN(build_and_destroy);
	RUN(write_and_rebuild);
	RUN(failed_builds_leave_nothing);
	RUN(vcpus_run_on_their_cpus);
	RUN(vcpus_share_least_loaded);
	RUN(report_dumps_only_errors);
	RUN(rom_range_is_a_readonly_slot);
	return check_done();
}
