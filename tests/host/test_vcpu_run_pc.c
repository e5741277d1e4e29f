/*
 * Hosted test of the run loop (core/vcpu_run.c) and the exit dispatch
 * (core/vcpu_exit.c) on a VM with the virtual PC (core/pc/vpc.c,
 * core/pc/vpc_vcpu.c), driven by the fake backend of
 * tests/host/test_vcpu_run_harness.h.
 *
 * Scenarios: injection priority (NMI, then the local APIC, then the 8259),
 * with the 8259's INTA only when its vector is really injected; HLT ended
 * by a local APIC interrupt and by an NMI sent from another thread; an AP
 * waiting for its SIPI and starting at vector << 12, and INIT cancelling
 * only a SIPI that came before it; the PC's own ports, device pages and
 * MSRs, and what the test-payload ABI no longer reaches (port 0xE9, the
 * hypercalls); CPUID offering x2APIC and the TSC-deadline timer, and both
 * reached through RDMSR/WRMSR exits: the mode switches the SDM allows and
 * the #GP of those it forbids, and IA32_TSC_DEADLINE in the guest's TSC
 * (the host's plus the backend's offset); IA32_TSC_AUX per vCPU.
 */
#include "asm/cpu.h"
#include "asm/cpuid.h"
#include "asm/msr.h"
#include "asm/tsc.h"
#include "core/pc/vpc_priv.h"
#include "tests/host/test_vcpu_run_harness.h"

#define VEC_UD 6

static struct rig rig;

/* vCPU 0 of a fresh PC VM, runnable, its local APIC software-enabled. */
static struct vcpu *setup(unsigned int nr_vcpus)
{
	struct guest_state st;
	struct vcpu *vcpu;

	rig_init(&rig, RIG_PC, nr_vcpus);
	vcpu = rig_vcpu(&rig, 0);
	guest_state_init_flat32(&st, 0x1000, 0x08, 0x10);
	st.regs.rflags |= X86_RFLAGS_IF;
	CHECK_EQ(vpc_vcpu_set_start(vcpu, &st), 0);
	for (unsigned int i = 0; i < nr_vcpus; i++)
		vlapic_mmio_write(&vpc_vcpu_of(rig_vcpu(&rig, i))->lapic, APIC_REG_SVR, 4,
				  0x1ff);
	return vcpu;
}

static uint32_t port_in(struct vcpu *vcpu, uint16_t port)
{
	uint32_t val = 0;

	CHECK_EQ(vm_platform_port_io(vcpu, port, 1, true, &val), 0);
	return val & 0xff;
}

static void port_out(struct vcpu *vcpu, uint16_t port, uint8_t val)
{
	uint32_t v = val;

	CHECK_EQ(vm_platform_port_io(vcpu, port, 1, false, &v), 0);
}

/* The master 8259 as Linux sets it up: vectors 0x20-0x27, only IRQ 1 open. */
static void pic_setup(struct vcpu *vcpu)
{
	port_out(vcpu, 0x20, 0x11);
	port_out(vcpu, 0x21, 0x20);
	port_out(vcpu, 0x21, 0x04);
	port_out(vcpu, 0x21, 0x01);
	port_out(vcpu, 0x21, 0xfd);
}

static uint8_t pic_isr(struct vcpu *vcpu)
{
	port_out(vcpu, 0x20, 0x0b);		/* OCW3: read ISR */
	return (uint8_t)port_in(vcpu, 0x20);
}

static void check_delivered(struct fake_vcpu *f, unsigned int i, uint8_t type, uint8_t vector)
{
	CHECK(i < f->nr_delivered);
	if (i >= f->nr_delivered)
		return;
	CHECK_EQ(f->delivered[i].type, type);
	CHECK_EQ(f->delivered[i].vector, vector);
}

/* --- Injection ------------------------------------------------------------- */

/*
 * All three sources at once: the NMI goes first, the local APIC's vector
 * at the next entry, the 8259's last; each later one waits in its source
 * (the window open) while an earlier one is queued.
 */
