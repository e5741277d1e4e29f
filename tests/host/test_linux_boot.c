/*
 * Hosted test of core/pc/linux_boot.c: the Linux boot protocol loader.
 *
 * Scenario: synthetic bzImages (a setup header with the fields boot.rst
 * defines, a pseudo-random protected-mode part) loaded into a zeroed
 * heap buffer standing for guest RAM, with the PC e820 map. Every
 * boot_params field is read back at its documented offset, the GDT as
 * raw descriptor bytes, the entry state register by register; offsets
 * and expected values are written out here from the protocol, not taken
 * from the loader. Each malformed image, command line, initrd and map
 * must give its message and leave RAM, the entry state and the info
 * untouched. Every protocol version from 2.06 to 2.15 is built here with
 * its own header length and the later versions' fields as garbage (only
 * 2.15 exists as a packaged image: the others are synthetic), kernels
 * that are not relocatable go to 1 MiB or pref_address, and the 64-bit
 * entry's page tables are checked by walking them from CR3 as the CPU
 * would. If build/linux/vmlinuz exists (make guest-image), Debian's
 * kernel is loaded too, through both entries. Single thread.
 */
#include <sys/stat.h>

#include "core/lib/errno.h"
#include "core/pc/linux_boot.h"
#include "tests/host/check.h"

#define RAM_MAX		(128u << 20)
#define SETUP_SECTS	4
#define SETUP_BYTES	((SETUP_SECTS + 1) * 512)
#define PM_BYTES	(64u << 10)	/* protected-mode part */
#define INIT_SIZE	(8u << 20)
#define PREF		0x1000000u
#define ALIGN_2M	0x200000u

static uint8_t *ram;
static uint8_t image[SETUP_BYTES + PM_BYTES];
static uint8_t initrd[3 * 1024 * 1024 + 123];
static struct e820_entry map[LINUX_BOOT_E820_PC_MAX];
static struct linux_boot_cfg cfg;
static struct guest_state st;
static struct linux_boot_info info;
static char err[256];
static char want[256];

static void put(uint8_t *p, size_t off, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, size_t off, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A bzImage as the kernel's build makes it, protocol 2.15. */
static void make_image(void)
{
	memset(image, 0, sizeof(image));
	fill_random(image + SETUP_BYTES, PM_BYTES, 1);
	image[0x1f1] = SETUP_SECTS;
	put(image, 0x1f4, 4, PM_BYTES / 16);	/* syssize */
	put(image, 0x1fa, 2, 0xffff);		/* vid_mode: normal */
	put(image, 0x1fc, 2, 0x0301);		/* root_dev */
	put(image, 0x1fe, 2, 0xaa55);
	image[0x200] = 0xeb;			/* jmp short to 0x26c */
	image[0x201] = 0x6a;
	memcpy(image + 0x202, "HdrS", 4);
	put(image, 0x206, 2, 0x020f);
	put(image, 0x20e, 2, 0x3c0);		/* kernel_version string offset */
	image[0x211] = 0x01;			/* LOADED_HIGH */
	put(image, 0x214, 4, 0x100000);		/* code32_start default */
	put(image, 0x22c, 4, 0x7fffffff);	/* initrd_addr_max */
	put(image, 0x230, 4, ALIGN_2M);
	image[0x234] = 1;			/* relocatable_kernel */
	image[0x235] = 21;			/* min_alignment */
	put(image, 0x236, 2, 0x7f);		/* xloadflags */
	put(image, 0x238, 4, 2047);		/* cmdline_size */
	put(image, 0x258, 8, PREF);
	put(image, 0x260, 4, INIT_SIZE);
	put(image, 0x264, 4, 0x190);		/* handover_offset */
	put(image, 0x268, 4, 0x12345);		/* kernel_info_offset */
	/* Real-mode code after the header: must not reach boot_params. */
	memset(image + 0x26c, 0xcc, 0x300 - 0x26c);
}

/* The PC map of a guest with ram_size bytes, all of them below the hole. */
static unsigned int e820_low(uint64_t ram_size, struct e820_entry *out, unsigned int max)
{
	struct guest_ram_layout l = guest_ram_layout_for(ram_size);

	CHECK_EQ(l.high, 0);
	return linux_boot_e820_for(&l, out, max);
}

static void setup(uint64_t ram_size)
{
	make_image();
	fill_random(initrd, sizeof(initrd), 2);
	memset(ram, 0, RAM_MAX);
	cfg = (struct linux_boot_cfg){
		.kernel = image, .kernel_size = sizeof(image), .kernel_name = "vmlinuz",
		.initrd = initrd, .initrd_size = sizeof(initrd), .initrd_name = "initrd.gz",
		.cmdline = "console=ttyS0 quiet",
		.e820 = map, .acpi_rsdp = 0xe0000,
	};
	cfg.nr_e820 = e820_low(ram_size, map, LINUX_BOOT_E820_PC_MAX);
	memset(&st, 0xa5, sizeof(st));
	memset(&info, 0xa5, sizeof(info));
}

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
	const uint8_t *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

/* A failed load: its message, and nothing written anywhere. */
static void expect_fail(uint64_t ram_size, int errno_want, const char *msg)
{
	CHECK_EQ(linux_boot_load(ram, ram_size, &cfg, &st, &info, err, sizeof(err)), errno_want);
	CHECK_STR(err, msg);
	CHECK(all_bytes(ram, RAM_MAX, 0));
	CHECK(all_bytes(&st, sizeof(st), 0xa5));
	CHECK(all_bytes(&info, sizeof(info), 0xa5));
}

static int load(uint64_t ram_size)
{
	return linux_boot_load(ram, ram_size, &cfg, &st, &info, err, sizeof(err));
}

static void test_e820_pc_map(void)
{
	struct e820_entry m[LINUX_BOOT_E820_PC_MAX];
	static const struct e820_entry want[] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xe0000, 0x20000, 2 },
		{ 0x100000, 0xbff00000, 1 }, { 0xfec00000, 0x1000, 2 },
		{ 0xfee00000, 0x1000, 2 }, { 0x100000000ull, 0x40000000, 1 },
	};
	/* 4 GiB of RAM: 3 GiB below the hole, 1 GiB at 4 GiB. */
	struct guest_ram_layout four_g = guest_ram_layout_for(4ull << 30);

	CHECK_EQ(linux_boot_e820_for(&four_g, m, 7), 7);
	for (unsigned int i = 0; i < 7; i++) {
		CHECK_EQ(m[i].addr, want[i].addr);
		CHECK_EQ(m[i].size, want[i].size);
		CHECK_EQ(m[i].type, want[i].type);
	}
	/* No high RAM: no entry at 4 GiB. */
	CHECK_EQ(e820_low(256u << 20, m, 7), 6);
	CHECK_EQ(m[3].size, (256u << 20) - 0x100000);
	CHECK_EQ(m[5].addr, 0xfee00000u);
	/* max bounds the writes. */
	memset(m, 0x77, sizeof(m));
	CHECK_EQ(e820_low(256u << 20, m, 2), 2);
	CHECK_EQ(m[1].addr, 0x9fc00);
	CHECK(all_bytes(&m[2], sizeof(m[2]), 0x77));
	CHECK_EQ(E820_RAM, 1);
	CHECK_EQ(E820_RESERVED, 2);
	CHECK_EQ(E820_ACPI, 3);
}

