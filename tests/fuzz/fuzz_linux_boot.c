/*
 * libFuzzer target for core/pc/linux_boot.c: an arbitrary file loaded as
 * a bzImage (with an initrd and a command line) into a small guest RAM.
 * Built by tests/fuzz/fuzz.mk; tests/fuzz/run.sh runs it.
 *
 * Input: byte 0 the RAM size (1-40 MiB), byte 1 the initrd size (0: none,
 * else up to 255 pages' worth of bytes), byte 2 the command line's length
 * (0-255 'a's; 255 also means a line of 70000), byte 3 where the ACPI
 * RSDP is (its page number) and, modulo 3, the entry asked for (the
 * default, 32-bit, 64-bit); the rest is the kernel file, copied to a
 * heap buffer of exactly its size. A seed is a bzImage header with a
 * small protected-mode part (tests/fuzz/corpus/fuzz_linux_boot/): of
 * protocol 2.15, relocatable or not, and of 2.06 at 1 MiB, 2.10 at its
 * pref_address, and 2.11 asked for the 64-bit entry it lacks.
 *
 * Guest RAM is one buffer of 40 MiB whose bytes beyond the RAM size are
 * poisoned for ASan: a write past the guest's RAM is a report. It holds a
 * fill pattern; what a load wrote is put back afterwards.
 *
 * Invariants, each an abort() with a message:
 *  - the answer is 0, -ENOEXEC, -ENOSPC, -E2BIG or -EINVAL;
 *  - failure: a non-empty message, and the RAM (the fixed pages, the
 *    page tables, the command line's room), *entry and *info untouched;
 *  - success: no message; the kernel's protected-mode part copied
 *    verbatim at info.kernel_addr, which is page-aligned, at least 1 MiB
 *    and, with the initrd, the init_size area, the zero page and the
 *    command line, inside RAM and not overlapping each other; the initrd
 *    page-aligned and verbatim; the command line NUL-terminated in its
 *    room; a version of at least 2.06; a kernel that is not relocatable
 *    at pref_address (2.10 on) or 1 MiB (before), and before 2.10 an
 *    init_size area three times the protected-mode part (pref_address
 *    and init_size not read); RFLAGS 0x2, CS 0x10, DS 0x18, RSI = the
 *    zero page;
 *  - the 64-bit entry exactly when asked for or by default with 2.12 and
 *    XLF_KERNEL_64, refused when asked for without them; its state:
 *    CR0 = PE|ET|PG, CR4 = PAE, EFER = LME|LMA, a 64-bit CS, RIP = the
 *    load address + 0x200, and the tables at CR3, walked, map the
 *    kernel's area, the zero page, the GDT, the command line and the
 *    initrd one to one; the 32-bit entry's state: CR0 = PE|ET, EFER 0,
 *    paging off, RIP = the load address, no page tables written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>
#include "core/lib/errno.h"
#include "core/pc/linux_boot.h"

#define RAM_MAX		(40ull << 20)
#define PATTERN		0x5a
#define HDR		4	/* input bytes before the file */
#define LOW_START	LINUX_BOOT_GDT_GPA	/* GDT, zero page, page tables */
#define LOW_BYTES	(LINUX_BOOT_PGTABLE_GPA + LINUX_BOOT_PGTABLE_PAGES * 4096 - LOW_START)

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_linux_boot: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static uint8_t *ram;
static uint8_t initrd[255 * 4096];
static char cmdline[70001];

struct span {
	uint64_t addr, size;
};

static uint8_t pattern[65536];

/* The fill pattern throughout p[0 .. n). */
static bool untouched(const uint8_t *p, size_t n)
{
	for (size_t done = 0; done < n; done += sizeof(pattern)) {
		size_t chunk = n - done < sizeof(pattern) ? n - done : sizeof(pattern);

		if (memcmp(p + done, pattern, chunk))
			return false;
	}
	return true;
}

