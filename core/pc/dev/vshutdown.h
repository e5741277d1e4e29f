/*
 * The Bochs shutdown port (0x8900), which QEMU's PC also had: the string
 * "Shutdown" written to it byte by byte powers the machine off. Old test
 * kernels and Bochs-era BIOS code still end a run this way.
 *
 * Port: the creator's one port, through vshutdown_io_ops. A write's low
 * byte is matched against the next character of "Shutdown"; a wrong byte
 * restarts the match (at the first character again if it is an 'S', so
 * "SShutdown" matches too); the eighth right byte raises VDEV_POWER_OFF
 * and the match starts over. Reads return all ones (the port has no
 * register to read, as on Bochs).
 *
 * vCPU context, any CPU. Locking: one spinlock guarding matched; the power
 * event is raised after it is dropped (vdev_power contract).
 */
#ifndef CORE_DEV_VSHUTDOWN_H
#define CORE_DEV_VSHUTDOWN_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"
#include "core/pc/dev/vdev.h"

#define VSHUTDOWN_STRING	"Shutdown"
#define VSHUTDOWN_LEN		8

struct vshutdown {
	spinlock_t lock;	/* guards matched */
	unsigned int matched;	/* characters of "Shutdown" seen so far */

	/* Fixed at vshutdown_init(): */
	struct vdev_power power;	/* copied; NULL handler: none */
};

/* Sets s up with nothing matched; *power (copied, may be NULL) gets the power-off. */
void vshutdown_init(struct vshutdown *s, const struct vdev_power *power);

extern const struct vdev_io_ops vshutdown_io_ops;

#endif