static void case_injection_priority(void)
{
	struct vcpu *vcpu = setup(1);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vpc *pc = vpc_of(vcpu->vm);

	pic_setup(vcpu);
	vpic_set_irq(&pc->pic, 1, 1);
	vlapic_set_irq(&vpc_vcpu_of(vcpu)->lapic, 0x40, false);
	vpc_lapic_ops.nmi(vcpu);

	vm_platform_inject_pending(vcpu);
	CHECK(f->queued.valid);
	CHECK_EQ(f->queued.type, EVENT_NMI);
	CHECK(f->intr_window);			/* the interrupts wait */
	CHECK_EQ(pic_isr(vcpu), 0);		/* no INTA yet */
	fake_enter(f);

	vm_platform_inject_pending(vcpu);
	CHECK(f->queued.valid);
	CHECK_EQ(f->queued.vector, 0x40);
	CHECK(vpic_has_interrupt(&pc->pic));
	CHECK_EQ(pic_isr(vcpu), 0);
	fake_enter(f);

	vm_platform_inject_pending(vcpu);
	CHECK_EQ(f->queued.vector, 0x21);
	CHECK_EQ(pic_isr(vcpu), 0x02);		/* INTA: IRQ 1 in service */
	fake_enter(f);

	vm_platform_inject_pending(vcpu);	/* nothing left */
	CHECK(!f->queued.valid);
	CHECK(!f->intr_window);
	CHECK_EQ(f->nr_delivered, 3);
	check_delivered(f, 0, EVENT_NMI, 2);
	check_delivered(f, 1, EVENT_EXTINT, 0x40);
	check_delivered(f, 2, EVENT_EXTINT, 0x21);
	rig_destroy(&rig);
}

/*
 * The backend refuses (the guest cannot take an interrupt now): the 8259
 * keeps its request, no INTA happened, the window is open; the next try
 * injects it.
 */
static void case_pic_inta_only_when_injected(void)
{
	struct vcpu *vcpu = setup(1);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct vpc *pc = vpc_of(vcpu->vm);

	pic_setup(vcpu);
	vpic_set_irq(&pc->pic, 1, 1);
	f->refuse_intr = 1;
	vm_platform_inject_pending(vcpu);
	CHECK(!f->queued.valid);
	CHECK(f->intr_window);
	CHECK(vpic_has_interrupt(&pc->pic));
	CHECK_EQ(pic_isr(vcpu), 0);

	f->bv.regs.rflags &= ~X86_RFLAGS_IF;	/* and with IF clear */
	vm_platform_inject_pending(vcpu);
	CHECK(!f->queued.valid);
	CHECK_EQ(pic_isr(vcpu), 0);

	f->bv.regs.rflags |= X86_RFLAGS_IF;
	vm_platform_inject_pending(vcpu);
	CHECK(f->queued.valid);
	CHECK_EQ(f->queued.vector, 0x21);
	CHECK(!f->intr_window);
	CHECK_EQ(pic_isr(vcpu), 0x02);
	CHECK(!vpic_has_interrupt(&pc->pic));
	rig_destroy(&rig);
}

/* An NMI while NMIs are blocked waits for the NMI window. */
static void case_nmi_window(void)
{
	struct vcpu *vcpu = setup(1);
	struct fake_vcpu *f = fake_vcpu(vcpu);

	f->nmi_blocked = true;
	vpc_lapic_ops.nmi(vcpu);
	vm_platform_inject_pending(vcpu);
	CHECK(!f->queued.valid);
	CHECK(f->nmi_window);
	f->nmi_blocked = false;
	vm_platform_inject_pending(vcpu);
	CHECK(f->queued.valid);
	CHECK_EQ(f->queued.type, EVENT_NMI);
	CHECK(!f->nmi_window);
	fake_enter(f);
	vm_platform_inject_pending(vcpu);
	CHECK(!f->queued.valid);		/* one NMI, delivered once */
	rig_destroy(&rig);
}

/* --- HLT ----------------------------------------------------------------- */

struct hlt_wake {
	bool if_set;
	bool nmi;	/* wake with an NMI rather than a fixed interrupt */
};

