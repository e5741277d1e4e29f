/*
 * Host ACPI discovery, the MADT part: walks the interrupt controller
 * structures of the MADT and distils the processors, I/O APICs, interrupt
 * source overrides, local APIC NMI wiring and the local APIC address into
 * struct acpi_info.
 *
 * Environment: boot CPU, early boot, called only by acpi_init() (through
 * acpi_parse_madt()) once the MADT's checksum and length have been checked;
 * writes nothing but the caller's struct acpi_info, takes no lock and keeps
 * no state between calls.
 *
 * The MADT comes from firmware and may be wrong. Every structure's length
 * is checked against the table end and against the size of its type before
 * a field of it is read, and the walk advances by at least two bytes per
 * structure, so a malformed MADT ends in an error line and -EINVAL, never a
 * read beyond the table or a hang.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "drivers/acpi.h"
#include "drivers/acpi_internal.h"

/* Counters for MADT oddities, reported once each after the walk. */
struct madt_parse {
	struct acpi_info *out;
	paddr_t pa;			/* of the MADT, for messages */
	bool have_lapic_override;
	paddr_t lapic_override;
	unsigned int duplicate_cpus;
	unsigned int invalid_cpus;
	unsigned int dropped_ioapics;
	unsigned int dropped_overrides;
	unsigned int dropped_nmis;
	unsigned int nmi_sources;
	unsigned int unknown_entries;
};

/* Checks that a MADT entry is long enough for the structure of its type. */
static int madt_entry_fits(const struct madt_parse *mp,
			   const struct acpi_madt_entry_header *e,
			   uint32_t off, size_t need)
{
	if (e->length >= need)
		return 0;
	pr_err("acpi: MADT at 0x%llx: type %u entry at offset %u: length %u, expected at least %zu",
	       (unsigned long long)mp->pa, e->type, off, e->length, need);
	return -EINVAL;
}

static void madt_add_cpu(struct madt_parse *mp, uint32_t apic_id,
			 uint32_t uid, uint32_t madt_flags, bool x2apic)
{
	struct acpi_info *out = mp->out;
	struct acpi_cpu *cpu;
	unsigned int i;

	/*
	 * Some firmware describes one processor with both a type 0 and a
	 * type 9 entry; the first one, in table order, stands.
	 */
	for (i = 0; i < out->n_cpus; i++) {
		if (out->cpus[i].apic_id == apic_id) {
			mp->duplicate_cpus++;
			return;
		}
	}
	if (out->n_cpus == ACPI_MAX_CPUS) {
		out->n_cpus_dropped++;
		return;
	}
	cpu = &out->cpus[out->n_cpus++];
	cpu->apic_id = apic_id;
	cpu->uid = uid;
	cpu->enabled = madt_flags & ACPI_MADT_LAPIC_ENABLED;
	/* Online Capable is defined only for entries not enabled. */
	cpu->online_capable = !cpu->enabled &&
			      (madt_flags & ACPI_MADT_LAPIC_ONLINE_CAPABLE);
	cpu->x2apic = x2apic;
	if (cpu->enabled)
		out->n_cpus_enabled++;
}

static void madt_add_lapic_nmi(struct madt_parse *mp, uint32_t uid,
			       uint16_t flags, uint8_t lint)
{
	struct acpi_info *out = mp->out;
	struct acpi_lapic_nmi *nmi;

	if (out->n_lapic_nmis == ACPI_MAX_LAPIC_NMIS) {
		mp->dropped_nmis++;
		return;
	}
	nmi = &out->lapic_nmis[out->n_lapic_nmis++];
	nmi->uid = uid;
	nmi->flags = flags;
	nmi->lint = lint;
}

static int madt_parse_lapic(struct madt_parse *mp,
			    const struct acpi_madt_entry_header *e,
			    uint32_t off)
{
	const struct acpi_madt_lapic *lapic = (const void *)e;
	int err = madt_entry_fits(mp, e, off, sizeof(*lapic));

	if (err)
		return err;
	if (lapic->apic_id == ACPI_XAPIC_ID_INVALID) {
		mp->invalid_cpus++;
		return 0;
	}
	madt_add_cpu(mp, lapic->apic_id, lapic->processor_uid, lapic->flags,
		     false);
	return 0;
}

