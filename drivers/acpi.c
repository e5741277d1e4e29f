/*
 * Host ACPI table discovery: finds the RSDP, walks the XSDT or RSDT, and
 * distils the MADT, the HPET table and the FADT into struct acpi_info. The
 * MADT's interrupt controller structures are walked in acpi_madt.c.
 *
 * Environment: boot CPU, early boot, before the application processors run;
 * acpi_init() writes acpi_root without a lock and is not reentrant. Once it
 * has succeeded acpi_root is never written again, and acpi_find_table() may
 * run on any CPU. The caller maps every table and the first MiB (for the
 * legacy scan) so that phys_to_virt() reaches them.
 *
 * The tables come from firmware and may be wrong. No field is read before
 * the bytes holding it are known to lie inside a table whose length was
 * bounded (a table's header is the exception: the specification lets the
 * reader assume it is addressable), and every walk advances by at least one
 * byte, so a malformed table ends in an error line and a negative errno,
 * never a read beyond the table or a hang.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "drivers/acpi.h"
#include "drivers/acpi_internal.h"

/*
 * Longest table we are willing to checksum. Real tables are a few KiB (a
 * large DSDT, which is not reached from here, reaches a few hundred KiB); a
 * garbage length must not send us through gigabytes of unmapped memory.
 */
#define ACPI_TABLE_MAX_LEN MiB(16)

/* The FADT revision that ACPI 2.0 introduced, with IAPC_BOOT_ARCH. */
#define ACPI_FADT_REV_ACPI2 3

/* PC BIOS memory areas searched for the RSDP (ACPI 5.2.5.1). */
#define BDA_EBDA_SEGMENT_PA 0x40eull	/* 16-bit real-mode segment of EBDA */
#define BDA_END_PA          0x500ull	/* the EBDA cannot start below this */
#define EBDA_SCAN_LEN       KiB(1)
#define CONV_MEM_END_PA     0xa0000ull	/* end of conventional memory */
#define BIOS_ROM_START_PA   0xe0000ull
#define BIOS_ROM_END_PA     0x100000ull
#define REAL_MODE_SEG_SHIFT 4

/* Signatures printed by acpi_print_summary() before it writes "...". */
#define ACPI_SUMMARY_MAX_SIGS 24

/*
 * The root table of the last successful acpi_init() (hdr NULL before one).
 * Written only by acpi_init() on the boot CPU, read-only afterwards.
 */
struct acpi_root_view {
	const struct acpi_sdt_header *hdr;
	unsigned int entry_size;	/* 4 (RSDT) or 8 (XSDT) */
	unsigned int n_entries;
};

static struct acpi_root_view acpi_root;

/* ------------------------------------------------------------------------
 * Helpers
 */

