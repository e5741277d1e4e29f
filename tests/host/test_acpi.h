/*
 * What the hosted tests of ACPI table discovery (drivers/acpi.c) share
 * (test_acpi.c, test_acpi_reject.c): builders of synthetic firmware
 * tables (RSDP, RSDT/XSDT, MADT, HPET, FADT) with correct checksums,
 * computed independently of the code under test, in a 4 MiB arena standing
 * for physical memory [0, 4 MiB), so the legacy BIOS areas (EBDA,
 * 0xE0000-0xFFFFF) exist at their real addresses; and a capture of the
 * log.
 */
#ifndef TESTS_HOST_TEST_ACPI_H
#define TESTS_HOST_TEST_ACPI_H

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "drivers/acpi.h"

#include <unistd.h>

#include "tests/host/check.h"

#define ARENA_SIZE    MiB(4)
#define TABLES_PA     0x100000ull	/* synthetic tables from 1 MiB up */
#define RSDP_PA       0x0f0000ull	/* where the firmware would put it */
#define WATCHDOG_S    20

#define TEST_LAPIC_BASE    0xfee00000u
#define TEST_IOAPIC0_BASE  0xfec00000u
#define TEST_IOAPIC1_BASE  0xfec01000u
#define TEST_HPET_BASE     0xfed00000ull
#define TEST_PM_TMR_PORT   0x608u

static uint8_t *arena;
static paddr_t next_pa;

/* ------------------------------------------------------------------------
 * Table builders. Checksums are computed here independently of the code
 * under test.
 */

static inline uint8_t sum_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	unsigned int sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)sum;
}

static inline void reset_memory(void)
{
	memset(arena, 0, ARENA_SIZE);
	next_pa = TABLES_PA;
}

static inline paddr_t alloc_pa(size_t len)
{
	paddr_t pa = next_pa;

	next_pa = ALIGN_UP(next_pa + len, 16);
	if (next_pa > ARENA_SIZE) {
		fprintf(stderr, "test arena exhausted\n");
		exit(2);
	}
	return pa;
}

static inline void *va(paddr_t pa)
{
	return phys_to_virt(pa);
}

static inline struct acpi_sdt_header *sdt_new(paddr_t *pa, const char *sig,
				       size_t len)
{
	struct acpi_sdt_header *h;

	*pa = alloc_pa(len);
	h = va(*pa);
	memcpy(h->signature, sig, ACPI_SIG_LEN);
	h->length = (uint32_t)len;
	h->revision = 1;
	memcpy(h->oem_id, "BOCHS ", ACPI_OEM_ID_LEN);
	memcpy(h->oem_table_id, "BXPC    ", ACPI_OEM_TABLE_ID_LEN);
	return h;
}

static inline void sdt_seal(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)(0x100 - sum_bytes(h, h->length));
}

static inline paddr_t sdt_plain(const char *sig, size_t len)
{
	paddr_t pa;

	sdt_seal(sdt_new(&pa, sig, len));
	return pa;
}

static inline paddr_t root_new(bool xsdt, const paddr_t *tables, unsigned int n)
{
	size_t esz = xsdt ? 8 : 4;
	struct acpi_sdt_header *h;
	uint8_t *entries;
	unsigned int i;
	paddr_t pa;

	h = sdt_new(&pa, xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT,
		    sizeof(*h) + n * esz);
	entries = (uint8_t *)h + sizeof(*h);
	for (i = 0; i < n; i++) {
		uint64_t v64 = tables[i];
		uint32_t v32 = (uint32_t)tables[i];

		if (xsdt)
			memcpy(entries + i * esz, &v64, esz);
		else
			memcpy(entries + i * esz, &v32, esz);
	}
	sdt_seal(h);
	return pa;
}

static inline void rsdp_seal(struct acpi_rsdp *r)
{
	r->checksum = 0;
	r->checksum = (uint8_t)(0x100 - sum_bytes(r, ACPI_RSDP_V1_LEN));
	if (r->revision >= ACPI_RSDP_REV_ACPI2) {
		r->extended_checksum = 0;
		r->extended_checksum =
			(uint8_t)(0x100 - sum_bytes(r, ACPI_RSDP_V2_LEN));
	}
}

/* Writes an RSDP at @pa; revision 0 gets only the 20-byte v1 part. */
static inline struct acpi_rsdp *rsdp_put(paddr_t pa, uint8_t revision, paddr_t rsdt,
				  paddr_t xsdt)
{
	struct acpi_rsdp *r = va(pa);

	memcpy(r->signature, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN);
	memcpy(r->oem_id, "BOCHS ", ACPI_OEM_ID_LEN);
	r->revision = revision;
	r->rsdt_address = (uint32_t)rsdt;
	if (revision >= ACPI_RSDP_REV_ACPI2) {
		r->length = ACPI_RSDP_V2_LEN;
		r->xsdt_address = xsdt;
	}
	rsdp_seal(r);
	return r;
}

