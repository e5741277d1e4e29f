/*
 * Hosted test: ACPI table discovery (drivers/acpi.c).
 *
 * Scenario: synthetic firmware tables (RSDP, RSDT/XSDT, MADT, HPET, FADT)
 * are built with correct checksums in a 4 MiB arena standing for physical
 * memory [0, 4 MiB), so the legacy BIOS areas (EBDA, 0xE0000-0xFFFFF) exist
 * at their real addresses. Each case builds a platform, breaks one thing,
 * and checks what acpi_init() or the RSDP scan makes of it.
 *
 * Runs single-threaded; a watchdog alarm turns a hang in a table walk into
 * a failed run.
 */
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

static uint8_t sum_bytes(const void *p, size_t len)
{
	const uint8_t *b = p;
	unsigned int sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)sum;
}

static void reset_memory(void)
{
	memset(arena, 0, ARENA_SIZE);
	next_pa = TABLES_PA;
}

static paddr_t alloc_pa(size_t len)
{
	paddr_t pa = next_pa;

	next_pa = ALIGN_UP(next_pa + len, 16);
	if (next_pa > ARENA_SIZE) {
		fprintf(stderr, "test arena exhausted\n");
		exit(2);
	}
	return pa;
}

static void *va(paddr_t pa)
{
	return phys_to_virt(pa);
}

static struct acpi_sdt_header *sdt_new(paddr_t *pa, const char *sig,
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

static void sdt_seal(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)(0x100 - sum_bytes(h, h->length));
}

static paddr_t sdt_plain(const char *sig, size_t len)
{
	paddr_t pa;

	sdt_seal(sdt_new(&pa, sig, len));
	return pa;
}

static paddr_t root_new(bool xsdt, const paddr_t *tables, unsigned int n)
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

