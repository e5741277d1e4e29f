/*
 * String I/O, the CPU's part (core/string_io.h): segment checks, address
 * size and direction, counts, the guest's page walk and permissions, and
 * the element loop between the caller's memory and port callbacks.
 * Pure; whatever context the callbacks allow.
 *
 * The checks follow the SDM (vol. 2, INS/OUTS; vol. 3, 5.3 limits, 5.4
 * types, 4.6 access rights) and the APM (vol. 3, INS/OUTS), which agree.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/lib/string.h"
#include "core/string_io.h"

/* A register written at an address size: 16 bits merge, 32 bits zero-extend. */
static uint64_t reg_assign(uint64_t old, uint64_t val, unsigned int addr_size)
{
	switch (addr_size) {
	case 2:
		return (old & ~0xffffull) | (val & 0xffffull);
	case 4:
		return val & 0xffffffffull;
	default:
		return val;
	}
}

static enum string_io_result io_fault(struct string_io_outcome *out, uint8_t vector,
				      uint32_t error, uint64_t cr2)
{
	out->fault = (struct vm_event){
		.valid = true, .type = EVENT_EXCEPTION, .vector = vector,
		.has_error = true, .error_code = error,
	};
	out->cr2 = cr2;
	return STRING_IO_FAULT;
}

static enum string_io_result io_stop(struct string_io_outcome *out, const char *why,
				     uint64_t addr)
{
	out->why = why;
	out->addr = addr;
	return STRING_IO_STOP;
}

/* The vector of a segment fault on the element's segment. */
static uint8_t seg_vector(const struct string_io *io)
{
	return io->seg_is_ss ? VEC_SS : VEC_GP;
}

/*
 * The linear address of the element at offset off, after the checks the
 * CPU makes on its segment: canonical in 64-bit mode (only FS and GS
 * have a base there); elsewhere a usable segment of the right type
 * (writable data for INS, readable for OUTS) outside real and virtual-8086
 * mode, and the limit, expand-down included. STRING_IO_MORE: go on.
 */
static enum string_io_result seg_linear(const struct string_io *io, uint64_t off,
					uint64_t *lin, struct string_io_outcome *out)
{
	const struct guest_segment *s = &io->seg;
	uint32_t type = s->attr & SEG_ATTR_TYPE_MASK;
	uint64_t last = off + io->size - 1;

	if (io->mode == GUEST_MODE_LONG64) {
		bool la57 = io->paging.cr4 & X86_CR4_LA57;

		*lin = (io->seg_is_fs_gs ? s->base : 0) + off;
		if (!x86_canonical(*lin, la57) || !x86_canonical(*lin + io->size - 1, la57))
			return io_fault(out, seg_vector(io), 0, 0);
		return STRING_IO_MORE;
	}
	if (io->mode != GUEST_MODE_REAL && io->mode != GUEST_MODE_V86) {
		if ((s->attr & SEG_ATTR_UNUSABLE) || !(s->attr & SEG_ATTR_P) ||
		    !(s->attr & SEG_ATTR_S))
			return io_fault(out, VEC_GP, 0, 0);
		if (io->in ? (type & SEG_TYPE_CODE) || !(type & SEG_TYPE_RW) :
			     (type & SEG_TYPE_CODE) && !(type & SEG_TYPE_RW))
			return io_fault(out, VEC_GP, 0, 0);
	}
	if ((s->attr & SEG_ATTR_S) && !(type & SEG_TYPE_CODE) && (type & SEG_TYPE_EC)) {
		uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;

		if (off <= s->limit || last > upper)
			return io_fault(out, seg_vector(io), 0, 0);
	} else if (last > s->limit) {
		return io_fault(out, seg_vector(io), 0, 0);
	}
	*lin = (s->base + off) & 0xffffffffull;
	return STRING_IO_MORE;
}

/*
 * Sets the accessed bits of the walk's entries, and the leaf's dirty bit
 * for a write, as the CPU does. One byte each, the low one, where A and
 * D live; a PAE PDPTE has neither. Not atomic against another vCPU of
 * the same guest rewriting the entry: the guest races itself only.
 */
static void set_accessed_dirty(const struct string_io_ops *ops, const struct guest_walk *w,
			       bool write)
{
	for (unsigned int i = 0; i < w->nr_steps; i++) {
		const struct guest_walk_step *s = &w->steps[i];
		uint8_t low = (uint8_t)s->entry, want = low | (uint8_t)GPTE_A;

		if (w->mode == GUEST_PAGING_PAE && s->level == 3)
			continue;
		if (s->leaf && write)
			want |= (uint8_t)GPTE_D;
		if (want != low)
			ops->write(ops->ctx, s->entry_gpa, &want, 1);
	}
}

/*
 * lin -> guest-physical through the guest's tables, with the access
 * rights of the access (SDM vol. 3, 4.6): a user access needs US, a write
 * needs RW at CPL 3 or with CR0.WP, a supervisor access to a user page
 * faults under CR4.SMAP unless RFLAGS.AC. STRING_IO_MORE: *gpa is set.
 */