static uint64_t le(const uint8_t *p, size_t off, unsigned int n, size_t size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		if (off + i < size)
			v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static bool overlap(struct span a, struct span b)
{
	return a.size && b.size && a.addr < b.addr + b.size && b.addr < a.addr + a.size;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = aligned_alloc(4096, RAM_MAX);
	if (!ram)
		abort();
	memset(ram, PATTERN, RAM_MAX);
	memset(pattern, PATTERN, sizeof(pattern));
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

/* va through the 4-level tables at cr3 in RAM; ~0 if not mapped. */
static uint64_t walk(uint64_t cr3, uint64_t va, uint64_t ram_size)
{
	uint64_t table = cr3 & ~0xfffull;

	for (int level = 3; level >= 0; level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t e, frame, mask = (1ull << shift) - 1;

		if (table + 4096 > ram_size)
			return ~0ull;
		e = le(ram, table + ((va >> shift) & 511) * 8, 8, ram_size);
		if ((e & 3) != 3)
			return ~0ull;
		frame = e & 0x000ffffffffff000ull;
		if (level == 0 || (level <= 2 && (e & 0x80)))
			return (frame & ~mask) | (va & mask);
		table = frame;
	}
	return ~0ull;
}

static void check_identity(const struct guest_state *st, uint64_t addr, uint64_t len,
			   uint64_t ram_size)
{
	if (!len)
		return;
	FUZZ_ASSERT(walk(st->cr3, addr, ram_size) == addr);
	FUZZ_ASSERT(walk(st->cr3, addr + len - 1, ram_size) == addr + len - 1);
}

/* The entry: which one, and its state. */
static void check_entry(const uint8_t *file, size_t size, uint64_t ram_size,
			const struct linux_boot_cfg *cfg, const struct guest_state *st,
			const struct linux_boot_info *info)
{
	uint64_t version = le(file, 0x206, 2, size);
	bool has_64 = version >= 0x020c && (le(file, 0x236, 2, size) & 1);

	if (cfg->entry == LINUX_BOOT_ENTRY_64)
		FUZZ_ASSERT(has_64);
	FUZZ_ASSERT(info->entry_bits == (cfg->entry != LINUX_BOOT_ENTRY_32 && has_64 ? 64 : 32));
	FUZZ_ASSERT(st->regs.rip == info->entry);
	if (info->entry_bits == 32) {
		FUZZ_ASSERT(st->cr0 == (X86_CR0_PE | X86_CR0_ET) && st->efer == 0 && st->cr4 == 0);
		FUZZ_ASSERT(info->entry == info->kernel_addr && info->page_tables == 0);
		FUZZ_ASSERT(untouched(ram + LINUX_BOOT_PGTABLE_GPA, LINUX_BOOT_PGTABLE_PAGES * 4096));
		return;
	}
	FUZZ_ASSERT(st->cr0 == (X86_CR0_PE | X86_CR0_ET | X86_CR0_PG));
	FUZZ_ASSERT(st->cr4 == X86_CR4_PAE && st->efer == (EFER_LME | EFER_LMA));
	FUZZ_ASSERT(st->cr3 == LINUX_BOOT_PGTABLE_GPA && info->page_tables == st->cr3);
	FUZZ_ASSERT(st->seg[SEG_CS].attr & SEG_ATTR_L);
	FUZZ_ASSERT(info->entry == info->kernel_addr + 0x200);
	check_identity(st, info->kernel_addr, info->kernel_end - info->kernel_addr, ram_size);
	check_identity(st, LINUX_BOOT_GDT_GPA, 4096, ram_size);
	check_identity(st, info->boot_params, 4096, ram_size);
	check_identity(st, info->cmdline, LINUX_BOOT_CMDLINE_ROOM, ram_size);
	check_identity(st, info->initrd_addr, info->initrd_size, ram_size);
}

static void check_success(const uint8_t *file, size_t size, uint64_t ram_size,
			  const struct linux_boot_cfg *cfg, const struct guest_state *st,
			  const struct linux_boot_info *info)
{
	uint64_t setup = (le(file, 0x1f1, 1, size) ? le(file, 0x1f1, 1, size) : 4) + 1;
	struct span kernel = { info->kernel_addr, info->kernel_end - info->kernel_addr };
	struct span rd = { info->initrd_addr, info->initrd_size };
	struct span zp = { LINUX_BOOT_PARAMS_GPA, 4096 };
	struct span cl = { info->cmdline, LINUX_BOOT_CMDLINE_ROOM };
	struct span gdt = { LINUX_BOOT_GDT_GPA, 4096 };
	size_t cmd_len = cfg->cmdline ? strlen(cfg->cmdline) : 0;

	setup *= 512;
	FUZZ_ASSERT(info->protocol >= 0x0206 && info->protocol == le(file, 0x206, 2, size));
	if (!le(file, 0x234, 1, size))
		FUZZ_ASSERT(info->kernel_addr ==
			    (info->protocol >= 0x020a ? le(file, 0x258, 8, size) : 0x100000));
	if (info->protocol < 0x020a)
		FUZZ_ASSERT(info->kernel_end - info->kernel_addr ==
			    3 * ((info->kernel_size + 4095) & ~4095ull));
	FUZZ_ASSERT(info->kernel_addr % 4096 == 0 && info->kernel_addr >= 0x100000);
	FUZZ_ASSERT(info->kernel_end >= info->kernel_addr + info->kernel_size);
	FUZZ_ASSERT(info->kernel_end <= ram_size);
	FUZZ_ASSERT(setup + info->kernel_size == size);
	FUZZ_ASSERT(memcmp(ram + info->kernel_addr, file + setup, info->kernel_size) == 0);
	if (cfg->initrd) {
		FUZZ_ASSERT(rd.size == cfg->initrd_size && rd.addr % 4096 == 0);
		FUZZ_ASSERT(rd.addr + rd.size <= ram_size && rd.addr + rd.size <= 1ull << 32);
		FUZZ_ASSERT(memcmp(ram + rd.addr, cfg->initrd, rd.size) == 0);
	} else {
		FUZZ_ASSERT(rd.addr == 0 && rd.size == 0);
	}
	FUZZ_ASSERT(info->boot_params == LINUX_BOOT_PARAMS_GPA);
	FUZZ_ASSERT(info->cmdline == LINUX_BOOT_CMDLINE_GPA);
	FUZZ_ASSERT(cmd_len < LINUX_BOOT_CMDLINE_ROOM);
	FUZZ_ASSERT(ram[info->cmdline + cmd_len] == 0);
	FUZZ_ASSERT(cmd_len == 0 || memcmp(ram + info->cmdline, cfg->cmdline, cmd_len) == 0);
	FUZZ_ASSERT(!overlap(kernel, rd) && !overlap(kernel, zp) && !overlap(kernel, cl) &&
		    !overlap(kernel, gdt) && !overlap(rd, zp) && !overlap(rd, cl) &&
		    !overlap(rd, gdt));
	FUZZ_ASSERT(st->regs.rflags == 0x2);
	FUZZ_ASSERT(st->regs.gpr[GPR_RSI] == LINUX_BOOT_PARAMS_GPA);
	FUZZ_ASSERT(st->seg[SEG_CS].selector == LINUX_BOOT_CS);
	FUZZ_ASSERT(st->seg[SEG_DS].selector == LINUX_BOOT_DS &&
		    st->seg[SEG_SS].selector == LINUX_BOOT_DS);
	FUZZ_ASSERT(st->idtr.limit == 0);
	check_entry(file, size, ram_size, cfg, st, info);
}

/* Puts the pattern back where a successful load wrote. */
static void restore(const struct linux_boot_info *info, uint64_t ram_size)
{
	memset(ram + LOW_START, PATTERN, LOW_BYTES);
	memset(ram + LINUX_BOOT_CMDLINE_GPA, PATTERN, LINUX_BOOT_CMDLINE_ROOM);
	memset(ram + info->kernel_addr, PATTERN, info->kernel_end - info->kernel_addr);
	if (info->initrd_size)
		memset(ram + info->initrd_addr, PATTERN, info->initrd_size);
	FUZZ_ASSERT(ram_size > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t ram_size = (1 + (size ? data[0] : 15) % 40) << 20;
	struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
	struct guest_ram_layout layout = guest_ram_layout_for(ram_size);
	struct linux_boot_cfg cfg;
	struct linux_boot_info info, info0;
	struct guest_state st, st0;
	size_t file_size = size > HDR ? size - HDR : 0;
	uint8_t *file = malloc(file_size ? file_size : 1);
	char err[128];
	int ret;

	if (!file)
		abort();
	memcpy(file, data + (size > HDR ? HDR : size), file_size);
	cfg = (struct linux_boot_cfg){
		.kernel = file, .kernel_size = file_size, .kernel_name = "vmlinuz",
		.initrd_name = "initrd", .e820 = map,
		.acpi_rsdp = size > 3 ? (uint64_t)data[3] << 12 : 0,
		.entry = size > 3 ? (enum linux_boot_entry)(data[3] % 3) : LINUX_BOOT_ENTRY_DEFAULT,
	};
	cfg.nr_e820 = linux_boot_e820_for(&layout, map, LINUX_BOOT_E820_PC_MAX);
	if (size > 1 && data[1]) {
		cfg.initrd = initrd;
		cfg.initrd_size = (size_t)data[1] * 4096 - (data[1] & 0xf) * 17;
	}
	if (size > 2 && data[2]) {
		size_t n = data[2] == 255 ? sizeof(cmdline) - 1 : data[2];

		memset(cmdline, 'a', n);
		cmdline[n] = '\0';
		cfg.cmdline = cmdline;
	}
	ASAN_POISON_MEMORY_REGION(ram + ram_size, RAM_MAX - ram_size);
	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
	st0 = st;
	info0 = info;
	err[0] = '\0';
	ret = linux_boot_load(ram, ram_size, &cfg, &st, &info, err, sizeof(err));
	ASAN_UNPOISON_MEMORY_REGION(ram + ram_size, RAM_MAX - ram_size);
	FUZZ_ASSERT(ret == 0 || ret == -ENOEXEC || ret == -ENOSPC || ret == -E2BIG ||
		    ret == -EINVAL);
	if (ret) {
		FUZZ_ASSERT(err[0] != '\0' && strnlen(err, sizeof(err)) < sizeof(err));
		FUZZ_ASSERT(memcmp(&st, &st0, sizeof(st)) == 0);
		FUZZ_ASSERT(memcmp(&info, &info0, sizeof(info)) == 0);
		FUZZ_ASSERT(untouched(ram + LOW_START, LOW_BYTES));
		FUZZ_ASSERT(untouched(ram + LINUX_BOOT_CMDLINE_GPA, LINUX_BOOT_CMDLINE_ROOM));
		FUZZ_ASSERT(untouched(ram + 0x100000, 0x100000));
	} else {
		FUZZ_ASSERT(err[0] == '\0');
		check_success(file, file_size, ram_size, &cfg, &st, &info);
		restore(&info, ram_size);
	}
	free(file);
	return 0;
}
