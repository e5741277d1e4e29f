/*
 * The virtual PC of one VM (see core/pc/vpc.h for the machine): building the
 * devices, the fixed port and MMIO maps, interrupt routing from the ISA
 * lines to the 8259 pair and the IOAPIC, and, per vCPU, the local APIC,
 * injection and the INIT/SIPI protocol.
 *
 * vCPU context for everything but vpc_create()/vpc_destroy() (boot CPU,
 * no vCPU running) and vpc_console_input() (the console monitor). The
 * port map is written once before any vCPU runs and read without a lock;
 * every device takes its own lock (docs/locking.md).
 */
#include "asm/tsc.h"
#include "core/pc/dev/vacpi_pm.h"
#include "core/pc/dev/vioapic.h"
#include "core/pc/dev/vkbc.h"
#include "core/pc/dev/vlapic.h"
#include "core/pc/dev/vpci.h"
#include "core/pc/dev/vpic.h"
#include "core/pc/dev/vpit.h"
#include "core/pc/dev/vrtc.h"
#include "core/pc/dev/vuart.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/pc/mmio_emul.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/pc/vpc.h"
#include "mm/heap.h"

#define VPC_MAX_RANGES   24
#define VPC_PORTS        65536
#define VPC_POST_PORT    0x80
#define VPC_IRQ_PIT      0
#define VPC_IRQ_RTC      8
#define VPC_IRQ_SCI      9
#define VPC_PIT_PIN      2	/* IRQ 0 on IOAPIC pin 2 (MADT override) */
#define VPC_CR0_RESET    0x60000010ull	/* CD | NW | ET */
#define SEG_RESET_CODE   (SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_CODE_XRA)
#define SEG_RESET_DATA   (SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_DATA_RWA)

struct vpc_range {
	uint16_t first, last;
	const struct vdev_io_ops *ops;
	void *dev;
	const char *name;
};

/* Port 0x80, the POST-code port: guests write it as a short delay. */
struct vpost {
	uint8_t last;
};

struct vpc {
	struct vm *vm;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vuart com1, com2;
	struct vpci pci;
	struct vacpi_pm pm;
	struct vkbc kbc;
	struct vpost post;
	struct vioapic ioapic;
	struct vapic_bus bus;
	struct vlapic *lapics;		/* one per vCPU, vcpu->lapic */
	struct irq_line isa[16];	/* ISA IRQ n: PIC input n + IOAPIC pin */
	struct vdev_power power;	/* the VM's handler, for the devices */

	/* Fixed before the first vCPU runs; read without a lock. */
	struct vpc_range ranges[VPC_MAX_RANGES];
	unsigned int nr_ranges;
	uint8_t port_map[VPC_PORTS];	/* port -> range index + 1, 0: none */
};

/* --- Ports ---------------------------------------------------------------- */

static int vpost_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	*val = ((struct vpost *)dev)->last;
	return 0;
}

static int vpost_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	WRITE_ONCE(((struct vpost *)dev)->last, (uint8_t)val);
	return 0;
}

static const struct vdev_io_ops vpost_io_ops = {
	.read = vpost_read,
	.write = vpost_write,
};

static void vpc_claim(struct vpc *pc, uint16_t first, uint16_t last,
		      const struct vdev_io_ops *ops, void *dev, const char *name)
{
	unsigned int idx = pc->nr_ranges++;

	BUG_ON(idx >= VPC_MAX_RANGES);
	pc->ranges[idx] = (struct vpc_range){ first, last, ops, dev, name };
	for (unsigned int p = first; p <= last; p++) {
		BUG_ON(pc->port_map[p]);	/* two devices on one port */
		pc->port_map[p] = (uint8_t)(idx + 1);
	}
}

void vpc_port_io(struct vcpu *vcpu, uint16_t port, unsigned int size, bool in,
		 uint32_t *val)
{
	struct vpc *pc = vcpu->vm->pc;
	unsigned int idx = pc->port_map[port];
	const struct vpc_range *r;

	if (!idx) {
		if (in)
			*val = 0xffffffffu;	/* nothing answers: the bus floats */
		return;
	}
	r = &pc->ranges[idx - 1];
	if (in) {
		*val = 0xffffffffu;
		r->ops->read(r->dev, port, size, val);
	} else {
		r->ops->write(r->dev, port, size, *val);
	}
}

