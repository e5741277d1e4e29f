/*
 * The virtual PC of one VM (see core/pc/vpc.h for the machine): building the
 * devices, the fixed port and MMIO maps, interrupt routing from the ISA
 * lines to the 8259 pair and the IOAPIC, and the platform table the run
 * loop calls (core/vm_platform.h). Per-vCPU injection and the INIT/SIPI
 * protocol are in core/pc/vpc_vcpu.c.
 *
 * vCPU context for everything but vpc_create()/vpc_destroy() (the CPU that
 * builds or tears down the VM, no vCPU running) and vpc_console_input()
 * (the console monitor). The port map is written once before any vCPU
 * runs and read without a lock; every device takes its own lock
 * (docs/locking.md).
 */
#include "asm/tsc.h"
#include "core/guest_mem.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/pc/mmio_emul.h"
#include "core/pc/vpc_priv.h"
#include "core/vcpu_run.h"
#include "mm/heap.h"

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

/* A port access by vcpu; -ENOENT for an unclaimed port (the bus floats). */
static int vpc_port_io(struct vcpu *vcpu, uint16_t port, unsigned int size, bool in,
		       uint32_t *val)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	unsigned int idx = pc->port_map[port];
	const struct vpc_range *r;

	/* An idle guest's most frequent exit: its clocksource's read. */
	if (in && port == PC_ACPI_PM_TMR_PORT &&
	    vacpi_pm_tmr_read_fast(&pc->pm, port, size, val))
		return 0;
	/* A PCI scan: an address write and a data read per function. */
	if (port >= VPCI_PORT_ADDRESS && port <= VPCI_PORT_DATA_LAST && port != PC_RESET_PORT &&
	    vpci_io_fast(&pc->pci, port, size, in, val))
		return 0;
	if (!idx)
		return -ENOENT;
	r = &pc->ranges[idx - 1];
	if (in) {
		*val = 0xffffffffu;
		r->ops->read(r->dev, port, size, val);
	} else {
		r->ops->write(r->dev, port, size, *val);
	}
	return 0;
}

/* --- Interrupt routing ---------------------------------------------------- */

/* ISA IRQ n: the PIC's input n and the IOAPIC's pin n (IRQ 0: pin 2). */
static void vpc_isa_irq_set(void *ctx, unsigned int irq, int level)
{
	struct vpc *pc = ctx;

	vpic_set_irq(&pc->pic, irq, level);
	vioapic_set_irq(&pc->ioapic, irq == PC_IRQ_PIT ? PC_PIT_IOAPIC_PIN : irq, level);
}

/* pc-testdev's line n: ISA IRQ n below 16 (PIC and IOAPIC), else IOAPIC pin n. */
static void vpc_testdev_irq_set(void *ctx, unsigned int n, int level)
{
	struct vpc *pc = ctx;

	if (n < ARRAY_SIZE(pc->isa))
		vpc_isa_irq_set(pc, n, level);
	else
		vioapic_set_irq(&pc->ioapic, n, level);
}

/*
 * An IOAPIC entry changed and is unmasked (vioapic.lock held: the calls
 * come in the order of the writes). The timers of the device behind pin 2
 * (the PIT) or pin 8 (the RTC) move to the first vCPU the entry now
 * addresses, as Xen's pt_adjust_global_vcpu_target() does: a fixed or
 * lowest-priority entry's lowest APIC ID (docs/vtimer.md). An entry that
 * addresses no APIC, or sends NMI, SMI, INIT or ExtINT, leaves them.
 */
static void vpc_ioapic_routed(void *ctx, unsigned int pin, const struct vapic_msg *msg)
{
	struct vpc *pc = ctx;
	struct vlapic *to;

	if (pin != PC_PIT_IOAPIC_PIN && pin != PC_IRQ_RTC)
		return;
	if (msg->delivery != VAPIC_DM_FIXED && msg->delivery != VAPIC_DM_LOWEST)
		return;
	to = vapic_bus_first_target(&pc->bus, msg);
	if (!to)
		return;
	if (pin == PC_PIT_IOAPIC_PIN)
		vpit_retarget(&pc->pit, to->owner);
	else
		vrtc_retarget(&pc->rtc, to->owner);
}

/*
 * IRQ 0's interrupt is still waiting to be taken: its vector in some
 * local APIC's IRR, or IRQ 0 requested and unmasked in the 8259
 * (vpit_set_waiting()). Under the PIT's pulse_lock.
 */
