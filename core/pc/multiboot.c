/*
 * The Multiboot version 1 loader (what it accepts, layout and entry
 * state: core/pc/multiboot.h).
 *
 * Runs anywhere; no locks, no allocation. Two phases as in the Linux
 * loader: mb_plan_*() read the header, the image and the strings and
 * claim every range (core/pc/boot_image.c), failing with a message before
 * anything is written; mb_write_*() then fill guest RAM. Offsets are
 * those of struct multiboot_header and struct multiboot_info in the
 * specification's multiboot.h.
 */
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/pc/multiboot.h"

/* Header fields, from the magic. */
#define MBH_FLAGS		4
#define MBH_CHECKSUM		8
#define MBH_HEADER_ADDR		12
#define MBH_LOAD_ADDR		16
#define MBH_LOAD_END_ADDR	20
#define MBH_BSS_END_ADDR	24
#define MBH_ENTRY_ADDR		28
#define MBH_MODE_TYPE		32
#define MBH_WIDTH		36
#define MBH_HEIGHT		40
#define MBH_DEPTH		44
#define MBH_SIZE_BASE		12
#define MBH_SIZE_ADDR		32
#define MBH_SIZE_VIDEO		48

#define MBH_F_PAGE_ALIGN	BIT(0)
#define MBH_F_MEMORY_INFO	BIT(1)
#define MBH_F_VIDEO_MODE	BIT(2)
#define MBH_F_AOUT_KLUDGE	BIT(16)
#define MBH_F_REQUIRED		0xffffu	/* bits 0-15: must be understood */
#define MBH_F_KNOWN		(MBH_F_PAGE_ALIGN | MBH_F_MEMORY_INFO | MBH_F_VIDEO_MODE)
#define MBH_MODE_LINEAR		0
#define MBH_MODE_EGA_TEXT	1

/* struct multiboot_info. */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_BOOT_LOADER_NAME	64
#define MBI_FB_ADDR		88
#define MBI_FB_PITCH		96
#define MBI_FB_WIDTH		100
#define MBI_FB_HEIGHT		104
#define MBI_FB_BPP		108
#define MBI_FB_TYPE		109
#define MBI_SIZE		116

#define MBI_F_MEMORY		BIT(0)
#define MBI_F_CMDLINE		BIT(2)
#define MBI_F_MODS		BIT(3)
#define MBI_F_MEM_MAP		BIT(6)
#define MBI_F_LOADER_NAME	BIT(9)
#define MBI_F_FRAMEBUFFER	BIT(12)

#define MB_MMAP_ENTRY		24	/* size (u32, = 20), base_addr, length, type */
#define MB_MOD_ENTRY		16	/* mod_start, mod_end, string, reserved */
#define MB_EGA_TEXT_GPA		0xb8000u
#define MB_EGA_COLS		80
#define MB_EGA_ROWS		25
#define MB_FB_TYPE_EGA_TEXT	2

_Static_assert(MULTIBOOT_INFO_GPA + MBI_SIZE <= MULTIBOOT_MMAP_GPA, "info before the map");
_Static_assert(MULTIBOOT_MMAP_GPA + LINUX_BOOT_E820_MAX * MB_MMAP_ENTRY <= MULTIBOOT_MODS_GPA,
	       "the map before the module list");
_Static_assert(MULTIBOOT_MODS_GPA + BOOT_IMAGE_MODULES_MAX * MB_MOD_ENTRY <= MULTIBOOT_NAME_GPA,
	       "the module list before the name");

struct mb_plan {
	struct boot_plan bp;
	size_t hdr;		/* offset of the header in the file */
	uint32_t flags;
	bool ega_text;
	bool aout;
	struct elf_image elf;
	struct boot_aout ao;
	uint32_t entry;
	size_t strings;		/* bytes from MULTIBOOT_STRINGS_GPA */
};

