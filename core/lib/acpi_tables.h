/*
 * ACPI table layouts (ACPI specification 6.5, section 5.2; the HPET table
 * from the IA-PC HPET specification 1.0a): signatures, the RSDP, the SDT
 * header, the root tables, the Generic Address Structure, the MADT and its
 * entries, the HPET table, the FADT and the FACS, and the checksum every
 * table carries. Every field the hardware or the firmware defines has a
 * named constant and every layout is checked with a static assertion.
 * The one copy for the host's table parser (drivers/acpi.h) and the
 * guest's table builder (core/pc/guest_acpi.c). Types and pure inline
 * helpers only: any context.
 */
#ifndef CORE_LIB_ACPI_TABLES_H
#define CORE_LIB_ACPI_TABLES_H

#include "core/lib/compiler.h"

/* ------------------------------------------------------------------------
 * Signatures
 */

#define ACPI_SIG_RSDP     "RSD PTR "	/* 8 bytes, no terminating NUL */
#define ACPI_SIG_RSDP_LEN 8
#define ACPI_SIG_LEN      4		/* every SDT signature */

#define ACPI_SIG_RSDT "RSDT"
#define ACPI_SIG_XSDT "XSDT"
#define ACPI_SIG_MADT "APIC"
#define ACPI_SIG_FADT "FACP"
#define ACPI_SIG_HPET "HPET"
#define ACPI_SIG_FACS "FACS"
#define ACPI_SIG_DSDT "DSDT"

#define ACPI_OEM_ID_LEN       6
#define ACPI_OEM_TABLE_ID_LEN 8

/* ------------------------------------------------------------------------
 * Root System Description Pointer (ACPI 5.2.5.3)
 *
 * Revision 0 (ACPI 1.0) defines only the first 20 bytes, covered by
 * @checksum; revision 2 and later add the fields from @length on, and
 * @extended_checksum covers all 36 bytes.
 */

#define ACPI_RSDP_REV_ACPI1 0
#define ACPI_RSDP_REV_ACPI2 2

#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_LEN 36

/* The RSDP lies on a 16-byte boundary in the areas the legacy scan reads. */
#define ACPI_RSDP_SCAN_ALIGN 16

struct acpi_rsdp {
	char signature[ACPI_SIG_RSDP_LEN];
	uint8_t checksum;
	char oem_id[ACPI_OEM_ID_LEN];
	uint8_t revision;
	uint32_t rsdt_address;
	/* Revision >= 2 only. */
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __packed;

_Static_assert(offsetof(struct acpi_rsdp, checksum) == 8, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, revision) == 15, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_address) == 16, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, length) == ACPI_RSDP_V1_LEN,
	       "RSDP v1 part is 20 bytes");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, extended_checksum) == 32,
	       "RSDP layout");
_Static_assert(sizeof(struct acpi_rsdp) == ACPI_RSDP_V2_LEN,
	       "RSDP v2 is 36 bytes");

/* ------------------------------------------------------------------------
 * System Description Table header (ACPI 5.2.6), common to every table
 * reached from the RSDT/XSDT.
 */