static bool vpc_pit_waiting(void *ctx)
{
	struct vpc *pc = ctx;
	int vec = vioapic_pin_vector(&pc->ioapic, PC_PIT_IOAPIC_PIN);

	if (vec >= 0) {
		for (unsigned int i = 0; i < pc->nr_cpus; i++)
			if (vlapic_irr_test(&pc->cpus[i].lapic, (uint8_t)vec))
				return true;
	}
	return vpic_irq_requested(&pc->pic, PC_IRQ_PIT);
}

/* The PIC's INTR output: vCPU 0 looks at it when it next injects. */
static void vpc_pic_intr(void *ctx, unsigned int line, int level)
{
	struct vpc *pc = ctx;

	if (level)
		vcpu_make_request(&pc->vm->vcpus[0]->req, VCPU_REQ_EVENT);
}

/* --- Device pages, ROM and the open bus ------------------------------------ */

/* Unbacked guest-physical space: reads float high, writes go nowhere. */
static int vpc_open_bus_read(void *dev, uint64_t addr, unsigned int size, uint64_t *val)
{
	*val = ~0ull;
	return 0;
}

static int vpc_open_bus_write(void *dev, uint64_t addr, unsigned int size, uint64_t val)
{
	return 0;
}

static const struct vdev_mmio_ops vpc_open_bus_ops = {
	.read = vpc_open_bus_read,
	.write = vpc_open_bus_write,
};

/* The ROM (dev: the faulting vCPU): reads what is there, writes dropped. */
static int vpc_rom_read(void *dev, uint64_t addr, unsigned int size, uint64_t *val)
{
	*val = 0;
	return guest_read_gpa(dev, addr, val, size) ? -EFAULT : 0;
}

static const struct vdev_mmio_ops vpc_rom_ops = {
	.read = vpc_rom_read,
	.write = vpc_open_bus_write,
};

/*
 * What answers an access to gpa that faulted: the local APIC's or the
 * IOAPIC's page, the ROM (a write: its memslot is read-only) or, unless
 * the VM stops there, the open bus of an unbacked region. The first
 * access to a region (the ROM counts as one) is logged. -ENOENT: none.
 */
static int vpc_mmio_target(struct vcpu *vcpu, const struct vm_exit *exit,
			   const struct vdev_mmio_ops **ops, void **dev)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	uint64_t page = exit->gpa & PAGE_MASK;
	struct pc_region r;
	char line[200];
	int idx;

	if (page == PC_LAPIC_BASE) {
		*ops = &vlapic_mmio_ops;
		*dev = &vpc_vcpu_of(vcpu)->lapic;
		return 0;
	}
	if (page == PC_IOAPIC_BASE) {
		*ops = &vioapic_mmio_ops;
		*dev = &pc->ioapic;
		return 0;
	}
	if (pc_memmap_is_rom(exit->gpa) && exit->tdp.write) {
		if (pc_memmap_note_once(&pc->mem_logged, PC_MEMMAP_ROM_REGION)) {
			vm_console_sync(vcpu->vm);
			pr_warn("vm %s: write to ROM at guest-physical %#llx dropped; further writes to [%#llx, %#llx) are not logged",
				vcpu->vm->name, (unsigned long long)exit->gpa, PC_ROM_START,
				PC_ROM_END);
		}
		*ops = &vpc_rom_ops;
		*dev = vcpu;
		return 0;
	}
	idx = pc_memmap_unbacked(&pc->ram, exit->gpa, &r);
	if (idx < 0 || pc->unbacked_stop)
		return -ENOENT;
	if (pc_memmap_note_once(&pc->mem_logged, (unsigned int)idx)) {
		vm_console_sync(vcpu->vm);	/* the guest's lines before it first */
		pr_warn("%s", pc_memmap_unbacked_msg(line, sizeof(line), vcpu->vm->name, exit->gpa,
						     exit->tdp.write, &r));
	}
	*ops = &vpc_open_bus_ops;
	*dev = NULL;
	return 0;
}

/*
 * The instruction that made the access, decoded into *insn (*err: 0 or
 * mmio_decode()'s error) from the bytes the exit carries, or where they
 * are none or end too soon, from guest memory at RIP (a page walk).
 * Returns the bytes left in code, for an error message.
 */
