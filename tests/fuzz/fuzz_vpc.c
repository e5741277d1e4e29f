/*
 * libFuzzer target for the whole virtual PC (core/pc/): a real VM with
 * 2-4 vCPUs on the fake backend of tests/host/test_vcpu_run_harness.h, its
 * platform the virtual PC with every device (QEMU's test devices too:
 * debug-exit on 0xf4, debugcon, fw_cfg, pc-testdev), driven through the core's
 * exit dispatch (vcpu_handle_exit()) and the platform table as a guest
 * and the run loop would drive them. Built by tests/fuzz/fuzz.mk with
 * the hosted shim; tests/fuzz/run.sh runs it.
 *
 * Input: byte 0 picks the number of vCPUs; then a sequence of operations,
 * each an opcode byte and its arguments (bytes past the end read as 0),
 * at most MAX_OPS of them:
 *   OUT / IN     a port (mostly one the PC claims, else any), size 1/2/4
 *   MMIO         a MOV of size 1/2/4/8 to or from the local APIC's or the
 *                IOAPIC's page (an EPT/NPT fault outside every memslot:
 *                the instruction is fetched from guest RAM, decoded and
 *                emulated), or arbitrary instruction bytes there
 *   RDMSR/WRMSR  APIC base, the x2APIC range, TSC deadline, kvmclock's
 *                two MSRs (paravirt=kvm: any value, so any address), or any
 *   TIME         the shim's virtual clock advances (up to about 1 s, 4 s
 *                in all); every vCPU's timers are brought up to date (as
 *                on each exit)
 *   VCPU         the next operations act on another vCPU
 *   INJECT       the platform's inject_pending() with the backend
 *                accepting or refusing interrupts and NMIs, IF set or not
 *   CONSOLE      bytes of console input to COM1
 *   RUNNABLE     the start-up check (INIT and SIPI taken) of the vCPU,
 *                then its load on a CPU (kvmclock rewritten)
 *
 * Invariants, each an abort() with a message (ASan and UBSan catch the
 * rest):
 *  - an IN leaves RAX as the architecture says: a 32-bit IN zero-extends,
 *    narrower ones keep the bits above their size; no other register
 *    moves, RIP advances by the instruction;
 *  - an MMIO MOV load does the same for its size (1, 2: merged; 4:
 *    zero-extended; 8: whole); a store changes no register; RIP advances;
 *  - RDMSR that succeeds leaves 32-bit halves in EAX and EDX; one that
 *    fails raises #GP (vector 13) and leaves RIP;
 *  - every event the platform injects is valid; an interrupt it injects
 *    comes only from inject_pending(); one from the local APIC is the
 *    vector it said was pending, never below 16;
 *  - no device state out of range: no local APIC pending vector below
 *    16, PIT channels in modes 0-5 with counts within the modulus, 8259
 *    ICW state within its steps, UART FIFO indices within the FIFO, the
 *    RTC's sub-second part below 1 s, the PCI address register with only
 *    its writable bits, the ACPI reset register with its three bits, the
 *    shutdown port's match below 8 characters, fw_cfg's offset within
 *    its longest item, pc-testdev's levels on its 24 lines only;
 *  - power-off and reset requests are counted, nothing more.
 */
#include "tests/host/test_vcpu_run_harness.h"
#include "asm/kvm_para.h"
#include "core/pc/vpc_priv.h"
#include "core/vm_platform.h"
#include "core/vtimer.h"

#define MAX_OPS		256
#define CODE_GPA	0x1000ull
#define CODE_RIP	CODE_GPA
#define TIME_START_NS	1000000000ull
#define TIME_BUDGET_NS	4000000000ull	/* virtual time an input may cover */

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_vpc: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

/* The input, read a byte at a time; zeros past its end. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static uint8_t next8(struct cursor *c)
{
	if (!c->left)
		return 0;
	c->left--;
	return *c->p++;
}

static uint16_t next16(struct cursor *c)
{
	return (uint16_t)(next8(c) | next8(c) << 8);
}

static uint32_t next32(struct cursor *c)
{
	return next16(c) | (uint32_t)next16(c) << 16;
}

static uint64_t next64(struct cursor *c)
{
	return next32(c) | (uint64_t)next32(c) << 32;
}

/* ------------------------------------------------------------------------
 * The clock and the backend's injection hook.
 */

static uint64_t vclock;

static uint64_t fuzz_clock(void)
{
	return vclock;
}

