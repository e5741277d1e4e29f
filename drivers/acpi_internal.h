/*
 * What drivers/acpi.c and drivers/acpi_madt.c share; not for other callers,
 * who use drivers/acpi.h.
 *
 * Environment: boot CPU, early boot, inside acpi_init().
 */
#ifndef DRIVERS_ACPI_INTERNAL_H
#define DRIVERS_ACPI_INTERNAL_H

#include "drivers/acpi.h"

/*
 * Fills the MADT part of @out (CPUs, I/O APICs, overrides, local APIC NMIs,
 * lapic_base, pcat_compat) from the MADT @hdr found at @pa, whose checksum
 * and length acpi_init() has already checked. Returns 0, or -EINVAL after
 * logging why when the MADT is malformed; @out may then hold the entries
 * read before the bad one, and acpi_init() fails.
 */
int acpi_parse_madt(const struct acpi_sdt_header *hdr, paddr_t pa,
		    struct acpi_info *out);

#endif
