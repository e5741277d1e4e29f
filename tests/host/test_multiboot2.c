/*
 * Hosted test of core/pc/multiboot2.c (Multiboot2) over the ELF loader
 * and the placement checks.
 *
 * Scenario: the synthetic ELF kernels of test_boot_image.h with a
 * Multiboot2 header built here tag by tag, loaded with two modules into a
 * 64 MiB buffer standing for guest RAM (a pattern elsewhere, an RSDP at
 * 0xE0000 as the VM's ACPI tables have it). The information tags are
 * walked at the offsets and sizes the specification gives and compared
 * field by field; each refused header must give its message and leave
 * RAM, the entry state and the info as they were. Single thread.
 */
#include "core/lib/errno.h"
#include "core/pc/multiboot2.h"
#include "tests/host/check.h"
#include "tests/host/test_boot_image.h"

#define RAM_SIZE	(64u << 20)
#define HDR		0x200		/* the Multiboot2 header in the file */
#define RSDP_GPA	0xe0000u
#define MOD0_SIZE	3000u
#define MOD1_SIZE	0x2000u

static uint8_t *ram, *snap;
static uint8_t mod0[MOD0_SIZE], mod1[MOD1_SIZE], rsdp[36];
static struct boot_module mods[2];
static struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
static struct boot_image_cfg cfg;
static struct guest_state st;
static struct boot_image_info info;
static char err[256];
static size_t tag_at;		/* where the next header tag goes */

/* ---- Building headers -------------------------------------------------- */

static void hdr_begin(unsigned int bits)
{
	make_elf_file(bits);
	memset(file + HDR, 0, 0x400);
	put(file, HDR, 4, MULTIBOOT2_MAGIC);
	tag_at = HDR + 16;
}

/* A tag with n 32-bit fields after its type, flags and size. */
static void hdr_tag(uint16_t type, uint16_t flags, unsigned int n, const uint32_t *v)
{
	put(file, tag_at, 2, type);
	put(file, tag_at + 2, 2, flags);
	put(file, tag_at + 4, 4, 8 + 4 * n);
	for (unsigned int i = 0; i < n; i++)
		put(file, tag_at + 8 + 4 * i, 4, v[i]);
	tag_at += (8 + 4 * n + 7) & ~7u;
}

/* The end tag, header_length and the checksum over arch 0. */
static void hdr_end(void)
{
	uint32_t len;

	hdr_tag(0, 0, 0, NULL);
	len = (uint32_t)(tag_at - HDR);
	put(file, HDR + 4, 4, 0);
	put(file, HDR + 8, 4, len);
	put(file, HDR + 12, 4, (uint32_t)-(MULTIBOOT2_MAGIC + len));
}

static void setup(void)
{
	struct guest_ram_layout l = guest_ram_layout_for(RAM_SIZE);

	memset(ram, 0x5a, RAM_SIZE);
	fill_random(rsdp, sizeof(rsdp), 5);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;				/* revision: ACPI 2.0 */
	memcpy(ram + RSDP_GPA, rsdp, sizeof(rsdp));
	fill_random(mod0, sizeof(mod0), 3);
	fill_random(mod1, sizeof(mod1), 4);
	mods[0] = (struct boot_module){ mod0, sizeof(mod0), "initrd.img", "initrd.img" };
	mods[1] = (struct boot_module){ mod1, sizeof(mod1), "extra.bin", "extra.bin x=1" };
	cfg = (struct boot_image_cfg){
		.kernel = file, .kernel_size = file_size, .kernel_name = "kernel.elf",
		.mods = mods, .nr_mods = 2, .cmdline = "console=ttyS0", .e820 = map,
		.acpi_rsdp = RSDP_GPA,
	};
	cfg.nr_e820 = linux_boot_e820_for(&l, map, LINUX_BOOT_E820_PC_MAX);
	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
	err[0] = '\0';
}

static int load(void)
{
	cfg.kernel_size = file_size;
	return multiboot2_load(ram, RAM_SIZE, &cfg, &st, &info, err, sizeof(err));
}

/* ---- Reading the information back -------------------------------------- */

/* Checks the tag at *at: its type and size; returns its address and moves on. */
static uint64_t next_tag(uint64_t *at, uint32_t type, uint32_t size)
{
	uint64_t t = *at;

	CHECK_EQ(t % 8, 0);
	CHECK_EQ(get(ram, t, 4), type);
	CHECK_EQ(get(ram, t + 4, 4), size);
	*at = t + ((get(ram, t + 4, 4) + 7) & ~7ull);
	return t;
}