/* What inject_pending() may inject as an interrupt: -2 none (outside it). */
static int expect_lapic_vec = -2;
static bool in_inject;
static unsigned int injected;
static struct backend_ops fuzz_backend_ops;

static int fuzz_inject_event(struct backend_vcpu *bv, const struct vm_event *ev)
{
	FUZZ_ASSERT(vm_event_valid(ev));
	if (ev->type == EVENT_EXTINT) {
		FUZZ_ASSERT(in_inject);
		if (expect_lapic_vec >= 0)
			FUZZ_ASSERT(ev->vector == expect_lapic_vec && ev->vector >= 16);
	}
	if (ev->type == EVENT_NMI)
		FUZZ_ASSERT(in_inject && ev->vector == VEC_NMI);
	injected++;
	return fake_inject_event(bv, ev);
}

/* ------------------------------------------------------------------------
 * Operations.
 */

static const uint16_t claimed_ports[] = {
	0x20, 0x21, 0xa0, 0xa1,				/* 8259 pair */
	0x40, 0x41, 0x42, 0x43, 0x61,			/* 8254, port B */
	0x60, 0x64, 0x92,				/* keyboard controller, fast reset */
	0x70, 0x71,					/* CMOS/RTC */
	0x80,						/* POST */
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,	/* COM1 */
	0x2f8, 0x2f9, 0x2fa, 0x2fb, 0x2fc, 0x2fd, 0x2fe, 0x2ff,	/* COM2 */
	0x4d0, 0x4d1,					/* ELCR */
	0x600, 0x601, 0x602, 0x603, 0x604, 0x605,	/* ACPI PM1 */
	0x606, 0x607, 0x608, 0x609, 0x60a, 0x60b,	/* PM timer */
	0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff,	/* PCI, reset */
	0x8900,						/* Bochs shutdown */
	0xe9, 0xf4, 0xf5, 0xf6, 0xf7, 0x510, 0x511,	/* debugcon, debug-exit, fw_cfg */
	0x2000, 0x2001, 0x2002, 0x2009, 0x2010, 0x2012, 0x2016, 0x2017,	/* pc-testdev */
};

/* QEMU's test devices, every one on, as vms.cfg turns them on. */
static const struct vfw_cfg_config fuzz_fw_cfg = {
	.ram_size = 64ull << 20, .nr_cpus = 2, .max_cpus = 2, .kernel_addr = 0x10000,
	.kernel_size = 0x1000, .cmdline = "console=ttyS0",
};

static void fuzz_pc_params(struct vpc_params *pp)
{
	pp->debug_exit = true;
	pp->debug_exit_port = 0xf4;
	pp->debug_exit_size = 4;
	pp->debugcon = true;
	pp->testdev = true;
	pp->fw_cfg = &fuzz_fw_cfg;
	pp->kvm_paravirt = true;
}

static unsigned int pick_size(uint8_t b)
{
	static const unsigned int sizes[4] = { 1, 2, 4, 1 };

	return sizes[b & 3];
}

static uint16_t pick_port(struct cursor *c)
{
	uint8_t b = next8(c);

	if (b < 224)
		return claimed_ports[b % ARRAY_SIZE(claimed_ports)];
	return next16(c);
}