/* --- Interrupt routing ---------------------------------------------------- */

/* ISA IRQ n: the PIC's input n and the IOAPIC's pin n (IRQ 0: pin 2). */
static void vpc_isa_irq_set(void *ctx, unsigned int irq, int level)
{
	struct vpc *pc = ctx;

	vpic_set_irq(&pc->pic, irq, level);
	vioapic_set_irq(&pc->ioapic, irq == VPC_IRQ_PIT ? VPC_PIT_PIN : irq, level);
}

/* The PIC's INTR output: vCPU 0 looks at it when it next injects. */
static void vpc_pic_intr(void *ctx, unsigned int line, int level)
{
	struct vpc *pc = ctx;

	if (level)
		vcpu_make_request(&pc->vm->vcpus[0]->req, VCPU_REQ_EVENT);
}

/* Local APIC callbacks, from any CPU: state first, then the kick. */
static void lapic_kick(void *ctx)
{
	struct vcpu *vcpu = ctx;

	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_nmi(void *ctx)
{
	struct vcpu *vcpu = ctx;

	__atomic_store_n(&vcpu->nmi_pending, 1, __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

/*
 * INIT cancels a SIPI that came before it, never one that comes after:
 * the sender clears the SIPI first (Linux sends INIT and SIPI back to
 * back, and the AP may take both at its next look).
 */
static void lapic_init(void *ctx)
{
	struct vcpu *vcpu = ctx;

	__atomic_store_n(&vcpu->sipi_pending, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vcpu->init_pending, 1, __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_sipi(void *ctx, uint8_t vector)
{
	struct vcpu *vcpu = ctx;

	__atomic_store_n(&vcpu->sipi_pending, VPC_SIPI_VALID | vector, __ATOMIC_RELEASE);
	vcpu_make_request(&vcpu->req, VCPU_REQ_EVENT);
}

static void lapic_eoi_level(void *ctx, uint8_t vector)
{
	struct vcpu *vcpu = ctx;

	vioapic_eoi(&vcpu->vm->pc->ioapic, vector);
}

static const struct vlapic_ops vpc_lapic_ops = {
	.kick = lapic_kick,
	.nmi = lapic_nmi,
	.init = lapic_init,
	.sipi = lapic_sipi,
	.eoi_level = lapic_eoi_level,
};

/* --- Per-vCPU injection and INIT/SIPI -------------------------------------- */

static bool vpc_pic_ready(struct vcpu *vcpu)
{
	struct vpc *pc = vcpu->vm->pc;

	return vcpu->id == 0 && vlapic_accepts_pic_intr(vcpu->lapic) &&
	       vpic_has_interrupt(&pc->pic);
}

bool vpc_irq_pending(struct vcpu *vcpu)
{
	return vlapic_pending_vector(vcpu->lapic) >= 0 || vpc_pic_ready(vcpu);
}

bool vpc_vcpu_wake_pending(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->nmi_pending, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&vcpu->init_pending, __ATOMIC_ACQUIRE);
}

static void vpc_inject_nmi(struct vcpu *vcpu)
{
	struct vm_event ev = { .valid = true, .type = EVENT_NMI, .vector = 2 };

	if (!__atomic_load_n(&vcpu->nmi_pending, __ATOMIC_ACQUIRE))
		return;
	if (!backend_nmi_allowed(vcpu->bv)) {
		backend_set_nmi_window(vcpu->bv, true);
		return;
	}
	backend_set_nmi_window(vcpu->bv, false);
	if (backend_inject_event(vcpu->bv, &ev) == 0)
		__atomic_store_n(&vcpu->nmi_pending, 0, __ATOMIC_RELAXED);
}

/*
 * The local APIC first, then (vCPU 0 with LINT0 in ExtINT mode) the PIC,
 * whose INTA happens only when the vector is really injected.
 */
void vpc_inject_pending(struct vcpu *vcpu)
{
	struct vm_event ev = { .valid = true, .type = EVENT_EXTINT };
	int vec = vlapic_pending_vector(vcpu->lapic);
	bool pic = false;

	vpc_inject_nmi(vcpu);
	if (vec < 0)
		pic = vpc_pic_ready(vcpu);
	if (vec < 0 && !pic) {
		backend_set_intr_window(vcpu->bv, false);
		return;
	}
	if (!backend_interrupt_allowed(vcpu->bv)) {
		backend_set_intr_window(vcpu->bv, true);
		return;
	}
	backend_set_intr_window(vcpu->bv, false);
	if (pic) {
		vec = vpic_ack(&vcpu->vm->pc->pic);
		if (vec < 0)
			return;
	}
	ev.vector = (uint8_t)vec;
	if (backend_inject_event(vcpu->bv, &ev) == 0 && !pic)
		vlapic_ack_vector(vcpu->lapic, (uint8_t)vec);
}

void vpc_init_state(struct guest_state *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < SEG_COUNT; i++) {
		st->seg[i].limit = 0xffff;
		st->seg[i].attr = SEG_RESET_DATA;
	}
	st->seg[SEG_CS].selector = 0xf000;
	st->seg[SEG_CS].base = 0xffff0000ull;
	st->seg[SEG_CS].attr = SEG_RESET_CODE;
	st->seg[SEG_LDTR].attr = SEG_ATTR_P | SEG_TYPE_LDT;
	st->seg[SEG_TR].attr = SEG_ATTR_P | SEG_TYPE_TSS16_BUSY;
	st->gdtr.limit = 0xffff;
	st->idtr.limit = 0xffff;
	st->cr0 = VPC_CR0_RESET;
	st->regs.rip = 0xfff0;
	st->regs.rflags = GUEST_RFLAGS_FIXED;
	st->regs.gpr[GPR_RDX] = 0x600;	/* family 6: what RDX holds after INIT */
	st->pat = 0x0007040600070406ull;
	st->dr6 = 0xffff0ff0;
	st->dr7 = 0x400;
}

/* INIT: the vCPU goes to its reset state and waits for a SIPI. */
static void vpc_do_init(struct vcpu *vcpu)
{
	struct guest_state st;

	vpc_init_state(&st);
	if (backend_set_state(vcpu->bv, &st)) {
		vm_stop(vcpu->vm, "vCPU %u: cannot take the INIT state", vcpu->id);
		return;
	}
	vlapic_init_signal(vcpu->lapic);
	vcpu->mp_state = VCPU_MP_WAIT_SIPI;
}

/* SIPI: real mode at vector * 4 KiB (CS = vector << 8, IP = 0). */
static void vpc_do_sipi(struct vcpu *vcpu, uint8_t vector)
{
	struct guest_state st;

	vpc_init_state(&st);
	st.seg[SEG_CS].selector = (uint16_t)vector << 8;
	st.seg[SEG_CS].base = (uint64_t)vector << 12;
	st.regs.rip = 0;
	if (backend_set_state(vcpu->bv, &st)) {
		vm_stop(vcpu->vm, "vCPU %u: cannot take the SIPI state", vcpu->id);
		return;
	}
	vcpu->mp_state = VCPU_MP_RUNNABLE;
	pr_debug("vm %s: vCPU %u started at %#x", vcpu->vm->name, vcpu->id, vector << 12);
}

bool vpc_vcpu_sipi_ready(struct vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->sipi_pending, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&vcpu->init_pending, __ATOMIC_ACQUIRE);
}

bool vpc_vcpu_runnable(struct vcpu *vcpu)
{
	if (__atomic_exchange_n(&vcpu->init_pending, 0, __ATOMIC_ACQUIRE))
		vpc_do_init(vcpu);
	if (vcpu->mp_state == VCPU_MP_WAIT_SIPI) {
		unsigned int s = __atomic_exchange_n(&vcpu->sipi_pending, 0, __ATOMIC_ACQUIRE);

		if (s & VPC_SIPI_VALID)
			vpc_do_sipi(vcpu, (uint8_t)s);
	}
	return vcpu->mp_state == VCPU_MP_RUNNABLE;
}

/* --- MSRs and MMIO ---------------------------------------------------------- */

int vpc_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	return vlapic_rdmsr(vcpu->lapic, msr, val);
}

int vpc_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	return vlapic_wrmsr(vcpu->lapic, msr, val);
}

