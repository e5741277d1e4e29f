/*
 * Operating-system VMs, as the configuration file on the boot medium
 * (vms.cfg, docs/config.md) describes them: each gets guest RAM, a
 * virtual PC, ACPI tables, its kernel and initrd loaded per the Linux boot
 * protocol, and one physical CPU per vCPU. The boot CPU then becomes the
 * console monitor: it routes console input (core/launch/console_mux.c), reaps
 * VMs that ended, and restarts the ones their guest reset.
 *
 * Boot CPU only, except the callbacks marked as running on a vCPU's exit
 * path (console output, power requests). A VM that cannot be built is an
 * error line naming the VM and what is wrong; the others start anyway.
 */
#include "core/launch/console_mux.h"
#include "core/lib/errno.h"
#include "core/pc/guest_acpi.h"
#include "core/pc/linux_boot.h"
#include "core/pc/machine.h"
#include "core/lib/log.h"
#include "core/payload/payload.h"
#include "core/ram_zero.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/launch/vm_launch.h"
#include "core/launch/vmconfig.h"
#include "core/pc/vpc.h"
#include "mm/frame.h"
#include "mm/heap.h"

#define VMS_CONFIG_FILE   "vms.cfg"
#define VMS_MAX           8
#define LOW_RAM_MAX       (3ull << 30)	/* RAM above this goes above 4 GiB */
#define HIGH_RAM_BASE     (4ull << 30)
#define RAM_ALIGN_FRAMES  512		/* 2 MiB: large TDP leaves */
#define VM_MAX_RESTARTS   8
#define MONITOR_PERIOD_NS 5000000ull	/* console poll: 5 ms */
#define E820_MAX          16

struct vm_slot {
	/* Boot CPU only: */
	struct vm_config cfg;
	const struct boot_file *kernel, *initrd;
	struct vm *vm;
	paddr_t ram;
	size_t frames;
	int console;
	unsigned int cpus[VM_MAX_VCPUS];
	unsigned int restarts;
	uint64_t acpi_rsdp;	/* guest-physical, for boot_params */
	struct ram_zero ram_zero;	/* the VM's RAM, zeroed on first touch */
	uint8_t *ram_state;
	bool live;
	/* Set by a vCPU (atomic store), read by the monitor: VDEV_POWER_* + 1. */
	unsigned int power;
};

static struct vm_slot slots[VMS_MAX];
static unsigned int nr_slots;
static uint64_t cpus_busy;	/* bit n: CPU n runs a vCPU */
static unsigned int vms_live;

/* --- vCPU-context callbacks --------------------------------------------- */

static void slot_console_tx(void *ctx, uint8_t byte)
{
	struct vm_slot *s = ctx;

	console_mux_output(s->console, byte);
}

static size_t slot_console_input(void *ctx, const uint8_t *buf, size_t n)
{
	struct vm_slot *s = ctx;

	return s->vm ? vpc_console_input(s->vm, buf, n) : n;
}

static void slot_power(void *ctx, enum vdev_power_event ev)
{
	struct vm_slot *s = ctx;

	__atomic_store_n(&s->power, (unsigned int)ev + 1, __ATOMIC_RELEASE);
	vm_stop(s->vm, ev == VDEV_POWER_OFF ? "powered off by the guest" :
		"reset by the guest");
}

static void vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	vcpu_run(vcpu);
	/* Pairs with the acquire load of the monitor's reaper. */
	__atomic_sub_fetch(&vcpu->vm->running, 1, __ATOMIC_RELEASE);
}

/* --- Building and tearing down ------------------------------------------ */

static const struct boot_file *boot_find(const struct boot_record *boot, const char *name)
{
	for (uint32_t i = 0; i < boot->n_files; i++)
		if (strcmp(boot->files[i].name, name) == 0)
			return &boot->files[i];
	return NULL;
}