static void test_load_layout(void)
{
	const uint64_t ram_size = RAM_MAX;
	/* Highest 4 KiB boundary with the initrd below 128 MiB. */
	const uint64_t initrd_at = 0x7cff000;

	setup(ram_size);
	CHECK_EQ(load(ram_size), 0);
	CHECK_STR(err, "");
	CHECK_EQ(info.protocol, 0x020f);
	CHECK_EQ(info.kernel_addr, PREF);
	CHECK_EQ(info.kernel_size, PM_BYTES);
	CHECK_EQ(info.kernel_end, PREF + INIT_SIZE);
	CHECK_EQ(info.initrd_addr, initrd_at);
	CHECK_EQ(info.initrd_size, sizeof(initrd));
	CHECK_EQ(info.boot_params, 0x7000);
	CHECK_EQ(info.cmdline, 0x20000);
	CHECK(memcmp(ram + PREF, image + SETUP_BYTES, PM_BYTES) == 0);
	CHECK(all_bytes(ram + PREF + PM_BYTES, 4096, 0));
	CHECK(memcmp(ram + initrd_at, initrd, sizeof(initrd)) == 0);
	CHECK(all_bytes(ram + initrd_at + sizeof(initrd), ram_size - initrd_at - sizeof(initrd), 0));
	CHECK_STR((char *)ram + 0x20000, "console=ttyS0 quiet");
}

