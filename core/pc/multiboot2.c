/*
 * The Multiboot2 loader (what it accepts, layout and entry state:
 * core/pc/multiboot2.h).
 *
 * Runs anywhere; no locks, no allocation. As the Multiboot loader:
 * mb2_plan_*() read the header and its tags and claim every range,
 * failing with a message before anything is written; mb2_write_*() then
 * fill guest RAM. Offsets and numbers are those of the specification's
 * multiboot2.h.
 */
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/pc/multiboot2.h"

#define MB2H_ARCH		4
#define MB2H_LENGTH		8
#define MB2H_CHECKSUM		12
#define MB2H_SIZE		16
#define MB2_ARCH_I386		0

/* Header tags: type (u16), flags (u16), size (u32), then their fields. */
#define MB2HT_END		0
#define MB2HT_INFO_REQUEST	1
#define MB2HT_ADDRESS		2
#define MB2HT_ENTRY		3
#define MB2HT_CONSOLE		4
#define MB2HT_FRAMEBUFFER	5
#define MB2HT_MODULE_ALIGN	6
#define MB2HT_EFI_BS		7
#define MB2HT_ENTRY_EFI32	8
#define MB2HT_ENTRY_EFI64	9
#define MB2HT_RELOCATABLE	10
#define MB2HT_OPTIONAL		BIT(0)
#define MB2HT_CONSOLE_REQUIRED	BIT(0)
#define MB2_TAG_ALIGN		8

/* Information tags. */
#define MB2I_END		0
#define MB2I_CMDLINE		1
#define MB2I_LOADER_NAME	2
#define MB2I_MODULE		3
#define MB2I_BASIC_MEMINFO	4
#define MB2I_MMAP		6
#define MB2I_ACPI_OLD		14
#define MB2I_ACPI_NEW		15
#define MB2I_TYPES		22	/* types 0-21 in specification 2.0 */
#define MB2_MMAP_ENTRY		24
#define RSDP_V1_SIZE		20
#define RSDP_V2_SIZE		36
#define RSDP_REVISION		15
#define MULTIBOOT_LOADER_NAME_MB2 "hv"

struct mb2_plan {
	struct boot_plan bp;
	size_t hdr, hdr_len;
	bool has_addr, has_entry;
	struct boot_aout ao;
	struct elf_image elf;
	uint32_t entry;
	unsigned int rsdp_bytes;	/* 0, RSDP_V1_SIZE or RSDP_V2_SIZE */
	size_t info_size;
};

static const char *const mb2_info_name[MB2I_TYPES] = {
	"end", "command line", "boot loader name", "modules", "basic memory information",
	"BIOS boot device", "memory map", "VBE information", "framebuffer information",
	"ELF sections", "APM table", "EFI 32-bit system table", "EFI 64-bit system table",
	"SMBIOS tables", "ACPI old RSDP", "ACPI new RSDP", "networking information",
	"EFI memory map", "EFI boot services not terminated", "EFI 32-bit image handle",
	"EFI 64-bit image handle", "image load base address",
};