static void rsdp_seal(struct acpi_rsdp *r)
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
static struct acpi_rsdp *rsdp_put(paddr_t pa, uint8_t revision, paddr_t rsdt,
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

static void madt_begin(struct madt_builder *b, uint32_t lapic, uint32_t flags)
{
	struct acpi_sdt_header *h = sdt_new(&b->pa, ACPI_SIG_MADT, MADT_MAX_LEN);

	b->madt = (struct acpi_madt *)h;
	b->madt->lapic_address = lapic;
	b->madt->flags = flags;
	b->len = sizeof(struct acpi_madt);
}

static void madt_raw(struct madt_builder *b, const void *entry, size_t len)
{
	if (b->len + len > MADT_MAX_LEN) {
		fprintf(stderr, "test MADT too long\n");
		exit(2);
	}
	memcpy((uint8_t *)b->madt + b->len, entry, len);
	b->len += len;
}

static void madt_lapic(struct madt_builder *b, uint8_t uid, uint8_t id,
		       uint32_t flags)
{
	struct acpi_madt_lapic e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC, sizeof(e) },
		.processor_uid = uid, .apic_id = id, .flags = flags,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_x2apic(struct madt_builder *b, uint32_t uid, uint32_t id,
			uint32_t flags)
{
	struct acpi_madt_x2apic e = {
		.hdr = { ACPI_MADT_TYPE_X2APIC, sizeof(e) },
		.x2apic_id = id, .flags = flags, .processor_uid = uid,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_ioapic(struct madt_builder *b, uint8_t id, uint32_t addr,
			uint32_t gsi_base)
{
	struct acpi_madt_ioapic e = {
		.hdr = { ACPI_MADT_TYPE_IOAPIC, sizeof(e) },
		.ioapic_id = id, .address = addr, .gsi_base = gsi_base,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_override(struct madt_builder *b, uint8_t irq, uint32_t gsi,
			  uint16_t flags)
{
	struct acpi_madt_int_override e = {
		.hdr = { ACPI_MADT_TYPE_INT_OVERRIDE, sizeof(e) },
		.bus = ACPI_MADT_BUS_ISA, .source_irq = irq, .gsi = gsi,
		.flags = flags,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_lapic_nmi(struct madt_builder *b, uint8_t uid, uint8_t lint)
{
	struct acpi_madt_lapic_nmi e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC_NMI, sizeof(e) },
		.processor_uid = uid,
		.flags = ACPI_MPS_INTI_POLARITY_HIGH | ACPI_MPS_INTI_TRIGGER_EDGE,
		.lint = lint,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_x2apic_nmi(struct madt_builder *b, uint32_t uid,
			    uint8_t lint)
{
	struct acpi_madt_x2apic_nmi e = {
		.hdr = { ACPI_MADT_TYPE_X2APIC_NMI, sizeof(e) },
		.processor_uid = uid, .lint = lint,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_nmi_source(struct madt_builder *b, uint32_t gsi)
{
	struct acpi_madt_nmi_source e = {
		.hdr = { ACPI_MADT_TYPE_NMI_SOURCE, sizeof(e) }, .gsi = gsi,
	};

	madt_raw(b, &e, sizeof(e));
}

static void madt_lapic_override(struct madt_builder *b, uint64_t addr)
{
	struct acpi_madt_lapic_override e = {
		.hdr = { ACPI_MADT_TYPE_LAPIC_OVERRIDE, sizeof(e) },
		.address = addr,
	};

	madt_raw(b, &e, sizeof(e));
}

static paddr_t madt_end(struct madt_builder *b)
{
	b->madt->hdr.length = (uint32_t)b->len;
	sdt_seal(&b->madt->hdr);
	return b->pa;
}

/* QEMU-like MADT: 4 enabled CPUs, 1 IOAPIC, 5 overrides, LINT1 NMI. */
static paddr_t madt_standard(void)
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

static paddr_t hpet_new(uint64_t base)
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
static struct acpi_fadt *fadt_new(paddr_t *pa, uint32_t flags)
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
static void platform_build(struct platform *p, uint8_t revision)
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
static void platform_reroot(struct platform *p, const paddr_t *tables,
			    unsigned int n)
{
	struct acpi_rsdp *r = va(p->rsdp);

	p->rsdt = root_new(false, tables, n);
	if (r->revision >= ACPI_RSDP_REV_ACPI2)
		p->xsdt = root_new(true, tables, n);
	rsdp_put(p->rsdp, r->revision, p->rsdt, p->xsdt);
}

/* Replaces the standard MADT with @madt in both root tables. */
static void platform_set_madt(struct platform *p, paddr_t madt)
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

static void capture_begin(void)
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
static void capture_end(char *buf, size_t size)
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

/* ------------------------------------------------------------------------
 * Root tables
 */

static void rsdp_v1_rsdt(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI1);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.revision, 0);
	CHECK(!info.xsdt);
	CHECK_STR(info.oem_id, "BOCHS");
	CHECK_EQ(info.rsdp_address, p.rsdp);
	CHECK_EQ(info.root_address, p.rsdt);
	CHECK_EQ(info.n_tables, 4);
	CHECK_STR(info.tables[0].signature, "FACP");
	CHECK_STR(info.tables[1].signature, "APIC");
	CHECK_STR(info.tables[2].signature, "HPET");
	CHECK_STR(info.tables[3].signature, "SSDT");
	CHECK(info.tables[1].valid);
	CHECK_EQ(info.tables[1].address, p.madt);
	CHECK_EQ(info.n_cpus, 4);
	CHECK_EQ(info.n_cpus_enabled, 4);
	CHECK_EQ(info.lapic_base, TEST_LAPIC_BASE);
}

static void rsdp_v2_prefers_xsdt(void)
{
	paddr_t only_xsdt[5];
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	/* Make the XSDT distinguishable: one more table than the RSDT. */
	only_xsdt[0] = p.fadt;
	only_xsdt[1] = p.madt;
	only_xsdt[2] = p.hpet;
	only_xsdt[3] = p.ssdt;
	only_xsdt[4] = sdt_plain("WAET", 40);
	p.xsdt = root_new(true, only_xsdt, 5);
	rsdp_put(p.rsdp, ACPI_RSDP_REV_ACPI2, p.rsdt, p.xsdt);

	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.revision, 2);
	CHECK(info.xsdt);
	CHECK_EQ(info.root_address, p.xsdt);
	CHECK_EQ(info.n_tables, 5);
	CHECK_STR(info.tables[4].signature, "WAET");
}

static void rsdp_v2_without_xsdt_uses_rsdt(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	rsdp_put(p.rsdp, ACPI_RSDP_REV_ACPI2, p.rsdt, 0);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK(!info.xsdt);
	CHECK_EQ(info.root_address, p.rsdt);
}

static void xsdt_unaligned_entries(void)
{
	struct platform p;

	/* The XSDT's 64-bit entries sit at offset 36: misaligned reads. */
	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.tables[3].address, p.ssdt);
	CHECK_EQ(info.tables[3].length, 64);
}

/* ------------------------------------------------------------------------
 * MADT contents
 */

static void madt_full(void)
{
	struct madt_builder b;
	struct platform p;
	uint8_t unknown[6] = { 0x7f, 6, 1, 2, 3, 4 };
	const struct acpi_cpu *c;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, ACPI_MADT_PCAT_COMPAT);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	madt_lapic(&b, 1, 2, ACPI_MADT_LAPIC_ENABLED);
	madt_lapic(&b, 2, 4, 0);				/* disabled */
	madt_lapic(&b, 3, 6, ACPI_MADT_LAPIC_ONLINE_CAPABLE);	/* hot-add */
	madt_lapic(&b, 4, ACPI_XAPIC_ID_INVALID, 0);		/* empty slot */
	madt_x2apic(&b, 300, 300, ACPI_MADT_LAPIC_ENABLED);
	madt_x2apic(&b, 301, 2, ACPI_MADT_LAPIC_ENABLED);	/* duplicate */
	madt_x2apic(&b, 302, ACPI_X2APIC_ID_INVALID, 0);
	madt_ioapic(&b, 8, TEST_IOAPIC0_BASE, 0);
	madt_ioapic(&b, 9, TEST_IOAPIC1_BASE, 24);
	madt_override(&b, 0, 2, 0);
	madt_override(&b, 9, 9, ACPI_MPS_INTI_POLARITY_LOW |
				ACPI_MPS_INTI_TRIGGER_LEVEL);
	madt_nmi_source(&b, 23);
	madt_lapic_nmi(&b, ACPI_LAPIC_NMI_UID_ALL, 1);
	madt_x2apic_nmi(&b, 300, 0);
	madt_raw(&b, unknown, sizeof(unknown));
	madt_lapic_override(&b, 0xfee10000ull);
	platform_set_madt(&p, madt_end(&b));

	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.n_cpus, 5);
	CHECK_EQ(info.n_cpus_enabled, 3);
	CHECK_EQ(info.n_cpus_dropped, 0);
	c = info.cpus;
	CHECK_EQ(c[0].apic_id, 0);
	CHECK(c[0].enabled && !c[0].x2apic);
	CHECK_EQ(c[1].apic_id, 2);
	CHECK_EQ(c[1].uid, 1);
	CHECK(c[1].enabled);
	CHECK(!c[1].x2apic);			/* the type 0 entry stood */
	CHECK_EQ(c[2].apic_id, 4);
	CHECK(!c[2].enabled && !c[2].online_capable);
	CHECK_EQ(c[3].apic_id, 6);
	CHECK(!c[3].enabled && c[3].online_capable);
	CHECK_EQ(c[4].apic_id, 300);
	CHECK_EQ(c[4].uid, 300);
	CHECK(c[4].enabled && c[4].x2apic);

	CHECK_EQ(info.n_ioapics, 2);
	CHECK_EQ(info.ioapics[0].id, 8);
	CHECK_EQ(info.ioapics[0].address, TEST_IOAPIC0_BASE);
	CHECK_EQ(info.ioapics[0].gsi_base, 0);
	CHECK_EQ(info.ioapics[1].id, 9);
	CHECK_EQ(info.ioapics[1].address, TEST_IOAPIC1_BASE);
	CHECK_EQ(info.ioapics[1].gsi_base, 24);

	CHECK_EQ(info.n_overrides, 2);
	CHECK_EQ(info.overrides[0].bus, ACPI_MADT_BUS_ISA);
	CHECK_EQ(info.overrides[0].source_irq, 0);
	CHECK_EQ(info.overrides[0].gsi, 2);
	CHECK_EQ(info.overrides[1].source_irq, 9);
	CHECK_EQ(info.overrides[1].flags,
		 ACPI_MPS_INTI_POLARITY_LOW | ACPI_MPS_INTI_TRIGGER_LEVEL);

	CHECK_EQ(info.n_lapic_nmis, 2);
	CHECK_EQ(info.lapic_nmis[0].uid, ACPI_NMI_UID_ALL);
	CHECK_EQ(info.lapic_nmis[0].lint, 1);
	CHECK_EQ(info.lapic_nmis[0].flags,
		 ACPI_MPS_INTI_POLARITY_HIGH | ACPI_MPS_INTI_TRIGGER_EDGE);
	CHECK_EQ(info.lapic_nmis[1].uid, 300);
	CHECK_EQ(info.lapic_nmis[1].lint, 0);

	/* The override entry comes last but still wins. */
	CHECK_EQ(info.lapic_base, 0xfee10000ull);
	CHECK(info.pcat_compat);
}

static void madt_cpu_cap(void)
{
	struct madt_builder b;
	struct platform p;
	unsigned int i, n = ACPI_MAX_CPUS + 44;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	for (i = 0; i < n; i++)
		madt_x2apic(&b, i, i, ACPI_MADT_LAPIC_ENABLED);
	platform_set_madt(&p, madt_end(&b));

	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	capture_end(logbuf, sizeof(logbuf));
	CHECK_EQ(info.n_cpus, ACPI_MAX_CPUS);
	CHECK_EQ(info.n_cpus_enabled, ACPI_MAX_CPUS);
	CHECK_EQ(info.n_cpus_dropped, 44);
	CHECK_EQ(info.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1);
	CHECK(!info.pcat_compat);
	CHECK(strstr(logbuf, "warning: acpi: MADT lists 44 more CPUs") != NULL);
}

static void madt_no_lapic_address(void)
{
	struct madt_builder b;
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, 0, 0);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	platform_set_madt(&p, madt_end(&b));
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.lapic_base, ACPI_LAPIC_DEFAULT_BASE);
}

/* ------------------------------------------------------------------------
 * Timers
 */

static void timers_hpet_and_pm_timer(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK(info.hpet_present);
	CHECK_EQ(info.hpet_base, TEST_HPET_BASE);
	CHECK_EQ(info.hpet_block_id, 0x8086a201);
	CHECK_EQ(info.hpet_min_tick, 128);
	CHECK(info.fadt_present);
	CHECK(info.pm_timer_present);
	CHECK_EQ(info.pm_timer_port, TEST_PM_TMR_PORT);
	CHECK(info.pm_timer_32bit);
	CHECK_EQ(info.iapc_boot_arch,
		 ACPI_FADT_BOOT_LEGACY_DEVICES | ACPI_FADT_BOOT_8042);
}

static void timers_acpi1_fadt(void)
{
	struct acpi_fadt *f;
	struct platform p;
	paddr_t list[2];

	platform_build(&p, ACPI_RSDP_REV_ACPI1);
	/* An ACPI 1.0 FADT: 116 bytes, 24-bit PM timer, no X_ fields. */
	f = (struct acpi_fadt *)sdt_new(&p.fadt, ACPI_SIG_FADT, ACPI_FADT_V1_LEN);
	f->pm_tmr_blk = 0x408;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	sdt_seal(&f->hdr);
	list[0] = p.fadt;
	list[1] = p.madt;
	platform_reroot(&p, list, 2);

	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK(!info.hpet_present);
	CHECK(info.fadt_present);
	CHECK(info.pm_timer_present);
	CHECK_EQ(info.pm_timer_port, 0x408);
	CHECK(!info.pm_timer_32bit);
	CHECK_EQ(info.iapc_boot_arch, 0);
}

static void timers_x_pm_tmr_blk_preferred(void)
{
	struct acpi_fadt *f;
	struct platform p;
	paddr_t list[2];

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	f = fadt_new(&p.fadt, 0);
	f->pm_tmr_blk = 0x408;
	sdt_seal(&f->hdr);
	list[0] = p.madt;
	list[1] = p.fadt;
	platform_reroot(&p, list, 2);
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(info.pm_timer_present);
	CHECK_EQ(info.pm_timer_port, TEST_PM_TMR_PORT);
	CHECK(!info.pm_timer_32bit);
	CHECK(strstr(logbuf, "PM_TMR_BLK 0x408 and X_PM_TMR_BLK 0x608 differ") != NULL);
}

static void timers_hw_reduced_and_bad_hpet(void)
{
	struct acpi_hpet *hpet;
	struct platform p;
	paddr_t list[4];

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	fadt_new(&p.fadt, ACPI_FADT_HW_REDUCED_ACPI);
	hpet = va(p.hpet);
	hpet->base_address.space_id = ACPI_GAS_SPACE_SYSTEM_IO;
	sdt_seal(&hpet->hdr);
	list[0] = p.fadt;
	list[1] = p.madt;
	list[2] = p.hpet;
	list[3] = p.ssdt;
	platform_reroot(&p, list, 4);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK(info.fadt_present);
	CHECK(!info.pm_timer_present);
	CHECK(!info.hpet_present);
}

/* ------------------------------------------------------------------------
 * Rejected firmware
 */

static void no_rsdp(void)
{
	CHECK_EQ(acpi_init(0, &info), -ENOENT);
}

static void bad_rsdp_signature(void)
{
	struct platform p;
	struct acpi_rsdp *r;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	r = va(p.rsdp);
	r->signature[4] = 'X';
	rsdp_seal(r);
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void bad_rsdp_checksum(void)
{
	struct platform p;
	struct acpi_rsdp *r;

	platform_build(&p, ACPI_RSDP_REV_ACPI1);
	r = va(p.rsdp);
	r->checksum ^= 0x5a;
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "error: acpi: RSDP at 0xf0000: bad checksum: bytes sum to 0x5a, expected 0x00") != NULL);
}

