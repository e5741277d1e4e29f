/*
 * The platform of a test-payload VM (core/vm_platform.h): the small ABI
 * the payloads of tests/guest/ are written against (docs/run-loop.md).
 * Port 0xE9 is a console (one log line "[vm name] text" per guest line),
 * port 0xF4 ends the VM with a status, every other port is an empty bus;
 * VMMCALL/VMCALL offers a one-shot timer (HC_TIMER_ONESHOT), the vCPU's
 * index (HC_VCPU_ID) and an interrupt to another vCPU (HC_IPI); interrupts come from a per-vCPU bitmap of pending
 * vectors; vCPU 0 polls the console for the key that prints exit counts.
 *
 * Where it runs: the vCPU threads (the ops), the CPU that builds or tears
 * down the VM (attach, destroy). Locks: the console line under
 * console_lock (any vCPU may write a byte); the pending bitmap is atomic
 * (set by any CPU, cleared by the vCPU's thread once injected); the timer
 * under its vCPU's timer lock (core/vtimer.h).
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/spinlock.h"
#include "core/lib/text_filter.h"
#include "core/payload/payload.h"
#include "core/vcpu_debug.h"
#include "core/vcpu_run.h"
#include "mm/heap.h"

/* Per vCPU: vectors waiting for injection and the paravirtual timer. */
struct payload_vcpu {
	uint64_t pending[4];		/* atomic OR by any CPU */
	struct vtimer timer;		/* HC_TIMER_ONESHOT */
	uint8_t timer_vector;		/* written by the vCPU, read by the sink */
	/* HC_DEBUG's test debugger: its planted INT3 (vCPU thread only). */
	bool bp_planted;
	uint8_t bp_orig;
	uint32_t bp_addr;
};

struct payload_platform {
	spinlock_t console_lock;
	char console_line[128];		/* the guest line being assembled */
	unsigned int console_len;
	struct text_filter console_filter;	/* keeps its controls out of the log */
	unsigned int nr_vcpus;
	struct payload_vcpu *vcpus;
};

static struct payload_vcpu *pv_of(struct vcpu *vcpu)
{
	return vcpu->platform_data;
}

/* --- Interrupts --------------------------------------------------------- */

/* Marks vector pending, then kicks the vCPU: the bit is visible first. */
static void payload_queue_irq(struct vcpu *vcpu, uint8_t vector)
{
	set_bit_atomic(vector, pv_of(vcpu)->pending);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void payload_timer_fire(struct vtimer_vcpu *v, void *ctx, unsigned int irq,
			       unsigned int ticks)
{
	struct vcpu *vcpu = ctx;

	payload_queue_irq(vcpu, READ_ONCE(pv_of(vcpu)->timer_vector));
}

static const struct vtimer_sink payload_timer_sink = {
	.fire = payload_timer_fire,
};

static int payload_highest_pending(struct vcpu *vcpu, void *ctx)
{
	const struct payload_vcpu *pv = pv_of(vcpu);

	for (int w = 3; w >= 0; w--) {
		uint64_t bits = READ_ONCE(pv->pending[w]);

		if (bits)
			return w * 64 + 63 - __builtin_clzll(bits);
	}
	return -ENOENT;
}

static bool payload_irq_pending(struct vcpu *vcpu)
{
	return payload_highest_pending(vcpu, NULL) >= 0;
}

/* The highest vector first; its bit is cleared once it is injected. */
static void payload_inject_pending(struct vcpu *vcpu)
{
	int vec;

	if (!payload_irq_pending(vcpu))
		return;
	vec = vcpu_deliver_event(vcpu, EVENT_EXTINT, payload_highest_pending, NULL);
	if (vec >= 0)
		clear_bit_atomic((unsigned long)vec, pv_of(vcpu)->pending);
}

/* --- Ports and hypercalls -------------------------------------------------- */

/*
 * The guest console: one log line per guest line, tagged with the VM,
 * without the guest's control characters and escape sequences.
 */
static void payload_console_putc(struct vm *vm, char c)
{
	struct payload_platform *p = vm->platform_data;

	spin_lock(&p->console_lock);
	if (text_filter_keep(&p->console_filter, (uint8_t)c))
		p->console_line[p->console_len++] = c;
	if (c == '\n' || p->console_len == sizeof(p->console_line) - 1) {
		p->console_line[p->console_len] = '\0';
		pr_info("[%s] %s", vm->name, p->console_line);
		p->console_len = 0;
	}
	spin_unlock(&p->console_lock);
}

static int payload_port_io(struct vcpu *vcpu, uint16_t port, unsigned int size, bool in,
			   uint32_t *val)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

	if (in)
		return -ENOENT;
	switch (port) {
	case PAYLOAD_PORT_CONSOLE:
		payload_console_putc(vcpu->vm, (char)(*val & 0xff));
		return 0;
	case PAYLOAD_PORT_EXIT:
		vm_stop(vcpu->vm, "guest exit, status %u", *val & mask);
		return -ECANCELED;
	default:
		return -ENOENT;
	}
}

