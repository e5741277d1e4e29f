/*
 * The Linux boot protocol loader (layout and entry state: core/pc/linux_boot.h).
 *
 * Runs anywhere; no locks, no allocation. Two phases: lb_plan_*() read
 * the image, the command line and the e820 map and work out where every
 * piece goes, failing with a message before anything is written;
 * lb_write_*() then fill guest RAM. So an error leaves guest RAM as it
 * was, which lets the caller report and move on.
 *
 * Field offsets are those of struct setup_header and struct boot_params
 * (arch/x86/include/uapi/asm/bootparam.h); the setup header sits at the
 * same offset (0x1f1) in the file and in boot_params. Each field is
 * marked with the protocol version that introduced it where that is
 * after 2.00; a field the image's version does not define is never read
 * (in such an image its bytes are real-mode code).
 */
#include "core/lib/errno.h"
#include "core/pc/linux_boot.h"
#include "core/pc/machine.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

/* Setup header: offsets in the bzImage and in boot_params. */
#define HDR_SETUP_SECTS		0x1f1	/* u8: real-mode sectors after the first; 0: 4 */
#define HDR_SYSSIZE		0x1f4	/* u32: protected-mode size in 16-byte units */
#define HDR_BOOT_FLAG		0x1fe	/* u16 */
#define HDR_JUMP_OFFSET		0x201	/* u8: header end = 0x202 + this */
#define HDR_HEADER		0x202	/* u32 */
#define HDR_VERSION		0x206	/* u16 */
#define HDR_TYPE_OF_LOADER	0x210	/* u8 */
#define HDR_LOADFLAGS		0x211	/* u8 */
#define HDR_CODE32_START	0x214	/* u32 */
#define HDR_RAMDISK_IMAGE	0x218	/* u32 */
#define HDR_RAMDISK_SIZE	0x21c	/* u32 */
#define HDR_HEAP_END_PTR	0x224	/* u16, 2.01 */
#define HDR_CMD_LINE_PTR	0x228	/* u32, 2.02 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* u32, 2.03 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* u32, 2.05 */
#define HDR_RELOCATABLE		0x234	/* u8, 2.05 */
#define HDR_XLOADFLAGS		0x236	/* u16, 2.12 */
#define HDR_CMDLINE_SIZE	0x238	/* u32, 2.06 */
#define HDR_PREF_ADDRESS	0x258	/* u64, 2.10 */
#define HDR_INIT_SIZE		0x260	/* u32, 2.10 */
#define HDR_END_2_06		0x23c	/* after cmdline_size */
#define HDR_END_2_07		0x248	/* after hardware_subarch_data */
#define HDR_END_2_08		0x250	/* after payload_length */
#define HDR_END_2_09		0x258	/* after setup_data */
#define HDR_END_2_10		0x264	/* after init_size */
#define HDR_END_2_11		0x268	/* after handover_offset */
#define HDR_END_2_15		0x26c	/* after kernel_info_offset */
#define HDR_END_MAX		0x290	/* boot_params.edd_mbr_sig_buffer follows */

#define BOOT_FLAG_MAGIC		0xaa55
#define HDRS_MAGIC		0x53726448u	/* "HdrS" */
#define LOADFLAGS_LOADED_HIGH	BIT(0)
#define LOADFLAGS_CAN_USE_HEAP	BIT(7)
#define XLF_KERNEL_64		BIT(0)	/* startup_64 at load address + 0x200 */
#define XLF_CAN_BE_LOADED_ABOVE_4G BIT(1)
#define PROTO(major, minor)	((uint16_t)((major) << 8 | (minor)))
#define LOADER_TYPE_UNDEFINED	0xff
/* boot.rst's layout: heap_end = 0xe000 from the real-mode base. */
#define HEAP_END_PTR		0xde00
#define SETUP_SECTS_DEFAULT	4
#define SECTOR_SIZE		512
#define BZIMAGE_MIN_SIZE	1024	/* boot sector and the header's sector */