static void hlt_round(const struct hlt_wake *how)
{
	struct vcpu *vcpu = setup(1);
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct worker w;

	if (!how->if_set)
		f->bv.regs.rflags = X86_RFLAGS_FIXED;
	fake_push(f, EXIT_HLT, 1);
	worker_start(&w, 1, rig_vcpu_thread, vcpu);
	CHECK(rig_wait_blocked(vcpu));
	rig_sleep_ms(10);
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 1);
	/* From this thread, as another vCPU's IPI or a device would. */
	if (how->nmi)
		vpc_lapic_ops.nmi(vcpu);
	else
		vlapic_set_irq(&vpc_vcpu_of(vcpu)->lapic, 0x51, false);
	worker_join(&w);
	CHECK_EQ(f->runs, 2);
	CHECK_EQ(f->entry_rip[1], 0x1001);
	CHECK_EQ(f->nr_delivered, 1);
	if (how->nmi)
		check_delivered(f, 0, EVENT_NMI, 2);
	else
		check_delivered(f, 0, EVENT_EXTINT, 0x51);
	rig_destroy(&rig);
}

static void case_hlt_wakes_on_interrupt(void)
{
	static const struct hlt_wake intr = { .if_set = true };

	hlt_round(&intr);
}

/* An NMI ends HLT even with interrupts off. */
static void case_hlt_wakes_on_nmi(void)
{
	static const struct hlt_wake nmi = { .if_set = false, .nmi = true };

	hlt_round(&nmi);
}

/* --- INIT and SIPI ----------------------------------------------------------- */

static void check_sipi_state(struct fake_vcpu *f, uint8_t vector)
{
	CHECK_EQ(f->state.seg[SEG_CS].selector, vector << 8);
	CHECK_EQ(f->state.seg[SEG_CS].base, (uint64_t)vector << 12);
	CHECK_EQ(f->state.regs.rip, 0);
	CHECK_EQ(f->state.regs.gpr[GPR_RDX], 0x600);
	CHECK_EQ(f->state.cr0, X86_CR0_RESET);
}

/* An AP blocks waiting for SIPI, then starts in real mode at vector << 12. */
static void case_ap_waits_for_sipi(void)
{
	struct vcpu *ap;
	struct fake_vcpu *f;
	struct worker w;

	setup(2);
	ap = rig_vcpu(&rig, 1);
	f = fake_vcpu(ap);
	worker_start(&w, 1, rig_vcpu_thread, ap);
	CHECK(rig_wait_blocked(ap));
	rig_sleep_ms(10);
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 0);
	vpc_lapic_ops.init(ap);
	rig_sleep_ms(10);
	CHECK_EQ(__atomic_load_n(&f->runs, __ATOMIC_RELAXED), 0);	/* INIT alone */
	vpc_lapic_ops.sipi(ap, 0x9a);
	worker_join(&w);
	CHECK_EQ(f->runs, 1);
	CHECK_EQ(f->entry_rip[0], 0);
	check_sipi_state(f, 0x9a);
	CHECK_STR(rig.vm->stop_reason, "script over");
	rig_destroy(&rig);
}

/*
 * INIT cancels a SIPI that came before it, never one that comes after,
 * however late the AP looks: SIPI, INIT leaves it waiting; SIPI, INIT,
 * SIPI starts it at the second vector.
 */
static void case_init_sipi_order(void)
{
	struct vcpu *ap;
	struct fake_vcpu *f;

	setup(2);
	ap = rig_vcpu(&rig, 1);
	f = fake_vcpu(ap);
	CHECK(!vm_platform_vcpu_runnable(ap));
	CHECK(!vm_platform_vcpu_start_ready(ap));
	vpc_lapic_ops.sipi(ap, 0x10);
	vpc_lapic_ops.init(ap);
	CHECK(vm_platform_vcpu_start_ready(ap));	/* the INIT wakes it ... */
	CHECK(!vm_platform_vcpu_runnable(ap));		/* ... to wait again */
	CHECK(!vm_platform_vcpu_start_ready(ap));
	vpc_lapic_ops.sipi(ap, 0x10);
	vpc_lapic_ops.init(ap);
	vpc_lapic_ops.sipi(ap, 0x20);
	CHECK(vm_platform_vcpu_runnable(ap));
	check_sipi_state(f, 0x20);
	/* A SIPI to a running CPU is ignored. */
	vpc_lapic_ops.sipi(ap, 0x30);
	CHECK(vm_platform_vcpu_runnable(ap));
	CHECK_EQ(f->state.seg[SEG_CS].base, 0x20000);
	rig_destroy(&rig);
}

