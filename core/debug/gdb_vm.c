/*
 * A VM as the GDB stub's target (core/debug/gdb_vm.h).
 */
#include "core/debug/gdb_vm.h"
#include "core/guest_mem.h"
#include "core/lib/errno.h"
#include "core/lib/string.h"

/* The one gdb_vm whose hook is installed; the hook has no context. */
static struct gdb_vm *gdb_vm_active;	/* atomic pointer */

static struct vcpu *gdb_vm_vcpu(struct gdb_vm *g, unsigned int t)
{
	if (!g->vm || t < 1 || t > vm_nr_vcpus(g->vm))
		return NULL;
	return g->vm->vcpus[t - 1];
}

/* --- Holding and releasing vCPUs ---------------------------------------- */

/* Takes the debugger's pause count on every vCPU that does not have it. */
static void gdb_vm_hold_all(struct gdb_vm *g)
{
	unsigned int n = vm_nr_vcpus(g->vm);

	spin_lock(&g->lock);
	for (unsigned int i = 0; i < n; i++)
		if (!g->held[i]) {
			g->held[i] = true;
			vcpu_pause(g->vm->vcpus[i]);
		}
	spin_unlock(&g->lock);
}

/* Releases the vCPUs whose action lets them run. */
static void gdb_vm_release(struct gdb_vm *g, const uint8_t *actions, unsigned int nr)
{
	unsigned int n = MIN(vm_nr_vcpus(g->vm), nr);

	spin_lock(&g->lock);
	for (unsigned int i = 0; i < n; i++)
		if (g->held[i] && (!actions || actions[i] != GDB_RESUME_STAY)) {
			g->held[i] = false;
			vcpu_unpause(g->vm->vcpus[i]);
		}
	spin_unlock(&g->lock);
}

/* --- The debug hook: a vCPU's thread ------------------------------------ */

static void gdb_vm_mem_fn(struct vcpu *vcpu, void *ctx);
static bool gdb_vm_int3_gone(struct vcpu *vcpu, uint64_t rip);

/*
 * A stop the intercepts caused. The INT3s are the stub's to judge: an
 * address where it planted none is the guest's own breakpoint. Linear
 * address = RIP here: GDB's addresses are the guest's virtual ones, and
 * the code segment's base is 0 wherever a kernel sets breakpoints (long
 * mode, flat protected mode).
 */
static bool gdb_vm_hook(struct vcpu *vcpu, const struct vcpu_debug_stop *why)
{
	struct gdb_vm *g = __atomic_load_n(&gdb_vm_active, __ATOMIC_ACQUIRE);
	struct gdb_stop stop = { .thread = vcpu->id + 1 };

	if (!g || g->vm != vcpu->vm)
		return why->kind != VCPU_DEBUG_STOP_SW_BP;
	switch (why->kind) {
	case VCPU_DEBUG_STOP_SW_BP:
		if (!gdb_stub_owns_breakpoint(g->stub, why->rip)) {
			/*
			 * Not the stub's now, and no INT3 there any more: GDB
			 * removed its breakpoint while this vCPU was hitting it
			 * (a z0 or D racing the #BP). The guest never wrote
			 * that INT3; it runs the instruction that is back at
			 * RIP, as if the breakpoint had never been there.
			 * "Ours" with no report and no hold does exactly that.
			 */
			return gdb_vm_int3_gone(vcpu, why->rip);
		}
		stop.reason = GDB_STOP_SWBREAK;
		break;
	case VCPU_DEBUG_STOP_HW_BP:
		stop.reason = GDB_STOP_HWBREAK;
		break;
	case VCPU_DEBUG_STOP_WATCH:
		stop.reason = GDB_STOP_WATCH;
		stop.addr = why->addr;
		stop.watch = g->cfg.hw[why->hw].kind == VCPU_DEBUG_HW_WRITE ? GDB_WATCH_WRITE :
			     GDB_WATCH_ACCESS;
		break;
	default:
		stop.reason = GDB_STOP_STEP;
		break;
	}
	/* All-stop: every vCPU parks; this one as soon as the hook returns. */
	gdb_vm_hold_all(g);
	__atomic_add_fetch(&g->stops, 1, __ATOMIC_RELAXED);
	gdb_stub_report_stop(g->stub, &stop);
	return true;
}

