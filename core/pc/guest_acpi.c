/*
 * The guest's ACPI tables (see guest_acpi.h): a bump allocator over the
 * caller's buffer, one builder per table, checksums last.
 *
 * Boot CPU, VM build time; no locks. The table layouts are the ones the
 * host's parser uses (drivers/acpi.h), so both sides agree on every offset
 * the static assertions there pin down.
 */
#include "core/lib/acpi_tables.h"
#include "core/lib/errno.h"
#include "core/pc/guest_acpi.h"
#include "core/lib/string.h"

#define GACPI_OEM_ID		"MICROH"	/* 6 bytes */
#define GACPI_OEM_TABLE_ID	"MicroHV "	/* 8 bytes */
#define GACPI_OEM_REVISION	1
#define GACPI_CREATOR_ID	"MHV "		/* 4 bytes */
#define GACPI_CREATOR_REVISION	1

/* Table revisions: ACPI 6.0. */
#define GACPI_ROOT_REVISION	1	/* RSDT, XSDT */
#define GACPI_FADT_REVISION	6
#define GACPI_FADT_MINOR	0
#define GACPI_MADT_REVISION	4
#define GACPI_DSDT_REVISION	2	/* 64-bit AML integers */
#define GACPI_FACS_VERSION	2

#define GACPI_TABLE_ALIGN	16
#define GACPI_FACS_ALIGN	64	/* ACPI 5.2.10 */
#define GACPI_ROOT_ENTRIES	2	/* FADT, MADT */

/* FADT.flags (ACPI 5.2.9, Table 5.10). */
#define GACPI_FADT_FLAGS	(ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 |	\
				 ACPI_FADT_PWR_BUTTON |			\
				 ACPI_FADT_SLP_BUTTON |			\
				 ACPI_FADT_TMR_VAL_EXT |		\
				 ACPI_FADT_RESET_REG_SUP)

/* Latencies above these mean "C2 / C3 not supported" (FADT P_LVLx_LAT). */
#define GACPI_P_LVL2_LAT_NONE	101
#define GACPI_P_LVL3_LAT_NONE	1001
#define GACPI_PM_PROFILE_UNSPECIFIED 0

/* MPS INTI flags of the SCI: level triggered, active high (ACPI 5.2.12.5). */
#define GACPI_SCI_INTI_FLAGS	(ACPI_MPS_INTI_POLARITY_HIGH | \
				 ACPI_MPS_INTI_TRIGGER_LEVEL)
#define GACPI_NMI_LINT		1

/*
 * The DSDT's AML (ACPI 20.2): Name (\_S5, Package (4) {5, 5, 0, 0}).
 * \_S5 is the S5 (soft off) sleep object: SLP_TYPa, SLP_TYPb, then two
 * reserved values; OSPM writes SLP_TYPa | SLP_EN to PM1a_CNT to power off.
 * The two 5s are patched to cfg->slp_typ_s5 at GACPI_AML_S5_TYPA/B.
 */
static const uint8_t gacpi_dsdt_aml[] = {
	0x08,			/* NameOp */
	0x5c,			/* RootChar '\' */
	0x5f, 0x53, 0x35, 0x5f,	/* NameSeg "_S5_" */
	0x12,			/* PackageOp */
	0x08,			/* PkgLength: 8 bytes, itself to the end */
	0x04,			/* NumElements: 4 */
	0x0a, 0x05,		/* BytePrefix 5: SLP_TYPa */
	0x0a, 0x05,		/* BytePrefix 5: SLP_TYPb */
	0x00,			/* ZeroOp: reserved */
	0x00,			/* ZeroOp: reserved */
};

#define GACPI_AML_S5_TYPA	10	/* offset of SLP_TYPa's byte */
#define GACPI_AML_S5_TYPB	12

/* ---- The buffer ------------------------------------------------------- */

struct gacpi_buf {
	uint8_t *base;
	uint64_t gpa;
	size_t room;
	size_t off;	/* first free byte */
};

/* len zeroed bytes at align (a power of two, relative to the gpa). */
static void *gacpi_alloc(struct gacpi_buf *b, size_t len, size_t align,
			 uint64_t *gpa)
{
	size_t off = (size_t)(ALIGN_UP(b->gpa + b->off, align) - b->gpa);
	void *p;

	if (off > b->room || len > b->room - off)
		return NULL;
	p = b->base + off;
	memset(p, 0, len);
	b->off = off + len;
	*gpa = b->gpa + off;
	return p;
}

