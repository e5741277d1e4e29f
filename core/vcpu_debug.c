/*
 * Debug intercepts for a guest debugger: the contract is in
 * core/vcpu_debug.h, the design in docs/debugging.md. vCPU context: the
 * vCPU's own thread, interrupts on, the vCPU loaded; no lock held or
 * taken (everything here belongs to that thread).
 */
#include "asm/cpu_regs.h"
#include "core/lib/log.h"
#include "core/vcpu_debug.h"
#include "core/vcpu_run.h"
#include "mm/heap.h"

struct vcpu_debug {
	struct vcpu_debug_cfg cfg;
	bool owns_dr;			/* the debugger's DRs are in the CPU */
	struct backend_dregs shadow;	/* the guest's own while owns_dr */
	bool mtf;			/* steps use the monitor trap flag */
	bool tf_armed;			/* TF is ours for this entry */
	uint64_t guest_tf;		/* the guest's own TF meanwhile */
	bool resume_rf;			/* RF on the next entry (after an exec breakpoint) */
	bool stopped;			/* this exit was reported, or armed the step */
};

static bool cfg_any_hw(const struct vcpu_debug_cfg *cfg)
{
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++)
		if (cfg->hw[i].on)
			return true;
	return false;
}

/* DR7's 2-bit length encoding; -1 for a length the CPU cannot watch. */
static int dr7_len(unsigned int len)
{
	switch (len) {
	case 1:
		return 0;
	case 2:
		return 1;
	case 4:
		return 3;
	case 8:
		return 2;
	default:
		return -1;
	}
}

static bool cfg_valid(const struct vcpu_debug_cfg *cfg)
{
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		unsigned int len = cfg->hw[i].kind == VCPU_DEBUG_HW_EXEC ? 1 : cfg->hw[i].len;

		if (!cfg->hw[i].on)
			continue;
		if (cfg->hw[i].kind > VCPU_DEBUG_HW_ACCESS || dr7_len(len) < 0 ||
		    (cfg->hw[i].addr & (len - 1)))
			return false;
	}
	return true;
}

/* The debugger's DR0-DR3 and DR7 for cfg; DR6 clean. */
static void cfg_dregs(const struct vcpu_debug_cfg *cfg, struct backend_dregs *d)
{
	static const uint64_t rw[] = {
		[VCPU_DEBUG_HW_EXEC] = X86_DR7_RW_EXEC,
		[VCPU_DEBUG_HW_WRITE] = X86_DR7_RW_WRITE,
		[VCPU_DEBUG_HW_ACCESS] = X86_DR7_RW_ACCESS,
	};

	*d = (struct backend_dregs){ .dr6 = X86_DR6_RESET, .dr7 = X86_DR7_RESET };
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		unsigned int len;

		if (!cfg->hw[i].on)
			continue;
		len = cfg->hw[i].kind == VCPU_DEBUG_HW_EXEC ? 1 : cfg->hw[i].len;
		d->dr[i] = cfg->hw[i].addr;
		d->dr7 |= X86_DR7_L(i) | X86_DR7_G(i) |
			  rw[cfg->hw[i].kind] << X86_DR7_RW_SHIFT(i) |
			  (uint64_t)dr7_len(len) << X86_DR7_LEN_SHIFT(i);
	}
	if (d->dr7 != X86_DR7_RESET)
		d->dr7 |= X86_DR7_LE | X86_DR7_GE;
}

/* Intercepts and controls for cfg; the first error is returned. */
static int debug_apply(struct vcpu *vcpu, struct vcpu_debug *d,
		       const struct vcpu_debug_cfg *cfg)
{
	struct backend_vcpu *bv = vcpu->bv;
	bool hw = cfg_any_hw(cfg);
	unsigned int ctl = hw ? BACKEND_DEBUG_DR_EXIT | BACKEND_DEBUG_HOST_DR : 0;
	int err;

	err = backend_set_exception_intercept(bv, VEC_BP, cfg->sw_breakpoints);
	if (!err)
		err = backend_set_exception_intercept(bv, VEC_DB, cfg->step || hw);
	if (err)
		return err;
	d->mtf = cfg->step && backend_set_debug_ctl(bv, ctl | BACKEND_DEBUG_MTF) == 0;
	if (!d->mtf) {
		err = backend_set_debug_ctl(bv, ctl);
		if (err)
			return err;
	}
	if (hw && !d->owns_dr) {
		/* The guest's own registers go into the shadow. */
		err = backend_get_dregs(bv, &d->shadow);
		if (err)
			return err;
		d->owns_dr = true;
	}
	if (hw) {
		struct backend_dregs regs;

		cfg_dregs(cfg, &regs);
		return backend_set_dregs(bv, &regs);
	}
	if (d->owns_dr) {
		d->owns_dr = false;
		return backend_set_dregs(bv, &d->shadow);
	}
	return 0;
}