/* --- Calls on a vCPU's thread ------------------------------------------- */

struct gdb_vm_regs_call {
	struct gdb_regs *regs;
	const struct gdb_regs *in;
	int err;
};

static void gdb_regs_from_state(struct gdb_regs *r, const struct guest_state *st)
{
	const uint64_t *gpr = st->regs.gpr;

	r->rax = gpr[GPR_RAX];
	r->rbx = gpr[GPR_RBX];
	r->rcx = gpr[GPR_RCX];
	r->rdx = gpr[GPR_RDX];
	r->rsi = gpr[GPR_RSI];
	r->rdi = gpr[GPR_RDI];
	r->rbp = gpr[GPR_RBP];
	r->rsp = gpr[GPR_RSP];
	r->r8 = gpr[GPR_R8];
	r->r9 = gpr[GPR_R9];
	r->r10 = gpr[GPR_R10];
	r->r11 = gpr[GPR_R11];
	r->r12 = gpr[GPR_R12];
	r->r13 = gpr[GPR_R13];
	r->r14 = gpr[GPR_R14];
	r->r15 = gpr[GPR_R15];
	r->rip = st->regs.rip;
	r->rflags = st->regs.rflags;
	r->cs = st->seg[SEG_CS].selector;
	r->ss = st->seg[SEG_SS].selector;
	r->ds = st->seg[SEG_DS].selector;
	r->es = st->seg[SEG_ES].selector;
	r->fs = st->seg[SEG_FS].selector;
	r->gs = st->seg[SEG_GS].selector;
	r->fs_base = st->seg[SEG_FS].base;
	r->gs_base = st->seg[SEG_GS].base;
	r->cr0 = st->cr0;
	r->cr2 = st->cr2;
	r->cr3 = st->cr3;
	r->cr4 = st->cr4;
	r->cr8 = st->cr8;
	r->efer = st->efer;
}

/*
 * The registers GDB may change. A selector written by GDB changes only
 * the selector: the hidden base, limit and attributes stay what the guest
 * loaded (as a debugger's write to a real CPU's selector register would
 * not reload them either); fs_base and gs_base are written directly.
 */
static void gdb_regs_to_state(struct guest_state *st, const struct gdb_regs *r)
{
	uint64_t *gpr = st->regs.gpr;

	gpr[GPR_RAX] = r->rax;
	gpr[GPR_RBX] = r->rbx;
	gpr[GPR_RCX] = r->rcx;
	gpr[GPR_RDX] = r->rdx;
	gpr[GPR_RSI] = r->rsi;
	gpr[GPR_RDI] = r->rdi;
	gpr[GPR_RBP] = r->rbp;
	gpr[GPR_RSP] = r->rsp;
	gpr[GPR_R8] = r->r8;
	gpr[GPR_R9] = r->r9;
	gpr[GPR_R10] = r->r10;
	gpr[GPR_R11] = r->r11;
	gpr[GPR_R12] = r->r12;
	gpr[GPR_R13] = r->r13;
	gpr[GPR_R14] = r->r14;
	gpr[GPR_R15] = r->r15;
	st->regs.rip = r->rip;
	st->regs.rflags = r->rflags;
	st->seg[SEG_CS].selector = (uint16_t)r->cs;
	st->seg[SEG_SS].selector = (uint16_t)r->ss;
	st->seg[SEG_DS].selector = (uint16_t)r->ds;
	st->seg[SEG_ES].selector = (uint16_t)r->es;
	st->seg[SEG_FS].selector = (uint16_t)r->fs;
	st->seg[SEG_GS].selector = (uint16_t)r->gs;
	st->seg[SEG_FS].base = r->fs_base;
	st->seg[SEG_GS].base = r->gs_base;
	st->cr0 = r->cr0;
	st->cr2 = r->cr2;
	st->cr3 = r->cr3;
	st->cr4 = r->cr4;
	st->cr8 = r->cr8;
	st->efer = r->efer;
}

static void gdb_vm_regs_read_fn(struct vcpu *vcpu, void *ctx)
{
	struct gdb_vm_regs_call *c = ctx;
	struct guest_state st;

	backend_get_state(vcpu->bv, &st);
	gdb_regs_from_state(c->regs, &st);
	c->err = 0;
}