static void bad_rsdp_extended_checksum(void)
{
	struct platform p;
	struct acpi_rsdp *r;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	r = va(p.rsdp);
	r->extended_checksum ^= 1;	/* first 20 bytes still sum to 0 */
	CHECK_EQ(sum_bytes(r, ACPI_RSDP_V1_LEN), 0);
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "RSDP (extended checksum)") != NULL);
}

static void bad_xsdt_checksum(void)
{
	struct platform p;
	struct acpi_sdt_header *x;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	x = va(p.xsdt);
	x->checksum += 3;
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "XSDT at 0x") != NULL);
	CHECK(strstr(logbuf, "bytes sum to 0x03, expected 0x00") != NULL);
	/* A failed init leaves nothing to find. */
	CHECK(acpi_find_table(ACPI_SIG_MADT, 0) == NULL);
}

static void bad_xsdt_signature(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	/* The XSDT pointer leads to the RSDT. */
	rsdp_put(p.rsdp, ACPI_RSDP_REV_ACPI2, p.rsdt, p.rsdt);
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void no_root_table(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI1);
	rsdp_put(p.rsdp, ACPI_RSDP_REV_ACPI1, 0, 0);
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void root_length_below_header(void)
{
	struct platform p;
	struct acpi_sdt_header *x;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	x = va(p.xsdt);
	x->length = 20;
	sdt_seal(x);	/* over the 20 bytes the length claims */
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void root_length_implausible(void)
{
	struct platform p;
	struct acpi_sdt_header *x;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	x = va(p.xsdt);
	x->length = 0x7fffffff;	/* far past the arena: must not be read */
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void root_trailing_bytes(void)
{
	struct platform p;
	struct acpi_sdt_header *x;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	/* 4 entries and 3 bytes of a fifth: the partial entry is ignored. */
	x = va(p.xsdt);
	x->length += 3;
	sdt_seal(x);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.n_tables, 4);
}

static void bad_madt_checksum(void)
{
	struct platform p;
	struct acpi_sdt_header *m;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	m = va(p.madt);
	m->checksum -= 0x10;
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "error: acpi: MADT at 0x") != NULL);
	CHECK(strstr(logbuf, "bytes sum to 0xf0, expected 0x00") != NULL);
}