/* --- Ports, device pages, MSRs, no hypervisor interface ------------------------ */

static struct vm_exit mk_exit(enum vm_exit_reason reason, unsigned int insn_len)
{
	struct vm_exit e = { .reason = reason, .insn_len = (uint8_t)insn_len };

	e.guest.mode = GUEST_MODE_PROT32;
	return e;
}

/*
 * COM1 reaches the console; 0xE9 is an empty port here (reads all ones,
 * writes dropped); VMCALL raises #UD as on a PC without a hypervisor.
 */
static void case_pc_ports_and_vmcall(void)
{
	struct vcpu *vcpu = setup(1);
	struct vm_exit e = mk_exit(EXIT_IO, 1);
	uint64_t *rax = &vcpu->bv->regs.gpr[GPR_RAX];

	e.io.port = PC_COM1_BASE;
	e.io.size = 1;
	*rax = 'x';
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	e.io.port = 0xe9;
	*rax = 'y';
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(rig.com1_len, 1);
	CHECK_EQ(rig.com1[0], 'x');
	e.io.in = true;
	*rax = 0;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(*rax, 0xff);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1003);

	e = mk_exit(EXIT_VMCALL, 3);
	*rax = HC_VCPU_ID;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK(fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(fake_vcpu(vcpu)->queued.type, EVENT_EXCEPTION);
	CHECK_EQ(fake_vcpu(vcpu)->queued.vector, VEC_UD);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1003);
	CHECK(!vm_is_stopped(vcpu->vm));
	rig_destroy(&rig);
}

/*
 * A read of the local APIC's version register, emulated from the
 * instruction in guest memory; an instruction the emulator refuses stops
 * the VM naming its bytes.
 */
static void case_pc_mmio(void)
{
	static const uint8_t mov[] = { 0x8b, 0x05, 0x30, 0x00, 0xe0, 0xfe };	/* mov eax,[..] */
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct vcpu *vcpu = setup(1);
	struct vm_exit e = mk_exit(EXIT_TDP_FAULT, 0);
	uint64_t lvr;

	vlapic_mmio_read(&vpc_vcpu_of(vcpu)->lapic, APIC_REG_LVR, 4, &lvr);
	CHECK(lvr != 0);
	CHECK_EQ(guest_write_gpa(vcpu, 0x1000, mov, sizeof(mov)), 0);
	CHECK_EQ(guest_write_gpa(vcpu, 0x2000, ud2, sizeof(ud2)), 0);
	e.gpa = PC_LAPIC_BASE + APIC_REG_LVR;
	e.tdp.read = true;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RAX], lvr);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1006);
	vcpu->bv->regs.rip = 0x2000;
	CHECK(vcpu_handle_exit(vcpu, &e) < 0);
	CHECK(strstr(vcpu->vm->stop_reason, "cannot emulate the MMIO access to 0xfee00030"));
	CHECK(strstr(vcpu->vm->stop_reason, "[0f 0b"));
	CHECK(vcpu->vm->stop_error);
	CHECK_EQ(fake_vcpu(vcpu)->dumps, 0);	/* the report's, after the loops */
	vm_print_error_dump(vcpu->vm);
	CHECK_EQ(fake_vcpu(vcpu)->dumps, 1);
	rig_destroy(&rig);
}

static char logged[4096];
static size_t logged_len;

static void log_capture(const char *s, size_t n)
{
	n = MIN(n, sizeof(logged) - 1 - logged_len);
	memcpy(logged + logged_len, s, n);
	logged_len += n;
	logged[logged_len] = '\0';
}

