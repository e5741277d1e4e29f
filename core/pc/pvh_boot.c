/*
 * The PVH boot ABI loader (what it accepts, layout and entry state:
 * core/pc/pvh_boot.h).
 *
 * Runs anywhere; no locks, no allocation. Checks first (the ELF file, its
 * note, every range claimed), then the writes. Offsets are those of
 * struct hvm_start_info, hvm_modlist_entry and hvm_memmap_table_entry in
 * Xen's public/arch-x86/hvm/start_info.h.
 */
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/pc/pvh_boot.h"

/* struct hvm_start_info (version 1: 56 bytes). */
#define SI_MAGIC		0
#define SI_VERSION		4
#define SI_FLAGS		8
#define SI_NR_MODULES		12
#define SI_MODLIST_PADDR	16
#define SI_CMDLINE_PADDR	24
#define SI_RSDP_PADDR		32
#define SI_MEMMAP_PADDR		40
#define SI_MEMMAP_ENTRIES	48
#define SI_SIZE			56
#define MODLIST_ENTRY		32	/* paddr, size, cmdline_paddr, reserved */
#define MEMMAP_ENTRY		24	/* addr, size, type, reserved */

_Static_assert(PVH_START_INFO_GPA + SI_SIZE <= PVH_MODLIST_GPA, "start info before the list");
_Static_assert(PVH_MODLIST_GPA + BOOT_IMAGE_MODULES_MAX * MODLIST_ENTRY <= PVH_MEMMAP_GPA,
	       "module list before the map");
_Static_assert(PVH_MEMMAP_GPA + LINUX_BOOT_E820_MAX * MEMMAP_ENTRY <= PVH_STRINGS_GPA,
	       "the map before the strings");

struct pvh_plan {
	struct boot_plan bp;
	struct elf_image elf;
	uint32_t entry;
};

static uint64_t pvh_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static void pvh_put(uint8_t *p, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

bool pvh_boot_detect(const uint8_t *file, size_t size)
{
	struct elf_image elf;
	const uint8_t *desc;
	uint32_t descsz;

	return elf_load_is_elf(file, size) && !elf_load_parse(file, size, NULL, &elf, NULL, 0) &&
	       elf_load_find_note(file, size, &elf, PVH_NOTE_NAME, PVH_NOTE_PHYS32_ENTRY, &desc,
				  &descsz);
}

/* The file, its entry note, its segments. */
static int pvh_plan_kernel(struct pvh_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	const uint8_t *desc;
	uint32_t descsz;
	uint64_t entry;
	int ret;

	ret = elf_load_parse(cfg->kernel, cfg->kernel_size, cfg->kernel_name, &pl->elf,
			     pl->bp.err, pl->bp.errlen);
	if (ret)
		return ret;
	if (!elf_load_find_note(cfg->kernel, cfg->kernel_size, &pl->elf, PVH_NOTE_NAME,
				PVH_NOTE_PHYS32_ENTRY, &desc, &descsz))
		return boot_plan_fail(&pl->bp, -ENOEXEC, "no PVH entry: no ELF note \"Xen\" of type 18 (XEN_ELFNOTE_PHYS32_ENTRY) in a PT_NOTE segment");
	if (descsz != 4 && descsz != 8)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "the PVH entry note's descriptor has %u bytes, not 4 or 8",
				      descsz);
	entry = pvh_get(desc, descsz);
	ret = boot_plan_claim_elf(&pl->bp, &pl->elf);
	if (ret)
		return ret;
	if (entry < pl->bp.kernel_start || entry >= pl->bp.kernel_end)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "PVH entry 0x%llx (XEN_ELFNOTE_PHYS32_ENTRY) is outside the kernel 0x%llx-0x%llx",
				      (unsigned long long)entry,
				      (unsigned long long)pl->bp.kernel_start,
				      (unsigned long long)pl->bp.kernel_end);
	pl->entry = (uint32_t)entry;
	return 0;
}