/* boot_params (the zero page) outside the setup header. */
#define BP_ACPI_RSDP_ADDR	0x070	/* u64 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0	/* u32: bits 63-32 */
#define BP_EXT_RAMDISK_SIZE	0x0c4	/* u32: bits 63-32 */
#define BP_EXT_CMD_LINE_PTR	0x0c8	/* u32: bits 63-32 */
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_E820_TABLE		0x2d0	/* LINUX_BOOT_E820_MAX of 20 bytes */
#define BP_E820_ENTRY_SIZE	20
#define BP_SIZE			0x1000
_Static_assert(BP_E820_TABLE + LINUX_BOOT_E820_MAX * BP_E820_ENTRY_SIZE <= BP_SIZE,
	       "e820_table inside the zero page");

#define LB_PAGE_SIZE		0x1000ull
#define LB_INITRD_END		(4ull << 30)	/* the initrd stays below 4 GiB */
#define LB_GDT_ENTRIES		4	/* null, null, __BOOT_CS, __BOOT_DS */
#define LB_LOW_END		(LINUX_BOOT_CMDLINE_GPA + LINUX_BOOT_CMDLINE_ROOM)
#define LB_OLD_LOAD_ADDR	0x100000ull	/* before 2.10: no pref_address */
#define LB_OLD_INIT_FACTOR	3	/* before 2.10: no init_size */
#define LB_ENTRY64_OFFSET	0x200	/* startup_64 in the protected-mode part */

/* The 64-bit entry's identity map: 2 MiB pages over the low 4 GiB. */
#define LB_PT_PRESENT		BIT(0)
#define LB_PT_WRITE		BIT(1)
#define LB_PT_LARGE		BIT(7)	/* a 2 MiB page in a PD */
#define LB_PT_ENTRIES		512
#define LB_PML4_GPA		LINUX_BOOT_PGTABLE_GPA
#define LB_PDPT_GPA		(LINUX_BOOT_PGTABLE_GPA + LB_PAGE_SIZE)
#define LB_PD_GPA		(LINUX_BOOT_PGTABLE_GPA + 2 * LB_PAGE_SIZE)
#define LB_PD_COUNT		4	/* one per GiB */
_Static_assert(LINUX_BOOT_PGTABLE_PAGES == 2 + LB_PD_COUNT, "PML4, PDPT, 4 PDs");
_Static_assert(LINUX_BOOT_PGTABLE_GPA >= LINUX_BOOT_PARAMS_GPA + BP_SIZE &&
	       LINUX_BOOT_PGTABLE_GPA + LINUX_BOOT_PGTABLE_PAGES * 0x1000 <= LINUX_BOOT_CMDLINE_GPA,
	       "page tables between the zero page and the command line");

/* Everything the checks decide; only then is anything written. */
struct lb_plan {
	const struct linux_boot_cfg *cfg;
	uint64_t ram_size;
	char *err;
	size_t errlen;

	uint16_t protocol;
	uint16_t xloadflags;	/* 0 before 2.12 */
	bool relocatable;
	bool entry64;		/* the 64-bit entry, with page tables */
	uint32_t align;		/* kernel_alignment (relocatable kernels) */
	uint64_t pref;		/* pref_address, or 0x100000 before 2.10 */
	size_t setup_size;	/* real-mode part: (setup_sects + 1) * 512 */
	size_t hdr_end;		/* copy file bytes HDR_SETUP_SECTS .. hdr_end */
	uint32_t init_size;
	uint64_t load;		/* protected-mode part goes here */
	uint64_t kernel_end;	/* max(load, pref_address) + init_size */
	size_t cmdline_len;
	uint64_t initrd_addr;
};

/* ---- Little-endian fields ---------------------------------------------- */

