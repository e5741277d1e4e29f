/*
 * The machine map of the virtual PC: where its devices sit in guest
 * physical memory and in port space, and which ISA IRQs they drive. The
 * one copy for the code that wires the devices (core/pc/vpc.c), the
 * guest's ACPI tables (core/pc/guest_acpi.h), the E820 map of the Linux
 * boot protocol (core/pc/linux_boot.c) and the VM builder
 * (core/launch/). Device models (core/pc/dev/) do not include it: their
 * creator gives them their addresses. The guest RAM layout is not here.
 *
 * Constants only: any context.
 */
#ifndef CORE_PC_MACHINE_H
#define CORE_PC_MACHINE_H

#include "asm/msr.h"

/* ---- Memory below 1 MiB ----------------------------------------------- */

#define PC_BDA_START		0x400ull	/* the BIOS data area (core/pc/memmap.h) */
#define PC_BDA_END		0x500ull
#define PC_EBDA_START		0x9fc00ull	/* reserved to the end of 640 KiB */
#define PC_EBDA_END		0xa0000ull
#define PC_VGA_START		0xa0000ull	/* the VGA window: plain RAM */
#define PC_VGA_TEXT		0xb8000ull	/* 80x25 text, character and attribute */
#define PC_VGA_END		0xc0000ull
#define PC_ROM_START		0xc0000ull	/* read-only to 1 MiB: 0xff, the ACPI tables */
#define PC_BIOS_START		0xe0000ull	/* reserved to 1 MiB: the ACPI tables */
#define PC_BIOS_END		0x100000ull
#define PC_ROM_END		PC_BIOS_END

/* The guest's ACPI tables: the whole BIOS area, the RSDP first (where the
 * legacy scan of 0xE0000-0xFFFFF looks first). */
#define PC_ACPI_TABLES_GPA	PC_BIOS_START
#define PC_ACPI_TABLES_ROOM	(PC_BIOS_END - PC_BIOS_START)

/* ---- MMIO below 4 GiB ------------------------------------------------- */

#define PC_IOAPIC_BASE		0xfec00000ull	/* one IOAPIC, id = number of vCPUs */
#define PC_LAPIC_BASE		APIC_BASE_DEFAULT	/* every vCPU's, never moved */
#define PC_APIC_SIZE		0x1000ull	/* each APIC's MMIO page */

/* ---- Ports ------------------------------------------------------------ */

#define PC_POST_PORT		0x80		/* POST codes: a sink */
#define PC_COM1_BASE		0x3f8
#define PC_COM2_BASE		0x2f8
#define PC_ACPI_PM_BASE		0x600		/* PM1a event, PM1a control, PM timer */
#define PC_ACPI_PM_TMR_PORT	(PC_ACPI_PM_BASE + 0x8)	/* PM_TMR (VACPI_PM_TMR_BLK) */
#define PC_RESET_PORT		0xcf9		/* the FADT's RESET_REG */
/* QEMU's and Bochs's test devices (docs/platform.md); all but the
 * shutdown port only where vms.cfg asks for them. */
#define PC_DEBUGCON_PORT	0xe9		/* debugcon=on */
#define PC_FW_CFG_PORT		0x510		/* fw-cfg=on: selector, data at +1 */
#define PC_TESTDEV_IRQ_BASE	0x2000		/* testdev=on: 24 IRQ-line ports */
#define PC_SHUTDOWN_PORT	0x8900		/* "Shutdown": power off */

/* ---- ISA IRQs --------------------------------------------------------- */

#define PC_IRQ_PIT		0
#define PC_IRQ_COM2		3
#define PC_IRQ_COM1		4
#define PC_IRQ_RTC		8
#define PC_IRQ_SCI		9		/* level, active high */
#define PC_PIT_IOAPIC_PIN	2		/* IRQ 0 on pin 2: the MADT's override */

#endif