static void madt_length_below_header(void)
{
	struct platform p;
	struct acpi_sdt_header *m;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	m = va(p.madt);
	m->length = 30;
	sdt_seal(m);
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void madt_length_below_madt_header(void)
{
	struct platform p;
	struct acpi_sdt_header *m;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	m = va(p.madt);
	m->length = 40;	/* a valid SDT, but no room for flags */
	sdt_seal(m);
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void madt_entry_past_end(void)
{
	struct madt_builder b;
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	madt_ioapic(&b, 0, TEST_IOAPIC0_BASE, 0);
	madt_end(&b);
	/* Cut the table inside the I/O APIC entry. */
	b.madt->hdr.length -= 4;
	sdt_seal(&b.madt->hdr);
	platform_set_madt(&p, b.pa);
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "runs past the table end") != NULL);
}

static void madt_entry_length_zero(void)
{
	struct madt_builder b;
	struct platform p;
	uint8_t zero[8] = { ACPI_MADT_TYPE_LAPIC, 0 };

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	madt_raw(&b, zero, sizeof(zero));
	platform_set_madt(&p, madt_end(&b));
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);

	/* Length 1 must not be taken as a step either. */
	zero[1] = 1;
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_raw(&b, zero, sizeof(zero));
	platform_set_madt(&p, madt_end(&b));
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void madt_entry_too_short_for_type(void)
{
	struct madt_builder b;
	struct platform p;
	uint8_t short_x2apic[8] = { ACPI_MADT_TYPE_X2APIC, 8 };

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	madt_raw(&b, short_x2apic, sizeof(short_x2apic));
	platform_set_madt(&p, madt_end(&b));
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "type 9 entry at offset 52: length 8, expected at least 16\n") != NULL);
}

