/*
 * Operating-system VMs from the boot medium's configuration file
 * (core/launch/vm_launch.c, docs/config.md). Boot CPU only.
 */
#ifndef CORE_VM_LAUNCH_H
#define CORE_VM_LAUNCH_H

#include "core/lib/boot.h"

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
 * The running VM named name (vms.cfg's name=), or NULL. Boot CPU only
 * (the monitor's commands): the VM stays until the monitor reaps it.
 */
struct vm *vms_find(const char *name);

/*
 * The boot CPU's loop while VMs exist: the console monitor
 * (core/launch/monitor.c) with the launcher's commands (q: the VMs,
 * s: exit statistics), ending and restarting VMs. Never returns.
 */
__noreturn void vms_monitor(void);

#endif