int vcpu_debug_set(struct vcpu *vcpu, const struct vcpu_debug_cfg *cfg)
{
	struct vcpu_debug *d = vcpu->debug;
	bool step_was = d && d->cfg.step;
	struct backend_dregs probe;

	if (!cfg_valid(cfg))
		return -EINVAL;
	if (backend_get_dregs(vcpu->bv, &probe))
		return -ENOTSUP;
	if (!d) {
		d = kzalloc(sizeof(*d));
		if (!d)
			return -ENOMEM;
		vcpu->debug = d;
	}
	d->cfg = *cfg;
	/* A step armed by this exit's handler starts with the next instruction. */
	if (cfg->step && !step_was)
		d->stopped = true;
	return debug_apply(vcpu, d, cfg);
}

void vcpu_debug_free(struct vcpu *vcpu)
{
	kfree(vcpu->debug);
	vcpu->debug = NULL;
}

/* ------------------------------------------------------------------------
 * The run loop's side
 */

bool vcpu_debug_entry(struct vcpu *vcpu)
{
	struct vcpu_debug *d = vcpu->debug;
	struct guest_regs *r = &vcpu->bv->regs;

	if (!d)
		return false;
	if (d->resume_rf) {
		/* The instruction at an execution breakpoint runs once. */
		r->rflags |= X86_RFLAGS_RF;
		d->resume_rf = false;
	}
	if (!d->cfg.step)
		return false;
	if (!d->mtf && !d->tf_armed) {
		d->guest_tf = r->rflags & X86_RFLAGS_TF;
		r->rflags |= X86_RFLAGS_TF;
		d->tf_armed = true;
	}
	/* The sources keep their events pending until the step is over. */
	backend_set_intr_window(vcpu->bv, false);
	backend_set_nmi_window(vcpu->bv, false);
	return true;
}

void vcpu_debug_exit(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vcpu_debug *d = vcpu->debug;
	struct guest_regs *r = &vcpu->bv->regs;

	if (!d)
		return;
	d->stopped = false;
	if (d->tf_armed) {
		r->rflags = (r->rflags & ~X86_RFLAGS_TF) | d->guest_tf;
		d->tf_armed = false;
	}
}

/* Hands why to the VM's hook; false if there is none or it declines. */
static bool debug_report(struct vcpu *vcpu, struct vcpu_debug_stop *why)
{
	vcpu_debug_stop_fn fn = READ_ONCE(vcpu->vm->debug_stop);
	bool mine;

	why->rip = vcpu->bv->regs.rip;
	if (!fn)
		return false;
	mine = fn(vcpu, why);
	if (mine && vcpu->debug)
		vcpu->debug->stopped = true;
	return mine;
}


/* ------------------------------------------------------------------------
 * #BP, INT n, #DB
 */

static int debug_inject(struct vcpu *vcpu, const struct vm_event *ev)
{
	if (backend_inject_event(vcpu->bv, ev)) {
		vm_stop(vcpu->vm, "vCPU %u: cannot inject vector %u", vcpu->id, ev->vector);
		return -1;
	}
	return 0;
}

/* INT3 at RIP, len bytes long: the debugger's stop, or the guest's #BP. */
static int debug_bp(struct vcpu *vcpu, unsigned int len)
{
	struct vcpu_debug *d = vcpu->debug;
	struct vcpu_debug_stop why = { .kind = VCPU_DEBUG_STOP_SW_BP };
	struct vm_event ev = {
		.valid = true, .type = EVENT_SOFT_EXCEPTION, .vector = VEC_BP,
		.insn_len = (uint8_t)len,
	};

	if (d && d->cfg.sw_breakpoints && debug_report(vcpu, &why))
		return 0;
	return debug_inject(vcpu, &ev);
}

/*
 * INT n intercepted (SVM, QEMU's INT3): RIP is at the instruction. INT3
 * goes the #BP way; INT n and INTO are delivered as the guest meant them.
 */
