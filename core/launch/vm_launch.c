/*
 * Operating-system VMs, as the configuration file on the boot medium
 * (vms.cfg, docs/config.md) describes them: each is built by the VM
 * builder (core/vm_build.c: guest RAM, vCPUs), gets a virtual PC, ACPI
 * tables, its kernel and initrd loaded per the Linux boot protocol (or
 * a Multiboot, Multiboot2 or PVH kernel with its modules,
 * docs/guest-images.md), and
 * a thread per vCPU on the CPUs its cpus= allows (core/launch/cpu_alloc.c,
 * core/sched.h). The boot CPU's first thread then becomes the console
 * monitor (core/launch/monitor.c), of higher priority than vCPUs, with this file's
 * commands and its periodic work: reaping VMs that ended and rebuilding
 * the ones their guest reset.
 *
 * Boot CPU only, except the callbacks marked as running on a vCPU's exit
 * path (console output, power requests). A VM that cannot be built is an
 * error line naming the VM and what is wrong; the others start anyway.
 */
#include "core/launch/console_mux.h"
#include "core/launch/cpu_alloc.h"
#include "core/launch/gdb_serve.h"
#include "core/launch/monitor.h"
#include "core/launch/monitor_vm.h"
#include "core/launch/vm_cmds.h"
#include "core/launch/monitor_profile.h"
#include "core/launch/monitor_trace.h"
#include "core/lib/errno.h"
#include "core/pc/guest_acpi.h"
#include "core/pc/linux_boot.h"
#include "core/pc/machine.h"
#include "core/pc/memmap.h"
#include "core/pc/multiboot.h"
#include "core/pc/multiboot2.h"
#include "core/pc/pvh_boot.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/lib/printf.h"
#include "core/payload/payload.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/launch/vm_launch.h"
#include "core/launch/vmconfig.h"
#include "core/vm_build.h"
#include "core/pc/vpc.h"

#define VMS_CONFIG_FILE   "vms.cfg"
#define VMS_MAX           8
#define VM_MAX_RESTARTS   8
#define E820_MAX          16

struct vm_slot {
	/* Boot CPU only: */
	struct vm_config cfg;
	const struct boot_file *kernel, *initrd;
	const struct boot_file *modules[VMCONFIG_MODULES_MAX];	/* cfg.nr_modules */
	struct vm_build *build;	/* guest RAM, the VM and its vCPUs */
	struct vm *vm;		/* build->vm while built; read by vCPU callbacks */
	int console;
	/* Where each vCPU started (for the monitor), and how it is placed. */
	unsigned int cpus[VM_MAX_VCPUS];
	unsigned int pin[VM_MAX_VCPUS];
	struct vm_build_sched sched;
	unsigned int restarts;
	uint64_t acpi_rsdp;	/* guest-physical, for boot_params */
	uint64_t boot_ns;	/* time_now_ns() of the last boot */
	bool live;
	/* The monitor asked for the VM's end (stop) or a rebuild (reset). */
	bool stop_asked, reset_asked;
	/* Set by a vCPU (atomic store), read by the monitor: VDEV_POWER_* + 1. */
	unsigned int power;
};

static struct vm_slot slots[VMS_MAX];
static unsigned int nr_slots;
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

/*
 * The VM stops (the CPU that stopped it): its console output so far goes
 * out before the hypervisor's "stopping" line, so that a guest's last
 * line ("PASS ...", a panic) is never cut by it. Bounded: a drain that
 * cannot keep up costs the stopping CPU 100 ms at most.
 */
static void slot_stop_notify(struct vm *vm, void *ctx)
{
	struct vm_slot *s = ctx;

	(void)vm;
	console_mux_flush(s->console, 100000000ull);
}

static void slot_power(void *ctx, enum vdev_power_event ev)
{
	struct vm_slot *s = ctx;

	__atomic_store_n(&s->power, (unsigned int)ev + 1, __ATOMIC_RELEASE);
	vm_stop(s->vm, ev == VDEV_POWER_OFF ? "powered off by the guest" :
		"reset by the guest");
}

/* --- Building and tearing down ------------------------------------------ */

