/*
 * The virtual PC, per vCPU: the local APIC's signals (fixed interrupts,
 * NMI, INIT, SIPI, level EOI), injection from the local APIC and the
 * 8259 (with the PV EOI word's set and read-back around it), the
 * INIT/SIPI start-up protocol, the platform's MSRs and the per-vCPU dump.
 *
 * Where it runs: the lapic_*() callbacks on any CPU (an IPI's sender, a
 * device's interrupt), with no lock of the target vCPU held: they store
 * the state with an atomic, then kick. Everything else on the vCPU's own
 * thread, which alone consumes the pending words and owns mp_state.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/pc/vpc_priv.h"
#include "core/vcpu_run.h"

#define VEC_NMI 2

/* --- Local APIC callbacks, from any CPU: state first, then the kick --------- */

static void lapic_kick(void *ctx)
{
	struct vcpu *vcpu = ctx;

	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_nmi(void *ctx)
{
	struct vcpu *vcpu = ctx;

	__atomic_store_n(&vpc_vcpu_of(vcpu)->nmi_pending, 1, __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

/*
 * INIT cancels a SIPI that came before it, never one that comes after:
 * the sender clears the SIPI first (Linux sends INIT and SIPI back to
 * back, and the AP may take both at its next look; docs/races.md, "INIT
 * and SIPI back to back").
 */
static void lapic_init(void *ctx)
{
	struct vcpu *vcpu = ctx;
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);

	__atomic_store_n(&c->sipi_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->init_pending, 1, __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_sipi(void *ctx, uint8_t vector)
{
	struct vcpu *vcpu = ctx;

	__atomic_store_n(&vpc_vcpu_of(vcpu)->sipi_pending, VPC_SIPI_VALID | vector,
			 __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_eoi_level(void *ctx, uint8_t vector)
{
	struct vcpu *vcpu = ctx;

	vioapic_eoi(&vpc_of(vcpu->vm)->ioapic, vector);
}

const struct vlapic_ops vpc_lapic_ops = {
	.kick = lapic_kick,
	.nmi = lapic_nmi,
	.init = lapic_init,
	.sipi = lapic_sipi,
	.eoi_level = lapic_eoi_level,
};

/* --- Injection --------------------------------------------------------------- */

/*
 * The local APIC's vector to inject (-1: none) and, for vCPU 0, whether
 * the 8259 has one for it (*pic): one hold of the local APIC's lock.
 */
static int vpc_pending(struct vcpu *vcpu, bool *pic)
{
	struct vlapic *lapic = &vpc_vcpu_of(vcpu)->lapic;
	int vec;

	*pic = false;
	if (vcpu->id)
		return vlapic_pending_vector(lapic);
	vec = vlapic_pending_vector_pic(lapic, pic);
	*pic = *pic && vpic_has_interrupt(&vpc_of(vcpu->vm)->pic);
	return vec;
}

bool vpc_irq_pending(struct vcpu *vcpu)
{
	bool pic;

	return vpc_pending(vcpu, &pic) >= 0 || pic;
}

bool vpc_vcpu_wake_pending(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);

	return __atomic_load_n(&c->nmi_pending, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&c->init_pending, __ATOMIC_ACQUIRE);
}

static int vpc_nmi_vector(struct vcpu *vcpu, void *ctx)
{
	return VEC_NMI;
}

/* The vector the local APIC chose (ctx); its IRR -> ISR follows the injection. */
static int vpc_lapic_vector(struct vcpu *vcpu, void *ctx)
{
	return (int)(uintptr_t)ctx;
}

/*
 * The 8259's INTA cycle: only once the injection is certain. IRQ 0 taken
 * is a PIT tick delivered: the next owed one may be raised (vpit_taken()).
 */
static int vpc_pic_ack(struct vcpu *vcpu, void *ctx)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	int isa_irq, vec = vpic_ack_isa(&pc->pic, &isa_irq);

	if (isa_irq == PC_IRQ_PIT)
		vpit_taken(&pc->pit, &vcpu->timers);
	return vec;
}

/*
 * The local APIC accepted vec (IRR -> ISR) on vcpu: if it is the vector of
 * the PIT's IOAPIC pin, the guest took a PIT tick (Xen's pt_intr_post()
 * matches the vector the same way). The RTC's ticks are taken by the read
 * of register C instead (core/pc/dev/vrtc.c).
 */
static void vpc_lapic_taken(struct vcpu *vcpu, uint8_t vec)
{
	struct vpc *pc = vpc_of(vcpu->vm);

	if (vioapic_pin_vector(&pc->ioapic, PC_PIT_IOAPIC_PIN) == vec)
		vpit_taken(&pc->pit, &vcpu->timers);
}

static void vpc_inject_nmi(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);

	if (!__atomic_load_n(&c->nmi_pending, __ATOMIC_ACQUIRE))
		return;
	if (vcpu_deliver_event(vcpu, EVENT_NMI, vpc_nmi_vector, NULL) >= 0)
		__atomic_store_n(&c->nmi_pending, 0, __ATOMIC_RELAXED);
}

/*
 * An NMI first, then the local APIC, then (vCPU 0 with LINT0 in ExtINT
 * mode) the PIC, whose INTA happens only when the vector is really
 * injected. An event injected here leaves the guest unable to take
 * another before the next entry: the later ones open their window. Last,
 * the PV EOI word is set where the in-service vector allows it.
 */
void vpc_inject_pending(struct vcpu *vcpu)
{
	struct vlapic *lapic = &vpc_vcpu_of(vcpu)->lapic;
	bool pic;
	int vec;

	/* A PV EOI the guest made counts before the priorities are read. */
	vpc_pv_eoi_sync(vcpu);
	vec = vpc_pending(vcpu, &pic);
	vpc_inject_nmi(vcpu);
	if (vec >= 0) {
		vec = vcpu_deliver_event(vcpu, EVENT_EXTINT, vpc_lapic_vector,
					 (void *)(uintptr_t)vec);
		if (vec >= 0) {
			vlapic_ack_vector(lapic, (uint8_t)vec);
			vpc_lapic_taken(vcpu, (uint8_t)vec);
		}
	} else if (pic) {
		vcpu_deliver_event(vcpu, EVENT_EXTINT, vpc_pic_ack, NULL);
	} else {
		backend_set_intr_window(vcpu->bv, false);
	}
	vpc_pv_eoi_arm(vcpu);
}

/* Before the exit is handled: the guest may have retired a vector through its PV EOI word. */
void vpc_exit_begin(struct vcpu *vcpu)
{
	vpc_pv_eoi_sync(vcpu);
}

/* --- INIT and SIPI -------------------------------------------------------------- */

/*
 * The architectural INIT state (core/guest_state.h) as this PC's CPUs have
 * it: EDX holds the processor signature, family 6.
 */
static void vpc_reset_state(struct guest_state *st)
{
	guest_state_init_reset(st);
	st->regs.gpr[GPR_RDX] = 0x600;
}

/* INIT: the vCPU goes to its reset state and waits for a SIPI. */
static void vpc_do_init(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);
	struct guest_state st;

	vpc_reset_state(&st);
	if (backend_set_state(vcpu->bv, &st)) {
		vm_stop_error(vcpu->vm, "vCPU %u: cannot take the INIT state", vcpu->id);
		return;
	}
	vlapic_init_signal(&c->lapic);
	vpc_kvmclock_reset(vcpu);
	vpc_pv_eoi_reset(vcpu);
	c->mp_state = VPC_MP_WAIT_SIPI;
}

/* SIPI: real mode at vector * 4 KiB (CS = vector << 8, IP = 0). */
static void vpc_do_sipi(struct vcpu *vcpu, uint8_t vector)
{
	struct guest_state st;

	vpc_reset_state(&st);
	st.seg[SEG_CS].selector = (uint16_t)vector << 8;
	st.seg[SEG_CS].base = (uint64_t)vector << 12;
	st.regs.rip = 0;
	if (backend_set_state(vcpu->bv, &st)) {
		vm_stop_error(vcpu->vm, "vCPU %u: cannot take the SIPI state", vcpu->id);
		return;
	}
	vpc_vcpu_of(vcpu)->mp_state = VPC_MP_RUNNABLE;
	pr_debug("vm %s: vCPU %u started at %#x", vcpu->vm->name, vcpu->id, vector << 12);
}

bool vpc_vcpu_sipi_ready(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);

	return __atomic_load_n(&c->sipi_pending, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&c->init_pending, __ATOMIC_ACQUIRE);
}

bool vpc_vcpu_runnable(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);

	if (__atomic_exchange_n(&c->init_pending, 0, __ATOMIC_ACQUIRE))
		vpc_do_init(vcpu);
	if (c->mp_state == VPC_MP_WAIT_SIPI) {
		unsigned int s = __atomic_exchange_n(&c->sipi_pending, 0, __ATOMIC_ACQUIRE);

		if (s & VPC_SIPI_VALID)
			vpc_do_sipi(vcpu, (uint8_t)s);
	}
	return c->mp_state == VPC_MP_RUNNABLE;
}

