/*
 * The VM builder: how every VM comes to exist, a test payload's as much
 * as one from vms.cfg. It gets the guest RAM (one contiguous, 2 MiB
 * aligned block of frames), lays it out (core/guest_ram.h), covers it
 * with memslots, sets up its zeroing on first touch (core/ram_zero.c),
 * creates the VM with the TDP format, depth and leaf size the backend
 * reported (backend_caps), and its vCPUs, each with its backend vCPU and
 * the TDP root. It runs the vCPU threads, and it takes all of that down
 * again in reverse order, or rebuilds the VM over the same RAM when the
 * guest reset it.
 *
 * The caller loads the guest and sets the vCPUs' state between build and
 * start; what is specific to a kind of VM (the virtual PC, a payload's
 * entry) is not here.
 *
 * Runs on the CPU that builds VMs (the boot CPU), outside any vCPU. A
 * struct vm_build belongs to its caller, except b->vm->running, which the
 * vCPU threads count down (atomics). No lock of its own.
 */
#ifndef CORE_VM_BUILD_H
#define CORE_VM_BUILD_H

#include "core/guest_ram.h"
#include "core/ram_zero.h"
#include "core/vm.h"

#define VM_BUILD_RAM_ALIGN MiB(2)	/* RAM comes in large TDP leaves */

struct vm_build_params {
	const char *name;	/* for the VM and its messages */
	unsigned int vcpus;	/* 1 .. VM_MAX_VCPUS */
	uint64_t ram_bytes;	/* a multiple of 1 MiB */
	/*
	 * A range of RAM below the hole the guest may read but not write
	 * (the PC's ROM): its own memslot, MEMSLOT_READONLY, over the same
	 * host pages; a guest write to it is a TDP_FAULT_READONLY the
	 * platform handles. Page aligned, inside the first MiB (zeroed up
	 * front, so what the caller writes there stays); 0, 0 for none.
	 */
	uint64_t rom_start, rom_end;
};

struct vm_build {
	/* Fixed by vm_build_create(). */
	char name[VM_NAME_MAX];
	unsigned int vcpus;
	struct guest_ram_layout layout;
	uint64_t rom_start, rom_end;	/* vm_build_params' read-only range */
	paddr_t ram;			/* host-physical RAM offset 0 */
	size_t frames;
	uint8_t *host;			/* host view of RAM offset 0 */
	/* The VM's RAM zeroed on first touch; vm->ram_zero points here. */
	struct ram_zero zero;
	uint8_t *zero_state;
	unsigned int zero_shift;
	/* The VM; replaced by vm_build_rebuild(), NULL if that failed. */
	struct vm *vm;
	unsigned int nr_slots;		/* memslots of vm, ids 0 .. nr_slots - 1 */
};

/*
 * Builds a VM as p says: RAM, layout, memslots, the VM and its vCPUs,
 * each vCPU in the x86 power-on state with the TDP root set. The first
 * MiB of RAM is zeroed already (loaders write there); the rest is zeroed
 * on first touch. Returns 0 with *out, or -EINVAL (bad parameters, a
 * read-only range not page aligned or past the first MiB or RAM),
 * -ENOMEM (no RAM in one piece: an error line names the VM) or a
 * backend's error; on error nothing is left.
 */
int vm_build_create(const struct vm_build_params *p, struct vm_build **out);

/*
 * Takes down what vm_build_create() built, in reverse order, and frees b.
 * No vCPU may be running (vm_build_running() false); what the caller put
 * on top of the VM (a virtual PC) must be gone already.
 */
void vm_build_destroy(struct vm_build *b);

/*
 * For a reset: a new VM with new vCPUs over the same RAM, which is
 * zeroed again on first touch, as vm_build_create() leaves it. The same
 * conditions as vm_build_destroy(). Returns 0, or an error with b->vm
 * NULL (b can only be destroyed then).
 */
int vm_build_rebuild(struct vm_build *b);

/*
 * Copies len bytes to guest-physical gpa (RAM below the hole), zeroing
 * first what of their chunks was not yet. -EINVAL if it is not all RAM.
 */
int vm_build_write(struct vm_build *b, uint64_t gpa, const void *src, size_t len);

/* How vm_build_start() places a VM's vCPU threads (core/sched.h). */
struct vm_build_sched {
	uint64_t affinity;	/* CPUs the vCPUs may run on; 0: every CPU */
	uint32_t weight;	/* the vCPUs' weight; 0: SCHED_WEIGHT_DEFAULT */
	/* vCPU i starts on CPU pin[i]; NULL: the least loaded of affinity. */
	const unsigned int *pin;
	/* With pin: vCPU i stays on pin[i] (its affinity is that CPU alone). */
	bool pinned;
};

/* A vCPU thread's hypervisor stack. */
#define VCPU_STACK_SIZE (32 * 1024)

/*
 * Gives every vCPU a thread with a stack of its own and places it on a
 * run queue as s says; returns at once (vm_build_running() tells when
 * every loop has ended). A vCPU that gets no stack or no CPU stops the
 * VM, with the reason.
 */
void vm_build_start(struct vm_build *b, const struct vm_build_sched *s);

/* True while a vCPU loop of the VM still runs. */
static inline bool vm_build_running(const struct vm_build *b)
{
	/* Pairs with the release decrement at the end of each vCPU thread. */
	return __atomic_load_n(&b->vm->running, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Logs why the VM ended, each vCPU's state and last exits if an error
 * stopped it (vm_stop_error()), and each vCPU's exit statistics. Only
 * once vm_build_running() is false.
 */
void vm_build_report(const struct vm_build *b);

#endif
