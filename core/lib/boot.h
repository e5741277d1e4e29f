/*
 * The boot record: what either entry path (UEFI or Multiboot2) learnt from
 * the firmware or the loader, handed to the one core entry hv_main().
 * Filled before the hypervisor owns the machine; read-only afterwards.
 */
#ifndef CORE_BOOT_H
#define CORE_BOOT_H

#include "core/lib/platform.h"

enum boot_path {
	BOOT_PATH_UEFI,
	BOOT_PATH_MULTIBOOT2,
};

enum boot_mem_type {
	BOOT_MEM_USABLE = 1,	/* free RAM the frame allocator may hand out */
	BOOT_MEM_RESERVED,	/* firmware, MMIO, anything not ours */
	BOOT_MEM_ACPI_RECLAIM,	/* ACPI tables: RAM, kept while we parse them */
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_BAD,
	BOOT_MEM_LOADED,	/* RAM holding the hypervisor or a loaded file */
	/*
	 * RAM the firmware still uses while the hypervisor starts (UEFI boot
	 * services: its page tables, GDT, IDT, stack) and that becomes free
	 * once the hypervisor runs on its own: frame_release_firmware().
	 */
	BOOT_MEM_FIRMWARE_RECLAIM,
};

struct boot_mem_region {
	uint64_t base;
	uint64_t size;
	uint32_t type;		/* enum boot_mem_type */
};

struct boot_file {
	char name[64];		/* file name (UEFI) or module string (Multiboot2) */
	paddr_t base;
	uint64_t size;
};

#define BOOT_MAX_MEM_REGIONS 256
#define BOOT_MAX_FILES       16
#define BOOT_CMDLINE_MAX     512

struct boot_record {
	enum boot_path path;
	char cmdline[BOOT_CMDLINE_MAX];
	paddr_t acpi_rsdp;		/* 0 if the firmware gave none */
	paddr_t image_base;		/* where the hypervisor itself lies */
	uint64_t image_size;
	uint32_t n_mem;
	struct boot_mem_region mem[BOOT_MAX_MEM_REGIONS];
	uint32_t n_files;
	struct boot_file files[BOOT_MAX_FILES];
	paddr_t trampoline;		/* a free 4 KiB page below 1 MiB, or 0 */
	char error[96];			/* what the entry path could not do */
};

/* The one core entry, on the boot CPU, interrupts off, own stack. */
__noreturn void hv_main(struct boot_record *boot);

#endif
