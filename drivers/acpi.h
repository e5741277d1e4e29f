/*
 * Host ACPI table discovery: RSDP, RSDT/XSDT, MADT, HPET and FADT.
 * The table layouts are in core/lib/acpi_tables.h, shared with the
 * guest's table builder.
 *
 * Runs on the boot CPU during early boot, before the application processors
 * are started and before anything else reads the tables; acpi_init() is not
 * reentrant. After a successful acpi_init() the tables are only read, so
 * acpi_find_table() may be called from any CPU.
 */
#ifndef DRIVERS_ACPI_H
#define DRIVERS_ACPI_H

#include "asm/msr.h"
#include "core/lib/acpi_tables.h"
#include "core/lib/platform.h"

/* ------------------------------------------------------------------------
 * What acpi_init() learns
 */

#define ACPI_MAX_CPUS        256
#define ACPI_MAX_IOAPICS     32
#define ACPI_MAX_OVERRIDES   48
#define ACPI_MAX_LAPIC_NMIS  ACPI_MAX_CPUS	/* firmware may give one per CPU */
#define ACPI_MAX_TABLES      64

/* The architectural default, used when the MADT is silent. */
#define ACPI_LAPIC_DEFAULT_BASE APIC_BASE_DEFAULT

struct acpi_cpu {
	uint32_t apic_id;		/* xAPIC (8-bit) or x2APIC id */
	uint32_t uid;			/* ACPI processor UID */
	bool enabled;			/* usable now: start it */
	bool online_capable;		/* disabled, may be hot-added later */
	bool x2apic;			/* described by a type 9 entry */
};

struct acpi_ioapic {
	uint8_t id;
	paddr_t address;
	uint32_t gsi_base;
};

struct acpi_irq_override {
	uint8_t bus;			/* ACPI_MADT_BUS_ISA */
	uint8_t source_irq;		/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;			/* ACPI_MPS_INTI_* */
};

/* struct acpi_lapic_nmi.uid naming every processor, from type 4 or 10. */
#define ACPI_NMI_UID_ALL ACPI_X2APIC_NMI_UID_ALL

struct acpi_lapic_nmi {
	uint32_t uid;			/* ACPI_NMI_UID_ALL: every CPU */
	uint16_t flags;			/* ACPI_MPS_INTI_* */
	uint8_t lint;			/* LINT0 or LINT1 */
};

struct acpi_table_ref {
	char signature[ACPI_SIG_LEN + 1];	/* NUL-terminated, printable */
	paddr_t address;
	uint32_t length;
	bool valid;			/* length and checksum were sound */
};

struct acpi_info {
	/* From the RSDP and the root table. */
	char oem_id[ACPI_OEM_ID_LEN + 1];	/* NUL-terminated, printable */
	uint8_t revision;		/* RSDP revision: 0 (ACPI 1.0) or 2 */
	bool xsdt;			/* root table is the XSDT, not the RSDT */
	paddr_t rsdp_address;
	paddr_t root_address;
	/* Tables the root table lists, in its order. */
	uint32_t n_tables;		/* entries in tables[] */
	uint32_t n_tables_dropped;	/* listed beyond ACPI_MAX_TABLES */
	struct acpi_table_ref tables[ACPI_MAX_TABLES];

	/* From the MADT. */
	paddr_t lapic_base;		/* after any type 5 override */
	bool pcat_compat;		/* ACPI_MADT_PCAT_COMPAT: 8259s present */
	uint32_t n_cpus;		/* entries in cpus[], disabled included */
	uint32_t n_cpus_enabled;	/* entries with .enabled set */
	uint32_t n_cpus_dropped;	/* beyond ACPI_MAX_CPUS, not recorded */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];	/* MADT order: boot CPU first */
	uint32_t n_ioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t n_overrides;
	struct acpi_irq_override overrides[ACPI_MAX_OVERRIDES];
	uint32_t n_lapic_nmis;
	struct acpi_lapic_nmi lapic_nmis[ACPI_MAX_LAPIC_NMIS];

	/* From the HPET table, if there is a valid one. */
	bool hpet_present;
	paddr_t hpet_base;
	uint32_t hpet_block_id;		/* GCAP_ID[31:0] as the firmware saw it */
	uint16_t hpet_min_tick;

	/* From the FADT, if there is a valid one. */
	bool fadt_present;
	bool pm_timer_present;
	uint16_t pm_timer_port;		/* I/O port of the 32-bit PM_TMR */
	bool pm_timer_32bit;		/* TMR_VAL_EXT: 32-bit, else 24-bit */
	uint32_t fadt_flags;
	uint16_t iapc_boot_arch;	/* ACPI_FADT_BOOT_*, 0 before ACPI 2.0 */
};

/* ------------------------------------------------------------------------
 * Interface
 */

/*
 * Parses the tables reached from the RSDP at physical address @rsdp_pa and
 * fills @out. Validates the RSDP (signature, checksum, extended checksum
 * for revision >= 2), the XSDT (preferred when present) or the RSDT, and
 * the MADT; other tables with a bad length or checksum are warned about
 * and ignored.
 *
 * Returns 0, -ENOENT if @rsdp_pa is 0 or there is no MADT, or -EINVAL if a
 * required structure is malformed; each failure logs one pr_err line.
 * On failure *out holds partial results and must not be used, and
 * acpi_find_table() finds nothing.
 */
int acpi_init(paddr_t rsdp_pa, struct acpi_info *out);

/*
 * Returns the @instance-th (from 0) table with signature @sig among the
 * tables the root table lists whose length and checksum are sound, or NULL
 * if there is none or acpi_init() has not succeeded. The DSDT and the FACS
 * are not listed in the root table and are not found here.
 */
const struct acpi_sdt_header *acpi_find_table(const char sig[ACPI_SIG_LEN],
					      unsigned int instance);

/* Logs what acpi_init() found: tables, CPUs and interrupt controllers, timers. */
void acpi_print_summary(const struct acpi_info *info);

/*
 * Legacy BIOS search for the RSDP: the first KiB of the EBDA (segment at
 * physical 0x40E), then 0xE0000-0xFFFFF, on 16-byte boundaries. Returns the
 * physical address of the first candidate whose checksums are sound, or 0.
 * For the Multiboot2 path when the loader gave no ACPI tag; never on UEFI,
 * and only with the first MiB mapped.
 */
paddr_t acpi_find_rsdp_legacy(void);

#endif
