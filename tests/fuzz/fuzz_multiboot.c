/*
 * libFuzzer target for the loaders of core/pc/multiboot.c (Multiboot),
 * multiboot2.c (Multiboot2) and pvh_boot.c (PVH), with the ELF loader and
 * placement checks under them: an arbitrary file loaded with modules and a
 * command line into a small guest RAM. Built by tests/fuzz/fuzz.mk;
 * tests/fuzz/run.sh runs it.
 *
 * Input: byte 0 picks the loader (bits 0-1: 0 Multiboot, 1 Multiboot2,
 * 2 PVH, 3 each of the three in turn) and the RAM size (bits 2-7: 2-65
 * MiB); byte 1 the modules (bits 0-3: how many, 0-9; bits 4-7: their
 * sizes in pages, 0 meaning 17 bytes); byte 2 the command line's length
 * (0-255 'a's; 255 means 70000); byte 3 where the ACPI RSDP is (in 4 KiB
 * pages); the rest is the kernel file, copied to a heap buffer of exactly
 * its size. Seeds: the boot-format test kernels (tests/fuzz/corpus/
 * fuzz_multiboot/), each behind these four bytes.
 *
 * Guest RAM is one buffer of 65 MiB whose bytes beyond the RAM size are
 * poisoned for ASan: a write past the guest's RAM is a report. It holds a
 * fill pattern, put back where a load wrote.
 *
 * Invariants, each an abort() with a message:
 *  - the answer is 0, -ENOEXEC, -ENOSPC, -E2BIG or -EINVAL;
 *  - failure: a message "kernel fuzz.img: ..." on one line; RAM (all of
 *    it below 4 MiB, where the loader's area and most kernels sit),
 *    *entry and *info untouched;
 *  - success: no message; the written ranges sorted, disjoint, inside RAM,
 *    the loader's area among them; each module verbatim at a page-aligned
 *    address inside a range; the entry point inside the kernel; the entry
 *    state flat 32-bit protected mode with paging off (CR0 = PE|ET, EFER
 *    0, CR4 0, RFLAGS 0x2), EBX the boot information, EAX the format's
 *    magic (Multiboot, Multiboot2).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>
#include "core/lib/errno.h"
#include "core/pc/multiboot.h"
#include "core/pc/multiboot2.h"
#include "core/pc/pvh_boot.h"

#define RAM_MAX		(65ull << 20)
#define CHECKED_LOW	(4ull << 20)
#define PATTERN		0x5a
#define HDR		4	/* input bytes before the file */
#define MODS_MAX	9

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_multiboot: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static boot_image_load_fn *const loaders[3] = { multiboot_load, multiboot2_load, pvh_boot_load };
static const uint32_t eax_magic[3] = { MULTIBOOT_EAX, MULTIBOOT2_EAX, 0 };

static uint8_t *ram;
static uint8_t mod_data[15 * 4096];
static char cmdline[70001];
static uint8_t pattern[65536];

