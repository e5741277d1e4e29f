/*
 * String I/O (INS, OUTS, with or without REP) as the CPU executes it: one
 * element at a time between a port and memory at a segment's offset in
 * rSI (OUTS, any data segment) or rDI (INS, always ES), in the address
 * size of the instruction, forwards or backwards per RFLAGS.DF, through
 * the segment's limit and type checks and the guest's page tables with
 * its CPL, CR0.WP and CR4.SMAP.
 *
 * One call does one batch: the elements up to the end of the page the
 * first one lies in, at most STRING_IO_BATCH of them. The registers show
 * every completed element (rSI or rDI moved, rCX counted down under REP)
 * whatever the outcome, as the CPU leaves them when it stops between two
 * iterations. A fault found before an element's port access leaves that
 * element undone: the device never sees it.
 *
 * Pure: memory and ports are reached through the caller's callbacks
 * (core/vcpu_string_io.c: the memslots and the VM's platform; a hosted
 * test: arrays). No lock, no state; any context the callbacks allow.
 */
#ifndef CORE_STRING_IO_H
#define CORE_STRING_IO_H

#include "core/exit.h"
#include "core/guest_state.h"
#include "core/guest_walk.h"

/* The most elements one call moves: the bound on one exit's work. */
#define STRING_IO_BATCH 1024u

/* One INS / OUTS as the exit and the guest's state describe it. */
struct string_io {
	uint16_t port;
	uint8_t size;		/* element: 1, 2 or 4 bytes */
	uint8_t addr_size;	/* 2, 4 or 8 bytes */
	bool in;		/* INS; else OUTS */
	bool rep;
	uint8_t mode;		/* enum guest_cpu_mode */
	uint8_t cpl;
	struct guest_segment seg;	/* OUTS: the source segment; INS: ES */
	bool seg_is_ss;		/* a limit fault is #SS(0), not #GP(0) */
	bool seg_is_fs_gs;	/* its base counts in 64-bit mode */
	struct guest_walk_regs paging;
};

/*
 * The caller's side. read and write reach guest-physical memory (0, or
 * non-zero: not RAM). port: 0 done (an IN's value in *val), -ENOENT no
 * device (reads all ones, writes dropped), another negative value: the
 * VM stops (the callee has said why).
 */
struct string_io_ops {
	guest_walk_read_fn read;
	int (*write)(void *ctx, uint64_t gpa, const void *buf, unsigned int len);
	int (*port)(void *ctx, uint16_t port, unsigned int size, bool in, uint32_t *val);
	void *ctx;
};

enum string_io_result {
	STRING_IO_DONE,		/* the count is done: RIP past the instruction */
	STRING_IO_MORE,		/* a count is left: execute it again */
	STRING_IO_FAULT,	/* deliver out->fault (RIP at the instruction) */
	STRING_IO_STOP,		/* the VM stops: out->why (NULL: the port said) */
};

struct string_io_outcome {
	unsigned int done;	/* elements completed by this call */
	struct vm_event fault;	/* STRING_IO_FAULT */
	uint64_t cr2;		/* STRING_IO_FAULT with #PF: the linear address */
	const char *why;	/* STRING_IO_STOP */
	uint64_t addr;		/* STRING_IO_STOP: the address it names */
};

/*
 * Runs one batch of io on regs (rSI/rDI, rCX, RFLAGS.DF and AC read;
 * rSI/rDI and rCX written back for every completed element). RIP and
 * RFLAGS are left to the caller.
 */
enum string_io_result string_io_run(const struct string_io *io, struct guest_regs *regs,
				    const struct string_io_ops *ops,
				    struct string_io_outcome *out);

/* The register io.addr_size wide, as an address or count reads it. */
static inline uint64_t string_io_addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ull : addr_size == 4 ? 0xffffffffull : 0xffffull;
}

struct vcpu;

/*
 * The string I/O exit on its vCPU (core/vcpu_string_io.c): one batch.
 * Returns 0 to re-enter (RIP past the instruction when its count is done,
 * else at it, maybe with a fault injected), or -1: the VM stops, and the
 * stop says why.
 */
int vcpu_string_io(struct vcpu *vcpu, const struct vm_exit *exit);

#endif