static void check_info(uint64_t mods_at, bool acpi_new)
{
	uint64_t at = MULTIBOOT2_INFO_GPA + 8, t;
	const char *cmd = "kernel.elf console=ttyS0";

	CHECK_EQ(get(ram, MULTIBOOT2_INFO_GPA + 4, 4), 0);
	t = next_tag(&at, 1, 8 + strlen(cmd) + 1);
	CHECK_STR((char *)ram + t + 8, cmd);
	t = next_tag(&at, 2, 8 + 3);
	CHECK_STR((char *)ram + t + 8, "hv");
	t = next_tag(&at, 3, 16 + strlen("initrd.img") + 1);
	CHECK_EQ(get(ram, t + 8, 4), mods_at);
	CHECK_EQ(get(ram, t + 12, 4), mods_at + MOD0_SIZE);
	CHECK_STR((char *)ram + t + 16, "initrd.img");
	CHECK(memcmp(ram + mods_at, mod0, MOD0_SIZE) == 0);
	t = next_tag(&at, 3, 16 + strlen("extra.bin x=1") + 1);
	CHECK_EQ(get(ram, t + 8, 4), mods_at + 0x1000);
	CHECK_EQ(get(ram, t + 12, 4), mods_at + 0x1000 + MOD1_SIZE);
	CHECK_STR((char *)ram + t + 16, "extra.bin x=1");
	CHECK(memcmp(ram + mods_at + 0x1000, mod1, MOD1_SIZE) == 0);
	t = next_tag(&at, 4, 16);
	CHECK_EQ(get(ram, t + 8, 4), 639);
	CHECK_EQ(get(ram, t + 12, 4), (RAM_SIZE - 0x100000) / 1024);
	t = next_tag(&at, 6, 16 + 6 * 24);
	CHECK_EQ(get(ram, t + 8, 4), 24);		/* entry_size */
	CHECK_EQ(get(ram, t + 12, 4), 0);		/* entry_version */
	for (unsigned int i = 0; i < 6; i++) {
		CHECK_EQ(get(ram, t + 16 + i * 24, 8), map[i].addr);
		CHECK_EQ(get(ram, t + 24 + i * 24, 8), map[i].size);
		CHECK_EQ(get(ram, t + 32 + i * 24, 4), map[i].type);
		CHECK_EQ(get(ram, t + 36 + i * 24, 4), 0);
	}
	t = next_tag(&at, 14, 8 + 20);
	CHECK(memcmp(ram + t + 8, rsdp, 20) == 0);
	if (acpi_new) {
		t = next_tag(&at, 15, 8 + 36);
		CHECK(memcmp(ram + t + 8, rsdp, 36) == 0);
	}
	next_tag(&at, 0, 8);
	CHECK_EQ(get(ram, MULTIBOOT2_INFO_GPA, 4), at - MULTIBOOT2_INFO_GPA);
}

static void check_entry(uint64_t rip)
{
	CHECK_EQ(st.regs.gpr[GPR_RAX], 0x36d76289);
	CHECK_EQ(st.regs.gpr[GPR_RBX], MULTIBOOT2_INFO_GPA);
	CHECK_EQ(MULTIBOOT2_INFO_GPA % 8, 0);
	for (unsigned int r = 0; r < GPR_COUNT; r++)
		if (r != GPR_RAX && r != GPR_RBX)
			CHECK_EQ(st.regs.gpr[r], 0);
	CHECK_EQ(st.regs.rip, rip);
	CHECK_EQ(st.regs.rflags, 0x2);
	CHECK_EQ(st.cr0, 0x11);
	CHECK_EQ(st.efer, 0);
	CHECK_EQ(st.seg[SEG_CS].attr, 0xc9b);
	CHECK_EQ(st.seg[SEG_CS].limit, 0xffffffffu);
	for (unsigned int s = SEG_ES; s <= SEG_GS; s++)
		if (s != SEG_CS) {
			CHECK_EQ(st.seg[s].attr, 0xc93);
			CHECK_EQ(st.seg[s].base, 0);
		}
	CHECK_EQ(get(ram, 0x10008, 8), 0x00cf9b000000ffffull);
	CHECK_EQ(get(ram, 0x10010, 8), 0x00cf93000000ffffull);
}

/* ---- Cases ------------------------------------------------------------- */

