/*
 * The monitor's commands that show a VM's state and pause it
 * (core/launch/monitor_vm.c: pause, resume, regs, vmcs/vmcb, devices,
 * timers; core/launch/monitor_mem.c: mem, vmem, walk, tdp, dirty). Each
 * answers a bad argument, an unknown VM, a vCPU out of range or a VM
 * that is not running with one error line (monitor_error()).
 *
 * Boot CPU only, inside the monitor's loop: a VM found by name cannot be
 * torn down under a command (the reap runs on the same CPU, between
 * commands); `dirty`, which spans ticks, checks before each step that
 * its VM is still the one it started on. docs/debugging.md shows the
 * commands; docs/locking.md the locks they take.
 */
#ifndef CORE_LAUNCH_MONITOR_VM_H
#define CORE_LAUNCH_MONITOR_VM_H

#include "core/lib/compiler.h"

struct vm;
struct vcpu;

#define MONITOR_MEM_DEFAULT 64u		/* bytes `mem` shows without LEN */
#define MONITOR_MEM_MAX     4096u	/* at most this many per command */
#define MONITOR_CALL_NS     500000000ull	/* a vCPU must answer a call in 0.5 s */

/* Registers the commands; a refusal is an error line. */
void monitor_vm_register(void);

/* The monitor's periodic work for these commands (a `dirty` in progress). */
void monitor_vm_tick(void);

/* True while the monitor holds vm paused (`pause`, until `resume`). */
bool vm_paused_by_monitor(const struct vm *vm);

/*
 * Shared by the two files: the running VM named name, or NULL after an
 * error line naming cmd (no such VM, or it is not running).
 */
struct vm *monitor_vm_find(const char *cmd, const char *name);

/* vCPU word (decimal or 0x hex) of vm, or NULL after an error line. */
struct vcpu *monitor_vm_vcpu(const char *cmd, struct vm *vm, const char *word);

/*
 * The hex dump: one line of up to 16 bytes at addr, "ADDR: hh hh ...
 * |ascii|". valid[i] false prints the byte as "--" (and "." in the ASCII
 * column). Returns buf.
 */
#define MONITOR_HEX_LINE 100
const char *monitor_hex_line(uint64_t addr, const uint8_t *bytes, const bool *valid,
			     unsigned int n, char *buf, size_t size);

/*
 * Reads up to 16 bytes at gpa of vm's RAM through its memslots into
 * bytes, valid[i] saying which were RAM (never MMIO: an address outside
 * every memslot is not read). RAM not yet zeroed for the guest is zeroed
 * first (core/ram_zero.h), so no earlier tenant's data shows. Inside a
 * read section of the monitor's memslot reader; 0, or -errno when the
 * reader cannot be registered.
 */
int monitor_mem_read(struct vm *vm, uint64_t gpa, uint8_t *bytes, bool *valid, unsigned int n);

#endif