static bool untouched(const uint8_t *p, size_t n)
{
	for (size_t done = 0; done < n; done += sizeof(pattern)) {
		size_t chunk = n - done < sizeof(pattern) ? n - done : sizeof(pattern);

		if (memcmp(p + done, pattern, chunk))
			return false;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = aligned_alloc(4096, RAM_MAX);
	if (!ram)
		abort();
	memset(ram, PATTERN, RAM_MAX);
	memset(pattern, PATTERN, sizeof(pattern));
	for (size_t i = 0; i < sizeof(mod_data); i++)
		mod_data[i] = (uint8_t)(i * 13 + 1);
	return 0;
}

static bool in_ranges(const struct boot_image_info *info, uint64_t a, uint64_t len)
{
	for (unsigned int i = 0; i < info->nr_ranges; i++)
		if (a >= info->ranges[i].gpa && a + len <= info->ranges[i].gpa + info->ranges[i].len)
			return true;
	return false;
}

static void check_success(unsigned int fmt, uint64_t ram_size, const struct boot_image_cfg *cfg,
			  const struct guest_state *st, const struct boot_image_info *info)
{
	bool area = false;

	FUZZ_ASSERT(info->nr_ranges >= 1 && info->nr_ranges <= BOOT_IMAGE_RANGES_MAX);
	for (unsigned int i = 0; i < info->nr_ranges; i++) {
		const struct boot_range *r = &info->ranges[i];

		FUZZ_ASSERT(r->len && r->gpa + r->len <= ram_size);
		FUZZ_ASSERT(i == 0 || r->gpa >= info->ranges[i - 1].gpa + info->ranges[i - 1].len);
		area |= r->gpa == BOOT_IMAGE_AREA_GPA && r->len == BOOT_IMAGE_AREA_SIZE;
	}
	FUZZ_ASSERT(area);
	FUZZ_ASSERT(info->entry >= info->kernel_start && info->entry < info->kernel_end);
	FUZZ_ASSERT(in_ranges(info, info->entry, 1));
	FUZZ_ASSERT(st->cr0 == (X86_CR0_PE | X86_CR0_ET) && st->efer == 0 && st->cr4 == 0);
	FUZZ_ASSERT(st->regs.rflags == 0x2 && st->regs.rip == info->entry);
	FUZZ_ASSERT(st->regs.gpr[GPR_RBX] == info->boot_info);
	FUZZ_ASSERT(in_ranges(info, info->boot_info, 8));
	if (eax_magic[fmt])
		FUZZ_ASSERT(st->regs.gpr[GPR_RAX] == eax_magic[fmt]);
	FUZZ_ASSERT(st->seg[SEG_CS].base == 0 && st->seg[SEG_CS].limit == 0xffffffffu);
	FUZZ_ASSERT(st->seg[SEG_DS].base == 0 && st->seg[SEG_DS].limit == 0xffffffffu);
}

/* Each module verbatim, page-aligned, one after the other from mods_start. */
static void check_modules(const struct boot_image_cfg *cfg, const struct boot_image_info *info)
{
	uint64_t a = info->mods_start;

	for (unsigned int i = 0; i < cfg->nr_mods; i++) {
		FUZZ_ASSERT(a % 4096 == 0 && in_ranges(info, a, cfg->mods[i].size ? cfg->mods[i].size : 1));
		FUZZ_ASSERT(memcmp(ram + a, cfg->mods[i].data, cfg->mods[i].size) == 0);
		a = (a + (cfg->mods[i].size ? cfg->mods[i].size : 1) + 4095) & ~4095ull;
	}
}

static void run_one(unsigned int fmt, uint64_t ram_size, const struct boot_image_cfg *cfg)
{
	struct boot_image_info info, info0;
	struct guest_state st, st0;
	char err[160];
	int ret;

	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
	st0 = st;
	info0 = info;
	err[0] = '\0';
	ASAN_POISON_MEMORY_REGION(ram + ram_size, RAM_MAX - ram_size);
	ret = loaders[fmt](ram, ram_size, cfg, &st, &info, err, sizeof(err));
	ASAN_UNPOISON_MEMORY_REGION(ram + ram_size, RAM_MAX - ram_size);
	FUZZ_ASSERT(ret == 0 || ret == -ENOEXEC || ret == -ENOSPC || ret == -E2BIG ||
		    ret == -EINVAL);
	if (ret) {
		FUZZ_ASSERT(strncmp(err, "kernel fuzz.img: ", 17) == 0);
		FUZZ_ASSERT(strnlen(err, sizeof(err)) < sizeof(err) && !strchr(err, '\n'));
		FUZZ_ASSERT(memcmp(&st, &st0, sizeof(st)) == 0);
		FUZZ_ASSERT(memcmp(&info, &info0, sizeof(info)) == 0);
		FUZZ_ASSERT(untouched(ram, CHECKED_LOW));
		return;
	}
	FUZZ_ASSERT(err[0] == '\0');
	check_success(fmt, ram_size, cfg, &st, &info);
	check_modules(cfg, &info);
	for (unsigned int i = 0; i < info.nr_ranges; i++)
		memset(ram + info.ranges[i].gpa, PATTERN, info.ranges[i].len);
	FUZZ_ASSERT(untouched(ram, CHECKED_LOW));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t b0 = size ? data[0] : 0, b1 = size > 1 ? data[1] : 0;
	uint64_t ram_size = (2ull + (b0 >> 2)) << 20;
	struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
	struct guest_ram_layout layout = guest_ram_layout_for(ram_size);
	struct boot_module mods[MODS_MAX];
	struct boot_image_cfg cfg;
	size_t file_size = size > HDR ? size - HDR : 0;
	uint8_t *file = malloc(file_size ? file_size : 1);

	if (!file)
		abort();
	memcpy(file, data + (size > HDR ? HDR : size), file_size);
	cfg = (struct boot_image_cfg){
		.kernel = file, .kernel_size = file_size, .kernel_name = "fuzz.img",
		.mods = mods, .nr_mods = (b1 & 0xf) % (MODS_MAX + 1), .e820 = map,
		.acpi_rsdp = size > 3 ? (uint64_t)data[3] << 12 : 0,
	};
	cfg.nr_e820 = linux_boot_e820_for(&layout, map, LINUX_BOOT_E820_PC_MAX);
	for (unsigned int i = 0; i < cfg.nr_mods; i++)
		mods[i] = (struct boot_module){
			mod_data, (b1 >> 4) ? (size_t)(b1 >> 4) * 4096 - i : 17, "mod", "mod arg",
		};
	if (size > 2 && data[2]) {
		size_t n = data[2] == 255 ? sizeof(cmdline) - 1 : data[2];

		memset(cmdline, 'a', n);
		cmdline[n] = '\0';
		cfg.cmdline = cmdline;
	}
	if ((b0 & 3) == 3) {
		for (unsigned int f = 0; f < 3; f++)
			run_one(f, ram_size, &cfg);
	} else {
		run_one(b0 & 3, ram_size, &cfg);
	}
	free(file);
	return 0;
}