static const struct boot_file *boot_find(const struct boot_record *boot, const char *name)
{
	for (uint32_t i = 0; i < boot->n_files; i++)
		if (strcmp(boot->files[i].name, name) == 0)
			return &boot->files[i];
	return NULL;
}

/* Takes the VM down; its CPUs stay held. */
static void slot_teardown(struct vm_slot *s)
{
	if (!s->build)
		return;
	gdb_serve_vm_ending(s->vm);
	vm_build_destroy(s->build);
	s->build = NULL;
	s->vm = NULL;
}

static int slot_build(struct vm_slot *s)
{
	struct vm_build_params p = {
		.name = s->cfg.name, .vcpus = s->cfg.vcpus, .ram_bytes = s->cfg.memory,
		.rom_start = PC_ROM_START, .rom_end = PC_ROM_END,
	};
	int err;

	err = vm_build_create(&p, &s->build);
	if (err) {
		pr_err("vm %s: cannot create the VM: %s", s->cfg.name, errno_name(err));
		return err;
	}
	s->vm = s->build->vm;
	return 0;
}

/*
 * What fw_cfg reports (fw-cfg=on): the machine and the files' sizes; the
 * addresses where the loader placed them (0 until it has) and the size of
 * what it placed of the kernel (a bzImage's protected-mode part, as QEMU
 * reports it; the whole file before loading and for a test payload).
 */
static struct vfw_cfg_config slot_fw_cfg(const struct vm_slot *s, uint64_t kernel_addr,
					 uint64_t kernel_size, uint64_t initrd_addr,
					 uint64_t cmdline_addr)
{
	return (struct vfw_cfg_config){
		.ram_size = s->cfg.memory,
		.nr_cpus = (uint16_t)s->cfg.vcpus, .max_cpus = (uint16_t)s->cfg.vcpus,
		.kernel_addr = (uint32_t)kernel_addr, .kernel_size = (uint32_t)kernel_size,
		.initrd_addr = s->initrd ? (uint32_t)initrd_addr : 0,
		.initrd_size = s->initrd ? (uint32_t)s->initrd->size : 0,
		.cmdline_addr = (uint32_t)cmdline_addr, .cmdline = s->cfg.cmdline,
	};
}

