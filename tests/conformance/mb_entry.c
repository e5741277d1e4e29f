/*
 * Conformance kernel "mb_entry": the machine state and the information
 * structure a Multiboot v1 loader hands over. The run passes
 *   -append "alpha=1 beta=two"
 *   -initrd "tests/conformance/mb_mod_a.txt one=1,tests/conformance/mb_mod_b.txt"
 * and this kernel checks them against what it expects (MB_ARGS, mods[]).
 */
#include "conf.h"

const char conf_kernel[] = "mb_entry";

#define MB_BOOT_MAGIC   0x2badb002
#define MBI_MEM         BIT(0)
#define MBI_CMDLINE     BIT(2)
#define MBI_MODS        BIT(3)
#define MBI_AOUT_SYMS   BIT(4)
#define MBI_ELF_SYMS    BIT(5)
#define MBI_MMAP        BIT(6)
#define MBI_LOADER_NAME BIT(9)
#define MMAP_AVAILABLE  1
#define CR0_PE          BIT(0)
#define CR0_PG          BIT(31)
#define EFLAGS_IF       BIT(9)
#define EFLAGS_VM       BIT(17)
#define EFLAGS_FIXED1   BIT(1)
#define KIB             1024u
#define MIB             (1024u * 1024u)
#define PAGE            4096u
#define MB_ARGS         "alpha=1 beta=two"

struct mbi {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	u32 boot_loader_name;
} __attribute__((packed));
_Static_assert(__builtin_offsetof(struct mbi, mmap_length) == 44, "Multiboot info layout");
_Static_assert(__builtin_offsetof(struct mbi, boot_loader_name) == 64, "Multiboot info layout");

struct mb_mod {
	u32 start, end, string, reserved;
};

struct mb_mmap {
	u32 size;
	u64 addr, len;
	u32 type;
} __attribute__((packed));

static const struct {
	const char *file, *args, *contents;
} mods[] = {
	{ "mb_mod_a.txt", "one=1", "conformance module A: the first of two\n" },
	{ "mb_mod_b.txt", "", "conformance module B\n" },
};

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

static void test_state(u32 magic)
{
	struct mb_entry_state *st = &mb_entry_state;

	check("magic", magic == MB_BOOT_MAGIC, "EAX 0x%x, expected 0x%x", magic, MB_BOOT_MAGIC);
	check("cr0", (st->cr0 & CR0_PE) && !(st->cr0 & CR0_PG),
	      "CR0 0x%x: PE must be set, PG clear", st->cr0);
	check("eflags", !(st->eflags & (EFLAGS_IF | EFLAGS_VM)) && (st->eflags & EFLAGS_FIXED1),
	      "EFLAGS 0x%x: IF and VM must be clear", st->eflags);
	check("cpl0", (st->cs & 3) == 0 && (st->ss & 3) == 0, "CS 0x%x SS 0x%x: RPL must be 0",
	      st->cs, st->ss);
	printf("entry: CS 0x%x DS 0x%x ES 0x%x FS 0x%x GS 0x%x SS 0x%x\n",
	       st->cs, st->ds, st->es, st->fs, st->gs, st->ss);
	/* entry.S wrote SEG_MARK through each; with a base other than 0 it
	 * went elsewhere. A limit under 4 GiB faulted there already. */
	for (u32 i = 0; i < 5; i++)
		if (st->seg_mark[i] != SEG_MARK) {
			fail("segments_flat", "%s base is not 0 (mark 0x%x)",
			     (const char *[]){ "DS", "ES", "FS", "GS", "SS" }[i], st->seg_mark[i]);
			return;
		}
	pass("segments_flat");
}

static void test_cmdline(const struct mbi *mbi)
{
	const char *c;
	size_t n;

	if (!check("cmdline_flag", mbi->flags & MBI_CMDLINE, "flags 0x%x: no command line", mbi->flags))
		return;
	c = (const char *)mbi->cmdline;
	n = strlen(c);
	/* QEMU and GRUB put the kernel's path first: "path alpha=1 beta=two". */
	check("cmdline", !strcmp(c, MB_ARGS) || ends_with(c, n, " " MB_ARGS),
	      "\"%s\", expected \"%s\" (after the kernel's path)", c, MB_ARGS);
}

static u64 avail_end_from(const struct mbi *mbi, u64 start)
{
	u32 p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;

	while (p < end) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;
		if (e->type == MMAP_AVAILABLE && e->addr <= start && e->addr + e->len > start)
			return avail_end_from(mbi, e->addr + e->len);
		p += e->size + 4;
	}
	return start;
}