/*
 * now + us microseconds, saturated: a delay too long for 64 bits of
 * nanoseconds is "never" (VTIMER_NEVER), not a wrap into the past that
 * would fire at once.
 */
static uint64_t payload_deadline(uint64_t now, uint64_t us)
{
	uint64_t ns, deadline;

	if (__builtin_mul_overflow(us, 1000, &ns) ||
	    __builtin_add_overflow(now, ns, &deadline))
		return VTIMER_NEVER;
	return deadline;
}

/* HC_TIMER_ONESHOT: RBX µs from now, RCX the vector (32..255). */
static uint64_t payload_timer_oneshot(struct vcpu *vcpu, uint64_t us, uint64_t vector)
{
	struct payload_vcpu *pv = pv_of(vcpu);
	uint64_t now;

	/* An exception vector, or one no IDT has: refused, nothing armed. */
	if (vector < HC_VECTOR_MIN || vector > 255)
		return HC_ERROR;
	now = time_now_ns();
	WRITE_ONCE(pv->timer_vector, (uint8_t)vector);
	vtimer_start(&pv->timer, &vcpu->timers, now, payload_deadline(now, us), 0);
	return 0;
}

/*
 * HC_IPI: vector (32..255) pending on vCPU target of the same VM, which
 * is kicked (woken if it halts). The payloads' inter-processor interrupt:
 * the platform has no local APIC.
 */
static uint64_t payload_ipi(struct vcpu *vcpu, uint64_t target, uint64_t vector)
{
	struct vm *vm = vcpu->vm;

	if (vector < HC_VECTOR_MIN || vector > 255 || target >= vm_nr_vcpus(vm))
		return HC_ERROR;
	payload_queue_irq(vm->vcpus[target], (uint8_t)vector);
	return 0;
}

/* --- HC_DEBUG: a test debugger ------------------------------------------- */

static bool payload_debug_stop(struct vcpu *vcpu, const struct vcpu_debug_stop *why)
{
	struct payload_vcpu *pv = pv_of(vcpu);
	unsigned long long rip = why->rip;

	switch (why->kind) {
	case VCPU_DEBUG_STOP_SW_BP:
		if (!pv->bp_planted || why->rip != pv->bp_addr)
			return false;	/* the guest's own INT3 */
		/* Removed, as a debugger does on a stop: the instruction runs. */
		guest_write_gpa(vcpu, pv->bp_addr, &pv->bp_orig, 1);
		pv->bp_planted = false;
		pr_info("debug stop: vcpu %u breakpoint at RIP %#llx", vcpu->id, rip);
		return true;
	case VCPU_DEBUG_STOP_HW_BP:
		pr_info("debug stop: vcpu %u hw-breakpoint %u at RIP %#llx", vcpu->id, why->hw, rip);
		return true;
	case VCPU_DEBUG_STOP_WATCH:
		pr_info("debug stop: vcpu %u watchpoint %u (%#llx) at RIP %#llx", vcpu->id, why->hw,
			(unsigned long long)why->addr, rip);
		return true;
	default:
		pr_info("debug stop: vcpu %u step at RIP %#llx", vcpu->id, rip);
		return true;
	}
}

