/*
 * The VM builder (see core/vm_build.h). Runs on the CPU that builds VMs,
 * outside any vCPU, except vm_build_vcpu_thread(), which runs on each
 * vCPU's CPU. No lock of its own; vm->running is counted down with
 * atomics.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/vm_build.h"
#include "mm/frame.h"
#include "mm/heap.h"

#define VM_BUILD_ZEROED_UP_FRONT MiB(1)	/* where loaders write first */

/* --- RAM ----------------------------------------------------------------- */

static int vm_build_alloc_ram(struct vm_build *b)
{
	b->frames = guest_ram_bytes(&b->layout) >> PAGE_SHIFT;
	if (frame_alloc_contig(b->frames, VM_BUILD_RAM_ALIGN >> PAGE_SHIFT, &b->ram)) {
		pr_err("vm %s: cannot get %llu MiB of RAM in one piece (%llu MiB free)", b->name,
		       (unsigned long long)(guest_ram_bytes(&b->layout) >> 20),
		       (unsigned long long)(frame_free_count() >> (20 - PAGE_SHIFT)));
		return -ENOMEM;
	}
	b->host = phys_to_virt(b->ram);
	/* One line per build: which host frames back this VM (frames are reused). */
	pr_info("vm %s: RAM %llu MiB at host %#llx-%#llx", b->name,
		(unsigned long long)(guest_ram_bytes(&b->layout) >> 20),
		(unsigned long long)b->ram,
		(unsigned long long)(b->ram + guest_ram_bytes(&b->layout) - 1));
	return 0;
}

/* Chunks of the largest TDP leaf: a fault maps no more than its chunk. */
static int vm_build_alloc_zero_state(struct vm_build *b)
{
	b->zero_shift = (backend_caps.tdp_large & BACKEND_TDP_2M) ? 21 : PAGE_SHIFT;
	b->zero_state = kmalloc(ram_zero_state_bytes(guest_ram_bytes(&b->layout),
						     b->zero_shift));
	return b->zero_state ? 0 : -ENOMEM;
}

/* --- The VM -------------------------------------------------------------- */

/* The TDP the backend walks: its format, its depth, its largest leaf. */
static void vm_build_tdp_params(struct vm_params *p)
{
	p->tdp = backend_caps.tdp_format;
	p->tdp_levels = (int)backend_caps.tdp_levels;
	p->tdp_max_leaf = (backend_caps.tdp_large & BACKEND_TDP_2M) ? TDP_LEVEL_2M : TDP_LEVEL_4K;
}

/* One more memslot over [gpa, gpa + len) of RAM offset off; none if len is 0. */
static int vm_build_add_slot(struct vm_build *b, uint64_t gpa, uint64_t len, uint64_t off,
			     uint32_t flags)
{
	int err;

	if (!len)
		return 0;
	err = memslots_create(&b->vm->memslots, b->nr_slots, gpa >> PAGE_SHIFT,
			      len >> PAGE_SHIFT, b->ram + off, flags);
	if (!err)
		b->nr_slots++;
	return err;
}

/* RAM below the hole (with the read-only range cut out as its own slot), then above. */
static int vm_build_create_slots(struct vm_build *b)
{
	const struct guest_ram_layout *l = &b->layout;
	uint64_t rs = b->rom_start, re = b->rom_end;
	int err;

	err = vm_build_add_slot(b, 0, rs, 0, 0);
	if (!err)
		err = vm_build_add_slot(b, rs, re - rs, rs, MEMSLOT_READONLY);
	if (!err)
		err = vm_build_add_slot(b, re, l->low - re, re, 0);
	if (!err)
		err = vm_build_add_slot(b, l->high_base, l->high, l->low, 0);
	return err;
}

static int vm_build_create_vcpus(struct vm_build *b)
{
	struct vm *vm = b->vm;
	struct vcpu *vcpu;
	int err;

	for (unsigned int i = 0; i < b->vcpus; i++) {
		err = vm_vcpu_create(vm, &vcpu);
		if (err)
			return err;
		err = backend_vcpu_create(i, &vcpu->bv);
		if (err)
			return err;
		err = backend_set_tdp_root(vcpu->bv, vm->mmu.root_pa, (unsigned int)vm->mmu.levels);
		if (err)
			return err;
	}
	return 0;
}

/* Takes down b->vm: backend vCPUs, memslots, then the VM with its vCPUs. */
static void vm_build_destroy_vm(struct vm_build *b)
{
	struct vm *vm = b->vm;

	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++) {
		if (vm->vcpus[i]->bv)
			backend_vcpu_destroy(vm->vcpus[i]->bv);
		if (vm->vcpus[i]->stack)
			frame_free_contig(vm->vcpus[i]->stack, VCPU_STACK_SIZE / PAGE_SIZE);
	}
	while (b->nr_slots)
		memslots_delete(&vm->memslots, --b->nr_slots);
	vm_destroy(vm);
	b->vm = NULL;
}

/* The VM over b's RAM, whose chunks are all marked for zeroing again. */
static int vm_build_create_vm(struct vm_build *b)
{
	/* One memslot reader besides the vCPUs: the console monitor's (`vm NAME`). */
	struct vm_params p = { .name = b->name, .max_vcpus = b->vcpus, .extra_readers = 1 };
	int err;

	vm_build_tdp_params(&p);
	err = vm_create(&p, &b->vm);
	if (err)
		return err;
	ram_zero_init(&b->zero, b->host, &b->layout, b->zero_shift, b->zero_state);
	b->vm->ram_zero = &b->zero;
	ram_zero_touch(&b->zero, 0, VM_BUILD_ZEROED_UP_FRONT);
	err = vm_build_create_slots(b);
	if (err)
		goto destroy_vm;
	err = vm_build_create_vcpus(b);
	if (err)
		goto destroy_vm;
	return 0;

destroy_vm:
	vm_build_destroy_vm(b);
	return err;
}