static uint32_t mb2_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void mb2_put(uint8_t *p, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

bool multiboot2_detect(const uint8_t *file, size_t size)
{
	for (size_t off = 0; off + 4 <= MIN(size, (size_t)MULTIBOOT2_SEARCH); off += 8)
		if (mb2_get32(file + off) == MULTIBOOT2_MAGIC)
			return true;
	return false;
}

/* The first header whose checksum holds; its architecture and length. */
static int mb2_plan_find(struct mb2_plan *pl)
{
	const uint8_t *f = pl->bp.cfg->kernel;
	size_t size = pl->bp.cfg->kernel_size, end = MIN(size, (size_t)MULTIBOOT2_SEARCH);
	long bad = -1, cut = -1;
	const uint8_t *h;

	for (size_t off = 0; off + 4 <= end; off += 8) {
		h = f + off;
		if (mb2_get32(h) != MULTIBOOT2_MAGIC)
			continue;
		if (size - off < MB2H_SIZE) {
			cut = (long)off;
			continue;
		}
		if (mb2_get32(h) + mb2_get32(h + MB2H_ARCH) + mb2_get32(h + MB2H_LENGTH) +
		    mb2_get32(h + MB2H_CHECKSUM)) {
			if (bad < 0)
				bad = (long)off;
			continue;
		}
		pl->hdr = off;
		pl->hdr_len = mb2_get32(h + MB2H_LENGTH);
		if (mb2_get32(h + MB2H_ARCH) != MB2_ARCH_I386)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 architecture %u is not i386 (0)",
					      mb2_get32(h + MB2H_ARCH));
		if (pl->hdr_len < MB2H_SIZE + 8 || pl->hdr_len > size - off)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header_length %zu: below %u or past the file's end (%zu bytes after the header's start)",
					      pl->hdr_len, MB2H_SIZE + 8, size - off);
		return 0;
	}
	if (bad >= 0)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header at 0x%lx: checksum 0x%08x does not make the header's four words sum to zero",
				      bad, mb2_get32(f + bad + MB2H_CHECKSUM));
	if (cut >= 0)
		return boot_plan_fail(&pl->bp, -ENOEXEC, "truncated: the Multiboot2 header at 0x%lx needs %u bytes, the file has %zu",
				      cut, MB2H_SIZE, size);
	return boot_plan_fail(&pl->bp, -ENOEXEC, "no Multiboot2 header (magic 0x%08x) in the first %u bytes",
			      MULTIBOOT2_MAGIC, MULTIBOOT2_SEARCH);
}

/* Whether the load can give information tag type t. */
static bool mb2_can_give(const struct mb2_plan *pl, uint32_t t)
{
	switch (t) {
	case MB2I_END: case MB2I_CMDLINE: case MB2I_LOADER_NAME: case MB2I_MODULE:
	case MB2I_BASIC_MEMINFO: case MB2I_MMAP:
		return true;
	case MB2I_ACPI_OLD:
		return pl->rsdp_bytes != 0;
	case MB2I_ACPI_NEW:
		return pl->rsdp_bytes == RSDP_V2_SIZE;
	default:
		return false;
	}
}

static int mb2_tag_info_request(struct mb2_plan *pl, const uint8_t *t, uint32_t size, bool optional)
{
	for (uint32_t i = 8; i + 4 <= size; i += 4) {
		uint32_t type = mb2_get32(t + i);

		if (optional || mb2_can_give(pl, type))
			continue;
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 information request (tag 1) requires tag type %u (%s), not given here",
				      type, type < MB2I_TYPES ? mb2_info_name[type] : "unknown");
	}
	return 0;
}

/* One header tag at t (size checked to be in the header). */
static int mb2_tag(struct mb2_plan *pl, const uint8_t *t, uint16_t type, bool optional, uint32_t size)
{
	static const uint8_t min_size[] = {
		[MB2HT_INFO_REQUEST] = 8, [MB2HT_ADDRESS] = 24, [MB2HT_ENTRY] = 12,
		[MB2HT_CONSOLE] = 12, [MB2HT_FRAMEBUFFER] = 20, [MB2HT_MODULE_ALIGN] = 8,
		[MB2HT_EFI_BS] = 8, [MB2HT_ENTRY_EFI32] = 12, [MB2HT_ENTRY_EFI64] = 12,
		[MB2HT_RELOCATABLE] = 24,
	};

	if (type < ARRAY_SIZE(min_size) && size < min_size[type])
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header tag %u: size %u is below its %u bytes",
				      type, size, min_size[type]);
	switch (type) {
	case MB2HT_INFO_REQUEST:
		return mb2_tag_info_request(pl, t, size, optional);
	case MB2HT_ADDRESS:
		pl->has_addr = true;
		pl->ao.header_addr = mb2_get32(t + 8);
		pl->ao.load_addr = mb2_get32(t + 12);
		pl->ao.load_end_addr = mb2_get32(t + 16);
		pl->ao.bss_end_addr = mb2_get32(t + 20);
		return 0;
	case MB2HT_ENTRY:
		pl->has_entry = true;
		pl->entry = mb2_get32(t + 8);
		return 0;
	case MB2HT_CONSOLE:
		if (mb2_get32(t + 8) & MB2HT_CONSOLE_REQUIRED && !optional)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 console flags tag 0x%x: requires a console; the virtual PC describes none (the kernel has COM1)",
					      mb2_get32(t + 8));
		return 0;
	case MB2HT_FRAMEBUFFER:
		if (optional)
			return 0;
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 framebuffer tag (%ux%ux%u) is required; the virtual PC has no framebuffer",
				      mb2_get32(t + 8), mb2_get32(t + 12), mb2_get32(t + 16));
	case MB2HT_EFI_BS:
	case MB2HT_ENTRY_EFI32:
	case MB2HT_ENTRY_EFI64:
		if (optional)
			return 0;
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 tag %u (%s) is required: the kernel needs UEFI, which the virtual PC does not have",
				      type, type == MB2HT_EFI_BS ? "EFI boot services" :
				      type == MB2HT_ENTRY_EFI32 ? "EFI i386 entry" : "EFI amd64 entry");
	case MB2HT_MODULE_ALIGN:
	case MB2HT_RELOCATABLE:
		return 0;
	default:
		if (optional)
			return 0;
		return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header tag type %u is required and not known to this loader",
				      type);
	}
}