static int madt_parse_x2apic(struct madt_parse *mp,
			     const struct acpi_madt_entry_header *e,
			     uint32_t off)
{
	const struct acpi_madt_x2apic *x2apic = (const void *)e;
	int err = madt_entry_fits(mp, e, off, sizeof(*x2apic));

	if (err)
		return err;
	if (x2apic->x2apic_id == ACPI_X2APIC_ID_INVALID) {
		mp->invalid_cpus++;
		return 0;
	}
	madt_add_cpu(mp, x2apic->x2apic_id, x2apic->processor_uid,
		     x2apic->flags, true);
	return 0;
}

static int madt_parse_ioapic(struct madt_parse *mp,
			     const struct acpi_madt_entry_header *e,
			     uint32_t off)
{
	const struct acpi_madt_ioapic *src = (const void *)e;
	struct acpi_info *out = mp->out;
	struct acpi_ioapic *ioapic;
	int err = madt_entry_fits(mp, e, off, sizeof(*src));

	if (err)
		return err;
	if (out->n_ioapics == ACPI_MAX_IOAPICS) {
		mp->dropped_ioapics++;
		return 0;
	}
	ioapic = &out->ioapics[out->n_ioapics++];
	ioapic->id = src->ioapic_id;
	ioapic->address = src->address;
	ioapic->gsi_base = src->gsi_base;
	return 0;
}

static int madt_parse_override(struct madt_parse *mp,
			       const struct acpi_madt_entry_header *e,
			       uint32_t off)
{
	const struct acpi_madt_int_override *src = (const void *)e;
	struct acpi_info *out = mp->out;
	struct acpi_irq_override *ovr;
	int err = madt_entry_fits(mp, e, off, sizeof(*src));

	if (err)
		return err;
	if (out->n_overrides == ACPI_MAX_OVERRIDES) {
		mp->dropped_overrides++;
		return 0;
	}
	ovr = &out->overrides[out->n_overrides++];
	ovr->bus = src->bus;
	ovr->source_irq = src->source_irq;
	ovr->gsi = src->gsi;
	ovr->flags = src->flags;
	return 0;
}

static int madt_parse_lapic_nmi(struct madt_parse *mp,
				const struct acpi_madt_entry_header *e,
				uint32_t off)
{
	const struct acpi_madt_lapic_nmi *src = (const void *)e;
	int err = madt_entry_fits(mp, e, off, sizeof(*src));
	uint32_t uid;

	if (err)
		return err;
	uid = src->processor_uid == ACPI_LAPIC_NMI_UID_ALL ?
	      ACPI_NMI_UID_ALL : src->processor_uid;
	madt_add_lapic_nmi(mp, uid, src->flags, src->lint);
	return 0;
}

static int madt_parse_x2apic_nmi(struct madt_parse *mp,
				 const struct acpi_madt_entry_header *e,
				 uint32_t off)
{
	const struct acpi_madt_x2apic_nmi *src = (const void *)e;
	int err = madt_entry_fits(mp, e, off, sizeof(*src));

	if (err)
		return err;
	madt_add_lapic_nmi(mp, src->processor_uid, src->flags, src->lint);
	return 0;
}

static int madt_parse_lapic_override(struct madt_parse *mp,
				     const struct acpi_madt_entry_header *e,
				     uint32_t off)
{
	const struct acpi_madt_lapic_override *src = (const void *)e;
	int err = madt_entry_fits(mp, e, off, sizeof(*src));

	if (err)
		return err;
	/* The specification allows one; should there be more, the first stands. */
	if (!mp->have_lapic_override) {
		mp->have_lapic_override = true;
		mp->lapic_override = src->address;
	}
	return 0;
}

static int madt_parse_entry(struct madt_parse *mp,
			    const struct acpi_madt_entry_header *e,
			    uint32_t off)
{
	switch (e->type) {
	case ACPI_MADT_TYPE_LAPIC:
		return madt_parse_lapic(mp, e, off);
	case ACPI_MADT_TYPE_IOAPIC:
		return madt_parse_ioapic(mp, e, off);
	case ACPI_MADT_TYPE_INT_OVERRIDE:
		return madt_parse_override(mp, e, off);
	case ACPI_MADT_TYPE_NMI_SOURCE:
		/* I/O APIC inputs wired to NMI: we leave them masked. */
		mp->nmi_sources++;
		return madt_entry_fits(mp, e, off,
				       sizeof(struct acpi_madt_nmi_source));
	case ACPI_MADT_TYPE_LAPIC_NMI:
		return madt_parse_lapic_nmi(mp, e, off);
	case ACPI_MADT_TYPE_LAPIC_OVERRIDE:
		return madt_parse_lapic_override(mp, e, off);
	case ACPI_MADT_TYPE_X2APIC:
		return madt_parse_x2apic(mp, e, off);
	case ACPI_MADT_TYPE_X2APIC_NMI:
		return madt_parse_x2apic_nmi(mp, e, off);
	default:
		/* SAPIC, GIC and later types: not for an x86 host. */
		mp->unknown_entries++;
		return 0;
	}
}

