/*
 * Virtual ACPI fixed hardware: the PM1a event and control blocks, the PM
 * timer and the reset register, as the guest's FADT (core/pc/guest_acpi.c)
 * describes them. No PM1b blocks, no GPE block, no SMI command port: the
 * machine is always in ACPI mode (SCI_EN reads 1).
 *
 * Ports (vacpi_pm_io_ops, base to base + 0xB, the base given by the
 * creator; any size, any byte of a register):
 *   +0x0  PM1_STS  16 bit, write 1 to clear. TMR_STS is set when bit 23
 *                  of the PM timer toggles (worked out at each access from
 *                  the clock); PWRBTN_STS and WAK_STS are held for a guest
 *                  to clear and are never set here (no power button, no
 *                  sleep states but S5).
 *   +0x2  PM1_EN   16 bit: TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN.
 *   +0x4  PM1_CNT  16 bit: SCI_EN reads 1; SLP_TYP (12:10) read/write;
 *                  SLP_EN (13) write only: written with SLP_TYP = 5 (the
 *                  DSDT's \_S5) it raises VDEV_POWER_OFF; other sleep types
 *                  are ignored.
 *   +0x8  PM_TMR   32-bit counter at 3.579545 MHz from vacpi_pm_init(),
 *                  read only (the FADT sets TMR_VAL_EXT).
 * Reset register (vacpi_pm_reset_io_ops, one byte port, 0xCF9 on a PC): a write with
 * bit 2 (RST_CPU) set raises VDEV_POWER_RESET; reads return bits 3:1 of
 * the last write.
 *
 * SCI: the line the creator gives (ISA IRQ 9 on a PC), level triggered, active high, asserted while PM1_STS &
 * PM1_EN has TMR_STS or PWRBTN_STS. The level is worked out at each access
 * to these ports, not when the timer's bit 23 toggles: a guest that
 * enables TMR_EN sees its SCI at its next access to the block, not at the
 * toggle (Linux and ACPICA never enable TMR_EN).
 *
 * Runs in vCPU context on any CPU (port I/O exits).
 *
 * Locking: one spinlock per block guarding the register state and the SCI
 * level last driven; the SCI line and power events are driven after the
 * lock is dropped. Two vCPUs changing PM1_STS/PM1_EN at once could drive
 * the SCI in the other order than they computed it; ACPICA serialises
 * those writes under its hardware lock, so a guest never does.
 */
#ifndef CORE_DEV_VACPI_PM_H
#define CORE_DEV_VACPI_PM_H

#include "core/lib/acpi_tables.h"
#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"

#define VACPI_PM_NR_PORTS	12		/* base .. base + 0xB */
/* Register blocks, as offsets from the base port. */
#define VACPI_PM1_EVT_BLK	0x0		/* PM1_STS, then PM1_EN */
#define VACPI_PM1_EVT_LEN	4
#define VACPI_PM1_STS		0x0
#define VACPI_PM1_EN		0x2
#define VACPI_PM1_CNT_BLK	0x4
#define VACPI_PM1_CNT_LEN	2
#define VACPI_PM_TMR_BLK	0x8		/* ACPI_PM_TMR_LEN bytes */
#define VACPI_RESET_VALUE	0x06		/* the FADT's RESET_VALUE */
#define VACPI_SLP_TYP_S5	5		/* the DSDT's \_S5 package */

#define VACPI_PM_TMR_TOGGLE_BIT	23		/* TMR_STS on its toggle */

/* PM1_STS (ACPI 4.8.4.1.1) and PM1_EN (4.8.4.1.2) bits. */
#define VACPI_PM1_TMR		BIT(0)
#define VACPI_PM1_BM_STS	BIT(4)
#define VACPI_PM1_GBL		BIT(5)
#define VACPI_PM1_PWRBTN	BIT(8)
#define VACPI_PM1_SLPBTN	BIT(9)
#define VACPI_PM1_RTC		BIT(10)
#define VACPI_PM1_WAK_STS	BIT(15)
#define VACPI_PM1_EN_WRITABLE	(VACPI_PM1_TMR | VACPI_PM1_GBL | \
				 VACPI_PM1_PWRBTN | VACPI_PM1_SLPBTN | \
				 VACPI_PM1_RTC)
/* The events that raise the SCI when enabled. */
#define VACPI_PM1_SCI_EVENTS	(VACPI_PM1_TMR | VACPI_PM1_PWRBTN)

/* PM1_CNT (ACPI 4.8.4.2.1). */
#define VACPI_PM1_CNT_SCI_EN	BIT(0)
#define VACPI_PM1_CNT_BM_RLD	BIT(1)
#define VACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define VACPI_PM1_CNT_SLP_TYP	(7u << VACPI_PM1_CNT_SLP_TYP_SHIFT)
#define VACPI_PM1_CNT_SLP_EN	BIT(13)
#define VACPI_PM1_CNT_STORED	(VACPI_PM1_CNT_BM_RLD | VACPI_PM1_CNT_SLP_TYP)

/* Reset control register (PIIX/ICH). */
#define VACPI_RST_SYS		BIT(1)	/* full reset rather than soft */
#define VACPI_RST_CPU		BIT(2)	/* set: reset now */
#define VACPI_RST_FULL		BIT(3)	/* full reset also cycles power */
#define VACPI_RST_STORED	(VACPI_RST_SYS | VACPI_RST_CPU | VACPI_RST_FULL)

struct vacpi_pm {
	spinlock_t lock;	/* guards the fields up to the fixed ones */
	uint16_t sts;		/* PM1_STS held bits (PWRBTN, WAK); TMR computed */
	uint16_t en;		/* PM1_EN */
	uint16_t cnt;		/* PM1_CNT VACPI_PM1_CNT_STORED bits */
	uint8_t reset;		/* the reset register as last written, bits 3:1 */
	/* Timer ticks >> 23 when TMR_STS was last cleared (or at init). */
	uint64_t tmr_epoch;
	bool sci_level;		/* the level the SCI was last driven to */

	/* Fixed at vacpi_pm_init(): */
	uint16_t base;			/* first port of the block */
	uint64_t (*clock)(void);	/* ns; time_now_ns() on the machine */
	uint64_t base_ns;		/* PM timer 0 at this clock */
	struct irq_line sci;
	struct vdev_power power;
};

/*
 * Sets up p as after reset, its ports at base: everything clear but
 * SCI_EN, the timer at 0 now. sci and power are copied (power may be NULL: events go nowhere);
 * clock gives ns (NULL: time_now_ns()). Before p is published.
 */
void vacpi_pm_init(struct vacpi_pm *p, uint16_t base, const struct irq_line *sci,
		   const struct vdev_power *power, uint64_t (*clock)(void));

/* Ports base .. base + 0xB; dev is the struct vacpi_pm. */
extern const struct vdev_io_ops vacpi_pm_io_ops;
/*
 * A 4-byte read of PM_TMR (base + 8) without the block's lock, for the
 * port dispatch to try first: true with *val set, false if the access is
 * anything else or TMR_EN is set (the locked path must then drive the
 * SCI). Any vCPU, no lock held.
 */
bool vacpi_pm_tmr_read_fast(struct vacpi_pm *p, uint16_t port, unsigned int size,
			    uint32_t *val);
/* The reset register's port; dev is the struct vacpi_pm. */
extern const struct vdev_io_ops vacpi_pm_reset_io_ops;

#endif
