/*
 * Loading a Multiboot (version 1, specification 0.6.96) kernel, as a boot
 * loader does: GRUB's "multiboot", QEMU's -kernel.
 *
 * What the kernel must be: a Multiboot header (magic 0x1BADB002, flags,
 * checksum making the three words sum to zero) at a 4-byte aligned offset
 * in its first 8 KiB, whole in the file; then either an ELF32 or ELF64
 * executable loaded by its program headers (core/pc/elf_load.h), or, when
 * header flag 16 is set, the "a.out kludge": the header's load_addr,
 * load_end_addr, bss_end_addr and entry_addr say what to copy where.
 * Header flags: 0 (modules page-aligned) and 1 (memory information) are
 * always met; 2 (video mode) is met for EGA text (mode_type 1: the PC's
 * text window at 0xB8000, 80x25) and refused for a graphics mode; any
 * other requirement bit in 3-15 is refused by number. Bits 17-31 are
 * optional and ignored.
 *
 * Guest-physical layout: core/pc/boot_image.h. In the loader's area
 * (0x10000-0x20000): 0x10000 the GDT, 0x10100 the information structure
 * (EBX), 0x10200 its memory map (the e820 map as given), 0x11000 the
 * module list, 0x11100 the boot loader name "hv", 0x11200 onwards the
 * command line and the module strings. The command line is the kernel's
 * file name, then a blank and cfg->cmdline if that is not empty, as GRUB
 * and QEMU hand it. Information flags set: 0 (mem_lower/mem_upper from
 * the e820 map), 2 (command line), 3 (modules, possibly 0), 6 (memory
 * map), 9 (boot loader name), and 12 (framebuffer, EGA text) when the
 * header asked for text mode.
 *
 * Entry state (specification section 3.2): EAX = 0x2BADB002, EBX = the
 * information structure, CS = 0x08 flat 4 GiB execute/read 32-bit, DS =
 * ES = FS = GS = SS = 0x10 flat 4 GiB read/write, CR0 = PE | ET (paging
 * off), EFLAGS = 0x2 (VM = 0, IF = 0), the loader's GDT loaded (the
 * specification lets GDTR be anything; the kernel must load its own), an
 * empty IDT, every other general register 0. A20 is always on in the
 * virtual PC.
 *
 * Runs anywhere (boot CPU when a VM is built; hosted tests, fuzzing); no
 * locks, no allocation, no global state.
 */
#ifndef CORE_PC_MULTIBOOT_H
#define CORE_PC_MULTIBOOT_H

#include "core/pc/boot_image.h"

#define MULTIBOOT_MAGIC		0x1badb002u	/* in the kernel's header */
#define MULTIBOOT_EAX		0x2badb002u	/* in EAX at entry */
#define MULTIBOOT_SEARCH	8192		/* the header is in these first bytes */

/* Where the information structure and its parts go (guest-physical). */
#define MULTIBOOT_INFO_GPA	(BOOT_IMAGE_AREA_GPA + 0x100)
#define MULTIBOOT_MMAP_GPA	(BOOT_IMAGE_AREA_GPA + 0x200)
#define MULTIBOOT_MODS_GPA	(BOOT_IMAGE_AREA_GPA + 0x1000)
#define MULTIBOOT_NAME_GPA	(BOOT_IMAGE_AREA_GPA + 0x1100)
#define MULTIBOOT_STRINGS_GPA	(BOOT_IMAGE_AREA_GPA + 0x1200)
#define MULTIBOOT_LOADER_NAME	"hv"

/* True if the magic sits at a 4-byte aligned offset of the first 8 KiB. */
bool multiboot_detect(const uint8_t *file, size_t size);

/*
 * Loads cfg's kernel and modules into the guest RAM at ram, which maps
 * guest-physical 0 .. ram_size (low RAM), and fills *entry with the boot
 * CPU's starting state (complete: pass it to backend_set_state()) and
 * *info. Returns 0, or -ENOEXEC (not a usable Multiboot kernel), -ENOSPC
 * (a segment or module outside RAM, over reserved memory, the loader's
 * area or another segment), -E2BIG (strings too long) or -EINVAL (bad
 * e820 map) with a one-line message in err naming the file, the field and
 * its value. Everything is checked before the first write: on error guest
 * RAM, *entry and *info are untouched.
 */
int multiboot_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		   struct guest_state *entry, struct boot_image_info *info,
		   char *err, size_t errlen);

#endif
