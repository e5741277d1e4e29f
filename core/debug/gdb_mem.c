/*
 * The GDB stub's memory: m, M and X over the target's guest-virtual
 * accesses, and breakpoints. Software breakpoints (Z0) are the stub's
 * own: an INT3 written into guest memory, the guest's byte kept in
 * s->swbreak[], shown to m in place of the INT3 and replaced (under the
 * INT3) by M and X writes that cover it. Hardware breakpoints and
 * watchpoints (Z1-Z4) go to the target. Poll context, except
 * gdb_stub_owns_breakpoint() (any CPU).
 */
#include "core/debug/gdb_internal.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"

#define X86_INT3   0xcc
#define GDB_ESCAPE 0x7d

/* [addr, addr + len) does not wrap around the address space. */
static bool range_ok(uint64_t addr, uint64_t len)
{
	return len == 0 || addr + (len - 1) >= addr;
}

/* Parses "ADDR,LEN" and checks the range. */
static bool parse_range(struct gdb_pkt *pkt, uint64_t *addr, uint64_t *len)
{
	return gdb_parse_hex(pkt, addr) && gdb_parse_char(pkt, ',') &&
	       gdb_parse_hex(pkt, len) && range_ok(*addr, *len);
}

static bool in_range(uint64_t a, uint64_t addr, uint64_t len)
{
	return a >= addr && a - addr < len;
}

void gdb_handle_read_mem(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	uint64_t addr, len;
	size_t n, i;

	if (!parse_range(pkt, &addr, &len) || pkt->p != pkt->end) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	/* A shorter answer than asked is allowed; GDB asks for the rest. */
	len = MIN(len, (uint64_t)(GDB_PACKET_SIZE - 1) / 2);
	if (len == 0) {
		gdb_reply(s, "");
		return;
	}
	n = s->target.ops->mem_read(s->target.ctx, gdb_thread_g(s), addr, s->scratch, len);
	if (n == 0 || n > len) {
		gdb_reply_error(s, -EFAULT);
		return;
	}
	/* The reader sees the guest's bytes, not the INT3s. */
	for (i = 0; i < GDB_MAX_SWBREAK; i++) {
		struct gdb_swbreak *bp = &s->swbreak[i];

		if (bp->used && in_range(bp->addr, addr, n))
			s->scratch[bp->addr - addr] = bp->orig;
	}
	gdb_reply_begin(s);
	gdb_reply_hex(s, s->scratch, n);
	gdb_reply_send(s);
}

/*
 * Writes len bytes of s->scratch to addr, an INT3 kept over every byte a
 * breakpoint covers (the new byte becomes the one it restores). Returns
 * 0 or -EFAULT when not every byte was written; the breakpoints of the
 * bytes written are updated either way.
 */
static int mem_write(struct gdb_stub *s, uint64_t addr, size_t len)
{
	uint8_t newb[GDB_MAX_SWBREAK];
	size_t n, i;

	for (i = 0; i < GDB_MAX_SWBREAK; i++) {
		struct gdb_swbreak *bp = &s->swbreak[i];

		if (bp->used && in_range(bp->addr, addr, len)) {
			newb[i] = s->scratch[bp->addr - addr];
			s->scratch[bp->addr - addr] = X86_INT3;
		}
	}
	n = s->target.ops->mem_write(s->target.ctx, gdb_thread_g(s), addr, s->scratch, len);
	if (n > len)
		n = 0;
	spin_lock(&s->lock);
	for (i = 0; i < GDB_MAX_SWBREAK; i++) {
		struct gdb_swbreak *bp = &s->swbreak[i];

		if (bp->used && in_range(bp->addr, addr, n))
			bp->orig = newb[i];
	}
	spin_unlock(&s->lock);
	return n == len ? 0 : -EFAULT;
}

static void reply_write(struct gdb_stub *s, int err)
{
	if (err < 0)
		gdb_reply_error(s, err);
	else
		gdb_reply(s, "OK");
}

/* M addr,len:HEX */
void gdb_handle_write_mem(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	uint64_t addr, len;

	if (!parse_range(pkt, &addr, &len) || !gdb_parse_char(pkt, ':') ||
	    len > sizeof(s->scratch) || !gdb_parse_hex_bytes(pkt, s->scratch, len)) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	reply_write(s, len ? mem_write(s, addr, len) : 0);
}

