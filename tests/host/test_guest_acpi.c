/*
 * Hosted test of core/pc/guest_acpi.c: the guest's ACPI tables.
 *
 * Scenario: the tables are built at 0xE0000 in an arena standing for the
 * guest's first 2 MiB, then (1) found by the legacy RSDP scan and parsed
 * by the hypervisor's own ACPI parser (drivers/acpi.c, acpi_madt.c), as
 * a guest kernel would find and read them, and (2) read byte by byte at
 * the offsets the ACPI specification (6.0, 5.2) gives, with every length
 * and checksum recomputed here, and the DSDT's AML compared to the bytes
 * the AML grammar (20.2) gives for Name (\_S5, Package (4) {5, 5, 0, 0}).
 * Single thread.
 */
#include "core/lib/errno.h"
#include "core/pc/guest_acpi.h"
#include "drivers/acpi.h"
#include "tests/host/check.h"

#define ARENA_SIZE	MiB(2)
#define TABLES_GPA	0xe0000ull
#define TABLES_ROOM	0x20000ull

static uint8_t *arena;
static struct acpi_info info;

static uint8_t rd8(uint64_t gpa)
{
	return arena[gpa];
}

static uint16_t rd16(uint64_t gpa)
{
	return (uint16_t)(rd8(gpa) | rd8(gpa + 1) << 8);
}

static uint32_t rd32(uint64_t gpa)
{
	return rd16(gpa) | (uint32_t)rd16(gpa + 2) << 16;
}

static uint64_t rd64(uint64_t gpa)
{
	return rd32(gpa) | (uint64_t)rd32(gpa + 4) << 32;
}

static unsigned int sum(uint64_t gpa, size_t len)
{
	unsigned int s = 0;

	while (len--)
		s += rd8(gpa++);
	return s & 0xff;
}

static bool bytes_are(uint64_t gpa, const char *s)
{
	return memcmp(arena + gpa, s, strlen(s)) == 0;
}

/* Builds the default tables for n vCPUs; returns the RSDP address. */
static uint64_t build(unsigned int n, size_t *used)
{
	struct guest_acpi_cfg cfg = guest_acpi_default_cfg(n);
	uint64_t rsdp = 0;

	memset(arena, 0, ARENA_SIZE);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, TABLES_ROOM,
				  &cfg, &rsdp, used), 0);
	return rsdp;
}

/* Every SDT header field we promise; the table's length and checksum. */
static void check_sdt(uint64_t gpa, const char *sig, uint32_t len,
		      uint8_t revision)
{
	CHECK(bytes_are(gpa, sig));
	CHECK_EQ(rd32(gpa + 4), len);
	CHECK_EQ(rd8(gpa + 8), revision);
	CHECK_EQ(sum(gpa, len), 0);
	CHECK(bytes_are(gpa + 10, "MICROH"));
	CHECK(bytes_are(gpa + 16, "MicroHV "));
	CHECK(bytes_are(gpa + 28, "MHV "));
	CHECK(gpa >= TABLES_GPA && gpa + len <= TABLES_GPA + TABLES_ROOM);
}