static void test_memory(const struct mbi *mbi)
{
	u32 p, end, n = 0, bad = 0;
	u64 low_end, high_end, upper;

	if (!check("mem_flag", mbi->flags & MBI_MEM, "flags 0x%x: mem_lower/upper absent", mbi->flags))
		return;
	if (!check("mmap_flag", mbi->flags & MBI_MMAP, "flags 0x%x: no memory map", mbi->flags))
		return;
	p = mbi->mmap_addr;
	end = p + mbi->mmap_length;
	for (; p < end; p += ((const struct mb_mmap *)p)->size + 4, n++) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;
		printf("mmap: 0x%llx+0x%llx type %u\n", e->addr, e->len, e->type);
		if (e->size < 20)
			bad = 1;
		/* The legacy video and BIOS area, 0xa0000-0xfffff, is never RAM. */
		if (e->type == MMAP_AVAILABLE && e->addr < MIB && e->addr + e->len > 0xa0000)
			bad = 1;
	}
	check("mmap", n && !bad, "%u entries; a short entry or available memory at 0xa0000-0xfffff", n);
	/*
	 * mem_lower/upper and the map describe the same memory. The spec lets
	 * mem_upper stop short of the first hole; loaders also count a few KiB
	 * the map reserves (an EBDA below 640 KiB, firmware data at the top of
	 * RAM) into them. So the available run from 0 must end within 128 KiB
	 * of mem_lower, and the run from 1 MiB within 1 MiB of mem_upper.
	 */
	low_end = avail_end_from(mbi, 0);
	check("mem_lower", mbi->mem_lower <= 640 && low_end <= mbi->mem_lower * KIB &&
	      low_end + 128 * KIB >= mbi->mem_lower * KIB,
	      "mem_lower %u KiB, the map's available memory from 0 ends at 0x%llx",
	      mbi->mem_lower, low_end);
	high_end = avail_end_from(mbi, MIB);
	upper = MIB + (u64)mbi->mem_upper * KIB;
	check("mem_upper", mbi->mem_upper && high_end <= upper && high_end + MIB >= upper,
	      "mem_upper %u KiB (to 0x%llx), the map's available memory from 1 MiB ends at 0x%llx",
	      mbi->mem_upper, upper, high_end);
}

static void test_mods(const struct mbi *mbi)
{
	const struct mb_mod *m;

	if (!check("mods_flag", mbi->flags & MBI_MODS, "flags 0x%x: no modules", mbi->flags))
		return;
	if (!check("mods_count", mbi->mods_count == ARRAY_SIZE(mods), "%u modules, expected %u",
		   mbi->mods_count, (u32)ARRAY_SIZE(mods)))
		return;
	m = (const struct mb_mod *)mbi->mods_addr;
	for (u32 i = 0; i < ARRAY_SIZE(mods); i++) {
		const char *s = (const char *)m[i].string, *sp;
		char name[24];
		size_t len = m[i].end - m[i].start, want = strlen(mods[i].contents), word;

		snprintf(name, sizeof(name), "mod%u_string", i);
		sp = s;
		while (*sp && *sp != ' ')
			sp++;
		word = (size_t)(sp - s);
		while (*sp == ' ')
			sp++;
		check(name, ends_with(s, word, mods[i].file) && !strcmp(sp, mods[i].args),
		      "\"%s\", expected \".../%s%s%s\"", s, mods[i].file, *mods[i].args ? " " : "",
		      mods[i].args);
		snprintf(name, sizeof(name), "mod%u_contents", i);
		check(name, len == want && !memcmp((void *)m[i].start, mods[i].contents, want),
		      "0x%x-0x%x: %u bytes, expected %u of \"%s\"", m[i].start, m[i].end,
		      (u32)len, (u32)want, mods[i].file);
		snprintf(name, sizeof(name), "mod%u_placement", i);
		check(name, !(m[i].start & (PAGE - 1)) && m[i].end >= m[i].start &&
		      (m[i].start >= (u32)_kernel_end || m[i].end <= (u32)_kernel_start),
		      "0x%x-0x%x: not page-aligned (header flag 0) or over the kernel 0x%x-0x%x",
		      m[i].start, m[i].end, (u32)_kernel_start, (u32)_kernel_end);
	}
}

/* With A20 off, an address and the same one plus 1 MiB are one byte. */
static void test_a20(const struct mbi *mbi)
{
	u32 top = (u32)_kernel_end;
	const struct mb_mod *m = (const struct mb_mod *)mbi->mods_addr;
	volatile u32 *lo, *hi;

	if (mbi->flags & MBI_MODS)
		for (u32 i = 0; i < mbi->mods_count; i++)
			if (m[i].end > top)
				top = m[i].end;
	top = (top + 2 * MIB - 1) & ~(2 * MIB - 1);
	if (top + MIB + 4 > MIB + mbi->mem_upper * KIB) {
		skip("a20", "no free memory above the modules");
		return;
	}
	lo = (volatile u32 *)top;
	hi = (volatile u32 *)(top + MIB);
	*lo = 0x11111111;
	*hi = 0x22222222;
	check("a20", *lo == 0x11111111 && *hi == 0x22222222,
	      "0x%x reads 0x%x after a write to 0x%x: A20 masked", top, *lo, top + MIB);
}

void kmain(u32 magic, u32 info)
{
	const struct mbi *mbi = (const struct mbi *)info;

	test_state(magic);
	if (magic != MB_BOOT_MAGIC)
		return;
	printf("info at 0x%x, flags 0x%x\n", info, mbi->flags);
	check("flags_syms", (mbi->flags & (MBI_AOUT_SYMS | MBI_ELF_SYMS)) !=
	      (MBI_AOUT_SYMS | MBI_ELF_SYMS), "flags 0x%x: bits 4 and 5 are exclusive", mbi->flags);
	test_cmdline(mbi);
	test_memory(mbi);
	test_mods(mbi);
	test_a20(mbi);
	if (check("loader_name_flag", mbi->flags & MBI_LOADER_NAME, "flags 0x%x: no boot loader name",
		  mbi->flags)) {
		const char *name = (const char *)mbi->boot_loader_name;
		printf("boot loader: %s\n", name);
		check("loader_name", name[0] != '\0', "empty boot loader name");
	}
}
