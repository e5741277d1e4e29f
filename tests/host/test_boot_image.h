/*
 * Synthetic kernels for the hosted tests of the Multiboot and PVH loaders
 * (tests/host/test_multiboot*.c, test_pvh.c): an ELF32 or ELF64
 * executable with an identity-linked segment at 1 MiB that has a bss, a
 * PT_NOTE, and a segment linked high (0xc0200000) but loaded at 2 MiB,
 * its entry point a link address in that segment. Little-endian field
 * writers; the layouts are written out from the ELF specification.
 */
#ifndef TESTS_HOST_TEST_BOOT_IMAGE_H
#define TESTS_HOST_TEST_BOOT_IMAGE_H

#include <stdint.h>
#include <string.h>

#define FILE_MAX	0x4000
#define SEG0_OFF	0x1000
#define SEG0_PADDR	0x100000u
#define SEG0_FILESZ	0x1000u
#define SEG0_MEMSZ	0x3000u
#define SEG1_OFF	0x2000
#define SEG1_PADDR	0x200000u
#define SEG1_VADDR	0xc0200000u	/* linked high, loaded at SEG1_PADDR */
#define SEG1_SIZE	0x800u
#define ENTRY_OFF	0x10		/* into segment 1 */
#define NOTE_OFF	0x3000		/* the PT_NOTE's bytes */
#define NOTE_SIZE	0x40

static uint8_t file[FILE_MAX];
static size_t file_size;

static inline void put(uint8_t *p, size_t off, unsigned int bytes, uint64_t v)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get(const uint8_t *p, size_t off, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)p[off + i] << (8 * i);
	return v;
}

static inline void fill_random(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A program header (ELF32 or ELF64 layout) number i. */
static inline void put_phdr(unsigned int bits, unsigned int i, uint32_t type, uint64_t off,
			    uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	size_t ph = (bits == 32 ? 0x34 : 0x40) + i * (bits == 32 ? 0x20 : 0x38);

	put(file, ph, 4, type);
	if (bits == 32) {
		put(file, ph + 0x04, 4, off);
		put(file, ph + 0x08, 4, vaddr);
		put(file, ph + 0x0c, 4, paddr);
		put(file, ph + 0x10, 4, filesz);
		put(file, ph + 0x14, 4, memsz);
		put(file, ph + 0x18, 4, 7);	/* p_flags RWX */
	} else {
		put(file, ph + 0x04, 4, 7);
		put(file, ph + 0x08, 8, off);
		put(file, ph + 0x10, 8, vaddr);
		put(file, ph + 0x18, 8, paddr);
		put(file, ph + 0x20, 8, filesz);
		put(file, ph + 0x28, 8, memsz);
	}
}

/* The ELF file described above, with no boot header yet; the note is empty. */
static inline void make_elf_file(unsigned int bits)
{
	memset(file, 0, sizeof(file));
	fill_random(file + SEG0_OFF, SEG0_FILESZ + SEG1_SIZE + 0x800, 7);
	memset(file + NOTE_OFF, 0, NOTE_SIZE);
	memcpy(file, "\x7f" "ELF", 4);
	file[4] = bits == 32 ? 1 : 2;
	file[5] = 1;
	file[6] = 1;
	put(file, 0x10, 2, 2);				/* ET_EXEC */
	put(file, 0x12, 2, bits == 32 ? 3 : 62);	/* EM_386, EM_X86_64 */
	put(file, 0x14, 4, 1);
	if (bits == 32) {
		put(file, 0x18, 4, SEG1_VADDR + ENTRY_OFF);
		put(file, 0x1c, 4, 0x34);		/* e_phoff */
		put(file, 0x28, 2, 0x34);		/* e_ehsize */
		put(file, 0x2a, 2, 0x20);		/* e_phentsize */
		put(file, 0x2c, 2, 3);			/* e_phnum */
	} else {
		put(file, 0x18, 8, SEG1_VADDR + ENTRY_OFF);
		put(file, 0x20, 8, 0x40);
		put(file, 0x34, 2, 0x40);
		put(file, 0x36, 2, 0x38);
		put(file, 0x38, 2, 3);
	}
	put_phdr(bits, 0, 1, SEG0_OFF, SEG0_PADDR, SEG0_PADDR, SEG0_FILESZ, SEG0_MEMSZ);
	put_phdr(bits, 1, 4, NOTE_OFF, 0, 0, NOTE_SIZE, NOTE_SIZE);	/* PT_NOTE */
	put_phdr(bits, 2, 1, SEG1_OFF, SEG1_VADDR, SEG1_PADDR, SEG1_SIZE, SEG1_SIZE);
	file_size = NOTE_OFF + NOTE_SIZE;
}

#endif
