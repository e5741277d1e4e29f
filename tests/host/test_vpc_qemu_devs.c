/*
 * Hosted test of QEMU's test devices on the whole virtual PC
 * (core/pc/vpc.c): what a guest reaches through the exit dispatch
 * (vcpu_handle_exit()) on a PC VM with and without them, driven by the
 * fake backend of tests/host/test_vcpu_run_harness.h.
 *
 * Scenarios: a PC without the options sees 0xE9, 0xF4, 0x510/0x511 and
 * 0x2000 float (all ones) and its debug-exit port write does nothing,
 * while 0x8900 is always there; with them, debugcon reaches the VM's
 * console (COM1's) filtered, fw_cfg answers, pc-testdev drives a level
 * IOAPIC pin, and a debug-exit write stops the VM with "debug-exit status
 * S" and no power event (so the launcher does not restart it); a
 * debug-exit range on a port the PC uses is refused. Single thread.
 */
#include "core/pc/vpc_priv.h"
#include "tests/host/test_vcpu_run_harness.h"

static struct rig rig;
static uint16_t exit_port = 0xf4;
static unsigned int exit_size = 4;

static const struct vfw_cfg_config fw = {
	.ram_size = 256ull << 20, .nr_cpus = 2, .max_cpus = 2, .cmdline = "",
};

static void all_on(struct vpc_params *pp)
{
	pp->debug_exit = true;
	pp->debug_exit_port = exit_port;
	pp->debug_exit_size = exit_size;
	pp->debugcon = true;
	pp->testdev = true;
	pp->fw_cfg = &fw;
}

static struct vcpu *setup(void (*params)(struct vpc_params *pp))
{
	struct guest_state st;
	struct vcpu *vcpu;

	rig_pc_params = params;
	rig_init(&rig, RIG_PC, 2);
	vcpu = rig_vcpu(&rig, 0);
	guest_state_init_flat32(&st, 0x1000, 0x08, 0x10);
	CHECK_EQ(vpc_vcpu_set_start(vcpu, &st), 0);
	return vcpu;
}

/* An IN or OUT of size bytes through the exit dispatch; returns RAX. */
static uint64_t io(struct vcpu *vcpu, uint16_t port, unsigned int size, bool in, uint32_t val)
{
	struct vm_exit e = { .reason = EXIT_IO, .insn_len = 1 };
	uint64_t *rax = &vcpu->bv->regs.gpr[GPR_RAX];

	e.guest.mode = GUEST_MODE_PROT32;
	e.io.port = port;
	e.io.size = (uint8_t)size;
	e.io.in = in;
	*rax = in ? 0 : val;
	vcpu_handle_exit(vcpu, &e);
	return *rax;
}

static void put_string(struct vcpu *vcpu, uint16_t port, const char *s)
{
	for (; *s; s++)
		io(vcpu, port, 1, false, (uint8_t)*s);
}

/* Without the options: the ports float, writes do nothing; 0x8900 is there. */
static void case_absent_by_default(void)
{
	static const uint16_t ports[] = { 0xe9, 0xf4, 0xf7, 0x501, 0x510, 0x511, 0x2000, 0x2017 };
	struct vcpu *vcpu = setup(NULL);
	uint32_t v;

	for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++) {
		CHECK_EQ(vm_platform_port_io(vcpu, ports[i], 1, true, &v), -ENOENT);
		CHECK_EQ(io(vcpu, ports[i], 1, true, 0), 0xff);
		CHECK_EQ(io(vcpu, ports[i], 4, true, 0), 0xffffffffu);
	}
	io(vcpu, 0xf4, 4, false, 3);
	io(vcpu, 0xf4, 1, false, 3);
	io(vcpu, 0x501, 2, false, 3);
	put_string(vcpu, 0xe9, "hello\n");
	io(vcpu, 0x510, 2, false, 0);
	io(vcpu, 0x2000, 1, false, 1);
	CHECK(!vm_is_stopped(vcpu->vm));
	CHECK_EQ(rig.com1_len, 0);
	CHECK_EQ(rig.power_events, 0);
	put_string(vcpu, 0x8900, "Shutdown");
	CHECK_EQ(rig.power_events, 1);
	rig_destroy(&rig);
}

/* debugcon's bytes land in COM1's console slot, controls stripped. */
static void case_debugcon_console(void)
{
	struct vcpu *vcpu = setup(all_on);

	io(vcpu, PC_COM1_BASE, 1, false, '<');
	put_string(vcpu, 0xe9, "ok\x1b[2J\a\n");
	io(vcpu, PC_COM1_BASE, 1, false, '>');
	CHECK_EQ(rig.com1_len, 8);
	CHECK(memcmp(rig.com1, "<ok[2J\n>", 8) == 0);
	CHECK_EQ(io(vcpu, 0xe9, 1, true, 0), 0xe9);
	rig_destroy(&rig);
}