static int pvh_plan_strings(struct pvh_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	size_t room = BOOT_IMAGE_AREA_GPA + BOOT_IMAGE_AREA_SIZE - PVH_STRINGS_GPA;
	size_t n = strnlen(cfg->cmdline ? cfg->cmdline : "", room) + 1;

	for (unsigned int i = 0; i < cfg->nr_mods; i++)
		n += strnlen(cfg->mods[i].string ? cfg->mods[i].string : "", room) + 1;
	if (n > room)
		return boot_plan_fail(&pl->bp, -E2BIG, "the command line and module strings need at least %zu bytes, the loader's area has %zu",
				      n, room);
	return 0;
}

/* Copies s (NUL included) to *at; returns its guest address. */
static uint64_t pvh_put_string(uint8_t *ram, uint64_t *at, const char *s)
{
	uint64_t gpa = *at;
	size_t n = strlen(s) + 1;

	memcpy(ram + gpa, s, n);
	*at += n;
	return gpa;
}

static void pvh_write_start_info(uint8_t *ram, const struct pvh_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	uint8_t *si = ram + PVH_START_INFO_GPA;
	uint64_t at = PVH_STRINGS_GPA;

	memset(ram + PVH_START_INFO_GPA, 0,
	       BOOT_IMAGE_AREA_GPA + BOOT_IMAGE_AREA_SIZE - PVH_START_INFO_GPA);
	pvh_put(si + SI_MAGIC, 4, PVH_START_MAGIC);
	pvh_put(si + SI_VERSION, 4, PVH_START_VERSION);
	pvh_put(si + SI_NR_MODULES, 4, cfg->nr_mods);
	pvh_put(si + SI_MODLIST_PADDR, 8, cfg->nr_mods ? PVH_MODLIST_GPA : 0);
	pvh_put(si + SI_CMDLINE_PADDR, 8, pvh_put_string(ram, &at, cfg->cmdline ? cfg->cmdline : ""));
	pvh_put(si + SI_RSDP_PADDR, 8, cfg->acpi_rsdp);
	pvh_put(si + SI_MEMMAP_PADDR, 8, PVH_MEMMAP_GPA);
	pvh_put(si + SI_MEMMAP_ENTRIES, 4, cfg->nr_e820);
	for (unsigned int i = 0; i < cfg->nr_mods; i++) {
		uint8_t *m = ram + PVH_MODLIST_GPA + i * MODLIST_ENTRY;

		pvh_put(m, 8, pl->bp.mod_addr[i]);
		pvh_put(m + 8, 8, cfg->mods[i].size);
		pvh_put(m + 16, 8, pvh_put_string(ram, &at, cfg->mods[i].string ? cfg->mods[i].string : ""));
	}
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		uint8_t *e = ram + PVH_MEMMAP_GPA + i * MEMMAP_ENTRY;

		pvh_put(e, 8, cfg->e820[i].addr);
		pvh_put(e + 8, 8, cfg->e820[i].size);
		pvh_put(e + 16, 4, cfg->e820[i].type);
	}
}

int pvh_boot_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		  struct guest_state *entry, struct boot_image_info *info,
		  char *err, size_t errlen)
{
	struct pvh_plan pl = { 0 };
	struct guest_state st;
	int ret;

	ret = boot_plan_init(&pl.bp, cfg, ram_size, err, errlen);
	if (!ret)
		ret = pvh_plan_kernel(&pl);
	if (!ret)
		ret = pvh_plan_strings(&pl);
	if (!ret)
		ret = boot_plan_modules(&pl.bp);
	if (ret)
		return ret;

	elf_load_write(ram, cfg->kernel, &pl.elf);
	boot_plan_write_common(&pl.bp, ram, PVH_START_INFO_GPA);
	pvh_write_start_info(ram, &pl);
	boot_plan_finish(&pl.bp, pl.entry, PVH_START_INFO_GPA,
			 pl.elf.bits == 32 ? "PVH ELF32" : "PVH ELF64", &st, info);
	st.seg[SEG_TR].base = 0;
	st.seg[SEG_TR].limit = PVH_TSS_LIMIT;
	st.regs.gpr[GPR_RBX] = PVH_START_INFO_GPA;
	*entry = st;
	return 0;
}