static uint8_t gacpi_checksum_byte(const void *p, size_t len)
{
	return (uint8_t)(0x100 - acpi_checksum(p, len));
}

/* Fills the header of a table of len bytes; its checksum comes last. */
static void gacpi_header(struct acpi_sdt_header *h, const char *sig,
			 uint32_t len, uint8_t revision)
{
	memcpy(h->signature, sig, ACPI_SIG_LEN);
	h->length = len;
	h->revision = revision;
	memcpy(h->oem_id, GACPI_OEM_ID, ACPI_OEM_ID_LEN);
	memcpy(h->oem_table_id, GACPI_OEM_TABLE_ID, ACPI_OEM_TABLE_ID_LEN);
	h->oem_revision = GACPI_OEM_REVISION;
	memcpy(&h->creator_id, GACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = GACPI_CREATOR_REVISION;
}

static void gacpi_seal(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = gacpi_checksum_byte(h, h->length);
}

static struct acpi_gas gacpi_io_gas(uint16_t port, unsigned int bytes,
				    uint8_t access)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SPACE_SYSTEM_IO,
		.bit_width = (uint8_t)(8 * bytes),
		.access_size = access,
		.address = port,
	};
}

/* ---- Tables ----------------------------------------------------------- */

static int gacpi_build_facs(struct gacpi_buf *b, uint64_t *gpa)
{
	struct acpi_facs *f = gacpi_alloc(b, sizeof(*f), GACPI_FACS_ALIGN,
					   gpa);

	if (!f)
		return -ENOSPC;
	memcpy(f->signature, ACPI_SIG_FACS, ACPI_SIG_LEN);
	f->length = sizeof(*f);
	f->version = GACPI_FACS_VERSION;
	return 0;	/* the FACS has no checksum */
}

static int gacpi_build_dsdt(struct gacpi_buf *b,
			    const struct guest_acpi_cfg *cfg, uint64_t *gpa)
{
	uint32_t len = sizeof(struct acpi_sdt_header) + sizeof(gacpi_dsdt_aml);
	struct acpi_sdt_header *h = gacpi_alloc(b, len, GACPI_TABLE_ALIGN,
						gpa);
	uint8_t *aml;

	if (!h)
		return -ENOSPC;
	gacpi_header(h, ACPI_SIG_DSDT, len, GACPI_DSDT_REVISION);
	aml = (uint8_t *)(h + 1);
	memcpy(aml, gacpi_dsdt_aml, sizeof(gacpi_dsdt_aml));
	aml[GACPI_AML_S5_TYPA] = cfg->slp_typ_s5;
	aml[GACPI_AML_S5_TYPB] = cfg->slp_typ_s5;
	gacpi_seal(h);
	return 0;
}

static int gacpi_build_fadt(struct gacpi_buf *b,
			    const struct guest_acpi_cfg *cfg, uint64_t facs,
			    uint64_t dsdt, uint64_t *gpa)
{
	struct acpi_fadt *f = gacpi_alloc(b, sizeof(*f), GACPI_TABLE_ALIGN,
					  gpa);

	if (!f)
		return -ENOSPC;
	gacpi_header(&f->hdr, ACPI_SIG_FADT, sizeof(*f), GACPI_FADT_REVISION);
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->preferred_pm_profile = GACPI_PM_PROFILE_UNSPECIFIED;
	f->sci_int = cfg->sci_irq;
	f->smi_cmd = 0;		/* no SMM: ACPI mode is always on */
	f->pm1a_evt_blk = cfg->pm1a_evt_blk;
	f->pm1a_cnt_blk = cfg->pm1a_cnt_blk;
	f->pm_tmr_blk = cfg->pm_tmr_blk;
	f->pm1_evt_len = VACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = VACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->p_lvl2_lat = GACPI_P_LVL2_LAT_NONE;
	f->p_lvl3_lat = GACPI_P_LVL3_LAT_NONE;
	f->century = cfg->rtc_century;
	f->iapc_boot_arch = ACPI_FADT_BOOT_LEGACY_DEVICES;
	f->flags = GACPI_FADT_FLAGS;
	f->reset_reg = gacpi_io_gas(cfg->reset_port, 1, ACPI_GAS_ACCESS_BYTE);
	f->reset_value = cfg->reset_value;
	f->minor_version = GACPI_FADT_MINOR;
	f->x_firmware_ctrl = facs;
	f->x_dsdt = dsdt;
	f->x_pm1a_evt_blk = gacpi_io_gas(cfg->pm1a_evt_blk, VACPI_PM1_EVT_LEN,
					 ACPI_GAS_ACCESS_WORD);
	f->x_pm1a_cnt_blk = gacpi_io_gas(cfg->pm1a_cnt_blk, VACPI_PM1_CNT_LEN,
					 ACPI_GAS_ACCESS_WORD);
	f->x_pm_tmr_blk = gacpi_io_gas(cfg->pm_tmr_blk, ACPI_PM_TMR_LEN,
				       ACPI_GAS_ACCESS_DWORD);
	gacpi_seal(&f->hdr);
	return 0;
}