static void test_boot_params(void)
{
	const uint8_t *bp = ram + 0x7000;

	setup(RAM_MAX);
	memset(ram + 0x7000, 0xee, 0x1000);	/* the loader clears the page */
	CHECK_EQ(load(RAM_MAX), 0);
	/* Copied from the image's setup header, 0x1f1 .. 0x26c. */
	CHECK_EQ(bp[0x1f1], SETUP_SECTS);
	CHECK_EQ(get(bp, 0x1f4, 4), PM_BYTES / 16);
	CHECK_EQ(get(bp, 0x1fa, 2), 0xffff);
	CHECK_EQ(get(bp, 0x1fc, 2), 0x0301);
	CHECK_EQ(get(bp, 0x1fe, 2), 0xaa55);
	CHECK_EQ(get(bp, 0x200, 2), 0x6aeb);
	CHECK(memcmp(bp + 0x202, "HdrS", 4) == 0);
	CHECK_EQ(get(bp, 0x206, 2), 0x020f);
	CHECK_EQ(get(bp, 0x20e, 2), 0x3c0);
	CHECK_EQ(get(bp, 0x22c, 4), 0x7fffffff);
	CHECK_EQ(get(bp, 0x230, 4), ALIGN_2M);
	CHECK_EQ(bp[0x234], 1);
	CHECK_EQ(bp[0x235], 21);
	CHECK_EQ(get(bp, 0x236, 2), 0x7f);
	CHECK_EQ(get(bp, 0x238, 4), 2047);
	CHECK_EQ(get(bp, 0x258, 8), PREF);
	CHECK_EQ(get(bp, 0x260, 4), INIT_SIZE);
	CHECK_EQ(get(bp, 0x264, 4), 0x190);
	CHECK_EQ(get(bp, 0x268, 4), 0x12345);
	/* What follows the header in the image is not copied. */
	CHECK(all_bytes(bp + 0x26c, 0x290 - 0x26c, 0));
	/* The loader's fields. */
	CHECK_EQ(bp[0x210], 0xff);			/* type_of_loader */
	CHECK_EQ(bp[0x211], 0x81);			/* LOADED_HIGH | CAN_USE_HEAP */
	CHECK_EQ(get(bp, 0x214, 4), PREF);		/* code32_start */
	CHECK_EQ(get(bp, 0x218, 4), 0x7cff000);		/* ramdisk_image */
	CHECK_EQ(get(bp, 0x21c, 4), sizeof(initrd));	/* ramdisk_size */
	CHECK_EQ(get(bp, 0x224, 2), 0xde00);		/* heap_end_ptr */
	CHECK_EQ(get(bp, 0x228, 4), 0x20000);		/* cmd_line_ptr */
	CHECK_EQ(get(bp, 0x070, 8), 0xe0000);		/* acpi_rsdp_addr */
	CHECK_EQ(get(bp, 0x0c0, 4), 0);			/* ext_ramdisk_image */
	CHECK_EQ(get(bp, 0x0c4, 4), 0);			/* ext_ramdisk_size */
	CHECK_EQ(get(bp, 0x0c8, 4), 0);			/* ext_cmd_line_ptr */
	/* The e820 table: count at 0x1e8, 20-byte entries from 0x2d0. */
	CHECK_EQ(bp[0x1e8], 6);
	CHECK_EQ(get(bp, 0x2d0 + 0 * 20 + 8, 8), 0x9fc00);
	CHECK_EQ(get(bp, 0x2d0 + 0 * 20 + 16, 4), 1);
	CHECK_EQ(get(bp, 0x2d0 + 2 * 20, 8), 0xe0000);
	CHECK_EQ(get(bp, 0x2d0 + 2 * 20 + 16, 4), 2);
	CHECK_EQ(get(bp, 0x2d0 + 3 * 20, 8), 0x100000);
	CHECK_EQ(get(bp, 0x2d0 + 3 * 20 + 8, 8), RAM_MAX - 0x100000);
	CHECK_EQ(get(bp, 0x2d0 + 3 * 20 + 16, 4), 1);
	CHECK_EQ(get(bp, 0x2d0 + 5 * 20, 8), 0xfee00000);
	CHECK(all_bytes(bp + 0x2d0 + 6 * 20, 20, 0));
	/* Everything else before the header is zero (sentinel at 0x1ef too). */
	CHECK(all_bytes(bp, 0x70, 0));
	CHECK(all_bytes(bp + 0x78, 0xc0 - 0x78, 0));
	CHECK(all_bytes(bp + 0xcc, 0x1e8 - 0xcc, 0));
	CHECK(all_bytes(bp + 0x1e9, 0x1f1 - 0x1e9, 0));
	CHECK(all_bytes(bp + 0x2d0 + 6 * 20, 0x1000 - 0x2d0 - 6 * 20, 0));
}

/* The 32-bit entry, asked for on a kernel that has both. */
static void test_gdt_and_entry_state(void)
{
	/* Flat 4 GiB descriptors: 0x10 code 0x9b (P, S, execute/read,
	 * accessed), 0x18 data 0x93 (read/write, accessed), both G and D. */
	static const uint8_t gdt[32] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,
		0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
	};

	setup(RAM_MAX);
	cfg.entry = LINUX_BOOT_ENTRY_32;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.entry_bits, 32);
	CHECK_EQ(info.entry, PREF);
	CHECK_EQ(info.page_tables, 0);
	/* No page tables for the 32-bit entry. */
	CHECK(all_bytes(ram + 0x8000, 0x6000, 0));
	CHECK(memcmp(ram + 0x6000, gdt, sizeof(gdt)) == 0);
	CHECK_EQ(st.gdtr.base, 0x6000);
	CHECK_EQ(st.gdtr.limit, 31);
	CHECK_EQ(st.idtr.limit, 0);
	CHECK_EQ(st.cr0, 0x11);
	CHECK_EQ(st.cr3, 0);
	CHECK_EQ(st.cr4, 0);
	CHECK_EQ(st.efer, 0);
	CHECK_EQ(st.regs.rflags, 0x2);
	CHECK_EQ(st.regs.rip, PREF);
	CHECK_EQ(st.regs.gpr[GPR_RSI], 0x7000);
	CHECK_EQ(st.regs.gpr[GPR_RBX], 0);
	CHECK_EQ(st.regs.gpr[GPR_RBP], 0);
	CHECK_EQ(st.regs.gpr[GPR_RDI], 0);
	CHECK_EQ(st.seg[SEG_CS].selector, 0x10);
	CHECK_EQ(st.seg[SEG_CS].base, 0);
	CHECK_EQ(st.seg[SEG_CS].limit, 0xffffffffu);
	/* The hidden attributes: descriptor bits 40-47 and 52-55. */
	CHECK_EQ(st.seg[SEG_CS].attr, 0xc9b);
	for (int s = SEG_ES; s <= SEG_GS; s++) {
		if (s == SEG_CS)
			continue;
		CHECK_EQ(st.seg[s].selector, 0x18);
		CHECK_EQ(st.seg[s].base, 0);
		CHECK_EQ(st.seg[s].limit, 0xffffffffu);
		CHECK_EQ(st.seg[s].attr, 0xc93);
	}
	CHECK(!(st.seg[SEG_TR].attr & SEG_ATTR_UNUSABLE));
}

