/*
 * Virtual keyboard controller (i8042), reduced to what a guest without a
 * keyboard still touches: the reset line and the PS/2 "fast reset" port.
 *
 * Ports: 0x60 (data) and 0x64 (status / command) through vkbc_io_ops, 0x92
 * (system control port A) through vkbc_port92_io_ops; dev is the struct
 * vkbc for both. The guest's FADT clears IAPC_BOOT_ARCH.8042, so Linux does
 * not probe the controller; its reboot paths (reboot=k, the fallback after
 * ACPI reset) still write 0xFE to port 0x64, and some firmware-less paths
 * raise port 0x92 bit 0.
 *
 * Behaviour: 0x64 reads a status byte with both buffers empty (never 0xFF,
 * which callers take for "no controller"), 0x60 reads 0x00, other writes
 * to 0x60/0x64 are dropped; command 0xFE (pulse the reset line) raises
 * VDEV_POWER_RESET. Port 0x92: bit 1 (A20 gate) reads 1 whatever was
 * written, bit 0 (fast reset) reads as written, and a 0 -> 1 edge of bit 0
 * raises VDEV_POWER_RESET.
 *
 * Runs in vCPU context on any CPU (port I/O exits).
 *
 * Locking: one spinlock per controller guarding port92; the power event
 * is raised after it is dropped (vdev_power contract).
 */
#ifndef CORE_DEV_VKBC_H
#define CORE_DEV_VKBC_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"

#define VKBC_PORT_DATA		0x60
#define VKBC_PORT_STATUS	0x64	/* read: status, write: command */
#define VKBC_PORT_92		0x92

/* Status register (port 0x64 read). */
#define VKBC_STS_OBF		BIT(0)	/* output buffer full: 0x60 has data */
#define VKBC_STS_IBF		BIT(1)	/* input buffer full: busy */
#define VKBC_STS_SYS		BIT(2)	/* system flag: self test passed */
#define VKBC_STS_CMD		BIT(3)	/* last write was to 0x64 */
#define VKBC_STS_UNLOCKED	BIT(4)	/* keyboard not inhibited */
/* Idle controller: self test passed, not inhibited, last write a command. */
#define VKBC_STS_IDLE		(VKBC_STS_SYS | VKBC_STS_CMD | VKBC_STS_UNLOCKED)

/* Commands (port 0x64 write). */
#define VKBC_CMD_PULSE_RESET	0xfe	/* pulse output line 0: CPU reset */

/* System control port A (0x92). */
#define VKBC_P92_FAST_RESET	BIT(0)	/* 0 -> 1: reset */
#define VKBC_P92_A20		BIT(1)	/* A20 enabled: always reads 1 */

struct vkbc {
	spinlock_t lock;	/* guards port92 */
	uint8_t port92;		/* as last written, A20 forced on */

	/* Fixed at vkbc_init(): */
	struct vdev_power power;	/* copied; NULL handler: none */
};

/*
 * Sets up k idle (port 0x92 = A20 only); *power (copied, may be NULL)
 * receives resets. Before k is published to other CPUs.
 */
void vkbc_init(struct vkbc *k, const struct vdev_power *power);

/* Ports 0x60 and 0x64; dev is the struct vkbc. */
extern const struct vdev_io_ops vkbc_io_ops;
/* Port 0x92; dev is the struct vkbc. */
extern const struct vdev_io_ops vkbc_port92_io_ops;

#endif
