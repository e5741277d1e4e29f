/* Bringing up the application processors and talking to them. */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include "core/boot.h"
#include "drivers/acpi.h"

/* Starts every enabled CPU of the MADT; returns the number online. */
unsigned int smp_boot(const struct boot_record *boot, const struct acpi_info *acpi);
/* Sends a ping IPI to every online CPU (itself included); returns answers. */
unsigned int smp_ping_all(void);
void smp_init_bsp(void);

#endif
