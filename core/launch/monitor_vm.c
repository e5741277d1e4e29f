/*
 * The monitor's commands that show a vCPU's and a VM's state, and pause
 * it (see core/launch/monitor_vm.h): pause, resume, regs, vmcs (alias
 * vmcb), devices, timers.
 *
 * Boot CPU only, in the monitor's loop. What each reads and how:
 *  - regs, vmcs: a snapshot taken on the vCPU's own thread through
 *    vcpu_call() (outside guest mode; VMREAD works only where the VMCS is
 *    current), copied out, then printed here. A running vCPU leaves guest
 *    mode for the copy and goes on; a halted one goes back to its halt.
 *  - devices: each device model's dump, under that device's own lock.
 *  - timers: each vCPU's timer list, copied under the vCPU's timer lock.
 *  - pause/resume: one pause count per vCPU (core/vcpu_ctl.h), held by
 *    the monitor between the two; vm->monitor_paused says it holds it.
 */
#include "core/launch/monitor.h"
#include "core/launch/monitor_screen.h"
#include "core/launch/monitor_vm.h"
#include "core/launch/vm_launch.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/pc/vpc.h"
#include "core/vm.h"
#include "core/vm_platform.h"

#define MONITOR_VM_ARGS_MAX 128
#define MONITOR_VM_LINE     160
#define MONITOR_PAUSE_NS    1000000000ull	/* every vCPU parked within 1 s */
#define MONITOR_TIMERS_MAX  16		/* timers shown per vCPU */

void monitor_mem_register(void);	/* core/launch/monitor_mem.c */

bool vm_paused_by_monitor(const struct vm *vm)
{
	return vm && READ_ONCE(vm->monitor_paused);
}

struct vm *monitor_vm_find(const char *cmd, const char *name)
{
	struct vm *vm = vms_find(name);

	if (!vm) {
		monitor_error("%s: no running VM named '%s'", cmd, name);
		return NULL;
	}
	if (vm_is_stopped(vm)) {
		monitor_error("%s: vm %s is not running (stopping)", cmd, name);
		return NULL;
	}
	return vm;
}

struct vcpu *monitor_vm_vcpu(const char *cmd, struct vm *vm, const char *word)
{
	unsigned int n = vm_nr_vcpus(vm);
	uint64_t id;

	if (!n) {
		monitor_error("%s: vm %s has no vCPUs yet", cmd, vm->name);
		return NULL;
	}
	if (monitor_parse_u64(word, 0, n - 1, &id)) {
		monitor_error("%s: vCPU '%s' out of range (vm %s has vCPUs 0-%u)", cmd, word,
			      vm->name, n - 1);
		return NULL;
	}
	return vm->vcpus[id];
}

/*
 * "NAME [VCPU]" (VCPU 0 if absent) into *vm and *vcpu, or "NAME" alone
 * if vcpu is NULL; false after an error line.
 */
static bool monitor_vm_args(const char *cmd, const char *syntax, const char *args,
			    struct vm **vm, struct vcpu **vcpu)
{
	char buf[MONITOR_VM_ARGS_MAX];
	const char *argv[2];
	int n = monitor_split(args, buf, sizeof(buf), argv, 2);

	if (n < 1) {
		monitor_error("%s: syntax: %s", cmd, syntax);
		return false;
	}
	if (!vcpu && n == 2) {
		monitor_error("%s: syntax: %s", cmd, syntax);
		return false;
	}
	*vm = monitor_vm_find(cmd, argv[0]);
	if (!*vm)
		return false;
	if (!vcpu)
		return true;
	*vcpu = monitor_vm_vcpu(cmd, *vm, n == 2 ? argv[1] : "0");
	return *vcpu != NULL;
}

/* --- pause, resume -------------------------------------------------------- */

static void monitor_pause(const char *args)
{
	struct vm *vm;
	int err;

	if (!monitor_vm_args("pause", "pause NAME", args, &vm, NULL))
		return;
	if (vm->monitor_paused) {
		monitor_error("pause: vm %s is already paused", vm->name);
		return;
	}
	err = vm_pause(vm, MONITOR_PAUSE_NS);
	if (err) {
		vm_unpause(vm);
		monitor_error("pause: vm %s: its vCPUs did not stop: %s", vm->name,
			      errno_name(err));
		return;
	}
	vm->monitor_paused = true;
	monitor_printf("vm %s: paused (%u vCPUs outside guest mode)", vm->name, vm_nr_vcpus(vm));
}

