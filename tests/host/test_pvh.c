/*
 * Hosted test of core/pc/pvh_boot.c (the PVH boot ABI) over the ELF
 * loader and the placement checks.
 *
 * Scenario: the synthetic ELF kernels of test_boot_image.h with notes in
 * their PT_NOTE segment (a GNU note first, then Xen's PHYS32_ENTRY),
 * loaded with two modules into a 64 MiB buffer standing for guest RAM.
 * struct hvm_start_info, the module list and the memory map are read back
 * at the offsets of Xen's start_info.h; the entry state register by
 * register as pvh.pandoc states it. Each refused image must give its
 * message and leave RAM, the entry state and the info as they were.
 * Single thread.
 */
#include "core/lib/errno.h"
#include "core/pc/pvh_boot.h"
#include "tests/host/check.h"
#include "tests/host/test_boot_image.h"

#define RAM_SIZE	(64u << 20)
#define MOD0_SIZE	4097u
#define MOD1_SIZE	0x800u
#define PVH_ENTRY	(SEG0_PADDR + 0x20)

static uint8_t *ram, *snap;
static uint8_t mod0[MOD0_SIZE], mod1[MOD1_SIZE];
static struct boot_module mods[2];
static struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
static struct boot_image_cfg cfg;
static struct guest_state st;
static struct boot_image_info info;
static char err[256];

/* A note at off: namesz, descsz, type, name padded to 4, desc; returns its end. */
static size_t put_note(size_t off, const char *name, uint32_t type, unsigned int descsz,
		       uint64_t desc)
{
	size_t namesz = strlen(name) + 1;

	put(file, off, 4, namesz);
	put(file, off + 4, 4, descsz);
	put(file, off + 8, 4, type);
	memcpy(file + off + 12, name, namesz);
	off += 12 + ((namesz + 3) & ~3u);
	put(file, off, descsz, desc);
	return off + ((descsz + 3) & ~3u);
}

/* The ELF file with a GNU note, then the PVH entry note (desc bytes). */
static void make_pvh(unsigned int bits, unsigned int descsz, uint64_t entry)
{
	size_t at;

	make_elf_file(bits);
	at = put_note(NOTE_OFF, "GNU", 3, 4, 0x12345678);
	put_note(at, "Xen", 18, descsz, entry);
}

static void setup(void)
{
	struct guest_ram_layout l = guest_ram_layout_for(RAM_SIZE);

	memset(ram, 0x5a, RAM_SIZE);
	fill_random(mod0, sizeof(mod0), 3);
	fill_random(mod1, sizeof(mod1), 4);
	mods[0] = (struct boot_module){ mod0, sizeof(mod0), "initrd.img", "initrd.img" };
	mods[1] = (struct boot_module){ mod1, sizeof(mod1), "extra.bin", "extra.bin y=2" };
	cfg = (struct boot_image_cfg){
		.kernel = file, .kernel_size = file_size, .kernel_name = "vmlinux",
		.mods = mods, .nr_mods = 2, .cmdline = "console=ttyS0 earlyprintk=serial",
		.e820 = map, .acpi_rsdp = 0xe0000,
	};
	cfg.nr_e820 = linux_boot_e820_for(&l, map, LINUX_BOOT_E820_PC_MAX);
	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
	err[0] = '\0';
}

static int load(void)
{
	cfg.kernel_size = file_size;
	return pvh_boot_load(ram, RAM_SIZE, &cfg, &st, &info, err, sizeof(err));
}

static void check_start_info(void)
{
	const uint8_t *si = ram + PVH_START_INFO_GPA;
	uint64_t ml = get(si, 16, 8), mm = get(si, 40, 8);

	CHECK_EQ(get(si, 0, 4), 0x336ec578);
	CHECK_EQ(get(si, 4, 4), 1);
	CHECK_EQ(get(si, 8, 4), 0);
	CHECK_EQ(get(si, 12, 4), 2);
	CHECK_STR((char *)ram + get(si, 24, 8), "console=ttyS0 earlyprintk=serial");
	CHECK_EQ(get(si, 32, 8), 0xe0000);
	CHECK_EQ(get(si, 48, 4), 6);
	CHECK_EQ(get(si, 52, 4), 0);
	/* Modules: page-aligned after the kernel (it ends at 0x200800). */
	CHECK_EQ(get(ram, ml, 8), 0x201000);
	CHECK_EQ(get(ram, ml + 8, 8), MOD0_SIZE);
	CHECK_STR((char *)ram + get(ram, ml + 16, 8), "initrd.img");
	CHECK_EQ(get(ram, ml + 24, 8), 0);
	CHECK_EQ(get(ram, ml + 32, 8), 0x203000);
	CHECK_EQ(get(ram, ml + 40, 8), MOD1_SIZE);
	CHECK_STR((char *)ram + get(ram, ml + 48, 8), "extra.bin y=2");
	CHECK(memcmp(ram + 0x201000, mod0, MOD0_SIZE) == 0);
	CHECK(memcmp(ram + 0x203000, mod1, MOD1_SIZE) == 0);
	for (unsigned int i = 0; i < 6; i++) {
		CHECK_EQ(get(ram, mm + i * 24, 8), map[i].addr);
		CHECK_EQ(get(ram, mm + i * 24 + 8, 8), map[i].size);
		CHECK_EQ(get(ram, mm + i * 24 + 16, 4), map[i].type);
		CHECK_EQ(get(ram, mm + i * 24 + 20, 4), 0);
	}
}

