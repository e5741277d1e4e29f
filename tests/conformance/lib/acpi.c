/*
 * Conformance kernels: the ACPI tables a PC firmware leaves (RSDP in the
 * EBDA or 0xe0000-0xfffff, RSDT, MADT, FADT, the DSDT's \_S5 package).
 * Paging is off, so table addresses are used as they are. Bootstrap CPU.
 */
#include "conf.h"

struct sdt {
	char sig[4];
	u32 length;
	u8 revision, checksum;
	char oem[6], oem_table[8];
	u32 oem_rev, creator, creator_rev;
} __attribute__((packed));

/* FADT fields by byte offset (ACPI 1.0 layout, which later ones extend). */
#define FADT_DSDT        40
#define FADT_SMI_CMD     48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_CNT    64
#define FADT_PM1B_CNT    68
#define FADT_PM_TMR      76
#define FADT_FLAGS       112
#define FADT_TMR_VAL_EXT BIT(8)
#define PM1_SCI_EN       BIT(0)
#define PM1_SLP_EN       BIT(13)
#define PM1_SLP_TYP_SHIFT 10

#define MADT_LAPIC       0
#define MADT_IOAPIC      1
#define MADT_ISO         2
#define LAPIC_ENABLED    BIT(0)

struct acpi_info acpi;

static int sum_ok(const void *p, u32 len)
{
	const u8 *b = p;
	u8 s = 0;

	while (len--)
		s += *b++;
	return s == 0;
}

static const u8 *rsdp_scan(u32 start, u32 len)
{
	for (u32 a = start; a + 20 <= start + len; a += 16)
		if (!memcmp((void *)a, "RSD PTR ", 8) && sum_ok((void *)a, 20))
			return (const u8 *)a;
	return NULL;
}

static const struct sdt *find_table(const struct sdt *rsdt, const char *sig)
{
	u32 n = (rsdt->length - sizeof(*rsdt)) / 4;
	const u32 *ent = (const u32 *)(rsdt + 1);

	for (u32 i = 0; i < n; i++) {
		const struct sdt *t = (const struct sdt *)ent[i];
		if (!memcmp(t->sig, sig, 4) && sum_ok(t, t->length))
			return t;
	}
	return NULL;
}

static u8 aml_byte_const(const u8 **pp)
{
	const u8 *p = *pp;
	u8 v;

	if (*p == 0x0a) {	/* BytePrefix */
		v = p[1];
		p += 2;
	} else {		/* ZeroOp, OneOp */
		v = *p == 0x01;
		p++;
	}
	*pp = p;
	return v;
}

/* \_S5 is "Name(_S5_, Package(){a, b, ...})": 08 '_S5_' 12 len count ... */
static void parse_s5(const struct sdt *dsdt)
{
	const u8 *p = (const u8 *)(dsdt + 1), *end = (const u8 *)dsdt + dsdt->length;

	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		p += 5;
		p += ((*p >> 6) & 3) + 1;	/* PkgLength */
		p++;				/* element count */
		acpi.s5_typa = aml_byte_const(&p);
		acpi.s5_typb = aml_byte_const(&p);
		acpi.s5_found = 1;
		return;
	}
}

static void parse_madt(const struct sdt *madt)
{
	const u8 *p = (const u8 *)madt + 44, *end = (const u8 *)madt + madt->length;

	for (int i = 0; i < 16; i++)
		acpi.iso_gsi[i] = (u8)i;
	for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
		switch (p[0]) {
		case MADT_LAPIC:
			if ((p[4] & LAPIC_ENABLED) && acpi.ncpus < MAX_CPUS)
				acpi.apic_ids[acpi.ncpus++] = p[3];
			break;
		case MADT_IOAPIC:
			if (!acpi.ioapic_addr) {
				memcpy(&acpi.ioapic_addr, p + 4, 4);
				memcpy(&acpi.ioapic_gsi_base, p + 8, 4);
			}
			break;
		case MADT_ISO:
			if (p[3] < 16) {
				u32 gsi;
				memcpy(&gsi, p + 4, 4);
				acpi.iso_gsi[p[3]] = (u8)gsi;
				memcpy(&acpi.iso_flags[p[3]], p + 8, 2);
			}
			break;
		}
	}
}

static void parse_fadt(const struct sdt *fadt)
{
	const u8 *f = (const u8 *)fadt;
	u32 dsdt;

	memcpy(&acpi.pm1a_cnt, f + FADT_PM1A_CNT, 4);
	memcpy(&acpi.pm1b_cnt, f + FADT_PM1B_CNT, 4);
	memcpy(&acpi.pm_tmr, f + FADT_PM_TMR, 4);
	memcpy(&acpi.smi_cmd, f + FADT_SMI_CMD, 4);
	acpi.acpi_enable = f[FADT_ACPI_ENABLE];
	if (fadt->length > FADT_FLAGS + 4) {
		u32 flags;
		memcpy(&flags, f + FADT_FLAGS, 4);
		acpi.pm_tmr_32bit = !!(flags & FADT_TMR_VAL_EXT);
	}
	memcpy(&dsdt, f + FADT_DSDT, 4);
	if (dsdt && !memcmp((void *)dsdt, "DSDT", 4))
		parse_s5((const struct sdt *)dsdt);
}

void acpi_init(void)
{
	u32 ebda;
	const u8 *rsdp = NULL;
	const struct sdt *rsdt, *t;

	if (acpi.found)
		return;
	asm volatile("movzwl 0x40e, %0" : "=r"(ebda));	/* BDA: EBDA segment */
	ebda <<= 4;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		rsdp = rsdp_scan(ebda, 1024);
	if (!rsdp)
		rsdp = rsdp_scan(0xe0000, 0x20000);
	if (!rsdp)
		return;
	rsdt = (const struct sdt *)*(const u32 *)(rsdp + 16);
	if (memcmp(rsdt->sig, "RSDT", 4) || !sum_ok(rsdt, rsdt->length))
		return;
	acpi.found = 1;
	t = find_table(rsdt, "APIC");
	if (t)
		parse_madt(t);
	t = find_table(rsdt, "FACP");
	if (t)
		parse_fadt(t);
}

void acpi_poweroff(void)
{
	acpi_init();
	if (!acpi.pm1a_cnt || !acpi.s5_found)
		return;
	if (!(inw((u16)acpi.pm1a_cnt) & PM1_SCI_EN) && acpi.smi_cmd && acpi.acpi_enable) {
		outb((u16)acpi.smi_cmd, acpi.acpi_enable);
		for (u32 i = 0; i < 1000000 && !(inw((u16)acpi.pm1a_cnt) & PM1_SCI_EN); i++)
			pause();
	}
	outw((u16)acpi.pm1a_cnt, (u16)(acpi.s5_typa << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
	if (acpi.pm1b_cnt)
		outw((u16)acpi.pm1b_cnt, (u16)(acpi.s5_typb << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
}