static void gdb_vm_regs_write_fn(struct vcpu *vcpu, void *ctx)
{
	struct gdb_vm_regs_call *c = ctx;
	struct guest_state st;

	backend_get_state(vcpu->bv, &st);
	gdb_regs_to_state(&st, c->in);
	c->err = backend_set_state(vcpu->bv, &st);
}

struct gdb_vm_mem_call {
	uint64_t gva;
	uint8_t *buf;
	size_t len, done;
	bool write;
};

/*
 * Guest-virtual memory as the vCPU translates it now, page by page,
 * through its page tables and the memslots: never MMIO (an address no
 * memslot backs ends the access), never a fault of the hypervisor.
 */
static void gdb_vm_mem_fn(struct vcpu *vcpu, void *ctx)
{
	struct gdb_vm_mem_call *c = ctx;
	struct guest_state st;
	struct vm_exit at = { 0 };

	backend_get_state(vcpu->bv, &st);
	at.guest.cr0 = st.cr0;
	at.guest.cr3 = st.cr3;
	at.guest.cr4 = st.cr4;
	at.guest.efer = st.efer;
	at.guest.mode = (uint8_t)guest_cpu_mode(st.cr0, st.efer, st.regs.rflags,
						 st.seg[SEG_CS].attr);
	c->done = 0;
	while (c->done < c->len) {
		uint64_t gva = c->gva + c->done, gpa;
		size_t chunk = MIN(c->len - c->done, PAGE_SIZE - (gva & (PAGE_SIZE - 1)));
		int err;

		if (guest_linear_to_gpa(vcpu, &at, gva, &gpa))
			break;
		err = c->write ? guest_write_gpa(vcpu, gpa, c->buf + c->done, chunk) :
				 guest_read_gpa(vcpu, gpa, c->buf + c->done, chunk);
		if (err)
			break;
		c->done += chunk;
	}
}

/* The byte at RIP is readable and no INT3 any more (the vCPU's thread). */
static bool gdb_vm_int3_gone(struct vcpu *vcpu, uint64_t rip)
{
	uint8_t byte = 0xcc;
	struct gdb_vm_mem_call c = { .gva = rip, .buf = &byte, .len = 1 };

	gdb_vm_mem_fn(vcpu, &c);
	return c.done == 1 && byte != 0xcc;
}

struct gdb_vm_debug_call {
	struct vcpu_debug_cfg cfg;
	int err;
};

static void gdb_vm_debug_fn(struct vcpu *vcpu, void *ctx)
{
	struct gdb_vm_debug_call *c = ctx;

	c->err = vcpu_debug_set(vcpu, &c->cfg);
}

/* Arms cfg, with step as given, on vCPU t (1-based). */
static int gdb_vm_arm(struct gdb_vm *g, unsigned int t, bool step)
{
	struct gdb_vm_debug_call c = { .cfg = g->cfg };
	struct vcpu *vcpu = gdb_vm_vcpu(g, t);
	int err;

	if (!vcpu)
		return -ESRCH;
	c.cfg.step = step;
	err = vcpu_call(vcpu, gdb_vm_debug_fn, &c, GDB_VM_CALL_NS);
	return err ? err : c.err;
}

/* --- The target operations ---------------------------------------------- */

static unsigned int gdb_vm_nr_threads(void *ctx)
{
	struct gdb_vm *g = ctx;

	return g->vm ? vm_nr_vcpus(g->vm) : 0;
}

static bool gdb_vm_thread_alive(void *ctx, unsigned int t)
{
	struct vcpu *vcpu = gdb_vm_vcpu(ctx, t);

	return vcpu && __atomic_load_n(&vcpu->ctl.loop, __ATOMIC_ACQUIRE);
}

static int gdb_vm_regs_read(void *ctx, unsigned int t, struct gdb_regs *regs)
{
	struct vcpu *vcpu = gdb_vm_vcpu(ctx, t);
	struct gdb_vm_regs_call c = { .regs = regs, .err = -EIO };
	int err;

	if (!vcpu)
		return -ESRCH;
	err = vcpu_call(vcpu, gdb_vm_regs_read_fn, &c, GDB_VM_CALL_NS);
	return err ? err : c.err;
}