static void parsed_by_host_parser(void)
{
	size_t used = 0;
	uint64_t rsdp = build(4, &used);

	CHECK_EQ(rsdp, TABLES_GPA);
	CHECK(used > 0 && used <= TABLES_ROOM);
	/* Linux's scan of 0xE0000-0xFFFFF finds it (no EBDA here). */
	CHECK_EQ(acpi_find_rsdp_legacy(), TABLES_GPA);
	CHECK_EQ(acpi_init(rsdp, &info), 0);
	CHECK_EQ(info.revision, 2);
	CHECK(info.xsdt);
	CHECK_STR(info.oem_id, "MICROH");
	CHECK_EQ(info.n_tables, 2);
	CHECK_STR(info.tables[0].signature, "FACP");
	CHECK_STR(info.tables[1].signature, "APIC");
	CHECK(info.tables[0].valid && info.tables[1].valid);
	CHECK_EQ(info.tables[0].length, 276);

	CHECK_EQ(info.lapic_base, 0xfee00000ull);
	CHECK(info.pcat_compat);
	CHECK_EQ(info.n_cpus, 4);
	CHECK_EQ(info.n_cpus_enabled, 4);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(info.cpus[i].apic_id, i);
		CHECK_EQ(info.cpus[i].uid, i);
		CHECK(info.cpus[i].enabled && !info.cpus[i].x2apic);
	}
	CHECK_EQ(info.n_ioapics, 1);
	CHECK_EQ(info.ioapics[0].id, 4);
	CHECK_EQ(info.ioapics[0].address, 0xfec00000ull);
	CHECK_EQ(info.ioapics[0].gsi_base, 0);
	CHECK_EQ(info.n_overrides, 2);
	CHECK_EQ(info.overrides[0].bus, 0);
	CHECK_EQ(info.overrides[0].source_irq, 0);
	CHECK_EQ(info.overrides[0].gsi, 2);
	CHECK_EQ(info.overrides[0].flags, 0);
	CHECK_EQ(info.overrides[1].source_irq, 9);
	CHECK_EQ(info.overrides[1].gsi, 9);
	CHECK_EQ(info.overrides[1].flags, 0x000d);	/* level, active high */
	CHECK_EQ(info.n_lapic_nmis, 1);
	CHECK_EQ(info.lapic_nmis[0].uid, ACPI_NMI_UID_ALL);
	CHECK_EQ(info.lapic_nmis[0].lint, 1);
	CHECK_EQ(info.lapic_nmis[0].flags, 0x0005);	/* edge, active high */

	CHECK(info.fadt_present);
	CHECK(info.pm_timer_present);
	CHECK_EQ(info.pm_timer_port, 0x608);
	CHECK(info.pm_timer_32bit);
	CHECK_EQ(info.iapc_boot_arch, 0x0001);		/* legacy, no 8042 */
}

static void rsdp_and_root_tables(void)
{
	size_t used;
	uint64_t r = build(2, &used), rsdt, xsdt;

	CHECK(IS_ALIGNED(r, 16));
	CHECK(bytes_are(r, "RSD PTR "));
	CHECK_EQ(sum(r, 20), 0);
	CHECK_EQ(sum(r, 36), 0);
	CHECK(bytes_are(r + 9, "MICROH"));
	CHECK_EQ(rd8(r + 15), 2);
	CHECK_EQ(rd32(r + 20), 36);
	rsdt = rd32(r + 16);
	xsdt = rd64(r + 24);
	check_sdt(xsdt, "XSDT", 36 + 2 * 8, 1);
	check_sdt(rsdt, "RSDT", 36 + 2 * 4, 1);
	/* Both list the same tables: FADT, MADT. */
	CHECK_EQ(rd64(xsdt + 36), rd32(rsdt + 36));
	CHECK_EQ(rd64(xsdt + 44), rd32(rsdt + 40));
	check_sdt(rd64(xsdt + 36), "FACP", 276, 6);
	/* 2 CPUs: 44 + 2 * 8 + 12 + 2 * 10 + 6. */
	check_sdt(rd64(xsdt + 44), "APIC", 98, 4);
}