static uint64_t mask_of(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static struct vm_exit base_exit(enum vm_exit_reason reason, unsigned int len, uint8_t mode)
{
	struct vm_exit e;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	e.insn_len = (uint8_t)len;
	e.guest.mode = mode;
	e.guest.cr0 = X86_CR0_PE | X86_CR0_ET;
	return e;
}

/* Registers other than those the operation may write stay put. */
static void check_others(const struct guest_regs *before, const struct guest_regs *after,
			 unsigned int may1, unsigned int may2)
{
	for (unsigned int i = 0; i < GPR_COUNT; i++)
		if (i != may1 && i != may2)
			FUZZ_ASSERT(before->gpr[i] == after->gpr[i]);
}

static void op_port(struct rig *r, struct vcpu *vcpu, struct cursor *c, bool in)
{
	struct guest_regs *regs = &vcpu->bv->regs;
	unsigned int size = pick_size(next8(c));
	struct vm_exit e = base_exit(EXIT_IO, 1, GUEST_MODE_PROT32);
	struct guest_regs before;
	int ret;

	e.io.port = pick_port(c);
	e.io.size = (uint8_t)size;
	e.io.in = in;
	regs->gpr[GPR_RAX] = in ? next64(c) : next32(c);
	regs->rip = CODE_RIP;
	before = *regs;
	ret = vcpu_handle_exit(vcpu, &e);
	FUZZ_ASSERT(ret == 0 || ret == -1);
	if (ret)
		return;
	FUZZ_ASSERT(regs->rip == CODE_RIP + 1);
	check_others(&before, regs, in ? GPR_RAX : GPR_COUNT, GPR_COUNT);
	if (!in)
		return;
	if (size == 4)
		FUZZ_ASSERT(regs->gpr[GPR_RAX] >> 32 == 0);
	else
		FUZZ_ASSERT((regs->gpr[GPR_RAX] & ~mask_of(size)) ==
			    (before.gpr[GPR_RAX] & ~mask_of(size)));
}

/* MOV forms against [rAX]: the emulator takes the address from the fault. */
struct mov_form {
	uint8_t code[8];
	uint8_t len, size;
	bool load, imm, long64;
};

static const struct mov_form mov_forms[] = {
	{ { 0x89, 0x00 }, 2, 4, false, false, false },		/* mov [eax], eax */
	{ { 0x8b, 0x00 }, 2, 4, true, false, false },		/* mov eax, [eax] */
	{ { 0x88, 0x00 }, 2, 1, false, false, false },		/* mov [eax], al */
	{ { 0x8a, 0x00 }, 2, 1, true, false, false },		/* mov al, [eax] */
	{ { 0x66, 0x89, 0x00 }, 3, 2, false, false, false },	/* mov [eax], ax */
	{ { 0x66, 0x8b, 0x00 }, 3, 2, true, false, false },	/* mov ax, [eax] */
	{ { 0x48, 0x89, 0x00 }, 3, 8, false, false, true },	/* mov [rax], rax */
	{ { 0x48, 0x8b, 0x00 }, 3, 8, true, false, true },	/* mov rax, [rax] */
	{ { 0xc7, 0x00 }, 6, 4, false, true, false },		/* mov dword [eax], imm32 */
};

static uint8_t *guest_code(struct rig *r)
{
	return (uint8_t *)phys_to_virt(r->ram) + CODE_GPA;
}

static uint64_t pick_mmio_gpa(struct cursor *c)
{
	uint8_t b = next8(c);
	uint64_t base = b & 1 ? PC_IOAPIC_BASE : PC_LAPIC_BASE;
	uint64_t off = b & 2 ? (uint64_t)(next8(c) & 0xff) << 4 : next16(c) & 0xfff;

	return base + off;
}

static void op_mmio(struct rig *r, struct vcpu *vcpu, struct cursor *c)
{
	const struct mov_form *f = &mov_forms[next8(c) % ARRAY_SIZE(mov_forms)];
	struct guest_regs *regs = &vcpu->bv->regs;
	struct vm_exit e = base_exit(EXIT_TDP_FAULT, 0,
				     f->long64 ? GUEST_MODE_LONG64 : GUEST_MODE_PROT32);
	struct guest_regs before;
	uint8_t *code = guest_code(r);
	uint32_t imm = next32(c);
	int ret;

	memset(code, 0x90, X86_INSN_MAX_LEN);
	memcpy(code, f->code, f->len);
	if (f->imm)
		memcpy(code + 2, &imm, 4);
	e.gpa = pick_mmio_gpa(c);
	e.gpa_valid = true;
	e.tdp.write = !f->load;
	e.tdp.read = f->load;
	e.tdp.final = true;
	regs->gpr[GPR_RAX] = next64(c);
	regs->rip = CODE_RIP;
	before = *regs;
	ret = vcpu_handle_exit(vcpu, &e);
	FUZZ_ASSERT(ret == 0 || ret == -1);
	if (ret)
		return;
	FUZZ_ASSERT(regs->rip == CODE_RIP + f->len);
	check_others(&before, regs, f->load ? GPR_RAX : GPR_COUNT, GPR_COUNT);
	if (!f->load)
		return;
	if (f->size == 4)
		FUZZ_ASSERT(regs->gpr[GPR_RAX] >> 32 == 0);
	else if (f->size < 4)
		FUZZ_ASSERT((regs->gpr[GPR_RAX] & ~mask_of(f->size)) ==
			    (before.gpr[GPR_RAX] & ~mask_of(f->size)));
}

/* Arbitrary instruction bytes against a device page, in any mode. */
static void op_mmio_raw(struct rig *r, struct vcpu *vcpu, struct cursor *c)
{
	static const uint8_t modes[4] = {
		GUEST_MODE_REAL, GUEST_MODE_PROT16, GUEST_MODE_PROT32, GUEST_MODE_LONG64,
	};
	struct guest_regs *regs = &vcpu->bv->regs;
	struct vm_exit e = base_exit(EXIT_TDP_FAULT, 0, modes[next8(c) & 3]);
	uint8_t *code = guest_code(r);
	int ret;

	for (unsigned int i = 0; i < X86_INSN_MAX_LEN; i++)
		code[i] = next8(c);
	e.gpa = pick_mmio_gpa(c);
	e.gpa_valid = true;
	e.tdp.write = next8(c) & 1;
	e.tdp.read = !e.tdp.write;
	regs->rip = CODE_RIP;
	ret = vcpu_handle_exit(vcpu, &e);
	FUZZ_ASSERT(ret == 0 || ret == -1);
	if (!ret)
		FUZZ_ASSERT(regs->rip > CODE_RIP && regs->rip <= CODE_RIP + X86_INSN_MAX_LEN);
}

static uint32_t pick_msr(struct cursor *c)
{
	uint8_t b = next8(c);

	switch (b & 7) {
	case 0:
	case 1:
		return MSR_IA32_APIC_BASE;
	case 2:
		return 0x6e0;			/* IA32_TSC_DEADLINE */
	case 3:
		if (b & 8)
			return b & 16 ? MSR_KVM_SYSTEM_TIME_NEW : MSR_KVM_WALL_CLOCK_NEW;
		return next32(c);
	default:
		return 0x800 + next8(c);	/* the x2APIC range */
	}
}

static void op_msr(struct rig *r, struct vcpu *vcpu, struct cursor *c, bool write)
{
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct guest_regs *regs = &vcpu->bv->regs;
	struct vm_exit e = base_exit(write ? EXIT_MSR_WRITE : EXIT_MSR_READ, 2,
				     GUEST_MODE_PROT32);
	struct guest_regs before;
	int ret;

	e.msr.index = pick_msr(c);
	regs->gpr[GPR_RAX] = write ? next32(c) : next64(c);
	regs->gpr[GPR_RDX] = write ? next32(c) : next64(c);
	regs->gpr[GPR_RCX] = e.msr.index;
	regs->rip = CODE_RIP;
	f->queued.valid = false;
	before = *regs;
	ret = vcpu_handle_exit(vcpu, &e);
	FUZZ_ASSERT(ret == 0 || ret == -1);
	if (ret)
		return;
	if (f->queued.valid) {
		FUZZ_ASSERT(f->queued.type == EVENT_EXCEPTION && f->queued.vector == VEC_GP);
		FUZZ_ASSERT(regs->rip == CODE_RIP);
		check_others(&before, regs, GPR_COUNT, GPR_COUNT);
		f->queued.valid = false;
		return;
	}
	FUZZ_ASSERT(regs->rip == CODE_RIP + 2);
	if (write) {
		check_others(&before, regs, GPR_COUNT, GPR_COUNT);
		return;
	}
	check_others(&before, regs, GPR_RAX, GPR_RDX);
	FUZZ_ASSERT(regs->gpr[GPR_RAX] >> 32 == 0 && regs->gpr[GPR_RDX] >> 32 == 0);
}

/*
 * Up to about 1 s a step and TIME_BUDGET_NS an input: the PIT delivers
 * every period of at least VPIT_MIN_PERIOD_NS as a pulse (DELAY_MISSED),
 * so the work of a step grows with the time it covers.
 */
static void op_time(struct rig *r, struct cursor *c)
{
	uint8_t shift = next8(c);
	uint64_t delta = (uint64_t)next16(c) << (shift % 15);

	if (vclock + delta > TIME_START_NS + TIME_BUDGET_NS)
		delta = TIME_START_NS + TIME_BUDGET_NS - vclock;
	vclock += delta;
	for (unsigned int i = 0; i < vm_nr_vcpus(r->vm); i++)
		vtimer_update_irq(&r->vm->vcpus[i]->timers, vclock);
}

static void op_inject(struct rig *r, struct vcpu *vcpu, struct cursor *c)
{
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vlapic *lapic = &vpc_vcpu_of(vcpu)->lapic;
	uint8_t b = next8(c);

	f->refuse_intr = b & 1;
	f->nmi_blocked = b & 2;
	if (b & 4)
		vcpu->bv->regs.rflags |= X86_RFLAGS_IF;
	else
		vcpu->bv->regs.rflags &= ~X86_RFLAGS_IF;
	if (!(b & 8))
		f->queued.valid = false;	/* the last one reached the guest */
	expect_lapic_vec = vlapic_pending_vector(lapic);
	in_inject = true;
	vm_platform_inject_pending(vcpu);
	in_inject = false;
	expect_lapic_vec = -2;
	(void)vm_platform_irq_pending(vcpu);
	(void)vm_platform_wake_pending(vcpu);
}

static void op_console(struct rig *r, struct cursor *c)
{
	uint8_t buf[32];
	size_t n = next8(c) % sizeof(buf);

	for (size_t i = 0; i < n; i++)
		buf[i] = next8(c);
	FUZZ_ASSERT(vpc_console_input(r->vm, buf, n) <= n);
}

/* ------------------------------------------------------------------------
 * Device state.
 */

static void check_state(struct rig *r, unsigned int nr_vcpus)
{
	struct vpc *pc = vpc_of(r->vm);
	const struct vuart *uarts[2] = { &pc->com1, &pc->com2 };

	FUZZ_ASSERT(pc->nr_cpus == nr_vcpus);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		int vec = vlapic_pending_vector(&pc->cpus[i].lapic);

		FUZZ_ASSERT(vec == -1 || (vec >= 16 && vec <= 255));
	}
	for (unsigned int i = 0; i < VPIT_CHANNELS; i++) {
		const struct vpit_channel *ch = &pc->pit.ch[i];

		FUZZ_ASSERT(ch->mode <= 5);
		FUZZ_ASSERT(ch->count <= 0x10000 && ch->base_value <= 0x10000);
	}
	for (unsigned int i = 0; i < 2; i++) {
		const struct vpic_chip *chip = &pc->pic.chip[i];

		FUZZ_ASSERT((chip->vector_base & 7) == 0);
		FUZZ_ASSERT(chip->lowest <= 7 && chip->init_step <= 4);
	}
	for (unsigned int i = 0; i < 2; i++) {
		FUZZ_ASSERT(uarts[i]->rx_head < VUART_FIFO_SIZE);
		FUZZ_ASSERT(uarts[i]->rx_count <= VUART_FIFO_SIZE);
	}
	FUZZ_ASSERT(pc->rtc.wall_frac < 1000000000u);
	FUZZ_ASSERT((pc->pci.address & ~VPCI_ADDR_WRITABLE) == 0);
	FUZZ_ASSERT((pc->pm.reset & ~0x0eu) == 0);
	FUZZ_ASSERT(r->com1_len < sizeof(r->com1));
	FUZZ_ASSERT(pc->shutdown.matched < VSHUTDOWN_LEN);
	FUZZ_ASSERT(pc->fw_cfg.offset <= VFW_CFG_CMDLINE_MAX);
	FUZZ_ASSERT((pc->testdev.levels >> VTESTDEV_NR_LINES) == 0);
}

