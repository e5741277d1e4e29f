/*
 * QEMU's firmware configuration device (fw_cfg), traditional I/O
 * interface only (no DMA), as QEMU 7.2 behaves on a PC
 * (docs/specs/fw_cfg.txt): test kernels read the machine's RAM size,
 * CPU count and where `-kernel` put their files from it.
 *
 * Ports: base (selector) and base + 1 (data), one range through
 * vfw_cfg_io_ops; the PC puts it at 0x510. QEMU decodes both ports alike:
 *  - a 16-bit write to either selects the item of that key and resets
 *    the read offset to 0; keys with bit 15 (architecture-local items)
 *    name nothing here, bit 14 (the old write channel) is ignored;
 *  - an 8-bit read from either returns the selected item's byte at the
 *    offset and advances it; unknown keys and reads past an item's end
 *    return 0 and the offset stays;
 *  - an 8-bit write is the data port's write, which QEMU ignores since
 *    2.4; a 16-bit read is refused by QEMU's access check and reads 0.
 * An access that runs past base + 1 is cut there, as QEMU's memory core
 * cuts it, and its bytes above float: a 32-bit write to base selects with
 * its low half, a 16-bit access to base + 1 is a byte access there.
 * The signature item is selected at start, as after QEMU's reset.
 *
 * Items (little-endian numbers): 0x00 "QEMU", 0x01 ID = 1 (traditional
 * interface), 0x03 RAM size (64-bit), 0x05 CPUs and 0x0f maximum CPUs
 * (16-bit), 0x07/0x08 kernel address/size, 0x0a/0x0b initrd address/
 * size, 0x13/0x14 command line address/size (with its NUL, as QEMU counts
 * it), all 32-bit, and 0x15 the command line's bytes with the NUL.
 *
 * vCPU context, any CPU. Locking: one spinlock guarding the selection and
 * the offset; the items are fixed before the guest runs.
 */
#ifndef CORE_DEV_VFW_CFG_H
#define CORE_DEV_VFW_CFG_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"
#include "core/pc/dev/vdev.h"

#define VFW_CFG_NR_PORTS	2

/* Keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_KERNEL_ADDR	0x07
#define FW_CFG_KERNEL_SIZE	0x08
#define FW_CFG_INITRD_ADDR	0x0a
#define FW_CFG_INITRD_SIZE	0x0b
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_CMDLINE_ADDR	0x13
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_WRITE_CHANNEL	0x4000
#define FW_CFG_ARCH_LOCAL	0x8000
#define FW_CFG_ENTRY_MASK	0x3fff

#define FW_CFG_ID_TRADITIONAL	BIT(0)
#define VFW_CFG_NR_KEYS		(FW_CFG_CMDLINE_SIZE + 1)	/* fixed-size items */
#define VFW_CFG_CMDLINE_MAX	1024				/* with the NUL */

/* What the device reports: the VM's machine and where its files are. */
struct vfw_cfg_config {
	uint64_t ram_size;		/* bytes of guest RAM */
	uint16_t nr_cpus, max_cpus;
	uint32_t kernel_addr, kernel_size;
	uint32_t initrd_addr, initrd_size;	/* 0, 0: none */
	uint32_t cmdline_addr;		/* 0: not placed in guest memory */
	const char *cmdline;		/* copied (cut at 1023 characters); NULL: "" */
};

struct vfw_cfg_item {
	uint8_t bytes[8];
	uint8_t len;
};

struct vfw_cfg {
	spinlock_t lock;	/* guards key and offset */
	uint16_t key;		/* as selected */
	uint32_t offset;	/* next byte of the selected item */

	/* Fixed at vfw_cfg_init() / vfw_cfg_set_config(), before the guest runs: */
	uint16_t base;
	struct vfw_cfg_item items[VFW_CFG_NR_KEYS];
	char cmdline[VFW_CFG_CMDLINE_MAX];
	uint32_t cmdline_len;	/* with the NUL */
};

/* Sets f up on base, base + 1 with *cfg's items, the signature selected. */
void vfw_cfg_init(struct vfw_cfg *f, uint16_t base, const struct vfw_cfg_config *cfg);

/* Replaces the items; before the guest runs (the loader knows the addresses late). */
void vfw_cfg_set_config(struct vfw_cfg *f, const struct vfw_cfg_config *cfg);

extern const struct vdev_io_ops vfw_cfg_io_ops;

#endif
