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

/* The ABI a payload sees (core/payload/payload_platform.c). */
#define PAYLOAD_PORT_CONSOLE 0xe9	/* OUT: a byte of the guest's console */
#define PAYLOAD_PORT_EXIT    0xf4	/* OUT: the guest is done, value = status */
#define HC_TIMER_ONESHOT     0x1	/* VMMCALL: RBX = µs, RCX = vector */
#define HC_VCPU_ID           0x2	/* VMMCALL: returns the vCPU index in RAX */
#define HC_DEBUG             0x3	/* VMMCALL: RBX = GPA of a struct hc_debug_cfg */
#define HC_IPI               0x4	/* VMMCALL: RBX = target vCPU index, RCX = vector */
/*
 * RAX after a hypercall that failed: an unknown call number, or
 * HC_TIMER_ONESHOT or HC_IPI with a vector outside [HC_VECTOR_MIN, 255]
 * (below 32 are exceptions), HC_IPI to a vCPU the VM does not have. Nothing was done. A call that succeeds returns 0 or
 * its value, never this.
 */
#define HC_ERROR             ((uint64_t)-1)
#define HC_VECTOR_MIN        32

/*
 * HC_DEBUG: arms the debug intercepts on the calling vCPU as a debugger
 * would (core/vcpu_debug.h), with a test debugger that logs each stop and
 * continues. A software breakpoint is an INT3 the test debugger plants at
 * sw_addr (guest-physical = RIP: CS base 0) and removes when it is hit.
 */
#define HC_DEBUG_SW_BP BIT(0)
#define HC_DEBUG_STEP  BIT(1)
struct hc_debug_cfg {
	uint32_t flags;		/* HC_DEBUG_* */
	uint32_t sw_addr;
	struct {
		uint32_t addr;
		uint8_t kind;	/* enum vcpu_debug_hw_kind */
		uint8_t len;
		uint8_t on;
		uint8_t pad;
	} hw[4];
} __packed;
_Static_assert(sizeof(struct hc_debug_cfg) == 40, "hc_debug_cfg layout");

struct vm;

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

/*
 * Makes the test-payload ABI the platform of vm, whose vCPUs must all
 * exist. Before any vCPU runs. Returns 0 or -ENOMEM (nothing attached);
 * vm_destroy() frees it.
 */
int payload_platform_attach(struct vm *vm);

#endif