/* ------------------------------------------------------------------------
 * The entry points.
 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_level_max = -1;	/* a stopped VM's report is expected, and slow */
	shim_set_clock(fuzz_clock);
	rig_harness_init();
	rig_pc_params = fuzz_pc_params;
	fuzz_backend_ops = fake_backend_ops;
	fuzz_backend_ops.inject_event = fuzz_inject_event;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	unsigned int nr_vcpus = 2 + next8(&c) % 3, cur = 0;
	struct rig r;

	vclock = TIME_START_NS;
	rig_init(&r, RIG_PC, nr_vcpus);
	backend = &fuzz_backend_ops;
	for (unsigned int n = 0; n < MAX_OPS && c.left; n++) {
		struct vcpu *vcpu = r.vm->vcpus[cur];

		switch (next8(&c) % 13) {
		case 0:
		case 1:
			op_port(&r, vcpu, &c, false);
			break;
		case 2:
		case 3:
			op_port(&r, vcpu, &c, true);
			break;
		case 4:
			op_mmio(&r, vcpu, &c);
			break;
		case 5:
			op_mmio_raw(&r, vcpu, &c);
			break;
		case 6:
			op_msr(&r, vcpu, &c, false);
			break;
		case 7:
			op_msr(&r, vcpu, &c, true);
			break;
		case 8:
			op_time(&r, &c);
			break;
		case 9:
			cur = next8(&c) % nr_vcpus;
			break;
		case 10:
			op_inject(&r, vcpu, &c);
			break;
		case 11:
			op_console(&r, &c);
			break;
		default:
			(void)vm_platform_vcpu_runnable(vcpu);
			vm_platform_vcpu_load(vcpu);
			break;
		}
		check_state(&r, nr_vcpus);
	}
	rig_destroy(&r);
	return 0;
}