bool vpc_mmio_claims(const struct vm *vm, uint64_t gpa)
{
	uint64_t page = gpa & PAGE_MASK;

	return page == VPC_LAPIC_BASE || page == VPC_IOAPIC_BASE;
}

/* The instruction at the guest's RIP: as many bytes as are readable. */
static size_t vpc_fetch_insn(struct vcpu *vcpu, const struct vm_exit *exit, uint8_t *code)
{
	uint64_t gla = exit->guest.cs_base + vcpu->bv->regs.rip, gpa;
	size_t got = 0;

	if (exit->guest.mode != GUEST_MODE_LONG64)
		gla &= 0xffffffffull;
	while (got < X86_INSN_MAX_LEN) {
		size_t chunk = MIN(X86_INSN_MAX_LEN - got,
				   PAGE_SIZE - ((gla + got) & (PAGE_SIZE - 1)));

		if (guest_linear_to_gpa(vcpu, exit, gla + got, &gpa) ||
		    guest_read_gpa(vcpu, gpa, code + got, chunk))
			break;
		got += chunk;
	}
	return got;
}

int vpc_handle_mmio(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct vpc *pc = vcpu->vm->pc;
	uint8_t code[X86_INSN_MAX_LEN];
	const struct vdev_mmio_ops *ops;
	struct mmio_insn insn;
	char bytes[3 * X86_INSN_MAX_LEN + 1];
	void *dev;
	size_t got;
	int err;

	if ((exit->gpa & PAGE_MASK) == VPC_LAPIC_BASE) {
		ops = &vlapic_mmio_ops;
		dev = vcpu->lapic;
	} else {
		ops = &vioapic_mmio_ops;
		dev = &pc->ioapic;
	}
	got = vpc_fetch_insn(vcpu, exit, code);
	err = mmio_decode(code, got, guest_mode_code_bits(exit->guest.mode), &insn);
	if (!err)
		err = mmio_emulate(&vcpu->bv->regs, &insn, exit->gpa, ops, dev);
	if (!err)
		return 0;
	mmio_format_bytes(bytes, sizeof(bytes), code, got);
	vm_stop(vcpu->vm, "vCPU %u: cannot emulate the MMIO access to %#llx by instruction [%s] at rip %#llx (%s)",
		vcpu->id, (unsigned long long)exit->gpa, bytes,
		(unsigned long long)vcpu->bv->regs.rip, errno_name(err));
	vcpu_dump_state(vcpu);
	return -1;
}