struct acpi_sdt_header {
	char signature[ACPI_SIG_LEN];
	uint32_t length;		/* whole table, header included */
	uint8_t revision;
	uint8_t checksum;		/* whole table sums to 0 mod 256 */
	char oem_id[ACPI_OEM_ID_LEN];
	char oem_table_id[ACPI_OEM_TABLE_ID_LEN];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;

_Static_assert(offsetof(struct acpi_sdt_header, length) == 4, "SDT layout");
_Static_assert(offsetof(struct acpi_sdt_header, checksum) == 9, "SDT layout");
_Static_assert(offsetof(struct acpi_sdt_header, oem_id) == 10, "SDT layout");
_Static_assert(offsetof(struct acpi_sdt_header, oem_table_id) == 16,
	       "SDT layout");
_Static_assert(offsetof(struct acpi_sdt_header, creator_revision) == 32,
	       "SDT layout");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header is 36 bytes");

/*
 * RSDT (5.2.7) and XSDT (5.2.8): the header followed by 32-bit or 64-bit
 * physical addresses of the other tables. XSDT entries sit at offset 36 and
 * are therefore not naturally aligned; read them with memcpy().
 */
struct acpi_rsdt {
	struct acpi_sdt_header hdr;
	uint32_t entry[];
} __packed;

struct acpi_xsdt {
	struct acpi_sdt_header hdr;
	uint64_t entry[];
} __packed;

_Static_assert(offsetof(struct acpi_rsdt, entry) == 36, "RSDT layout");
_Static_assert(offsetof(struct acpi_xsdt, entry) == 36, "XSDT layout");

/* ------------------------------------------------------------------------
 * Generic Address Structure (5.2.3.2)
 */

#define ACPI_GAS_SPACE_SYSTEM_MEMORY 0x00
#define ACPI_GAS_SPACE_SYSTEM_IO     0x01
#define ACPI_GAS_SPACE_PCI_CONFIG    0x02

#define ACPI_GAS_ACCESS_UNDEFINED 0
#define ACPI_GAS_ACCESS_BYTE      1
#define ACPI_GAS_ACCESS_WORD      2
#define ACPI_GAS_ACCESS_DWORD     3
#define ACPI_GAS_ACCESS_QWORD     4

struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;

_Static_assert(offsetof(struct acpi_gas, address) == 4, "GAS layout");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS is 12 bytes");

/* ------------------------------------------------------------------------
 * Multiple APIC Description Table, signature "APIC" (5.2.12)
 */

#define ACPI_MADT_PCAT_COMPAT BIT(0)	/* dual 8259s present as well */

struct acpi_madt {
	struct acpi_sdt_header hdr;
	uint32_t lapic_address;
	uint32_t flags;
	/* Interrupt controller structures follow, up to hdr.length. */
} __packed;

_Static_assert(offsetof(struct acpi_madt, lapic_address) == 36, "MADT layout");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header is 44 bytes");

enum acpi_madt_type {
	ACPI_MADT_TYPE_LAPIC = 0x0,
	ACPI_MADT_TYPE_IOAPIC = 0x1,
	ACPI_MADT_TYPE_INT_OVERRIDE = 0x2,
	ACPI_MADT_TYPE_NMI_SOURCE = 0x3,
	ACPI_MADT_TYPE_LAPIC_NMI = 0x4,
	ACPI_MADT_TYPE_LAPIC_OVERRIDE = 0x5,
	ACPI_MADT_TYPE_X2APIC = 0x9,
	ACPI_MADT_TYPE_X2APIC_NMI = 0xA,
};

/* Every interrupt controller structure starts with type and length. */
struct acpi_madt_entry_header {
	uint8_t type;
	uint8_t length;			/* whole entry, these 2 bytes included */
} __packed;

_Static_assert(sizeof(struct acpi_madt_entry_header) == 2, "MADT entry hdr");

/* Local APIC flags, types 0 and 9 (5.2.12.2, Table 5.23). */
#define ACPI_MADT_LAPIC_ENABLED        BIT(0)
#define ACPI_MADT_LAPIC_ONLINE_CAPABLE BIT(1)	/* ACPI 6.3+, only if !ENABLED */

/* APIC ids that name no processor: firmware uses them for empty slots. */
#define ACPI_XAPIC_ID_INVALID  0xffu
#define ACPI_X2APIC_ID_INVALID 0xffffffffu

/* Processor UIDs in the NMI entries meaning "every processor". */
#define ACPI_LAPIC_NMI_UID_ALL  0xffu
#define ACPI_X2APIC_NMI_UID_ALL 0xffffffffu

/* MPS INTI flags, types 2, 3, 4 and 10 (Table 5.26). */
#define ACPI_MPS_INTI_POLARITY_MASK    0x0003u
#define ACPI_MPS_INTI_POLARITY_BUS     0x0000u	/* conforms to the bus */
#define ACPI_MPS_INTI_POLARITY_HIGH    0x0001u
#define ACPI_MPS_INTI_POLARITY_LOW     0x0003u
#define ACPI_MPS_INTI_TRIGGER_MASK     0x000cu
#define ACPI_MPS_INTI_TRIGGER_BUS      0x0000u
#define ACPI_MPS_INTI_TRIGGER_EDGE     0x0004u
#define ACPI_MPS_INTI_TRIGGER_LEVEL    0x000cu

/* The only bus an interrupt source override may name. */
#define ACPI_MADT_BUS_ISA 0

/* Type 0: Processor Local APIC. */
struct acpi_madt_lapic {
	struct acpi_madt_entry_header hdr;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;

_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT type 0 layout");

/* Type 1: I/O APIC. */
struct acpi_madt_ioapic {
	struct acpi_madt_entry_header hdr;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __packed;

_Static_assert(offsetof(struct acpi_madt_ioapic, address) == 4,
	       "MADT type 1 layout");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT type 1 layout");

/* Type 2: Interrupt Source Override. */
struct acpi_madt_int_override {
	struct acpi_madt_entry_header hdr;
	uint8_t bus;
	uint8_t source_irq;
	uint32_t gsi;
	uint16_t flags;			/* ACPI_MPS_INTI_* */
} __packed;

_Static_assert(offsetof(struct acpi_madt_int_override, gsi) == 4,
	       "MADT type 2 layout");
_Static_assert(sizeof(struct acpi_madt_int_override) == 10,
	       "MADT type 2 layout");

/* Type 3: Non-Maskable Interrupt Source (an I/O APIC input wired to NMI). */
struct acpi_madt_nmi_source {
	struct acpi_madt_entry_header hdr;
	uint16_t flags;			/* ACPI_MPS_INTI_* */
	uint32_t gsi;
} __packed;

_Static_assert(sizeof(struct acpi_madt_nmi_source) == 8, "MADT type 3 layout");

/* Type 4: Local APIC NMI (which LINT pin of which processor is NMI). */
struct acpi_madt_lapic_nmi {
	struct acpi_madt_entry_header hdr;
	uint8_t processor_uid;		/* ACPI_LAPIC_NMI_UID_ALL: every CPU */
	uint16_t flags;			/* ACPI_MPS_INTI_* */
	uint8_t lint;			/* 0 or 1 */
} __packed;

_Static_assert(offsetof(struct acpi_madt_lapic_nmi, lint) == 5,
	       "MADT type 4 layout");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT type 4 layout");

/* Type 5: Local APIC Address Override (64-bit LAPIC base). */
struct acpi_madt_lapic_override {
	struct acpi_madt_entry_header hdr;
	uint16_t reserved;
	uint64_t address;
} __packed;

_Static_assert(offsetof(struct acpi_madt_lapic_override, address) == 4,
	       "MADT type 5 layout");
_Static_assert(sizeof(struct acpi_madt_lapic_override) == 12,
	       "MADT type 5 layout");

/* Type 9: Processor Local x2APIC. */
struct acpi_madt_x2apic {
	struct acpi_madt_entry_header hdr;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;			/* ACPI_MADT_LAPIC_* */
	uint32_t processor_uid;
} __packed;

_Static_assert(offsetof(struct acpi_madt_x2apic, x2apic_id) == 4,
	       "MADT type 9 layout");
_Static_assert(offsetof(struct acpi_madt_x2apic, processor_uid) == 12,
	       "MADT type 9 layout");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT type 9 layout");

/* Type 10: Local x2APIC NMI. */
struct acpi_madt_x2apic_nmi {
	struct acpi_madt_entry_header hdr;
	uint16_t flags;			/* ACPI_MPS_INTI_* */
	uint32_t processor_uid;		/* ACPI_X2APIC_NMI_UID_ALL: every CPU */
	uint8_t lint;
	uint8_t reserved[3];
} __packed;

_Static_assert(offsetof(struct acpi_madt_x2apic_nmi, processor_uid) == 4,
	       "MADT type 10 layout");
_Static_assert(offsetof(struct acpi_madt_x2apic_nmi, lint) == 8,
	       "MADT type 10 layout");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12,
	       "MADT type 10 layout");

/* ------------------------------------------------------------------------
 * IA-PC High Precision Event Timer table, signature "HPET" (IA-PC HPET
 * specification 1.0a, section 3.2.4).
 */

struct acpi_hpet {
	struct acpi_sdt_header hdr;
	uint32_t event_timer_block_id;	/* copy of the HPET's GCAP_ID[31:0] */
	struct acpi_gas base_address;	/* system memory space */
	uint8_t hpet_number;
	uint16_t min_clock_tick;	/* periodic mode minimum, in ticks */
	uint8_t page_protection;
} __packed;

_Static_assert(offsetof(struct acpi_hpet, base_address) == 40, "HPET layout");
_Static_assert(offsetof(struct acpi_hpet, hpet_number) == 52, "HPET layout");
_Static_assert(offsetof(struct acpi_hpet, min_clock_tick) == 53,
	       "HPET layout");
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET table is 56 bytes");

/* ------------------------------------------------------------------------
 * Fixed ACPI Description Table, signature "FACP" (5.2.9). The table grew
 * with every ACPI revision: ACPI 1.0 tables end at @flags (116 bytes); read
 * a field only if hdr.length covers it (acpi_fadt_has()).
 */

/* FADT.flags (Table 5.10). */
#define ACPI_FADT_WBINVD          BIT(0)	/* WBINVD works */
#define ACPI_FADT_PROC_C1         BIT(2)	/* C1 (HLT) on every CPU */
#define ACPI_FADT_PWR_BUTTON      BIT(4)	/* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON      BIT(5)	/* no fixed-feature sleep button */
#define ACPI_FADT_TMR_VAL_EXT     BIT(8)	/* PM timer is 32 bits, not 24 */
#define ACPI_FADT_RESET_REG_SUP   BIT(10)	/* RESET_REG is valid */
#define ACPI_FADT_HW_REDUCED_ACPI BIT(20)	/* no fixed hardware, no PM timer */

/* FADT.iapc_boot_arch (Table 5.11), ACPI 2.0+. */
#define ACPI_FADT_BOOT_LEGACY_DEVICES   BIT(0)
#define ACPI_FADT_BOOT_8042             BIT(1)
#define ACPI_FADT_BOOT_NO_VGA           BIT(2)
#define ACPI_FADT_BOOT_NO_MSI           BIT(3)
#define ACPI_FADT_BOOT_NO_PCIE_ASPM     BIT(4)
#define ACPI_FADT_BOOT_NO_CMOS_RTC      BIT(5)

/* The PM timer register block is one 32-bit register. */
#define ACPI_PM_TMR_LEN 4
/* The PM timer counts at 3.579545 MHz. */
#define ACPI_PM_TIMER_FREQ_HZ 3579545u

struct acpi_fadt {
	struct acpi_sdt_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;		/* ACPI 1.0 INT_MODEL */
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;		/* I/O port of the PM timer, or 0 */
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	/* ACPI 2.0+ from here on. */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	/* ACPI 5.0+. */
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	/* ACPI 6.0+. */
	uint64_t hypervisor_vendor_id;
} __packed;

#define ACPI_FADT_V1_LEN 116

_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_len) == 91, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109,
	       "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == ACPI_FADT_V1_LEN,
	       "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244,
	       "FADT layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT is 276 bytes");

/* Whether a FADT of @len bytes holds the whole of @field. */
#define acpi_fadt_has(len, field)					\
	((len) >= offsetof(struct acpi_fadt, field) +			\
		  sizeof(((struct acpi_fadt *)0)->field))

/* ------------------------------------------------------------------------
 * Firmware ACPI Control Structure, signature "FACS" (5.2.10, Table 5.13).
 * Not an SDT: no header, no checksum; the FADT points at it.
 */

struct acpi_facs {
	char signature[ACPI_SIG_LEN];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __packed;

_Static_assert(offsetof(struct acpi_facs, x_firmware_waking_vector) == 24,
	       "FACS layout");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "FACS layout");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");

/* Sum of len bytes at p, mod 256: 0 for a well-formed table. */
static inline uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

#endif