static uint64_t lb_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static void lb_put(uint8_t *p, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t lb_hdr(const struct lb_plan *pl, size_t off, unsigned int bytes)
{
	return lb_get(pl->cfg->kernel + off, bytes);
}

static int __printf(3, 4) lb_fail(const struct lb_plan *pl, int err, const char *fmt, ...)
{
	va_list ap;

	if (pl->errlen) {
		va_start(ap, fmt);
		hv_vsnprintf(pl->err, pl->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static const char *lb_kname(const struct lb_plan *pl)
{
	return pl->cfg->kernel_name ? pl->cfg->kernel_name : "(unnamed)";
}

static unsigned long long lb_mib_up(uint64_t bytes)
{
	return (bytes + MiB(1) - 1) >> 20;
}

/* ---- Checks and placement ---------------------------------------------- */

/*
 * Where the setup header of protocol version v ends: the end of the last
 * field that version defines (boot.rst's "THE REAL-MODE KERNEL HEADER").
 * 2.12 to 2.14 add no field past handover_offset (2.12's xloadflags sits
 * in 2.05's padding; 2.14 is "the same as 2.13").
 */
static size_t lb_hdr_end_for(uint16_t v)
{
	if (v >= PROTO(2, 15))
		return HDR_END_2_15;
	if (v >= PROTO(2, 11))
		return HDR_END_2_11;
	if (v >= PROTO(2, 10))
		return HDR_END_2_10;
	if (v >= PROTO(2, 9))
		return HDR_END_2_09;
	if (v >= PROTO(2, 8))
		return HDR_END_2_08;
	if (v >= PROTO(2, 7))
		return HDR_END_2_07;
	return HDR_END_2_06;
}

/* Magic, version, header length and LOADED_HIGH: is it a bzImage at all. */
static int lb_plan_header(struct lb_plan *pl)
{
	const char *k = lb_kname(pl);
	size_t size = pl->cfg->kernel_size;
	unsigned int jump;

	if (!size)
		return lb_fail(pl, -ENOEXEC, "kernel %s: empty file", k);
	if (size < BZIMAGE_MIN_SIZE)
		return lb_fail(pl, -ENOEXEC, "kernel %s: truncated: a bzImage header needs %u bytes, the file has %zu",
			       k, BZIMAGE_MIN_SIZE, size);
	if (lb_hdr(pl, HDR_BOOT_FLAG, 2) != BOOT_FLAG_MAGIC)
		return lb_fail(pl, -ENOEXEC, "kernel %s: not a bzImage: setup_header.boot_flag 0x%04llx, not 0xaa55",
			       k, (unsigned long long)lb_hdr(pl, HDR_BOOT_FLAG, 2));
	if (lb_hdr(pl, HDR_HEADER, 4) != HDRS_MAGIC)
		return lb_fail(pl, -ENOEXEC, "kernel %s: not a bzImage: setup_header.header 0x%08llx, not 0x53726448 (\"HdrS\")",
			       k, (unsigned long long)lb_hdr(pl, HDR_HEADER, 4));
	pl->protocol = (uint16_t)lb_hdr(pl, HDR_VERSION, 2);
	if (pl->protocol < LINUX_BOOT_MIN_PROTOCOL)
		return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.version 0x%04x below 2.06",
			       k, pl->protocol);
	jump = (unsigned int)lb_hdr(pl, HDR_JUMP_OFFSET, 1);
	pl->hdr_end = HDR_HEADER + jump;
	if (pl->hdr_end < lb_hdr_end_for(pl->protocol))
		return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.jump 0x%02x ends the header at 0x%zx, before the end of the %u.%02u fields (0x%zx)",
			       k, jump, pl->hdr_end, pl->protocol >> 8, pl->protocol & 0xff,
			       lb_hdr_end_for(pl->protocol));
	pl->hdr_end = MIN(pl->hdr_end, (size_t)HDR_END_MAX);
	if (!(lb_hdr(pl, HDR_LOADFLAGS, 1) & LOADFLAGS_LOADED_HIGH))
		return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.loadflags 0x%02llx: LOADED_HIGH clear (a zImage)",
			       k, (unsigned long long)lb_hdr(pl, HDR_LOADFLAGS, 1));
	return 0;
}

/*
 * The fields that depend on the version, each read only where the
 * version defines it: pref_address and init_size from 2.10, xloadflags
 * from 2.12; older kernels get 0x100000 (code32_start's default, where
 * they run) and, having no init_size, three times their protected-mode
 * part (room to decompress).
 */
static int lb_plan_fields(struct lb_plan *pl)
{
	const char *k = lb_kname(pl);
	bool has_2_10 = pl->protocol >= PROTO(2, 10);

	pl->relocatable = lb_hdr(pl, HDR_RELOCATABLE, 1) != 0;
	pl->align = (uint32_t)lb_hdr(pl, HDR_KERNEL_ALIGNMENT, 4);
	if (pl->relocatable && (pl->align < LB_PAGE_SIZE || (pl->align & (pl->align - 1))))
		return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.kernel_alignment 0x%x is not a power of two of at least 4 KiB",
			       k, pl->align);
	pl->pref = has_2_10 ? lb_hdr(pl, HDR_PREF_ADDRESS, 8) : LB_OLD_LOAD_ADDR;
	pl->xloadflags = pl->protocol >= PROTO(2, 12) ? (uint16_t)lb_hdr(pl, HDR_XLOADFLAGS, 2) : 0;
	if (has_2_10) {
		pl->init_size = (uint32_t)lb_hdr(pl, HDR_INIT_SIZE, 4);
		if (!pl->init_size)
			return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.init_size is 0", k);
	} else {
		pl->init_size = (uint32_t)MIN(ALIGN_UP((uint64_t)(pl->cfg->kernel_size - pl->setup_size),
						       LB_PAGE_SIZE) * LB_OLD_INIT_FACTOR,
					      (uint64_t)UINT32_MAX);
	}
	if (pl->cfg->kernel_size - pl->setup_size > pl->init_size)
		return lb_fail(pl, -ENOEXEC, "kernel %s: the protected-mode part (%zu bytes) exceeds setup_header.init_size 0x%x",
			       k, pl->cfg->kernel_size - pl->setup_size, pl->init_size);
	return 0;
}