/* --- Build, rebuild, destroy --------------------------------------------- */

int vm_build_create(const struct vm_build_params *p, struct vm_build **out)
{
	struct vm_build *b;
	int err;

	if (!p->vcpus || p->vcpus > VM_MAX_VCPUS || !p->ram_bytes ||
	    p->ram_bytes % MiB(1) || p->rom_start > p->rom_end ||
	    p->rom_end > MIN(p->ram_bytes, VM_BUILD_ZEROED_UP_FRONT) ||
	    (p->rom_start | p->rom_end) & (PAGE_SIZE - 1))
		return -EINVAL;
	b = kzalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	hv_strlcpy(b->name, p->name ? p->name : "vm", sizeof(b->name));
	b->vcpus = p->vcpus;
	b->layout = guest_ram_layout_for(p->ram_bytes);
	b->rom_start = p->rom_start;
	b->rom_end = p->rom_end;
	err = vm_build_alloc_ram(b);
	if (err)
		goto free_build;
	err = vm_build_alloc_zero_state(b);
	if (err)
		goto free_ram;
	err = vm_build_create_vm(b);
	if (err)
		goto free_zero_state;
	*out = b;
	return 0;

free_zero_state:
	kfree(b->zero_state);
free_ram:
	frame_free_contig(b->ram, b->frames);
free_build:
	kfree(b);
	return err;
}

int vm_build_rebuild(struct vm_build *b)
{
	if (b->vm)
		vm_build_destroy_vm(b);
	return vm_build_create_vm(b);
}

void vm_build_destroy(struct vm_build *b)
{
	if (b->vm)
		vm_build_destroy_vm(b);
	kfree(b->zero_state);
	frame_free_contig(b->ram, b->frames);
	kfree(b);
}

int vm_build_write(struct vm_build *b, uint64_t gpa, const void *src, size_t len)
{
	if (gpa > b->layout.low || len > b->layout.low - gpa)
		return -EINVAL;
	ram_zero_touch(&b->zero, gpa, len);
	memcpy(b->host + gpa, src, len);
	return 0;
}

/* --- Running ------------------------------------------------------------- */

static void vm_build_vcpu_thread(void *arg)
{
	vcpu_run(arg);
}

/*
 * The thread has left its CPU for good (sched_finish_switch(), on the
 * next thread): its stack may go with the VM from now on.
 */
static void vm_build_vcpu_exited(void *arg)
{
	struct vcpu *vcpu = arg;

	/* Pairs with the acquire load of vm_build_running(). */
	__atomic_sub_fetch(&vcpu->vm->running, 1, __ATOMIC_RELEASE);
}

/* Sets up vCPU i's thread and places it. 0, or an error with a message. */
static int vm_build_start_vcpu(struct vm_build *b, unsigned int i,
			       const struct vm_build_sched *s, uint64_t affinity)
{
	struct vcpu *vcpu = b->vm->vcpus[i];
	struct sched_thread *t = &vcpu->thread;
	paddr_t stack;
	int cpu, err;

	err = frame_alloc_contig(VCPU_STACK_SIZE / PAGE_SIZE, 1, &stack);
	if (err) {
		vm_stop(b->vm, "vCPU %u: no memory for its stack", i);
		return err;
	}
	vcpu->stack = stack;
	if (s->pin && s->pinned)
		affinity = s->pin[i] < SCHED_MAX_CPUS ? BIT_ULL(s->pin[i]) : 0;
	sched_thread_init(t, b->name, s->weight, SCHED_PRIO_VCPU, affinity);
	t->group = b->vm;
	t->exit_fn = vm_build_vcpu_exited;
	sched_thread_start(t, (char *)phys_to_virt(stack) + VCPU_STACK_SIZE,
			   vm_build_vcpu_thread, vcpu);
	vcpu->req.thread = t;
	cpu = sched_place(t, s->pin ? (int)s->pin[i] : -1);
	if (cpu < 0) {
		if (s->pin)
			vm_stop(b->vm, "CPU %u cannot take vCPU %u (%s)", s->pin[i], i,
				"not online, or not among the VM's CPUs");
		else
			vm_stop(b->vm, "vCPU %u: none of the VM's CPUs is online", i);
		return cpu;
	}
	WRITE_ONCE(vcpu->host_cpu, cpu);
	return 0;
}

void vm_build_start(struct vm_build *b, const struct vm_build_sched *s)
{
	struct vm *vm = b->vm;
	unsigned int n = vm_nr_vcpus(vm);
	uint64_t affinity = s->affinity;

	if (!affinity) {
		for (unsigned int c = 0; c < platform_nr_cpus() && c < SCHED_MAX_CPUS; c++)
			affinity |= BIT_ULL(c);
	}
	vm->running = n;
	for (unsigned int i = 0; i < n; i++)
		if (vm_build_start_vcpu(b, i, s, affinity))
			__atomic_sub_fetch(&vm->running, 1, __ATOMIC_RELEASE);
}

void vm_build_report(const struct vm_build *b)
{
	struct vm *vm = b->vm;

	pr_info("vm %s: ended: %s", vm->name, vm->stop_reason);
	/* Every vCPU has left its loop (vm_build_running() is false): safe to read. */
	if (vm->stop_error)
		vm_print_error_dump(vm);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exits(vm->vcpus[i]);
}