static void monitor_resume(const char *args)
{
	struct vm *vm;

	if (!monitor_vm_args("resume", "resume NAME", args, &vm, NULL))
		return;
	if (!vm->monitor_paused) {
		monitor_error("resume: vm %s is not paused", vm->name);
		return;
	}
	vm->monitor_paused = false;
	vm_unpause(vm);
	monitor_printf("vm %s: resumed", vm->name);
}

/* --- regs ----------------------------------------------------------------- */

/* What the vCPU's thread copies for `regs`. */
struct monitor_regs_snap {
	struct guest_state st;
	struct vm_event queued;
	bool has_queued;
	bool irq_pending;	/* the platform has an interrupt waiting */
	bool wake_pending;	/* an NMI or INIT waits */
	bool halted;
};

static void monitor_regs_take(struct vcpu *vcpu, void *ctx)
{
	struct monitor_regs_snap *s = ctx;

	backend_get_state(vcpu->bv, &s->st);
	s->has_queued = backend_queued_event(vcpu->bv, &s->queued);
	s->irq_pending = vcpu->vm->platform && vm_platform_irq_pending(vcpu);
	s->wake_pending = vcpu->vm->platform && vm_platform_wake_pending(vcpu);
	s->halted = vcpu->halted;
}

struct monitor_bit {
	uint64_t bit;
	const char *name;
};

/* The names of the bits set in v, blank-separated, into buf. */
static const char *monitor_bits(uint64_t v, const struct monitor_bit *bits, size_t n,
				char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		if (v & bits[i].bit)
			len += (size_t)hv_snprintf(buf + len, size - len, "%s%s",
						   len ? " " : "", bits[i].name);
	if (!len)
		hv_snprintf(buf, size, "-");
	return buf;
}

static const struct monitor_bit rflags_bits[] = {
	{ BIT(0), "CF" }, { BIT(2), "PF" }, { BIT(4), "AF" }, { BIT(6), "ZF" },
	{ BIT(7), "SF" }, { BIT(8), "TF" }, { BIT(9), "IF" }, { BIT(10), "DF" },
	{ BIT(11), "OF" }, { BIT(14), "NT" }, { BIT(16), "RF" }, { BIT(17), "VM" },
	{ BIT(18), "AC" }, { BIT(19), "VIF" }, { BIT(20), "VIP" }, { BIT(21), "ID" },
};

static const struct monitor_bit cr0_bits[] = {
	{ BIT(0), "PE" }, { BIT(1), "MP" }, { BIT(2), "EM" }, { BIT(3), "TS" },
	{ BIT(4), "ET" }, { BIT(5), "NE" }, { BIT(16), "WP" }, { BIT(18), "AM" },
	{ BIT(29), "NW" }, { BIT(30), "CD" }, { BIT(31), "PG" },
};

static const struct monitor_bit cr4_bits[] = {
	{ BIT(0), "VME" }, { BIT(1), "PVI" }, { BIT(2), "TSD" }, { BIT(3), "DE" },
	{ BIT(4), "PSE" }, { BIT(5), "PAE" }, { BIT(6), "MCE" }, { BIT(7), "PGE" },
	{ BIT(8), "PCE" }, { BIT(9), "OSFXSR" }, { BIT(10), "OSXMMEXCPT" },
	{ BIT(11), "UMIP" }, { BIT(12), "LA57" }, { BIT(13), "VMXE" }, { BIT(14), "SMXE" },
	{ BIT(16), "FSGSBASE" }, { BIT(17), "PCIDE" }, { BIT(18), "OSXSAVE" },
	{ BIT(20), "SMEP" }, { BIT(21), "SMAP" }, { BIT(22), "PKE" }, { BIT(23), "CET" },
};

static const struct monitor_bit efer_bits[] = {
	{ EFER_SCE, "SCE" }, { EFER_LME, "LME" }, { EFER_LMA, "LMA" }, { EFER_NXE, "NXE" },
	{ EFER_SVME, "SVME" }, { BIT(13), "LMSLE" }, { BIT(14), "FFXSR" }, { BIT(15), "TCE" },
};

/* The CPU mode as the architecture names it. */
static const char *monitor_cpu_mode(const struct guest_state *st)
{
	const uint32_t cs = st->seg[SEG_CS].attr;

	if (!(st->cr0 & X86_CR0_PE))
		return "real";
	if (st->regs.rflags & X86_RFLAGS_VM)
		return "virtual-8086";
	if (st->efer & EFER_LMA)
		return (cs & SEG_ATTR_L) ? "long 64-bit" :
		       (cs & SEG_ATTR_DB) ? "compatibility 32-bit" : "compatibility 16-bit";
	return (cs & SEG_ATTR_DB) ? "protected 32-bit" : "protected 16-bit";
}