static int slot_create_platform(struct vm_slot *s)
{
	struct vfw_cfg_config fw_cfg = slot_fw_cfg(s, 0, s->kernel->size, 0, 0);
	struct vpc_params p = {
		.ram_low = s->build->layout.low, .ram_high = s->build->layout.high,
		.wall_ns = platform_wall_ns,
		.console_tx = slot_console_tx, .console_ctx = s,
		.power = { .event = slot_power, .ctx = s },
		.debug_exit = s->cfg.debug_exit, .debug_exit_port = s->cfg.debug_exit_port,
		.debug_exit_size = s->cfg.debug_exit_size,
		.debugcon = s->cfg.debugcon, .testdev = s->cfg.testdev,
		.fw_cfg = s->cfg.fw_cfg ? &fw_cfg : NULL,
		.unbacked_stop = s->cfg.unbacked_stop,
		.kvm_paravirt = s->cfg.paravirt == VMCONFIG_PARAVIRT_KVM,
	};
	struct guest_acpi_cfg acfg = guest_acpi_default_cfg(s->cfg.vcpus);
	struct ram_zero_range kept[PC_MEMMAP_FILLED];
	struct pc_region filled[PC_MEMMAP_FILLED];
	uint8_t *ram = s->build->host;
	uint64_t rsdp;
	size_t used;
	int err;

	err = vpc_create(s->vm, &p);
	if (err)
		return err;
	/* What the firmware leaves below 1 MiB; the ACPI tables go on top. */
	pc_memmap_fill_low(ram, filled);
	for (unsigned int i = 0; i < PC_MEMMAP_FILLED; i++)
		kept[i] = (struct ram_zero_range){ filled[i].start, filled[i].end - filled[i].start };
	ram_zero_keep(&s->build->zero, kept, PC_MEMMAP_FILLED);
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

	if (s->kernel->size > PAYLOAD_MAX_SIZE || h->entry >= s->kernel->size ||
	    vm_build_write(s->build, PAYLOAD_LOAD_GPA, h, s->kernel->size)) {
		pr_err("vm %s: kernel %s: test payload too large or entry outside the file",
		       s->cfg.name, s->kernel->name);
		return -ENOEXEC;
	}
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

static bool slot_kernel_is_bzimage(const struct vm_slot *s)
{
	const uint8_t *k = phys_to_virt(s->kernel->base);

	return s->kernel->size >= 0x206 && memcmp(k + 0x202, "HdrS", 4) == 0;
}

/*
 * A Multiboot, Multiboot2 or PVH kernel, loaded by load: initrd= (its
 * file name as its string), then the modules= files, as its modules. On
 * success the written ranges are kept from the zeroing on first touch.
 */
static int slot_load_boot_image(struct vm_slot *s, const struct e820_entry *map,
				unsigned int nr_e820, struct guest_state *st,
				boot_image_load_fn *load)
{
	const struct guest_ram_layout *ram = &s->build->layout;
	struct boot_module mods[BOOT_IMAGE_MODULES_MAX];
	struct boot_image_cfg c = {
		.kernel = phys_to_virt(s->kernel->base), .kernel_size = s->kernel->size,
		.kernel_name = s->kernel->name, .mods = mods, .cmdline = s->cfg.cmdline,
		.e820 = map, .nr_e820 = nr_e820, .acpi_rsdp = s->acpi_rsdp,
	};
	struct ram_zero_range kept[BOOT_IMAGE_RANGES_MAX];
	struct boot_image_info info;
	const char *str = s->cfg.module_strings;
	char why[192];
	int err;

	if (s->initrd)
		mods[c.nr_mods++] = (struct boot_module){
			phys_to_virt(s->initrd->base), s->initrd->size, s->initrd->name,
			s->initrd->name,
		};
	for (unsigned int i = 0; i < s->cfg.nr_modules; i++, str += strlen(str) + 1) {
		if (c.nr_mods == BOOT_IMAGE_MODULES_MAX) {
			pr_err("vm %s: initrd= and modules= name %u files, at most %u modules",
			       s->cfg.name, s->cfg.nr_modules + 1, BOOT_IMAGE_MODULES_MAX);
			return -E2BIG;
		}
		mods[c.nr_mods++] = (struct boot_module){
			phys_to_virt(s->modules[i]->base), s->modules[i]->size,
			s->modules[i]->name, str,
		};
	}
	err = load(s->build->host, ram->low, &c, st, &info, why, sizeof(why));
	if (err) {
		pr_err("vm %s: %s", s->cfg.name, why);
		return err;
	}
	pr_info("vm %s: kernel %s (%s) at %#llx-%#llx, entry %#llx, %u module(s)", s->cfg.name,
		s->kernel->name, info.format, (unsigned long long)info.kernel_start,
		(unsigned long long)info.kernel_end, (unsigned long long)info.entry, c.nr_mods);
	for (unsigned int i = 0; i < info.nr_ranges; i++)
		kept[i] = (struct ram_zero_range){ info.ranges[i].gpa, info.ranges[i].len };
	ram_zero_keep(&s->build->zero, kept, info.nr_ranges);
	return 0;
}

/* Loads the kernel and initrd; vCPU 0 at the kernel's entry, APs wait for SIPI. */
static int slot_load_guest(struct vm_slot *s)
{
	const struct guest_ram_layout *ram = &s->build->layout;
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
	struct vfw_cfg_config fw_cfg;
	struct guest_state st;
	char why[160];
	int err;

	if (slot_kernel_is_payload(s)) {
		err = slot_load_payload(s, &st);
		if (err)
			return err;
		fw_cfg = slot_fw_cfg(s, PAYLOAD_LOAD_GPA, s->kernel->size, 0, 0);
		goto set_state;
	}
	lc.nr_e820 = linux_boot_e820_for(ram, map, E820_MAX);
	/*
	 * QEMU's -kernel order: a bzImage, a Multiboot header, an ELF with
	 * the PVH note; Multiboot2, which QEMU does not load, before PVH.
	 */
	if (!slot_kernel_is_bzimage(s)) {
		if (multiboot_detect(lc.kernel, lc.kernel_size)) {
			err = slot_load_boot_image(s, map, lc.nr_e820, &st, multiboot_load);
		} else if (multiboot2_detect(lc.kernel, lc.kernel_size)) {
			err = slot_load_boot_image(s, map, lc.nr_e820, &st, multiboot2_load);
		} else if (pvh_boot_detect(lc.kernel, lc.kernel_size)) {
			err = slot_load_boot_image(s, map, lc.nr_e820, &st, pvh_boot_load);
		} else {
			pr_err("vm %s: kernel %s: not a bzImage (\"HdrS\" at 0x202), Multiboot (0x%08x in %u KiB), Multiboot2 (0x%08x in %u KiB), PVH ELF (note \"Xen\" 18) or test payload",
			       s->cfg.name, s->kernel->name, MULTIBOOT_MAGIC, MULTIBOOT_SEARCH >> 10,
			       MULTIBOOT2_MAGIC, MULTIBOOT2_SEARCH >> 10);
			err = -ENOEXEC;
		}
		if (err)
			return err;
		goto set_state;
	}
	if (s->cfg.nr_modules) {
		pr_err("vm %s: kernel %s: modules= is for Multiboot, Multiboot2 and PVH kernels; a bzImage takes initrd=",
		       s->cfg.name, s->kernel->name);
		return -EINVAL;
	}
	err = linux_boot_load(s->build->host, ram->low, &lc, &st, &info, why, sizeof(why));
	if (err) {
		pr_err("vm %s: %s", s->cfg.name, why);
		return err;
	}
	pr_info("vm %s: kernel %s at %#llx (boot protocol %u.%02u, %u-bit entry), initrd %s %llu KiB at %#llx",
		s->cfg.name, s->kernel->name, (unsigned long long)info.kernel_addr,
		info.protocol >> 8, info.protocol & 0xff, info.entry_bits,
		s->initrd ? s->initrd->name : "(none)",
		(unsigned long long)(lc.initrd_size >> 10), (unsigned long long)info.initrd_addr);
	{
		struct ram_zero_range kept[2] = {
			{ info.kernel_addr, info.kernel_size },
			{ info.initrd_addr, info.initrd_size },
		};

		ram_zero_keep(&s->build->zero, kept, info.initrd_size ? 2 : 1);
	}
	fw_cfg = slot_fw_cfg(s, info.kernel_addr, info.kernel_size, info.initrd_addr, info.cmdline);
set_state:
	if (s->cfg.fw_cfg)
		vpc_set_fw_cfg(s->vm, &fw_cfg);
	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		err = vpc_vcpu_set_start(s->vm->vcpus[i], i == 0 ? &st : NULL);
		if (err)
			return err;
	}
	return 0;
}

