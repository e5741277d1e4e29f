/*
 * Multiboot2 path: turns GRUB's boot information into the boot record and
 * calls hv_main(). Boot CPU, long mode on GRUB-era identity paging,
 * interrupts off, no console yet (problems are recorded and reported by
 * hv_main once the console is up).
 */
#include "core/lib/boot.h"
#include "core/lib/string.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define MB2_TAG_END       0
#define MB2_TAG_CMDLINE   1
#define MB2_TAG_MODULE    3
#define MB2_TAG_MMAP      6
#define MB2_TAG_ACPI_OLD  14
#define MB2_TAG_ACPI_NEW  15

#define MB2_MMAP_AVAILABLE 1
#define MB2_MMAP_ACPI      3
#define MB2_MMAP_NVS       4
#define MB2_MMAP_BAD       5

struct mb2_info {
	uint32_t total_size;
	uint32_t reserved;
} __packed;

struct mb2_tag {
	uint32_t type;
	uint32_t size;
} __packed;

struct mb2_tag_module {
	struct mb2_tag tag;
	uint32_t mod_start;
	uint32_t mod_end;
	char string[];
} __packed;

struct mb2_tag_mmap {
	struct mb2_tag tag;
	uint32_t entry_size;
	uint32_t entry_version;
} __packed;

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
	uint32_t reserved;
} __packed;

extern char __image_start[], __image_end[];

static struct boot_record mb2_boot_record;
/* GRUB hands the RSDP inside the boot information: keep a copy. */
static uint8_t mb2_rsdp_copy[64] __aligned(16);

static uint32_t mb2_mem_type(uint32_t type)
{
	switch (type) {
	case MB2_MMAP_AVAILABLE: return BOOT_MEM_USABLE;
	case MB2_MMAP_ACPI: return BOOT_MEM_ACPI_RECLAIM;
	case MB2_MMAP_NVS: return BOOT_MEM_ACPI_NVS;
	case MB2_MMAP_BAD: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

static void mb2_parse_mmap(struct boot_record *b, const struct mb2_tag_mmap *t)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->tag.size;

	if (t->entry_size < sizeof(struct mb2_mmap_entry))
		return;
	for (; p + t->entry_size <= end && b->n_mem < BOOT_MAX_MEM_REGIONS;
	     p += t->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		struct boot_mem_region *r = &b->mem[b->n_mem++];

		r->base = e->base;
		r->size = e->length;
		r->type = mb2_mem_type(e->type);
	}
}

static void mb2_add_module(struct boot_record *b, const struct mb2_tag_module *m)
{
	struct boot_file *f;

	if (b->n_files >= BOOT_MAX_FILES || m->mod_end < m->mod_start)
		return;
	f = &b->files[b->n_files++];
	f->base = m->mod_start;
	f->size = m->mod_end - m->mod_start;
	hv_strlcpy(f->name, m->string, sizeof(f->name));
}

static void mb2_copy_rsdp(struct boot_record *b, const struct mb2_tag *t)
{
	size_t len = t->size - sizeof(*t);

	if (len > sizeof(mb2_rsdp_copy))
		len = sizeof(mb2_rsdp_copy);
	memcpy(mb2_rsdp_copy, t + 1, len);
	b->acpi_rsdp = virt_to_phys(mb2_rsdp_copy);
}

/* A free page below 1 MiB for the AP trampoline: the highest one found. */
static paddr_t mb2_pick_trampoline(const struct boot_record *b)
{
	paddr_t best = 0;
	uint32_t i;

	for (i = 0; i < b->n_mem; i++) {
		const struct boot_mem_region *r = &b->mem[i];
		uint64_t lo = MAX(ALIGN_UP(r->base, PAGE_SIZE), 0x1000ull);
		uint64_t hi = MIN(r->base + r->size, 0x9f000ull);

		if (r->type != BOOT_MEM_USABLE || hi < lo + PAGE_SIZE)
			continue;
		hi = ALIGN_DOWN(hi, PAGE_SIZE) - PAGE_SIZE;
		if (hi > best)
			best = hi;
	}
	return best;
}

void mb2_main(uint32_t magic, uint64_t info_pa)
{
	struct boot_record *b = &mb2_boot_record;
	const struct mb2_info *info = phys_to_virt(info_pa);
	const uint8_t *p, *end;
	bool new_acpi = false;

	b->path = BOOT_PATH_MULTIBOOT2;
	b->image_base = virt_to_phys(__image_start);
	b->image_size = (uint64_t)(__image_end - __image_start);
	if (magic != MB2_BOOTLOADER_MAGIC) {
		hv_strlcpy(b->error, "not started by a Multiboot2 loader (bad magic)",
			   sizeof(b->error));
		hv_main(b);
	}

	p = (const uint8_t *)(info + 1);
	end = (const uint8_t *)info + info->total_size;
	while (p + sizeof(struct mb2_tag) <= end) {
		const struct mb2_tag *t = (const void *)p;

		if (t->type == MB2_TAG_END || t->size < sizeof(*t))
			break;
		switch (t->type) {
		case MB2_TAG_CMDLINE:
			hv_strlcpy(b->cmdline, (const char *)(t + 1), sizeof(b->cmdline));
			break;
		case MB2_TAG_MODULE:
			mb2_add_module(b, (const void *)t);
			break;
		case MB2_TAG_MMAP:
			mb2_parse_mmap(b, (const void *)t);
			break;
		case MB2_TAG_ACPI_NEW:
			mb2_copy_rsdp(b, t);
			new_acpi = true;
			break;
		case MB2_TAG_ACPI_OLD:
			if (!new_acpi)
				mb2_copy_rsdp(b, t);
			break;
		}
		p += ALIGN_UP(t->size, 8);
	}
	b->trampoline = mb2_pick_trampoline(b);
	hv_main(b);
}