/* A segment's type in words: "code XRA", "data RWA", "TSS busy", ... */
static const char *monitor_seg_type(uint32_t attr, char *buf, size_t size)
{
	static const char *const sys[16] = {
		"reserved", "TSS16 avail", "LDT", "TSS16 busy", "call gate16", "task gate",
		"int gate16", "trap gate16", "reserved", "TSS avail", "reserved", "TSS busy",
		"call gate", "reserved", "int gate", "trap gate",
	};
	unsigned int t = attr & SEG_ATTR_TYPE_MASK;

	if (!(attr & SEG_ATTR_S))
		hv_snprintf(buf, size, "%s", sys[t]);
	else if (t & SEG_TYPE_CODE)
		hv_snprintf(buf, size, "code X%s%s%s", t & SEG_TYPE_RW ? "R" : "",
			    t & SEG_TYPE_EC ? "C" : "", t & SEG_TYPE_A ? "A" : "");
	else
		hv_snprintf(buf, size, "data R%s%s%s", t & SEG_TYPE_RW ? "W" : "",
			    t & SEG_TYPE_EC ? "E" : "", t & SEG_TYPE_A ? "A" : "");
	return buf;
}

static void monitor_print_seg(const char *name, const struct guest_segment *s)
{
	char type[24];
	uint32_t a = s->attr;

	monitor_printf("  %-4s %04x base %016llx limit %08x attr %04x: %s%s S=%u DPL=%u P=%u "
		       "L=%u D/B=%u G=%u", name, s->selector, (unsigned long long)s->base,
		       s->limit, a & 0xffffu, a & SEG_ATTR_UNUSABLE ? "unusable, " : "",
		       monitor_seg_type(a, type, sizeof(type)), !!(a & SEG_ATTR_S),
		       (a & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT, !!(a & SEG_ATTR_P),
		       !!(a & SEG_ATTR_L), !!(a & SEG_ATTR_DB), !!(a & SEG_ATTR_G));
}

static const char *monitor_event_str(const struct vm_event *ev, char *buf, size_t size)
{
	static const char *const types[] = {
		"interrupt", "NMI", "exception", "INT n", "soft exception", "INT1",
	};

	hv_snprintf(buf, size, "%s vector %u%s", ev->type < ARRAY_SIZE(types) ?
		    types[ev->type] : "?", ev->vector, ev->has_error ? " with error code" : "");
	if (ev->has_error)
		hv_snprintf(buf + strlen(buf), size - strlen(buf), " %#x", ev->error_code);
	return buf;
}

/* Prints the snapshot of vCPU id of vm. */
static void monitor_regs_print(const struct vm *vm, unsigned int id,
			       const struct monitor_regs_snap *s, uint64_t took_ns)
{
	static const char *const gpr[GPR_COUNT] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	static const char *const segs[SEG_COUNT] = {
		"es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr",
	};
	const struct guest_state *st = &s->st;
	char bits[MONITOR_VM_LINE], ev[64];

	monitor_printf("vm %s vCPU %u: %s mode, CPL %u%s (snapshot on its thread, %llu us)",
		       vm->name, id, monitor_cpu_mode(st),
		       (st->seg[SEG_SS].attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT,
		       s->halted ? ", halted" : "", (unsigned long long)(took_ns / 1000));
	for (unsigned int i = 0; i < GPR_COUNT; i += 4)
		monitor_printf("  %-3s %016llx  %-3s %016llx  %-3s %016llx  %-3s %016llx",
			       gpr[i], (unsigned long long)st->regs.gpr[i], gpr[i + 1],
			       (unsigned long long)st->regs.gpr[i + 1], gpr[i + 2],
			       (unsigned long long)st->regs.gpr[i + 2], gpr[i + 3],
			       (unsigned long long)st->regs.gpr[i + 3]);
	monitor_printf("  rip %016llx", (unsigned long long)st->regs.rip);
	monitor_printf("  rflags %016llx: %s IOPL=%llu", (unsigned long long)st->regs.rflags,
		       monitor_bits(st->regs.rflags, rflags_bits, ARRAY_SIZE(rflags_bits), bits,
				    sizeof(bits)),
		       (unsigned long long)((st->regs.rflags >> 12) & 3));
	monitor_printf("  cr0 %016llx: %s", (unsigned long long)st->cr0,
		       monitor_bits(st->cr0, cr0_bits, ARRAY_SIZE(cr0_bits), bits, sizeof(bits)));
	monitor_printf("  cr2 %016llx  cr3 %016llx  cr8 %llx", (unsigned long long)st->cr2,
		       (unsigned long long)st->cr3, (unsigned long long)st->cr8);
	monitor_printf("  cr4 %016llx: %s", (unsigned long long)st->cr4,
		       monitor_bits(st->cr4, cr4_bits, ARRAY_SIZE(cr4_bits), bits, sizeof(bits)));
	monitor_printf("  efer %016llx: %s", (unsigned long long)st->efer,
		       monitor_bits(st->efer, efer_bits, ARRAY_SIZE(efer_bits), bits,
				    sizeof(bits)));
	for (unsigned int i = 0; i < SEG_COUNT; i++)
		monitor_print_seg(segs[i], &st->seg[i]);
	monitor_printf("  gdtr base %016llx limit %04x  idtr base %016llx limit %04x",
		       (unsigned long long)st->gdtr.base, st->gdtr.limit,
		       (unsigned long long)st->idtr.base, st->idtr.limit);
	monitor_printf("  events: injected %s; pending %s%s; interrupt shadow %s; NMI %s",
		       s->has_queued ? monitor_event_str(&s->queued, ev, sizeof(ev)) : "none",
		       s->irq_pending ? "interrupt" : "none",
		       s->wake_pending ? ", NMI or INIT" : "",
		       st->interrupt_shadow ? "yes" : "no",
		       st->nmi_masked ? "masked" : "unmasked");
}

/* Runs fn on vcpu's thread; false after an error line. */
static bool monitor_vm_call(const char *cmd, struct vcpu *vcpu, vcpu_call_fn fn, void *ctx)
{
	int err = vcpu_call(vcpu, fn, ctx, MONITOR_CALL_NS);

	if (err == -ESRCH)
		monitor_error("%s: vm %s vCPU %u is not running its loop", cmd, vcpu->vm->name,
			      vcpu->id);
	else if (err)
		monitor_error("%s: vm %s vCPU %u did not answer: %s", cmd, vcpu->vm->name,
			      vcpu->id, errno_name(err));
	return err == 0;
}

static void monitor_regs(const char *args)
{
	struct monitor_regs_snap snap;
	struct vcpu *vcpu;
	struct vm *vm;
	uint64_t t0;

	if (!monitor_vm_args("regs", "regs NAME [VCPU]", args, &vm, &vcpu))
		return;
	memset(&snap, 0, sizeof(snap));
	t0 = time_now_ns();
	if (!monitor_vm_call("regs", vcpu, monitor_regs_take, &snap))
		return;
	monitor_regs_print(vm, vcpu->id, &snap, time_now_ns() - t0);
}

/* --- vmcs / vmcb ------------------------------------------------------------ */

/*
 * The control block's lines are formatted on the vCPU's thread into this
 * buffer (no console output there: the console lock could hold the vCPU
 * up), then printed by the monitor.
 */
#define MONITOR_VMCS_BUF 16384

struct monitor_vmcs_out {
	char *buf;
	size_t len;
	bool cut;
	int err;
};

static void monitor_vmcs_line(void *ctx, const char *fmt, ...)
{
	struct monitor_vmcs_out *o = ctx;
	va_list ap;
	int n;

	if (o->len + 2 >= MONITOR_VMCS_BUF) {
		o->cut = true;
		return;
	}
	va_start(ap, fmt);
	n = hv_vsnprintf(o->buf + o->len, MONITOR_VMCS_BUF - o->len - 1, fmt, ap);
	va_end(ap);
	o->len = MIN(o->len + (size_t)n, (size_t)MONITOR_VMCS_BUF - 2);
	o->buf[o->len++] = '\n';
	o->buf[o->len] = '\0';
}

static void monitor_vmcs_take(struct vcpu *vcpu, void *ctx)
{
	struct monitor_vmcs_out *o = ctx;

	o->err = backend_dump_control(vcpu->bv, monitor_vmcs_line, o);
	if (o->err)
		backend_dump(vcpu->bv, monitor_vmcs_line, o);
}

static void monitor_vmcs(const char *args)
{
	static char buf[MONITOR_VMCS_BUF];
	struct monitor_vmcs_out out = { .buf = buf };
	struct vcpu *vcpu;
	struct vm *vm;
	char *line;

	if (!monitor_vm_args("vmcs", "vmcs NAME [VCPU]", args, &vm, &vcpu))
		return;
	buf[0] = '\0';
	if (!monitor_vm_call("vmcs", vcpu, monitor_vmcs_take, &out))
		return;
	for (line = buf; *line;) {
		char *end = strchr(line, '\n');

		if (end)
			*end = '\0';
		monitor_printf("%s", line);
		if (!end)
			break;
		line = end + 1;
	}
	if (out.cut)
		monitor_printf("(cut at %u bytes)", MONITOR_VMCS_BUF);
}

/* --- timers ---------------------------------------------------------------- */

struct monitor_timer_row {
	const char *device;
	uint64_t period_ns, deadline_ns, left_ns, pending;
	bool frozen;
};

static void monitor_timers_vcpu(struct vcpu *vcpu, uint64_t now)
{
	struct monitor_timer_row rows[MONITOR_TIMERS_MAX];
	struct vtimer_vcpu *v = &vcpu->timers;
	unsigned int n = 0, total = 0;
	struct vtimer *t;
	bool frozen;

	/* Copied under the lock, printed after it: the console is slow. */
	vtimer_vcpu_lock(v);
	frozen = v->frozen;
	list_for_each_entry(t, &v->timers, node) {
		if (n < MONITOR_TIMERS_MAX)
			rows[n++] = (struct monitor_timer_row){
				.device = t->sink && t->sink->name ? t->sink->name : "?",
				.period_ns = t->period_ns, .deadline_ns = t->deadline_ns,
				.left_ns = t->left_ns, .pending = t->pending, .frozen = t->frozen,
			};
		total++;
	}
	vtimer_vcpu_unlock(v);

	monitor_printf("vCPU %u: %u active timer(s)%s", vcpu->id, total,
		       frozen ? ", saved (timers frozen)" : "");
	for (unsigned int i = 0; i < n; i++) {
		const struct monitor_timer_row *r = &rows[i];
		char next[32];

		if (r->frozen)
			hv_snprintf(next, sizeof(next), "%llu us left",
				    (unsigned long long)(r->left_ns / 1000));
		else if (r->deadline_ns == VTIMER_NEVER)
			hv_snprintf(next, sizeof(next), "none");
		else if (r->deadline_ns <= now)
			hv_snprintf(next, sizeof(next), "due %llu us ago",
				    (unsigned long long)((now - r->deadline_ns) / 1000));
		else
			hv_snprintf(next, sizeof(next), "in %llu us",
				    (unsigned long long)((r->deadline_ns - now) / 1000));
		monitor_printf("  owner vCPU %u, %-6s period %llu us, next %s, pending %llu%s",
			       vcpu->id, r->device, (unsigned long long)(r->period_ns / 1000),
			       next, (unsigned long long)r->pending, r->frozen ? ", frozen" : "");
	}
	if (total > n)
		monitor_printf("  (%u more)", total - n);
}

static void monitor_timers(const char *args)
{
	struct vm *vm;
	uint64_t now;

	if (!monitor_vm_args("timers", "timers NAME", args, &vm, NULL))
		return;
	now = time_now_ns();
	monitor_printf("vm %s: timers (relative to now)", vm->name);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		monitor_timers_vcpu(vm->vcpus[i], now);
}

/* --- devices ---------------------------------------------------------------- */

static void monitor_print_line(void *ctx, const char *fmt, ...)
{
	char line[MONITOR_VM_LINE];
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	hv_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	monitor_printf("%s", line);
}

static void monitor_devices(const char *args)
{
	struct vm *vm;

	if (!monitor_vm_args("devices", "devices NAME", args, &vm, NULL))
		return;
	if (vpc_dump_devices(vm, monitor_print_line, NULL))
		monitor_error("devices: vm %s has no virtual PC (a test payload)", vm->name);
}

/* --- Registration ------------------------------------------------------------ */

static const struct monitor_cmd monitor_vm_cmds[] = {
	{ .name = "pause", .syntax = "pause NAME", .help = "stop a VM's vCPUs",
	  .run = monitor_pause },
	{ .name = "resume", .syntax = "resume NAME", .help = "run a paused VM again",
	  .run = monitor_resume },
	{ .name = "regs", .syntax = "regs NAME [VCPU]", .help = "a vCPU's registers",
	  .run = monitor_regs },
	{ .name = "vmcs", .alias = "vmcb", .syntax = "vmcs NAME [VCPU]",
	  .help = "a vCPU's VMCS / VMCB by field", .run = monitor_vmcs },
	{ .name = "devices", .syntax = "devices NAME", .help = "the virtual PC's devices",
	  .run = monitor_devices },
	{ .name = "timers", .syntax = "timers NAME", .help = "each vCPU's timers",
	  .run = monitor_timers },
};

void monitor_vm_register(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(monitor_vm_cmds); i++) {
		int err = monitor_register(&monitor_vm_cmds[i]);

		if (err)
			pr_err("hv: monitor command %s: %s", monitor_vm_cmds[i].name,
			       errno_name(err));
	}
	monitor_mem_register();
	monitor_screen_register();
}