/* Chooses the CPUs: the configured ones, or the lowest free ones above 0. */
static int slot_pick_cpus(struct vm_slot *s)
{
	unsigned int ncpus = platform_nr_cpus(), want = s->cfg.vcpus, got = 0;

	if (s->cfg.nr_cpus) {
		for (unsigned int i = 0; i < want; i++) {
			unsigned int c = s->cfg.cpus[i];

			if (c == 0 || c >= ncpus || c >= 64 || (cpus_busy & BIT_ULL(c))) {
				pr_err("vm %s: CPU %u cannot take a vCPU (CPU 0 runs the console; %u CPUs online)",
				       s->cfg.name, c, ncpus);
				return -EBUSY;
			}
			s->cpus[got++] = c;
		}
	} else {
		for (unsigned int c = 1; c < ncpus && c < 64 && got < want; c++)
			if (!(cpus_busy & BIT_ULL(c)))
				s->cpus[got++] = c;
	}
	if (got < want) {
		pr_err("vm %s: wants %u vCPUs, only %u free CPUs (of %u; CPU 0 runs the console)",
		       s->cfg.name, want, got, ncpus);
		return -EBUSY;
	}
	for (unsigned int i = 0; i < want; i++)
		cpus_busy |= BIT_ULL(s->cpus[i]);
	return 0;
}

static void slot_release_cpus(struct vm_slot *s)
{
	for (unsigned int i = 0; i < s->cfg.vcpus; i++)
		cpus_busy &= ~BIT_ULL(s->cpus[i]);
}

static void slot_teardown(struct vm_slot *s)
{
	struct vm *vm = s->vm;

	if (!vm)
		goto free_ram;
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		if (vm->vcpus[i]->bv)
			backend_vcpu_destroy(vm->vcpus[i]->bv);
	memslots_delete(&vm->memslots, 0);
	if (s->cfg.memory > LOW_RAM_MAX)
		memslots_delete(&vm->memslots, 1);
	vm_destroy(vm);
	s->vm = NULL;
free_ram:
	kfree(s->ram_state);
	s->ram_state = NULL;
	if (s->frames)
		frame_free_contig(s->ram, s->frames);
	s->frames = 0;
}

static int slot_alloc_ram(struct vm_slot *s)
{
	s->frames = s->cfg.memory >> PAGE_SHIFT;
	if (frame_alloc_contig(s->frames, RAM_ALIGN_FRAMES, &s->ram)) {
		pr_err("vm %s: cannot get %llu MiB of RAM in one piece (%llu MiB free)",
		       s->cfg.name, (unsigned long long)(s->cfg.memory >> 20),
		       (unsigned long long)(frame_free_count() >> (20 - PAGE_SHIFT)));
		s->frames = 0;
		return -ENOMEM;
	}
	return 0;	/* zeroed on first touch: slot_create_vm() */
}

static int slot_create_vm(struct vm_slot *s)
{
	uint64_t low = MIN(s->cfg.memory, LOW_RAM_MAX), high = s->cfg.memory - low;
	struct vm_params p = {
		.name = s->cfg.name, .tdp_levels = 4, .max_vcpus = s->cfg.vcpus,
	};
	struct vcpu *vcpu;
	unsigned int shift;
	int err;

	p.tdp = backend_caps.tdp_format == BACKEND_TDP_EPT ? TDP_KIND_EPT : TDP_KIND_NPT;
	p.tdp_max_leaf = (backend_caps.tdp_large & BACKEND_TDP_2M) ? TDP_LEVEL_2M : TDP_LEVEL_4K;
	err = vm_create(&p, &s->vm);
	if (err)
		return err;
	/* Chunks of the largest TDP leaf: a fault maps no more than its chunk. */
	shift = p.tdp_max_leaf == TDP_LEVEL_2M ? 21 : PAGE_SHIFT;
	s->ram_state = kmalloc(ram_zero_state_bytes(s->cfg.memory, shift));
	if (!s->ram_state)
		return -ENOMEM;
	ram_zero_init(&s->ram_zero, phys_to_virt(s->ram), low, s->cfg.memory, shift, s->ram_state);
	s->vm->ram_zero = &s->ram_zero;
	/* What the loader writes below 1 MiB (boot_params, GDT, ACPI) finds zeros. */
	ram_zero_touch(&s->ram_zero, 0, MiB(1));
	err = memslots_create(&s->vm->memslots, 0, 0, low >> PAGE_SHIFT, s->ram, 0);
	if (!err && high)
		err = memslots_create(&s->vm->memslots, 1, HIGH_RAM_BASE >> PAGE_SHIFT,
				      high >> PAGE_SHIFT, s->ram + low, 0);
	for (unsigned int i = 0; !err && i < s->cfg.vcpus; i++) {
		err = vm_vcpu_create(s->vm, &vcpu);
		if (!err)
			err = backend_vcpu_create(i, &vcpu->bv);
		if (!err)
			err = backend_set_tdp_root(vcpu->bv, s->vm->mmu.root_pa,
						   (unsigned int)s->vm->mmu.levels);
	}
	return err;
}