/* Which entry: the 64-bit one where the kernel has it, unless told otherwise. */
static int lb_plan_entry(struct lb_plan *pl)
{
	bool has_64 = pl->xloadflags & XLF_KERNEL_64;

	switch (pl->cfg->entry) {
	case LINUX_BOOT_ENTRY_DEFAULT:
		pl->entry64 = has_64;
		return 0;
	case LINUX_BOOT_ENTRY_32:
		pl->entry64 = false;
		return 0;
	case LINUX_BOOT_ENTRY_64:
		if (pl->protocol < PROTO(2, 12))
			return lb_fail(pl, -ENOEXEC, "kernel %s: no 64-bit entry: setup_header.version 0x%04x has no xloadflags (2.12)",
				       lb_kname(pl), pl->protocol);
		if (!has_64)
			return lb_fail(pl, -ENOEXEC, "kernel %s: no 64-bit entry: setup_header.xloadflags 0x%04x has XLF_KERNEL_64 clear",
				       lb_kname(pl), pl->xloadflags);
		pl->entry64 = true;
		return 0;
	}
	return lb_fail(pl, -EINVAL, "kernel %s: entry %d is not a boot protocol entry",
		       lb_kname(pl), (int)pl->cfg->entry);
}

/* The image: header, the protected-mode part's size, the version's fields, the entry. */
static int lb_plan_image(struct lb_plan *pl)
{
	const char *k = lb_kname(pl);
	size_t size = pl->cfg->kernel_size;
	unsigned int sects;
	uint64_t syssize, need;
	int ret;

	ret = lb_plan_header(pl);
	if (ret)
		return ret;
	sects = (unsigned int)lb_hdr(pl, HDR_SETUP_SECTS, 1);
	pl->setup_size = ((sects ? sects : SETUP_SECTS_DEFAULT) + 1) * SECTOR_SIZE;
	syssize = lb_hdr(pl, HDR_SYSSIZE, 4);
	if (!syssize)
		return lb_fail(pl, -ENOEXEC, "kernel %s: setup_header.syssize is 0: no protected-mode part", k);
	need = pl->setup_size + syssize * 16;
	if (size < need)
		return lb_fail(pl, -ENOEXEC, "kernel %s: truncated: setup_sects %u and syssize 0x%llx need %llu bytes, the file has %zu",
			       k, sects, (unsigned long long)syssize, (unsigned long long)need, size);
	ret = lb_plan_fields(pl);
	if (!ret)
		ret = lb_plan_entry(pl);
	return ret;
}

