/*
 * Loading a Linux bzImage per the x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst), entered through the 32-bit protocol:
 * the hypervisor plays the boot loader and the kernel's real-mode setup
 * code never runs.
 *
 * What the kernel must be: boot protocol 2.12 or later (xloadflags,
 * 64-bit kernels), LOADED_HIGH (a bzImage), relocatable, with a
 * kernel_alignment that is a power of two of at least 4 KiB, and its
 * protected-mode part complete in the file.
 *
 * Guest-physical layout (all in low RAM, below 4 GiB):
 *   0x6000   the GDT: null, null, 0x10 flat 32-bit code, 0x18 flat data
 *   0x7000   boot_params (the "zero page"), 4 KiB
 *   0x20000  the command line, up to the kernel's cmdline_size
 *   kernel   the protected-mode part of the file (what follows the
 *            (setup_sects + 1) * 512 bytes of real-mode code) at
 *            pref_address when that is aligned to kernel_alignment and
 *            the kernel fits there; else at the first kernel_alignment
 *            boundary at or above 16 MiB. The kernel needs RAM up to
 *            max(load, pref_address) + init_size: a relocatable kernel
 *            loaded below pref_address (its LOAD_PHYSICAL_ADDR)
 *            decompresses at pref_address.
 *   initrd   page-aligned, as high as possible below min(initrd_addr_max
 *            + 1, RAM size), above the kernel's init_size area; kept
 *            below 4 GiB even when XLF_CAN_BE_LOADED_ABOVE_4G is set.
 * The kernel's and the initrd's ranges must be RAM in the e820 map.
 *
 * Entry state (boot.rst "32-bit boot protocol"): protected mode, paging
 * off, CR0 = PE | ET, EFER = 0, EFLAGS = 0x2 (interrupts off), CS = 0x10
 * and DS = ES = SS = FS = GS = 0x18 flat 4 GiB (the loaded GDT holds the
 * same descriptors), an empty IDT (limit 0), ESI = boot_params, EBX = EBP
 * = EDI = 0, EIP = the load address (startup_32 is the first byte of the
 * protected-mode part; code32_start is set to it).
 *
 * Runs anywhere (boot CPU when a VM is built; hosted tests); no locks, no
 * allocation, no global state. The caller owns the guest RAM and nothing
 * else may touch it during the load.
 */
#ifndef CORE_LINUX_BOOT_H
#define CORE_LINUX_BOOT_H

#include "core/guest_ram.h"
#include "core/guest_state.h"
#include "core/lib/compiler.h"

/* e820 memory types (ACPI address range types). */
#define E820_RAM		1
#define E820_RESERVED		2
#define E820_ACPI		3

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

/* Entries the zero page holds (boot_params.e820_table). */
#define LINUX_BOOT_E820_MAX	128
/* Entries linux_boot_e820_for() writes at most. */
#define LINUX_BOOT_E820_PC_MAX	7

/* The fixed guest-physical addresses of the layout above. */
#define LINUX_BOOT_GDT_GPA	0x6000ull
#define LINUX_BOOT_PARAMS_GPA	0x7000ull
#define LINUX_BOOT_CMDLINE_GPA	0x20000ull
#define LINUX_BOOT_CMDLINE_ROOM	0x10000ull	/* bytes, NUL included */
#define LINUX_BOOT_KERNEL_MIN	(16ull << 20)	/* fallback load address */

/* The protocol's selectors: __BOOT_CS, __BOOT_DS. */
#define LINUX_BOOT_CS		0x10
#define LINUX_BOOT_DS		0x18

#define LINUX_BOOT_MIN_PROTOCOL	0x020c	/* 2.12 */

struct linux_boot_cfg {
	const uint8_t *kernel;		/* the bzImage file */
	size_t kernel_size;
	const char *kernel_name;	/* for messages */
	const uint8_t *initrd;		/* NULL: none */
	size_t initrd_size;
	const char *initrd_name;
	const char *cmdline;		/* NUL-terminated; NULL: empty */
	const struct e820_entry *e820;	/* sorted, non-overlapping */
	unsigned int nr_e820;		/* 1 .. LINUX_BOOT_E820_MAX */
	uint64_t acpi_rsdp;		/* guest-physical; 0: the guest searches */
};

/* Where the load put things (guest-physical), for the caller's log line. */
struct linux_boot_info {
	uint16_t protocol;		/* e.g. 0x020f for 2.15 */
	uint64_t kernel_addr;		/* load address = entry point */
	uint64_t kernel_size;		/* protected-mode bytes copied */
	uint64_t kernel_end;		/* end of the init_size area */
	uint64_t initrd_addr;		/* 0: no initrd */
	uint64_t initrd_size;
	uint64_t boot_params;
	uint64_t cmdline;
};

/*
 * Loads cfg's kernel (and initrd) into the guest RAM at ram, which maps
 * guest-physical 0 .. ram_size (low RAM, below 4 GiB), and fills *entry
 * with the boot CPU's starting state (complete: pass it to
 * backend_set_state()) and *info. Returns 0, or -ENOEXEC (not a usable
 * bzImage), -ENOSPC (does not fit in RAM), -E2BIG (command line too
 * long) or -EINVAL (bad e820 map) with a one-line message in err naming
 * the file and the fault. Everything is checked before the first write:
 * on error guest RAM, *entry and *info are untouched.
 */
int linux_boot_load(uint8_t *ram, uint64_t ram_size, const struct linux_boot_cfg *cfg,
		    struct guest_state *entry, struct linux_boot_info *info,
		    char *err, size_t errlen);

/*
 * The PC memory map of a guest whose RAM is laid out as ram says (low
 * bytes at 0, high bytes at high_base): RAM 0-0x9fc00, reserved
 * 0x9fc00-0xa0000 (EBDA), reserved 0xe0000-0x100000 (ACPI tables and BIOS
 * area), RAM 0x100000-low, reserved 4 KiB each at 0xfec00000 (IOAPIC) and
 * 0xfee00000 (local APIC), RAM high_base - high_base + high if high.
 * Writes at most max entries (LINUX_BOOT_E820_PC_MAX suffice) to out and
 * returns how many. low is at least 1 MiB and at most 0xfec00000.
 */
unsigned int linux_boot_e820_for(const struct guest_ram_layout *ram,
				 struct e820_entry *out, unsigned int max);

#endif