static void gacpi_madt_override(uint8_t *p, uint8_t irq, uint32_t gsi,
				uint16_t flags)
{
	struct acpi_madt_int_override e = {
		.hdr = { ACPI_MADT_TYPE_INT_OVERRIDE, sizeof(e) },
		.bus = ACPI_MADT_BUS_ISA,
		.source_irq = irq,
		.gsi = gsi,
		.flags = flags,
	};

	memcpy(p, &e, sizeof(e));
}

static int gacpi_build_madt(struct gacpi_buf *b,
			    const struct guest_acpi_cfg *cfg, uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_madt) +
		     cfg->nr_vcpus * sizeof(struct acpi_madt_lapic) +
		     sizeof(struct acpi_madt_ioapic) +
		     2 * sizeof(struct acpi_madt_int_override) +
		     sizeof(struct acpi_madt_lapic_nmi);
	struct acpi_madt *m = gacpi_alloc(b, len, GACPI_TABLE_ALIGN, gpa);
	struct acpi_madt_ioapic io = {
		.hdr = { ACPI_MADT_TYPE_IOAPIC, sizeof(io) },
		.ioapic_id = cfg->ioapic_id,
		.address = cfg->ioapic_address,
		.gsi_base = 0,
	};
	struct acpi_madt_lapic_nmi nmi = {
		.hdr = { ACPI_MADT_TYPE_LAPIC_NMI, sizeof(nmi) },
		.processor_uid = ACPI_LAPIC_NMI_UID_ALL,
		.flags = ACPI_MPS_INTI_POLARITY_HIGH |
			 ACPI_MPS_INTI_TRIGGER_EDGE,
		.lint = GACPI_NMI_LINT,
	};
	uint8_t *p;
	unsigned int i;

	if (!m)
		return -ENOSPC;
	gacpi_header(&m->hdr, ACPI_SIG_MADT, (uint32_t)len,
		     GACPI_MADT_REVISION);
	m->lapic_address = cfg->lapic_address;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	p = (uint8_t *)(m + 1);
	/*
	 * APIC ids stay below 0xFF (GUEST_ACPI_MAX_VCPUS): a Processor Local
	 * APIC entry describes the CPU in x2APIC mode as well; Processor
	 * Local x2APIC entries (ACPI 5.2.12.12) are for ids of 0xFF and up.
	 */
	for (i = 0; i < cfg->nr_vcpus; i++) {
		struct acpi_madt_lapic e = {
			.hdr = { ACPI_MADT_TYPE_LAPIC, sizeof(e) },
			.processor_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = ACPI_MADT_LAPIC_ENABLED,
		};

		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	gacpi_madt_override(p, PC_IRQ_PIT, PC_PIT_IOAPIC_PIN, 0);
	p += sizeof(struct acpi_madt_int_override);
	gacpi_madt_override(p, cfg->sci_irq, cfg->sci_irq,
			    GACPI_SCI_INTI_FLAGS);
	p += sizeof(struct acpi_madt_int_override);
	memcpy(p, &nmi, sizeof(nmi));
	gacpi_seal(&m->hdr);
	return 0;
}