static void madt_stray_trailing_byte(void)
{
	struct madt_builder b;
	struct platform p;
	uint8_t stray = ACPI_MADT_TYPE_LAPIC;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_lapic(&b, 0, 0, ACPI_MADT_LAPIC_ENABLED);
	madt_raw(&b, &stray, 1);
	platform_set_madt(&p, madt_end(&b));
	CHECK_EQ(acpi_init(p.rsdp, &info), -EINVAL);
}

static void madt_longer_entries_accepted(void)
{
	struct madt_builder b;
	struct platform p;
	/* A type 0 entry from a future revision: 10 bytes, 2 extra. */
	uint8_t longer[10] = { ACPI_MADT_TYPE_LAPIC, 10, 7, 7,
			       ACPI_MADT_LAPIC_ENABLED, 0, 0, 0, 0xaa, 0xbb };

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	madt_begin(&b, TEST_LAPIC_BASE, 0);
	madt_raw(&b, longer, sizeof(longer));
	madt_lapic(&b, 1, 1, ACPI_MADT_LAPIC_ENABLED);
	platform_set_madt(&p, madt_end(&b));
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.n_cpus, 2);
	CHECK_EQ(info.cpus[0].apic_id, 7);
	CHECK_EQ(info.cpus[1].apic_id, 1);
}

