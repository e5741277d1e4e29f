/*
 * Hosted test of core/pc/multiboot.c (Multiboot version 1) with the ELF
 * loader (core/pc/elf_load.c) and the placement checks
 * (core/pc/boot_image.c) under it.
 *
 * Scenario: synthetic kernels built here (an ELF32 and an ELF64 file
 * with a higher-half segment and a bss, an a.out-kludge file), loaded
 * with two modules into a heap buffer standing for a 64 MiB guest's RAM
 * (filled with a pattern, so zeroed bss shows), with the PC e820 map.
 * The information structure, memory map, module list and strings are
 * read back at the offsets the specification gives, the GDT as raw
 * descriptor bytes, the entry state register by register. Each bad image
 * must give its message and leave RAM, the entry state and the info as
 * they were. Single thread.
 */
#include "core/lib/errno.h"
#include "core/pc/multiboot.h"
#include "tests/host/check.h"
#include "tests/host/test_boot_image.h"

#define RAM_SIZE	(64u << 20)
#define MBH_OFF		0x200		/* the Multiboot header in the ELF files */
#define MOD0_SIZE	5000u
#define MOD1_SIZE	0x1000u

static uint8_t *ram, *snap;
static uint8_t mod0[MOD0_SIZE], mod1[MOD1_SIZE];
static struct boot_module mods[2];
static struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
static struct boot_image_cfg cfg;
static struct guest_state st;
static struct boot_image_info info;
static char err[256];

/* A Multiboot header at off: magic, flags, checksum. */
static void put_mb_header(size_t off, uint32_t flags)
{
	put(file, off, 4, MULTIBOOT_MAGIC);
	put(file, off + 4, 4, flags);
	put(file, off + 8, 4, (uint32_t)-(MULTIBOOT_MAGIC + flags));
}

/* The ELF file of test_boot_image.h with a Multiboot header. */
static void make_elf(unsigned int bits, uint32_t mb_flags)
{
	make_elf_file(bits);
	put_mb_header(MBH_OFF, mb_flags);
}

/* The a.out kludge: text 0x1800 bytes at 1 MiB (header at 0x40), bss to 0x104000. */
#define AOUT_LOAD	0x100000u
#define AOUT_TEXT	0x1800u
#define AOUT_BSS_END	0x104000u
#define AOUT_ENTRY	0x100100u
static void make_aout(void)
{
	memset(file, 0, sizeof(file));
	fill_random(file, 0x2000, 9);
	put_mb_header(0x40, 0x10003);
	put(file, 0x40 + 12, 4, AOUT_LOAD + 0x40);	/* header_addr */
	put(file, 0x40 + 16, 4, AOUT_LOAD);		/* load_addr */
	put(file, 0x40 + 20, 4, AOUT_LOAD + AOUT_TEXT);	/* load_end_addr */
	put(file, 0x40 + 24, 4, AOUT_BSS_END);		/* bss_end_addr */
	put(file, 0x40 + 28, 4, AOUT_ENTRY);		/* entry_addr */
	file_size = 0x2000;
}

static void setup(void)
{
	struct guest_ram_layout l = guest_ram_layout_for(RAM_SIZE);

	memset(ram, 0x5a, RAM_SIZE);
	fill_random(mod0, sizeof(mod0), 3);
	fill_random(mod1, sizeof(mod1), 4);
	mods[0] = (struct boot_module){ mod0, sizeof(mod0), "initrd.img", "initrd.img" };
	mods[1] = (struct boot_module){ mod1, sizeof(mod1), "extra.bin", "extra.bin arg=1 two" };
	cfg = (struct boot_image_cfg){
		.kernel = file, .kernel_size = file_size, .kernel_name = "kernel.elf",
		.mods = mods, .nr_mods = 2, .cmdline = "console=ttyS0 verbose",
		.e820 = map,
	};
	cfg.nr_e820 = linux_boot_e820_for(&l, map, LINUX_BOOT_E820_PC_MAX);
	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
	err[0] = '\0';
}

static int load(void)
{
	cfg.kernel_size = file_size;
	return multiboot_load(ram, RAM_SIZE, &cfg, &st, &info, err, sizeof(err));
}

static const char *str_at(uint64_t gpa)
{
	return (const char *)ram + gpa;
}

