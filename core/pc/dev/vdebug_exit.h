/*
 * QEMU's ISA debug-exit device ("isa-debug-exit"), which test kernels
 * written for `qemu -kernel` use to end the run with a status.
 *
 * Ports: base .. base + size - 1 (the creator picks both; QEMU's iobase
 * and iosize), through vdebug_exit_io_ops. A write of V of any width to
 * any port of the range ends the VM with status (V << 1) | 1, where V is
 * the part of the access that falls inside the range (an access that runs
 * past the range's end is cut there, as QEMU's memory core cuts it). Reads
 * return 0, as QEMU's read handler does.
 *
 * vCPU context, any CPU. No state but what vdebug_exit_init() fixes, so
 * no lock; the exit callback runs on the writing vCPU, no lock held.
 */
#ifndef CORE_DEV_VDEBUG_EXIT_H
#define CORE_DEV_VDEBUG_EXIT_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"

struct vdebug_exit {
	/* Fixed at vdebug_exit_init(): */
	uint16_t base;
	unsigned int size;	/* 1, 2 or 4 */
	void (*exit)(void *ctx, uint64_t status);
	void *ctx;
};

/* Sets d up on base .. base + size - 1 (size 1, 2 or 4). */
void vdebug_exit_init(struct vdebug_exit *d, uint16_t base, unsigned int size,
		      void (*exit)(void *ctx, uint64_t status), void *ctx);

/* The exit status of a write of val (size bytes) at port. */
uint64_t vdebug_exit_status(const struct vdebug_exit *d, uint16_t port, unsigned int size,
			    uint32_t val);

extern const struct vdev_io_ops vdebug_exit_io_ops;

#endif