/* Reports, once per kind, what the MADT walk skipped. */
static void madt_report(const struct madt_parse *mp)
{
	const struct acpi_info *out = mp->out;

	if (out->n_cpus_dropped)
		pr_warn("acpi: MADT lists %u more CPUs than the %u supported; they stay offline",
			out->n_cpus_dropped, ACPI_MAX_CPUS);
	if (mp->duplicate_cpus)
		pr_warn("acpi: MADT: %u processor entries ignored: APIC id already listed",
			mp->duplicate_cpus);
	if (mp->dropped_ioapics)
		pr_warn("acpi: MADT: %u I/O APICs beyond the %u supported ignored",
			mp->dropped_ioapics, ACPI_MAX_IOAPICS);
	if (mp->dropped_overrides)
		pr_warn("acpi: MADT: %u interrupt source overrides beyond the %u supported ignored",
			mp->dropped_overrides, ACPI_MAX_OVERRIDES);
	if (mp->dropped_nmis)
		pr_warn("acpi: MADT: %u local APIC NMI entries beyond the %u supported ignored",
			mp->dropped_nmis, ACPI_MAX_LAPIC_NMIS);
	if (mp->invalid_cpus)
		pr_debug("acpi: MADT: %u processor entries with an invalid APIC id skipped",
			 mp->invalid_cpus);
	if (mp->nmi_sources)
		pr_debug("acpi: MADT: %u NMI source entries ignored",
			 mp->nmi_sources);
	if (mp->unknown_entries)
		pr_debug("acpi: MADT: %u entries of types unknown to x86 skipped",
			 mp->unknown_entries);
	if (out->n_cpus_enabled == 0)
		pr_warn("acpi: MADT lists no enabled processor");
}

/*
 * Walks the interrupt controller structures of the MADT, already checked
 * for checksum and length by acpi_table_check(). A structure that is too
 * short for its type, has a length below 2 or runs past the table end
 * makes the whole MADT invalid: -EINVAL.
 */
int acpi_parse_madt(const struct acpi_sdt_header *hdr, paddr_t pa,
		    struct acpi_info *out)
{
	const struct acpi_madt *madt = (const void *)hdr;
	const uint8_t *base = (const uint8_t *)hdr;
	struct madt_parse mp = { .out = out, .pa = pa };
	uint32_t len = hdr->length;
	uint32_t off;
	int err;

	if (len < sizeof(*madt)) {
		pr_err("acpi: MADT at 0x%llx: length %u is shorter than its %zu-byte header",
		       (unsigned long long)pa, len, sizeof(*madt));
		return -EINVAL;
	}
	out->pcat_compat = madt->flags & ACPI_MADT_PCAT_COMPAT;

	off = sizeof(*madt);
	while (off < len) {
		const struct acpi_madt_entry_header *e = (const void *)(base + off);

		if (len - off < sizeof(*e)) {
			pr_err("acpi: MADT at 0x%llx: %u stray bytes at offset %u, too short for an entry",
			       (unsigned long long)pa, len - off, off);
			return -EINVAL;
		}
		if (e->length < sizeof(*e)) {
			pr_err("acpi: MADT at 0x%llx: type %u entry at offset %u has length %u",
			       (unsigned long long)pa, e->type, off, e->length);
			return -EINVAL;
		}
		if (e->length > len - off) {
			pr_err("acpi: MADT at 0x%llx: type %u entry at offset %u, length %u, runs past the table end at %u",
			       (unsigned long long)pa, e->type, off, e->length,
			       len);
			return -EINVAL;
		}
		err = madt_parse_entry(&mp, e, off);
		if (err)
			return err;
		off += e->length;	/* at least 2: the walk always advances */
	}

	if (mp.have_lapic_override)
		out->lapic_base = mp.lapic_override;
	else
		out->lapic_base = madt->lapic_address;
	if (out->lapic_base == 0) {
		pr_warn("acpi: MADT gives no local APIC address; assuming 0x%llx",
			ACPI_LAPIC_DEFAULT_BASE);
		out->lapic_base = ACPI_LAPIC_DEFAULT_BASE;
	}
	madt_report(&mp);
	return 0;
}
