/*
 * Hosted test of the exit path's fast paths (core/vcpu_exit.c,
 * core/pc/vpc.c, core/pc/dev/vacpi_pm.c) on a VM with the virtual PC,
 * driven by the fake backend of tests/host/test_vcpu_run_harness.h.
 *
 * Scenarios: each local APIC access an idle guest makes (TPR, EOI, the
 * timer's initial and current count, ICR) emulated from the bytes the
 * exit carries leaves the same registers and APIC state as the same
 * bytes fetched from guest memory, while guest memory at RIP holds an
 * instruction the emulator refuses (so a fetch would show); bytes that
 * end before the instruction does fall back to the fetch. The PM timer's
 * 4-byte read completes while another thread holds the PM block's lock,
 * counts as the locked path does, and leaves TMR_EN's case to the locked
 * path. A PCI scan's config cycles (address write, class read of an
 * absent function, the host bridge's ID) complete while another thread
 * holds the config space's lock, and 0xcf9 stays the reset register. HLT
 * with the local APIC timer already due takes the interrupt and re-enters
 * without blocking.
 */
#include "asm/cpu.h"
#include "core/pc/vpc_priv.h"
#include "tests/host/test_vcpu_run_harness.h"

static struct rig rig;

static struct vcpu *setup(void)
{
	struct guest_state st;
	struct vcpu *vcpu;

	rig_init(&rig, RIG_PC, 1);
	vcpu = rig_vcpu(&rig, 0);
	guest_state_init_flat32(&st, 0x1000, 0x08, 0x10);
	st.regs.rflags |= X86_RFLAGS_IF;
	CHECK_EQ(vpc_vcpu_set_start(vcpu, &st), 0);
	vlapic_mmio_write(&vpc_vcpu_of(vcpu)->lapic, APIC_REG_SVR, 4, 0x1ff);
	return vcpu;
}

/* --- MMIO from the exit's instruction bytes -------------------------------- */

struct apic_access {
	const char *what;
	uint8_t bytes[X86_INSN_MAX_LEN];
	uint8_t len;
	uint16_t reg;		/* the APIC register it touches */
	bool write;
};

/* 32-bit code, as the harness's guest runs; absolute disp32 operands. */
static const struct apic_access accesses[] = {
	{ "mov [tpr],eax", { 0x89, 0x05, 0x80, 0x00, 0xe0, 0xfe }, 6, APIC_REG_TPR, true },
	{ "mov dword [eoi],0", { 0xc7, 0x05, 0xb0, 0x00, 0xe0, 0xfe, 0, 0, 0, 0 }, 10,
	  APIC_REG_EOI, true },
	{ "mov [edx+tmict],eax", { 0x89, 0x82, 0x80, 0x03, 0x00, 0x00 }, 6, APIC_REG_TMICT, true },
	{ "mov eax,[tmcct]", { 0x8b, 0x05, 0x90, 0x03, 0xe0, 0xfe }, 6, APIC_REG_TMCCT, false },
	{ "mov [icr],ecx", { 0x89, 0x0d, 0x00, 0x03, 0xe0, 0xfe }, 6, APIC_REG_ICR_LO, true },
	{ "mov eax,[tpr] (prefixed)", { 0x3e, 0x8b, 0x05, 0x80, 0x00, 0xe0, 0xfe }, 7,
	  APIC_REG_TPR, false },
};

/* What an emulated access leaves behind. */
struct mmio_result {
	int ret;
	uint64_t rip, rax, rcx;
	uint64_t reg;		/* the register read back */
	uint64_t tpr;
	char stop[256];
};

enum bytes_from { FROM_MEMORY, FROM_EXIT, FROM_EXIT_SHORT };

static void run_access(const struct apic_access *a, enum bytes_from from,
		       struct mmio_result *out)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct vcpu *vcpu = setup();
	struct vlapic *lapic = &vpc_vcpu_of(vcpu)->lapic;
	struct vm_exit e = { .reason = EXIT_TDP_FAULT };
	struct guest_regs *regs = &vcpu->bv->regs;

	e.guest.mode = GUEST_MODE_PROT32;
	e.gpa = PC_LAPIC_BASE + a->reg;
	e.tdp.write = a->write;
	e.tdp.read = !a->write;
	regs->gpr[GPR_RAX] = 0x30;
	regs->gpr[GPR_RCX] = 0x000040f1;	/* ICR: fixed, self, vector 0xf1 */
	regs->gpr[GPR_RDX] = 0xfee00000;
	vlapic_mmio_write(lapic, APIC_REG_LVT_TIMER, 4, 0x10040);	/* masked */
	if (from == FROM_MEMORY || from == FROM_EXIT_SHORT) {
		CHECK_EQ(guest_write_gpa(vcpu, 0x1000, a->bytes, a->len), 0);
	} else {
		/* Guest memory says something else: only the exit's bytes decode. */
		CHECK_EQ(guest_write_gpa(vcpu, 0x1000, ud2, sizeof(ud2)), 0);
	}
	if (from != FROM_MEMORY) {
		e.insn_nbytes = from == FROM_EXIT ? a->len : 2;
		memcpy(e.insn_bytes, a->bytes, e.insn_nbytes);
	}
	memset(out, 0, sizeof(*out));
	out->ret = vcpu_handle_exit(vcpu, &e);
	out->rip = regs->rip;
	out->rax = regs->gpr[GPR_RAX];
	out->rcx = regs->gpr[GPR_RCX];
	vlapic_mmio_read(lapic, a->reg == APIC_REG_EOI ? APIC_REG_ISR : a->reg, 4, &out->reg);
	vlapic_mmio_read(lapic, APIC_REG_TPR, 4, &out->tpr);
	snprintf(out->stop, sizeof(out->stop), "%s", vcpu->vm->stop_reason);
	rig_destroy(&rig);
}