/* Records and logs the CPU each vCPU started on. */
static void slot_log_start(struct vm_slot *s)
{
	char where[96] = "";
	size_t len = 0;

	for (unsigned int i = 0; i < s->cfg.vcpus; i++) {
		int cpu = READ_ONCE(s->vm->vcpus[i]->host_cpu);

		s->cpus[i] = cpu < 0 ? 0 : (unsigned int)cpu;
		if (len < sizeof(where))
			len += (size_t)hv_snprintf(where + len, sizeof(where) - len, "%s%u",
						   i ? "," : "", s->cpus[i]);
	}
	pr_info("vm %s: %u vCPU(s) on CPU %s%s, weight %u, %llu MiB, cmdline \"%s\"",
		s->cfg.name, s->cfg.vcpus, where, s->cfg.pin ? " (pinned)" : "", s->cfg.weight,
		(unsigned long long)(s->cfg.memory >> 20), s->cfg.cmdline);
}

/* The virtual PC, the guest loaded, the vCPUs started; on error the VM is left built. */
static int slot_boot(struct vm_slot *s)
{
	int err;

	__atomic_store_n(&s->power, 0, __ATOMIC_RELAXED);
	err = slot_create_platform(s);
	if (err) {
		pr_err("vm %s: cannot create the virtual PC: %s", s->cfg.name, errno_name(err));
		return err;
	}
	err = slot_load_guest(s);
	if (err)
		return err;
	s->boot_ns = time_now_ns();
	s->vm->stop_notify = slot_stop_notify;
	s->vm->stop_ctx = s;
	vm_build_start(s->build, &s->sched);
	slot_log_start(s);
	return 0;
}