static int slot_create_platform(struct vm_slot *s)
{
	struct vpc_params p = {
		.ram_bytes = s->cfg.memory,
		.wall_ns = platform_wall_ns,
		.console_tx = slot_console_tx, .console_ctx = s,
		.power = { .event = slot_power, .ctx = s },
	};
	struct guest_acpi_cfg acfg = guest_acpi_default_cfg(s->cfg.vcpus);
	uint8_t *ram = phys_to_virt(s->ram);
	uint64_t rsdp;
	size_t used;
	int err;

	err = vpc_create(s->vm, &p);
	if (err)
		return err;
	err = guest_acpi_build(ram + PC_ACPI_TABLES_GPA, PC_ACPI_TABLES_GPA, PC_ACPI_TABLES_ROOM,
			       &acfg, &rsdp, &used);
	if (err) {
		pr_err("vm %s: cannot build the ACPI tables: %s", s->cfg.name, errno_name(err));
		return err;
	}
	s->acpi_rsdp = rsdp;
	return 0;
}

/*
 * A test payload (core/payload/payload.h) as the kernel: copied to its load
 * address, vCPU 0 in real mode at its entry with the platform around it
 * (the hardening tests drive the devices this way).
 */
static int slot_load_payload(struct vm_slot *s, struct guest_state *st)
{
	const struct payload_header *h = phys_to_virt(s->kernel->base);

	if (s->kernel->size > PAYLOAD_MAX_SIZE || h->entry >= s->kernel->size) {
		pr_err("vm %s: kernel %s: test payload too large or entry outside the file",
		       s->cfg.name, s->kernel->name);
		return -ENOEXEC;
	}
	memcpy((uint8_t *)phys_to_virt(s->ram) + PAYLOAD_LOAD_GPA, h, s->kernel->size);
	guest_state_init_reset(st);
	st->seg[SEG_CS].selector = 0;
	st->seg[SEG_CS].base = 0;
	st->regs.rip = PAYLOAD_LOAD_GPA + h->entry;
	st->regs.gpr[GPR_RSP] = PAYLOAD_LOAD_GPA;
	pr_info("vm %s: test payload %s, entry %#llx (real mode)", s->cfg.name, s->kernel->name,
		(unsigned long long)st->regs.rip);
	return 0;
}

static bool slot_kernel_is_payload(const struct vm_slot *s)
{
	const struct payload_header *h = phys_to_virt(s->kernel->base);

	return s->kernel->size >= sizeof(*h) && h->magic == PAYLOAD_MAGIC;
}

/* Loads the kernel and initrd; vCPU 0 at the kernel's entry, APs wait for SIPI. */
static int slot_load_guest(struct vm_slot *s)
{
	uint64_t low = MIN(s->cfg.memory, LOW_RAM_MAX);
	struct e820_entry map[E820_MAX];
	struct linux_boot_cfg lc = {
		.kernel = phys_to_virt(s->kernel->base), .kernel_size = s->kernel->size,
		.kernel_name = s->kernel->name,
		.initrd = s->initrd ? phys_to_virt(s->initrd->base) : NULL,
		.initrd_size = s->initrd ? s->initrd->size : 0,
		.initrd_name = s->initrd ? s->initrd->name : NULL,
		.cmdline = s->cfg.cmdline,
		.e820 = map,
		.acpi_rsdp = s->acpi_rsdp,
	};
	struct linux_boot_info info;
	struct guest_state st;
	char why[160];
	int err;

	if (slot_kernel_is_payload(s)) {
		err = slot_load_payload(s, &st);
		if (err)
			return err;
		goto set_state;
	}
	lc.nr_e820 = linux_boot_e820_for(low, s->cfg.memory - low, map, E820_MAX);
	err = linux_boot_load(phys_to_virt(s->ram), low, &lc, &st, &info, why, sizeof(why));
	if (err) {
		pr_err("vm %s: %s", s->cfg.name, why);
		return err;
	}
	pr_info("vm %s: kernel %s at %#llx (boot protocol %u.%02u), initrd %s %llu KiB at %#llx",
		s->cfg.name, s->kernel->name, (unsigned long long)info.kernel_addr,
		info.protocol >> 8, info.protocol & 0xff, s->initrd ? s->initrd->name : "(none)",
		(unsigned long long)(lc.initrd_size >> 10), (unsigned long long)info.initrd_addr);
	{
		struct ram_zero_range kept[2] = {
			{ info.kernel_addr, info.kernel_size },
			{ info.initrd_addr, info.initrd_size },
		};

		ram_zero_keep(&s->ram_zero, kept, info.initrd_size ? 2 : 1);
	}
set_state:
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		err = vpc_vcpu_set_start(s->vm->vcpus[i], i == 0 ? &st : NULL);
		if (err)
			return err;
	}
	return 0;
}