static void no_madt(void)
{
	struct platform p;
	paddr_t list[2];

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	list[0] = p.fadt;
	list[1] = p.hpet;
	platform_reroot(&p, list, 2);
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), -ENOENT);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "lists no MADT") != NULL);
}

static void other_table_bad_checksum_skipped(void)
{
	struct acpi_sdt_header *h;
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	h = va(p.hpet);
	h->checksum ^= 0xff;
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "warning: acpi: HPET at 0x") != NULL);
	CHECK(!info.hpet_present);
	CHECK_EQ(info.n_tables, 4);
	CHECK_STR(info.tables[2].signature, "HPET");
	CHECK(!info.tables[2].valid);
	CHECK(acpi_find_table(ACPI_SIG_HPET, 0) == NULL);
	CHECK(acpi_find_table(ACPI_SIG_FADT, 0) != NULL);
}

static void null_root_entry_skipped(void)
{
	struct platform p;
	paddr_t list[3];

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	list[0] = 0;
	list[1] = p.madt;
	list[2] = p.fadt;
	platform_reroot(&p, list, 3);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_EQ(info.n_tables, 2);
	CHECK(info.pm_timer_present);
}

static void oem_id_sanitised(void)
{
	struct platform p;
	struct acpi_rsdp *r;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	r = va(p.rsdp);
	memcpy(r->oem_id, "A\x01" "B\0\0\0", ACPI_OEM_ID_LEN);
	rsdp_seal(r);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	CHECK_STR(info.oem_id, "A?B");
}

