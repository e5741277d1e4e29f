/*
 * A VM as the GDB stub's target (struct gdb_target_ops of
 * core/debug/gdb_stub.h): its vCPUs are GDB's threads 1..N.
 *
 * How it reaches the vCPUs: everything that reads or writes a vCPU's
 * state (registers, guest memory through its page tables, its debug
 * intercepts) runs on the vCPU's own thread through vcpu_call()
 * (core/vcpu_ctl.h), which works whether the vCPU runs, halts or is
 * parked; stopping holds one pause count on every vCPU (vcpu_pause()),
 * so a stopped VM's vCPUs sit parked outside guest mode with their
 * timers saved, and the other VMs run on. Resuming releases the count of
 * each thread GDB lets run.
 *
 * Stops the intercepts cause come through the VM's debug hook
 * (vm->debug_stop, core/vcpu_debug.h) on the stopping vCPU's thread: the
 * hook pauses every vCPU (the stopping one parks as soon as the hook
 * returns) and reports the stop to the stub (gdb_stub_report_stop(), any
 * CPU). A #BP at an address where the stub planted no INT3 is the guest's
 * own: the hook says so and the INT3 goes back to the guest.
 *
 * Context: the gdb_vm_* functions and the target operations run on the
 * CPU that polls the stub (the console monitor), the hook on vCPU
 * threads. One gdb_vm serves one VM at a time; the lock guards the
 * per-vCPU hold flags, which both sides change.
 */
#ifndef CORE_DEBUG_GDB_VM_H
#define CORE_DEBUG_GDB_VM_H

#include "core/debug/gdb_stub.h"
#include "core/vcpu_debug.h"
#include "core/vm.h"

/* How long a target operation waits for a vCPU to answer. */
#define GDB_VM_CALL_NS 1000000000ull

struct gdb_vm {
	struct vm *vm;			/* NULL: detached */
	struct gdb_stub *stub;
	/* The hardware breakpoints and watchpoints, the same on every vCPU. */
	struct vcpu_debug_cfg cfg;
	/* lock guards held[]: the debugger's pause count on each vCPU. */
	spinlock_t lock;
	bool held[VM_MAX_VCPUS];
	/* Stops reported so far, for the monitor. */
	uint64_t stops;
};

/* The operations the stub is given with a struct gdb_vm as ctx. */
extern const struct gdb_target_ops gdb_vm_ops;

/*
 * Attaches g to vm (every vCPU keeps running; GDB's first '?' stops
 * them) and installs the VM's debug hook. Returns 0 or -EBUSY if another
 * gdb_vm serves a VM (the hook is one per VM and finds g through a
 * single pointer).
 */
int gdb_vm_attach(struct gdb_vm *g, struct gdb_stub *stub, struct vm *vm);

/*
 * Detaches g: the debug intercepts of every vCPU disarmed, every vCPU
 * released, the hook removed. The VM runs on. The stub's own software
 * breakpoints are its business (it restores them on D and k).
 */
void gdb_vm_detach(struct gdb_vm *g);

/*
 * The VM g served has ended (its vCPU loops are over): forgets it without
 * touching it, and tells the stub (GDB_STOP_EXITED).
 */
void gdb_vm_forget(struct gdb_vm *g);

#endif