static int debug_soft_int(struct vcpu *vcpu, struct vm_exit *exit)
{
	uint8_t code[X86_INSN_MAX_LEN];
	size_t got = guest_fetch_insn(vcpu, exit, code);
	struct vm_event ev = { .valid = true };

	if (got >= 1 && code[0] == 0xcc)
		return debug_bp(vcpu, 1);
	if (got >= 2 && code[0] == 0xcd) {
		ev.type = EVENT_SOFT_INT;
		ev.vector = code[1];
		ev.insn_len = 2;
	} else if (got >= 1 && code[0] == 0xce) {
		ev.type = EVENT_SOFT_EXCEPTION;
		ev.vector = VEC_OF;
		ev.insn_len = 1;
	} else {
		vm_stop(vcpu->vm, "vCPU %u: INT n exit at rip %#llx, no INT there", vcpu->id,
			(unsigned long long)vcpu->bv->regs.rip);
		return -1;
	}
	return debug_inject(vcpu, &ev);
}

/* After a stop of the debugger's: its bits out of the CPU's DR6. */
static void debug_clear_dr6(struct vcpu *vcpu)
{
	struct backend_dregs regs;

	if (backend_get_dregs(vcpu->bv, &regs))
		return;
	regs.dr6 &= ~(X86_DR6_B_ALL | X86_DR6_BS);
	backend_set_dregs(vcpu->bv, &regs);
}

/* The guest's own #DB: DR6 as the CPU sets it, then the exception. */
static int debug_reflect_db(struct vcpu *vcpu, uint64_t bits)
{
	struct vcpu_debug *d = vcpu->debug;
	struct vm_event ev = { .valid = true, .type = EVENT_EXCEPTION, .vector = VEC_DB };
	struct backend_dregs regs;
	uint64_t dr6 = X86_DR6_RESET | bits;

	if (d && d->owns_dr) {
		d->shadow.dr6 = dr6;
	} else if (!backend_get_dregs(vcpu->bv, &regs)) {
		regs.dr6 = dr6;
		backend_set_dregs(vcpu->bv, &regs);
	}
	return debug_inject(vcpu, &ev);
}

void vcpu_debug_exit_done(struct vcpu *vcpu, const struct vm_exit *exit, uint64_t exit_rip)
{
	struct vcpu_debug *d = vcpu->debug;
	struct vcpu_debug_stop why = { .kind = VCPU_DEBUG_STOP_STEP };

	/* RIP moved: the hypervisor completed the instruction itself. */
	if (vcpu->bv->regs.rip == exit_rip || vm_is_stopped(vcpu->vm))
		return;
	if (d && d->cfg.step) {
		if (!d->stopped)
			debug_report(vcpu, &why);
		return;
	}
	/* The guest's own TF: the single-step trap the CPU would have raised. */
	if (vcpu->bv->regs.rflags & X86_RFLAGS_TF)
		debug_reflect_db(vcpu, X86_DR6_BS);
}

static int debug_db(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vcpu_debug *d = vcpu->debug;
	uint64_t bits = exit->qual & (X86_DR6_B_ALL | X86_DR6_BD | X86_DR6_BS);
	struct vcpu_debug_stop why = { .kind = VCPU_DEBUG_STOP_STEP };

	if (!d)
		return debug_reflect_db(vcpu, bits);
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		if (!(bits & X86_DR6_B(i)) || !d->cfg.hw[i].on || !d->owns_dr)
			continue;
		why.hw = i;
		why.addr = d->cfg.hw[i].addr;
		why.kind = d->cfg.hw[i].kind == VCPU_DEBUG_HW_EXEC ? VCPU_DEBUG_STOP_HW_BP :
			   VCPU_DEBUG_STOP_WATCH;
		if (why.kind == VCPU_DEBUG_STOP_HW_BP)
			d->resume_rf = true;
		debug_clear_dr6(vcpu);
		debug_report(vcpu, &why);
		return 0;
	}
	if ((bits & X86_DR6_BS) && d->cfg.step && !d->mtf) {
		debug_clear_dr6(vcpu);
		debug_report(vcpu, &why);
		return 0;
	}
	return debug_reflect_db(vcpu, bits);
}

/* ------------------------------------------------------------------------
 * MOV to and from DRn while the debugger owns the registers
 */