static void slot_start_vcpus(struct vm_slot *s)
{
	struct vm *vm = s->vm;

	vm->running = s->cfg.vcpus;
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		int err;

		vm->vcpus[i]->host_cpu = (int)s->cpus[i];
		err = platform_run_on_cpu(s->cpus[i], vcpu_thread, vm->vcpus[i]);
		if (err) {
			vm_stop(vm, "CPU %u cannot take vCPU %u (%s)", s->cpus[i], i, errno_name(err));
			__atomic_sub_fetch(&vm->running, 1, __ATOMIC_RELEASE);
		}
	}
}

/* Builds and starts the VM of s. On error nothing of it is left. */
static int slot_start(struct vm_slot *s)
{
	int err;

	__atomic_store_n(&s->power, 0, __ATOMIC_RELAXED);
	err = slot_pick_cpus(s);
	if (err)
		return err;
	err = slot_alloc_ram(s);
	if (err)
		goto release_cpus;
	err = slot_create_vm(s);
	if (err) {
		pr_err("vm %s: cannot create the VM: %s", s->cfg.name, errno_name(err));
		goto teardown;
	}
	err = slot_create_platform(s);
	if (err) {
		pr_err("vm %s: cannot create the virtual PC: %s", s->cfg.name, errno_name(err));
		goto teardown;
	}
	err = slot_load_guest(s);
	if (err)
		goto teardown;
	pr_info("vm %s: %u vCPU(s) on CPU %u%s, %llu MiB, cmdline \"%s\"", s->cfg.name,
		s->cfg.vcpus, s->cpus[0], s->cfg.vcpus > 1 ? " and up" : "",
		(unsigned long long)(s->cfg.memory >> 20), s->cfg.cmdline);
	slot_start_vcpus(s);
	return 0;

teardown:
	slot_teardown(s);
release_cpus:
	slot_release_cpus(s);
	return err;
}

/* --- Configuration ------------------------------------------------------- */

static int slot_resolve_files(struct vm_slot *s, const struct boot_record *boot)
{
	s->kernel = boot_find(boot, s->cfg.kernel);
	if (!s->kernel) {
		pr_err("vm %s: kernel %s: no such file on the boot medium", s->cfg.name, s->cfg.kernel);
		return -ENOENT;
	}
	s->initrd = NULL;
	if (s->cfg.initrd[0]) {
		s->initrd = boot_find(boot, s->cfg.initrd);
		if (!s->initrd) {
			pr_err("vm %s: initrd %s: no such file on the boot medium", s->cfg.name,
			       s->cfg.initrd);
			return -ENOENT;
		}
	}
	return 0;
}

bool vms_config_uses(const struct boot_record *boot, const char *file)
{
	static struct vm_config cfgs[VMS_MAX];
	const struct boot_file *f = boot_find(boot, VMS_CONFIG_FILE);
	unsigned int n = 0;
	char err[8];

	if (!f || vmconfig_parse(phys_to_virt(f->base), f->size, VMS_CONFIG_FILE, cfgs, VMS_MAX,
				 &n, err, sizeof(err)))
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(cfgs[i].kernel, file) == 0 || strcmp(cfgs[i].initrd, file) == 0)
			return true;
	return false;
}