static size_t vpc_mmio_decode(struct vcpu *vcpu, const struct vm_exit *exit,
			      uint8_t code[X86_INSN_MAX_LEN], struct mmio_insn *insn, int *err)
{
	unsigned int bits = guest_mode_code_bits(exit->guest.mode);
	size_t got = MIN(exit->insn_nbytes, (uint8_t)X86_INSN_MAX_LEN);

	if (got) {
		memcpy(code, exit->insn_bytes, got);
		*err = mmio_decode(code, got, bits, insn);
		if (*err != -EAGAIN)
			return got;
	}
	got = guest_fetch_insn(vcpu, exit, code);
	*err = mmio_decode(code, got, bits, insn);
	return got;
}

/*
 * A TDP fault outside every memslot, or a write to the ROM's read-only
 * one: the instruction is emulated against what vpc_mmio_target() says
 * answers there. -ENOENT: nothing does (the VM stops with the address).
 */
static int vpc_mmio(struct vcpu *vcpu, const struct vm_exit *exit, char *why, size_t len)
{
	uint8_t code[X86_INSN_MAX_LEN];
	const struct vdev_mmio_ops *ops;
	struct mmio_insn insn;
	char bytes[3 * X86_INSN_MAX_LEN + 1];
	void *dev;
	size_t got;
	int err;

	err = vpc_mmio_target(vcpu, exit, &ops, &dev);
	if (err)
		return err;
	got = vpc_mmio_decode(vcpu, exit, code, &insn, &err);
	if (!err)
		err = mmio_emulate(&vcpu->bv->regs, &insn, exit->gpa, ops, dev);
	if (!err)
		return 0;
	mmio_format_bytes(bytes, sizeof(bytes), code, got);
	hv_snprintf(why, len, "cannot emulate the MMIO access to %#llx by instruction [%s] (%s)",
		    (unsigned long long)exit->gpa, bytes, errno_name(err));
	return err == -ENOENT ? -EINVAL : err;
}

/* --- Console ------------------------------------------------------------------ */

size_t vpc_console_input(struct vm *vm, const uint8_t *buf, size_t n)
{
	struct vpc *pc = vpc_of(vm);
	size_t room = vuart_rx_space(&pc->com1);

	return vuart_receive(&pc->com1, buf, MIN(n, room));
}

/* --- QEMU's test devices -------------------------------------------------- */

/* isa-debug-exit: the VM stops with the status; not a power event, so not restarted. */
static void vpc_debug_exit(void *ctx, uint64_t status)
{
	struct vpc *pc = ctx;

	vm_stop(pc->vm, "debug-exit status %llu", (unsigned long long)status);
}

int vpc_set_fw_cfg(struct vm *vm, const struct vfw_cfg_config *cfg)
{
	struct vpc *pc = vpc_of(vm);

	if (!pc->has_fw_cfg)
		return -ENODEV;
	vfw_cfg_set_config(&pc->fw_cfg, cfg);
	return 0;
}

/*
 * Claims the test devices vpc_params asks for, after the PC's own ports.
 * -EBUSY with an error line if the debug-exit range overlaps a claimed
 * port (vms.cfg names the port; nothing is claimed then).
 */
static int vpc_build_test_devices(struct vpc *pc, const struct vpc_params *p)
{
	if (p->debugcon) {
		vdebugcon_init(&pc->debugcon, p->console_tx, p->console_ctx);
		vpc_claim(pc, PC_DEBUGCON_PORT, PC_DEBUGCON_PORT, &vdebugcon_io_ops, &pc->debugcon,
			  "debugcon");
	}
	if (p->fw_cfg) {
		vfw_cfg_init(&pc->fw_cfg, PC_FW_CFG_PORT, p->fw_cfg);
		pc->has_fw_cfg = true;
		vpc_claim(pc, PC_FW_CFG_PORT, PC_FW_CFG_PORT + VFW_CFG_NR_PORTS - 1, &vfw_cfg_io_ops,
			  &pc->fw_cfg, "fw_cfg");
	}
	if (p->testdev) {
		for (unsigned int n = 0; n < VTESTDEV_NR_LINES; n++)
			pc->testdev_lines[n] = (struct irq_line){
				.set = vpc_testdev_irq_set, .ctx = pc, .line = n,
			};
		vtestdev_init(&pc->testdev, PC_TESTDEV_IRQ_BASE, pc->testdev_lines);
		vpc_claim(pc, PC_TESTDEV_IRQ_BASE, PC_TESTDEV_IRQ_BASE + VTESTDEV_NR_LINES - 1,
			  &vtestdev_io_ops, &pc->testdev, "pc-testdev irq");
	}
	if (p->debug_exit) {
		unsigned int first = p->debug_exit_port;
		unsigned int last = first + p->debug_exit_size - 1;

		if (last >= VPC_PORTS) {
			pr_err("vm %s: debug-exit: ports %#x-%#x run past 0xffff", pc->vm->name,
			       first, last);
			return -EBUSY;
		}
		for (unsigned int port = first; port <= last; port++) {
			unsigned int idx = pc->port_map[port];

			if (idx) {
				pr_err("vm %s: debug-exit: port %#x is taken by %s", pc->vm->name,
				       port, pc->ranges[idx - 1].name);
				return -EBUSY;
			}
		}
		vdebug_exit_init(&pc->debug_exit, (uint16_t)first, p->debug_exit_size,
				 vpc_debug_exit, pc);
		vpc_claim(pc, (uint16_t)first, (uint16_t)last, &vdebug_exit_io_ops, &pc->debug_exit,
			  "debug-exit");
	}
	return 0;
}

