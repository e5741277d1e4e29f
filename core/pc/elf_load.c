/*
 * The ELF program-header loader (what it accepts: core/pc/elf_load.h).
 *
 * Runs anywhere; no locks, no allocation. Field offsets are those of
 * Elf32_Ehdr/Elf64_Ehdr and Elf32_Phdr/Elf64_Phdr in the System V ABI
 * (the generic ELF specification); every field is read byte by byte, so
 * the file needs no alignment.
 */
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/pc/elf_load.h"

#define EI_CLASS		4
#define EI_DATA			5
#define EI_VERSION		6
#define ELFCLASS32		1
#define ELFCLASS64		2
#define ELFDATA2LSB		1
#define EV_CURRENT		1
#define ET_EXEC			2
#define EM_386			3
#define EM_X86_64		62
#define PT_LOAD			1
#define PT_NOTE			4
#define NOTE_HDR		12	/* namesz, descsz, type */

/* ELF header fields: offsets for ELF32, ELF64. */
#define EH_TYPE			0x10	/* u16, both */
#define EH_MACHINE		0x12	/* u16, both */
#define EH32_ENTRY		0x18
#define EH32_PHOFF		0x1c
#define EH32_PHENTSIZE		0x2a
#define EH32_PHNUM		0x2c
#define EH32_SIZE		0x34
#define EH64_ENTRY		0x18
#define EH64_PHOFF		0x20
#define EH64_PHENTSIZE		0x36
#define EH64_PHNUM		0x38
#define EH64_SIZE		0x40

/* Program header fields. */
#define PH32_SIZE		0x20	/* type, offset, vaddr, paddr, filesz, memsz */
#define PH64_SIZE		0x38	/* type, flags, offset, vaddr, paddr, filesz, memsz */

#define ELF_PHYS_LIMIT		(4ull << 30)

static uint64_t elf_get(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

static int __printf(4, 5) elf_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		hv_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

bool elf_load_is_elf(const uint8_t *file, size_t size)
{
	return size >= 4 && file[0] == 0x7f && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
}

/* e_ident and the header's type and machine. */
static int elf_check_ident(const uint8_t *f, size_t size, const char *name, unsigned int *bits,
			   char *err, size_t errlen)
{
	unsigned int machine;

	if (!elf_load_is_elf(f, size))
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: not an ELF file (no \\x7fELF at 0)", name);
	if (size < EH32_SIZE)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: truncated: an ELF header needs %u bytes, the file has %zu",
				name, EH32_SIZE, size);
	if (f[EI_CLASS] != ELFCLASS32 && f[EI_CLASS] != ELFCLASS64)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF class %u is neither ELF32 (1) nor ELF64 (2)",
				name, f[EI_CLASS]);
	*bits = f[EI_CLASS] == ELFCLASS32 ? 32 : 64;
	if (*bits == 64 && size < EH64_SIZE)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: truncated: an ELF64 header needs %u bytes, the file has %zu",
				name, EH64_SIZE, size);
	if (f[EI_DATA] != ELFDATA2LSB)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF data encoding %u is not little-endian (1)",
				name, f[EI_DATA]);
	if (f[EI_VERSION] != EV_CURRENT)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF version %u is not 1", name, f[EI_VERSION]);
	if (elf_get(f + EH_TYPE, 2) != ET_EXEC)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF e_type %llu is not ET_EXEC (2)",
				name, (unsigned long long)elf_get(f + EH_TYPE, 2));
	machine = (unsigned int)elf_get(f + EH_MACHINE, 2);
	if (machine != (*bits == 32 ? EM_386 : EM_X86_64))
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF%u e_machine %u is not %s (%u)",
				name, *bits, machine, *bits == 32 ? "EM_386" : "EM_X86_64",
				*bits == 32 ? EM_386 : EM_X86_64);
	return 0;
}

/* One PT_LOAD program header at ph into *seg. */
static void elf_read_phdr(const uint8_t *ph, unsigned int bits, struct elf_segment *seg)
{
	if (bits == 32) {
		seg->offset = elf_get(ph + 0x04, 4);
		seg->vaddr = elf_get(ph + 0x08, 4);
		seg->paddr = elf_get(ph + 0x0c, 4);
		seg->filesz = elf_get(ph + 0x10, 4);
		seg->memsz = elf_get(ph + 0x14, 4);
	} else {
		seg->offset = elf_get(ph + 0x08, 8);
		seg->vaddr = elf_get(ph + 0x10, 8);
		seg->paddr = elf_get(ph + 0x18, 8);
		seg->filesz = elf_get(ph + 0x20, 8);
		seg->memsz = elf_get(ph + 0x28, 8);
	}
}

static int elf_check_segment(const struct elf_segment *s, unsigned int i, size_t size,
			     const char *name, char *err, size_t errlen)
{
	if (s->filesz > s->memsz)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF segment %u: p_filesz 0x%llx exceeds p_memsz 0x%llx",
				name, i, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > size || s->filesz > size - s->offset)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF segment %u: p_offset 0x%llx + p_filesz 0x%llx is beyond the file's %zu bytes",
				name, i, (unsigned long long)s->offset, (unsigned long long)s->filesz, size);
	if (s->paddr >= ELF_PHYS_LIMIT || s->memsz > ELF_PHYS_LIMIT - s->paddr)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF segment %u: p_paddr 0x%llx + p_memsz 0x%llx reaches above 4 GiB",
				name, i, (unsigned long long)s->paddr, (unsigned long long)s->memsz);
	return 0;
}