static unsigned int count_lines(const char *what)
{
	unsigned int n = 0;

	for (const char *p = logged; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* An emulated access by the instruction at 0x1000 to gpa; RIP back at 0x1000. */
static int access_at(struct vcpu *vcpu, uint64_t gpa, bool write)
{
	struct vm_exit e = mk_exit(EXIT_TDP_FAULT, 0);
	int ret;

	e.gpa = gpa;
	e.tdp.read = !write;
	e.tdp.write = write;
	vcpu->bv->regs.rip = 0x1000;
	ret = vcpu_handle_exit(vcpu, &e);
	if (!ret)
		CHECK_EQ(vcpu->bv->regs.rip, 0x1006);
	return ret;
}

/*
 * Guest-physical space nothing backs is an open bus: a read returns all
 * ones, a write is dropped, the VM goes on; one log line per region. The
 * ROM (a read-only memslot) drops a write and keeps its bytes, an RMW
 * reading them. With unbacked=stop the VM stops as it used to.
 */
static void case_pc_open_bus(void)
{
	static const uint8_t load[] = { 0x8b, 0x05, 0, 0, 0, 0 };	/* mov eax,[m] */
	static const uint8_t store[] = { 0x89, 0x05, 0, 0, 0, 0 };	/* mov [m],eax */
	static const uint8_t add[] = { 0x01, 0x05, 0, 0, 0, 0 };	/* add [m],eax */
	static const uint8_t rom[4] = { 0x12, 0x34, 0x56, 0x78 };
	struct vcpu *vcpu = setup(1);
	struct vm_memslots *m = &vcpu->vm->memslots;
	uint64_t *rax = &vcpu->bv->regs.gpr[GPR_RAX];
	uint8_t back[4];

	/* The PC's low MiB: RAM, then the ROM's read-only slot from 0xc0000. */
	CHECK_EQ(memslots_delete(m, 0), 0);
	CHECK_EQ(memslots_create(m, 0, 0, PC_ROM_START >> PAGE_SHIFT, rig.ram, 0), 0);
	CHECK_EQ(memslots_create(m, 1, PC_ROM_START >> PAGE_SHIFT,
				 (PC_ROM_END - PC_ROM_START) >> PAGE_SHIFT, rig.ram + PC_ROM_START,
				 MEMSLOT_READONLY), 0);
	CHECK_EQ(guest_write_gpa(vcpu, 0xc0010, rom, sizeof(rom)), -EFAULT);	/* read-only */
	memcpy((uint8_t *)phys_to_virt(rig.ram) + 0xc0010, rom, sizeof(rom));
	logged_len = 0;
	shim_set_console_write(log_capture);

	CHECK_EQ(guest_write_gpa(vcpu, 0x1000, load, sizeof(load)), 0);
	*rax = 0x1234567800000000ull;
	CHECK_EQ(access_at(vcpu, 0x200000, false), 0);
	CHECK_EQ(*rax, 0xffffffffull);
	CHECK_EQ(count_lines("vm pc: unbacked guest-physical 0x200000 (read, all ones); "
			     "further accesses to [0x100000, 0xfec00000) are not logged"), 1);
	CHECK_EQ(access_at(vcpu, 0xfec00000 - 4, false), 0);
	CHECK_EQ(guest_write_gpa(vcpu, 0x1000, store, sizeof(store)), 0);
	CHECK_EQ(access_at(vcpu, 0x300000, true), 0);
	CHECK_EQ(count_lines("unbacked guest-physical"), 1);	/* same region */
	CHECK_EQ(access_at(vcpu, 0xfee01000, true), 0);
	CHECK_EQ(count_lines("vm pc: unbacked guest-physical 0xfee01000 (write, dropped); "
			     "further accesses to [0xfee01000, 0x100000000) are not logged"), 1);
	CHECK_EQ(access_at(vcpu, 1ull << 40, true), 0);
	CHECK_EQ(count_lines("further accesses to [0x100000000, 0x10000000000000)"), 1);

	/* The ROM: the write is dropped, an RMW reads what is there. */
	*rax = 0x11111111;
	CHECK_EQ(access_at(vcpu, 0xc0010, true), 0);
	CHECK_EQ(guest_write_gpa(vcpu, 0x1000, add, sizeof(add)), 0);
	CHECK_EQ(access_at(vcpu, 0xc0010, true), 0);
	CHECK_EQ(guest_read_gpa(vcpu, 0xc0010, back, sizeof(back)), 0);
	CHECK(memcmp(back, rom, sizeof(rom)) == 0);
	/* 0x78563412 + 0x11111111: SF set, CF clear (all ones would carry). */
	CHECK_EQ(vcpu->bv->regs.rflags & (BIT(7) | BIT(0)), BIT(7));
	CHECK_EQ(count_lines("vm pc: write to ROM at guest-physical 0xc0010 dropped"), 1);
	CHECK_EQ(count_lines("\n"), 4);			/* three regions, the ROM */
	CHECK(!vm_is_stopped(vcpu->vm));

	/* unbacked=stop: the access stops the VM, naming the address. */
	vpc_of(vcpu->vm)->unbacked_stop = true;
	CHECK(access_at(vcpu, 0x200000, false) < 0);
	CHECK(strstr(vcpu->vm->stop_reason, "touched guest-physical 0x200000 outside every memslot"));
	shim_set_console_write(NULL);
	rig_destroy(&rig);
}

/* The local APIC's MSRs belong to the platform; its #GP reaches the guest. */
static void case_pc_msrs(void)
{
	struct vcpu *vcpu = setup(2);
	struct vcpu *ap = rig_vcpu(&rig, 1);
	struct vm_exit e = mk_exit(EXIT_MSR_READ, 2);
	uint64_t *gpr = vcpu->bv->regs.gpr;

	e.msr.index = MSR_IA32_APIC_BASE;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(gpr[GPR_RAX], APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP);
	CHECK_EQ(vcpu_handle_exit(ap, &e), 0);
	CHECK_EQ(ap->bv->regs.gpr[GPR_RAX], APIC_BASE_DEFAULT | APIC_BASE_EN);
	e.msr.index = 0x830;			/* x2APIC ICR outside x2APIC mode */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK(fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(fake_vcpu(vcpu)->queued.vector, 13);
	CHECK_EQ(vcpu->bv->regs.rip, 0x1002);
	rig_destroy(&rig);
}

/* RDMSR/WRMSR exit on vcpu: true if it raised #GP (RIP stays), else RIP moved. */
static bool msr_gp(struct vcpu *vcpu, bool write, uint32_t msr, uint64_t *val)
{
	struct vm_exit e = mk_exit(write ? EXIT_MSR_WRITE : EXIT_MSR_READ, 2);
	uint64_t *gpr = vcpu->bv->regs.gpr;
	uint64_t rip = vcpu->bv->regs.rip;
	bool gp;

	fake_vcpu(vcpu)->queued.valid = false;
	e.msr.index = msr;
	if (write) {
		gpr[GPR_RAX] = (uint32_t)*val;
		gpr[GPR_RDX] = *val >> 32;
	}
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	gp = fake_vcpu(vcpu)->queued.valid;
	if (gp) {
		CHECK_EQ(fake_vcpu(vcpu)->queued.vector, 13);
		CHECK_EQ(vcpu->bv->regs.rip, rip);
	} else {
		CHECK_EQ(vcpu->bv->regs.rip, rip + 2);
		if (!write)
			*val = (uint32_t)gpr[GPR_RAX] | gpr[GPR_RDX] << 32;
	}
	return gp;
}

static bool wrmsr_gp(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	return msr_gp(vcpu, true, msr, &val);
}

/* A host with RDTSCP (0x80000001 EDX 27) when tsc_aux_host_rdtscp, and nothing else. */
static bool tsc_aux_host_rdtscp;

static void tsc_aux_host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf == CPUID_EXT_FEATURES && tsc_aux_host_rdtscp)
		out[3] = CPUID_80000001_EDX_RDTSCP;
}

/*
 * IA32_TSC_AUX is each vCPU's own: 0 at the start, WRMSR keeps the value
 * for the next entry (never the CPU's directly), RDMSR reads it back,
 * bits 63:32 are #GP; without RDTSCP and RDPID, or with a backend that
 * does not run them on the guest's value, the MSR is #GP.
 */
static void case_pc_tsc_aux(void)
{
	struct vcpu *vcpu = setup(2);
	struct vcpu *ap = rig_vcpu(&rig, 1);
	uint64_t v = 1;

	shim_set_cpuid(tsc_aux_host_cpuid);
	tsc_aux_host_rdtscp = true;
	backend_caps.tsc_aux = true;
	CHECK(!msr_gp(vcpu, false, MSR_TSC_AUX, &v));
	CHECK_EQ(v, 0);
	CHECK(!wrmsr_gp(vcpu, MSR_TSC_AUX, 0xfedcba98));
	CHECK_EQ(vcpu->bv->xs.tsc_aux, 0xfedcba98u);
	CHECK(!msr_gp(vcpu, false, MSR_TSC_AUX, &v));
	CHECK_EQ(v, 0xfedcba98u);
	CHECK(!msr_gp(ap, false, MSR_TSC_AUX, &v));	/* the other vCPU's is its own */
	CHECK_EQ(v, 0);
	CHECK(wrmsr_gp(vcpu, MSR_TSC_AUX, 0x100000000ull));
	CHECK_EQ(vcpu->bv->xs.tsc_aux, 0xfedcba98u);
	backend_caps.tsc_aux = false;
	CHECK(msr_gp(vcpu, false, MSR_TSC_AUX, &v));
	CHECK(wrmsr_gp(vcpu, MSR_TSC_AUX, 1));
	backend_caps.tsc_aux = true;
	tsc_aux_host_rdtscp = false;
	CHECK(msr_gp(vcpu, false, MSR_TSC_AUX, &v));
	CHECK(wrmsr_gp(vcpu, MSR_TSC_AUX, 1));
	CHECK_EQ(vcpu->bv->xs.tsc_aux, 0xfedcba98u);
	backend_caps.tsc_aux = false;
	shim_set_cpuid(NULL);
	rig_destroy(&rig);
}

/*
 * The PC's CPUID offers x2APIC and the TSC-deadline timer; RDMSR/WRMSR
 * exits reach the model: x2APIC MSRs #GP outside x2APIC mode; xAPIC ->
 * x2APIC -> disabled -> xAPIC; x2APIC -> xAPIC and disabled -> x2APIC #GP.
 */
static void case_pc_x2apic(void)
{
	struct vcpu *vcpu = setup(2);
	struct vcpu *ap = rig_vcpu(&rig, 1);
	struct vm_exit e = mk_exit(EXIT_CPUID, 2);
	uint64_t *gpr = vcpu->bv->regs.gpr;
	const uint64_t xapic = APIC_BASE_DEFAULT | APIC_BASE_EN;
	uint64_t v;

	gpr[GPR_RAX] = CPUID_LEAF_FEATURES;
	gpr[GPR_RCX] = 0;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK(gpr[GPR_RCX] & CPUID_1_ECX_X2APIC);
	CHECK(gpr[GPR_RCX] & CPUID_1_ECX_TSC_DL);
	/* Both backends intercept every MSR off this list: the APIC's exit. */
	for (unsigned int i = 0; i < BACKEND_PASSTHROUGH_MSRS; i++) {
		uint32_t msr = backend_passthrough_msrs[i];

		CHECK(msr != MSR_IA32_APIC_BASE && msr != MSR_IA32_TSC_DEADLINE &&
		      (msr < MSR_X2APIC_BASE || msr > MSR_X2APIC_LAST));
	}

	CHECK(msr_gp(vcpu, false, APIC_MSR(APIC_REG_ID), &v));
	CHECK(wrmsr_gp(vcpu, APIC_MSR(APIC_REG_EOI), 0));
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_APIC_BASE, xapic | APIC_BASE_BSP | APIC_BASE_EXTD));
	CHECK(!msr_gp(vcpu, false, APIC_MSR(APIC_REG_ID), &v));
	CHECK_EQ(v, 0);					/* x2APIC ID: all 32 bits */
	CHECK(!msr_gp(vcpu, false, APIC_MSR(APIC_REG_LVR), &v));
	CHECK_EQ(v & 0xff, APIC_VERSION);
	CHECK(!wrmsr_gp(vcpu, APIC_MSR(APIC_REG_EOI), 0));
	CHECK(wrmsr_gp(vcpu, APIC_MSR(APIC_REG_EOI), 1ull << 32));	/* reserved */
	CHECK(wrmsr_gp(vcpu, MSR_IA32_APIC_BASE, xapic | APIC_BASE_BSP));	/* x2APIC -> xAPIC */
	CHECK(!msr_gp(vcpu, false, MSR_IA32_APIC_BASE, &v));
	CHECK_EQ(v, xapic | APIC_BASE_BSP | APIC_BASE_EXTD);

	/* The AP: its own ID; out of x2APIC mode only by way of disabled. */
	CHECK(!wrmsr_gp(ap, MSR_IA32_APIC_BASE, xapic | APIC_BASE_EXTD));
	CHECK(!msr_gp(ap, false, APIC_MSR(APIC_REG_ID), &v));
	CHECK_EQ(v, 1);
	CHECK(!wrmsr_gp(ap, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT));
	CHECK(msr_gp(ap, false, APIC_MSR(APIC_REG_ID), &v));
	CHECK(wrmsr_gp(ap, MSR_IA32_APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EXTD));
	CHECK(!wrmsr_gp(ap, MSR_IA32_APIC_BASE, xapic));
	CHECK(!wrmsr_gp(ap, MSR_IA32_APIC_BASE, xapic | APIC_BASE_EXTD));
	rig_destroy(&rig);
}