static void test_placement_rules(void)
{
	/* pref_address not a multiple of kernel_alignment (16 MiB): the
	 * first boundary at or above 16 MiB; the kernel still unpacks at
	 * pref_address, so its area ends at 24 MiB + init_size. */
	setup(RAM_MAX);
	put(image, 0x230, 4, 0x1000000);
	put(image, 0x258, 8, 0x1800000);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.kernel_addr, 0x1000000);
	CHECK_EQ(info.kernel_end, 0x1800000 + INIT_SIZE);
	CHECK_EQ(st.regs.rip, 0x1000000 + 0x200);	/* startup_64 */
	CHECK_EQ(get(ram + 0x7000, 0x214, 4), 0x1000000);

	/* An aligned pref_address above 16 MiB that fits is used. */
	setup(RAM_MAX);
	put(image, 0x258, 8, 0x2000000);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.kernel_addr, 0x2000000);
	CHECK(memcmp(ram + 0x2000000, image + SETUP_BYTES, PM_BYTES) == 0);

	/* initrd_addr_max caps the initrd: below 64 MiB. */
	setup(RAM_MAX);
	put(image, 0x22c, 4, 0x3ffffff);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.initrd_addr, 0x4000000 - 0x301000);

	/* No initrd, empty command line. */
	setup(RAM_MAX);
	cfg.initrd = NULL;
	cfg.initrd_size = 0;
	cfg.cmdline = NULL;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.initrd_addr, 0);
	CHECK_EQ(get(ram + 0x7000, 0x218, 8), 0);
	CHECK_EQ(ram[0x20000], 0);
	CHECK_EQ(get(ram + 0x7000, 0x228, 4), 0x20000);

	/* An initrd of whole pages ends exactly at the top of RAM. */
	setup(RAM_MAX);
	cfg.initrd_size = 1u << 20;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.initrd_addr, RAM_MAX - (1u << 20));

	/* A header that claims to run past 0x290 is copied up to 0x290 only:
	 * boot_params.edd_mbr_sig_buffer follows. */
	setup(RAM_MAX);
	image[0x201] = 0xff;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK(all_bytes(ram + 0x7000 + 0x26c, 0x290 - 0x26c, 0xcc));
	CHECK(all_bytes(ram + 0x7000 + 0x290, 0x2d0 - 0x290, 0));

	/* setup_sects 0 means 4. */
	setup(RAM_MAX);
	image[0x1f1] = 0;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK(memcmp(ram + PREF, image + SETUP_BYTES, PM_BYTES) == 0);
}

static void test_bad_images(void)
{
	setup(RAM_MAX);
	cfg.kernel_size = 0;
	expect_fail(RAM_MAX, -ENOEXEC, "kernel vmlinuz: empty file");
	cfg.kernel_size = 512;
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: truncated: a bzImage header needs 1024 bytes, the file has 512");
	cfg.kernel_size = sizeof(image) - 16;
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: truncated: setup_sects 4 and syssize 0x1000 need 68096 bytes, the file has 68080");

	setup(RAM_MAX);
	put(image, 0x1fe, 2, 0x55aa);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: not a bzImage: setup_header.boot_flag 0x55aa, not 0xaa55");
	setup(RAM_MAX);
	memcpy(image + 0x202, "HdrZ", 4);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: not a bzImage: setup_header.header 0x5a726448, not 0x53726448 (\"HdrS\")");
	setup(RAM_MAX);
	put(image, 0x206, 2, 0x0202);
	expect_fail(RAM_MAX, -ENOEXEC, "kernel vmlinuz: setup_header.version 0x0202 below 2.06");
	setup(RAM_MAX);
	put(image, 0x206, 2, 0x0205);
	expect_fail(RAM_MAX, -ENOEXEC, "kernel vmlinuz: setup_header.version 0x0205 below 2.06");
	setup(RAM_MAX);
	image[0x211] = 0x80;
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: setup_header.loadflags 0x80: LOADED_HIGH clear (a zImage)");
	setup(RAM_MAX);
	put(image, 0x230, 4, 0x3000);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: setup_header.kernel_alignment 0x3000 is not a power of two of at least 4 KiB");
	setup(RAM_MAX);
	put(image, 0x230, 4, 0x800);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: setup_header.kernel_alignment 0x800 is not a power of two of at least 4 KiB");
	setup(RAM_MAX);
	put(image, 0x1f4, 4, 0);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: setup_header.syssize is 0: no protected-mode part");
	setup(RAM_MAX);
	image[0x201] = 0x66;	/* header ends at 0x268: no kernel_info_offset */
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: setup_header.jump 0x66 ends the header at 0x268, before the end of the 2.15 fields (0x26c)");
	setup(RAM_MAX);
	put(image, 0x260, 4, 0);
	expect_fail(RAM_MAX, -ENOEXEC, "kernel vmlinuz: setup_header.init_size is 0");
	setup(RAM_MAX);
	put(image, 0x260, 4, PM_BYTES - 16);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: the protected-mode part (65536 bytes) exceeds setup_header.init_size 0xfff0");
}

static void test_does_not_fit(void)
{
	/* 64 MiB guest, init_size 60 MiB from 16 MiB. */
	setup(64u << 20);
	put(image, 0x260, 4, 60u << 20);
	expect_fail(64u << 20, -ENOSPC,
		    "kernel vmlinuz: needs RAM up to 0x4c00000 (init_size 0x3c00000 from 0x1000000), the guest has 64 MiB");
	/* The initrd does not fit between the kernel's end (24 MiB) and 32 MiB. */
	setup(32u << 20);
	cfg.nr_e820 = e820_low(32u << 20, map, LINUX_BOOT_E820_PC_MAX);
	cfg.initrd_size = 9u << 20;
	expect_fail(32u << 20, -ENOSPC,
		    "initrd initrd.gz: 9 MiB does not fit between 0x1800000 (the kernel's end) and 0x2000000 with a 32 MiB guest");
	/* The kernel's range must be RAM in the map, not only in ram_size. */
	setup(RAM_MAX);
	cfg.nr_e820 = e820_low(20u << 20, map, LINUX_BOOT_E820_PC_MAX);
	expect_fail(RAM_MAX, -ENOSPC, "kernel vmlinuz: 0x1000000-0x1800000 is not RAM in the e820 map");
}

