/*
 * Placement checks and writers shared by the Multiboot loaders (layout:
 * core/pc/boot_image.h).
 *
 * Runs anywhere; no locks, no allocation. Every check runs before the
 * first write, so a refused image leaves guest RAM as it was.
 */
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/pc/boot_image.h"
#include "core/pc/machine.h"

static const char *bp_kname(const struct boot_plan *pl)
{
	return pl->cfg->kernel_name ? pl->cfg->kernel_name : "(unnamed)";
}

int boot_plan_fail(const struct boot_plan *pl, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!pl->errlen)
		return ret;
	n = hv_snprintf(pl->err, pl->errlen, "kernel %s: ", bp_kname(pl));
	if (n < 0 || (size_t)n >= pl->errlen)
		return ret;
	va_start(ap, fmt);
	hv_vsnprintf(pl->err + n, pl->errlen - n, fmt, ap);
	va_end(ap);
	return ret;
}

/* True if [start, end) is RAM in the e820 map (entries may be adjacent). */
static bool bp_is_ram(const struct boot_plan *pl, uint64_t start, uint64_t end)
{
	uint64_t pos = start;

	for (unsigned int i = 0; i < pl->cfg->nr_e820 && pos < end; i++) {
		const struct e820_entry *e = &pl->cfg->e820[i];

		if (e->type == E820_RAM && e->addr <= pos && e->addr + e->size > pos)
			pos = e->addr + e->size;
	}
	return pos >= end;
}

static bool bp_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Why [gpa, gpa + len) is not RAM, in words. */
static int bp_not_ram(const struct boot_plan *pl, uint64_t gpa, uint64_t len, const char *what)
{
	const char *where = "is not RAM in the e820 map";

	if (bp_overlaps(gpa, len, PC_EBDA_START, PC_EBDA_END - PC_EBDA_START))
		where = "overlaps the EBDA (0x9fc00-0xa0000)";
	else if (bp_overlaps(gpa, len, PC_BIOS_START, PC_BIOS_END - PC_BIOS_START))
		where = "overlaps the ACPI tables and BIOS area (0xe0000-0x100000)";
	else if (gpa + len > pl->ram_size)
		return boot_plan_fail(pl, -ENOSPC, "%s 0x%llx-0x%llx is outside the guest's %llu MiB of RAM",
				      what, (unsigned long long)gpa, (unsigned long long)(gpa + len),
				      (unsigned long long)(pl->ram_size >> 20));
	return boot_plan_fail(pl, -ENOSPC, "%s 0x%llx-0x%llx %s", what, (unsigned long long)gpa,
			      (unsigned long long)(gpa + len), where);
}

int boot_plan_claim(struct boot_plan *pl, uint64_t gpa, uint64_t len, const char *what,
		    bool is_kernel)
{
	unsigned int i;

	if (gpa > pl->ram_size || len > pl->ram_size - gpa || !bp_is_ram(pl, gpa, gpa + len))
		return bp_not_ram(pl, gpa, len, what);
	for (i = 0; i < pl->nr; i++)
		if (bp_overlaps(gpa, len, pl->used[i].gpa, pl->used[i].len))
			return boot_plan_fail(pl, -ENOSPC, "%s 0x%llx-0x%llx overlaps %s 0x%llx-0x%llx",
					      what, (unsigned long long)gpa,
					      (unsigned long long)(gpa + len), pl->what[i],
					      (unsigned long long)pl->used[i].gpa,
					      (unsigned long long)(pl->used[i].gpa + pl->used[i].len));
	if (pl->nr == BOOT_IMAGE_RANGES_MAX)
		return boot_plan_fail(pl, -ENOSPC, "more than %u ranges to load", BOOT_IMAGE_RANGES_MAX);
	for (i = pl->nr; i > 0 && pl->used[i - 1].gpa > gpa; i--) {
		pl->used[i] = pl->used[i - 1];
		pl->what[i] = pl->what[i - 1];
	}
	pl->used[i] = (struct boot_range){ gpa, len };
	pl->what[i] = what;
	pl->nr++;
	if (is_kernel) {
		if (!pl->kernel_end || gpa < pl->kernel_start)
			pl->kernel_start = gpa;
		pl->kernel_end = MAX(pl->kernel_end, gpa + len);
	}
	return 0;
}