/* HC_DEBUG: the struct hc_debug_cfg at gpa, armed on the calling vCPU. */
static uint64_t payload_debug(struct vcpu *vcpu, uint64_t gpa)
{
	struct payload_vcpu *pv = pv_of(vcpu);
	struct vcpu_debug_cfg cfg = { 0 };
	struct hc_debug_cfg hc;
	static const uint8_t int3 = 0xcc;

	if (guest_read_gpa(vcpu, gpa, &hc, sizeof(hc)))
		return HC_ERROR;
	cfg.sw_breakpoints = hc.flags & HC_DEBUG_SW_BP;
	cfg.step = hc.flags & HC_DEBUG_STEP;
	for (unsigned int i = 0; i < VCPU_DEBUG_HW_NR; i++) {
		cfg.hw[i].addr = hc.hw[i].addr;
		cfg.hw[i].kind = hc.hw[i].kind;
		cfg.hw[i].len = hc.hw[i].len;
		cfg.hw[i].on = hc.hw[i].on;
	}
	if (pv->bp_planted) {
		guest_write_gpa(vcpu, pv->bp_addr, &pv->bp_orig, 1);
		pv->bp_planted = false;
	}
	if (cfg.sw_breakpoints) {
		if (guest_read_gpa(vcpu, hc.sw_addr, &pv->bp_orig, 1) ||
		    guest_write_gpa(vcpu, hc.sw_addr, &int3, 1))
			return HC_ERROR;
		pv->bp_addr = hc.sw_addr;
		pv->bp_planted = true;
	}
	return vcpu_debug_set(vcpu, &cfg) ? HC_ERROR : 0;
}

static int payload_hypercall(struct vcpu *vcpu)
{
	uint64_t *gpr = vcpu->bv->regs.gpr;

	switch (gpr[GPR_RAX]) {
	case HC_TIMER_ONESHOT:
		gpr[GPR_RAX] = payload_timer_oneshot(vcpu, gpr[GPR_RBX], gpr[GPR_RCX]);
		break;
	case HC_VCPU_ID:
		gpr[GPR_RAX] = vcpu->id;
		break;
	case HC_DEBUG:
		gpr[GPR_RAX] = payload_debug(vcpu, gpr[GPR_RBX]);
		break;
	case HC_IPI:
		gpr[GPR_RAX] = payload_ipi(vcpu, gpr[GPR_RBX], gpr[GPR_RCX]);
		break;
	default:
		gpr[GPR_RAX] = HC_ERROR;
		break;
	}
	return 0;
}

/* --- Console key, dump ----------------------------------------------------- */

/*
 * The console key that prints every vCPU's exit counts and trace while
 * the VM runs. vCPU 0 looks for it once every CONSOLE_POLL_EXITS exits:
 * one UART status read, off the common path. (VMs of vms.cfg leave the
 * input to the console monitor.)
 */
#define CONSOLE_KEY_EXITS  's'
#define CONSOLE_POLL_EXITS 1024

static void payload_exit_done(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (vcpu->id != 0 || vcpu->exits_total % CONSOLE_POLL_EXITS)
		return;
	if (console_getc() != CONSOLE_KEY_EXITS)
		return;
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exits(vm->vcpus[i]);
}

static void payload_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx)
{
	const struct payload_vcpu *pv = pv_of(vcpu);

	print(ctx, "payload: pending vectors %016llx %016llx %016llx %016llx",
	      (unsigned long long)READ_ONCE(pv->pending[3]),
	      (unsigned long long)READ_ONCE(pv->pending[2]),
	      (unsigned long long)READ_ONCE(pv->pending[1]),
	      (unsigned long long)READ_ONCE(pv->pending[0]));
}

/* --- Lifetime ------------------------------------------------------------ */

static void payload_destroy(struct vm *vm)
{
	struct payload_platform *p = vm->platform_data;

	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		vtimer_destroy(&p->vcpus[i].timer);
		vm->vcpus[i]->platform_data = NULL;
	}
	kfree(p->vcpus);
	kfree(p);
}

static const struct vm_platform_ops payload_platform_ops = {
	.name = "payload",
	.inject_pending = payload_inject_pending,
	.irq_pending = payload_irq_pending,
	.destroy = payload_destroy,
	.port_io = payload_port_io,
	.hypercall = payload_hypercall,
	.exit_done = payload_exit_done,
	.dump = payload_dump,
};

int payload_platform_attach(struct vm *vm)
{
	unsigned int n = vm_nr_vcpus(vm);
	struct payload_platform *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->vcpus = kcalloc(n, sizeof(*p->vcpus));
	if (!p->vcpus) {
		kfree(p);
		return -ENOMEM;
	}
	spin_lock_init(&p->console_lock);
	p->nr_vcpus = n;
	for (unsigned int i = 0; i < n; i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		vtimer_init(&p->vcpus[i].timer, &vcpu->timers, &payload_timer_sink, vcpu, 0,
			    VTIMER_NO_MISSED);
		vcpu->platform_data = &p->vcpus[i];
	}
	vm->debug_stop = payload_debug_stop;
	/* Published before any vCPU of the VM runs (their start is a release). */
	vm_platform_attach(vm, &payload_platform_ops, p);
	return 0;
}