/* A start or restart that failed: whatever was built goes. */
static void slot_abort(struct vm_slot *s)
{
	slot_teardown(s);
}

/* Builds and starts the VM of s. On error nothing of it is left. */
static int slot_start(struct vm_slot *s)
{
	int err;

	err = cpu_alloc_pick(&s->cfg, &s->sched, s->pin);
	if (err)
		return err;
	err = slot_build(s);
	if (!err)
		err = slot_boot(s);
	if (err)
		slot_abort(s);
	return err;
}

/*
 * Starts the VM again after its guest reset it: a new VM over the same
 * RAM on the same CPUs. On error nothing of it is left.
 */
static int slot_restart(struct vm_slot *s)
{
	int err;

	gdb_serve_vm_ending(s->vm);
	err = vm_build_rebuild(s->build);
	s->vm = s->build->vm;
	if (err)
		pr_err("vm %s: cannot rebuild the VM: %s", s->cfg.name, errno_name(err));
	else
		err = slot_boot(s);
	if (err)
		slot_abort(s);
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
	for (unsigned int i = 0; i < s->cfg.nr_modules; i++) {
		s->modules[i] = boot_find(boot, s->cfg.module_file[i]);
		if (!s->modules[i]) {
			pr_err("vm %s: module %s: no such file on the boot medium", s->cfg.name,
			       s->cfg.module_file[i]);
			return -ENOENT;
		}
	}
	return 0;
}

/* Parses vms.cfg into cfgs; 0 with *n entries, else an error in err. */
static int vms_parse(const struct boot_file *f, struct vm_config *cfgs, unsigned int *n,
		     char *err, size_t errlen)
{
	return vmconfig_parse(phys_to_virt(f->base), f->size, VMS_CONFIG_FILE, cfgs, VMS_MAX, n,
			      err, errlen);
}

unsigned int vms_run_payloads(const struct boot_record *boot)
{
	static struct vm_config cfgs[VMS_MAX];
	const struct boot_file *f = boot_find(boot, VMS_CONFIG_FILE);
	const char *uses[(2 + VMCONFIG_MODULES_MAX) * VMS_MAX];
	unsigned int n = 0, nr_uses = 0;
	char err[8];

	/* A payload vms.cfg names runs as that VM's kernel instead. */
	if (f && !vms_parse(f, cfgs, &n, err, sizeof(err)))
		for (unsigned int i = 0; i < n; i++) {
			uses[nr_uses++] = cfgs[i].kernel;
			if (cfgs[i].initrd[0])
				uses[nr_uses++] = cfgs[i].initrd;
			for (unsigned int m = 0; m < cfgs[i].nr_modules; m++)
				uses[nr_uses++] = cfgs[i].module_file[m];
		}
	return payloads_run_all(boot, uses, nr_uses);
}

unsigned int vms_launch_all(const struct boot_record *boot)
{
	static struct vm_config cfgs[VMS_MAX];
	const struct boot_file *f = boot_find(boot, VMS_CONFIG_FILE);
	unsigned int n = 0, started = 0;
	char err[192];

	if (!f)
		return 0;
	if (vms_parse(f, cfgs, &n, err, sizeof(err))) {
		pr_err("%s", err);
		pr_err("hv: %s is not valid; no VM started", VMS_CONFIG_FILE);
		return 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct vm_slot *s = &slots[nr_slots];

		memset(s, 0, sizeof(*s));
		s->cfg = cfgs[i];
		if (slot_resolve_files(s, boot))
			continue;
		/*
		 * The console slot exists before the first vCPU runs: the
		 * guest's first bytes on COM1 have somewhere to go, and the
		 * vCPU threads read s->console only after their start, which
		 * is a release (the run queue lock sched_place() drops).
		 */
		s->console = console_mux_add(s->cfg.name, slot_console_input, s);
		if (slot_start(s)) {
			console_mux_remove(s->console);
			continue;
		}
		s->live = true;
		nr_slots++;
		vms_live++;
		started++;
	}
	pr_info("hv: %u of %u VM(s) started", started, n);
	return started;
}

/* --- The end of VMs and the monitor's commands --------------------------- */