int boot_plan_init(struct boot_plan *pl, const struct boot_image_cfg *cfg, uint64_t ram_size,
		   char *err, size_t errlen)
{
	*pl = (struct boot_plan){ .cfg = cfg, .ram_size = ram_size, .err = err, .errlen = errlen };
	if (errlen)
		err[0] = '\0';
	if (!cfg->nr_e820 || !cfg->e820 || cfg->nr_e820 > LINUX_BOOT_E820_MAX)
		return boot_plan_fail(pl, -EINVAL, "e820: %u entries (1 to %u usable)",
				      cfg->nr_e820, LINUX_BOOT_E820_MAX);
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		const struct e820_entry *e = &cfg->e820[i];

		if (!e->size || e->addr + e->size < e->addr ||
		    (i && e->addr < cfg->e820[i - 1].addr + cfg->e820[i - 1].size))
			return boot_plan_fail(pl, -EINVAL, "e820: entry %u (0x%llx, size 0x%llx) is empty, wraps around or overlaps the one before",
					      i, (unsigned long long)e->addr,
					      (unsigned long long)e->size);
	}
	if (cfg->nr_mods > BOOT_IMAGE_MODULES_MAX)
		return boot_plan_fail(pl, -E2BIG, "%u modules, at most %u", cfg->nr_mods,
				      BOOT_IMAGE_MODULES_MAX);
	return boot_plan_claim(pl, BOOT_IMAGE_AREA_GPA, BOOT_IMAGE_AREA_SIZE,
			       "the loader's area (boot information)", false);
}

static const char *const bp_seg_name[ELF_LOAD_SEGS_MAX] = {
	"ELF segment 0", "ELF segment 1", "ELF segment 2", "ELF segment 3",
	"ELF segment 4", "ELF segment 5", "ELF segment 6", "ELF segment 7",
	"ELF segment 8", "ELF segment 9", "ELF segment 10", "ELF segment 11",
	"ELF segment 12", "ELF segment 13", "ELF segment 14", "ELF segment 15",
};

int boot_plan_claim_elf(struct boot_plan *pl, const struct elf_image *elf)
{
	for (unsigned int i = 0; i < elf->nr_segs; i++) {
		int ret = boot_plan_claim(pl, elf->seg[i].paddr, elf->seg[i].memsz, bp_seg_name[i],
					  true);

		if (ret)
			return ret;
	}
	return 0;
}

int boot_plan_aout(struct boot_plan *pl, size_t hdr_off, struct boot_aout *a, const char *what)
{
	size_t size = pl->cfg->kernel_size;
	uint64_t end;

	if (a->load_addr > a->header_addr || a->header_addr - a->load_addr > hdr_off)
		return boot_plan_fail(pl, -ENOEXEC, "%s load_addr 0x%x: not at most header_addr 0x%x and within the header's offset 0x%zx in the file",
				      what, a->load_addr, a->header_addr, hdr_off);
	a->offset = hdr_off - (a->header_addr - a->load_addr);
	if (!a->load_end_addr)
		a->filesz = size - a->offset;
	else if (a->load_end_addr <= a->load_addr ||
		 a->load_end_addr - a->load_addr > size - a->offset)
		return boot_plan_fail(pl, -ENOEXEC, "%s load_end_addr 0x%x: not above load_addr 0x%x or past the file's end (0x%llx)",
				      what, a->load_end_addr, a->load_addr,
				      (unsigned long long)(a->load_addr + size - a->offset));
	else
		a->filesz = a->load_end_addr - a->load_addr;
	end = a->load_addr + a->filesz;
	if (a->bss_end_addr && a->bss_end_addr < end)
		return boot_plan_fail(pl, -ENOEXEC, "%s bss_end_addr 0x%x is below the loaded text's end 0x%llx",
				      what, a->bss_end_addr, (unsigned long long)end);
	a->memsz = (a->bss_end_addr ? a->bss_end_addr : end) - a->load_addr;
	if (a->entry_addr < a->load_addr || a->entry_addr >= end)
		return boot_plan_fail(pl, -ENOEXEC, "%s entry_addr 0x%x is outside the loaded text 0x%x-0x%llx",
				      what, a->entry_addr, a->load_addr, (unsigned long long)end);
	return boot_plan_claim(pl, a->load_addr, a->memsz, "the image the header's addresses give", true);
}

void boot_plan_write_aout(const struct boot_plan *pl, uint8_t *ram, const struct boot_aout *a)
{
	memcpy(ram + a->load_addr, pl->cfg->kernel + a->offset, a->filesz);
	memset(ram + a->load_addr + a->filesz, 0, a->memsz - a->filesz);
}