static int gdb_vm_regs_write(void *ctx, unsigned int t, const struct gdb_regs *regs)
{
	struct vcpu *vcpu = gdb_vm_vcpu(ctx, t);
	struct gdb_vm_regs_call c = { .in = regs, .err = -EIO };
	int err;

	if (!vcpu)
		return -ESRCH;
	err = vcpu_call(vcpu, gdb_vm_regs_write_fn, &c, GDB_VM_CALL_NS);
	return err ? err : c.err;
}

static size_t gdb_vm_mem(struct gdb_vm *g, unsigned int t, uint64_t gva, void *buf,
			 size_t len, bool write)
{
	struct vcpu *vcpu = gdb_vm_vcpu(g, t);
	struct gdb_vm_mem_call c = { .gva = gva, .buf = buf, .len = len, .write = write };

	if (!vcpu || vcpu_call(vcpu, gdb_vm_mem_fn, &c, GDB_VM_CALL_NS))
		return 0;
	return c.done;
}

static size_t gdb_vm_mem_read(void *ctx, unsigned int t, uint64_t gva, void *buf, size_t len)
{
	return gdb_vm_mem(ctx, t, gva, buf, len, false);
}

static size_t gdb_vm_mem_write(void *ctx, unsigned int t, uint64_t gva, const void *buf,
			       size_t len)
{
	return gdb_vm_mem(ctx, t, gva, (void *)buf, len, true);
}

/* Arms the hardware breakpoints of g->cfg on every vCPU, no step. */
static int gdb_vm_arm_all(struct gdb_vm *g)
{
	int err = 0;

	/* A vCPU whose loop has ended (ESRCH) runs nothing to arm. */
	for (unsigned int t = 1; t <= vm_nr_vcpus(g->vm); t++) {
		int e = gdb_vm_arm(g, t, false);

		if (e && e != -ESRCH && !err)
			err = e;
	}
	return err;
}

static int gdb_vm_bp_kind(enum gdb_bp_type type)
{
	switch (type) {
	case GDB_BP_HW:
		return VCPU_DEBUG_HW_EXEC;
	case GDB_WATCH_WRITE:
		return VCPU_DEBUG_HW_WRITE;
	case GDB_WATCH_ACCESS:
		return VCPU_DEBUG_HW_ACCESS;
	default:
		return -ENOTSUP;	/* x86 has no read-only watchpoint */
	}
}

static int gdb_vm_bp_insert(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	struct gdb_vm *g = ctx;
	int kind = gdb_vm_bp_kind(type), err;
	struct vcpu_debug_cfg old = g->cfg;

	if (kind < 0 || !g->vm)
		return kind < 0 ? kind : -ESRCH;
	if (kind == VCPU_DEBUG_HW_EXEC)
		len = 1;
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		if (g->cfg.hw[i].on)
			continue;
		g->cfg.hw[i].on = true;
		g->cfg.hw[i].addr = addr;
		g->cfg.hw[i].kind = (uint8_t)kind;
		g->cfg.hw[i].len = (uint8_t)len;
		err = gdb_vm_arm_all(g);
		if (err) {
			g->cfg = old;
			gdb_vm_arm_all(g);
		}
		return err;
	}
	return -ENOSPC;
}

static int gdb_vm_bp_remove(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	struct gdb_vm *g = ctx;
	int kind = gdb_vm_bp_kind(type);

	if (kind < 0 || !g->vm)
		return kind < 0 ? kind : -ESRCH;
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		if (!g->cfg.hw[i].on || g->cfg.hw[i].addr != addr || g->cfg.hw[i].kind != kind ||
		    (kind != VCPU_DEBUG_HW_EXEC && g->cfg.hw[i].len != len))
			continue;
		g->cfg.hw[i].on = false;
		return gdb_vm_arm_all(g);
	}
	return -ENOENT;
}

