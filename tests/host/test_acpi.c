/*
 * Hosted test: ACPI table discovery (drivers/acpi.c) on well-formed
 * firmware (the table builders are in tests/host/test_acpi.h).
 *
 * Scenario: each case builds a platform's tables and checks what
 * acpi_init(), acpi_find_table() or the legacy RSDP scan makes of them:
 * RSDP revisions and root tables, the MADT's contents, the timers (HPET,
 * PM timer), the summary. Malformed tables are in test_acpi_reject.c.
 *
 * Runs single-threaded; a watchdog alarm turns a hang in a table walk into
 * a failed run.
 */
#include "tests/host/test_acpi.h"

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