static void case_mmio_exit_bytes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(accesses); i++) {
		const struct apic_access *a = &accesses[i];
		struct mmio_result fetched, given, shorter;

		run_access(a, FROM_MEMORY, &fetched);
		run_access(a, FROM_EXIT, &given);
		run_access(a, FROM_EXIT_SHORT, &shorter);
		if (fetched.ret || given.ret || shorter.ret)
			fprintf(stderr, "%s: %d [%s] / %d [%s] / %d [%s]\n", a->what,
				fetched.ret, fetched.stop, given.ret, given.stop,
				shorter.ret, shorter.stop);
		CHECK_EQ(fetched.ret, 0);
		CHECK_EQ(fetched.rip, 0x1000 + a->len);
		CHECK_EQ(given.ret, 0);
		CHECK_EQ(shorter.ret, 0);
		CHECK_EQ(given.rip, fetched.rip);
		CHECK_EQ(given.rax, fetched.rax);
		CHECK_EQ(given.rcx, fetched.rcx);
		CHECK_EQ(given.reg, fetched.reg);
		CHECK_EQ(given.tpr, fetched.tpr);
		CHECK_EQ(shorter.rip, fetched.rip);
		CHECK_EQ(shorter.rax, fetched.rax);
		CHECK_EQ(shorter.reg, fetched.reg);
	}
}

/* Bytes the emulator refuses stop the VM naming them, whichever the source. */
static void case_mmio_exit_bytes_refused(void)
{
	struct vcpu *vcpu = setup();
	struct vm_exit e = { .reason = EXIT_TDP_FAULT };

	e.guest.mode = GUEST_MODE_PROT32;
	e.gpa = PC_LAPIC_BASE + APIC_REG_EOI;
	e.tdp.write = true;
	e.insn_nbytes = 3;
	memcpy(e.insn_bytes, (const uint8_t[]){ 0x0f, 0x01, 0xd9 }, 3);	/* VMMCALL */
	CHECK(vcpu_handle_exit(vcpu, &e) < 0);
	CHECK(strstr(vcpu->vm->stop_reason, "[0f 01 d9]"));
	rig_destroy(&rig);
}

/* --- The PM timer without the block's lock ------------------------------- */

struct pm_read {
	struct vcpu *vcpu;
	uint32_t val;
	int done;		/* atomic */
};

static void pm_reader(struct worker *w)
{
	struct pm_read *r = w->arg;

	CHECK_EQ(vm_platform_port_io(r->vcpu, PC_ACPI_PM_TMR_PORT, 4, true, &r->val), 0);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

static uint32_t pm_read_bytes(struct vcpu *vcpu)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < 4; i++) {
		uint32_t b = 0;

		CHECK_EQ(vm_platform_port_io(vcpu, PC_ACPI_PM_TMR_PORT + i, 1, true, &b), 0);
		v |= (b & 0xff) << (8 * i);
	}
	return v;
}

static void case_pm_tmr_lockless(void)
{
	struct vcpu *vcpu = setup();
	struct vacpi_pm *pm = &vpc_of(vcpu->vm)->pm;
	struct pm_read r = { .vcpu = vcpu };
	struct worker w;
	uint64_t deadline;
	uint32_t before, after, v;

	before = pm_read_bytes(vcpu);		/* byte reads: the locked path */
	spin_lock(&pm->lock);
	worker_start(&w, 1, pm_reader, &r);
	deadline = time_now_ns() + 2000000000ull;
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) && time_now_ns() < deadline)
		shim_pause();
	CHECK(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));	/* not behind the lock */
	spin_unlock(&pm->lock);
	worker_join(&w);
	after = pm_read_bytes(vcpu);
	CHECK(before <= r.val && r.val <= after);
	CHECK(after - before < 3579545u * 10);	/* the same 3.58 MHz counter */

	/* With TMR_EN the SCI may follow the timer: the locked path reads it. */
	CHECK_EQ(vm_platform_port_io(vcpu, PC_ACPI_PM_BASE + VACPI_PM1_EN, 2, false,
				     &(uint32_t){ VACPI_PM1_TMR }), 0);
	CHECK(!vacpi_pm_tmr_read_fast(pm, PC_ACPI_PM_TMR_PORT, 4, &v));
	CHECK_EQ(vm_platform_port_io(vcpu, PC_ACPI_PM_BASE + VACPI_PM1_EN, 2, false,
				     &(uint32_t){ 0 }), 0);
	CHECK(vacpi_pm_tmr_read_fast(pm, PC_ACPI_PM_TMR_PORT, 4, &v));
	/* Other sizes and the block's other ports are not the fast path's. */
	CHECK(!vacpi_pm_tmr_read_fast(pm, PC_ACPI_PM_TMR_PORT, 2, &v));
	CHECK(!vacpi_pm_tmr_read_fast(pm, PC_ACPI_PM_BASE, 4, &v));
	rig_destroy(&rig);
}