int elf_load_parse(const uint8_t *f, size_t size, const char *name, struct elf_image *out,
		   char *err, size_t errlen)
{
	uint64_t phoff, phentsize, phnum;
	unsigned int bits = 0, i;
	int ret;

	name = name ? name : "(unnamed)";
	ret = elf_check_ident(f, size, name, &bits, err, errlen);
	if (ret)
		return ret;
	out->bits = bits;
	out->nr_segs = 0;
	out->entry = elf_get(f + (bits == 32 ? EH32_ENTRY : EH64_ENTRY), bits / 8);
	phoff = elf_get(f + (bits == 32 ? EH32_PHOFF : EH64_PHOFF), bits / 8);
	phentsize = elf_get(f + (bits == 32 ? EH32_PHENTSIZE : EH64_PHENTSIZE), 2);
	phnum = elf_get(f + (bits == 32 ? EH32_PHNUM : EH64_PHNUM), 2);
	if (phentsize < (bits == 32 ? PH32_SIZE : PH64_SIZE))
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF e_phentsize %llu is below %u",
				name, (unsigned long long)phentsize, bits == 32 ? PH32_SIZE : PH64_SIZE);
	if (phoff > size || phnum * phentsize > size - phoff)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: ELF program headers (e_phoff 0x%llx, %llu of %llu bytes) are beyond the file's %zu bytes",
				name, (unsigned long long)phoff, (unsigned long long)phnum,
				(unsigned long long)phentsize, size);
	out->phoff = phoff;
	out->phentsize = phentsize;
	out->phnum = phnum;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = f + phoff + i * phentsize;
		struct elf_segment s;

		if (elf_get(ph, 4) != PT_LOAD)
			continue;
		elf_read_phdr(ph, bits, &s);
		ret = elf_check_segment(&s, i, size, name, err, errlen);
		if (ret)
			return ret;
		if (!s.memsz)
			continue;
		if (out->nr_segs == ELF_LOAD_SEGS_MAX)
			return elf_fail(err, errlen, -ENOEXEC, "kernel %s: more than %u ELF PT_LOAD segments",
					name, ELF_LOAD_SEGS_MAX);
		out->seg[out->nr_segs++] = s;
	}
	if (!out->nr_segs)
		return elf_fail(err, errlen, -ENOEXEC, "kernel %s: no ELF PT_LOAD segment with p_memsz > 0", name);
	return 0;
}

/* The notes in file[off .. off + len): see elf_load_find_note(). */
static bool elf_find_note_in(const uint8_t *f, uint64_t off, uint64_t len, const char *name,
			     uint32_t type, const uint8_t **desc, uint32_t *descsz)
{
	size_t nlen = strlen(name) + 1;
	uint64_t pos = 0;

	while (len - pos >= NOTE_HDR) {
		const uint8_t *n = f + off + pos;
		uint64_t namesz = elf_get(n, 4), dsz = elf_get(n + 4, 4);
		uint64_t nsz4 = ALIGN_UP(namesz, 4ull), dsz4 = ALIGN_UP(dsz, 4ull);

		if (nsz4 + dsz4 > len - pos - NOTE_HDR)
			return false;
		if (elf_get(n + 8, 4) == type && namesz == nlen &&
		    memcmp(n + NOTE_HDR, name, nlen) == 0) {
			*desc = n + NOTE_HDR + nsz4;
			*descsz = (uint32_t)dsz;
			return true;
		}
		pos += NOTE_HDR + nsz4 + dsz4;
	}
	return false;
}

bool elf_load_find_note(const uint8_t *file, size_t size, const struct elf_image *img,
			const char *name, uint32_t type, const uint8_t **desc, uint32_t *descsz)
{
	for (uint64_t i = 0; i < img->phnum; i++) {
		const uint8_t *ph = file + img->phoff + i * img->phentsize;
		uint64_t off, len;

		if (elf_get(ph, 4) != PT_NOTE)
			continue;
		off = elf_get(ph + (img->bits == 32 ? 0x04 : 0x08), img->bits / 8);
		len = elf_get(ph + (img->bits == 32 ? 0x10 : 0x20), img->bits / 8);
		if (off > size || len > size - off)
			continue;
		if (elf_find_note_in(file, off, len, name, type, desc, descsz))
			return true;
	}
	return false;
}

bool elf_load_to_phys(const struct elf_image *img, uint64_t vaddr, uint64_t *paddr)
{
	for (unsigned int i = 0; i < img->nr_segs; i++) {
		const struct elf_segment *s = &img->seg[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->memsz) {
			*paddr = s->paddr + (vaddr - s->vaddr);
			return true;
		}
	}
	return false;
}

void elf_load_write(uint8_t *ram, const uint8_t *file, const struct elf_image *img)
{
	for (unsigned int i = 0; i < img->nr_segs; i++) {
		const struct elf_segment *s = &img->seg[i];

		memcpy(ram + s->paddr, file + s->offset, s->filesz);
		memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
	}
}
