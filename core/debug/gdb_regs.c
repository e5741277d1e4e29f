/*
 * The GDB stub's registers: the one table that decides GDB's register
 * numbers, the g/G layout and the target description (target.xml) the
 * stub serves; the g, G, p and P packets; and the check that keeps a
 * value the CPU would refuse away from the target. Poll context.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/debug/gdb_internal.h"
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

/* The features of target.xml, in the order they are written. */
enum gdb_feature { FEAT_CORE, FEAT_SEGMENTS, FEAT_CONTROL, FEAT_COUNT };

static const char *const feature_names[FEAT_COUNT] = {
	[FEAT_CORE] = "org.gnu.gdb.i386.core",		/* GDB requires it */
	[FEAT_SEGMENTS] = "org.gnu.gdb.i386.segments",	/* fs_base, gs_base */
	[FEAT_CONTROL] = "org.hv.gdb.x86-64.control",	/* QEMU's names and types */
};

#define NO_FIELD (-1)

struct gdb_reg_desc {
	const char *name;
	unsigned int bytes;	/* in the g packet, little-endian */
	const char *type;
	const char *group;	/* NULL: GDB's default */
	enum gdb_feature feature;
	int off;		/* in struct gdb_regs; NO_FIELD: served as zeros */
};

#define REG(n, b, t, f) { #n, b, t, NULL, f, offsetof(struct gdb_regs, n) }
#define REG_AS(name, n, b, t) { name, b, t, NULL, FEAT_CORE, offsetof(struct gdb_regs, n) }
#define ZERO(n, b, t, g) { #n, b, t, g, FEAT_CORE, NO_FIELD }

/* GDB's register numbers are the indices; the core's order is GDB's amd64 order. */
static const struct gdb_reg_desc regs_desc[] = {
	REG(rax, 8, "int64", FEAT_CORE), REG(rbx, 8, "int64", FEAT_CORE),
	REG(rcx, 8, "int64", FEAT_CORE), REG(rdx, 8, "int64", FEAT_CORE),
	REG(rsi, 8, "int64", FEAT_CORE), REG(rdi, 8, "int64", FEAT_CORE),
	REG(rbp, 8, "data_ptr", FEAT_CORE), REG(rsp, 8, "data_ptr", FEAT_CORE),
	REG(r8, 8, "int64", FEAT_CORE), REG(r9, 8, "int64", FEAT_CORE),
	REG(r10, 8, "int64", FEAT_CORE), REG(r11, 8, "int64", FEAT_CORE),
	REG(r12, 8, "int64", FEAT_CORE), REG(r13, 8, "int64", FEAT_CORE),
	REG(r14, 8, "int64", FEAT_CORE), REG(r15, 8, "int64", FEAT_CORE),
	REG(rip, 8, "code_ptr", FEAT_CORE), REG_AS("eflags", rflags, 4, "i386_eflags"),
	REG(cs, 4, "int32", FEAT_CORE), REG(ss, 4, "int32", FEAT_CORE),
	REG(ds, 4, "int32", FEAT_CORE), REG(es, 4, "int32", FEAT_CORE),
	REG(fs, 4, "int32", FEAT_CORE), REG(gs, 4, "int32", FEAT_CORE),
	ZERO(st0, 10, "i387_ext", NULL), ZERO(st1, 10, "i387_ext", NULL),
	ZERO(st2, 10, "i387_ext", NULL), ZERO(st3, 10, "i387_ext", NULL),
	ZERO(st4, 10, "i387_ext", NULL), ZERO(st5, 10, "i387_ext", NULL),
	ZERO(st6, 10, "i387_ext", NULL), ZERO(st7, 10, "i387_ext", NULL),
	ZERO(fctrl, 4, "int", "float"), ZERO(fstat, 4, "int", "float"),
	ZERO(ftag, 4, "int", "float"), ZERO(fiseg, 4, "int", "float"),
	ZERO(fioff, 4, "int", "float"), ZERO(foseg, 4, "int", "float"),
	ZERO(fooff, 4, "int", "float"), ZERO(fop, 4, "int", "float"),
	REG(fs_base, 8, "int64", FEAT_SEGMENTS), REG(gs_base, 8, "int64", FEAT_SEGMENTS),
	REG(cr0, 8, "x86_64_cr0", FEAT_CONTROL), REG(cr2, 8, "int64", FEAT_CONTROL),
	REG(cr3, 8, "int64", FEAT_CONTROL), REG(cr4, 8, "x86_64_cr4", FEAT_CONTROL),
	REG(cr8, 8, "int64", FEAT_CONTROL), REG(efer, 8, "x86_64_efer", FEAT_CONTROL),
};
#define GDB_NR_REGS ARRAY_SIZE(regs_desc)