/* The information structure, memory map, modules and strings the spec describes. */
static void check_info(uint32_t want_flags, uint64_t mods_at)
{
	const uint8_t *mbi = ram + MULTIBOOT_INFO_GPA;
	uint64_t mmap = get(mbi, 48, 4), ml = get(mbi, 24, 4);

	CHECK_EQ(get(mbi, 0, 4), want_flags);
	CHECK_EQ(get(mbi, 4, 4), 639);				/* 0x9fc00 / 1024 */
	CHECK_EQ(get(mbi, 8, 4), (RAM_SIZE - 0x100000) / 1024);
	CHECK_EQ(get(mbi, 12, 4), 0);				/* no boot_device */
	CHECK_STR(str_at(get(mbi, 16, 4)), "kernel.elf console=ttyS0 verbose");
	CHECK_EQ(get(mbi, 20, 4), 2);
	CHECK_STR(str_at(get(mbi, 64, 4)), "hv");
	/* Modules: page-aligned after the kernel, strings as given. */
	CHECK_EQ(get(ram, ml, 4), mods_at);
	CHECK_EQ(get(ram, ml + 4, 4), mods_at + MOD0_SIZE);
	CHECK_STR(str_at(get(ram, ml + 8, 4)), "initrd.img");
	CHECK_EQ(get(ram, ml + 12, 4), 0);
	CHECK_EQ(get(ram, ml + 16, 4), mods_at + 0x2000);
	CHECK_EQ(get(ram, ml + 20, 4), mods_at + 0x2000 + MOD1_SIZE);
	CHECK_STR(str_at(get(ram, ml + 24, 4)), "extra.bin arg=1 two");
	CHECK(memcmp(ram + mods_at, mod0, MOD0_SIZE) == 0);
	CHECK(memcmp(ram + mods_at + 0x2000, mod1, MOD1_SIZE) == 0);
	/* Memory map: the PC's six entries for 64 MiB, 24 bytes each, size 20. */
	CHECK_EQ(get(mbi, 44, 4), 6 * 24);
	for (unsigned int i = 0; i < 6; i++) {
		CHECK_EQ(get(ram, mmap + i * 24, 4), 20);
		CHECK_EQ(get(ram, mmap + i * 24 + 4, 8), map[i].addr);
		CHECK_EQ(get(ram, mmap + i * 24 + 12, 8), map[i].size);
		CHECK_EQ(get(ram, mmap + i * 24 + 20, 4), map[i].type);
	}
	CHECK_EQ(get(ram, mmap + 3 * 24 + 4, 8), 0x100000);
	CHECK_EQ(get(ram, mmap + 3 * 24 + 12, 8), RAM_SIZE - 0x100000);
}

/* Flat 32-bit protected mode, paging off, EAX and EBX as section 3.2 says. */
static void check_entry(uint64_t rip)
{
	CHECK_EQ(st.regs.gpr[GPR_RAX], 0x2badb002);
	CHECK_EQ(st.regs.gpr[GPR_RBX], MULTIBOOT_INFO_GPA);
	for (unsigned int r = 0; r < GPR_COUNT; r++)
		if (r != GPR_RAX && r != GPR_RBX)
			CHECK_EQ(st.regs.gpr[r], 0);
	CHECK_EQ(st.regs.rip, rip);
	CHECK_EQ(st.regs.rflags, 0x2);
	CHECK_EQ(st.cr0, 0x11);				/* PE | ET, PG clear */
	CHECK_EQ(st.cr4, 0);
	CHECK_EQ(st.efer, 0);
	CHECK_EQ(st.seg[SEG_CS].selector, 0x08);
	CHECK_EQ(st.seg[SEG_CS].attr, 0xc9b);		/* G D P S, execute/read */
	for (unsigned int s = SEG_ES; s <= SEG_GS; s++) {
		CHECK_EQ(st.seg[s].base, 0);
		CHECK_EQ(st.seg[s].limit, 0xffffffffu);
		if (s != SEG_CS) {
			CHECK_EQ(st.seg[s].selector, 0x10);
			CHECK_EQ(st.seg[s].attr, 0xc93);	/* G D P S, read/write */
		}
	}
	CHECK_EQ(st.gdtr.base, 0x10000);
	CHECK_EQ(st.gdtr.limit, 0x17);
	CHECK_EQ(get(ram, 0x10000, 8), 0);
	CHECK_EQ(get(ram, 0x10008, 8), 0x00cf9b000000ffffull);
	CHECK_EQ(get(ram, 0x10010, 8), 0x00cf93000000ffffull);
	CHECK_EQ(st.idtr.limit, 0);
}