static void test_cmdline_limits(void)
{
	static char line[0x10001];

	setup(RAM_MAX);
	put(image, 0x238, 4, 16);
	cfg.cmdline = "0123456789abcdef";	/* 16: fits */
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_STR((char *)ram + 0x20000, "0123456789abcdef");
	setup(RAM_MAX);
	put(image, 0x238, 4, 16);
	cfg.cmdline = "0123456789abcdefg";
	expect_fail(RAM_MAX, -E2BIG,
		    "kernel vmlinuz: the command line has 17 characters, the kernel takes at most 16 (cmdline_size)");
	setup(RAM_MAX);
	put(image, 0x238, 4, 0x7fffffff);
	memset(line, 'x', sizeof(line) - 1);
	cfg.cmdline = line;
	expect_fail(RAM_MAX, -E2BIG,
		    "kernel vmlinuz: the command line is longer than the 65535 bytes reserved for it");
}

static void test_bad_e820(void)
{
	struct e820_entry m[3] = {
		{ 0, 0x9fc00, E820_RAM }, { 0x100000, RAM_MAX - 0x100000, E820_RAM },
		{ 0x9fc00, 0x400, E820_RESERVED },
	};

	setup(RAM_MAX);
	cfg.e820 = m;
	cfg.nr_e820 = 3;
	expect_fail(RAM_MAX, -EINVAL,
		    "e820: entry 2 (0x9fc00-0xa0000) overlaps or precedes entry 1 (0x100000-0x8000000)");
	m[2] = (struct e820_entry){ 0x7fff000, 0x2000, E820_RESERVED };
	expect_fail(RAM_MAX, -EINVAL,
		    "e820: entry 2 (0x7fff000-0x8001000) overlaps or precedes entry 1 (0x100000-0x8000000)");
	m[2] = (struct e820_entry){ 0x9000000, 0, E820_RESERVED };
	expect_fail(RAM_MAX, -EINVAL, "e820: entry 2 (0x9000000, size 0x0) is empty or wraps around");
	m[2] = (struct e820_entry){ 0xfffffffffffff000ull, 0x2000, E820_RESERVED };
	expect_fail(RAM_MAX, -EINVAL,
		    "e820: entry 2 (0xfffffffffffff000, size 0x2000) is empty or wraps around");
	cfg.nr_e820 = 0;
	expect_fail(RAM_MAX, -EINVAL, "e820: the memory map is empty");
	cfg.nr_e820 = 129;
	expect_fail(RAM_MAX, -EINVAL, "e820: 129 entries, the zero page holds 128");
	/* Sorted, adjacent RAM entries are fine and copied as given. */
	m[0] = (struct e820_entry){ 0, 0x9fc00, E820_RAM };
	m[1] = (struct e820_entry){ 0x100000, 0x1000000, E820_RAM };
	m[2] = (struct e820_entry){ 0x1100000, RAM_MAX - 0x1100000, E820_RAM };
	cfg.nr_e820 = 3;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(ram[0x7000 + 0x1e8], 3);
	CHECK_EQ(get(ram + 0x7000, 0x2d0 + 2 * 20, 8), 0x1100000);
}

/* ---- Every protocol version from 2.06 -------------------------------- */

/*
 * Synthetic images, one per version 2.06 ... 2.15, each with the setup
 * header as its version defines it (boot.rst): the header ends where the
 * version's last field ends (setup_header.jump says so), and every field
 * a later version added holds garbage that would change the load if it
 * were read: xloadflags (2.12; before, padding) 0xffff would pick the
 * 64-bit entry, pref_address (2.10) 32 MiB would move the kernel,
 * init_size (2.10) 0x7fffffff would not fit. No packaged kernel
 * exercises 2.06 to 2.14: Debian's (test_real_debian_kernel) is 2.15.
 * These images are synthetic; their kernel is random bytes never run.
 */
static size_t hdr_end_for(unsigned int v)
{
	if (v >= 0x020f)
		return 0x26c;	/* kernel_info_offset */
	if (v >= 0x020b)
		return 0x268;	/* handover_offset */
	if (v == 0x020a)
		return 0x264;	/* pref_address, init_size */
	if (v == 0x0209)
		return 0x258;	/* setup_data */
	if (v == 0x0208)
		return 0x250;	/* payload_offset, payload_length */
	if (v == 0x0207)
		return 0x248;	/* hardware_subarch, hardware_subarch_data */
	return 0x23c;		/* 2.06: cmdline_size */
}

static void make_image_version(unsigned int v)
{
	size_t end = hdr_end_for(v);

	make_image();
	put(image, 0x206, 2, v);
	image[0x201] = (uint8_t)(end - 0x202);
	/* After the header: real-mode code, here garbage. */
	memset(image + end, 0xcc, 0x300 - end);
	if (v < 0x020a) {
		put(image, 0x258, 8, 0x2000000);	/* pref_address */
		put(image, 0x260, 4, 0x7fffffff);	/* init_size */
	}
	if (v < 0x020c)
		put(image, 0x236, 2, 0xffff);		/* pad2, later xloadflags */
	else
		put(image, 0x236, 2, 0x0001);		/* XLF_KERNEL_64 */
}

