/*
 * The VM configuration file (vms.cfg on the boot medium, docs/config.md):
 * one VM per line,
 *
 *     vm name=linux memory=512M vcpus=2 kernel=vmlinuz initrd=initrd.gz \
 *        cmdline="console=ttyS0 quiet" cpus=1,2 weight=512
 *
 * Syntax. An entry starts with the word "vm" and goes on with key=value
 * pairs separated by blanks (spaces, tabs; a CR is a blank, so CRLF files
 * read the same). A backslash at the very end of a line (before LF or CRLF)
 * continues the entry on the next line, also inside quotes. '#' outside
 * quotes starts a comment to the end of the physical line; a comment does
 * not continue. A value is bare (up to the next blank, '#' or line end; no
 * '"' in it; a backslash in it is literal) or quoted as a whole ("..."),
 * where \" and \\ stand for " and \ and any other backslash is literal; a
 * closing quote must be followed by a blank, '#' or the line end. Control
 * characters other than tab, CR and LF are errors anywhere.
 *
 * Keys (each at most once per entry):
 *   name     required; 1-31 of [A-Za-z0-9_.-]; unique in the file
 *   memory   required; decimal bytes, or with a K, M or G suffix (either
 *            case; powers of 1024); a multiple of 1 MiB (the RAM is
 *            handed out and mapped in whole MiB) from 16 MiB to 64 GiB
 *   vcpus    1-64, default 1
 *   kernel   required; a file name on the boot medium, 1-63 characters
 *   initrd   optional; likewise
 *   cmdline  optional; up to 1023 characters (may be empty)
 *   modules  optional; "FILE[ ARGS][, FILE[ ARGS]...]": at most 8 files on
 *            the boot medium (names 1-63 characters) handed to a
 *            Multiboot, Multiboot2 or PVH kernel as modules, each with
 *            its entry as written (blanks around it dropped) as its
 *            string; up to 1023 characters in all. A Linux kernel
 *            refuses it (initrd= is its one module)
 *   cpus     optional; host CPUs (0-255) as a comma list of numbers and
 *            ranges "a-b" (a <= b), no CPU twice: the CPUs the VM's vCPUs
 *            may run on (default: every CPU), shared with other VMs and
 *            the console monitor; each vCPU starts on the least loaded
 *            one and may move between them (docs/scheduler.md)
 *   pin      optional; "on" or "off" (default): on, vCPU i runs on the
 *            i-th CPU of cpus= only, which must list at least vcpus CPUs
 *   weight   optional; 1-65535, default 256: the VM's vCPUs' share of a
 *            CPU they compete for (twice the weight, twice the time)
 *   debug-exit       optional; QEMU's isa-debug-exit at this port: a number
 *                    (decimal or 0x hex, 0-0xffff), "on" (0xf4) or "off"
 *                    (the default); a write of V ends the VM with status
 *                    (V << 1) | 1
 *   debug-exit-size  optional; 1, 2 or 4 ports (default 4); the range must
 *                    end at 0xffff or below
 *   fw-cfg           optional; "on" or "off" (default): QEMU's fw_cfg on 0x510
 *   debugcon         optional; "on" or "off" (default): QEMU's debug console
 *                    on 0xe9, into the VM's console
 *   testdev          optional; "on" or "off" (default): pc-testdev's IRQ
 *                    lines on 0x2000-0x2017
 *   unbacked optional; ignore (default: an access to guest-physical
 *            space nothing backs reads all ones, a write is dropped, one
 *            log line per region) or stop (the VM stops there)
 *   paravirt optional; kvm (default: KVM's CPUID signature, kvmclock and
 *            PV EOI, docs/platform.md) or none (no paravirtual interface)
 *
 * Errors name the file, the line and the offending text:
 *     vms.cfg:3: memory: "12X" is not a size (use e.g. 512M)
 * The line is the physical line where the offending text starts (for a
 * missing key: the line of the entry's "vm").
 *
 * Runs anywhere (boot CPU at start-up; hosted tests): no allocation, no
 * locks, no global state; the caller owns every buffer.
 */
#ifndef CORE_VMCONFIG_H
#define CORE_VMCONFIG_H

#include "core/lib/compiler.h"

#define VMCONFIG_NAME_MAX	31
#define VMCONFIG_FILE_MAX	63	/* kernel=, initrd= */
#define VMCONFIG_CMDLINE_MAX	1023
#define VMCONFIG_MODULES_MAX	8	/* files in modules= */
#define VMCONFIG_MODULES_LEN	1023	/* characters of modules= */
#define VMCONFIG_VCPUS_MAX	64	/* = VM_MAX_VCPUS (core/vm.h) */
#define VMCONFIG_HOST_CPUS	256	/* cpus= numbers: 0..255 */
#define VMCONFIG_WEIGHT_DEFAULT	256	/* = SCHED_WEIGHT_DEFAULT (core/sched.h) */
#define VMCONFIG_WEIGHT_MAX	65535
#define VMCONFIG_MEMORY_MIN	(16ull << 20)
#define VMCONFIG_MEMORY_MAX	(64ull << 30)
#define VMCONFIG_MEMORY_ALIGN	(1ull << 20)
#define VMCONFIG_DEBUG_EXIT_ON	0xf4	/* debug-exit=on: kvm-unit-tests' port */
#define VMCONFIG_DEBUG_EXIT_SIZE 4	/* what kvm-unit-tests give QEMU's iosize */

enum vmconfig_paravirt {
	VMCONFIG_PARAVIRT_KVM,		/* paravirt=kvm, the default */
	VMCONFIG_PARAVIRT_NONE,
};

struct vm_config {
	char name[VMCONFIG_NAME_MAX + 1];
	uint64_t memory;			/* bytes */
	unsigned int vcpus;
	char kernel[VMCONFIG_FILE_MAX + 1];
	char initrd[VMCONFIG_FILE_MAX + 1];	/* "": none */
	char cmdline[VMCONFIG_CMDLINE_MAX + 1];
	unsigned int nr_modules;		/* modules= entries */
	char module_file[VMCONFIG_MODULES_MAX][VMCONFIG_FILE_MAX + 1];
	/* Each module's string, NUL-terminated, one after the other. */
	char module_strings[VMCONFIG_MODULES_LEN + 1];
	unsigned int nr_cpus;			/* 0: no cpus= (every CPU) */
	unsigned int cpus[VMCONFIG_VCPUS_MAX];	/* the CPUs the vCPUs may use */
	bool pin;				/* pin=on: vCPU i on cpus[i] only */
	unsigned int weight;			/* 1..VMCONFIG_WEIGHT_MAX */
	bool unbacked_stop;			/* unbacked=stop */
	unsigned int paravirt;			/* enum vmconfig_paravirt */
	unsigned int line;			/* line of the entry's "vm" */
	/* QEMU's test devices (docs/platform.md), all off by default: */
	bool debug_exit;
	uint16_t debug_exit_port;
	unsigned int debug_exit_size;		/* 1, 2 or 4 */
	bool fw_cfg, debugcon, testdev;
};

/*
 * Parses len bytes of text (not necessarily NUL-terminated) named
 * file_name in messages. Returns 0 with the entries in out[0 .. *n) in
 * file order (*n may be 0: no entry), or -EINVAL with a one-line message
 * in err ("FILE:LINE: what is wrong", truncated to errlen) and *n = 0;
 * more than max entries is an error too. On error out[] holds nothing
 * usable: the entries written so far are cleared.
 */
int vmconfig_parse(const char *text, size_t len, const char *file_name,
		   struct vm_config *out, unsigned int max, unsigned int *n,
		   char *err, size_t errlen);

#endif