/* Every tag this loader knows, the refusable ones optional. */
static void test_elf32_all_tags(void)
{
	static const uint32_t req[] = { 1, 3, 4, 6, 14, 15 };
	static const uint32_t reloc[] = { 0x100000, 0x1000000, 0x1000, 0 };
	static const uint32_t fb[] = { 1024, 768, 32 };
	static const uint32_t console[] = { 0x2 };	/* EGA text supported, not required */
	static const uint32_t efi_entry[] = { 0x100010 };
	static const uint32_t opt_req[] = { 9, 17 };

	hdr_begin(32);
	hdr_tag(1, 0, ARRAY_SIZE(req), req);
	hdr_tag(1, 1, ARRAY_SIZE(opt_req), opt_req);	/* optional: ignored */
	hdr_tag(4, 0, 1, console);
	hdr_tag(5, 1, 3, fb);
	hdr_tag(6, 0, 0, NULL);
	hdr_tag(7, 1, 0, NULL);
	hdr_tag(9, 1, 1, efi_entry);
	hdr_tag(10, 0, 4, reloc);
	hdr_tag(77, 1, 0, NULL);			/* unknown but optional */
	hdr_end();
	setup();
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, "Multiboot2 ELF32");
	CHECK(memcmp(ram + SEG0_PADDR, file + SEG0_OFF, SEG0_FILESZ) == 0);
	CHECK_EQ(ram[SEG0_PADDR + SEG0_FILESZ], 0);
	CHECK_EQ(ram[SEG0_PADDR + SEG0_MEMSZ - 1], 0);
	CHECK(memcmp(ram + SEG1_PADDR, file + SEG1_OFF, SEG1_SIZE) == 0);
	check_info(0x201000, true);
	check_entry(SEG1_PADDR + ENTRY_OFF);
}

/* ELF64 with an entry address tag (it wins over e_entry); an ACPI 1.0 RSDP: no tag 15. */
static void test_elf64_entry_tag(void)
{
	static const uint32_t entry[] = { SEG0_PADDR + 0x40 };

	hdr_begin(64);
	hdr_tag(3, 0, 1, entry);
	hdr_end();
	setup();
	ram[RSDP_GPA + 15] = 0;
	rsdp[15] = 0;
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, "Multiboot2 ELF64");
	check_info(0x201000, false);
	check_entry(SEG0_PADDR + 0x40);
}

/* The address tag: text from the file at load_addr, a bss, the entry tag. */
static void test_address_tag(void)
{
	const uint32_t addr[] = { 0x300000 + HDR, 0x300000, 0x301000, 0x304000 };
	const uint32_t entry[] = { 0x300800 };

	hdr_begin(32);
	memset(file, 0x11, 4);		/* no longer ELF: the tag decides */
	hdr_tag(2, 0, 4, addr);
	hdr_tag(3, 0, 1, entry);
	hdr_end();
	setup();
	CHECK_EQ(load(), 0);
	CHECK_STR(err, "");
	CHECK_STR(info.format, "Multiboot2 address tag");
	CHECK(memcmp(ram + 0x300000, file, 0x1000) == 0);
	CHECK_EQ(ram[0x301000], 0);
	CHECK_EQ(ram[0x303fff], 0);
	check_info(0x304000, true);
	check_entry(0x300800);
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
	CHECK(strncmp(err, "kernel kernel.elf: ", 19) == 0);
	CHECK(memcmp(ram, snap, RAM_SIZE) == 0);
	CHECK(memcmp(&st, &st0, sizeof(st)) == 0);
	CHECK(memcmp(&info, &info0, sizeof(info)) == 0);
}

/* A header with one tag (type, flags, fields) must be refused with want. */
static void refuse_tag(uint16_t type, uint16_t flags, unsigned int n, const uint32_t *v,
		       const char *want)
{
	hdr_begin(32);
	hdr_tag(type, flags, n, v);
	hdr_end();
	setup();
	expect_refused(-ENOEXEC, want);
}