/* fw_cfg answers as QEMU's: signature, ID, CPUs, RAM. */
static void case_fw_cfg(void)
{
	struct vcpu *vcpu = setup(all_on);
	uint64_t ram = 0;

	io(vcpu, 0x510, 2, false, FW_CFG_SIGNATURE);
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 'Q');
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 'E');
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 'M');
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 'U');
	io(vcpu, 0x510, 2, false, FW_CFG_ID);
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 1);
	io(vcpu, 0x510, 2, false, FW_CFG_NB_CPUS);
	CHECK_EQ(io(vcpu, 0x511, 1, true, 0), 2);
	io(vcpu, 0x510, 2, false, FW_CFG_RAM_SIZE);
	for (unsigned int i = 0; i < 8; i++)
		ram |= io(vcpu, 0x511, 1, true, 0) << (8 * i);
	CHECK_EQ(ram, 256ull << 20);
	rig_destroy(&rig);
}

/* pc-testdev line 17 into a level IOAPIC pin: remote IRR until the EOI. */
static void case_testdev_ioapic(void)
{
	struct vcpu *vcpu = setup(all_on);
	struct vpc *pc = vpc_of(vcpu->vm);
	struct vlapic *apic = &vpc_vcpu_of(vcpu)->lapic;
	uint64_t rte;

	vlapic_mmio_write(apic, APIC_REG_SVR, 4, 0x1ff);
	vioapic_mmio_ops.write(&pc->ioapic, PC_IOAPIC_BASE, 4, 0x10 + 2 * 17);
	vioapic_mmio_ops.write(&pc->ioapic, PC_IOAPIC_BASE + 0x10, 4, IOAPIC_RTE_LEVEL | 0x61);
	io(vcpu, 0x2000 + 17, 1, false, 1);
	CHECK_EQ(vlapic_pending_vector(apic), 0x61);
	vioapic_mmio_ops.read(&pc->ioapic, PC_IOAPIC_BASE + 0x10, 4, &rte);
	CHECK(rte & IOAPIC_RTE_REMOTE_IRR);
	vlapic_ack_vector(apic, 0x61);
	io(vcpu, 0x2000 + 17, 1, false, 0);
	vlapic_mmio_write(apic, APIC_REG_EOI, 4, 0);
	vioapic_mmio_ops.read(&pc->ioapic, PC_IOAPIC_BASE + 0x10, 4, &rte);
	CHECK(!(rte & IOAPIC_RTE_REMOTE_IRR));
	CHECK_EQ(vlapic_pending_vector(apic), -1);
	rig_destroy(&rig);
}

/* A debug-exit write stops the VM with its status; no power event. */
static void case_debug_exit_stops(void)
{
	struct vcpu *vcpu = setup(all_on);

	CHECK_EQ(io(vcpu, 0xf4, 4, true, 0), 0);
	CHECK(!vm_is_stopped(vcpu->vm));
	io(vcpu, 0xf4, 4, false, 3);
	CHECK(vm_is_stopped(vcpu->vm));
	CHECK_STR(vcpu->vm->stop_reason, "debug-exit status 7");
	CHECK_EQ(rig.power_events, 0);
	rig_destroy(&rig);

	exit_port = 0x501;
	exit_size = 2;
	vcpu = setup(all_on);
	io(vcpu, 0x502, 1, false, 0x80);
	CHECK_STR(vcpu->vm->stop_reason, "debug-exit status 257");
	rig_destroy(&rig);
	exit_port = 0xf4;
	exit_size = 4;
}

/* A debug-exit range over a port the PC uses: the PC is not built. */
static void case_debug_exit_conflict(void)
{
	static const struct { uint16_t port; unsigned int size; } bad[] = {
		{ 0x3f8, 1 }, { 0x3f6, 4 }, { 0x510, 1 }, { 0xe6, 4 }, { 0x2017, 1 },
		{ 0x8900, 2 }, { 0xfffe, 4 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		exit_port = bad[i].port;
		exit_size = bad[i].size;
		rig_pc_params = all_on;
		rig_init(&rig, RIG_PC, 1);
		CHECK_EQ(rig.pc_err, -EBUSY);
		CHECK(rig.vm->platform == NULL);
		CHECK(rig.vm->vcpus[0]->platform_data == NULL);
		rig_destroy(&rig);
	}
	/* Right next to the PC's ports is fine. */
	exit_port = 0x3f4;
	rig_init(&rig, RIG_PC, 1);
	CHECK_EQ(rig.pc_err, 0);
	rig_destroy(&rig);
	exit_port = 0xf4;
	exit_size = 4;
}

int main(void)
{
	rig_harness_init();
	RUN(case_absent_by_default);
	RUN(case_debugcon_console);
	RUN(case_fw_cfg);
	RUN(case_testdev_ioapic);
	RUN(case_debug_exit_stops);
	RUN(case_debug_exit_conflict);
	return check_done();
}