/* Ends, restarts or keeps each VM; the console monitor's periodic work. */
static void vms_reap(void)
{
	for (unsigned int i = 0; i < nr_slots; i++) {
		struct vm_slot *s = &slots[i];
		unsigned int power;

		if (!s->live || !s->build || vm_build_running(s->build))
			continue;
		power = __atomic_load_n(&s->power, __ATOMIC_ACQUIRE);
		vm_build_report(s->build);
		if (s->reset_asked && !s->stop_asked) {
			/* A reset from the monitor: not counted against the limit. */
			s->reset_asked = false;
			pr_info("vm %s: restarting (reset from the monitor)", s->cfg.name);
			if (slot_restart(s) == 0)
				continue;
		} else if (power == VDEV_POWER_RESET + 1 && !s->stop_asked &&
			   s->restarts < VM_MAX_RESTARTS) {
			s->restarts++;
			pr_info("vm %s: restarting (restart %u)", s->cfg.name, s->restarts);
			if (slot_restart(s) == 0)
				continue;
		} else {
			if (power == VDEV_POWER_RESET + 1 && !s->stop_asked)
				pr_err("vm %s: reset %u times; not restarted again", s->cfg.name,
				       s->restarts);
			slot_teardown(s);
		}
		console_mux_remove(s->console);
		s->live = false;
		if (--vms_live == 0)
			pr_info("hv: every VM has ended; the hypervisor stays up");
	}
	gdb_serve_tick();
}

/* --- What the monitor's commands see and do (core/launch/vm_cmds.c) ----- */

static struct vm_slot *vms_slot(const char *name)
{
	for (unsigned int i = 0; i < nr_slots; i++)
		if (strcmp(slots[i].cfg.name, name) == 0)
			return &slots[i];
	return NULL;
}

struct vm *vms_find(const char *name)
{
	struct vm_slot *s = vms_slot(name);

	return s && s->live ? s->vm : NULL;
}

bool vms_info(unsigned int i, struct vms_info *out)
{
	const struct vm_slot *s;

	if (i >= nr_slots)
		return false;
	s = &slots[i];
	*out = (struct vms_info){
		.name = s->cfg.name, .live = s->live, .vm = s->live ? s->vm : NULL,
		.vcpus = s->cfg.vcpus, .cpus = s->cpus, .memory = s->cfg.memory,
		.restarts = s->restarts, .boot_ns = s->boot_ns,
	};
	return true;
}

/* The slot of the live VM name: 0, -ENOENT (no such VM) or -EBUSY (ended). */
static int vms_live_slot(const char *name, struct vm_slot **out)
{
	struct vm_slot *s = vms_slot(name);

	if (!s)
		return -ENOENT;
	if (!s->live || !s->vm)
		return -EBUSY;
	*out = s;
	return 0;
}

int vms_stop(const char *name)
{
	struct vm_slot *s;
	int err = vms_live_slot(name, &s);

	if (err)
		return err;
	s->stop_asked = true;
	vm_stop(s->vm, "stopped from the monitor");
	return 0;
}

int vms_reset(const char *name)
{
	struct vm_slot *s;
	int err = vms_live_slot(name, &s);

	if (err)
		return err;
	if (s->stop_asked)
		return -EBUSY;
	s->reset_asked = true;
	vm_stop(s->vm, "reset from the monitor");
	return 0;
}

int vms_start(const char *name)
{
	struct vm_slot *s = vms_slot(name);
	int err;

	if (!s)
		return -ENOENT;
	if (s->live)
		return -EEXIST;
	s->stop_asked = false;
	s->reset_asked = false;
	s->restarts = 0;
	s->console = console_mux_add(s->cfg.name, slot_console_input, s);
	err = slot_start(s);
	if (err) {
		console_mux_remove(s->console);
		return err;
	}
	s->live = true;
	vms_live++;
	return 0;
}

/* The monitor's periodic work: a `dirty` or `profile` in progress, then the reap. */
static void vms_tick(void)
{
	monitor_vm_tick();
	monitor_profile_tick();
	vms_reap();
}

__noreturn void vms_monitor(void)
{
	vm_cmds_register();
	monitor_vm_register();
	if (monitor_trace_register())
		pr_err("hv: monitor command trace: cannot register it");
	if (monitor_profile_register())
		pr_err("hv: monitor command profile: cannot register it");
	monitor_run(vms_tick);
}