/* MADT under construction: entries are appended, then the table sealed. */
struct madt_builder {
	paddr_t pa;
	struct acpi_madt *madt;
	size_t len;
};

#define MADT_MAX_LEN KiB(8)

static inline void madt_begin(struct madt_builder *b, uint32_t lapic, uint32_t flags)
{
	struct acpi_sdt_header *h = sdt_new(&b->pa, ACPI_SIG_MADT, MADT_MAX_LEN);

	b->madt = (struct acpi_madt *)h;
	b->madt->lapic_address = lapic;
	b->madt->flags = flags;
	b->len = sizeof(struct acpi_madt);
}

static inline void madt_raw(struct madt_builder *b, const void *entry, size_t len)
{
	if (b->len + len > MADT_MAX_LEN) {
		fprintf(stderr, "test MADT too long\n");
		exit(2);
	}
	memcpy((uint8_t *)b->madt + b->len, entry, len);
	b->len += len;
}

static inline void madt_lapic(struct madt_builder *b, uint8_t uid, uint8_t id,
		       uint32_t flags)
{
	struct acpi_madt_lapic e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC, sizeof(e) },
		.processor_uid = uid, .apic_id = id, .flags = flags,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_x2apic(struct madt_builder *b, uint32_t uid, uint32_t id,
			uint32_t flags)
{
	struct acpi_madt_x2apic e = {
		.hdr = { ACPI_MADT_TYPE_X2APIC, sizeof(e) },
		.x2apic_id = id, .flags = flags, .processor_uid = uid,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_ioapic(struct madt_builder *b, uint8_t id, uint32_t addr,
			uint32_t gsi_base)
{
	struct acpi_madt_ioapic e = {
		.hdr = { ACPI_MADT_TYPE_IOAPIC, sizeof(e) },
		.ioapic_id = id, .address = addr, .gsi_base = gsi_base,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_override(struct madt_builder *b, uint8_t irq, uint32_t gsi,
			  uint16_t flags)
{
	struct acpi_madt_int_override e = {
		.hdr = { ACPI_MADT_TYPE_INT_OVERRIDE, sizeof(e) },
		.bus = ACPI_MADT_BUS_ISA, .source_irq = irq, .gsi = gsi,
		.flags = flags,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_lapic_nmi(struct madt_builder *b, uint8_t uid, uint8_t lint)
{
	struct acpi_madt_lapic_nmi e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC_NMI, sizeof(e) },
		.processor_uid = uid,
		.flags = ACPI_MPS_INTI_POLARITY_HIGH | ACPI_MPS_INTI_TRIGGER_EDGE,
		.lint = lint,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_x2apic_nmi(struct madt_builder *b, uint32_t uid,
			    uint8_t lint)
{
	struct acpi_madt_x2apic_nmi e = {
		.hdr = { ACPI_MADT_TYPE_X2APIC_NMI, sizeof(e) },
		.processor_uid = uid, .lint = lint,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_nmi_source(struct madt_builder *b, uint32_t gsi)
{
	struct acpi_madt_nmi_source e = {
		.hdr = { ACPI_MADT_TYPE_NMI_SOURCE, sizeof(e) }, .gsi = gsi,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline void madt_lapic_override(struct madt_builder *b, uint64_t addr)
{
	struct acpi_madt_lapic_override e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC_OVERRIDE, sizeof(e) },
		.address = addr,
	};

	madt_raw(b, &e, sizeof(e));
}

static inline paddr_t madt_end(struct madt_builder *b)
{
	b->madt->hdr.length = (uint32_t)b->len;
	sdt_seal(&b->madt->hdr);
	return b->pa;
}

/* QEMU-like MADT: 4 enabled CPUs, 1 IOAPIC, 5 overrides, LINT1 NMI. */
static inline paddr_t madt_standard(void)
{
	struct madt_builder b;
	unsigned int i;

	madt_begin(&b, TEST_LAPIC_BASE, ACPI_MADT_PCAT_COMPAT);
	for (i = 0; i < 4; i++)
		madt_lapic(&b, (uint8_t)i, (uint8_t)i, ACPI_MADT_LAPIC_ENABLED);
	madt_ioapic(&b, 0, TEST_IOAPIC0_BASE, 0);
	madt_override(&b, 0, 2, 0);
	madt_override(&b, 5, 5, ACPI_MPS_INTI_POLARITY_HIGH |
				ACPI_MPS_INTI_TRIGGER_LEVEL);
	madt_override(&b, 9, 9, ACPI_MPS_INTI_POLARITY_HIGH |
				ACPI_MPS_INTI_TRIGGER_LEVEL);
	madt_override(&b, 10, 10, ACPI_MPS_INTI_POLARITY_HIGH |
				  ACPI_MPS_INTI_TRIGGER_LEVEL);
	madt_override(&b, 11, 11, ACPI_MPS_INTI_POLARITY_HIGH |
				  ACPI_MPS_INTI_TRIGGER_LEVEL);
	madt_lapic_nmi(&b, ACPI_LAPIC_NMI_UID_ALL, 1);
	return madt_end(&b);
}

static inline paddr_t hpet_new(uint64_t base)
{
	struct acpi_hpet *t;
	paddr_t pa;

	t = (struct acpi_hpet *)sdt_new(&pa, ACPI_SIG_HPET, sizeof(*t));
	t->event_timer_block_id = 0x8086a201;
	t->base_address.space_id = ACPI_GAS_SPACE_SYSTEM_MEMORY;
	t->base_address.bit_width = 64;
	t->base_address.address = base;
	t->min_clock_tick = 128;
	sdt_seal(&t->hdr);
	return pa;
}

/* A modern FADT (revision 6, 276 bytes) with a 32-bit PM timer. */
static inline struct acpi_fadt *fadt_new(paddr_t *pa, uint32_t flags)
{
	struct acpi_fadt *f;

	f = (struct acpi_fadt *)sdt_new(pa, ACPI_SIG_FADT, sizeof(*f));
	f->hdr.revision = 6;
	f->pm_tmr_blk = TEST_PM_TMR_PORT;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->x_pm_tmr_blk.space_id = ACPI_GAS_SPACE_SYSTEM_IO;
	f->x_pm_tmr_blk.bit_width = 32;
	f->x_pm_tmr_blk.address = TEST_PM_TMR_PORT;
	f->iapc_boot_arch = ACPI_FADT_BOOT_LEGACY_DEVICES | ACPI_FADT_BOOT_8042;
	f->flags = flags;
	sdt_seal(&f->hdr);
	return f;
}

/* The tables of a standard platform, for cases to rearrange and break. */
struct platform {
	paddr_t fadt, madt, hpet, ssdt;
	paddr_t rsdt, xsdt;
	paddr_t rsdp;
};

/*
 * FACP APIC HPET SSDT behind an XSDT (and, for revision 0, an RSDT with the
 * same tables); the RSDP at RSDP_PA.
 */
static inline void platform_build(struct platform *p, uint8_t revision)
{
	paddr_t list[4];

	reset_memory();
	fadt_new(&p->fadt, ACPI_FADT_TMR_VAL_EXT);
	p->madt = madt_standard();
	p->hpet = hpet_new(TEST_HPET_BASE);
	p->ssdt = sdt_plain("SSDT", 64);
	list[0] = p->fadt;
	list[1] = p->madt;
	list[2] = p->hpet;
	list[3] = p->ssdt;
	p->rsdt = root_new(false, list, 4);
	p->xsdt = revision >= ACPI_RSDP_REV_ACPI2 ? root_new(true, list, 4) : 0;
	p->rsdp = RSDP_PA;
	rsdp_put(p->rsdp, revision, p->rsdt, p->xsdt);
}

/* Rewrites the RSDP so that it points at new root tables. */
static inline void platform_reroot(struct platform *p, const paddr_t *tables,
			    unsigned int n)
{
	struct acpi_rsdp *r = va(p->rsdp);

	p->rsdt = root_new(false, tables, n);
	if (r->revision >= ACPI_RSDP_REV_ACPI2)
		p->xsdt = root_new(true, tables, n);
	rsdp_put(p->rsdp, r->revision, p->rsdt, p->xsdt);
}

/* Replaces the standard MADT with @madt in both root tables. */
static inline void platform_set_madt(struct platform *p, paddr_t madt)
{
	paddr_t list[4] = { p->fadt, madt, p->hpet, p->ssdt };

	p->madt = madt;
	platform_reroot(p, list, 4);
}

static struct acpi_info info;

/* ------------------------------------------------------------------------
 * Log capture: console_write() in the shim goes to stderr.
 */

static int saved_stderr = -1;
static FILE *capture_file;

static inline void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	if (!capture_file) {
		perror("tmpfile");
		exit(2);
	}
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(capture_file), STDERR_FILENO);
}

/* Ends the capture, echoes what was captured, returns it in @buf. */
static inline void capture_end(char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(buf, 1, size - 1, capture_file);
	buf[n] = '\0';
	fclose(capture_file);
	fputs(buf, stderr);
}

static char logbuf[8192];

#endif
