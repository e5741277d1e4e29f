/*
 * UEFI path: a GNU-EFI application. While boot services run it collects
 * the command line, the ACPI RSDP, a page below 1 MiB for the AP
 * trampoline and the files of the ESP's \hv directory; then it takes the
 * memory map, exits boot services, switches to its own stack and calls
 * hv_main(). Boot CPU, UEFI's identity paging, interrupts off after exit.
 *
 * Command line: the image's load options if any (minus a leading
 * "*.efi" token that the UEFI shell adds), else \hv\cmdline.txt.
 */
#include <efi.h>

#include "core/lib/boot.h"
#include "core/lib/string.h"

#define EFI_BOOT_STACK_SIZE (32 * 1024)
#define HV_DIR L"\\hv"
#define CMDLINE_FILE "cmdline.txt"
#define LOW_MEM_LIMIT 0x9f000ull
#define FILE_INFO_BUF 1024

static EFI_GUID efi_loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID efi_fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID efi_acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID efi_acpi10_guid = ACPI_TABLE_GUID;

static struct boot_record efi_boot_record;
static uint8_t efi_boot_stack[EFI_BOOT_STACK_SIZE] __aligned(16);

static EFI_SYSTEM_TABLE *st;

static void efi_puts(const char *s)
{
	CHAR16 buf[128];
	size_t i = 0;

	while (*s) {
		if (*s == '\n' && i < ARRAY_SIZE(buf) - 3)
			buf[i++] = '\r';
		buf[i++] = (CHAR16)*s++;
		if (i >= ARRAY_SIZE(buf) - 2 || !*s) {
			buf[i] = 0;
			uefi_call_wrapper(st->ConOut->OutputString, 2, st->ConOut, buf);
			i = 0;
		}
	}
}

static bool efi_guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void efi_ucs2_to_ascii(char *dst, size_t size, const CHAR16 *src, size_t max_chars)
{
	size_t i;

	for (i = 0; i + 1 < size && i < max_chars && src[i]; i++)
		dst[i] = src[i] < 0x80 ? (char)src[i] : '?';
	dst[i] = '\0';
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ascii_ieq_n(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (ascii_lower(*a) != ascii_lower(*b))
			return false;
		if (!*a)
			return true;
	}
	return true;
}

static bool ascii_ieq(const char *a, const char *b)
{
	return ascii_ieq_n(a, b, (size_t)-1);
}

/* Drops a first token naming the .efi image, as the UEFI shell passes it. */
static void efi_strip_image_name(char *s)
{
	char *sp = s;

	while (*sp && *sp != ' ')
		sp++;
	if (sp - s < 4 || !ascii_ieq_n(sp - 4, ".efi", 4))
		return;
	while (*sp == ' ')
		sp++;
	memmove(s, sp, strlen(sp) + 1);
}

static void efi_find_rsdp(struct boot_record *b)
{
	UINTN i;

	for (i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];

		if (efi_guid_eq(&t->VendorGuid, &efi_acpi20_guid)) {
			b->acpi_rsdp = (paddr_t)(uintptr_t)t->VendorTable;
			return;
		}
		if (efi_guid_eq(&t->VendorGuid, &efi_acpi10_guid))
			b->acpi_rsdp = (paddr_t)(uintptr_t)t->VendorTable;
	}
}

static void efi_alloc_trampoline(struct boot_record *b)
{
	EFI_PHYSICAL_ADDRESS pa = LOW_MEM_LIMIT - 1;
	EFI_STATUS s;

	s = uefi_call_wrapper(st->BootServices->AllocatePages, 4, AllocateMaxAddress,
			      EfiLoaderData, 1, &pa);
	if (!EFI_ERROR(s) && pa >= 0x1000)
		b->trampoline = pa;
}

/* Reads one file of \hv into pages of its own (EfiLoaderData: kept). */
static void efi_load_file(struct boot_record *b, EFI_FILE_HANDLE dir, EFI_FILE_INFO *fi)
{
	EFI_PHYSICAL_ADDRESS pa = 0;
	EFI_FILE_HANDLE fh;
	struct boot_file *f;
	char name[sizeof(f->name)];
	UINTN size = fi->FileSize;
	UINTN pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	EFI_STATUS s;

	efi_ucs2_to_ascii(name, sizeof(name), fi->FileName, sizeof(name));
	s = uefi_call_wrapper(dir->Open, 5, dir, &fh, fi->FileName, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s))
		return;
	if (ascii_ieq(name, CMDLINE_FILE)) {
		if (!b->cmdline[0]) {
			UINTN n = sizeof(b->cmdline) - 1;

			uefi_call_wrapper(fh->Read, 3, fh, &n, b->cmdline);
			b->cmdline[n] = '\0';
			for (char *c = b->cmdline; *c; c++)
				if (*c == '\r' || *c == '\n' || *c == '\t')
					*c = ' ';
		}
		goto close;
	}
	if (b->n_files >= BOOT_MAX_FILES)
		goto close;
	s = uefi_call_wrapper(st->BootServices->AllocatePages, 4, AllocateAnyPages,
			      EfiLoaderData, pages ? pages : 1, &pa);
	if (EFI_ERROR(s))
		goto close;
	s = uefi_call_wrapper(fh->Read, 3, fh, &size, (void *)(uintptr_t)pa);
	if (EFI_ERROR(s))
		goto close;
	f = &b->files[b->n_files++];
	memcpy(f->name, name, sizeof(f->name));
	f->base = pa;
	f->size = size;
close:
	uefi_call_wrapper(fh->Close, 1, fh);
}