static void fadt_fields(void)
{
	size_t used;
	uint64_t r = build(1, &used);
	uint64_t f = rd64(rd64(r + 24) + 36), facs, dsdt;

	facs = rd32(f + 36);
	dsdt = rd32(f + 40);
	CHECK_EQ(rd64(f + 132), facs);			/* X_FIRMWARE_CTRL */
	CHECK_EQ(rd64(f + 140), dsdt);			/* X_DSDT */
	CHECK_EQ(rd8(f + 45), 0);			/* PM profile */
	CHECK_EQ(rd16(f + 46), 9);			/* SCI_INT */
	CHECK_EQ(rd32(f + 48), 0);			/* SMI_CMD */
	CHECK_EQ(rd8(f + 52), 0);			/* ACPI_ENABLE */
	CHECK_EQ(rd8(f + 53), 0);			/* ACPI_DISABLE */
	CHECK_EQ(rd32(f + 56), 0x600);			/* PM1a_EVT_BLK */
	CHECK_EQ(rd32(f + 60), 0);			/* PM1b_EVT_BLK */
	CHECK_EQ(rd32(f + 64), 0x604);			/* PM1a_CNT_BLK */
	CHECK_EQ(rd32(f + 68), 0);			/* PM1b_CNT_BLK */
	CHECK_EQ(rd32(f + 72), 0);			/* PM2_CNT_BLK */
	CHECK_EQ(rd32(f + 76), 0x608);			/* PM_TMR_BLK */
	CHECK_EQ(rd32(f + 80), 0);			/* GPE0_BLK */
	CHECK_EQ(rd32(f + 84), 0);			/* GPE1_BLK */
	CHECK_EQ(rd8(f + 88), 4);			/* PM1_EVT_LEN */
	CHECK_EQ(rd8(f + 89), 2);			/* PM1_CNT_LEN */
	CHECK_EQ(rd8(f + 91), 4);			/* PM_TMR_LEN */
	CHECK_EQ(rd8(f + 92), 0);			/* GPE0_BLK_LEN */
	CHECK(rd16(f + 96) > 100);			/* P_LVL2_LAT */
	CHECK(rd16(f + 98) > 1000);			/* P_LVL3_LAT */
	CHECK_EQ(rd8(f + 108), 0x32);			/* CENTURY */
	CHECK_EQ(rd16(f + 109), 0x0001);		/* IAPC_BOOT_ARCH */
	/* WBINVD, PROC_C1, PWR_BUTTON, SLP_BUTTON, TMR_VAL_EXT, RESET_REG_SUP. */
	CHECK_EQ(rd32(f + 112), 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 |
				1u << 8 | 1u << 10);
	/* RESET_REG: system I/O, 8 bits at 0, byte access, 0xcf9; value 6. */
	CHECK_EQ(rd8(f + 116), 1);
	CHECK_EQ(rd8(f + 117), 8);
	CHECK_EQ(rd8(f + 118), 0);
	CHECK_EQ(rd8(f + 119), 1);
	CHECK_EQ(rd64(f + 120), 0xcf9);
	CHECK_EQ(rd8(f + 128), 0x06);
	/* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK, X_PM_TMR_BLK: system I/O. */
	CHECK_EQ(rd8(f + 148), 1);
	CHECK_EQ(rd8(f + 149), 32);
	CHECK_EQ(rd64(f + 152), 0x600);
	CHECK_EQ(rd8(f + 160), 0);			/* no X_PM1b_EVT_BLK */
	CHECK_EQ(rd8(f + 172), 1);
	CHECK_EQ(rd8(f + 173), 16);
	CHECK_EQ(rd64(f + 176), 0x604);
	CHECK_EQ(rd8(f + 208), 1);
	CHECK_EQ(rd8(f + 209), 32);
	CHECK_EQ(rd64(f + 212), 0x608);
	CHECK_EQ(rd8(f + 220), 0);			/* no X_GPE0_BLK */

	/* FACS: 64 bytes, 64-byte aligned, no checksum. */
	CHECK(IS_ALIGNED(facs, 64));
	CHECK(bytes_are(facs, "FACS"));
	CHECK_EQ(rd32(facs + 4), 64);
	CHECK_EQ(rd8(facs + 32), 2);			/* version */
}

static void dsdt_aml(void)
{
	static const uint8_t expect[] = {
		0x08, '\\', '_', 'S', '5', '_',	/* Name (\_S5, */
		0x12, 0x08, 0x04,		/* Package, PkgLength 8, 4 elems */
		0x0a, 0x05, 0x0a, 0x05,		/* BytePrefix 5, BytePrefix 5 */
		0x00, 0x00,			/* Zero, Zero */
	};
	size_t used;
	uint64_t r = build(1, &used);
	uint64_t f = rd64(rd64(r + 24) + 36), dsdt = rd64(f + 140);

	check_sdt(dsdt, "DSDT", 36 + sizeof(expect), 2);
	CHECK_EQ(memcmp(arena + dsdt + 36, expect, sizeof(expect)), 0);
	/* PkgLength counts itself and the rest of the package. */
	CHECK_EQ(rd8(dsdt + 36 + 7), sizeof(expect) - 7);
}

