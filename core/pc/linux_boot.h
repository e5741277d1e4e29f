/*
 * Loading a Linux bzImage per the x86 boot protocol (the kernel's
 * Documentation/arch/x86/boot.rst), entered through its 64-bit or its
 * 32-bit protocol: the hypervisor plays the boot loader and the kernel's
 * real-mode setup code never runs.
 *
 * What the kernel must be: boot protocol 2.06 or later, LOADED_HIGH (a
 * bzImage, not a zImage), with a setup header as long as its version
 * defines (setup_header.jump), and its protected-mode part complete in
 * the file. Each field is read only from the version that defines it:
 * kernel_alignment, relocatable_kernel, initrd_addr_max and cmdline_size
 * (2.05 and older, so always), pref_address and init_size from 2.10,
 * xloadflags from 2.12. Before 2.10 the kernel's address is 0x100000
 * and its init_size area three times its protected-mode part, rounded
 * up to pages (boot.rst gives older kernels no size; they decompress in
 * place). A relocatable kernel needs a kernel_alignment that is a power
 * of two of at least 4 KiB.
 *
 * Guest-physical layout (all in low RAM, below 4 GiB):
 *   0x6000   the GDT: null, null, 0x10 flat code, 0x18 flat data
 *   0x7000   boot_params (the "zero page"), 4 KiB
 *   0x8000   the 64-bit entry's page tables, 6 pages (PML4, PDPT, 4 PDs)
 *   0x20000  the command line, up to the kernel's cmdline_size
 *   kernel   the protected-mode part of the file (what follows the
 *            (setup_sects + 1) * 512 bytes of real-mode code):
 *            relocatable: at pref_address when that is aligned to
 *            kernel_alignment and the kernel fits there; else at the
 *            first kernel_alignment boundary at or above 16 MiB. The
 *            kernel needs RAM up to max(load, pref_address) + init_size:
 *            a relocatable kernel loaded below pref_address (its
 *            LOAD_PHYSICAL_ADDR) decompresses at pref_address.
 *            Not relocatable: at pref_address (0x100000 before 2.10),
 *            which must be page-aligned, at least 1 MiB, and with its
 *            init_size area inside RAM; else the kernel is refused.
 *   initrd   page-aligned, as high as possible below min(initrd_addr_max
 *            + 1, RAM size), above the kernel's init_size area; kept
 *            below 4 GiB even when XLF_CAN_BE_LOADED_ABOVE_4G is set.
 * The kernel's and the initrd's ranges must be RAM in the e820 map.
 *
 * Entries. The default is the 64-bit one for a kernel that has it
 * (protocol 2.12 or later with XLF_KERNEL_64), the 32-bit one otherwise;
 * cfg->entry can ask for either. The 64-bit entry skips startup_32,
 * which exists only to build the page tables and enter long mode that
 * the loader can set up directly, and is what kexec uses.
 *   32-bit (boot.rst "32-bit boot protocol"): protected mode, paging
 *   off, CR0 = PE | ET, EFER = 0, CS = 0x10 flat 32-bit code, EIP = the
 *   load address (startup_32 is the first byte of the protected-mode
 *   part; code32_start is set to it).
 *   64-bit (boot.rst "64-bit boot protocol"): long mode, CR0 = PE | ET |
 *   PG, CR4 = PAE, EFER = LME | LMA, CR3 = 0x8000, CS = 0x10 64-bit code
 *   (L set), RIP = the load address + 0x200 (startup_64). The page tables
 *   map the low 4 GiB one to one with 2 MiB pages, read/write: the
 *   kernel, its init_size area, the zero page, the command line and the
 *   initrd all lie there. They sit below 1 MiB, away from anything the
 *   kernel writes before it loads its own CR3: its decompressor builds
 *   its own tables inside its init_size area before decompressing, and
 *   copies its 32-bit trampoline to the top of the RAM below the EBDA
 *   (0x9d000 here; never below 128 KiB); nothing is decompressed below
 *   1 MiB. So
 *   they stay RAM in the e820 map, which the kernel may reuse once it no
 *   longer needs them.
 *   Both: EFLAGS = 0x2 (interrupts off), DS = ES = SS = FS = GS = 0x18
 *   flat 4 GiB data (the loaded GDT holds the same descriptors as the
 *   segment registers), an empty IDT (limit 0), ESI/RSI = boot_params,
 *   the other general registers 0.
 *
 * Refusals: every check, of the image, the map, the placement, the
 * command line and the initrd, comes before the first write, and each
 * failure is one line naming the file and the header field with its
 * value (`kernel vmlinuz: setup_header.version 0x0204 below 2.06`).
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
#define LINUX_BOOT_PGTABLE_GPA	0x8000ull	/* the 64-bit entry's PML4 */
#define LINUX_BOOT_PGTABLE_PAGES 6
#define LINUX_BOOT_CMDLINE_GPA	0x20000ull
#define LINUX_BOOT_CMDLINE_ROOM	0x10000ull	/* bytes, NUL included */
#define LINUX_BOOT_KERNEL_MIN	(16ull << 20)	/* fallback load address */

/* The protocol's selectors: __BOOT_CS, __BOOT_DS. */
#define LINUX_BOOT_CS		0x10
#define LINUX_BOOT_DS		0x18

#define LINUX_BOOT_MIN_PROTOCOL	0x0206	/* 2.06 */

/* Which of the protocol's entries vCPU 0 starts at. */
enum linux_boot_entry {
	LINUX_BOOT_ENTRY_DEFAULT,	/* 64-bit if XLF_KERNEL_64, else 32-bit */
	LINUX_BOOT_ENTRY_32,		/* startup_32, paging off */
	LINUX_BOOT_ENTRY_64,		/* startup_64; refused without XLF_KERNEL_64 */
};

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
	enum linux_boot_entry entry;
};

/* Where the load put things (guest-physical), for the caller's log line. */
struct linux_boot_info {
	uint16_t protocol;		/* e.g. 0x020f for 2.15 */
	uint64_t kernel_addr;		/* load address */
	uint64_t entry;			/* RIP: the load address (+ 0x200 for 64-bit) */
	unsigned int entry_bits;	/* 32 or 64 */
	uint64_t page_tables;		/* CR3 of the 64-bit entry; 0 for 32-bit */
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
 * bzImage, or no 64-bit entry where cfg->entry asks for it), -ENOSPC
 * (does not fit in RAM), -E2BIG (command line too long) or -EINVAL (bad
 * e820 map, bad cfg->entry) with a one-line message in err naming
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
