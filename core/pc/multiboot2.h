/*
 * Loading a Multiboot2 kernel (specification 2.0), as GRUB's "multiboot2"
 * does on a PC BIOS machine.
 *
 * What the kernel must be: a Multiboot2 header (magic 0xE85250D6,
 * architecture 0 (i386), header_length, checksum making the four words sum
 * to zero) at an 8-byte aligned offset in its first 32 KiB, whole in the
 * file, its tags 8-byte aligned and closed by an end tag. Then either an
 * ELF32 or ELF64 executable loaded by its program headers, or, with an
 * address tag, the bytes that tag names (as Multiboot's a.out kludge;
 * load_addr 0xFFFFFFFF: from the file's start). Header tags:
 *   1 information request: a type this loader does not give is refused
 *     unless the tag is optional (given: 1, 2, 3, 4, 6, 14, 15)
 *   2 address, 3 entry address (required with 2; else the ELF entry)
 *   4 console flags: "console required" (bit 0) is refused: the virtual
 *     PC describes no console, the kernel has COM1
 *   5 framebuffer: refused unless optional (no framebuffer)
 *   6 module alignment: met (modules are page-aligned)
 *   7 EFI boot services, 8/9 EFI i386/amd64 entry: refused unless
 *     optional (the virtual PC has no UEFI); optional ones are ignored
 *   10 relocatable: accepted; the image is loaded at its link address
 *   any other type: refused unless optional.
 *
 * Guest-physical layout: core/pc/boot_image.h; the boot information
 * (EBX) at MULTIBOOT2_INFO_GPA in the loader's area: total_size,
 * reserved, then the tags 1 (command line, "KERNEL[ CMDLINE]" as for
 * Multiboot), 2 (boot loader name "hv"), 3 per module, 4 (basic memory
 * information), 6 (memory map, entry_size 24, version 0), 14 (the VM's
 * RSDP, revision 0 part) and 15 (all 36 bytes, when the RSDP is revision
 * 2 or later) when cfg->acpi_rsdp points at one, and the end tag.
 *
 * Entry state (specification 3.3): EAX = 0x36D76289, EBX = the
 * information (8-byte aligned), otherwise as Multiboot's
 * (core/pc/multiboot.h): flat 32-bit protected mode, paging off,
 * EFLAGS.IF = 0, the loader's GDT.
 *
 * Runs anywhere; no locks, no allocation, no global state.
 */
#ifndef CORE_PC_MULTIBOOT2_H
#define CORE_PC_MULTIBOOT2_H

#include "core/pc/boot_image.h"

#define MULTIBOOT2_MAGIC	0xe85250d6u	/* in the kernel's header */
#define MULTIBOOT2_EAX		0x36d76289u	/* in EAX at entry */
#define MULTIBOOT2_SEARCH	32768		/* the header is in these first bytes */
#define MULTIBOOT2_INFO_GPA	(BOOT_IMAGE_AREA_GPA + 0x100)

/* True if the magic sits at an 8-byte aligned offset of the first 32 KiB. */
bool multiboot2_detect(const uint8_t *file, size_t size);

/*
 * As multiboot_load() (core/pc/multiboot.h), for a Multiboot2 kernel; the
 * RSDP is read from ram at cfg->acpi_rsdp. Everything is checked before
 * the first write: on error guest RAM, *entry and *info are untouched.
 */
int multiboot2_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		    struct guest_state *entry, struct boot_image_info *info,
		    char *err, size_t errlen);

#endif