static void madt_bytes(void)
{
	size_t used;
	uint64_t r = build(3, &used);
	uint64_t m = rd64(rd64(r + 24) + 44), e;

	check_sdt(m, "APIC", 44 + 3 * 8 + 12 + 2 * 10 + 6, 4);
	CHECK_EQ(rd32(m + 36), 0xfee00000u);
	CHECK_EQ(rd32(m + 40), 1);			/* PCAT_COMPAT */
	e = m + 44;
	for (unsigned int i = 0; i < 3; i++, e += 8) {
		CHECK_EQ(rd8(e), 0);			/* local APIC */
		CHECK_EQ(rd8(e + 1), 8);
		CHECK_EQ(rd8(e + 2), i);		/* processor UID */
		CHECK_EQ(rd8(e + 3), i);		/* APIC id */
		CHECK_EQ(rd32(e + 4), 1);		/* enabled */
	}
	CHECK_EQ(rd8(e), 1);				/* IOAPIC */
	CHECK_EQ(rd8(e + 1), 12);
	CHECK_EQ(rd8(e + 2), 3);
	CHECK_EQ(rd32(e + 4), 0xfec00000u);
	CHECK_EQ(rd32(e + 8), 0);
	e += 12;
	CHECK_EQ(rd8(e), 2);				/* override IRQ 0 */
	CHECK_EQ(rd8(e + 1), 10);
	CHECK_EQ(rd8(e + 2), 0);
	CHECK_EQ(rd8(e + 3), 0);
	CHECK_EQ(rd32(e + 4), 2);
	CHECK_EQ(rd16(e + 8), 0);
	e += 10;
	CHECK_EQ(rd8(e), 2);				/* override IRQ 9 */
	CHECK_EQ(rd8(e + 3), 9);
	CHECK_EQ(rd32(e + 4), 9);
	CHECK_EQ(rd16(e + 8), 0x000d);
	e += 10;
	CHECK_EQ(rd8(e), 4);				/* local APIC NMI */
	CHECK_EQ(rd8(e + 1), 6);
	CHECK_EQ(rd8(e + 2), 0xff);
	CHECK_EQ(rd16(e + 3), 0x0005);
	CHECK_EQ(rd8(e + 5), 1);			/* LINT1 */
}

static void errors(void)
{
	struct guest_acpi_cfg cfg = guest_acpi_default_cfg(2);
	uint64_t rsdp = 0;
	size_t used = 0, need;

	build(254, &need);
	CHECK_EQ(acpi_init(TABLES_GPA, &info), 0);
	CHECK_EQ(info.n_cpus, 254);
	CHECK_EQ(info.ioapics[0].id, 254);

	build(2, &need);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, need, &cfg,
				  &rsdp, &used), 0);
	CHECK_EQ(used, need);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, need - 1,
				  &cfg, &rsdp, &used), -ENOSPC);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, 16, &cfg,
				  &rsdp, &used), -ENOSPC);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA + 8, 0x1000,
				  &cfg, &rsdp, &used), -EINVAL);
	cfg.nr_vcpus = 0;
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, TABLES_ROOM,
				  &cfg, &rsdp, &used), -EINVAL);
	cfg = guest_acpi_default_cfg(255);
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, TABLES_ROOM,
				  &cfg, &rsdp, &used), -EINVAL);
	cfg = guest_acpi_default_cfg(4);
	cfg.ioapic_id = 2;				/* an APIC id */
	CHECK_EQ(guest_acpi_build(arena + TABLES_GPA, TABLES_GPA, TABLES_ROOM,
				  &cfg, &rsdp, &used), -EINVAL);
}

int main(void)
{
	shim_set_cpu(0);
	arena = shim_phys_arena(0, ARENA_SIZE);
	RUN(parsed_by_host_parser);
	RUN(rsdp_and_root_tables);
	RUN(fadt_fields);
	RUN(dsdt_aml);
	RUN(madt_bytes);
	RUN(errors);
	return check_done();
}