/* ------------------------------------------------------------------------
 * acpi_find_table() and the summary
 */

static void find_table(void)
{
	const struct acpi_sdt_header *h;
	struct platform p;
	paddr_t list[6], ssdt2;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	ssdt2 = sdt_plain("SSDT", 80);
	list[0] = p.fadt;
	list[1] = p.ssdt;
	list[2] = p.madt;
	list[3] = sdt_plain("SSDT", 48);
	((struct acpi_sdt_header *)va(list[3]))->checksum ^= 1;	/* broken */
	list[4] = ssdt2;
	list[5] = p.hpet;
	platform_reroot(&p, list, 6);

	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	h = acpi_find_table(ACPI_SIG_MADT, 0);
	CHECK(h == va(p.madt));
	CHECK(acpi_find_table(ACPI_SIG_MADT, 1) == NULL);
	CHECK(acpi_find_table("SSDT", 0) == va(p.ssdt));
	CHECK(acpi_find_table("SSDT", 1) == va(ssdt2));	/* broken one skipped */
	CHECK(acpi_find_table("SSDT", 2) == NULL);
	CHECK(acpi_find_table(ACPI_SIG_FADT, 0) == va(p.fadt));
	CHECK(acpi_find_table("DSDT", 0) == NULL);
	CHECK(acpi_find_table("XXXX", 0) == NULL);

	/* A failed acpi_init() forgets the previous tables. */
	CHECK_EQ(acpi_init(0, &info), -ENOENT);
	CHECK(acpi_find_table(ACPI_SIG_MADT, 0) == NULL);
}

static void summary(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	capture_begin();
	acpi_print_summary(&info);
	capture_end(logbuf, sizeof(logbuf));
	CHECK(strstr(logbuf, "acpi: RSDP rev 2 OEM BOCHS, XSDT, 4 tables (FACP APIC HPET SSDT)\n") != NULL);
	CHECK(strstr(logbuf, "acpi: MADT: 4 CPUs (4 enabled), 1 IOAPIC, LAPIC at 0xfee00000, 5 overrides, 8259 PICs\n") != NULL);
	CHECK(strstr(logbuf, "acpi: timers: HPET at 0xfed00000, PM timer at port 0x608 (32-bit)\n") != NULL);
}

static void summary_many_tables(void)
{
	paddr_t list[ACPI_MAX_TABLES + 6];
	struct platform p;
	unsigned int i;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	list[0] = p.madt;
	for (i = 1; i < ARRAY_SIZE(list); i++)
		list[i] = p.ssdt;
	platform_reroot(&p, list, ARRAY_SIZE(list));
	capture_begin();
	CHECK_EQ(acpi_init(p.rsdp, &info), 0);
	acpi_print_summary(&info);
	capture_end(logbuf, sizeof(logbuf));
	CHECK_EQ(info.n_tables, ACPI_MAX_TABLES);
	CHECK_EQ(info.n_tables_dropped, 6);
	CHECK(strstr(logbuf, "XSDT, 70 tables (APIC SSDT") != NULL);
	CHECK(strstr(logbuf, "SSDT ...)\n") != NULL);
}

/* ------------------------------------------------------------------------
 * Legacy RSDP scan
 */

#define EBDA_SEG 0x9fc0u
#define EBDA_PA  ((paddr_t)EBDA_SEG << 4)

static void set_ebda(uint16_t seg)
{
	memcpy(va(0x40e), &seg, sizeof(seg));
}

static void legacy_scan_bios_area(void)
{
	struct acpi_rsdp *bad;

	reset_memory();
	bad = rsdp_put(0xe0010, ACPI_RSDP_REV_ACPI2, 0x100000, 0x100000);
	bad->checksum ^= 1;
	rsdp_put(0xe0100, ACPI_RSDP_REV_ACPI2, 0x100000, 0x100000)
		->extended_checksum ^= 1;
	rsdp_put(0xf5a40, ACPI_RSDP_REV_ACPI2, 0x100000, 0x100000);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0xf5a40);
}