/* X addr,len:BINARY, where 0x7d escapes the next byte (xor 0x20). */
void gdb_handle_write_mem_bin(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	uint64_t addr, len;
	size_t n = 0;

	if (!parse_range(pkt, &addr, &len) || !gdb_parse_char(pkt, ':') ||
	    len > sizeof(s->scratch)) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	while (pkt->p < pkt->end) {
		uint8_t c = (uint8_t)*pkt->p++;

		if (c == GDB_ESCAPE) {
			if (pkt->p == pkt->end)
				break;
			c = (uint8_t)*pkt->p++ ^ 0x20;
		}
		if (n == len) {
			n++;
			break;
		}
		s->scratch[n++] = c;
	}
	if (n != len || pkt->p != pkt->end) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	reply_write(s, len ? mem_write(s, addr, len) : 0);
}

/* ------------------------------------------------------------------------
 * Software breakpoints
 */

static struct gdb_swbreak *swbreak_find(struct gdb_stub *s, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		if (s->swbreak[i].used && s->swbreak[i].addr == addr)
			return &s->swbreak[i];
	return NULL;
}

bool gdb_stub_owns_breakpoint(struct gdb_stub *s, uint64_t addr)
{
	bool owned;

	spin_lock(&s->lock);
	owned = swbreak_find(s, addr) != NULL;
	spin_unlock(&s->lock);
	return owned;
}

static int swbreak_insert(struct gdb_stub *s, uint64_t addr)
{
	unsigned int t = gdb_thread_g(s), i;
	struct gdb_swbreak *bp = NULL;
	uint8_t orig, int3 = X86_INT3;

	if (swbreak_find(s, addr))
		return 0;
	for (i = 0; i < GDB_MAX_SWBREAK && !bp; i++)
		if (!s->swbreak[i].used)
			bp = &s->swbreak[i];
	if (!bp)
		return -ENOSPC;
	if (s->target.ops->mem_read(s->target.ctx, t, addr, &orig, 1) != 1)
		return -EFAULT;
	/* In the table before the INT3 is: a vCPU that hits it finds it ours. */
	spin_lock(&s->lock);
	*bp = (struct gdb_swbreak){ .addr = addr, .thread = t, .orig = orig, .used = true };
	spin_unlock(&s->lock);
	if (s->target.ops->mem_write(s->target.ctx, t, addr, &int3, 1) != 1) {
		spin_lock(&s->lock);
		bp->used = false;
		spin_unlock(&s->lock);
		return -EFAULT;
	}
	return 0;
}

/* Puts the guest's byte back and frees the entry, whether or not that worked. */
static int swbreak_remove(struct gdb_stub *s, struct gdb_swbreak *bp)
{
	size_t n;

	n = s->target.ops->mem_write(s->target.ctx, bp->thread, bp->addr, &bp->orig, 1);
	spin_lock(&s->lock);
	bp->used = false;
	spin_unlock(&s->lock);
	return n == 1 ? 0 : -EFAULT;
}

int gdb_swbreak_remove_all(struct gdb_stub *s)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		if (s->swbreak[i].used && swbreak_remove(s, &s->swbreak[i]) < 0)
			err = -EFAULT;
	return err;
}

/* Z/z TYPE,ADDR,KIND */
void gdb_handle_breakpoint(struct gdb_stub *s, struct gdb_pkt *pkt, bool insert)
{
	const struct gdb_target_ops *ops = s->target.ops;
	uint64_t type, addr, len;
	struct gdb_swbreak *bp;
	int err;

	if (!gdb_parse_hex(pkt, &type) || !gdb_parse_char(pkt, ',') ||
	    !parse_range(pkt, &addr, &len) || pkt->p != pkt->end || type > GDB_WATCH_ACCESS) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	if (type == 0 || type == GDB_BP_HW) {
		/* x86's breakpoint kind is 1, the INT3's length. */
		if (len != 1) {
			gdb_reply_error(s, -EINVAL);
			return;
		}
	} else if (len != 1 && len != 2 && len != 4 && len != 8) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	if (type == 0) {
		bp = swbreak_find(s, addr);
		if (insert)
			err = swbreak_insert(s, addr);
		else
			err = bp ? swbreak_remove(s, bp) : 0;
	} else if (!(insert ? ops->bp_insert : ops->bp_remove)) {
		gdb_reply(s, "");
		return;
	} else if (insert) {
		err = ops->bp_insert(s->target.ctx, (enum gdb_bp_type)type, addr, len);
	} else {
		err = ops->bp_remove(s->target.ctx, (enum gdb_bp_type)type, addr, len);
	}
	reply_write(s, err);
}