static void check_elf(unsigned int bits)
{
	make_elf(bits, 0x3);
	setup();
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, bits == 32 ? "Multiboot ELF32" : "Multiboot ELF64");
	/* Segments by p_paddr: filesz copied, the rest of memsz zeroed. */
	CHECK(memcmp(ram + SEG0_PADDR, file + SEG0_OFF, SEG0_FILESZ) == 0);
	for (uint32_t i = SEG0_FILESZ; i < SEG0_MEMSZ; i++)
		if (ram[SEG0_PADDR + i] != 0) {
			CHECK_EQ(ram[SEG0_PADDR + i], 0);
			break;
		}
	CHECK_EQ(ram[SEG0_PADDR + SEG0_MEMSZ], 0x5a);
	CHECK(memcmp(ram + SEG1_PADDR, file + SEG1_OFF, SEG1_SIZE) == 0);
	CHECK_EQ(ram[SEG1_PADDR + SEG1_SIZE], 0x5a);
	CHECK_EQ(ram[SEG0_PADDR - 1], 0x5a);
	check_info(0x24d, 0x201000);
	check_entry(SEG1_PADDR + ENTRY_OFF);
	CHECK_EQ(info.entry, SEG1_PADDR + ENTRY_OFF);
	CHECK_EQ(info.kernel_start, SEG0_PADDR);
	CHECK_EQ(info.kernel_end, SEG1_PADDR + SEG1_SIZE);
	CHECK_EQ(info.mods_start, 0x201000);
	CHECK_EQ(info.mods_end, 0x203000 + MOD1_SIZE);
	/* Written ranges, sorted: the area, two segments, two modules. */
	CHECK_EQ(info.nr_ranges, 5);
	CHECK_EQ(info.ranges[0].gpa, 0x10000);
	CHECK_EQ(info.ranges[0].len, 0x10000);
	CHECK_EQ(info.ranges[1].gpa, SEG0_PADDR);
	CHECK_EQ(info.ranges[1].len, SEG0_MEMSZ);
	CHECK_EQ(info.ranges[2].gpa, SEG1_PADDR);
	CHECK_EQ(info.ranges[4].gpa, 0x203000);
	CHECK_EQ(info.ranges[4].len, MOD1_SIZE);
}

static void test_elf32(void)
{
	check_elf(32);
}

static void test_elf64(void)
{
	check_elf(64);
}

static void test_aout_kludge(void)
{
	make_aout();
	setup();
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, "Multiboot a.out kludge");
	CHECK(memcmp(ram + AOUT_LOAD, file, AOUT_TEXT) == 0);
	for (uint32_t a = AOUT_LOAD + AOUT_TEXT; a < AOUT_BSS_END; a++)
		if (ram[a] != 0) {
			CHECK_EQ(ram[a], 0);
			break;
		}
	check_info(0x24d, AOUT_BSS_END);	/* the modules follow the bss */
	check_entry(AOUT_ENTRY);
	CHECK_EQ(info.kernel_end, AOUT_BSS_END);
}

/* load_end_addr 0: to the end of the file; bss_end_addr 0: no bss; no modules. */
static void test_aout_defaults(void)
{
	make_aout();
	put(file, 0x40 + 20, 4, 0);
	put(file, 0x40 + 24, 4, 0);
	setup();
	cfg.nr_mods = 0;
	cfg.cmdline = "";
	CHECK_EQ(load(), 0);
	CHECK(memcmp(ram + AOUT_LOAD, file, 0x2000) == 0);
	CHECK_EQ(ram[AOUT_LOAD + 0x2000], 0x5a);
	CHECK_EQ(get(ram, MULTIBOOT_INFO_GPA + 20, 4), 0);
	CHECK_STR(str_at(get(ram, MULTIBOOT_INFO_GPA + 16, 4)), "kernel.elf");
	CHECK_EQ(info.mods_start, 0);
}

/* EGA text is met (information flag 12); optional bits 17-31 are ignored. */
static void test_ega_text_and_optional_bits(void)
{
	const uint8_t *mbi;

	make_elf(32, 0x80000007);
	put(file, MBH_OFF + 32, 4, 1);		/* mode_type: EGA text */
	put(file, MBH_OFF + 36, 4, 80);
	put(file, MBH_OFF + 40, 4, 25);
	setup();
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	mbi = ram + MULTIBOOT_INFO_GPA;
	CHECK_EQ(get(mbi, 0, 4), 0x124d);
	CHECK_EQ(get(mbi, 88, 8), 0xb8000);
	CHECK_EQ(get(mbi, 96, 4), 160);
	CHECK_EQ(get(mbi, 100, 4), 80);
	CHECK_EQ(get(mbi, 104, 4), 25);
	CHECK_EQ(mbi[108], 16);
	CHECK_EQ(mbi[109], 2);
}