static void test_refused_tags(void)
{
	static const uint32_t elf_sections[] = { 1, 9 }, fb[] = { 800, 600, 16 };
	static const uint32_t console[] = { 0x3 }, efi[] = { 0x100000 };
	static const uint32_t addr[] = { 0x300000 + HDR, 0x300000, 0, 0 };

	refuse_tag(1, 0, 2, elf_sections, "Multiboot2 information request (tag 1) requires tag type 9 (ELF sections), not given here");
	refuse_tag(5, 0, 3, fb, "Multiboot2 framebuffer tag (800x600x16) is required");
	refuse_tag(4, 0, 1, console, "console flags tag 0x3: requires a console");
	refuse_tag(7, 0, 0, NULL, "tag 7 (EFI boot services) is required: the kernel needs UEFI");
	refuse_tag(8, 0, 1, efi, "tag 8 (EFI i386 entry) is required: the kernel needs UEFI");
	refuse_tag(9, 0, 1, efi, "tag 9 (EFI amd64 entry) is required: the kernel needs UEFI");
	refuse_tag(42, 0, 0, NULL, "Multiboot2 header tag type 42 is required and not known");
	refuse_tag(2, 0, 4, addr, "Multiboot2 address tag without an entry address tag (3)");
	refuse_tag(3, 0, 1, (const uint32_t[]){ 0x500000 }, "Multiboot2 entry address 0x500000 is outside the kernel 0x100000-0x200800");
	refuse_tag(2, 0, 1, addr, "Multiboot2 header tag 2: size 12 is below its 24 bytes");
	/* No RSDP in the VM: a required ACPI tag cannot be given. */
	hdr_begin(32);
	hdr_tag(1, 0, 1, (const uint32_t[]){ 14 });
	hdr_end();
	setup();
	cfg.acpi_rsdp = 0;
	expect_refused(-ENOEXEC, "requires tag type 14 (ACPI old RSDP)");
}

static void test_bad_headers(void)
{
	hdr_begin(32);
	hdr_end();
	setup();
	put(file, HDR + 12, 4, 0xdeadbeef);
	expect_refused(-ENOEXEC, "Multiboot2 header at 0x200: checksum 0xdeadbeef does not make");
	/* Magic and architecture only, at the end of the file. */
	hdr_begin(32);
	hdr_end();
	file_size = HDR + 8;
	expect_refused(-ENOEXEC, "truncated: the Multiboot2 header at 0x200 needs 16 bytes, the file has 520");
	/* Architecture 4 (MIPS), checksum kept right. */
	hdr_begin(32);
	hdr_end();
	put(file, HDR + 4, 4, 4);
	put(file, HDR + 12, 4, get(file, HDR + 12, 4) - 4);
	expect_refused(-ENOEXEC, "Multiboot2 architecture 4 is not i386 (0)");
	/* header_length past the file. */
	hdr_begin(32);
	hdr_end();
	put(file, HDR + 8, 4, 0x10000);
	put(file, HDR + 12, 4, (uint32_t)-(MULTIBOOT2_MAGIC + 0x10000));
	expect_refused(-ENOEXEC, "Multiboot2 header_length 65536: below 24 or past the file's end");
	/* No end tag inside header_length. */
	hdr_begin(32);
	hdr_tag(6, 0, 0, NULL);
	hdr_tag(6, 0, 0, NULL);
	put(file, HDR + 8, 4, tag_at - HDR);
	put(file, HDR + 12, 4, (uint32_t)-(MULTIBOOT2_MAGIC + (uint32_t)(tag_at - HDR)));
	expect_refused(-ENOEXEC, "Multiboot2 header: no end tag within header_length 32");
	/* A tag whose size runs past the header. */
	hdr_begin(32);
	hdr_tag(6, 0, 0, NULL);
	hdr_end();
	put(file, HDR + 16 + 4, 4, 0x100);
	expect_refused(-ENOEXEC, "Multiboot2 header tag 6 at 0x210: size 256 is below 8 or past header_length 32");
	/* Misaligned magic is no header; neither is one past 32 KiB. */
	hdr_begin(32);
	memset(file + HDR, 0, 4);
	put(file, HDR + 4, 4, MULTIBOOT2_MAGIC);
	expect_refused(-ENOEXEC, "no Multiboot2 header (magic 0xe85250d6) in the first 32768 bytes");
}

/* The ELF and placement errors reach Multiboot2 kernels too. */
static void test_bad_placement(void)
{
	hdr_begin(32);
	hdr_end();
	put_phdr(32, 2, 1, SEG1_OFF, 0x10000, 0x10000, SEG1_SIZE, SEG1_SIZE);
	put(file, 0x18, 4, 0x10000);
	setup();
	expect_refused(-ENOSPC, "ELF segment 1 0x10000-0x10800 overlaps the loader's area");
	hdr_begin(32);
	hdr_end();
	file[0] = 0;
	expect_refused(-ENOEXEC, "not an ELF file");
}

int main(void)
{
	ram = malloc(RAM_SIZE);
	snap = malloc(RAM_SIZE);
	if (!ram || !snap)
		return 2;
	RUN(test_elf32_all_tags);
	RUN(test_elf64_entry_tag);
	RUN(test_address_tag);
	RUN(test_refused_tags);
	RUN(test_bad_headers);
	RUN(test_bad_placement);
	free(snap);
	free(ram);
	return check_done();
}