/* --- PCI configuration cycles without the config space's lock --------------- */

struct pci_scan {
	struct vcpu *vcpu;
	uint32_t absent, bridge_id, addr;
	int done;		/* atomic */
};

/* One slot of Linux's search_agp_bridge(), then the bridge's ID. */
static void pci_scanner(struct worker *w)
{
	struct pci_scan *r = w->arg;
	uint32_t a = 0x80000000u | 5u << 16 | 7u << 11 | 0x08;	/* 05:07.0, class */

	CHECK_EQ(vm_platform_port_io(r->vcpu, 0xcf8, 4, false, &a), 0);
	CHECK_EQ(vm_platform_port_io(r->vcpu, 0xcfc, 4, true, &r->absent), 0);
	a = 0x80000000u;
	CHECK_EQ(vm_platform_port_io(r->vcpu, 0xcf8, 4, false, &a), 0);
	CHECK_EQ(vm_platform_port_io(r->vcpu, 0xcfc, 4, true, &r->bridge_id), 0);
	CHECK_EQ(vm_platform_port_io(r->vcpu, 0xcf8, 4, true, &r->addr), 0);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
}

static void case_pci_cfg_lockless(void)
{
	struct vcpu *vcpu = setup();
	struct vpc *pc = vpc_of(vcpu->vm);
	struct pci_scan r = { .vcpu = vcpu };
	struct worker w;
	uint64_t deadline;
	uint32_t v;

	spin_lock(&pc->pci.lock);
	worker_start(&w, 1, pci_scanner, &r);
	deadline = time_now_ns() + 2000000000ull;
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) && time_now_ns() < deadline)
		shim_pause();
	CHECK(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));	/* not behind the lock */
	spin_unlock(&pc->pci.lock);
	worker_join(&w);
	CHECK_EQ(r.absent, 0xffffffffu);
	CHECK_EQ(r.bridge_id, 0x12378086u);
	CHECK_EQ(r.addr, 0x80000000u);

	/* A write to the bridge goes through the lock and reads back. */
	v = 0x80000000u | 0x0c;
	CHECK_EQ(vm_platform_port_io(vcpu, 0xcf8, 4, false, &v), 0);
	CHECK_EQ(vm_platform_port_io(vcpu, 0xcfd, 1, false, &(uint32_t){ 0x40 }), 0);
	CHECK_EQ(vm_platform_port_io(vcpu, 0xcfc, 4, true, &v), 0);
	CHECK_EQ(v, 0x00004000u);
	/* 0xcf9 is the reset control register, not the PCI mechanism's. */
	CHECK_EQ(vm_platform_port_io(vcpu, PC_RESET_PORT, 1, true, &v), 0);
	CHECK_EQ(v & 0xff, 0);
	rig_destroy(&rig);
}

/* --- HLT with the timer already due ---------------------------------------- */

/*
 * Inside the guest's run, on the vCPU's thread: the local APIC timer
 * armed for the shortest count (one-shot, vector 0x41) and left to come
 * due, then the HLT exits.
 */
static void hlt_after_timer_due(struct fake_vcpu *f, struct vm_exit *exit)
{
	struct vlapic *lapic = &vpc_vcpu_of(f->vcpu)->lapic;

	vlapic_mmio_write(lapic, APIC_REG_TDCR, 4, 0xb);
	vlapic_mmio_write(lapic, APIC_REG_LVT_TIMER, 4, 0x41);
	vlapic_mmio_write(lapic, APIC_REG_TMICT, 4, 1);
	rig_sleep_ms(2);
	exit->insn_len = 1;
}

static void case_hlt_timer_due(void)
{
	struct vcpu *vcpu = setup();
	struct fake_vcpu *f = fake_vcpu(vcpu);
	struct worker w;

	fake_push_hook(f, EXIT_HLT, hlt_after_timer_due);
	worker_start(&w, 1, rig_vcpu_thread, vcpu);
	worker_join(&w);
	CHECK(!vcpu->halted);
	CHECK_EQ(f->runs, 2);
	CHECK_EQ(f->entry_rip[1], 0x1001);
	CHECK_EQ(f->nr_delivered, 1);
	CHECK_EQ(f->delivered[0].type, EVENT_EXTINT);
	CHECK_EQ(f->delivered[0].vector, 0x41);
	CHECK_EQ(f->delivered_at[0], 1);	/* on the entry right after the HLT */
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_mmio_exit_bytes);
	RUN(case_mmio_exit_bytes_refused);
	RUN(case_pm_tmr_lockless);
	RUN(case_pci_cfg_lockless);
	RUN(case_hlt_timer_due);
	return check_done();
}