/* --- Building ------------------------------------------------------------------- */

/*
 * The guest's TSC, as RDTSC reads it there: the host's plus the backend's
 * offset. Only on the vCPU's own thread (its IA32_TSC_DEADLINE write), where
 * the backend may read its offset from the loaded VMCS or VMCB.
 */
static uint64_t vpc_read_tsc(void *ctx)
{
	struct vcpu *vcpu = ctx;

	return rdtsc() + backend_get_tsc_offset(vcpu->bv);
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
	vpc_claim(pc, PC_POST_PORT, PC_POST_PORT, &vpost_io_ops, &pc->post, "post");
	vpc_claim(pc, PC_COM1_BASE, PC_COM1_BASE + VUART_NR_PORTS - 1, &vuart_io_ops,
		  &pc->com1, "com1");
	vpc_claim(pc, PC_COM2_BASE, PC_COM2_BASE + VUART_NR_PORTS - 1, &vuart_io_ops,
		  &pc->com2, "com2");
	vpc_claim(pc, PC_ACPI_PM_BASE, PC_ACPI_PM_BASE + VACPI_PM_NR_PORTS - 1, &vacpi_pm_io_ops,
		  &pc->pm, "acpi pm");
	vpc_claim(pc, 0xcf8, 0xcf8, &vpci_io_ops, &pc->pci, "pci address");
	vpc_claim(pc, PC_RESET_PORT, PC_RESET_PORT, &vacpi_pm_reset_io_ops, &pc->pm, "reset");
	vpc_claim(pc, 0xcfa, 0xcff, &vpci_io_ops, &pc->pci, "pci data");
	vpc_claim(pc, PC_SHUTDOWN_PORT, PC_SHUTDOWN_PORT, &vshutdown_io_ops, &pc->shutdown,
		  "shutdown");
}

/* Stops every device timer and frees the machine. No vCPU runs. */
static void vpc_free(struct vm *vm, struct vpc *pc)
{
	vpit_destroy(&pc->pit);
	vrtc_destroy(&pc->rtc);
	for (unsigned int i = 0; i < pc->nr_cpus; i++) {
		vlapic_destroy(&pc->cpus[i].lapic);
		vm->vcpus[i]->platform_data = NULL;
	}
	kfree(pc->cpus);
	kfree(pc);
}

static void vpc_destroy(struct vm *vm)
{
	vpc_free(vm, vpc_of(vm));
}

static const struct vm_platform_ops vpc_platform_ops = {
	.name = "pc",
	.x2apic_lapic = true,
	.inject_pending = vpc_inject_pending,
	.irq_pending = vpc_irq_pending,
	.exit_begin = vpc_exit_begin,
	.destroy = vpc_destroy,
	.vcpu_runnable = vpc_vcpu_runnable,
	.vcpu_start_ready = vpc_vcpu_sipi_ready,
	.wake_pending = vpc_vcpu_wake_pending,
	.port_io = vpc_port_io,
	.mmio = vpc_mmio,
	.rdmsr = vpc_rdmsr,
	.wrmsr = vpc_wrmsr,
	.dump = vpc_vcpu_dump,
	.vcpu_load = vpc_kvmclock_load,
	.kvm_features = vpc_kvm_features,
};