static uint32_t mb_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void mb_put(uint8_t *p, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint32_t mb_field(const struct mb_plan *pl, unsigned int off)
{
	return mb_get32(pl->bp.cfg->kernel + pl->hdr + off);
}

bool multiboot_detect(const uint8_t *file, size_t size)
{
	for (size_t off = 0; off + 4 <= MIN(size, (size_t)MULTIBOOT_SEARCH); off += 4)
		if (mb_get32(file + off) == MULTIBOOT_MAGIC)
			return true;
	return false;
}

/* The first header whose checksum holds, as GRUB looks for it. */
static int mb_plan_find(struct mb_plan *pl)
{
	const uint8_t *f = pl->bp.cfg->kernel;
	size_t size = pl->bp.cfg->kernel_size, end = MIN(size, (size_t)MULTIBOOT_SEARCH);
	long bad = -1, cut = -1;

	for (size_t off = 0; off + 4 <= end; off += 4) {
		if (mb_get32(f + off) != MULTIBOOT_MAGIC)
			continue;
		if (size - off < MBH_SIZE_BASE) {
			cut = (long)off;
			continue;
		}
		if (mb_get32(f + off) + mb_get32(f + off + MBH_FLAGS) + mb_get32(f + off + MBH_CHECKSUM)) {
			if (bad < 0)
				bad = (long)off;
			continue;
		}
		pl->hdr = off;
		pl->flags = mb_get32(f + off + MBH_FLAGS);
		return 0;
	}
	if (bad >= 0)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot header at 0x%lx: checksum 0x%08x does not make magic + flags (0x%08x) + checksum zero",
				      bad, mb_get32(f + bad + MBH_CHECKSUM), mb_get32(f + bad + MBH_FLAGS));
	if (cut >= 0)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "truncated: the Multiboot header at 0x%lx needs %u bytes, the file has %zu",
				      cut, MBH_SIZE_BASE, size);
	return boot_plan_fail(&pl->bp, -ENOEXEC, "no Multiboot header (magic 0x%08x) in the first %u bytes",
			      MULTIBOOT_MAGIC, MULTIBOOT_SEARCH);
}

/* The header's flags and the fields they make present. */
static int mb_plan_flags(struct mb_plan *pl)
{
	uint32_t unknown = pl->flags & MBH_F_REQUIRED & ~MBH_F_KNOWN;
	size_t need = MBH_SIZE_BASE, have = pl->bp.cfg->kernel_size - pl->hdr;
	uint32_t mode;

	if (unknown)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot header flags 0x%08x: requirement bit %d is not known to this loader",
				      pl->flags, __builtin_ctz(unknown));
	if (pl->flags & MBH_F_AOUT_KLUDGE)
		need = MBH_SIZE_ADDR;
	if (pl->flags & MBH_F_VIDEO_MODE)
		need = MBH_SIZE_VIDEO;
	if (have < need)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "truncated: the Multiboot header at 0x%zx with flags 0x%08x needs %zu bytes, the file has %zu after it",
				      pl->hdr, pl->flags, need, have);
	if (!(pl->flags & MBH_F_VIDEO_MODE))
		return 0;
	mode = mb_field(pl, MBH_MODE_TYPE);
	if (mode == MBH_MODE_EGA_TEXT) {
		pl->ega_text = true;
		return 0;
	}
	if (mode == MBH_MODE_LINEAR)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot header asks for a graphics mode (mode_type 0, %ux%ux%u): the virtual PC has only EGA text",
				      mb_field(pl, MBH_WIDTH), mb_field(pl, MBH_HEIGHT), mb_field(pl, MBH_DEPTH));
	return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot header mode_type %u is neither graphics (0) nor EGA text (1)",
			      mode);
}

