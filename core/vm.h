/*
 * Virtual machines and their vCPUs: the objects that tie the concurrency
 * core together. A VM owns its memslots (published behind the SRCU-like
 * epoch), its TDP MMU (faults under the read-mode mmu_lock), and its
 * vCPUs; a vCPU owns its request/kick state, its timer list and its
 * memslot reader slot. Vendor-free: the backend state hangs off
 * vcpu->arch and is created by the run loop through core/backend.h.
 *
 * Locks: vm->lock (creation and teardown of vCPUs) is the only lock of
 * its own; everything else is the locks of the parts (docs/locking.md).
 */
#ifndef CORE_VM_H
#define CORE_VM_H

#include "core/backend.h"
#include "core/exit.h"
#include "core/exit_rec.h"
#include "core/memslots.h"
#include "core/sched.h"
#include "core/srcu.h"
#include "core/vcpu_ctl.h"
#include "core/vcpu_request.h"
#include "core/vtimer.h"
#include "mm/tdp_mmu.h"

#define VM_MAX_VCPUS 64
#define VM_NAME_MAX  32

struct vm;
struct ram_zero;
struct vm_platform_ops;
struct vcpu_debug;
struct vcpu_debug_stop;

struct vcpu {
	/* Fixed at creation. */
	unsigned int id;
	struct vm *vm;

	/* Requests, guest-mode state and kicks (lock-free; see there). */
	struct vcpu_req_state req;
	/* Pause and calls from the monitor or a debugger (core/vcpu_ctl.h). */
	struct vcpu_ctl ctl;
	/* Periodic timers owned by this vCPU, under timers.lock. */
	struct vtimer_vcpu timers;
	/* This vCPU's read side of vm->memslots.srcu; used by its thread only. */
	struct srcu_reader srcu;

	/* Backend (SVM/VMX) state; owned by the vCPU's thread. */
	struct backend_vcpu *bv;

	/*
	 * Run-loop state (core/vcpu_run.c). Written by the vCPU's own thread
	 * unless a field says otherwise; read by the monitor with READ_ONCE.
	 */
	uint64_t exits[EXIT_NR];		/* per normalised reason */
	uint64_t exits_total;
	/* TSC cycles from each exit to the next entry, per reason. */
	uint64_t exit_cycles[EXIT_NR];
	/*
	 * The flight recorder of its last exits (core/exit_rec.h): the ring
	 * is allocated with the vCPU, exit_rec_default_len() entries; the
	 * vCPU's thread writes it, anyone reads it with exit_rec_read().
	 */
	struct exit_rec rec;
	int host_cpu;				/* where its loop runs, -1 */
	/*
	 * The vCPU's hypervisor thread (core/sched.h) and its stack (frames
	 * of VCPU_STACK_SIZE bytes, 0 when none): set up by vm_build_start(),
	 * the stack freed with the VM.
	 */
	struct sched_thread thread;
	paddr_t stack;
	/* In HLT, woken for a request only: the loop halts it again. */
	bool halted;

	/*
	 * The platform's per-vCPU state (core/vm_platform.h): the virtual
	 * PC's local APIC and INIT/SIPI state, or the test payload's pending
	 * vectors and timer. Set before the vCPU first runs, fixed after.
	 */
	void *platform_data;

	/* A guest debugger's state (core/vcpu_debug.h); vCPU thread, NULL: none. */
	struct vcpu_debug *debug;
};

struct vm_params {
	const char *name;
	enum backend_tdp_format tdp;	/* NPT or EPT table format */
	int tdp_levels;		/* 4 (5 where the CPU has it) */
	int tdp_max_leaf;	/* TDP_LEVEL_4K, _2M or _1G */
	unsigned int max_vcpus;	/* at most VM_MAX_VCPUS */
	/* Memslot readers besides the vCPUs (host CPUs that look up gfns). */
	unsigned int extra_readers;
};

struct vm {
	/* Fixed at creation. */
	char name[VM_NAME_MAX];
	unsigned int max_vcpus;

	struct vm_memslots memslots;
	struct tdp_mmu mmu;

	/* Serialises vm_vcpu_create() and vm_destroy(). */
	spinlock_t lock;
	/*
	 * vCPUs, published in id order: vcpus[i] and reqs[i] are written
	 * under lock before nr_vcpus is raised with a release store; readers
	 * load nr_vcpus with acquire and may then use entries below it
	 * without the lock. Entries never change until vm_destroy().
	 */
	unsigned int nr_vcpus;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	struct vcpu_req_state *reqs[VM_MAX_VCPUS];

