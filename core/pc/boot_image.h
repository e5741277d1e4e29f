/*
 * What the loaders of Multiboot kernels (core/pc/multiboot.h) share: the
 * files they are handed, where they report what they wrote, and the
 * placement checks (a range must be RAM in the e820 map and must not
 * overlap anything placed before it).
 *
 * Guest-physical layout common to them (all in low RAM):
 *   0x10000-0x20000  the loader's area: a GDT, then the boot information
 *                    the format defines (structures, memory map, strings)
 *   kernel           where its headers say, at or above 1 MiB in
 *                    practice; never over the loader's area, the EBDA
 *                    (0x9fc00), the ACPI tables (0xe0000-0x100000) or
 *                    outside RAM
 *   modules          page-aligned, one after the other, from the first
 *                    page above the kernel's highest byte (and 1 MiB)
 *
 * Runs anywhere; no locks, no allocation, no global state.
 */
#ifndef CORE_PC_BOOT_IMAGE_H
#define CORE_PC_BOOT_IMAGE_H

#include "core/pc/elf_load.h"
#include "core/pc/linux_boot.h"

#define BOOT_IMAGE_AREA_GPA	0x10000ull
#define BOOT_IMAGE_AREA_SIZE	0x10000ull
#define BOOT_IMAGE_MODULES_MAX	8
#define BOOT_IMAGE_PAGE		0x1000ull
/* The GDT at the start of the loader's area: null, flat code, flat data. */
#define BOOT_IMAGE_GDT_GPA	BOOT_IMAGE_AREA_GPA
#define BOOT_IMAGE_CS		0x08
#define BOOT_IMAGE_DS		0x10
#define BOOT_IMAGE_GDT_SIZE	0x18
/* Ranges a load writes: the loader's area, the segments, the modules. */
#define BOOT_IMAGE_RANGES_MAX	(1 + ELF_LOAD_SEGS_MAX + BOOT_IMAGE_MODULES_MAX)

/* A module: a file with its string (the boot loader's "module FILE ARGS"). */
struct boot_module {
	const uint8_t *data;
	size_t size;
	const char *name;	/* for messages */
	const char *string;	/* NUL-terminated, handed to the kernel */
};

struct boot_image_cfg {
	const uint8_t *kernel;
	size_t kernel_size;
	const char *kernel_name;	/* for messages */
	const struct boot_module *mods;
	unsigned int nr_mods;		/* 0 .. BOOT_IMAGE_MODULES_MAX */
	const char *cmdline;		/* NUL-terminated; NULL: empty */
	const struct e820_entry *e820;	/* sorted, non-overlapping */
	unsigned int nr_e820;		/* 1 .. LINUX_BOOT_E820_MAX */
	uint64_t acpi_rsdp;		/* guest-physical, in ram; 0: none */
};

struct boot_range {
	uint64_t gpa, len;
};

/* Where the load put things (guest-physical), for log lines and RAM zeroing. */
struct boot_image_info {
	const char *format;		/* "Multiboot ELF32", ... */
	uint64_t entry;
	uint64_t kernel_start, kernel_end;
	uint64_t boot_info;		/* what EBX points to */
	uint64_t mods_start, mods_end;	/* 0, 0: no module */
	unsigned int nr_ranges;		/* sorted, disjoint: what was written */
	struct boot_range ranges[BOOT_IMAGE_RANGES_MAX];
};

/*
 * What each loader (multiboot_load(), multiboot2_load(), pvh_boot_load())
 * is: cfg's kernel and modules into the guest RAM at ram (guest-physical
 * 0 .. ram_size), *entry the boot CPU's starting state, *info where things
 * went; 0, or a negative errno with one line in err and nothing written.
 */
typedef int boot_image_load_fn(uint8_t *ram, uint64_t ram_size,
			       const struct boot_image_cfg *cfg, struct guest_state *entry,
			       struct boot_image_info *info, char *err, size_t errlen);

/* A load in progress: the checks' state, then the writers'. */
struct boot_plan {
	const struct boot_image_cfg *cfg;
	uint64_t ram_size;
	char *err;
	size_t errlen;
	unsigned int nr;		/* claimed ranges, sorted by gpa */
	struct boot_range used[BOOT_IMAGE_RANGES_MAX];
	const char *what[BOOT_IMAGE_RANGES_MAX];
	uint64_t kernel_start, kernel_end;
	uint64_t mod_addr[BOOT_IMAGE_MODULES_MAX];
};

/* Sets pl up and claims the loader's area; fails if the map or area is unusable. */
int boot_plan_init(struct boot_plan *pl, const struct boot_image_cfg *cfg, uint64_t ram_size,
		   char *err, size_t errlen);

/* A message "kernel NAME: ..." in pl->err; returns ret. */
int boot_plan_fail(const struct boot_plan *pl, int ret, const char *fmt, ...) __printf(3, 4);

/*
 * Claims [gpa, gpa + len) for what (e.g. "ELF segment 1", a static
 * string): -ENOSPC with a message if it is not RAM (naming the EBDA or the
 * ACPI tables when it reaches them) or overlaps an earlier claim. A kernel
 * range (is_kernel) widens kernel_start/kernel_end.
 */
int boot_plan_claim(struct boot_plan *pl, uint64_t gpa, uint64_t len, const char *what,
		    bool is_kernel);

/* Claims the PT_LOAD segments of elf ("ELF segment N" in messages). */
int boot_plan_claim_elf(struct boot_plan *pl, const struct elf_image *elf);

/*
 * A kernel loaded by a header's address fields (Multiboot's a.out kludge,
 * Multiboot2's address tag): the file from hdr_off - (header_addr -
 * load_addr) to load_end_addr (0: the file's end) at load_addr, zeroed up
 * to bss_end_addr (0: none); entry must fall in the loaded bytes. Claims
 * the range; messages start with what ("Multiboot", ...).
 */
struct boot_aout {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
	uint64_t offset, filesz, memsz;	/* worked out by boot_plan_aout() */
};
int boot_plan_aout(struct boot_plan *pl, size_t hdr_off, struct boot_aout *a, const char *what);
void boot_plan_write_aout(const struct boot_plan *pl, uint8_t *ram, const struct boot_aout *a);

/* Places the modules page-aligned after the kernel; -ENOSPC if one does not fit. */
int boot_plan_modules(struct boot_plan *pl);

/*
 * What every format writes once every check passed and its kernel is in
 * place: the modules, the loader's area zeroed from its start up to
 * info_gpa (where the format's own structure goes next) and the GDT.
 */
void boot_plan_write_common(const struct boot_plan *pl, uint8_t *ram, uint64_t info_gpa);

/*
 * *st: the flat 32-bit state at entry with that GDT loaded (the format
 * sets its registers on top); *info: the claimed ranges, kernel and
 * module bounds, format, entry and boot_info, for the launcher's log line.
 */
void boot_plan_finish(const struct boot_plan *pl, uint32_t entry, uint64_t boot_info,
		      const char *format, struct guest_state *st, struct boot_image_info *info);

/* KiB of RAM from 0 (mem_lower) and from 1 MiB (mem_upper) in the e820 map. */
uint32_t boot_plan_mem_lower(const struct boot_plan *pl);
uint32_t boot_plan_mem_upper(const struct boot_plan *pl);

#endif