static void efi_load_files(struct boot_record *b, EFI_LOADED_IMAGE *li)
{
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root, dir;
	UINT64 buf[FILE_INFO_BUF / 8];
	EFI_STATUS s;

	s = uefi_call_wrapper(st->BootServices->HandleProtocol, 3, li->DeviceHandle,
			      &efi_fs_guid, (void **)&fs);
	if (EFI_ERROR(s))
		return;
	s = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root);
	if (EFI_ERROR(s))
		return;
	s = uefi_call_wrapper(root->Open, 5, root, &dir, HV_DIR, EFI_FILE_MODE_READ, 0);
	if (!EFI_ERROR(s)) {
		for (;;) {
			UINTN size = sizeof(buf);
			EFI_FILE_INFO *fi = (EFI_FILE_INFO *)buf;

			s = uefi_call_wrapper(dir->Read, 3, dir, &size, buf);
			if (EFI_ERROR(s) || size == 0)
				break;
			if (!(fi->Attribute & EFI_FILE_DIRECTORY))
				efi_load_file(b, dir, fi);
		}
		uefi_call_wrapper(dir->Close, 1, dir);
	}
	uefi_call_wrapper(root->Close, 1, root);
}

static uint32_t efi_mem_type(UINT32 type)
{
	switch (type) {
	case EfiConventionalMemory:
		return BOOT_MEM_USABLE;
	case EfiLoaderCode:
	case EfiLoaderData:
		return BOOT_MEM_LOADED;
	case EfiBootServicesCode:
	case EfiBootServicesData:
		/* UEFI's page tables, GDT and IDT live there until hv has its own. */
		return BOOT_MEM_FIRMWARE_RECLAIM;
	case EfiACPIReclaimMemory:
		return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:
		return BOOT_MEM_ACPI_NVS;
	case EfiUnusableMemory:
		return BOOT_MEM_BAD;
	default:
		return BOOT_MEM_RESERVED;
	}
}

static void efi_convert_map(struct boot_record *b, const uint8_t *map, UINTN map_size,
			    UINTN desc_size)
{
	UINTN off;

	b->n_mem = 0;
	for (off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		uint32_t type = efi_mem_type(d->Type);
		struct boot_mem_region *last = b->n_mem ? &b->mem[b->n_mem - 1] : NULL;
		uint64_t size = d->NumberOfPages * PAGE_SIZE;

		if (last && last->type == type && last->base + last->size == d->PhysicalStart) {
			last->size += size;
			continue;
		}
		if (b->n_mem >= BOOT_MAX_MEM_REGIONS) {
			hv_strlcpy(b->error, "UEFI memory map truncated", sizeof(b->error));
			return;
		}
		b->mem[b->n_mem].base = d->PhysicalStart;
		b->mem[b->n_mem].size = size;
		b->mem[b->n_mem].type = type;
		b->n_mem++;
	}
}

static __noreturn void efi_enter_hv(struct boot_record *b)
{
	__asm__ __volatile__(
		"movq %0, %%rsp\n\t"
		"xorl %%ebp, %%ebp\n\t"
		"pushq $0\n\t"
		"call hv_main\n\t"
		:
		: "r"(efi_boot_stack + EFI_BOOT_STACK_SIZE), "D"(b)
		: "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct boot_record *b = &efi_boot_record;
	EFI_LOADED_IMAGE *li = NULL;
	UINTN map_size = 0, map_key, desc_size, alloc_size;
	UINT32 desc_version;
	uint8_t *map = NULL;
	EFI_STATUS s;
	int tries;

	st = systab;
	b->path = BOOT_PATH_UEFI;
	s = uefi_call_wrapper(st->BootServices->HandleProtocol, 3, image,
			      &efi_loaded_image_guid, (void **)&li);
	if (EFI_ERROR(s)) {
		efi_puts("hv: error: no loaded-image protocol\n");
		return s;
	}
	b->image_base = (paddr_t)(uintptr_t)li->ImageBase;
	b->image_size = li->ImageSize;
	if (li->LoadOptions && li->LoadOptionsSize >= 2) {
		efi_ucs2_to_ascii(b->cmdline, sizeof(b->cmdline), li->LoadOptions,
				  li->LoadOptionsSize / 2);
		efi_strip_image_name(b->cmdline);
	}
	efi_find_rsdp(b);
	efi_alloc_trampoline(b);
	efi_load_files(b, li);
	efi_puts("hv: leaving UEFI boot services\n");

	/* The map changes with every allocation: allocate, then fetch it. */
	uefi_call_wrapper(st->BootServices->GetMemoryMap, 5, &map_size, NULL, &map_key,
			  &desc_size, &desc_version);
	alloc_size = map_size + 16 * desc_size;
	s = uefi_call_wrapper(st->BootServices->AllocatePool, 3, EfiLoaderData,
			      alloc_size, (void **)&map);
	if (EFI_ERROR(s)) {
		efi_puts("hv: error: cannot allocate the memory map\n");
		return s;
	}
	for (tries = 0; tries < 4; tries++) {
		map_size = alloc_size;
		s = uefi_call_wrapper(st->BootServices->GetMemoryMap, 5, &map_size,
				      (EFI_MEMORY_DESCRIPTOR *)map, &map_key,
				      &desc_size, &desc_version);
		if (EFI_ERROR(s))
			break;
		s = uefi_call_wrapper(st->BootServices->ExitBootServices, 2, image, map_key);
		if (!EFI_ERROR(s))
			break;
	}
	if (EFI_ERROR(s)) {
		efi_puts("hv: error: ExitBootServices failed\n");
		return s;
	}
	__asm__ __volatile__("cli");
	efi_convert_map(b, map, map_size, desc_size);
	efi_enter_hv(b);
}