/* True if [start, end) is RAM in the e820 map (entries may be adjacent). */
static bool lb_e820_is_ram(const struct linux_boot_cfg *cfg, uint64_t start, uint64_t end)
{
	uint64_t pos = start;

	for (unsigned int i = 0; i < cfg->nr_e820 && pos < end; i++) {
		const struct e820_entry *e = &cfg->e820[i];

		if (e->type == E820_RAM && e->addr <= pos && e->addr + e->size > pos)
			pos = e->addr + e->size;
	}
	return pos >= end;
}

/*
 * A non-relocatable kernel runs where it was linked: pref_address (from
 * 2.10) or 1 MiB, and nowhere else.
 */
static int lb_plan_fixed(struct lb_plan *pl)
{
	const char *k = lb_kname(pl);

	if (pl->pref < MiB(1) || !IS_ALIGNED(pl->pref, LB_PAGE_SIZE))
		return lb_fail(pl, -ENOEXEC, "kernel %s: not relocatable and setup_header.pref_address 0x%llx is below 1 MiB or not page-aligned",
			       k, (unsigned long long)pl->pref);
	pl->load = pl->pref;
	if (pl->load > pl->ram_size || pl->init_size > pl->ram_size - pl->load)
		return lb_fail(pl, -ENOSPC, "kernel %s: not relocatable (setup_header.relocatable_kernel 0) and its init_size 0x%x at 0x%llx does not fit in %llu MiB of RAM",
			       k, pl->init_size, (unsigned long long)pl->load,
			       (unsigned long long)(pl->ram_size >> 20));
	pl->kernel_end = pl->load + pl->init_size;
	return 0;
}

/*
 * A relocatable kernel goes to pref_address when that is aligned and
 * fits, else to the first kernel_alignment boundary at or above 16 MiB.
 */
static int lb_plan_relocatable(struct lb_plan *pl)
{
	uint64_t pref = pl->pref, align = pl->align;

	if (pref >= MiB(1) && IS_ALIGNED(pref, align) && pref <= pl->ram_size &&
	    pl->init_size <= pl->ram_size - pref)
		pl->load = pref;
	else
		pl->load = ALIGN_UP(LINUX_BOOT_KERNEL_MIN, align);
	pl->kernel_end = MAX(pl->load, pref) + pl->init_size;
	if (MAX(pl->load, pref) > pl->ram_size || pl->kernel_end > pl->ram_size)
		return lb_fail(pl, -ENOSPC, "kernel %s: needs RAM up to 0x%llx (init_size 0x%x from 0x%llx), the guest has %llu MiB",
			       lb_kname(pl), (unsigned long long)pl->kernel_end, pl->init_size,
			       (unsigned long long)MAX(pl->load, pref),
			       (unsigned long long)(pl->ram_size >> 20));
	return 0;
}

/* The kernel's load address and the end of its init_size area. */
static int lb_plan_kernel(struct lb_plan *pl)
{
	int ret = pl->relocatable ? lb_plan_relocatable(pl) : lb_plan_fixed(pl);

	if (ret)
		return ret;
	if (!lb_e820_is_ram(pl->cfg, pl->load, pl->kernel_end))
		return lb_fail(pl, -ENOSPC, "kernel %s: 0x%llx-0x%llx is not RAM in the e820 map",
			       lb_kname(pl), (unsigned long long)pl->load,
			       (unsigned long long)pl->kernel_end);
	return 0;
}

static int lb_plan_cmdline(struct lb_plan *pl)
{
	const char *s = pl->cfg->cmdline ? pl->cfg->cmdline : "";
	uint32_t max = (uint32_t)lb_hdr(pl, HDR_CMDLINE_SIZE, 4);

	pl->cmdline_len = strnlen(s, LINUX_BOOT_CMDLINE_ROOM);
	if (pl->cmdline_len >= LINUX_BOOT_CMDLINE_ROOM)
		return lb_fail(pl, -E2BIG, "kernel %s: the command line is longer than the %llu bytes reserved for it",
			       lb_kname(pl), LINUX_BOOT_CMDLINE_ROOM - 1);
	if (pl->cmdline_len > max)
		return lb_fail(pl, -E2BIG, "kernel %s: the command line has %zu characters, the kernel takes at most %u (cmdline_size)",
			       lb_kname(pl), pl->cmdline_len, max);
	return 0;
}