static int mb2_plan_tags(struct mb2_plan *pl)
{
	const uint8_t *h = pl->bp.cfg->kernel + pl->hdr;
	size_t pos = MB2H_SIZE;
	int ret;

	while (pos + 8 <= pl->hdr_len) {
		const uint8_t *t = h + pos;
		uint16_t type = (uint16_t)(t[0] | t[1] << 8), flags = (uint16_t)(t[2] | t[3] << 8);
		uint32_t size = mb2_get32(t + 4);

		if (size < 8 || size > pl->hdr_len - pos)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header tag %u at 0x%zx: size %u is below 8 or past header_length %zu",
					      type, pl->hdr + pos, size, pl->hdr_len);
		if (type == MB2HT_END)
			return 0;
		ret = mb2_tag(pl, t, type, flags & MB2HT_OPTIONAL, size);
		if (ret)
			return ret;
		pos += ALIGN_UP((size_t)size, (size_t)MB2_TAG_ALIGN);
	}
	return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 header: no end tag within header_length %zu",
			      pl->hdr_len);
}

/* The kernel's bytes: the address tag's, or the ELF program headers'. */
static int mb2_plan_kernel(struct mb2_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	uint64_t entry;
	int ret;

	if (pl->has_addr) {
		if (!pl->has_entry)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 address tag without an entry address tag (3)");
		if (pl->ao.load_addr == 0xffffffffu)
			pl->ao.load_addr = pl->ao.header_addr - (uint32_t)pl->hdr;
		pl->ao.entry_addr = pl->entry;
		return boot_plan_aout(&pl->bp, pl->hdr, &pl->ao, "Multiboot2");
	}
	ret = elf_load_parse(cfg->kernel, cfg->kernel_size, cfg->kernel_name, &pl->elf,
			     pl->bp.err, pl->bp.errlen);
	if (!ret)
		ret = boot_plan_claim_elf(&pl->bp, &pl->elf);
	if (ret)
		return ret;
	if (pl->has_entry) {
		if (pl->entry < pl->bp.kernel_start || pl->entry >= pl->bp.kernel_end)
			return boot_plan_fail(&pl->bp, -ENOEXEC, "Multiboot2 entry address 0x%x is outside the kernel 0x%llx-0x%llx",
					      pl->entry, (unsigned long long)pl->bp.kernel_start,
					      (unsigned long long)pl->bp.kernel_end);
		return 0;
	}
	if (!elf_load_to_phys(&pl->elf, pl->elf.entry, &entry))
		return boot_plan_fail(&pl->bp, -ENOEXEC, "ELF e_entry 0x%llx is in no PT_LOAD segment",
				      (unsigned long long)pl->elf.entry);
	pl->entry = (uint32_t)entry;
	return 0;
}