unsigned int vms_launch_all(const struct boot_record *boot)
{
	static struct vm_config cfgs[VMS_MAX];
	const struct boot_file *f = boot_find(boot, VMS_CONFIG_FILE);
	unsigned int n = 0, started = 0;
	char err[192];

	if (!f)
		return 0;
	if (vmconfig_parse(phys_to_virt(f->base), f->size, VMS_CONFIG_FILE, cfgs, VMS_MAX, &n,
			   err, sizeof(err))) {
		pr_err("%s", err);
		pr_err("hv: %s is not valid; no VM started", VMS_CONFIG_FILE);
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct vm_slot *s = &slots[nr_slots];

		memset(s, 0, sizeof(*s));
		s->cfg = cfgs[i];
		s->console = -1;
		if (slot_resolve_files(s, boot) || slot_start(s))
			continue;
		s->console = console_mux_add(s->cfg.name, slot_console_input, s);
		s->live = true;
		nr_slots++;
		vms_live++;
		started++;
	}
	pr_info("hv: %u of %u VM(s) started", started, n);
	return started;
}

/* --- The console monitor ------------------------------------------------- */

static void slot_report(struct vm_slot *s)
{
	struct vm *vm = s->vm;

	pr_info("vm %s: ended: %s", vm->name, vm->stop_reason);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exits(vm->vcpus[i]);
}

/* Ends, restarts or keeps each VM; the boot CPU's periodic work. */
static void vms_reap(void)
{
	for (unsigned int i = 0; i < nr_slots; i++) {
		struct vm_slot *s = &slots[i];
		unsigned int power;

		if (!s->live || !s->vm || __atomic_load_n(&s->vm->running, __ATOMIC_ACQUIRE))
			continue;
		power = __atomic_load_n(&s->power, __ATOMIC_ACQUIRE);
		slot_report(s);
		slot_teardown(s);
		slot_release_cpus(s);
		if (power == VDEV_POWER_RESET + 1 && s->restarts < VM_MAX_RESTARTS) {
			s->restarts++;
			pr_info("vm %s: restarting (restart %u)", s->cfg.name, s->restarts);
			if (slot_start(s) == 0)
				continue;
		} else if (power == VDEV_POWER_RESET + 1) {
			pr_err("vm %s: reset %u times; not restarted again", s->cfg.name, s->restarts);
		}
		console_mux_remove(s->console);
		s->live = false;
		if (--vms_live == 0)
			pr_info("hv: every VM has ended; the hypervisor stays up");
	}
}

static void vms_list(void)
{
	for (unsigned int i = 0; i < nr_slots; i++) {
		struct vm_slot *s = &slots[i];
		uint64_t exits = 0;

		if (s->live && s->vm)
			for (unsigned int v = 0; v < vm_nr_vcpus(s->vm); v++)
				exits += READ_ONCE(s->vm->vcpus[v]->exits_total);
		pr_info("vm %s: %s, %u vCPU(s) from CPU %u, %llu MiB, %llu exits, %u restarts",
			s->cfg.name, s->live ? "running" : "ended", s->cfg.vcpus, s->cpus[0],
			(unsigned long long)(s->cfg.memory >> 20), (unsigned long long)exits,
			s->restarts);
	}
}

static void monitor_key(int c)
{
	switch (c) {
	case 'h':
		pr_info("hv keys: h help, q list VMs, s exit statistics; Ctrl-A x3 moves the console");
		break;
	case 'q':
		vms_list();
		break;
	case 's':
		for (unsigned int i = 0; i < nr_slots; i++)
			if (slots[i].live && slots[i].vm)
				for (unsigned int v = 0; v < vm_nr_vcpus(slots[i].vm); v++)
					vcpu_print_exits(slots[i].vm->vcpus[v]);
		break;
	default:
		break;
	}
}

__noreturn void vms_monitor(void)
{
	for (;;) {
		unsigned long flags;

		console_mux_poll(monitor_key);
		vms_reap();
		flags = irq_save();
		platform_timer_arm(time_now_ns() + MONITOR_PERIOD_NS);
		platform_wait_irq();
		irq_restore(flags);
	}
}