/* The a.out kludge: the header's addresses say what to load where. */
static int mb_plan_aout(struct mb_plan *pl)
{
	pl->aout = true;
	pl->ao = (struct boot_aout){
		.header_addr = mb_field(pl, MBH_HEADER_ADDR), .load_addr = mb_field(pl, MBH_LOAD_ADDR),
		.load_end_addr = mb_field(pl, MBH_LOAD_END_ADDR),
		.bss_end_addr = mb_field(pl, MBH_BSS_END_ADDR), .entry_addr = mb_field(pl, MBH_ENTRY_ADDR),
	};
	pl->entry = pl->ao.entry_addr;
	return boot_plan_aout(&pl->bp, pl->hdr, &pl->ao, "Multiboot");
}

static int mb_plan_elf(struct mb_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	uint64_t entry;
	int ret;

	ret = elf_load_parse(cfg->kernel, cfg->kernel_size, cfg->kernel_name, &pl->elf,
			     pl->bp.err, pl->bp.errlen);
	if (ret)
		return ret;
	ret = boot_plan_claim_elf(&pl->bp, &pl->elf);
	if (ret)
		return ret;
	if (!elf_load_to_phys(&pl->elf, pl->elf.entry, &entry))
		return boot_plan_fail(&pl->bp, -ENOEXEC, "ELF e_entry 0x%llx is in no PT_LOAD segment",
				      (unsigned long long)pl->elf.entry);
	pl->entry = (uint32_t)entry;
	return 0;
}

/* The command line ("NAME[ CMDLINE]") and module strings must fit the area. */
static int mb_plan_strings(struct mb_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	size_t room = BOOT_IMAGE_AREA_GPA + BOOT_IMAGE_AREA_SIZE - MULTIBOOT_STRINGS_GPA;
	size_t n = strnlen(cfg->kernel_name ? cfg->kernel_name : "", room) + 1;

	if (cfg->cmdline && cfg->cmdline[0])
		n += strnlen(cfg->cmdline, room) + 1;
	for (unsigned int i = 0; i < cfg->nr_mods; i++)
		n += strnlen(cfg->mods[i].string ? cfg->mods[i].string : "", room) + 1;
	if (n > room)
		return boot_plan_fail(&pl->bp, -E2BIG, "the command line and module strings need at least %zu bytes, the loader's area has %zu",
				      n, room);
	pl->strings = n;
	return 0;
}

/* ---- Writing guest memory ---------------------------------------------- */

/* Copies s (NUL included) to *at, returns its guest address. */
static uint32_t mb_put_string(uint8_t *ram, uint64_t *at, const char *s)
{
	uint64_t gpa = *at;
	size_t n = strlen(s) + 1;

	memcpy(ram + gpa, s, n);
	*at += n;
	return (uint32_t)gpa;
}