/* --- Console ------------------------------------------------------------------ */

size_t vpc_console_input(struct vm *vm, const uint8_t *buf, size_t n)
{
	struct vpc *pc = vm->pc;
	size_t room = vuart_rx_space(&pc->com1);

	return vuart_receive(&pc->com1, buf, MIN(n, room));
}

/* --- Building ------------------------------------------------------------------- */

static uint64_t vpc_read_tsc(void)
{
	return rdtsc();
}

static void vpc_build_ports(struct vpc *pc)
{
	vpc_claim(pc, 0x20, 0x21, &vpic_io_ops, &pc->pic, "pic master");
	vpc_claim(pc, 0xa0, 0xa1, &vpic_io_ops, &pc->pic, "pic slave");
	vpc_claim(pc, 0x4d0, 0x4d1, &vpic_io_ops, &pc->pic, "elcr");
	vpc_claim(pc, 0x40, 0x43, &vpit_io_ops, &pc->pit, "pit");
	vpc_claim(pc, 0x61, 0x61, &vpit_io_ops, &pc->pit, "port b");
	vpc_claim(pc, 0x60, 0x60, &vkbc_io_ops, &pc->kbc, "kbc data");
	vpc_claim(pc, 0x64, 0x64, &vkbc_io_ops, &pc->kbc, "kbc status");
	vpc_claim(pc, 0x92, 0x92, &vkbc_port92_io_ops, &pc->kbc, "port 92");
	vpc_claim(pc, 0x70, 0x71, &vrtc_io_ops, &pc->rtc, "rtc");
	vpc_claim(pc, VPC_POST_PORT, VPC_POST_PORT, &vpost_io_ops, &pc->post, "post");
	vpc_claim(pc, VPC_COM1_BASE, VPC_COM1_BASE + VUART_NR_PORTS - 1, &vuart_io_ops,
		  &pc->com1, "com1");
	vpc_claim(pc, VPC_COM2_BASE, VPC_COM2_BASE + VUART_NR_PORTS - 1, &vuart_io_ops,
		  &pc->com2, "com2");
	vpc_claim(pc, VACPI_PM_BASE, VACPI_PM_BASE + VACPI_PM_NR_PORTS - 1, &vacpi_pm_io_ops,
		  &pc->pm, "acpi pm");
	vpc_claim(pc, 0xcf8, 0xcf8, &vpci_io_ops, &pc->pci, "pci address");
	vpc_claim(pc, 0xcf9, 0xcf9, &vacpi_pm_reset_io_ops, &pc->pm, "reset");
	vpc_claim(pc, 0xcfa, 0xcff, &vpci_io_ops, &pc->pci, "pci data");
}

