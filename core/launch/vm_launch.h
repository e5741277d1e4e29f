/*
 * Operating-system VMs from the boot medium's configuration file
 * (core/launch/vm_launch.c, docs/config.md). Boot CPU only.
 */
#ifndef CORE_VM_LAUNCH_H
#define CORE_VM_LAUNCH_H

#include "core/lib/boot.h"

struct vm;

/*
 * Parses vms.cfg, if the boot medium has one, and starts every VM it
 * describes that can be built. Returns how many started.
 */
unsigned int vms_launch_all(const struct boot_record *boot);

/*
 * Runs the test payloads among the boot files (core/payload/payload.h),
 * but not those vms.cfg names as a VM's kernel or initrd: they run as
 * that VM. Returns how many ran.
 */
unsigned int vms_run_payloads(const struct boot_record *boot);

/*
 * The boot CPU's loop while VMs exist: the console monitor
 * (core/launch/monitor.c) with the launcher's commands
 * (core/launch/vm_cmds.c), ending and restarting VMs. Never returns.
 */
__noreturn void vms_monitor(void);

/*
 * What the monitor's commands see and do. Boot CPU only (the monitor's
 * commands run there, between the reaps).
 */

/* The live VM named name (running, or stopped and not yet reaped), or NULL. */
struct vm *vms_find(const char *name);

/* One VM of vms.cfg, as vms_info() copies it out. */
struct vms_info {
	const char *name;
	bool live;		/* built and started, not yet reaped */
	struct vm *vm;		/* while live, else NULL */
	unsigned int vcpus;
	const unsigned int *cpus;	/* the host CPU of each vCPU (while live) */
	uint64_t memory;	/* bytes */
	unsigned int restarts;	/* guest resets since its start */
	uint64_t boot_ns;	/* time_now_ns() at its last boot */
};

/* The i-th VM (0, 1, ...) into out; false past the last. */
bool vms_info(unsigned int i, struct vms_info *out);

/*
 * Life cycle, each by name: 0, or -ENOENT (no VM of that name), -EBUSY
 * (stop/reset: it has ended, or a stop is under way), -EEXIST (start: it
 * is live), or start's build errors (with their error lines). stop ends
 * the VM (the reap tears it down and frees its CPUs); reset rebuilds and
 * boots it as a guest reset does, not counted against the restart limit;
 * start builds and boots an ended VM again from its configuration, its
 * restart count back to 0.
 */
int vms_stop(const char *name);
int vms_reset(const char *name);
int vms_start(const char *name);

#endif