/* Skips the prefixes of the MOV DR at RIP: its ModRM and REX.B, or -1. */
static int debug_decode_mov_dr(const uint8_t *code, size_t got, bool mode64,
			       uint8_t *modrm, bool *rex_b, unsigned int *len)
{
	size_t i = 0;

	*rex_b = false;
	while (i < got && (code[i] == 0x66 || code[i] == 0x67 || code[i] == 0xf2 ||
			   code[i] == 0xf3 || code[i] == 0x2e || code[i] == 0x3e ||
			   code[i] == 0x26 || code[i] == 0x36 || code[i] == 0x64 ||
			   code[i] == 0x65 || (mode64 && (code[i] & 0xf0) == 0x40))) {
		if (mode64 && (code[i] & 0xf0) == 0x40)
			*rex_b = code[i] & 1;
		i++;
	}
	if (i + 3 > got || code[i] != 0x0f || (code[i + 1] != 0x21 && code[i + 1] != 0x23))
		return -1;
	*modrm = code[i + 2];
	*len = (unsigned int)i + 3;
	return 0;
}

static uint64_t *shadow_reg(struct vcpu_debug *d, unsigned int dr)
{
	if (dr < 4)
		return &d->shadow.dr[dr];
	return dr == 6 ? &d->shadow.dr6 : &d->shadow.dr7;
}

static int debug_dr_access(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vcpu_debug *d = vcpu->debug;
	bool mode64 = exit->guest.mode == GUEST_MODE_LONG64;
	unsigned int dr = exit->dr.dr, gpr = exit->dr.gpr, len = exit->insn_len;
	uint64_t *reg, *val;
	struct vm_event ud = { .valid = true, .type = EVENT_EXCEPTION, .vector = VEC_UD };
	struct vm_event gp = { .valid = true, .type = EVENT_EXCEPTION, .vector = VEC_GP,
			       .has_error = true };

	if (!d || !d->owns_dr) {
		vm_stop(vcpu->vm, "vCPU %u: DR access exit with no debugger", vcpu->id);
		return -1;
	}
	if (gpr == EXIT_GPR_UNKNOWN || !len) {
		uint8_t code[X86_INSN_MAX_LEN], modrm;
		size_t got = guest_fetch_insn(vcpu, exit, code);
		bool rex_b;

		if (debug_decode_mov_dr(code, got, mode64, &modrm, &rex_b, &len)) {
			vm_stop(vcpu->vm, "vCPU %u: DR access exit at rip %#llx, no MOV DR there",
				vcpu->id, (unsigned long long)vcpu->bv->regs.rip);
			return -1;
		}
		gpr = (modrm & 7) | (rex_b ? 8 : 0);
	}
	if (dr == 4 || dr == 5) {
		/* Aliases of DR6/DR7 unless CR4.DE makes them #UD. */
		if (exit->guest.cr4 & X86_CR4_DE)
			return debug_inject(vcpu, &ud);
		dr += 2;
	}
	if (dr > 7 || gpr >= GPR_COUNT)
		return debug_inject(vcpu, &ud);
	reg = shadow_reg(d, dr);
	val = &vcpu->bv->regs.gpr[gpr];
	if (exit->dr.write) {
		uint64_t v = mode64 ? *val : (uint32_t)*val;

		if (dr >= 6 && (v >> 32))
			return debug_inject(vcpu, &gp);
		if (dr == 6)
			v |= X86_DR6_RESET;
		else if (dr == 7)
			v |= X86_DR7_RESET;
		*reg = v;
	} else {
		*val = mode64 ? *reg : (uint32_t)*reg;
	}
	vcpu->bv->regs.rip += len;
	if (!mode64)
		vcpu->bv->regs.rip &= 0xffffffffull;
	return 0;
}

int vcpu_debug_handle_exit(struct vcpu *vcpu, struct vm_exit *exit)
{
	struct vcpu_debug_stop why = { .kind = VCPU_DEBUG_STOP_STEP };
	int len;

	switch (exit->reason) {
	case EXIT_EXCEPTION:
		if (exit->exception.vector == VEC_DB)
			return debug_db(vcpu, exit);
		len = guest_insn_len(vcpu, exit);
		return debug_bp(vcpu, len > 0 ? (unsigned int)len : 1);
	case EXIT_SOFT_INT:
		return debug_soft_int(vcpu, exit);
	case EXIT_MTF:
		if (vcpu->debug && vcpu->debug->cfg.step && vcpu->debug->mtf)
			debug_report(vcpu, &why);
		return 0;
	case EXIT_DR_ACCESS:
		return debug_dr_access(vcpu, exit);
	default:
		vm_stop(vcpu->vm, "vCPU %u: %s is not a debug exit", vcpu->id,
			exit_reason_name(exit->reason));
		return -1;
	}
}