/* The map: 1..128 entries, each non-empty, sorted, none overlapping. */
static int lb_plan_e820(struct lb_plan *pl)
{
	const struct linux_boot_cfg *cfg = pl->cfg;

	if (!cfg->nr_e820 || !cfg->e820)
		return lb_fail(pl, -EINVAL, "e820: the memory map is empty");
	if (cfg->nr_e820 > LINUX_BOOT_E820_MAX)
		return lb_fail(pl, -EINVAL, "e820: %u entries, the zero page holds %u",
			       cfg->nr_e820, LINUX_BOOT_E820_MAX);
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		const struct e820_entry *e = &cfg->e820[i], *prev = &cfg->e820[i ? i - 1 : 0];

		if (!e->size || e->addr + e->size < e->addr)
			return lb_fail(pl, -EINVAL, "e820: entry %u (0x%llx, size 0x%llx) is empty or wraps around",
				       i, (unsigned long long)e->addr, (unsigned long long)e->size);
		if (i && e->addr < prev->addr + prev->size)
			return lb_fail(pl, -EINVAL, "e820: entry %u (0x%llx-0x%llx) overlaps or precedes entry %u (0x%llx-0x%llx)",
				       i, (unsigned long long)e->addr,
				       (unsigned long long)(e->addr + e->size), i - 1,
				       (unsigned long long)prev->addr,
				       (unsigned long long)(prev->addr + prev->size));
	}
	if (pl->ram_size < LB_LOW_END || !lb_e820_is_ram(cfg, LINUX_BOOT_GDT_GPA, LB_LOW_END))
		return lb_fail(pl, -EINVAL, "e820: the loader's area 0x%llx-0x%llx is not RAM",
			       LINUX_BOOT_GDT_GPA, LB_LOW_END);
	return 0;
}

/* The initrd: page-aligned, as high as the kernel and RAM allow. */
static int lb_plan_initrd(struct lb_plan *pl)
{
	const struct linux_boot_cfg *cfg = pl->cfg;
	const char *name = cfg->initrd_name ? cfg->initrd_name : "(unnamed)";
	uint64_t size = cfg->initrd_size, limit;

	pl->initrd_addr = 0;
	if (!cfg->initrd)
		return 0;
	if (!size)
		return lb_fail(pl, -ENOEXEC, "initrd %s: empty file", name);
	/* initrd_addr_max is the highest byte address the initrd may use. */
	limit = MIN(lb_hdr(pl, HDR_INITRD_ADDR_MAX, 4) + 1, MIN(pl->ram_size, LB_INITRD_END));
	if (size > limit || ALIGN_DOWN(limit - size, LB_PAGE_SIZE) < pl->kernel_end)
		return lb_fail(pl, -ENOSPC, "initrd %s: %llu MiB does not fit between 0x%llx (the kernel's end) and 0x%llx with a %llu MiB guest",
			       name, lb_mib_up(size), (unsigned long long)pl->kernel_end,
			       (unsigned long long)limit, (unsigned long long)(pl->ram_size >> 20));
	pl->initrd_addr = ALIGN_DOWN(limit - size, LB_PAGE_SIZE);
	if (!lb_e820_is_ram(cfg, pl->initrd_addr, pl->initrd_addr + size))
		return lb_fail(pl, -ENOSPC, "initrd %s: 0x%llx-0x%llx is not RAM in the e820 map",
			       name, (unsigned long long)pl->initrd_addr,
			       (unsigned long long)(pl->initrd_addr + size));
	return 0;
}

/* ---- Writing guest memory ---------------------------------------------- */

/* A flat 4 GiB GDT descriptor with the attributes attr (VMCB packing). */
static uint64_t lb_flat_descriptor(uint32_t attr)
{
	return 0xffffull |				/* limit 15:0 */
	       (uint64_t)(attr & 0xff) << 40 |		/* type, S, DPL, P */
	       0xfull << 48 |				/* limit 19:16 */
	       (uint64_t)((attr >> 8) & 0xf) << 52;	/* AVL, L, D/B, G */
}