	/*
	 * Set once (atomic cmpxchg 0 -> 1) by whoever stops the VM: a guest
	 * error, the guest's own request, or the host. The winner writes
	 * stop_reason first and makes VCPU_REQ_STOP of every vCPU.
	 */
	int stopped;
	char stop_reason[192];
	/*
	 * The stop was a guest error (vm_stop_error()): the VM's report
	 * dumps its vCPUs. Written by the winner before its request.
	 */
	bool stop_error;
	/* vCPU loops still running; the last one out reports the VM. */
	unsigned int running;
	/*
	 * The platform (core/vm_platform.h): the virtual PC or the test-payload
	 * ABI, with its VM-wide data. Set before any vCPU runs; NULL until then.
	 */
	const struct vm_platform_ops *platform;
	void *platform_data;
	/*
	 * RAM zeroed on first touch (core/ram_zero.h); NULL: zeroed up front.
	 * Set by the VM's builder (core/vm_build.c), which owns it with the
	 * VM's RAM; fixed before any vCPU runs.
	 */
	struct ram_zero *ram_zero;
	/*
	 * The debugger's hook for the stops it causes (core/vcpu_debug.h,
	 * vcpu_debug_stop_fn); NULL: none. Set before the debugger arms a
	 * vCPU, read by the vCPU threads.
	 */
	bool (*debug_stop)(struct vcpu *vcpu, const struct vcpu_debug_stop *why);
	/*
	 * Called by the one vm_stop() that stops the VM, on its CPU, before
	 * the stop is reported (the launcher's: the VM's console output so
	 * far reaches the console first), and by vm_console_sync(); NULL:
	 * none. Set before any vCPU runs. It may wait a little, never for a
	 * vCPU.
	 */
	void (*stop_notify)(struct vm *vm, void *ctx);
	void *stop_ctx;
	/*
	 * The console monitor holds one pause count on every vCPU (`pause`
	 * until `resume`). Boot CPU only (core/launch/monitor_vm.c).
	 */
	bool monitor_paused;
};

/*
 * Creates an empty VM (no memslots, no vCPUs). Returns 0 or -EINVAL
 * (bad parameters), -ENOMEM; on error nothing is left allocated.
 */
int vm_create(const struct vm_params *p, struct vm **out);

/* Adds a vCPU (id = the next index). -ENOSPC past max_vcpus, -ENOMEM. */
int vm_vcpu_create(struct vm *vm, struct vcpu **out);

/*
 * Frees the VM: its platform (whose destroy stops the timers it owns), its
 * vCPUs (none may be running), its TDP tables and its memslots. Other
 * timers must have been destroyed by the devices that own them.
 */
void vm_destroy(struct vm *vm);

static inline unsigned int vm_nr_vcpus(const struct vm *vm)
{
	/* Pairs with the release store in vm_vcpu_create(). */
	return smp_load_acquire(&vm->nr_vcpus);
}

/*
 * Makes req (VCPU_REQ_* | flags) of every vCPU, or of those whose bit is
 * set in mask (NULL: all); only vCPUs in guest mode are interrupted.
 */
bool vm_make_request(struct vm *vm, unsigned int req, const uint64_t *mask);

/*
 * Remote TLB flush: returns once no vCPU of the VM can still use a
 * translation removed before the call. The TDP MMU's flush hook.
 */
void vm_flush_remote_tlbs(struct vm *vm);

/*
 * Stops the VM (first caller wins) with a reason for the console; every
 * vCPU leaves its run loop. The hypervisor and other VMs go on.
 */
void vm_stop(struct vm *vm, const char *fmt, ...) __printf(2, 3);

/*
 * vm_stop() for an error of the guest or of its run (an access outside
 * its memory, a triple fault, a failed entry): the report of the VM's
 * end then dumps every vCPU's registers and last exits
 * (vm_build_report()). A poweroff, a reset or a stop by the host is
 * vm_stop().
 */
void vm_stop_error(struct vm *vm, const char *fmt, ...) __printf(2, 3);

/*
 * Before a log line about what the guest did (the PC's open bus): what the
 * guest wrote to its console so far reaches the console first, so that
 * the line does not cut or precede it. Any CPU, outside any lock; may
 * wait a little (the stop_notify hook). Keep it rare: once per event
 * that is logged once.
 */
static inline void vm_console_sync(struct vm *vm)
{
	if (vm->stop_notify)
		vm->stop_notify(vm, vm->stop_ctx);
}

static inline bool vm_is_stopped(const struct vm *vm)
{
	return smp_load_acquire(&vm->stopped);
}

#endif