/* The flags types: single-bit fields, "name:bit" in each string. */
struct gdb_flags_desc {
	const char *id;
	unsigned int size;
	enum gdb_feature feature;
	const char *fields;
};

static const struct gdb_flags_desc flags_desc[] = {
	{ "i386_eflags", 4, FEAT_CORE, "CF:0 :1 PF:2 AF:4 ZF:6 SF:7 TF:8 IF:9 DF:10 OF:11 "
	  "NT:14 RF:16 VM:17 AC:18 VIF:19 VIP:20 ID:21" },
	{ "x86_64_cr0", 8, FEAT_CONTROL, "PG:31 CD:30 NW:29 AM:18 WP:16 NE:5 ET:4 TS:3 "
	  "EM:2 MP:1 PE:0" },
	{ "x86_64_cr4", 8, FEAT_CONTROL, "PKE:22 SMAP:21 SMEP:20 OSXSAVE:18 PCIDE:17 "
	  "FSGSBASE:16 SMXE:14 VMXE:13 LA57:12 UMIP:11 OSXMMEXCPT:10 OSFXSR:9 PCE:8 "
	  "PGE:7 MCE:6 PAE:5 PSE:4 DE:3 TSD:2 PVI:1 VME:0" },
	{ "x86_64_efer", 8, FEAT_CONTROL, "TCE:15 FFXSR:14 LMSLE:13 SVME:12 NXE:11 LMA:10 "
	  "LME:8 SCE:0" },
};

/* ------------------------------------------------------------------------
 * The target description
 */

struct xml_buf {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void xml_add(struct xml_buf *x, const char *fmt, ...) __printf(2, 3);
static void xml_add(struct xml_buf *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->overflow)
		return;
	va_start(ap, fmt);
	n = hv_vsnprintf(x->buf + x->len, x->size - x->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= x->size - x->len)
		x->overflow = true;
	else
		x->len += (size_t)n;
}

/* A flags type: one single-bit <field> per "NAME:BIT" of f->fields. */
static void xml_add_flags(struct xml_buf *x, const struct gdb_flags_desc *f)
{
	const char *p = f->fields;

	xml_add(x, "<flags id=\"%s\" size=\"%u\">\n", f->id, f->size);
	while (*p) {
		const char *name = p, *colon = strchr(p, ':');
		unsigned int bit = 0;

		for (p = colon + 1; *p >= '0' && *p <= '9'; p++)
			bit = bit * 10 + (unsigned int)(*p - '0');
		xml_add(x, "<field name=\"%.*s\" start=\"%u\" end=\"%u\"/>\n",
			(int)(colon - name), name, bit, bit);
		while (*p == ' ')
			p++;
	}
	xml_add(x, "</flags>\n");
}