static void legacy_scan_ebda_first(void)
{
	reset_memory();
	set_ebda(EBDA_SEG);
	rsdp_put(0xf0000, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	rsdp_put(EBDA_PA + 0x30, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), EBDA_PA + 0x30);
}

static void legacy_scan_ebda_bad_checksum(void)
{
	reset_memory();
	set_ebda(EBDA_SEG);
	rsdp_put(EBDA_PA + 0x30, ACPI_RSDP_REV_ACPI1, 0x100000, 0)
		->checksum += 1;
	rsdp_put(0xfe300, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0xfe300);
}

static void legacy_scan_ebda_only_first_kib(void)
{
	reset_memory();
	set_ebda(EBDA_SEG);
	rsdp_put(EBDA_PA + KiB(1), ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0);
}

static void legacy_scan_none(void)
{
	reset_memory();
	CHECK_EQ(acpi_find_rsdp_legacy(), 0);
	/* Off the 16-byte grid: not an RSDP position. */
	rsdp_put(0xe0008, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0);
	/* Below 0xE0000 and outside any EBDA. */
	rsdp_put(0xd0000, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0);
}

static void legacy_scan_end_of_area(void)
{
	reset_memory();
	/* 32 bytes left: room for a v1 RSDP, not for a v2 one. */
	rsdp_put(0xfffe0, ACPI_RSDP_REV_ACPI2, 0x100000, 0x100000);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0);
	reset_memory();
	rsdp_put(0xfffe0, ACPI_RSDP_REV_ACPI1, 0x100000, 0);
	CHECK_EQ(acpi_find_rsdp_legacy(), 0xfffe0);
}

static void legacy_scan_then_init(void)
{
	struct platform p;

	platform_build(&p, ACPI_RSDP_REV_ACPI2);
	CHECK_EQ(acpi_find_rsdp_legacy(), p.rsdp);
	CHECK_EQ(acpi_init(acpi_find_rsdp_legacy(), &info), 0);
	CHECK_EQ(info.n_cpus, 4);
}

int main(void)
{
	alarm(WATCHDOG_S);
	arena = shim_phys_arena(0, ARENA_SIZE);

	RUN(rsdp_v1_rsdt);
	RUN(rsdp_v2_prefers_xsdt);
	RUN(rsdp_v2_without_xsdt_uses_rsdt);
	RUN(xsdt_unaligned_entries);
	RUN(madt_full);
	RUN(madt_cpu_cap);
	RUN(madt_no_lapic_address);
	RUN(timers_hpet_and_pm_timer);
	RUN(timers_acpi1_fadt);
	RUN(timers_x_pm_tmr_blk_preferred);
	RUN(timers_hw_reduced_and_bad_hpet);
	RUN(no_rsdp);
	RUN(bad_rsdp_signature);
	RUN(bad_rsdp_checksum);
	RUN(bad_rsdp_extended_checksum);
	RUN(bad_xsdt_checksum);
	RUN(bad_xsdt_signature);
	RUN(no_root_table);
	RUN(root_length_below_header);
	RUN(root_length_implausible);
	RUN(root_trailing_bytes);
	RUN(bad_madt_checksum);
	RUN(madt_length_below_header);
	RUN(madt_length_below_madt_header);
	RUN(madt_entry_past_end);
	RUN(madt_entry_length_zero);
	RUN(madt_entry_too_short_for_type);
	RUN(madt_stray_trailing_byte);
	RUN(madt_longer_entries_accepted);
	RUN(no_madt);
	RUN(other_table_bad_checksum_skipped);
	RUN(null_root_entry_skipped);
	RUN(oem_id_sanitised);
	RUN(find_table);
	RUN(summary);
	RUN(summary_many_tables);
	RUN(legacy_scan_bios_area);
	RUN(legacy_scan_ebda_first);
	RUN(legacy_scan_ebda_bad_checksum);
	RUN(legacy_scan_ebda_only_first_kib);
	RUN(legacy_scan_none);
	RUN(legacy_scan_end_of_area);
	RUN(legacy_scan_then_init);
	return check_done();
}
