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

/* True if vms.cfg names file as a VM's kernel or initrd. */
bool vms_config_uses(const struct boot_record *boot, const char *file);

/*
 * The boot CPU's loop while VMs exist: console input and focus, the end
 * and restart of VMs, the hypervisor's console keys. Never returns.
 */
__noreturn void vms_monitor(void);

#endif