static enum string_io_result translate(const struct string_io *io, const struct guest_regs *regs,
				       const struct string_io_ops *ops, uint64_t lin,
				       uint64_t *gpa, struct string_io_outcome *out)
{
	bool user = io->cpl == 3, write = io->in;
	uint32_t err = (write ? X86_PF_W : 0) | (user ? X86_PF_U : 0);
	struct guest_walk w;

	switch (guest_walk(&io->paging, lin, ops->read, ops->ctx, &w)) {
	case GUEST_WALK_OK:
		break;
	case GUEST_WALK_NOT_PRESENT:
		return io_fault(out, VEC_PF, err, lin);
	case GUEST_WALK_RESERVED:
		return io_fault(out, VEC_PF, err | X86_PF_P | X86_PF_RSVD, lin);
	case GUEST_WALK_UNREADABLE:
		return io_stop(out, "a page-table entry of the buffer is outside RAM",
			       w.steps[w.nr_steps - 1].entry_gpa);
	default:
		return io_fault(out, seg_vector(io), 0, 0);
	}
	if (io->paging.cr0 & X86_CR0_PG) {
		if ((user && !w.user) ||
		    (write && !w.writable && (user || (io->paging.cr0 & X86_CR0_WP))) ||
		    (!user && w.user && (io->paging.cr4 & X86_CR4_SMAP) &&
		     !(regs->rflags & X86_RFLAGS_AC)))
			return io_fault(out, VEC_PF, err | X86_PF_P, lin);
		set_accessed_dirty(ops, &w, write);
	}
	*gpa = w.gpa;
	return STRING_IO_MORE;
}

/*
 * One element at linear lin, maybe across two pages. Both are translated
 * and found to be RAM before the port is touched, so that an element
 * that cannot complete never reaches the device.
 */
static enum string_io_result element(const struct string_io *io, const struct guest_regs *regs,
				     const struct string_io_ops *ops, uint64_t lin,
				     struct string_io_outcome *out)
{
	unsigned int len[2], i, n;
	uint64_t gpa[2] = { 0, 0 };
	uint8_t buf[4];
	uint32_t val = 0;
	int err;

	len[0] = (unsigned int)MIN((uint64_t)io->size, PAGE_SIZE - (lin & (PAGE_SIZE - 1)));
	len[1] = io->size - len[0];
	n = len[1] ? 2 : 1;
	for (i = 0; i < n; i++) {
		uint64_t at = i ? lin + len[0] : lin;
		enum string_io_result r;

		if (io->mode != GUEST_MODE_LONG64)
			at &= 0xffffffffull;
		r = translate(io, regs, ops, at, &gpa[i], out);
		if (r != STRING_IO_MORE)
			return r;
	}
	for (i = 0; i < n; i++)
		if (ops->read(ops->ctx, gpa[i], buf + (i ? len[0] : 0), len[i]))
			return io_stop(out, "its buffer is outside RAM", gpa[i]);
	if (!io->in)
		memcpy(&val, buf, io->size);
	err = ops->port(ops->ctx, io->port, io->size, io->in, &val);
	if (err == -ENOENT)
		val = 0xffffffffu;
	else if (err)
		return io_stop(out, NULL, 0);
	if (!io->in)
		return STRING_IO_MORE;
	memcpy(buf, &val, io->size);
	for (i = 0; i < n; i++)
		if (ops->write(ops->ctx, gpa[i], buf + (i ? len[0] : 0), len[i]))
			return io_stop(out, "its buffer is not writable RAM", gpa[i]);
	return STRING_IO_MORE;
}

enum string_io_result string_io_run(const struct string_io *io, struct guest_regs *regs,
				    const struct string_io_ops *ops,
				    struct string_io_outcome *out)
{
	uint64_t mask = string_io_addr_mask(io->addr_size);
	unsigned int ptr = io->in ? GPR_RDI : GPR_RSI;
	uint64_t count = io->rep ? regs->gpr[GPR_RCX] & mask : 1;
	uint64_t delta = (regs->rflags & X86_RFLAGS_DF) ? -(uint64_t)io->size : io->size;
	uint64_t first_page = 0;

	*out = (struct string_io_outcome){ 0 };
	while (count) {
		uint64_t off = regs->gpr[ptr] & mask, lin;
		enum string_io_result r = seg_linear(io, off, &lin, out);

		if (r != STRING_IO_MORE)
			return r;
		/* A batch ends where the next element starts another page. */
		if (out->done && ((lin >> PAGE_SHIFT) != first_page ||
				  out->done == STRING_IO_BATCH))
			return STRING_IO_MORE;
		if (!out->done)
			first_page = lin >> PAGE_SHIFT;
		r = element(io, regs, ops, lin, out);
		if (r != STRING_IO_MORE)
			return r;
		out->done++;
		count = (count - 1) & mask;
		regs->gpr[ptr] = reg_assign(regs->gpr[ptr], off + delta, io->addr_size);
		if (io->rep)
			regs->gpr[GPR_RCX] = reg_assign(regs->gpr[GPR_RCX], count, io->addr_size);
	}
	return STRING_IO_DONE;
}