int boot_plan_modules(struct boot_plan *pl)
{
	uint64_t at = ALIGN_UP(MAX(pl->kernel_end, PC_BIOS_END), BOOT_IMAGE_PAGE);

	for (unsigned int i = 0; i < pl->cfg->nr_mods; i++) {
		const struct boot_module *m = &pl->cfg->mods[i];
		const char *name = m->name ? m->name : "(unnamed)";
		uint64_t len = MAX(m->size, (size_t)1);

		if (at > pl->ram_size || len > pl->ram_size - at || !bp_is_ram(pl, at, at + len))
			return boot_plan_fail(pl, -ENOSPC, "module %s (%zu bytes) does not fit at 0x%llx in the guest's %llu MiB of RAM",
					      name, m->size, (unsigned long long)at,
					      (unsigned long long)(pl->ram_size >> 20));
		if (boot_plan_claim(pl, at, len, "a module", false))
			return -ENOSPC;
		pl->mod_addr[i] = at;
		at = ALIGN_UP(at + len, BOOT_IMAGE_PAGE);
	}
	return 0;
}

static void bp_write_modules(const struct boot_plan *pl, uint8_t *ram)
{
	for (unsigned int i = 0; i < pl->cfg->nr_mods; i++) {
		memcpy(ram + pl->mod_addr[i], pl->cfg->mods[i].data, pl->cfg->mods[i].size);
		if (!pl->cfg->mods[i].size)
			ram[pl->mod_addr[i]] = 0;
	}
}

/* A flat 4 GiB GDT descriptor with the attributes attr (VMCB packing). */
static uint64_t bp_flat_descriptor(uint32_t attr)
{
	return 0xffffull | (uint64_t)(attr & 0xff) << 40 | 0xfull << 48 |
	       (uint64_t)((attr >> 8) & 0xf) << 52;
}

static void bp_entry_flat32(struct guest_state *st, uint32_t entry)
{
	guest_state_init_flat32(st, entry, BOOT_IMAGE_CS, BOOT_IMAGE_DS);
	st->gdtr.base = BOOT_IMAGE_GDT_GPA;
	st->gdtr.limit = BOOT_IMAGE_GDT_SIZE - 1;
	st->idtr.base = 0;
	st->idtr.limit = 0;
}

static void bp_write_gdt(uint8_t *ram)
{
	struct guest_state st;
	uint64_t d[3];

	bp_entry_flat32(&st, 0);
	d[0] = 0;
	d[1] = bp_flat_descriptor(st.seg[SEG_CS].attr);
	d[2] = bp_flat_descriptor(st.seg[SEG_DS].attr);
	for (unsigned int i = 0; i < 3; i++)
		for (unsigned int b = 0; b < 8; b++)
			ram[BOOT_IMAGE_GDT_GPA + i * 8 + b] = (uint8_t)(d[i] >> (8 * b));
}

void boot_plan_write_common(const struct boot_plan *pl, uint8_t *ram, uint64_t info_gpa)
{
	bp_write_modules(pl, ram);
	memset(ram + BOOT_IMAGE_AREA_GPA, 0, info_gpa - BOOT_IMAGE_AREA_GPA);
	bp_write_gdt(ram);
}

void boot_plan_finish(const struct boot_plan *pl, uint32_t entry, uint64_t boot_info,
		      const char *format, struct guest_state *st, struct boot_image_info *info)
{
	bp_entry_flat32(st, entry);
	info->kernel_start = pl->kernel_start;
	info->kernel_end = pl->kernel_end;
	info->mods_start = pl->cfg->nr_mods ? pl->mod_addr[0] : 0;
	info->mods_end = 0;
	if (pl->cfg->nr_mods) {
		const struct boot_module *m = &pl->cfg->mods[pl->cfg->nr_mods - 1];

		info->mods_end = pl->mod_addr[pl->cfg->nr_mods - 1] + MAX(m->size, (size_t)1);
	}
	info->nr_ranges = pl->nr;
	for (unsigned int i = 0; i < pl->nr; i++)
		info->ranges[i] = pl->used[i];
	info->format = format;
	info->entry = entry;
	info->boot_info = boot_info;
}

/* The length of the RAM run that starts at addr (adjacent RAM entries join). */
static uint64_t bp_ram_run(const struct boot_plan *pl, uint64_t addr)
{
	uint64_t pos = addr;

	for (unsigned int i = 0; i < pl->cfg->nr_e820; i++) {
		const struct e820_entry *e = &pl->cfg->e820[i];

		if (e->type == E820_RAM && e->addr <= pos && e->addr + e->size > pos)
			pos = e->addr + e->size;
	}
	return pos - addr;
}

uint32_t boot_plan_mem_lower(const struct boot_plan *pl)
{
	return (uint32_t)(MIN(bp_ram_run(pl, 0), 640ull << 10) >> 10);
}

uint32_t boot_plan_mem_upper(const struct boot_plan *pl)
{
	return (uint32_t)(MIN(bp_ram_run(pl, PC_BIOS_END), 0xffffffffull << 10) >> 10);
}