static void check_entry(void)
{
	CHECK_EQ(st.regs.gpr[GPR_RBX], PVH_START_INFO_GPA);
	for (unsigned int r = 0; r < GPR_COUNT; r++)
		if (r != GPR_RBX)
			CHECK_EQ(st.regs.gpr[r], 0);
	CHECK_EQ(st.regs.rip, PVH_ENTRY);
	CHECK_EQ(st.regs.rflags, 0x2);
	CHECK_EQ(st.cr0, 0x11);
	CHECK_EQ(st.cr4, 0);
	CHECK_EQ(st.efer, 0);
	CHECK_EQ(st.seg[SEG_CS].attr, 0xc9b);
	CHECK_EQ(st.seg[SEG_CS].base, 0);
	CHECK_EQ(st.seg[SEG_CS].limit, 0xffffffffu);
	CHECK_EQ(st.seg[SEG_DS].attr, 0xc93);
	CHECK_EQ(st.seg[SEG_ES].attr, 0xc93);
	CHECK_EQ(st.seg[SEG_SS].attr, 0xc93);
	CHECK_EQ(st.seg[SEG_SS].limit, 0xffffffffu);
	/* TR: a 32-bit busy TSS, base 0, limit 0x67. */
	CHECK_EQ(st.seg[SEG_TR].attr & 0x9f, 0x8b);
	CHECK_EQ(st.seg[SEG_TR].base, 0);
	CHECK_EQ(st.seg[SEG_TR].limit, 0x67);
}

static void check_load(unsigned int bits, unsigned int descsz)
{
	make_pvh(bits, descsz, PVH_ENTRY);
	setup();
	CHECK(pvh_boot_detect(file, file_size));
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, bits == 32 ? "PVH ELF32" : "PVH ELF64");
	CHECK(memcmp(ram + SEG0_PADDR, file + SEG0_OFF, SEG0_FILESZ) == 0);
	CHECK_EQ(ram[SEG0_PADDR + SEG0_FILESZ], 0);
	CHECK(memcmp(ram + SEG1_PADDR, file + SEG1_OFF, SEG1_SIZE) == 0);
	check_start_info();
	check_entry();
}

static void test_elf32_note4(void)
{
	check_load(32, 4);
}

static void test_elf64_note8(void)
{
	check_load(64, 8);
}

static void expect_refused(int want_ret, const char *want)
{
	struct guest_state st0 = st;
	struct boot_image_info info0 = info;

	memcpy(snap, ram, RAM_SIZE);
	CHECK_EQ(load(), want_ret);
	if (!strstr(err, want)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, want);
		check_case_failed = 1;
	}
	CHECK(memcmp(ram, snap, RAM_SIZE) == 0);
	CHECK(memcmp(&st, &st0, sizeof(st)) == 0);
	CHECK(memcmp(&info, &info0, sizeof(info)) == 0);
}

static void test_refused(void)
{
	/* No PVH note: the GNU note alone, or Xen's with another type. */
	make_elf_file(64);
	put_note(NOTE_OFF, "GNU", 3, 4, 1);
	setup();
	CHECK(!pvh_boot_detect(file, file_size));
	expect_refused(-ENOEXEC, "kernel vmlinux: no PVH entry: no ELF note \"Xen\" of type 18");
	make_elf_file(64);
	put_note(NOTE_OFF, "Xen", 17, 4, PVH_ENTRY);
	expect_refused(-ENOEXEC, "no PVH entry");
	/* A note that claims more bytes than its segment has. */
	make_pvh(64, 8, PVH_ENTRY);
	put(file, NOTE_OFF + 20 + 4, 4, 0x1000);
	expect_refused(-ENOEXEC, "no PVH entry");
	make_pvh(32, 2, PVH_ENTRY);
	expect_refused(-ENOEXEC, "the PVH entry note's descriptor has 2 bytes, not 4 or 8");
	make_pvh(64, 8, 0x100000000ull + PVH_ENTRY);
	expect_refused(-ENOEXEC, "PVH entry 0x100100020 (XEN_ELFNOTE_PHYS32_ENTRY) is outside the kernel 0x100000-0x200800");
	/* Segments: over each other, outside RAM. */
	make_pvh(32, 4, PVH_ENTRY);
	put_phdr(32, 2, 1, SEG1_OFF, SEG1_VADDR, 0x102000, SEG1_SIZE, SEG1_SIZE);
	expect_refused(-ENOSPC, "ELF segment 1 0x102000-0x102800 overlaps ELF segment 0 0x100000-0x103000");
	make_pvh(32, 4, PVH_ENTRY);
	put_phdr(32, 2, 1, SEG1_OFF, SEG1_VADDR, 0x8000000, SEG1_SIZE, SEG1_SIZE);
	expect_refused(-ENOSPC, "ELF segment 1 0x8000000-0x8000800 is outside the guest's 64 MiB of RAM");
	/* Not ELF at all; a truncated ELF header. */
	make_pvh(32, 4, PVH_ENTRY);
	file[1] = 'X';
	expect_refused(-ENOEXEC, "kernel vmlinux: not an ELF file");
	make_pvh(64, 8, PVH_ENTRY);
	file_size = 0x30;
	expect_refused(-ENOEXEC, "truncated: an ELF header needs 52 bytes, the file has 48");
	make_pvh(64, 8, PVH_ENTRY);
	file_size = 0x3c;
	expect_refused(-ENOEXEC, "truncated: an ELF64 header needs 64 bytes, the file has 60");
}

int main(void)
{
	ram = malloc(RAM_SIZE);
	snap = malloc(RAM_SIZE);
	if (!ram || !snap)
		return 2;
	RUN(test_elf32_note4);
	RUN(test_elf64_note8);
	RUN(test_refused);
	free(snap);
	free(ram);
	return check_done();
}
