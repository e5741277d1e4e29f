/*
 * The guest's ACPI tables: what a Linux guest on the virtual PC (core/pc/vpc.h)
 * reads to find its CPUs, interrupt controllers, PM timer, power-off and
 * reset.
 *
 * guest_acpi_build() writes, into one buffer that the VM maps at buf_gpa,
 *   RSDP  revision 2, at the start of the buffer (16-byte aligned: at
 *         0xE0000 it is where the legacy scan of 0xE0000-0xFFFFF looks
 *         first), pointing at both root tables;
 *   XSDT, RSDT  listing the FADT and the MADT;
 *   FADT  revision 6 (ACPI 6.0), 276 bytes: PM1a event/control blocks, PM
 *         timer (32-bit), SCI, reset register, FACS and DSDT, both in their
 *         32-bit and 64-bit forms; no SMI command port (always in ACPI
 *         mode), no GPE blocks, no 8042, no C2/C3;
 *   FACS  64 bytes, 64-byte aligned (required outside hardware-reduced
 *         ACPI: ACPICA keeps its global lock there);
 *   MADT  one enabled local APIC per vCPU (APIC id = ACPI processor id =
 *         index), one IOAPIC, overrides ISA IRQ 0 -> GSI 2 and SCI -> GSI
 *         sci_irq level/active high, LINT1 = NMI on every CPU;
 *   DSDT  AML for Name (\_S5, Package (4) {5, 5, 0, 0}) only.
 * Identity: OEM ID "MICROH", OEM table id "MicroHV", creator "MHV ".
 *
 * Runs on the boot CPU while a VM is built, before its vCPUs run; touches
 * nothing but the buffer it is given (no locks).
 */
#ifndef CORE_GUEST_ACPI_H
#define CORE_GUEST_ACPI_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vacpi_pm.h"
#include "core/pc/dev/vrtc.h"
#include "core/pc/machine.h"

/* The machine the tables describe; guest_acpi_default_cfg() fills it. */
struct guest_acpi_cfg {
	unsigned int nr_vcpus;		/* 1..GUEST_ACPI_MAX_VCPUS */
	uint32_t lapic_address;		/* local APIC base, every vCPU */
	uint32_t ioapic_address;
	uint8_t ioapic_id;		/* must differ from every APIC id */
	uint8_t sci_irq;		/* ISA IRQ = GSI of the SCI */
	uint16_t pm1a_evt_blk;		/* port; 4 bytes: PM1_STS, PM1_EN */
	uint16_t pm1a_cnt_blk;		/* port; 2 bytes */
	uint16_t pm_tmr_blk;		/* port; 4 bytes, 32-bit timer */
	uint16_t reset_port;		/* RESET_REG, system I/O, 8 bits */
	uint8_t reset_value;
	uint8_t slp_typ_s5;		/* SLP_TYP value of \_S5 */
	uint8_t rtc_century;		/* CMOS index of the century, 0: none */
};

/* APIC ids 0..nr_vcpus-1 and the IOAPIC id nr_vcpus stay below 0xFF. */
#define GUEST_ACPI_MAX_VCPUS	254

/*
 * The virtual PC with nr_vcpus vCPUs: the addresses and ports of its
 * machine map (core/pc/machine.h), the values its ACPI PM block and RTC
 * act on.
 */
static inline struct guest_acpi_cfg guest_acpi_default_cfg(unsigned int nr_vcpus)
{
	return (struct guest_acpi_cfg){
		.nr_vcpus = nr_vcpus,
		.lapic_address = PC_LAPIC_BASE,
		.ioapic_address = PC_IOAPIC_BASE,
		.ioapic_id = (uint8_t)nr_vcpus,
		.sci_irq = PC_IRQ_SCI,
		.pm1a_evt_blk = PC_ACPI_PM_BASE + VACPI_PM1_EVT_BLK,
		.pm1a_cnt_blk = PC_ACPI_PM_BASE + VACPI_PM1_CNT_BLK,
		.pm_tmr_blk = PC_ACPI_PM_BASE + VACPI_PM_TMR_BLK,
		.reset_port = PC_RESET_PORT,
		.reset_value = VACPI_RESET_VALUE,
		.slp_typ_s5 = VACPI_SLP_TYP_S5,
		.rtc_century = VRTC_CENTURY,
	};
}

/*
 * Writes the tables into buf, which the guest sees at guest-physical
 * buf_gpa (16-byte aligned, below 4 GiB; intended: 0xE0000 with room
 * 0x20000), using at most room bytes. On success returns 0 with the RSDP's
 * guest-physical address (buf_gpa) in *rsdp_gpa and the bytes used in
 * *used (the rest of buf is untouched). Returns -EINVAL for a cfg or
 * buf_gpa it cannot describe, -ENOSPC if room is too small; buf may then
 * hold a partial, unusable set of tables.
 */
int guest_acpi_build(void *buf, uint64_t buf_gpa, size_t room,
		     const struct guest_acpi_cfg *cfg, uint64_t *rsdp_gpa,
		     size_t *used);

#endif
