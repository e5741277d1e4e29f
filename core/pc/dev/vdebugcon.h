/*
 * QEMU's debug console ("isa-debugcon", Bochs's port 0xE9 hack): each byte
 * the guest writes goes to its console.
 *
 * Port: the creator's one port, through vdebugcon_io_ops. QEMU's device
 * accepts single bytes only and its memory core hands the other bytes of
 * a wider access to the next ports, so a write sends its low byte and a
 * read returns 0xE9 (QEMU's readback) in its low byte with the bytes of
 * the unclaimed ports above it floating (0xff). Bytes below 0x20 other
 * than \n and \t, DEL and the C1 range 0x80-0x9f are dropped before they
 * reach the console: a guest cannot move the cursor, clear the screen or
 * start an escape sequence in the hypervisor's log through it.
 *
 * vCPU context, any CPU. No state but what vdebugcon_init() fixes, so no
 * lock; the console callback must accept calls from any CPU at once (the
 * launcher's console slot does: it is COM1's).
 */
#ifndef CORE_DEV_VDEBUGCON_H
#define CORE_DEV_VDEBUGCON_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"

#define VDEBUGCON_READBACK	0xe9

struct vdebugcon {
	/* Fixed at vdebugcon_init(): */
	void (*tx)(void *ctx, uint8_t byte);	/* NULL: bytes are dropped */
	void *ctx;
};

void vdebugcon_init(struct vdebugcon *d, void (*tx)(void *ctx, uint8_t byte), void *ctx);

/* True if byte reaches the console (printable, \n, \t, or 0xa0 and up). */
bool vdebugcon_byte_passes(uint8_t byte);

extern const struct vdev_io_ops vdebugcon_io_ops;

#endif