static void test_every_version(void)
{
	for (unsigned int v = 0x0206; v <= 0x020f; v++) {
		size_t end = hdr_end_for(v);
		/* Before 2.10: 1 MiB is not 2 MiB-aligned, so 16 MiB, and three
		 * times the protected-mode part to decompress in. */
		uint64_t kend = v >= 0x020a ? PREF + INIT_SIZE : PREF + 3 * PM_BYTES;

		printf("  protocol %u.%02u: header ends at 0x%zx\n", v >> 8, v & 0xff, end);
		setup(RAM_MAX);
		make_image_version(v);
		cfg.initrd_size = 1u << 20;
		CHECK_EQ(load(RAM_MAX), 0);
		CHECK_STR(err, "");
		CHECK_EQ(info.protocol, v);
		CHECK_EQ(info.kernel_addr, PREF);
		CHECK_EQ(info.kernel_end, kend);
		CHECK(memcmp(ram + PREF, image + SETUP_BYTES, PM_BYTES) == 0);
		CHECK_EQ(info.entry_bits, v >= 0x020c ? 64 : 32);
		CHECK_EQ(st.regs.rip, v >= 0x020c ? PREF + 0x200 : PREF);
		CHECK_EQ(st.efer, v >= 0x020c ? 0x500 : 0);
		/* The header is copied up to its end (the loader's own fields
		 * end at 0x22c), nothing after it. */
		CHECK(memcmp(ram + 0x7000 + 0x22c, image + 0x22c, end - 0x22c) == 0);
		CHECK(all_bytes(ram + 0x7000 + end, 0x290 - end, 0));
		CHECK_EQ(get(ram + 0x7000, 0x206, 2), v);
		/* Fields every version here has: initrd_addr_max, cmdline_size. */
		CHECK_EQ(info.initrd_addr, RAM_MAX - (1u << 20));
		setup(RAM_MAX);
		make_image_version(v);
		put(image, 0x22c, 4, 0x3ffffff);
		cfg.initrd_size = 1u << 20;
		put(image, 0x238, 4, 3);
		cfg.cmdline = "abcd";
		expect_fail(RAM_MAX, -E2BIG,
			    "kernel vmlinuz: the command line has 4 characters, the kernel takes at most 3 (cmdline_size)");
		cfg.cmdline = "abc";
		CHECK_EQ(load(RAM_MAX), 0);
		CHECK_EQ(info.initrd_addr, 0x4000000 - (1u << 20));
		/* A header one byte short of its version's fields. */
		setup(RAM_MAX);
		make_image_version(v);
		image[0x201]--;
		snprintf(want, sizeof(want),
			 "kernel vmlinuz: setup_header.jump 0x%02zx ends the header at 0x%zx, before the end of the 2.%02u fields (0x%zx)",
			 end - 0x203, end - 1, v & 0xff, end);
		expect_fail(RAM_MAX, -ENOEXEC, want);
	}
	/* Before 2.10 init_size is not read, even when it is 0. */
	setup(RAM_MAX);
	make_image_version(0x0209);
	put(image, 0x260, 4, 0);
	CHECK_EQ(load(RAM_MAX), 0);
	/* From 2.12 xloadflags is read: without XLF_KERNEL_64, 32-bit. */
	setup(RAM_MAX);
	make_image_version(0x020c);
	put(image, 0x236, 2, 0x0002);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.entry_bits, 32);
	CHECK_EQ(st.regs.rip, PREF);
}

/* Kernels that are not relocatable run where they were linked. */
static void test_not_relocatable(void)
{
	/* 2.06: at 1 MiB, with 3 * 64 KiB to decompress in; kernel_alignment
	 * is not looked at. */
	setup(RAM_MAX);
	make_image_version(0x0206);
	image[0x234] = 0;
	put(image, 0x230, 4, 0x3000);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.kernel_addr, 0x100000);
	CHECK_EQ(info.kernel_end, 0x100000 + 3 * PM_BYTES);
	CHECK_EQ(st.regs.rip, 0x100000);
	CHECK_EQ(get(ram + 0x7000, 0x214, 4), 0x100000);	/* code32_start */
	CHECK(memcmp(ram + 0x100000, image + SETUP_BYTES, PM_BYTES) == 0);
	CHECK(all_bytes(ram + 0x1000000, PM_BYTES, 0));
	/* 2.10: at pref_address, even one no kernel_alignment divides. */
	setup(RAM_MAX);
	make_image_version(0x020a);
	image[0x234] = 0;
	put(image, 0x258, 8, 0x1234000);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.kernel_addr, 0x1234000);
	CHECK_EQ(info.kernel_end, 0x1234000 + INIT_SIZE);
	CHECK(memcmp(ram + 0x1234000, image + SETUP_BYTES, PM_BYTES) == 0);
	/* 2.15, 64-bit: at pref_address, entry at pref_address + 0x200. */
	setup(RAM_MAX);
	image[0x234] = 0;
	put(image, 0x258, 8, 0x3000000);
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.kernel_addr, 0x3000000);
	CHECK_EQ(st.regs.rip, 0x3000200);
	/* Refused: RAM does not cover pref_address + init_size ... */
	setup(RAM_MAX);
	image[0x234] = 0;
	put(image, 0x258, 8, 0x7c00000);
	expect_fail(RAM_MAX, -ENOSPC,
		    "kernel vmlinuz: not relocatable (setup_header.relocatable_kernel 0) and its init_size 0x800000 at 0x7c00000 does not fit in 128 MiB of RAM");
	put(image, 0x258, 8, 0xfffffffffffff000ull);
	expect_fail(RAM_MAX, -ENOSPC,
		    "kernel vmlinuz: not relocatable (setup_header.relocatable_kernel 0) and its init_size 0x800000 at 0xfffffffffffff000 does not fit in 128 MiB of RAM");
	/* ... or it is not RAM in the map ... */
	cfg.nr_e820 = e820_low(0x1000000, map, LINUX_BOOT_E820_PC_MAX);
	put(image, 0x258, 8, 0xc00000);
	expect_fail(RAM_MAX, -ENOSPC, "kernel vmlinuz: 0xc00000-0x1400000 is not RAM in the e820 map");
	/* ... or pref_address is below 1 MiB or not page-aligned. */
	put(image, 0x258, 8, 0x80000);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: not relocatable and setup_header.pref_address 0x80000 is below 1 MiB or not page-aligned");
	put(image, 0x258, 8, 0x1000800);
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: not relocatable and setup_header.pref_address 0x1000800 is below 1 MiB or not page-aligned");
	/* 2.06 at 1 MiB in a guest of 1 MiB + 128 KiB: 192 KiB do not fit. */
	setup(RAM_MAX);
	make_image_version(0x0206);
	image[0x234] = 0;
	cfg.initrd = NULL;
	cfg.initrd_size = 0;
	expect_fail(0x120000, -ENOSPC,
		    "kernel vmlinuz: not relocatable (setup_header.relocatable_kernel 0) and its init_size 0x30000 at 0x100000 does not fit in 1 MiB of RAM");
}

