/*
 * Hosted test: ACPI table discovery (drivers/acpi.c) on broken firmware
 * (the table builders are in tests/host/test_acpi.h).
 *
 * Scenario: each case builds a platform, breaks one thing (a signature, a
 * checksum, a length, an MADT entry, a root entry) and checks that
 * acpi_init() refuses what it must, skips what it may, and never reads past
 * a table.
 *
 * Runs single-threaded; a watchdog alarm turns a hang in a table walk into
 * a failed run.
 */
#include "tests/host/test_acpi.h"

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

int main(void)
{
	alarm(WATCHDOG_S);
	arena = shim_phys_arena(0, ARENA_SIZE);

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
	return check_done();
}