int vpc_vcpu_set_start(struct vcpu *vcpu, const struct guest_state *st)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);
	struct guest_state init;
	int err;

	if (!st) {
		vpc_reset_state(&init);
		st = &init;
	}
	err = backend_set_state(vcpu->bv, st);
	if (err)
		return err;
	c->mp_state = st == &init ? VPC_MP_WAIT_SIPI : VPC_MP_RUNNABLE;
	return 0;
}

/* --- MSRs, dump ------------------------------------------------------------------ */

int vpc_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	int err = vpc_kvmclock_rdmsr(vcpu, msr, val);

	if (err == -ENOENT)
		err = vpc_pv_eoi_rdmsr(vcpu, msr, val);
	return err == -ENOENT ? vlapic_rdmsr(&vpc_vcpu_of(vcpu)->lapic, msr, val) : err;
}

int vpc_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	int err = vpc_kvmclock_wrmsr(vcpu, msr, val);

	if (err == -ENOENT)
		err = vpc_pv_eoi_wrmsr(vcpu, msr, val);
	return err == -ENOENT ? vlapic_wrmsr(&vpc_vcpu_of(vcpu)->lapic, msr, val) : err;
}

struct vpc_dump_ctx {
	backend_print_fn print;
	void *ctx;
};

static void vpc_dump_line(void *ctx, const char *line)
{
	struct vpc_dump_ctx *d = ctx;

	d->print(d->ctx, "%s", line);
}

void vpc_vcpu_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);
	struct vpc_dump_ctx d = { print, ctx };

	print(ctx, "pc: %s, pending nmi %u init %u sipi %#x",
	      c->mp_state == VPC_MP_WAIT_SIPI ? "waiting for SIPI" : "runnable",
	      __atomic_load_n(&c->nmi_pending, __ATOMIC_ACQUIRE),
	      __atomic_load_n(&c->init_pending, __ATOMIC_ACQUIRE),
	      __atomic_load_n(&c->sipi_pending, __ATOMIC_ACQUIRE));
	vlapic_dump(&c->lapic, vpc_dump_line, &d);
	vpc_pv_eoi_dump(vcpu, print, ctx);
}