int gdb_xml_build(struct gdb_stub *s)
{
	struct xml_buf x = { s->xml, sizeof(s->xml), 0, false };
	unsigned int f, i;

	xml_add(&x, "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		"<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n");
	for (f = 0; f < FEAT_COUNT; f++) {
		xml_add(&x, "<feature name=\"%s\">\n", feature_names[f]);
		for (i = 0; i < ARRAY_SIZE(flags_desc); i++)
			if (flags_desc[i].feature == f)
				xml_add_flags(&x, &flags_desc[i]);
		for (i = 0; i < GDB_NR_REGS; i++) {
			const struct gdb_reg_desc *r = &regs_desc[i];

			if (r->feature != f)
				continue;
			xml_add(&x, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
				r->name, r->bytes * 8, r->type, i);
			if (r->group)
				xml_add(&x, " group=\"%s\"", r->group);
			xml_add(&x, "/>\n");
		}
		xml_add(&x, "</feature>\n");
	}
	xml_add(&x, "</target>\n");
	if (x.overflow)
		return -EINVAL;
	s->xml_len = x.len;
	return 0;
}

/* ------------------------------------------------------------------------
 * Validation
 */

bool gdb_regs_valid(const struct gdb_regs *r, const struct gdb_regs *old,
		    uint64_t cr4_allowed, uint64_t efer_allowed)
{
	bool la57 = r->cr4 & X86_CR4_LA57;
	bool pg = r->cr0 & X86_CR0_PG, old_pg = old->cr0 & X86_CR0_PG;
	bool lme = r->efer & EFER_LME, lma = r->efer & EFER_LMA;
	const uint64_t sel[] = { r->cs, r->ss, r->ds, r->es, r->fs, r->gs };
	unsigned int i;

	if (!x86_canonical(r->rip, la57) || !x86_canonical(r->fs_base, la57) ||
	    !x86_canonical(r->gs_base, la57))
		return false;
	/* RFLAGS: nothing undefined, bit 1 set, no virtual-8086 mode in long mode. */
	if ((r->rflags & ~X86_RFLAGS_DEFINED) || !(r->rflags & X86_RFLAGS_FIXED))
		return false;
	if (lma && (r->rflags & X86_RFLAGS_VM))
		return false;
	if (r->cr0 & ~X86_CR0_DEFINED)
		return false;
	if (pg && !(r->cr0 & X86_CR0_PE))
		return false;
	if ((r->cr0 & X86_CR0_NW) && !(r->cr0 & X86_CR0_CD))
		return false;
	/* CR3: bits 52-63 are reserved (or write-only) on every CPU. */
	if (r->cr3 & GENMASK_ULL(63, 52))
		return false;
	if (r->cr4 & ~cr4_allowed)
		return false;
	if (r->cr8 & ~0xfull)
		return false;
	/* EFER as WRMSR checks it, LMA as the CPU derives it. */
	if (!efer_valid(r->efer & ~(uint64_t)EFER_LMA, old->efer & ~(uint64_t)EFER_LMA,
			efer_allowed, pg && old_pg))
		return false;
	if ((r->efer & EFER_LMA) && !(efer_allowed & EFER_LMA))
		return false;
	if (lma != (lme && pg))
		return false;
	if (lme && pg && !(r->cr4 & X86_CR4_PAE))
		return false;
	if ((r->cr4 & X86_CR4_PCIDE) && !lma)
		return false;
	for (i = 0; i < ARRAY_SIZE(sel); i++)
		if (sel[i] > 0xffff)
			return false;
	return true;
}

static bool regs_check(struct gdb_stub *s, const struct gdb_regs *r, const struct gdb_regs *old)
{
	return gdb_regs_valid(r, old, s->target.cr4_allowed, s->target.efer_allowed);
}

/* ------------------------------------------------------------------------
 * Packets
 */

static uint64_t *reg_field(struct gdb_regs *regs, const struct gdb_reg_desc *r)
{
	return (uint64_t *)((char *)regs + r->off);
}

/* Register r of regs as the g packet carries it, into out (r->bytes). */
static void reg_encode(const struct gdb_regs *regs, const struct gdb_reg_desc *r, uint8_t *out)
{
	uint64_t v = 0;
	unsigned int i;

	if (r->off != NO_FIELD)
		v = *reg_field((struct gdb_regs *)regs, r);
	for (i = 0; i < r->bytes; i++)
		out[i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

/*
 * Register r from the packet's bytes into regs. A register the interface
 * does not carry takes only the value served (zero); else -EINVAL.
 */
static int reg_decode(struct gdb_regs *regs, const struct gdb_reg_desc *r, const uint8_t *in)
{
	uint64_t v = 0;
	unsigned int i;

	if (r->off == NO_FIELD) {
		for (i = 0; i < r->bytes; i++)
			if (in[i])
				return -EINVAL;
		return 0;
	}
	for (i = 0; i < r->bytes; i++)
		v |= (uint64_t)in[i] << (8 * i);
	*reg_field(regs, r) = v;
	return 0;
}

static size_t regs_bytes(void)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < GDB_NR_REGS; i++)
		n += regs_desc[i].bytes;
	return n;
}

void gdb_handle_read_regs(struct gdb_stub *s)
{
	unsigned int t = gdb_thread_g(s), i;
	struct gdb_regs regs;
	uint8_t val[16];
	int err;

	err = s->target.ops->regs_read(s->target.ctx, t, &regs);
	if (err < 0) {
		gdb_reply_error(s, err);
		return;
	}
	gdb_reply_begin(s);
	for (i = 0; i < GDB_NR_REGS; i++) {
		reg_encode(&regs, &regs_desc[i], val);
		gdb_reply_hex(s, val, regs_desc[i].bytes);
	}
	gdb_reply_send(s);
}

/* Reads t's registers, lets edit change the copy, checks it, writes it. */
static int regs_update(struct gdb_stub *s, unsigned int t,
		       int (*edit)(struct gdb_regs *regs, const void *arg), const void *arg)
{
	struct gdb_regs old, regs;
	int err;

	err = s->target.ops->regs_read(s->target.ctx, t, &old);
	if (err < 0)
		return err;
	regs = old;
	err = edit(&regs, arg);
	if (err < 0)
		return err;
	if (!regs_check(s, &regs, &old))
		return -EINVAL;
	return s->target.ops->regs_write(s->target.ctx, t, &regs);
}

static int edit_all(struct gdb_regs *regs, const void *arg)
{
	const uint8_t *in = arg;
	unsigned int i;
	int err;

	for (i = 0; i < GDB_NR_REGS; i++) {
		err = reg_decode(regs, &regs_desc[i], in);
		if (err < 0)
			return err;
		in += regs_desc[i].bytes;
	}
	return 0;
}

void gdb_handle_write_regs(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	int err;

	if (!gdb_parse_hex_bytes(pkt, s->scratch, regs_bytes())) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	err = regs_update(s, gdb_thread_g(s), edit_all, s->scratch);
	if (err < 0)
		gdb_reply_error(s, err);
	else
		gdb_reply(s, "OK");
}

void gdb_handle_read_reg(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	struct gdb_regs regs;
	uint8_t val[16];
	uint64_t n;
	int err;

	if (!gdb_parse_hex(pkt, &n) || pkt->p != pkt->end || n >= GDB_NR_REGS) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	err = s->target.ops->regs_read(s->target.ctx, gdb_thread_g(s), &regs);
	if (err < 0) {
		gdb_reply_error(s, err);
		return;
	}
	reg_encode(&regs, &regs_desc[n], val);
	gdb_reply_begin(s);
	gdb_reply_hex(s, val, regs_desc[n].bytes);
	gdb_reply_send(s);
}

struct reg_edit {
	const struct gdb_reg_desc *desc;
	const uint8_t *val;
};

static int edit_one(struct gdb_regs *regs, const void *arg)
{
	const struct reg_edit *e = arg;

	return reg_decode(regs, e->desc, e->val);
}

void gdb_handle_write_reg(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	struct reg_edit e;
	uint8_t val[16];
	uint64_t n;
	int err;

	if (!gdb_parse_hex(pkt, &n) || !gdb_parse_char(pkt, '=') || n >= GDB_NR_REGS ||
	    !gdb_parse_hex_bytes(pkt, val, regs_desc[n].bytes)) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	e.desc = &regs_desc[n];
	e.val = val;
	err = regs_update(s, gdb_thread_g(s), edit_one, &e);
	if (err < 0)
		gdb_reply_error(s, err);
	else
		gdb_reply(s, "OK");
}

static int edit_rip(struct gdb_regs *regs, const void *arg)
{
	regs->rip = *(const uint64_t *)arg;
	return 0;
}

int gdb_set_rip(struct gdb_stub *s, unsigned int t, uint64_t rip)
{
	if (!gdb_thread_valid(s, t))
		return -ENOENT;
	return regs_update(s, t, edit_rip, &rip);
}