static int gdb_vm_resume(void *ctx, const uint8_t *actions, unsigned int nr)
{
	struct gdb_vm *g = ctx;
	unsigned int n;

	if (!g->vm)
		return -ESRCH;
	n = MIN(vm_nr_vcpus(g->vm), nr);
	/* Every vCPU is armed before any runs: a step is one instruction. */
	for (unsigned int i = 0; i < n; i++) {
		int err = gdb_vm_arm(g, i + 1, actions[i] == GDB_RESUME_STEP);

		if (err && err != -ESRCH)
			return err;
	}
	gdb_vm_release(g, actions, nr);
	return 0;
}

static int gdb_vm_stop(void *ctx)
{
	struct gdb_vm *g = ctx;
	struct gdb_stop stop = { .thread = 1, .reason = GDB_STOP_REQUEST };

	if (!g->vm)
		return -ESRCH;
	gdb_vm_hold_all(g);
	for (unsigned int i = 0; i < vm_nr_vcpus(g->vm); i++)
		if (vcpu_wait_parked(g->vm->vcpus[i], GDB_VM_CALL_NS))
			return -ETIMEDOUT;
	gdb_stub_report_stop(g->stub, &stop);
	return 0;
}

static void gdb_vm_detach_op(void *ctx)
{
	struct gdb_vm *g = ctx;

	if (!g->vm)
		return;
	memset(&g->cfg, 0, sizeof(g->cfg));
	gdb_vm_arm_all(g);
	gdb_vm_release(g, NULL, VM_MAX_VCPUS);
}

static void gdb_vm_kill(void *ctx)
{
	struct gdb_vm *g = ctx;

	if (!g->vm)
		return;
	vm_stop(g->vm, "ended by the debugger");
	gdb_vm_release(g, NULL, VM_MAX_VCPUS);
}

const struct gdb_target_ops gdb_vm_ops = {
	.nr_threads = gdb_vm_nr_threads,
	.thread_alive = gdb_vm_thread_alive,
	.regs_read = gdb_vm_regs_read,
	.regs_write = gdb_vm_regs_write,
	.mem_read = gdb_vm_mem_read,
	.mem_write = gdb_vm_mem_write,
	.bp_insert = gdb_vm_bp_insert,
	.bp_remove = gdb_vm_bp_remove,
	.resume = gdb_vm_resume,
	.stop = gdb_vm_stop,
	.detach = gdb_vm_detach_op,
	.kill = gdb_vm_kill,
};

/* --- Attaching ---------------------------------------------------------- */

int gdb_vm_attach(struct gdb_vm *g, struct gdb_stub *stub, struct vm *vm)
{
	struct gdb_vm *none = NULL;

	memset(g, 0, sizeof(*g));
	spin_lock_init(&g->lock);
	g->vm = vm;
	g->stub = stub;
	g->cfg.sw_breakpoints = true;
	if (!__atomic_compare_exchange_n(&gdb_vm_active, &none, g, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		return -EBUSY;
	/*
	 * Nothing to arm yet: GDB sets no breakpoint before its first stop,
	 * and every resume arms each vCPU (software breakpoints, the
	 * hardware ones, a step) before it runs. So attaching asks nothing
	 * of the vCPUs, and a VM whose vCPUs do not answer (a guest spinning
	 * with interrupts off under Bochs, docs/debugging.md) can still be
	 * served.
	 */
	WRITE_ONCE(vm->debug_stop, gdb_vm_hook);
	return 0;
}

/*
 * The order matters: no new stop may start (hook and pointer gone),
 * then every vCPU is disarmed through a call on its thread, which
 * returns only once a hook that was running there has finished, and
 * only then are the vCPUs released; a hook that held them after the
 * release would leave the VM stopped with no debugger to resume it.
 */
void gdb_vm_detach(struct gdb_vm *g)
{
	if (!g->vm)
		return;
	__atomic_store_n(&gdb_vm_active, NULL, __ATOMIC_RELEASE);
	WRITE_ONCE(g->vm->debug_stop, NULL);
	gdb_vm_detach_op(g);
	g->vm = NULL;
}

void gdb_vm_forget(struct gdb_vm *g)
{
	struct gdb_stop stop = { .thread = 1, .reason = GDB_STOP_EXITED };

	if (!g->vm)
		return;
	__atomic_store_n(&gdb_vm_active, NULL, __ATOMIC_RELEASE);
	g->vm = NULL;
	gdb_stub_report_stop(g->stub, &stop);
}