/* The RSDP the VM's tables start with, if cfg->acpi_rsdp holds one. */
static void mb2_plan_rsdp(struct mb2_plan *pl, const uint8_t *ram)
{
	uint64_t a = pl->bp.cfg->acpi_rsdp;

	pl->rsdp_bytes = 0;
	if (!a || a > pl->bp.ram_size || pl->bp.ram_size - a < RSDP_V2_SIZE ||
	    memcmp(ram + a, "RSD PTR ", 8) != 0)
		return;
	pl->rsdp_bytes = ram[a + RSDP_REVISION] >= 2 ? RSDP_V2_SIZE : RSDP_V1_SIZE;
}

static size_t mb2_tag_size(size_t payload)
{
	return ALIGN_UP(8 + payload, (size_t)MB2_TAG_ALIGN);
}

/* The information's size; it must fit the loader's area. */
static int mb2_plan_info(struct mb2_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	size_t room = BOOT_IMAGE_AREA_GPA + BOOT_IMAGE_AREA_SIZE - MULTIBOOT2_INFO_GPA;
	size_t n = 8, cmd = strnlen(cfg->kernel_name ? cfg->kernel_name : "", room) + 1;

	if (cfg->cmdline && cfg->cmdline[0])
		cmd += strnlen(cfg->cmdline, room) + 1;
	n += mb2_tag_size(cmd) + mb2_tag_size(sizeof(MULTIBOOT_LOADER_NAME_MB2));
	for (unsigned int i = 0; i < cfg->nr_mods; i++)
		n += mb2_tag_size(8 + strnlen(cfg->mods[i].string ? cfg->mods[i].string : "", room) + 1);
	n += mb2_tag_size(8) + mb2_tag_size(8 + cfg->nr_e820 * MB2_MMAP_ENTRY);
	if (pl->rsdp_bytes)
		n += mb2_tag_size(RSDP_V1_SIZE);
	if (pl->rsdp_bytes == RSDP_V2_SIZE)
		n += mb2_tag_size(RSDP_V2_SIZE);
	n += 8;
	if (n > room)
		return boot_plan_fail(&pl->bp, -E2BIG, "the Multiboot2 information needs at least %zu bytes, the loader's area has %zu",
				      n, room);
	pl->info_size = n;
	return 0;
}

/* ---- Writing guest memory ---------------------------------------------- */

/* Starts a tag of type at *at; returns its address. */
static uint64_t mb2_tag_start(uint8_t *ram, uint64_t at, uint32_t type)
{
	mb2_put(ram + at, 4, type);
	return at;
}

/* Closes the tag at tag, whose bytes end at end; returns the next tag's address. */
static uint64_t mb2_tag_end(uint8_t *ram, uint64_t tag, uint64_t end)
{
	mb2_put(ram + tag + 4, 4, end - tag);
	return ALIGN_UP(end, (uint64_t)MB2_TAG_ALIGN);
}

static uint64_t mb2_put_str(uint8_t *ram, uint64_t at, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(ram + at, s, n);
	return at + n;
}

