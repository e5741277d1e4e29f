/*
 * ELF32 and ELF64 executables read by their program headers, for the
 * loaders of kernels that come as ELF files (Multiboot, core/pc/multiboot.h).
 * Only what a boot loader needs: the PT_LOAD segments by physical address
 * (p_paddr: filesz bytes from the file, memsz - filesz zeroed after them)
 * and the entry point. Little-endian x86 files only: ELF32 for EM_386,
 * ELF64 for EM_X86_64, type ET_EXEC.
 *
 * Runs anywhere (boot CPU when a VM is built; hosted tests, fuzzing); no
 * locks, no allocation, no global state.
 */
#ifndef CORE_PC_ELF_LOAD_H
#define CORE_PC_ELF_LOAD_H

#include "core/lib/compiler.h"

#define ELF_LOAD_SEGS_MAX	16	/* PT_LOAD segments with memsz > 0 */

struct elf_segment {
	uint64_t paddr, vaddr;	/* guest-physical load address; link address */
	uint64_t offset;	/* in the file */
	uint64_t filesz, memsz;	/* filesz <= memsz */
};

struct elf_image {
	unsigned int bits;	/* 32 or 64 */
	uint64_t entry;		/* e_entry, a link (virtual) address */
	unsigned int nr_segs;
	struct elf_segment seg[ELF_LOAD_SEGS_MAX];
	uint64_t phoff, phentsize, phnum;	/* the program headers, checked */
};

/* True if the file starts with the ELF magic (whatever follows). */
bool elf_load_is_elf(const uint8_t *file, size_t size);

/*
 * Reads the headers of the ELF executable file (size bytes; name for
 * messages) into *out. Returns 0, or -ENOEXEC with a one-line message in
 * err naming the file, the field and its value: not ELF, not a
 * little-endian x86 executable, program headers or a segment outside the
 * file, filesz above memsz, a segment wrapping around or reaching above
 * 4 GiB, more than ELF_LOAD_SEGS_MAX segments, none at all. On error *out
 * is unspecified.
 */
int elf_load_parse(const uint8_t *file, size_t size, const char *name, struct elf_image *out,
		   char *err, size_t errlen);

/*
 * The physical address of the link address vaddr: vaddr translated by the
 * segment whose [vaddr, vaddr + memsz) holds it. False if none does.
 */
bool elf_load_to_phys(const struct elf_image *img, uint64_t vaddr, uint64_t *paddr);

/*
 * Looks for a note of type type whose name is name in the PT_NOTE segments
 * of a parsed file: true with its descriptor at *desc (in the file) and
 * its size at *descsz, false if there is none. A note that runs past its
 * segment or the file ends the search of that segment.
 */
bool elf_load_find_note(const uint8_t *file, size_t size, const struct elf_image *img,
			const char *name, uint32_t type, const uint8_t **desc, uint32_t *descsz);

/*
 * Copies the segments of a parsed file into guest RAM at ram (guest-
 * physical 0), zeroing each one's memsz - filesz tail. The caller has
 * checked that every segment lies in RAM.
 */
void elf_load_write(uint8_t *ram, const uint8_t *file, const struct elf_image *img);

#endif
