/*
 * String I/O through the exit dispatch (core/vcpu_exit.c, core/vcpu_string_io.c)
 * on the virtual PC, driven by the fake backend of
 * tests/host/test_vcpu_run_harness.h: the segment and address size that
 * the exit leaves out come from the instruction's prefixes, a REP runs
 * over several exits with RIP at the instruction until its count is done,
 * and a fault in the middle reaches the guest with CR2 in its state.
 */
#include "asm/msr.h"
#include "core/guest_mem.h"
#include "tests/host/test_vcpu_run_harness.h"

#define CODE  0x1000
#define MSG   0x3ff0		/* crosses into the next page */
#define PD    0x10000
#define PT    0x11000
#define COM1  0x3f8

static struct rig rig;

static struct vcpu *setup(void)
{
	const uint32_t flat = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_ATTR_G |
			      SEG_TYPE_DATA_RWA;
	struct guest_state *st;
	struct vcpu *vcpu;

	rig_init(&rig, RIG_PC, 1);
	vcpu = rig_vcpu(&rig, 0);
	st = &fake_vcpu(vcpu)->state;
	for (unsigned int i = SEG_ES; i <= SEG_GS; i++)
		guest_segment_set(&st->seg[i], 0x10, 0, 0xffffffff, flat);
	st->cr0 = X86_CR0_PE;
	vcpu->bv->regs.rip = CODE;
	return vcpu;
}

static struct vm_exit string_exit(bool in, bool rep)
{
	struct vm_exit e = { .reason = EXIT_IO };

	e.guest.mode = GUEST_MODE_PROT32;
	e.guest.cr0 = X86_CR0_PE;
	e.io.port = COM1;
	e.io.size = 1;
	e.io.in = in;
	e.io.string = true;
	e.io.rep = rep;
	e.io.seg = EXIT_SEG_UNKNOWN;	/* as under QEMU's SVM: decode */
	return e;
}

/* Exits until RIP moves, at most max times; returns how many it took. */
static unsigned int run_exits(struct vcpu *vcpu, struct vm_exit *e, unsigned int max)
{
	unsigned int n = 0;

	while (n < max && vcpu->bv->regs.rip == CODE) {
		CHECK_EQ(vcpu_handle_exit(vcpu, e), 0);
		n++;
	}
	return n;
}

/*
 * FS: REP OUTSB (64 F3 6E) of a message across a page boundary to COM1
 * after an STI: two exits (one per page), the first leaves RIP with RF set
 * and ends the STI's shadow; FS's base counts, RIP moves on at the end.
 */
static void case_rep_outsb_override(void)
{
	static const char msg[] = "string I/O through COM1\n";
	static const uint8_t code[] = { 0x64, 0xf3, 0x6e };
	struct vcpu *vcpu = setup();
	struct vm_exit e = string_exit(false, true);

	fake_vcpu(vcpu)->state.seg[SEG_FS].base = 0x1000;
	CHECK_EQ(guest_write_gpa(vcpu, CODE, code, sizeof(code)), 0);
	CHECK_EQ(guest_write_gpa(vcpu, MSG + 0x1000, msg, sizeof(msg) - 1), 0);
	vcpu->bv->regs.gpr[GPR_RSI] = MSG;
	vcpu->bv->regs.gpr[GPR_RCX] = sizeof(msg) - 1;
	fake_vcpu(vcpu)->state.interrupt_shadow = true;	/* an STI before it */
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);
	CHECK_EQ(vcpu->bv->regs.rip, CODE);			/* a count left */
	CHECK(vcpu->bv->regs.rflags & X86_RFLAGS_RF);
	CHECK(!fake_vcpu(vcpu)->state.interrupt_shadow);	/* interrupts may come */
	CHECK_EQ(run_exits(vcpu, &e, 10), 1);
	CHECK_EQ(vcpu->bv->regs.rip, CODE + sizeof(code));
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RCX], 0);
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RSI], MSG + sizeof(msg) - 1);
	CHECK(!(vcpu->bv->regs.rflags & X86_RFLAGS_RF));
	CHECK_STR(rig.com1, msg);
	CHECK(!vm_is_stopped(rig.vm));
	rig_destroy(&rig);
}

/*
 * 32-bit paging, page 0x5000 not present; REP INSB (F3 6C) from a port
 * without a device into 0x4ffc..: the four bytes before 0x5000 are 0xff,
 * then #PF(W) with CR2 0x5000 in the state, RIP at the instruction with
 * RF set, EDI and ECX at the faulting byte.
 */
static void case_rep_insb_fault(void)
{
	static const uint8_t code[] = { 0xf3, 0x6c };
	struct vcpu *vcpu = setup();
	struct vm_exit e = string_exit(true, true);
	struct guest_state *st = &fake_vcpu(vcpu)->state;
	uint32_t pde = PT | 3, pte;
	uint8_t got[5];

	for (uint32_t a = 0; a < GUEST_PAGES * PAGE_SIZE; a += 0x1000) {
		pte = a == 0x5000 ? 0 : a | 3;
		CHECK_EQ(guest_write_gpa(vcpu, PT + (a >> 12) * 4, &pte, 4), 0);
	}
	CHECK_EQ(guest_write_gpa(vcpu, PD, &pde, 4), 0);
	CHECK_EQ(guest_write_gpa(vcpu, CODE, code, sizeof(code)), 0);
	st->cr0 = e.guest.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	st->cr3 = e.guest.cr3 = PD;
	e.io.port = 0x2f0;
	vcpu->bv->regs.gpr[GPR_RDI] = 0x4ffc;
	vcpu->bv->regs.gpr[GPR_RCX] = 16;
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);	/* the first page */
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RCX], 12);
	CHECK(!fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(vcpu_handle_exit(vcpu, &e), 0);	/* the fault */
	CHECK(fake_vcpu(vcpu)->queued.valid);
	CHECK_EQ(fake_vcpu(vcpu)->queued.vector, VEC_PF);
	CHECK_EQ(fake_vcpu(vcpu)->queued.error_code, X86_PF_W);
	CHECK_EQ(st->cr2, 0x5000);
	CHECK_EQ(vcpu->bv->regs.rip, CODE);
	CHECK(vcpu->bv->regs.rflags & X86_RFLAGS_RF);
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RDI], 0x5000);
	CHECK_EQ(vcpu->bv->regs.gpr[GPR_RCX], 12);
	CHECK_EQ(guest_read_gpa(vcpu, 0x4ffb, got, sizeof(got)), 0);
	CHECK(got[0] == 0 && got[1] == 0xff && got[4] == 0xff);
	CHECK(!vm_is_stopped(rig.vm));
	rig_destroy(&rig);
}

/* Not an INS or OUTS at RIP: the VM stops with one line that says so. */
static void case_not_string_insn(void)
{
	static const uint8_t code[] = { 0x90, 0x90 };
	struct vcpu *vcpu = setup();
	struct vm_exit e = string_exit(false, false);

	CHECK_EQ(guest_write_gpa(vcpu, CODE, code, sizeof(code)), 0);
	CHECK(vcpu_handle_exit(vcpu, &e) < 0);
	CHECK(strstr(rig.vm->stop_reason, "string I/O on port 0x3f8: no INS or OUTS at RIP"));
	rig_destroy(&rig);
}

int main(void)
{
	rig_harness_init();
	RUN(case_rep_outsb_override);
	RUN(case_rep_insb_fault);
	RUN(case_not_string_insn);
	return check_done();
}