/* The load must fail with a message containing want and change nothing. */
static void expect_refused(int want_ret, const char *want)
{
	struct guest_state st0;
	struct boot_image_info info0;
	int ret;

	memcpy(snap, ram, RAM_SIZE);
	st0 = st;
	info0 = info;
	ret = load();
	CHECK_EQ(ret, want_ret);
	if (!strstr(err, want)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, want);
		check_case_failed = 1;
	}
	CHECK(strchr(err, '\n') == NULL);
	CHECK(memcmp(ram, snap, RAM_SIZE) == 0);
	CHECK(memcmp(&st, &st0, sizeof(st)) == 0);
	CHECK(memcmp(&info, &info0, sizeof(info)) == 0);
}

static void test_bad_headers(void)
{
	uint8_t m[8];

	make_elf(32, 0x3);
	setup();
	put(file, MBH_OFF + 8, 4, 0x12345678);
	expect_refused(-ENOEXEC, "kernel kernel.elf: Multiboot header at 0x200: checksum 0x12345678");
	/* Magic and flags only: the header is cut. */
	memcpy(m, file + MBH_OFF, 8);
	memcpy(file, m, 8);
	file_size = 8;
	expect_refused(-ENOEXEC, "truncated: the Multiboot header at 0x0 needs 12 bytes, the file has 8");
	/* The magic past the first 8 KiB, or misaligned, is no header. */
	make_elf(32, 0x3);
	memset(file + MBH_OFF, 0, 12);
	put_mb_header(0x2000, 0x3);
	file_size = 0x2010;
	expect_refused(-ENOEXEC, "no Multiboot header (magic 0x1badb002) in the first 8192 bytes");
	make_elf(32, 0x3);
	memset(file + MBH_OFF, 0, 12);
	put_mb_header(0x202, 0x3);
	expect_refused(-ENOEXEC, "no Multiboot header");
	/* Requirement bits: unknown ones by number, graphics by name. */
	make_elf(32, 0x23);
	expect_refused(-ENOEXEC, "flags 0x00000023: requirement bit 5 is not known");
	make_elf(32, 0x8000);
	expect_refused(-ENOEXEC, "requirement bit 15");
	make_elf(32, 0x4);
	put(file, MBH_OFF + 36, 4, 1024);
	put(file, MBH_OFF + 40, 4, 768);
	put(file, MBH_OFF + 44, 4, 32);
	expect_refused(-ENOEXEC, "graphics mode (mode_type 0, 1024x768x32): the virtual PC has only EGA text");
	make_elf(32, 0x4);
	put(file, MBH_OFF + 32, 4, 7);
	expect_refused(-ENOEXEC, "mode_type 7");
	/* The video fields cut off by the file's end. */
	make_aout();
	put_mb_header(0x40, 0x10004);
	file_size = 0x40 + 40;
	expect_refused(-ENOEXEC, "needs 48 bytes, the file has 40 after it");
}

static void test_bad_elf(void)
{
	make_elf(32, 0x3);
	setup();
	file[0] = 'X';
	expect_refused(-ENOEXEC, "kernel kernel.elf: not an ELF file");
	make_elf(32, 0x3);
	put(file, 0x12, 2, 62);
	expect_refused(-ENOEXEC, "ELF32 e_machine 62 is not EM_386 (3)");
	make_elf(64, 0x3);
	put(file, 0x10, 2, 3);
	expect_refused(-ENOEXEC, "e_type 3 is not ET_EXEC");
	make_elf(32, 0x3);
	put(file, 0x2c, 2, 400);
	expect_refused(-ENOEXEC, "ELF program headers (e_phoff 0x34, 400 of 32 bytes) are beyond the file");
	make_elf(32, 0x3);
	put_phdr(32, 2, 1, SEG1_OFF, SEG1_VADDR, SEG1_PADDR, SEG1_SIZE + 1, SEG1_SIZE);
	expect_refused(-ENOEXEC, "ELF segment 2: p_filesz 0x801 exceeds p_memsz 0x800");
	make_elf(64, 0x3);
	put_phdr(64, 2, 1, SEG1_OFF, SEG1_VADDR, SEG1_PADDR, 0x10000, 0x10000);
	expect_refused(-ENOEXEC, "ELF segment 2: p_offset 0x2000 + p_filesz 0x10000 is beyond the file's 12352 bytes");
	make_elf(64, 0x3);
	put_phdr(64, 2, 1, SEG1_OFF, SEG1_VADDR, 0xfffff000ull, SEG1_SIZE, 0x2000);
	expect_refused(-ENOEXEC, "reaches above 4 GiB");
	make_elf(32, 0x3);
	put(file, 0x18, 4, 0x400000);
	expect_refused(-ENOEXEC, "ELF e_entry 0x400000 is in no PT_LOAD segment");
}

