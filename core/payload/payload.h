/*
 * Test-payload VMs: a flat binary from the boot medium (a Multiboot2
 * module or a file of the ESP's \hv directory whose name ends in ".bin")
 * runs as a small VM. The format is in docs/run-loop.md.
 */
#ifndef CORE_PAYLOAD_H
#define CORE_PAYLOAD_H

#include "core/lib/boot.h"

#define PAYLOAD_MAGIC      0x50544856u	/* "HVTP" */
#define PAYLOAD_LOAD_GPA   0x1000ull
#define PAYLOAD_MAX_SIZE   (0x9f000ull - PAYLOAD_LOAD_GPA)
#define PAYLOAD_DEFAULT_MIB 16

struct payload_header {
	uint32_t magic;
	uint8_t vcpus;		/* 0 = 1 */
	uint8_t flags;
	uint16_t mem_mib;	/* 0 = PAYLOAD_DEFAULT_MIB */
	uint32_t entry;		/* offset of the real-mode entry in the file */
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct payload_header) == 16, "payload header layout");

/*
 * Runs every payload among the boot files but the nr_skip named in skip
 * (those another VM uses as its kernel), one VM after another in name
 * order, and reports each VM's end and exit counts. Boot CPU, after the
 * CPUs and the backend are up. Returns the number of payloads run.
 */
unsigned int payloads_run_all(const struct boot_record *boot, const char *const *skip,
			      unsigned int nr_skip);

#endif
