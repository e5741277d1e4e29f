/*
 * Loading a kernel by the PVH boot ABI (Xen's docs/misc/pvh.pandoc and
 * public/arch-x86/hvm/start_info.h), as QEMU's -kernel does for an ELF
 * file that is neither a bzImage nor a Multiboot kernel: Linux's vmlinux,
 * FreeBSD, Xen itself.
 *
 * What the kernel must be: an ELF32 or ELF64 executable (core/pc/
 * elf_load.h) with an ELF note named "Xen" of type 18
 * (XEN_ELFNOTE_PHYS32_ENTRY) in a PT_NOTE segment, whose 4- or 8-byte
 * descriptor is the physical entry point (below 4 GiB, inside a loaded
 * segment). The PT_LOAD segments go to their p_paddr.
 *
 * Guest-physical layout: core/pc/boot_image.h; in the loader's area:
 * 0x10100 struct hvm_start_info (version 1: magic 0x336ec578, flags 0,
 * nr_modules, modlist_paddr, cmdline_paddr, rsdp_paddr = the VM's RSDP,
 * memmap_paddr, memmap_entries), 0x10200 the module list (struct
 * hvm_modlist_entry: paddr, size, cmdline_paddr), 0x10300 the memory map
 * (struct hvm_memmap_table_entry: the e820 map as given), 0x11000
 * onwards the command line (cfg->cmdline as it is: no file name) and the
 * module strings.
 *
 * Entry state (pvh.pandoc): EBX = the start info, 32-bit protected mode
 * with paging off, CR0 = PE | ET, CR4 = 0, EFER = 0, CS a flat 32-bit
 * execute/read segment (0x08 of the loader's GDT), DS = ES = SS (and FS,
 * GS) a flat 32-bit read/write segment (0x10), TR a 32-bit busy TSS with
 * base 0 and limit 0x67, EFLAGS = 0x2 (VM, IF, TF clear), every other
 * general register 0.
 *
 * Runs anywhere; no locks, no allocation, no global state.
 */
#ifndef CORE_PC_PVH_BOOT_H
#define CORE_PC_PVH_BOOT_H

#include "core/pc/boot_image.h"

#define PVH_START_MAGIC		0x336ec578u
#define PVH_START_VERSION	1
#define PVH_NOTE_NAME		"Xen"
#define PVH_NOTE_PHYS32_ENTRY	18
#define PVH_START_INFO_GPA	(BOOT_IMAGE_AREA_GPA + 0x100)
#define PVH_MODLIST_GPA		(BOOT_IMAGE_AREA_GPA + 0x200)
#define PVH_MEMMAP_GPA		(BOOT_IMAGE_AREA_GPA + 0x300)
#define PVH_STRINGS_GPA		(BOOT_IMAGE_AREA_GPA + 0x1000)
#define PVH_TSS_LIMIT		0x67

/* True if file is ELF with the PHYS32_ENTRY note (headers that parse). */
bool pvh_boot_detect(const uint8_t *file, size_t size);

/*
 * As multiboot_load() (core/pc/multiboot.h), for a PVH kernel; the start
 * info's rsdp_paddr is cfg->acpi_rsdp. Everything is checked before the
 * first write: on error guest RAM, *entry and *info are untouched.
 */
int pvh_boot_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		  struct guest_state *entry, struct boot_image_info *info,
		  char *err, size_t errlen);

#endif