/* Segments outside RAM, over each other, the loader's area or reserved memory. */
static void test_bad_placement(void)
{
	static const struct { uint32_t paddr, size; const char *msg; } bad[] = {
		{ 0x101000, 0x800, "ELF segment 1 0x101000-0x101800 overlaps ELF segment 0 0x100000-0x103000" },
		{ 0x3fff000, 0x2000, "ELF segment 1 0x3fff000-0x4001000 is outside the guest's 64 MiB of RAM" },
		{ 0x18000, 0x800, "ELF segment 1 0x18000-0x18800 overlaps the loader's area (boot information) 0x10000-0x20000" },
		{ 0xe8000, 0x800, "overlaps the ACPI tables and BIOS area (0xe0000-0x100000)" },
		{ 0x9f000, 0x1000, "ELF segment 1 0x9f000-0xa0000 overlaps the EBDA (0x9fc00-0xa0000)" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		make_elf(32, 0x3);
		put_phdr(32, 2, 1, SEG1_OFF, bad[i].paddr, bad[i].paddr, SEG1_SIZE, bad[i].size);
		put(file, 0x18, 4, bad[i].paddr);
		setup();
		expect_refused(-ENOSPC, bad[i].msg);
	}
	/* The a.out kludge's fields. */
	make_aout();
	setup();
	put(file, 0x40 + 16, 4, AOUT_LOAD + 0x80);
	expect_refused(-ENOEXEC, "Multiboot load_addr 0x100080: not at most header_addr 0x100040");
	make_aout();
	put(file, 0x40 + 20, 4, AOUT_LOAD + 0x3000);
	expect_refused(-ENOEXEC, "Multiboot load_end_addr 0x103000: not above load_addr 0x100000 or past the file's end (0x102000)");
	make_aout();
	put(file, 0x40 + 24, 4, AOUT_LOAD + 0x1000);
	expect_refused(-ENOEXEC, "Multiboot bss_end_addr 0x101000 is below the loaded text's end 0x101800");
	make_aout();
	put(file, 0x40 + 28, 4, AOUT_LOAD + AOUT_TEXT);
	expect_refused(-ENOEXEC, "Multiboot entry_addr 0x101800 is outside the loaded text");
	make_aout();
	put(file, 0x40 + 12, 4, 0xe0040);
	put(file, 0x40 + 16, 4, 0xe0000);
	put(file, 0x40 + 20, 4, 0);
	put(file, 0x40 + 24, 4, 0);
	put(file, 0x40 + 28, 4, 0xe0100);
	expect_refused(-ENOSPC, "the image the header's addresses give 0xe0000-0xe2000 overlaps the ACPI tables");
}

static void test_bad_modules_and_map(void)
{
	static uint8_t big[1];

	make_elf(32, 0x3);
	setup();
	mods[1] = (struct boot_module){ big, RAM_SIZE - 0x200000, "huge.bin", "huge.bin" };
	expect_refused(-ENOSPC, "module huge.bin (65011712 bytes) does not fit at 0x203000 in the guest's 64 MiB of RAM");
	setup();
	cfg.nr_e820 = 0;
	expect_refused(-EINVAL, "e820: 0 entries");
	setup();
	map[2] = map[1];
	expect_refused(-EINVAL, "e820: entry 2");
	setup();
	cfg.nr_mods = BOOT_IMAGE_MODULES_MAX + 1;
	expect_refused(-E2BIG, "9 modules, at most 8");
}

static void test_strings_too_long(void)
{
	static char longline[0x10000];

	make_elf(32, 0x3);
	setup();
	memset(longline, 'x', sizeof(longline) - 1);
	cfg.cmdline = longline;
	expect_refused(-E2BIG, "the command line and module strings need at least");
}

int main(void)
{
	ram = malloc(RAM_SIZE);
	snap = malloc(RAM_SIZE);
	if (!ram || !snap)
		return 2;
	RUN(test_elf32);
	RUN(test_elf64);
	RUN(test_aout_kludge);
	RUN(test_aout_defaults);
	RUN(test_ega_text_and_optional_bits);
	RUN(test_bad_headers);
	RUN(test_bad_elf);
	RUN(test_bad_placement);
	RUN(test_bad_modules_and_map);
	RUN(test_strings_too_long);
	free(snap);
	free(ram);
	return check_done();
}