static void mb_write_info(uint8_t *ram, const struct mb_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	uint8_t *mbi = ram + MULTIBOOT_INFO_GPA;
	uint64_t at = MULTIBOOT_STRINGS_GPA;
	uint32_t flags = MBI_F_MEMORY | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MEM_MAP |
			 MBI_F_LOADER_NAME;

	memset(ram + MULTIBOOT_INFO_GPA, 0,
	       BOOT_IMAGE_AREA_GPA + BOOT_IMAGE_AREA_SIZE - MULTIBOOT_INFO_GPA);
	mb_put(mbi + MBI_MEM_LOWER, 4, boot_plan_mem_lower(&pl->bp));
	mb_put(mbi + MBI_MEM_UPPER, 4, boot_plan_mem_upper(&pl->bp));
	/* "NAME", then " CMDLINE" where its NUL was. */
	mb_put(mbi + MBI_CMDLINE, 4, mb_put_string(ram, &at, cfg->kernel_name ? cfg->kernel_name : ""));
	if (cfg->cmdline && cfg->cmdline[0]) {
		ram[at - 1] = ' ';
		mb_put_string(ram, &at, cfg->cmdline);
	}
	mb_put(mbi + MBI_MODS_COUNT, 4, cfg->nr_mods);
	mb_put(mbi + MBI_MODS_ADDR, 4, MULTIBOOT_MODS_GPA);
	for (unsigned int i = 0; i < cfg->nr_mods; i++) {
		uint8_t *m = ram + MULTIBOOT_MODS_GPA + i * MB_MOD_ENTRY;

		mb_put(m, 4, pl->bp.mod_addr[i]);
		mb_put(m + 4, 4, pl->bp.mod_addr[i] + cfg->mods[i].size);
		mb_put(m + 8, 4, mb_put_string(ram, &at, cfg->mods[i].string ? cfg->mods[i].string : ""));
	}
	mb_put(mbi + MBI_MMAP_LENGTH, 4, cfg->nr_e820 * MB_MMAP_ENTRY);
	mb_put(mbi + MBI_MMAP_ADDR, 4, MULTIBOOT_MMAP_GPA);
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		uint8_t *e = ram + MULTIBOOT_MMAP_GPA + i * MB_MMAP_ENTRY;

		mb_put(e, 4, MB_MMAP_ENTRY - 4);
		mb_put(e + 4, 8, cfg->e820[i].addr);
		mb_put(e + 12, 8, cfg->e820[i].size);
		mb_put(e + 20, 4, cfg->e820[i].type);
	}
	at = MULTIBOOT_NAME_GPA;
	mb_put(mbi + MBI_BOOT_LOADER_NAME, 4, mb_put_string(ram, &at, MULTIBOOT_LOADER_NAME));
	if (pl->ega_text) {
		flags |= MBI_F_FRAMEBUFFER;
		mb_put(mbi + MBI_FB_ADDR, 8, MB_EGA_TEXT_GPA);
		mb_put(mbi + MBI_FB_PITCH, 4, MB_EGA_COLS * 2);
		mb_put(mbi + MBI_FB_WIDTH, 4, MB_EGA_COLS);
		mb_put(mbi + MBI_FB_HEIGHT, 4, MB_EGA_ROWS);
		mbi[MBI_FB_BPP] = 16;
		mbi[MBI_FB_TYPE] = MB_FB_TYPE_EGA_TEXT;
	}
	mb_put(mbi + MBI_FLAGS, 4, flags);
}

static void mb_write_kernel(uint8_t *ram, const struct mb_plan *pl)
{
	if (pl->aout)
		boot_plan_write_aout(&pl->bp, ram, &pl->ao);
	else
		elf_load_write(ram, pl->bp.cfg->kernel, &pl->elf);
}

int multiboot_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		   struct guest_state *entry, struct boot_image_info *info,
		   char *err, size_t errlen)
{
	struct mb_plan pl = { 0 };
	struct guest_state st;
	int ret;

	ret = boot_plan_init(&pl.bp, cfg, ram_size, err, errlen);
	if (!ret)
		ret = mb_plan_find(&pl);
	if (!ret)
		ret = mb_plan_flags(&pl);
	if (!ret)
		ret = pl.flags & MBH_F_AOUT_KLUDGE ? mb_plan_aout(&pl) : mb_plan_elf(&pl);
	if (!ret)
		ret = mb_plan_strings(&pl);
	if (!ret)
		ret = boot_plan_modules(&pl.bp);
	if (ret)
		return ret;

	mb_write_kernel(ram, &pl);
	boot_plan_write_common(&pl.bp, ram, MULTIBOOT_INFO_GPA);
	mb_write_info(ram, &pl);
	boot_plan_finish(&pl.bp, pl.entry, MULTIBOOT_INFO_GPA,
			 pl.aout ? "Multiboot a.out kludge" :
			 pl.elf.bits == 32 ? "Multiboot ELF32" : "Multiboot ELF64", &st, info);
	st.regs.gpr[GPR_RAX] = MULTIBOOT_EAX;
	st.regs.gpr[GPR_RBX] = MULTIBOOT_INFO_GPA;
	*entry = st;
	return 0;
}