static bool acpi_printable(char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * Copies @len firmware-supplied characters into @dst (which holds len + 1),
 * stopping at a NUL, replacing what cannot be printed by '?', dropping the
 * trailing blanks that pad OEM ids, and NUL-terminating.
 */
static void acpi_copy_string(char *dst, const char *src, size_t len)
{
	size_t n;

	for (n = 0; n < len && src[n] != '\0'; n++)
		dst[n] = acpi_printable(src[n]) ? src[n] : '?';
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* A signature is always 4 characters when printed, blanks included. */
static void acpi_copy_sig(char dst[ACPI_SIG_LEN + 1], const char *src)
{
	unsigned int i;

	for (i = 0; i < ACPI_SIG_LEN; i++)
		dst[i] = acpi_printable(src[i]) ? src[i] : '?';
	dst[ACPI_SIG_LEN] = '\0';
}

/*
 * The name a table goes by in messages: its signature, except for the two
 * whose signature is not their name.
 */
static const char *acpi_table_name(const char sig[ACPI_SIG_LEN + 1])
{
	if (memcmp(sig, ACPI_SIG_MADT, ACPI_SIG_LEN) == 0)
		return "MADT";
	if (memcmp(sig, ACPI_SIG_FADT, ACPI_SIG_LEN) == 0)
		return "FADT";
	return sig;
}

static void acpi_report_checksum(int level, const char *what, paddr_t pa,
				 uint8_t stored, uint8_t sum)
{
	log_printf(level,
		   "acpi: %s at 0x%llx: bad checksum: bytes sum to 0x%02x, expected 0x00 (checksum byte 0x%02x, should be 0x%02x)",
		   what, (unsigned long long)pa, sum, stored,
		   (uint8_t)(stored - sum));
}

/*
 * Returns the header of the table at @pa, or NULL if @pa cannot be a table
 * (zero, or a header that would wrap the address space).
 */
static const struct acpi_sdt_header *acpi_table_header(paddr_t pa)
{
	if (pa == 0 || pa > UINT64_MAX - sizeof(struct acpi_sdt_header))
		return NULL;
	return phys_to_virt(pa);
}

/*
 * Validates the table at @pa: a signature equal to @sig (if @sig is not
 * NULL), a length that covers the header and is plausible, and a zero
 * checksum. What is wrong is logged at @level. Returns 0 and sets *@out,
 * or returns -EINVAL.
 */
static int acpi_table_check(paddr_t pa, const char *sig, int level,
			    const struct acpi_sdt_header **out)
{
	const struct acpi_sdt_header *hdr = acpi_table_header(pa);
	char sig_buf[ACPI_SIG_LEN + 1];
	const char *name;
	uint32_t len;
	uint8_t sum;

	if (!hdr) {
		log_printf(level, "acpi: %s table address 0x%llx is invalid",
			   sig ? sig : "a", (unsigned long long)pa);
		return -EINVAL;
	}
	acpi_copy_sig(sig_buf, hdr->signature);
	if (sig && memcmp(hdr->signature, sig, ACPI_SIG_LEN) != 0) {
		log_printf(level,
			   "acpi: %s at 0x%llx: signature \"%s\", expected \"%s\"",
			   sig, (unsigned long long)pa, sig_buf, sig);
		return -EINVAL;
	}
	name = acpi_table_name(sig_buf);
	len = hdr->length;
	if (len < sizeof(*hdr)) {
		log_printf(level,
			   "acpi: %s at 0x%llx: length %u is shorter than its %zu-byte header",
			   name, (unsigned long long)pa, len, sizeof(*hdr));
		return -EINVAL;
	}
	if (len > ACPI_TABLE_MAX_LEN || pa > UINT64_MAX - len) {
		log_printf(level,
			   "acpi: %s at 0x%llx: implausible length %u (limit %llu)",
			   name, (unsigned long long)pa, len,
			   (unsigned long long)ACPI_TABLE_MAX_LEN);
		return -EINVAL;
	}
	sum = acpi_checksum(hdr, len);
	if (sum != 0) {
		acpi_report_checksum(level, name, pa, hdr->checksum, sum);
		return -EINVAL;
	}
	*out = hdr;
	return 0;
}

/*
 * Validates the RSDP at @pa, of which at most @avail bytes may be read:
 * signature, the checksum of the first 20 bytes, and for revision 2 and
 * later the extended checksum of all 36. Logs at @level. Returns 0 or
 * -EINVAL.
 */
static int acpi_rsdp_check(paddr_t pa, uint64_t avail, int level)
{
	const struct acpi_rsdp *rsdp = phys_to_virt(pa);
	char sig[ACPI_SIG_RSDP_LEN + 1];
	uint8_t sum;

	if (avail < ACPI_RSDP_V1_LEN) {
		log_printf(level, "acpi: RSDP at 0x%llx: truncated",
			   (unsigned long long)pa);
		return -EINVAL;
	}
	if (memcmp(rsdp->signature, ACPI_SIG_RSDP, ACPI_SIG_RSDP_LEN) != 0) {
		acpi_copy_string(sig, rsdp->signature, ACPI_SIG_RSDP_LEN);
		log_printf(level,
			   "acpi: RSDP at 0x%llx: signature \"%s\", expected \"%s\"",
			   (unsigned long long)pa, sig, ACPI_SIG_RSDP);
		return -EINVAL;
	}
	sum = acpi_checksum(rsdp, ACPI_RSDP_V1_LEN);
	if (sum != 0) {
		acpi_report_checksum(level, "RSDP", pa, rsdp->checksum, sum);
		return -EINVAL;
	}
	if (rsdp->revision < ACPI_RSDP_REV_ACPI2)
		return 0;
	/*
	 * The extended checksum covers the 36 bytes this revision defines,
	 * whatever @length says, as other operating systems check it.
	 */
	if (avail < ACPI_RSDP_V2_LEN) {
		log_printf(level, "acpi: RSDP rev %u at 0x%llx: truncated",
			   rsdp->revision, (unsigned long long)pa);
		return -EINVAL;
	}
	sum = acpi_checksum(rsdp, ACPI_RSDP_V2_LEN);
	if (sum != 0) {
		acpi_report_checksum(level, "RSDP (extended checksum)", pa,
				     rsdp->extended_checksum, sum);
		return -EINVAL;
	}
	return 0;
}

/* Physical address in entry @i of the root table; 0 is "no table". */
static paddr_t acpi_root_entry(const struct acpi_root_view *root,
			       unsigned int i)
{
	const uint8_t *p = (const uint8_t *)root->hdr +
			   sizeof(struct acpi_sdt_header) +
			   (size_t)i * root->entry_size;
	uint64_t pa64;
	uint32_t pa32;

	if (root->entry_size == sizeof(pa64)) {
		memcpy(&pa64, p, sizeof(pa64));
		return pa64;
	}
	memcpy(&pa32, p, sizeof(pa32));
	return pa32;
}

/* ------------------------------------------------------------------------
 * RSDP and root table
 */

/*
 * Picks the XSDT when the RSDP has one, the RSDT otherwise, validates it
 * and fills @root and the RSDP part of @out.
 */
static int acpi_parse_rsdp(paddr_t rsdp_pa, struct acpi_root_view *root,
			   struct acpi_info *out)
{
	const struct acpi_rsdp *rsdp = phys_to_virt(rsdp_pa);
	const char *sig;
	paddr_t root_pa;
	uint32_t payload;
	int err;

	err = acpi_rsdp_check(rsdp_pa, ACPI_RSDP_V2_LEN, LOG_ERR);
	if (err)
		return err;

	acpi_copy_string(out->oem_id, rsdp->oem_id, ACPI_OEM_ID_LEN);
	out->revision = rsdp->revision;
	out->rsdp_address = rsdp_pa;

	if (rsdp->revision >= ACPI_RSDP_REV_ACPI2 && rsdp->xsdt_address != 0) {
		out->xsdt = true;
		root_pa = rsdp->xsdt_address;
		root->entry_size = sizeof(uint64_t);
		sig = ACPI_SIG_XSDT;
	} else if (rsdp->rsdt_address != 0) {
		root_pa = rsdp->rsdt_address;
		root->entry_size = sizeof(uint32_t);
		sig = ACPI_SIG_RSDT;
	} else {
		pr_err("acpi: RSDP at 0x%llx lists neither an XSDT nor an RSDT",
		       (unsigned long long)rsdp_pa);
		return -EINVAL;
	}
	out->root_address = root_pa;

	err = acpi_table_check(root_pa, sig, LOG_ERR, &root->hdr);
	if (err)
		return err;

	payload = root->hdr->length - (uint32_t)sizeof(struct acpi_sdt_header);
	root->n_entries = payload / root->entry_size;
	if (payload % root->entry_size != 0)
		pr_warn("acpi: %s at 0x%llx: %u trailing bytes after %u entries ignored",
			sig, (unsigned long long)root_pa,
			payload % root->entry_size, root->n_entries);
	return 0;
}

/* ------------------------------------------------------------------------
 * Timers: HPET and the FADT's PM timer
 */

static void acpi_parse_hpet(const struct acpi_sdt_header *hdr, paddr_t pa,
			    struct acpi_info *out)
{
	const struct acpi_hpet *hpet = (const void *)hdr;

	if (hdr->length < sizeof(*hpet)) {
		pr_warn("acpi: HPET at 0x%llx: length %u is shorter than %zu bytes; ignored",
			(unsigned long long)pa, hdr->length, sizeof(*hpet));
		return;
	}
	if (hpet->base_address.space_id != ACPI_GAS_SPACE_SYSTEM_MEMORY ||
	    hpet->base_address.address == 0) {
		pr_warn("acpi: HPET at 0x%llx: registers not in memory space (space %u, address 0x%llx); ignored",
			(unsigned long long)pa, hpet->base_address.space_id,
			(unsigned long long)hpet->base_address.address);
		return;
	}
	out->hpet_present = true;
	out->hpet_base = hpet->base_address.address;
	out->hpet_block_id = hpet->event_timer_block_id;
	out->hpet_min_tick = hpet->min_clock_tick;
}

/*
 * Returns the PM timer's I/O port, or 0. X_PM_TMR_BLK supersedes
 * PM_TMR_BLK when it is present and in I/O space.
 */
static uint64_t fadt_pm_timer_port(const struct acpi_fadt *fadt, paddr_t pa)
{
	uint32_t len = fadt->hdr.length;
	uint64_t legacy = 0, ext = 0;

	if (fadt->pm_tmr_blk != 0 && fadt->pm_tmr_len == ACPI_PM_TMR_LEN)
		legacy = fadt->pm_tmr_blk;
	if (fadt->hdr.revision >= ACPI_FADT_REV_ACPI2 &&
	    acpi_fadt_has(len, x_pm_tmr_blk) &&
	    fadt->x_pm_tmr_blk.space_id == ACPI_GAS_SPACE_SYSTEM_IO)
		ext = fadt->x_pm_tmr_blk.address;

	if (ext != 0 && legacy != 0 && ext != legacy)
		pr_warn("acpi: FADT at 0x%llx: PM_TMR_BLK 0x%llx and X_PM_TMR_BLK 0x%llx differ; using the latter",
			(unsigned long long)pa, (unsigned long long)legacy,
			(unsigned long long)ext);
	return ext != 0 ? ext : legacy;
}

static void acpi_parse_fadt(const struct acpi_sdt_header *hdr, paddr_t pa,
			    struct acpi_info *out)
{
	const struct acpi_fadt *fadt = (const void *)hdr;
	uint64_t port;

	if (!acpi_fadt_has(hdr->length, flags)) {
		pr_warn("acpi: FADT at 0x%llx: length %u is shorter than the ACPI 1.0 FADT (%u bytes); ignored",
			(unsigned long long)pa, hdr->length, ACPI_FADT_V1_LEN);
		return;
	}
	out->fadt_present = true;
	out->fadt_flags = fadt->flags;
	if (hdr->revision >= ACPI_FADT_REV_ACPI2)
		out->iapc_boot_arch = fadt->iapc_boot_arch;

	/* Hardware-reduced platforms have no fixed hardware, no PM timer. */
	if (fadt->flags & ACPI_FADT_HW_REDUCED_ACPI)
		return;
	port = fadt_pm_timer_port(fadt, pa);
	if (port == 0)
		return;
	if (port > UINT16_MAX) {
		pr_warn("acpi: FADT at 0x%llx: PM timer port 0x%llx is outside I/O space; ignored",
			(unsigned long long)pa, (unsigned long long)port);
		return;
	}
	out->pm_timer_present = true;
	out->pm_timer_port = (uint16_t)port;
	out->pm_timer_32bit = fadt->flags & ACPI_FADT_TMR_VAL_EXT;
}

/* ------------------------------------------------------------------------
 * Interface
 */

static void acpi_record_table(struct acpi_info *out,
			      const struct acpi_sdt_header *hdr, paddr_t pa,
			      bool valid)
{
	struct acpi_table_ref *ref;

	if (out->n_tables == ACPI_MAX_TABLES) {
		out->n_tables_dropped++;
		return;
	}
	ref = &out->tables[out->n_tables++];
	acpi_copy_sig(ref->signature, hdr->signature);
	ref->address = pa;
	ref->length = hdr->length;
	ref->valid = valid;
}

int acpi_init(paddr_t rsdp_pa, struct acpi_info *out)
{
	const struct acpi_sdt_header *madt = NULL, *hpet = NULL, *fadt = NULL;
	paddr_t madt_pa = 0, hpet_pa = 0, fadt_pa = 0;
	struct acpi_root_view root = { 0 };
	unsigned int i;
	int err;

	memset(&acpi_root, 0, sizeof(acpi_root));
	memset(out, 0, sizeof(*out));

	if (rsdp_pa == 0) {
		pr_err("acpi: no RSDP: the firmware or the loader gave none");
		return -ENOENT;
	}
	err = acpi_parse_rsdp(rsdp_pa, &root, out);
	if (err)
		return err;

	for (i = 0; i < root.n_entries; i++) {
		paddr_t pa = acpi_root_entry(&root, i);
		const struct acpi_sdt_header *hdr = acpi_table_header(pa);
		bool is_madt;
		int level;

		if (!hdr) {
			pr_warn("acpi: %s entry %u holds address 0x%llx; skipped",
				out->xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT, i,
				(unsigned long long)pa);
			continue;
		}
		/* A broken MADT is fatal, any other broken table is skipped. */
		is_madt = !madt &&
			  memcmp(hdr->signature, ACPI_SIG_MADT, ACPI_SIG_LEN) == 0;
		level = is_madt ? LOG_ERR : LOG_WARN;
		err = acpi_table_check(pa, NULL, level, &hdr);
		acpi_record_table(out, hdr, pa, err == 0);
		if (err) {
			if (is_madt)
				return err;
			continue;
		}
		if (is_madt) {
			madt = hdr;
			madt_pa = pa;
		} else if (!hpet && !memcmp(hdr->signature, ACPI_SIG_HPET,
					    ACPI_SIG_LEN)) {
			hpet = hdr;
			hpet_pa = pa;
		} else if (!fadt && !memcmp(hdr->signature, ACPI_SIG_FADT,
					    ACPI_SIG_LEN)) {
			fadt = hdr;
			fadt_pa = pa;
		}
	}
	if (out->n_tables_dropped)
		pr_warn("acpi: %u tables beyond the %u recorded are not listed",
			out->n_tables_dropped, ACPI_MAX_TABLES);

	if (!madt) {
		pr_err("acpi: %s at 0x%llx lists no MADT (\"%s\")",
		       out->xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT,
		       (unsigned long long)out->root_address, ACPI_SIG_MADT);
		return -ENOENT;
	}
	err = acpi_parse_madt(madt, madt_pa, out);
	if (err)
		return err;
	if (hpet)
		acpi_parse_hpet(hpet, hpet_pa, out);
	if (fadt)
		acpi_parse_fadt(fadt, fadt_pa, out);

	acpi_root = root;
	return 0;
}

const struct acpi_sdt_header *acpi_find_table(const char sig[ACPI_SIG_LEN],
					      unsigned int instance)
{
	const struct acpi_sdt_header *hdr;
	unsigned int i;

	if (!acpi_root.hdr)
		return NULL;
	for (i = 0; i < acpi_root.n_entries; i++) {
		paddr_t pa = acpi_root_entry(&acpi_root, i);

		hdr = acpi_table_header(pa);
		if (!hdr || memcmp(hdr->signature, sig, ACPI_SIG_LEN) != 0)
			continue;
		/* Broken tables were reported by acpi_init(). */
		if (acpi_table_check(pa, NULL, LOG_DEBUG, &hdr) != 0)
			continue;
		if (instance-- == 0)
			return hdr;
	}
	return NULL;
}

void acpi_print_summary(const struct acpi_info *info)
{
	/* "SIG " per table, " ..." and the NUL. */
	char sigs[ACPI_SUMMARY_MAX_SIGS * (ACPI_SIG_LEN + 1) + 5];
	size_t n = 0;
	unsigned int i, shown = MIN(info->n_tables, ACPI_SUMMARY_MAX_SIGS);

	for (i = 0; i < shown; i++) {
		if (i)
			sigs[n++] = ' ';
		memcpy(&sigs[n], info->tables[i].signature, ACPI_SIG_LEN);
		n += ACPI_SIG_LEN;
	}
	if (info->n_tables + info->n_tables_dropped > shown) {
		memcpy(&sigs[n], " ...", 4);
		n += 4;
	}
	sigs[n] = '\0';

	pr_info("acpi: RSDP rev %u OEM %s, %s, %u tables (%s)",
		info->revision, info->oem_id[0] ? info->oem_id : "(none)",
		info->xsdt ? ACPI_SIG_XSDT : ACPI_SIG_RSDT,
		info->n_tables + info->n_tables_dropped, sigs);
	pr_info("acpi: MADT: %u CPU%s (%u enabled), %u IOAPIC%s, LAPIC at 0x%llx, %u override%s%s",
		info->n_cpus + info->n_cpus_dropped,
		info->n_cpus + info->n_cpus_dropped == 1 ? "" : "s",
		info->n_cpus_enabled, info->n_ioapics,
		info->n_ioapics == 1 ? "" : "s",
		(unsigned long long)info->lapic_base, info->n_overrides,
		info->n_overrides == 1 ? "" : "s",
		info->pcat_compat ? ", 8259 PICs" : "");
	if (info->hpet_present && info->pm_timer_present)
		pr_info("acpi: timers: HPET at 0x%llx, PM timer at port 0x%x (%u-bit)",
			(unsigned long long)info->hpet_base,
			info->pm_timer_port, info->pm_timer_32bit ? 32 : 24);
	else if (info->hpet_present)
		pr_info("acpi: timers: HPET at 0x%llx, no PM timer",
			(unsigned long long)info->hpet_base);
	else if (info->pm_timer_present)
		pr_info("acpi: timers: no HPET, PM timer at port 0x%x (%u-bit)",
			info->pm_timer_port, info->pm_timer_32bit ? 32 : 24);
	else
		pr_info("acpi: timers: neither HPET nor PM timer");
}

/* Returns the first sound RSDP on a 16-byte boundary in [start, end), or 0. */
static paddr_t acpi_scan_rsdp(paddr_t start, paddr_t end)
{
	paddr_t pa;

	for (pa = ALIGN_UP(start, ACPI_RSDP_SCAN_ALIGN);
	     pa + ACPI_RSDP_V1_LEN <= end; pa += ACPI_RSDP_SCAN_ALIGN) {
		const struct acpi_rsdp *rsdp = phys_to_virt(pa);

		if (memcmp(rsdp->signature, ACPI_SIG_RSDP,
			   ACPI_SIG_RSDP_LEN) != 0)
			continue;
		if (acpi_rsdp_check(pa, end - pa, LOG_DEBUG) == 0)
			return pa;
	}
	return 0;
}

paddr_t acpi_find_rsdp_legacy(void)
{
	uint16_t ebda_seg;
	paddr_t ebda, pa;

	memcpy(&ebda_seg, phys_to_virt(BDA_EBDA_SEGMENT_PA), sizeof(ebda_seg));
	ebda = (paddr_t)ebda_seg << REAL_MODE_SEG_SHIFT;
	if (ebda >= BDA_END_PA && ebda < CONV_MEM_END_PA) {
		pa = acpi_scan_rsdp(ebda, MIN(ebda + EBDA_SCAN_LEN,
					      CONV_MEM_END_PA));
		if (pa) {
			pr_debug("acpi: RSDP at 0x%llx in the EBDA",
				 (unsigned long long)pa);
			return pa;
		}
	}
	pa = acpi_scan_rsdp(BIOS_ROM_START_PA, BIOS_ROM_END_PA);
	if (pa)
		pr_debug("acpi: RSDP at 0x%llx in the BIOS area",
			 (unsigned long long)pa);
	return pa;
}