static void lb_write_gdt(uint8_t *ram, const struct guest_state *st)
{
	uint8_t *gdt = ram + LINUX_BOOT_GDT_GPA;

	memset(gdt, 0, LB_GDT_ENTRIES * 8);
	lb_put(gdt + LINUX_BOOT_CS, 8, lb_flat_descriptor(st->seg[SEG_CS].attr));
	lb_put(gdt + LINUX_BOOT_DS, 8, lb_flat_descriptor(st->seg[SEG_DS].attr));
}

static void lb_write_e820(uint8_t *bp, const struct linux_boot_cfg *cfg)
{
	bp[BP_E820_ENTRIES] = (uint8_t)cfg->nr_e820;
	for (unsigned int i = 0; i < cfg->nr_e820; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		lb_put(e, 8, cfg->e820[i].addr);
		lb_put(e + 8, 8, cfg->e820[i].size);
		lb_put(e + 16, 4, cfg->e820[i].type);
	}
}

/* The zero page: the image's setup header, then the loader's fields. */
static void lb_write_boot_params(uint8_t *ram, const struct lb_plan *pl)
{
	const struct linux_boot_cfg *cfg = pl->cfg;
	uint8_t *bp = ram + LINUX_BOOT_PARAMS_GPA;
	uint64_t rd_size = cfg->initrd ? cfg->initrd_size : 0;

	memset(bp, 0, BP_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, cfg->kernel + HDR_SETUP_SECTS,
	       pl->hdr_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_TYPE_UNDEFINED;
	bp[HDR_LOADFLAGS] |= LOADFLAGS_CAN_USE_HEAP;
	lb_put(bp + HDR_HEAP_END_PTR, 2, HEAP_END_PTR);
	lb_put(bp + HDR_CODE32_START, 4, pl->load);
	lb_put(bp + HDR_RAMDISK_IMAGE, 4, pl->initrd_addr);
	lb_put(bp + HDR_RAMDISK_SIZE, 4, rd_size);
	lb_put(bp + BP_EXT_RAMDISK_IMAGE, 4, pl->initrd_addr >> 32);
	lb_put(bp + BP_EXT_RAMDISK_SIZE, 4, rd_size >> 32);
	lb_put(bp + HDR_CMD_LINE_PTR, 4, LINUX_BOOT_CMDLINE_GPA);
	lb_put(bp + BP_EXT_CMD_LINE_PTR, 4, LINUX_BOOT_CMDLINE_GPA >> 32);
	lb_put(bp + BP_ACPI_RSDP_ADDR, 8, cfg->acpi_rsdp);
	lb_write_e820(bp, cfg);
}

/* The identity map of the 64-bit entry: PML4 -> PDPT -> 4 PDs of 2 MiB pages. */
static void lb_write_page_tables(uint8_t *ram)
{
	uint8_t *pml4 = ram + LB_PML4_GPA, *pdpt = ram + LB_PDPT_GPA;

	memset(pml4, 0, LINUX_BOOT_PGTABLE_PAGES * LB_PAGE_SIZE);
	lb_put(pml4, 8, LB_PDPT_GPA | LB_PT_PRESENT | LB_PT_WRITE);
	for (unsigned int g = 0; g < LB_PD_COUNT; g++) {
		uint64_t pd_gpa = LB_PD_GPA + g * LB_PAGE_SIZE;

		lb_put(pdpt + g * 8, 8, pd_gpa | LB_PT_PRESENT | LB_PT_WRITE);
		for (unsigned int i = 0; i < LB_PT_ENTRIES; i++)
			lb_put(ram + pd_gpa + i * 8, 8,
			       (GiB(g) + MiB(2) * i) | LB_PT_PRESENT | LB_PT_WRITE | LB_PT_LARGE);
	}
}

/* The entry state of the chosen protocol (core/pc/linux_boot.h). */
static void lb_entry_state(struct guest_state *st, const struct lb_plan *pl)
{
	if (pl->entry64)
		guest_state_init_long64(st, pl->load + LB_ENTRY64_OFFSET, LB_PML4_GPA,
					LINUX_BOOT_CS, LINUX_BOOT_DS);
	else
		guest_state_init_flat32(st, (uint32_t)pl->load, LINUX_BOOT_CS, LINUX_BOOT_DS);
	st->gdtr.base = LINUX_BOOT_GDT_GPA;
	st->gdtr.limit = LB_GDT_ENTRIES * 8 - 1;
	st->idtr.base = 0;
	st->idtr.limit = 0;
	st->regs.gpr[GPR_RSI] = LINUX_BOOT_PARAMS_GPA;
}

int linux_boot_load(uint8_t *ram, uint64_t ram_size, const struct linux_boot_cfg *cfg,
		    struct guest_state *entry, struct linux_boot_info *info,
		    char *err, size_t errlen)
{
	struct lb_plan pl = { .cfg = cfg, .ram_size = ram_size, .err = err, .errlen = errlen };
	struct guest_state st;
	int ret;

	if (errlen)
		err[0] = '\0';
	ret = lb_plan_image(&pl);
	if (!ret)
		ret = lb_plan_e820(&pl);
	if (!ret)
		ret = lb_plan_kernel(&pl);
	if (!ret)
		ret = lb_plan_cmdline(&pl);
	if (!ret)
		ret = lb_plan_initrd(&pl);
	if (ret)
		return ret;

	lb_entry_state(&st, &pl);
	lb_write_gdt(ram, &st);
	lb_write_boot_params(ram, &pl);
	if (pl.entry64)
		lb_write_page_tables(ram);
	memcpy(ram + LINUX_BOOT_CMDLINE_GPA, cfg->cmdline ? cfg->cmdline : "", pl.cmdline_len);
	ram[LINUX_BOOT_CMDLINE_GPA + pl.cmdline_len] = '\0';
	memcpy(ram + pl.load, cfg->kernel + pl.setup_size, cfg->kernel_size - pl.setup_size);
	if (cfg->initrd)
		memcpy(ram + pl.initrd_addr, cfg->initrd, cfg->initrd_size);

	*entry = st;
	*info = (struct linux_boot_info){
		.protocol = pl.protocol,
		.kernel_addr = pl.load,
		.entry = st.regs.rip,
		.entry_bits = pl.entry64 ? 64 : 32,
		.page_tables = pl.entry64 ? LB_PML4_GPA : 0,
		.kernel_size = cfg->kernel_size - pl.setup_size,
		.kernel_end = pl.kernel_end,
		.initrd_addr = pl.initrd_addr,
		.initrd_size = cfg->initrd ? cfg->initrd_size : 0,
		.boot_params = LINUX_BOOT_PARAMS_GPA,
		.cmdline = LINUX_BOOT_CMDLINE_GPA,
	};
	return 0;
}

/* ---- The PC memory map ------------------------------------------------- */

unsigned int linux_boot_e820_for(const struct guest_ram_layout *ram,
				 struct e820_entry *out, unsigned int max)
{
	uint64_t low_ram = ram->low;
	const struct e820_entry map[] = {
		{ 0, PC_EBDA_START, E820_RAM },
		{ PC_EBDA_START, PC_EBDA_END - PC_EBDA_START, E820_RESERVED },
		{ PC_BIOS_START, PC_BIOS_END - PC_BIOS_START, E820_RESERVED },
		{ PC_BIOS_END, low_ram > PC_BIOS_END ? low_ram - PC_BIOS_END : 0, E820_RAM },
		{ PC_IOAPIC_BASE, PC_APIC_SIZE, E820_RESERVED },
		{ PC_LAPIC_BASE, PC_APIC_SIZE, E820_RESERVED },
		{ ram->high_base, ram->high, E820_RAM },
	};
	unsigned int n = 0;

	_Static_assert(ARRAY_SIZE(map) == LINUX_BOOT_E820_PC_MAX, "LINUX_BOOT_E820_PC_MAX");
	for (unsigned int i = 0; i < ARRAY_SIZE(map) && n < max; i++)
		if (map[i].size)
			out[n++] = map[i];
	return n;
}