int vpc_create(struct vm *vm, const struct vpc_params *p)
{
	unsigned int n = vm_nr_vcpus(vm);
	struct vtimer_vcpu *bsp_timers = &vm->vcpus[0]->timers;
	struct irq_line intr = { .set = vpc_pic_intr };
	struct vpc *pc = kzalloc(sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->cpus = kcalloc(n, sizeof(*pc->cpus));
	if (!pc->cpus) {
		kfree(pc);
		return -ENOMEM;
	}
	pc->vm = vm;
	pc->power = p->power;
	pc->ram = (struct guest_ram_layout){
		.low = p->ram_low, .high_base = GUEST_RAM_HIGH_BASE, .high = p->ram_high,
	};
	pc->unbacked_stop = p->unbacked_stop;
	intr.ctx = pc;
	for (unsigned int i = 0; i < 16; i++)
		pc->isa[i] = (struct irq_line){ .set = vpc_isa_irq_set, .ctx = pc, .line = i };

	vioapic_init(&pc->ioapic, &pc->bus);
	for (unsigned int i = 0; i < n; i++) {
		struct vcpu *vcpu = vm->vcpus[i];
		struct vpc_vcpu *c = &pc->cpus[i];
		int err = vlapic_init(&c->lapic, i, &vcpu->timers, &vpc_lapic_ops, vcpu,
				      time_now_ns, vpc_read_tsc, tsc_hz / 1000);

		BUG_ON(err);	/* fixed arguments: cannot fail */
		vapic_bus_attach(&pc->bus, &c->lapic);
		c->vcpu = vcpu;
		c->mp_state = VPC_MP_RUNNABLE;
		vcpu->platform_data = c;
	}
	pc->nr_cpus = n;
	/* As a PC BIOS leaves it: the PIC reaches the BSP through LINT0. */
	vlapic_setup_virtual_wire(&pc->cpus[0].lapic);
	vpic_init(&pc->pic, &intr);
	vpit_init(&pc->pit, bsp_timers, &pc->isa[PC_IRQ_PIT], NULL);
	vpit_set_waiting(&pc->pit, vpc_pit_waiting, pc);
	vrtc_init(&pc->rtc, bsp_timers, &pc->isa[PC_IRQ_RTC], time_now_ns, p->wall_ns,
		  p->ram_low, p->ram_high);
	/* The PIT's and the RTC's timers follow their IOAPIC entries. */
	vioapic_set_routed(&pc->ioapic, vpc_ioapic_routed, pc);
	vuart_init(&pc->com1, PC_COM1_BASE, &pc->isa[PC_IRQ_COM1], p->console_tx, p->console_ctx);
	vuart_init(&pc->com2, PC_COM2_BASE, &pc->isa[PC_IRQ_COM2], NULL, NULL);
	vpci_init(&pc->pci);
	vacpi_pm_init(&pc->pm, PC_ACPI_PM_BASE, &pc->isa[PC_IRQ_SCI], &pc->power, time_now_ns);
	vkbc_init(&pc->kbc, &pc->power);
	vshutdown_init(&pc->shutdown, &pc->power);
	vpc_kvmclock_init(pc, p->kvm_paravirt);
	vpc_build_ports(pc);
	if (vpc_build_test_devices(pc, p)) {
		vpc_free(vm, pc);
		return -EBUSY;
	}
	/* Published before any vCPU of the VM runs (their start is a release). */
	vm_platform_attach(vm, &vpc_platform_ops, pc);
	return 0;
}

struct vpc_show_ctx {
	backend_print_fn print;
	void *ctx;
};

static void vpc_show_line(void *ctx, const char *line)
{
	struct vpc_show_ctx *d = ctx;

	d->print(d->ctx, "%s", line);
}

int vpc_dump_devices(struct vm *vm, backend_print_fn print, void *ctx)
{
	struct vpc_show_ctx d = { print, ctx };
	struct vpc *pc;

	if (vm->platform != &vpc_platform_ops)
		return -ENODEV;
	pc = vpc_of(vm);
	for (unsigned int i = 0; i < pc->nr_cpus; i++) {
		print(ctx, "vCPU %u:", i);
		vpc_vcpu_dump(pc->cpus[i].vcpu, print, ctx);
	}
	print(ctx, "ioapic: redirection entries not at their reset value:");
	vioapic_dump(&pc->ioapic, vpc_show_line, &d);
	vpic_dump(&pc->pic, vpc_show_line, &d);
	vpit_dump(&pc->pit, vpc_show_line, &d);
	vrtc_dump(&pc->rtc, vpc_show_line, &d);
	vuart_dump(&pc->com1, vpc_show_line, &d);
	vuart_dump(&pc->com2, vpc_show_line, &d);
	return 0;
}
