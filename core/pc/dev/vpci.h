/*
 * Virtual PCI configuration space, configuration mechanism #1, with one
 * device: the host bridge at 00:00.0 (an Intel 440FX PMC, 8086:1237).
 *
 * Ports: 0xCF8 CONFIG_ADDRESS (32-bit accesses only; byte and word
 * accesses there reach no register, as on the PCI host bridges that
 * decode the mechanism) and 0xCFC-0xCFF CONFIG_DATA (1, 2 or 4 bytes at
 * register offset + port - 0xCFC). 0xCF9 is the reset control register of
 * vacpi_pm, not ours: vpci_io_ops answers a port it is handed, and the VM
 * routes 0xCF8 and 0xCFA-0xCFF here and 0xCF9 to vacpi_pm_reset_io_ops.
 * 0xCFA and 0xCFB read all ones and ignore writes.
 *
 * CONFIG_ADDRESS: bit 31 enable, 23-16 bus, 15-11 device, 10-8 function,
 * 7-2 dword register; bits 30-24 and 1-0 are reserved and read back 0.
 * With the enable bit clear a data access reaches nothing (reads all
 * ones, writes dropped). Every function but 00:00.0 is absent: reads give
 * all ones (vendor 0xFFFF, which is how a guest finds it absent), writes
 * are dropped.
 *
 * The host bridge: identity and class read only; COMMAND keeps the bits a
 * guest may set (I/O, memory, bus master, SERR#, parity), STATUS reads 0
 * (no capabilities list, no errors to clear); BARs, expansion ROM and the
 * rest of the 256-byte space read 0 and ignore writes except the
 * latency timer (read/write, as on the 440FX).
 *
 * Runs in vCPU context on any CPU (port I/O exits).
 *
 * Locking: one spinlock per config space serialising the writes to the
 * bridge's registers (COMMAND's bytes are read-modify-written). The
 * address and those registers are single words stored with WRITE_ONCE,
 * so reads need no lock: vpci_io_fast() answers every access but a data
 * write to the bridge without it. An address write and the data access
 * that follows are two exits, so a guest with several vCPUs serialises
 * its own config cycles (Linux holds pci_config_lock).
 */
#ifndef CORE_DEV_VPCI_H
#define CORE_DEV_VPCI_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"

#define VPCI_PORT_ADDRESS	0xcf8
#define VPCI_PORT_DATA		0xcfc	/* to 0xcff */
#define VPCI_PORT_DATA_LAST	0xcff

/* CONFIG_ADDRESS (0xCF8). */
#define VPCI_ADDR_ENABLE	BIT(31)
#define VPCI_ADDR_BUS_SHIFT	16
#define VPCI_ADDR_DEV_SHIFT	11
#define VPCI_ADDR_FN_SHIFT	8
#define VPCI_ADDR_BDF_MASK	0x00ffff00u	/* bus, device, function */
#define VPCI_ADDR_REG_MASK	0x000000fcu	/* dword register offset */
#define VPCI_ADDR_WRITABLE	(VPCI_ADDR_ENABLE | VPCI_ADDR_BDF_MASK | \
				 VPCI_ADDR_REG_MASK)

/* Config space header registers (type 0). */
#define VPCI_VENDOR_ID		0x00
#define VPCI_DEVICE_ID		0x02
#define VPCI_COMMAND		0x04
#define VPCI_STATUS		0x06
#define VPCI_REVISION_ID		0x08
#define VPCI_CLASS_PROG		0x09
#define VPCI_CLASS_DEVICE	0x0a	/* subclass, then base class */
#define VPCI_LATENCY_TIMER	0x0d
#define VPCI_HEADER_TYPE		0x0e
#define VPCI_CONFIG_SPACE_SIZE	256

/* COMMAND bits a guest may set on the bridge. */
#define VPCI_COMMAND_IO		BIT(0)
#define VPCI_COMMAND_MEMORY	BIT(1)
#define VPCI_COMMAND_MASTER	BIT(2)
#define VPCI_COMMAND_PARITY	BIT(6)
#define VPCI_COMMAND_SERR	BIT(8)
#define VPCI_BRIDGE_CMD_WRITABLE (VPCI_COMMAND_IO | VPCI_COMMAND_MEMORY | \
				  VPCI_COMMAND_MASTER | VPCI_COMMAND_PARITY | \
				  VPCI_COMMAND_SERR)

/* The host bridge's identity: Intel 82441FX PMC (440FX). */
#define VPCI_BRIDGE_VENDOR	0x8086
#define VPCI_BRIDGE_DEVICE	0x1237
#define VPCI_BRIDGE_REVISION	0x02
#define VPCI_BRIDGE_CLASS	0x06	/* bridge */
#define VPCI_BRIDGE_SUBCLASS	0x00	/* host bridge */
#define VPCI_BRIDGE_PROG_IF	0x00
#define VPCI_HEADER_TYPE_NORMAL	0x00
/* Power-on value of COMMAND: memory and bus master (as firmware leaves it). */
#define VPCI_BRIDGE_CMD_RESET	(VPCI_COMMAND_MEMORY | VPCI_COMMAND_MASTER)

struct vpci {
	spinlock_t lock;	/* serialises writes to the bridge's registers */
	uint32_t address;	/* CONFIG_ADDRESS, reserved bits 0; *_ONCE */
	uint16_t bridge_cmd;	/* host bridge COMMAND; written under lock */
	uint8_t bridge_latency;	/* host bridge latency timer; written under lock */
};

/* Sets up p as after reset: address 0, bridge in its power-on state. */
void vpci_init(struct vpci *p);

/*
 * Ports 0xCF8 and 0xCFA-0xCFF (never 0xCF9); dev is the struct vpci. A
 * port outside 0xCF8-0xCFF reads all ones and ignores writes.
 */
extern const struct vdev_io_ops vpci_io_ops;

/*
 * The port dispatch's first try for ports 0xCF8-0xCFF (not 0xCF9): the
 * access as vpci_io_ops would make it, without the lock. Returns false,
 * having done nothing, for the accesses it leaves to vpci_io_ops: a data
 * write that reaches the host bridge, a byte or word access to 0xCF8, a
 * port outside the mechanism. A guest's PCI scan (Linux's K8 GART
 * aperture search reads the class of all 8192 bus:device slots, twice)
 * is all address writes and data reads.
 */
bool vpci_io_fast(struct vpci *p, uint16_t port, unsigned int size, bool in,
		  uint32_t *val);

#endif