/* The RSDT (esz 4) or XSDT (esz 8) listing the n tables at gpas. */
static int gacpi_build_root(struct gacpi_buf *b, bool xsdt,
			    const uint64_t *gpas, unsigned int n,
			    uint64_t *gpa)
{
	size_t esz = xsdt ? sizeof(uint64_t) : sizeof(uint32_t);
	uint32_t len = (uint32_t)(sizeof(struct acpi_sdt_header) + n * esz);
	struct acpi_sdt_header *h = gacpi_alloc(b, len, GACPI_TABLE_ALIGN,
						gpa);
	uint8_t *e;
	unsigned int i;

	if (!h)
		return -ENOSPC;
	gacpi_header(h, xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT, len,
		     GACPI_ROOT_REVISION);
	e = (uint8_t *)(h + 1);
	for (i = 0; i < n; i++) {
		uint64_t v64 = gpas[i];
		uint32_t v32 = (uint32_t)gpas[i];

		/* XSDT entries at offset 36 are not 8-byte aligned. */
		memcpy(e + i * esz, xsdt ? (void *)&v64 : (void *)&v32, esz);
	}
	gacpi_seal(h);
	return 0;
}

static void gacpi_fill_rsdp(struct acpi_rsdp *r, uint64_t rsdt,
			    uint64_t xsdt)
{
	memcpy(r->signature, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN);
	memcpy(r->oem_id, GACPI_OEM_ID, ACPI_OEM_ID_LEN);
	r->revision = ACPI_RSDP_REV_ACPI2;
	r->rsdt_address = (uint32_t)rsdt;
	r->length = ACPI_RSDP_V2_LEN;
	r->xsdt_address = xsdt;
	r->checksum = 0;
	r->checksum = gacpi_checksum_byte(r, ACPI_RSDP_V1_LEN);
	r->extended_checksum = 0;
	r->extended_checksum = gacpi_checksum_byte(r, ACPI_RSDP_V2_LEN);
}

static bool gacpi_cfg_valid(const struct guest_acpi_cfg *cfg,
			    uint64_t buf_gpa, size_t room)
{
	if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > GUEST_ACPI_MAX_VCPUS)
		return false;
	if (cfg->ioapic_id < cfg->nr_vcpus)	/* clashes with an APIC id */
		return false;
	if (!IS_ALIGNED(buf_gpa, ACPI_RSDP_SCAN_ALIGN))
		return false;
	/* The RSDT and the 32-bit FADT fields need every table below 4 GiB. */
	return buf_gpa + room <= (1ull << 32) && buf_gpa + room >= buf_gpa;
}

/* ---- Entry point ------------------------------------------------------ */

int guest_acpi_build(void *buf, uint64_t buf_gpa, size_t room,
		     const struct guest_acpi_cfg *cfg, uint64_t *rsdp_gpa,
		     size_t *used)
{
	struct gacpi_buf b = { .base = buf, .gpa = buf_gpa, .room = room };
	uint64_t rsdp, facs, dsdt, rsdt, xsdt, tables[GACPI_ROOT_ENTRIES];
	struct acpi_rsdp *r;
	int err;

	if (!gacpi_cfg_valid(cfg, buf_gpa, room))
		return -EINVAL;
	r = gacpi_alloc(&b, sizeof(*r), ACPI_RSDP_SCAN_ALIGN, &rsdp);
	if (!r)
		return -ENOSPC;
	err = gacpi_build_facs(&b, &facs);
	if (!err)
		err = gacpi_build_dsdt(&b, cfg, &dsdt);
	if (!err)
		err = gacpi_build_fadt(&b, cfg, facs, dsdt, &tables[0]);
	if (!err)
		err = gacpi_build_madt(&b, cfg, &tables[1]);
	if (!err)
		err = gacpi_build_root(&b, true, tables, GACPI_ROOT_ENTRIES,
				       &xsdt);
	if (!err)
		err = gacpi_build_root(&b, false, tables, GACPI_ROOT_ENTRIES,
				       &rsdt);
	if (err)
		return err;
	gacpi_fill_rsdp(r, rsdt, xsdt);
	*rsdp_gpa = rsdp;
	*used = b.off;
	return 0;
}