int vpc_create(struct vm *vm, const struct vpc_params *p)
{
	unsigned int n = vm_nr_vcpus(vm);
	struct vtimer_vcpu *bsp_timers = &vm->vcpus[0]->timers;
	struct irq_line intr = { .set = vpc_pic_intr };
	struct vpc *pc = kzalloc(sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->lapics = kcalloc(n, sizeof(*pc->lapics));
	if (!pc->lapics) {
		kfree(pc);
		return -ENOMEM;
	}
	pc->vm = vm;
	pc->power = p->power;
	intr.ctx = pc;
	for (unsigned int i = 0; i < 16; i++)
		pc->isa[i] = (struct irq_line){ .set = vpc_isa_irq_set, .ctx = pc, .line = i };

	vioapic_init(&pc->ioapic, &pc->bus);
	for (unsigned int i = 0; i < n; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		int err = vlapic_init(&pc->lapics[i], i, &vcpu->timers, &vpc_lapic_ops, vcpu,
				      time_now_ns, vpc_read_tsc, tsc_hz / 1000);

		BUG_ON(err);	/* fixed arguments: cannot fail */
		vapic_bus_attach(&pc->bus, &pc->lapics[i]);
		vcpu->lapic = &pc->lapics[i];
	}
	/* As a PC BIOS leaves it: the PIC reaches the BSP through LINT0. */
	vlapic_setup_virtual_wire(&pc->lapics[0]);
	vpic_init(&pc->pic, &intr);
	vpit_init(&pc->pit, bsp_timers, &pc->isa[VPC_IRQ_PIT], NULL);
	vrtc_init(&pc->rtc, bsp_timers, &pc->isa[VPC_IRQ_RTC], time_now_ns, p->wall_ns,
		  p->ram_low, p->ram_high);
	vuart_init(&pc->com1, VPC_COM1_BASE, &pc->isa[VPC_COM1_IRQ], p->console_tx, p->console_ctx);
	vuart_init(&pc->com2, VPC_COM2_BASE, &pc->isa[VPC_COM2_IRQ], NULL, NULL);
	vpci_init(&pc->pci);
	vacpi_pm_init(&pc->pm, &pc->isa[VPC_IRQ_SCI], &pc->power, time_now_ns);
	vkbc_init(&pc->kbc, &pc->power);
	vpc_build_ports(pc);
	/* Published before any vCPU of the VM runs (their start is a release). */
	vm->pc = pc;
	return 0;
}

void vpc_destroy(struct vm *vm)
{
	struct vpc *pc = vm->pc;

	if (!pc)
		return;
	vpit_destroy(&pc->pit);
	vrtc_destroy(&pc->rtc);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++) {
		vlapic_destroy(&pc->lapics[i]);
		vm->vcpus[i]->lapic = NULL;
	}
	vm->pc = NULL;
	kfree(pc->lapics);
	kfree(pc);
}