/*
 * IA32_TSC_DEADLINE is a time in the guest's TSC: with a backend TSC
 * offset of 2^62 a deadline 1 ms ahead of the guest's TSC arms the timer
 * 1 ms ahead (the host's TSC alone would put it 2^62 cycles further). 0
 * disarms; a deadline in the past is due at once; leaving TSC-deadline
 * mode disarms.
 */
static void case_pc_tsc_deadline_offset(void)
{
	struct vcpu *vcpu = setup(1);
	const uint64_t offset = 1ull << 62, ms = tsc_hz / 1000;
	const uint32_t lvt_deadline = APIC_TIMER_TSC_DEADLINE << APIC_LVT_TIMER_MODE_SHIFT | 0x40;
	uint64_t v, now, at;

	backend_set_tsc_offset(vcpu->bv, offset);
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_APIC_BASE,
			APIC_BASE_DEFAULT | APIC_BASE_EN | APIC_BASE_BSP | APIC_BASE_EXTD));
	CHECK(!wrmsr_gp(vcpu, APIC_MSR(APIC_REG_LVT_TIMER), lvt_deadline));
	now = time_now_ns();
	at = rdtsc() + offset + ms;
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_TSC_DEADLINE, at));
	CHECK(!msr_gp(vcpu, false, MSR_IA32_TSC_DEADLINE, &v));
	CHECK_EQ(v, at);
	CHECK(vtimer_next_deadline(&vcpu->timers) > now);
	CHECK(vtimer_next_deadline(&vcpu->timers) <= time_now_ns() + 1000000);
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_TSC_DEADLINE, 0));
	CHECK_EQ(vtimer_next_deadline(&vcpu->timers), VTIMER_NEVER);
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_TSC_DEADLINE, rdtsc() + offset - ms));
	CHECK(vtimer_next_deadline(&vcpu->timers) <= time_now_ns());
	CHECK(!wrmsr_gp(vcpu, MSR_IA32_TSC_DEADLINE, rdtsc() + offset + 1000 * ms));
	CHECK(!wrmsr_gp(vcpu, APIC_MSR(APIC_REG_LVT_TIMER), 0x40));	/* one-shot */
	CHECK_EQ(vtimer_next_deadline(&vcpu->timers), VTIMER_NEVER);
	CHECK(!msr_gp(vcpu, false, MSR_IA32_TSC_DEADLINE, &v));
	CHECK_EQ(v, 0);
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_injection_priority);
	RUN(case_pic_inta_only_when_injected);
	RUN(case_nmi_window);
	RUN(case_hlt_wakes_on_interrupt);
	RUN(case_hlt_wakes_on_nmi);
	RUN(case_ap_waits_for_sipi);
	RUN(case_init_sipi_order);
	RUN(case_pc_ports_and_vmcall);
	RUN(case_pc_mmio);
	RUN(case_pc_open_bus);
	RUN(case_pc_msrs);
	RUN(case_pc_tsc_aux);
	RUN(case_pc_x2apic);
	RUN(case_pc_tsc_deadline_offset);
	return check_done();
}