/* ---- The 64-bit entry ------------------------------------------------- */

/*
 * Translates va through the 4-level tables at cr3 in ram as the CPU
 * would (long mode, 4 KiB, 2 MiB or 1 GiB pages); every level must be
 * present and writable. Returns the physical address, or ~0 if not
 * mapped.
 */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
	uint64_t table = cr3 & ~0xfffull;

	for (int level = 3; level >= 0; level--) {
		unsigned int shift = 12 + 9 * level;
		uint64_t e, frame;

		if (table >= RAM_MAX)
			return ~0ull;
		e = get(ram, table + ((va >> shift) & 511) * 8, 8);
		if ((e & 3) != 3)
			return ~0ull;
		frame = e & 0x000ffffffffff000ull;
		if (level == 0 || ((level == 1 || level == 2) && (e & 0x80)))
			return (frame & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
		table = frame;
	}
	return ~0ull;
}

static void test_entry64_state(void)
{
	/* __BOOT_CS 64-bit code: 0x9b with L and G (byte 6 0xaf). */
	static const uint8_t gdt[32] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 0, 0x9b, 0xaf, 0,
		0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
	};
	const uint64_t must[] = {
		PREF, PREF + 0x200, PREF + INIT_SIZE - 1, 0x6000, 0x7000, 0x7fff, 0x20000,
		0x2ffff, 0x7cff000, 0x7cff000 + sizeof(initrd) - 1, RAM_MAX - 1,
		0x9d000, 0xfffff000,
	};

	setup(RAM_MAX);
	memset(ram + 0x8000, 0xee, 0x6000);	/* the loader writes every entry */
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(info.entry_bits, 64);
	CHECK_EQ(info.entry, PREF + 0x200);
	CHECK_EQ(info.page_tables, 0x8000);
	CHECK_EQ(st.regs.rip, PREF + 0x200);
	CHECK_EQ(st.regs.gpr[GPR_RSI], 0x7000);
	CHECK_EQ(st.regs.rflags, 0x2);
	CHECK_EQ(st.cr0, 0x80000011);		/* PG | ET | PE */
	CHECK_EQ(st.cr3, 0x8000);
	CHECK_EQ(st.cr4, 0x20);			/* PAE */
	CHECK_EQ(st.efer, 0x500);		/* LMA | LME */
	CHECK_EQ(st.seg[SEG_CS].selector, 0x10);
	CHECK_EQ(st.seg[SEG_CS].attr, 0xa9b);	/* G, L, P, S, code */
	for (int s = SEG_ES; s <= SEG_GS; s++)
		if (s != SEG_CS)
			CHECK(st.seg[s].selector == 0x18 && st.seg[s].attr == 0xc93);
	CHECK(memcmp(ram + 0x6000, gdt, sizeof(gdt)) == 0);
	CHECK_EQ(st.gdtr.base, 0x6000);
	CHECK_EQ(st.idtr.limit, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(must); i++)
		CHECK_EQ(walk(st.cr3, must[i]), must[i]);
	/* Exactly the low 4 GiB, in 2 MiB pages: */
	for (uint64_t a = 0; a < (4ull << 30); a += 2u << 20)
		if (walk(st.cr3, a + 0x1234) != a + 0x1234)
			CHECK(!"identity map");
	CHECK_EQ(walk(st.cr3, 4ull << 30), ~0ull);
	CHECK_EQ(walk(st.cr3, 0xffffffff80000000ull), ~0ull);
	CHECK(all_bytes(ram + 0x8008, 0xff8, 0));		/* PML4[1..511] */
	CHECK(all_bytes(ram + 0x9000 + 4 * 8, 0xfe0, 0));	/* PDPT[4..511] */
	CHECK_EQ(get(ram, 0xa000, 8), 0x83);			/* PD 0: 0, P|RW|PS */
	CHECK_EQ(get(ram, 0xd000 + 511 * 8, 8), 0xffe00083);
	/* The tables stay clear of everything else the loader put down. */
	CHECK(info.kernel_addr >= 0xe000 && info.initrd_addr >= 0xe000);
	CHECK_EQ(get(ram + 0x7000, 0x206, 2), 0x020f);
}