static void mb2_write_info(uint8_t *ram, const struct mb2_plan *pl)
{
	const struct boot_image_cfg *cfg = pl->bp.cfg;
	uint64_t at = MULTIBOOT2_INFO_GPA + 8, t, end;

	memset(ram + MULTIBOOT2_INFO_GPA, 0, pl->info_size);
	t = mb2_tag_start(ram, at, MB2I_CMDLINE);
	end = mb2_put_str(ram, t + 8, cfg->kernel_name ? cfg->kernel_name : "");
	if (cfg->cmdline && cfg->cmdline[0]) {
		ram[end - 1] = ' ';
		end = mb2_put_str(ram, end, cfg->cmdline);
	}
	at = mb2_tag_end(ram, t, end);
	t = mb2_tag_start(ram, at, MB2I_LOADER_NAME);
	at = mb2_tag_end(ram, t, mb2_put_str(ram, t + 8, MULTIBOOT_LOADER_NAME_MB2));
	for (unsigned int i = 0; i < cfg->nr_mods; i++) {
		t = mb2_tag_start(ram, at, MB2I_MODULE);
		mb2_put(ram + t + 8, 4, pl->bp.mod_addr[i]);
		mb2_put(ram + t + 12, 4, pl->bp.mod_addr[i] + cfg->mods[i].size);
		at = mb2_tag_end(ram, t, mb2_put_str(ram, t + 16,
						     cfg->mods[i].string ? cfg->mods[i].string : ""));
	}
	t = mb2_tag_start(ram, at, MB2I_BASIC_MEMINFO);
	mb2_put(ram + t + 8, 4, boot_plan_mem_lower(&pl->bp));
	mb2_put(ram + t + 12, 4, boot_plan_mem_upper(&pl->bp));
	at = mb2_tag_end(ram, t, t + 16);
	t = mb2_tag_start(ram, at, MB2I_MMAP);
	mb2_put(ram + t + 8, 4, MB2_MMAP_ENTRY);
	mb2_put(ram + t + 12, 4, 0);
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		uint8_t *e = ram + t + 16 + i * MB2_MMAP_ENTRY;

		mb2_put(e, 8, cfg->e820[i].addr);
		mb2_put(e + 8, 8, cfg->e820[i].size);
		mb2_put(e + 16, 4, cfg->e820[i].type);
		mb2_put(e + 20, 4, 0);
	}
	at = mb2_tag_end(ram, t, t + 16 + cfg->nr_e820 * MB2_MMAP_ENTRY);
	if (pl->rsdp_bytes) {
		t = mb2_tag_start(ram, at, MB2I_ACPI_OLD);
		memcpy(ram + t + 8, ram + cfg->acpi_rsdp, RSDP_V1_SIZE);
		at = mb2_tag_end(ram, t, t + 8 + RSDP_V1_SIZE);
	}
	if (pl->rsdp_bytes == RSDP_V2_SIZE) {
		t = mb2_tag_start(ram, at, MB2I_ACPI_NEW);
		memcpy(ram + t + 8, ram + cfg->acpi_rsdp, RSDP_V2_SIZE);
		at = mb2_tag_end(ram, t, t + 8 + RSDP_V2_SIZE);
	}
	t = mb2_tag_start(ram, at, MB2I_END);
	at = mb2_tag_end(ram, t, t + 8);
	mb2_put(ram + MULTIBOOT2_INFO_GPA, 4, at - MULTIBOOT2_INFO_GPA);
}

int multiboot2_load(uint8_t *ram, uint64_t ram_size, const struct boot_image_cfg *cfg,
		    struct guest_state *entry, struct boot_image_info *info,
		    char *err, size_t errlen)
{
	struct mb2_plan pl = { 0 };
	struct guest_state st;
	int ret;

	ret = boot_plan_init(&pl.bp, cfg, ram_size, err, errlen);
	if (ret)
		return ret;
	mb2_plan_rsdp(&pl, ram);
	ret = mb2_plan_find(&pl);
	if (!ret)
		ret = mb2_plan_tags(&pl);
	if (!ret)
		ret = mb2_plan_kernel(&pl);
	if (!ret)
		ret = mb2_plan_info(&pl);
	if (!ret)
		ret = boot_plan_modules(&pl.bp);
	if (ret)
		return ret;

	if (pl.has_addr)
		boot_plan_write_aout(&pl.bp, ram, &pl.ao);
	else
		elf_load_write(ram, cfg->kernel, &pl.elf);
	boot_plan_write_common(&pl.bp, ram, MULTIBOOT2_INFO_GPA);
	mb2_write_info(ram, &pl);
	boot_plan_finish(&pl.bp, pl.entry, MULTIBOOT2_INFO_GPA,
			 pl.has_addr ? "Multiboot2 address tag" :
			 pl.elf.bits == 32 ? "Multiboot2 ELF32" : "Multiboot2 ELF64", &st, info);
	st.regs.gpr[GPR_RAX] = MULTIBOOT2_EAX;
	st.regs.gpr[GPR_RBX] = MULTIBOOT2_INFO_GPA;
	*entry = st;
	return 0;
}
