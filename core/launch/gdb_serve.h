/*
 * The GDB stub on a serial port of its own (COM2 by default), serving one
 * VM at a time: the monitor's `gdb NAME` picks it, the first VM by
 * default. The protocol is core/debug/gdb_stub.c, the VM side
 * core/debug/gdb_vm.c; this file owns the port, the stub's state and the
 * choice of VM, and follows the VM through its life: when it ends GDB is
 * told, and when it starts again (a reset, `start`) it is served again.
 *
 * Boot CPU only: set up before the monitor loop, polled from its tick,
 * told by the launcher before a VM it serves is torn down.
 */
#ifndef CORE_LAUNCH_GDB_SERVE_H
#define CORE_LAUNCH_GDB_SERVE_H

#include "core/lib/compiler.h"

struct vm;

/*
 * The port from the hypervisor's command line: "com1".."com4", a port
 * number ("0x2f8"), or "off"; NULL (no option) is COM2. Returns the
 * port, 0 for off, or -EINVAL for a value it does not understand.
 */
int gdb_serve_port_from(const char *opt);

/*
 * Starts serving on port (0: off, the `gdb` command says so) with the
 * first VM of vms.cfg; registers the monitor's `gdb` command. A port
 * with no UART behind it turns the stub off with a line saying so: an
 * error line if the command line asked for that port, an information
 * line for the default.
 */
void gdb_serve_setup(uint16_t port, bool asked);

/* The monitor's periodic work: answers GDB, follows the served VM. */
void gdb_serve_tick(void);

/* The launcher is about to free vm: stop serving it. */
void gdb_serve_vm_ending(struct vm *vm);

#endif