static void test_entry_refusals(void)
{
	setup(RAM_MAX);
	make_image_version(0x020b);
	cfg.entry = LINUX_BOOT_ENTRY_64;
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: no 64-bit entry: setup_header.version 0x020b has no xloadflags (2.12)");
	setup(RAM_MAX);
	put(image, 0x236, 2, 0x7e);
	cfg.entry = LINUX_BOOT_ENTRY_64;
	expect_fail(RAM_MAX, -ENOEXEC,
		    "kernel vmlinuz: no 64-bit entry: setup_header.xloadflags 0x007e has XLF_KERNEL_64 clear");
	setup(RAM_MAX);
	cfg.entry = (enum linux_boot_entry)7;
	expect_fail(RAM_MAX, -EINVAL, "kernel vmlinuz: entry 7 is not a boot protocol entry");
	/* Asked for explicitly, the 64-bit entry is what the default gives. */
	setup(RAM_MAX);
	cfg.entry = LINUX_BOOT_ENTRY_64;
	CHECK_EQ(load(RAM_MAX), 0);
	CHECK_EQ(st.regs.rip, PREF + 0x200);
	CHECK_EQ(walk(st.cr3, PREF), PREF);
}

static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	uint8_t *buf;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) || !(buf = malloc((size_t)sb.st_size + 1)) ||
	    fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	*size = (size_t)sb.st_size;
	return buf;
}

#define REAL_KERNEL "build/linux/vmlinuz"
#define REAL_INITRD "build/linux/initrd.gz"

/* Debian's kernel (scripts/guest-image.sh) in a 256 MiB guest. */
static void test_real_debian_kernel(void)
{
	const uint64_t ram_size = 256u << 20;
	size_t ksize = 0, isize = 0;
	uint8_t *k = read_file(REAL_KERNEL, &ksize), *rd = read_file(REAL_INITRD, &isize);
	uint8_t *big = calloc(1, ram_size);
	struct e820_entry m[LINUX_BOOT_E820_PC_MAX];
	uint64_t pref;

	CHECK(k && big);
	if (!k || !big)
		goto out;
	cfg = (struct linux_boot_cfg){
		.kernel = k, .kernel_size = ksize, .kernel_name = "vmlinuz",
		.initrd = rd, .initrd_size = isize, .initrd_name = "initrd.gz",
		.cmdline = "console=ttyS0 quiet", .e820 = m,
	};
	cfg.nr_e820 = e820_low(ram_size, m, LINUX_BOOT_E820_PC_MAX);
	CHECK_EQ(linux_boot_load(big, ram_size, &cfg, &st, &info, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	pref = get(k, 0x258, 8);
	printf("  %s: %zu bytes, boot protocol %u.%02u, init_size 0x%llx, pref_address 0x%llx,"
	       " loaded at 0x%llx, initrd %zu bytes at 0x%llx\n",
	       REAL_KERNEL, ksize, info.protocol >> 8, info.protocol & 0xff,
	       (unsigned long long)get(k, 0x260, 4), (unsigned long long)pref,
	       (unsigned long long)info.kernel_addr, isize, (unsigned long long)info.initrd_addr);
	CHECK(info.protocol >= 0x020c);
	CHECK_EQ(info.kernel_addr, pref);
	/* The default entry of a 64-bit kernel: startup_64. */
	CHECK(get(k, 0x236, 2) & 1);
	CHECK_EQ(info.entry_bits, 64);
	CHECK_EQ(st.regs.rip, pref + 0x200);
	CHECK_EQ(st.cr3, 0x8000);
	/* The protected-mode part starts after (setup_sects + 1) sectors. */
	CHECK(memcmp(big + pref, k + (k[0x1f1] + 1) * 512, 4096) == 0);
	CHECK(memcmp(big + 0x7000 + 0x202, "HdrS", 4) == 0);
	if (rd)
		CHECK(memcmp(big + info.initrd_addr, rd, isize) == 0);
	/* The 32-bit entry, the one the integration scenarios do not take. */
	cfg.entry = LINUX_BOOT_ENTRY_32;
	memset(big, 0, ram_size);
	CHECK_EQ(linux_boot_load(big, ram_size, &cfg, &st, &info, err, sizeof(err)), 0);
	CHECK_EQ(info.entry_bits, 32);
	CHECK_EQ(st.regs.rip, pref);
	CHECK_EQ(st.cr0, 0x11);
	CHECK(all_bytes(big + 0x8000, 0x6000, 0));
out:
	free(big);
	free(rd);
	free(k);
}

int main(void)
{
	struct stat sb;

	ram = calloc(1, RAM_MAX);
	if (!ram)
		return 2;
	RUN(test_e820_pc_map);
	RUN(test_load_layout);
	RUN(test_boot_params);
	RUN(test_gdt_and_entry_state);
	RUN(test_placement_rules);
	RUN(test_bad_images);
	RUN(test_does_not_fit);
	RUN(test_cmdline_limits);
	RUN(test_bad_e820);
	RUN(test_every_version);
	RUN(test_not_relocatable);
	RUN(test_entry64_state);
	RUN(test_entry_refusals);
	if (stat(REAL_KERNEL, &sb) == 0)
		RUN(test_real_debian_kernel);
	else
		printf("SKIP test_linux_boot:test_real_debian_kernel (no %s: make guest-image)\n",
		       REAL_KERNEL);
	free(ram);
	return check_done();
}
