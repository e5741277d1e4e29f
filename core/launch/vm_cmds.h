/*
 * The launcher's monitor commands (core/launch/vm_cmds.c): vms, vm,
 * stop, start, reset, stats, cpus, log. Boot CPU only.
 */
#ifndef CORE_LAUNCH_VM_CMDS_H
#define CORE_LAUNCH_VM_CMDS_H

/* Registers them with the monitor; a refusal is an error line. */
void vm_cmds_register(void);

#endif
