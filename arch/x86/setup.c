/*
 * hv_main: the one core entry of both boot paths. Boot CPU, interrupts off,
 * on the entry path's stack, paging as the loader left it (identity).
 *
 * Brings the host up in the order the boot log reports it: console and
 * banner, boot path, memory, ACPI/MADT, TSC, every CPU, then "ready".
 * Whatever cannot be set up is an error line; only a machine the
 * hypervisor cannot run on at all (no memory map) stops it.
 */
#include "asm/apic.h"
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/paging.h"
#include "asm/percpu.h"
#include "asm/smp.h"
#include "asm/tsc.h"
#include "asm/xstate.h"
#include "core/backend.h"
#include "core/exit_rec.h"
#include "core/lib/boot.h"
#include "core/launch/vm_launch.h"
#include "core/launch/console_mux.h"
#include "core/launch/gdb_serve.h"
#include "core/lib/cmdline.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "drivers/acpi.h"
#include "drivers/uart16550.h"
#include "mm/frame.h"
#include "mm/heap.h"

#ifndef HV_VERSION
#define HV_VERSION "0.0.0-unknown"
#endif

int console_init(uint16_t port, uint32_t baud, bool debugcon);
void platform_init_ipis(void);
void platform_wall_clock_init(void);

static struct cmdline boot_cmdline;
static struct acpi_info acpi_info;

static const char *const boot_path_names[] = {
	[BOOT_PATH_UEFI] = "UEFI",
	[BOOT_PATH_MULTIBOOT2] = "Multiboot2",
};

static uint16_t console_port_from(const char *s)
{
	static const struct { const char *name; uint16_t port; } ports[] = {
		{ "com1", UART_COM1 }, { "com2", UART_COM2 },
		{ "com3", UART_COM3 }, { "com4", UART_COM4 },
	};
	uint64_t v;
	size_t i;

	if (!s)
		return UART_COM1;
	for (i = 0; i < ARRAY_SIZE(ports); i++)
		if (strcmp(s, ports[i].name) == 0)
			return ports[i].port;
	if (parse_u64(s, &v) == 0 && v > 0 && v < 0xfff8)
		return (uint16_t)v;
	return 0;
}

static int loglevel_from(const char *s)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	if (parse_u64(s, &v) == 0 && v <= LOG_DEBUG)
		return (int)v;
	return -1;
}

/* Console first: everything after it can report what goes wrong. */
static void setup_console(const struct boot_record *boot)
{
	int parse_err = cmdline_parse(&boot_cmdline, boot->cmdline);
	const char *con = cmdline_get(&boot_cmdline, "console");
	const char *lvl = cmdline_get(&boot_cmdline, "loglevel");
	uint16_t port = console_port_from(con);
	uint64_t baud = 115200;
	int err;

	if (cmdline_get_u64(&boot_cmdline, "baud", &baud) == -EINVAL || baud == 0 ||
	    baud > 115200)
		baud = 115200;
	err = console_init(port ? port : UART_COM1, (uint32_t)baud,
			   cmdline_has(&boot_cmdline, "debugcon"));
	if (err && port != UART_COM1)
		console_init(UART_COM1, 115200, cmdline_has(&boot_cmdline, "debugcon"));

	pr_info("hv: micro-hypervisor %s (x86-64; VT-x/EPT, AMD-V/NPT)", HV_VERSION);
	pr_info("hv: boot path %s, command line \"%s\"",
		boot->path < ARRAY_SIZE(boot_path_names) ? boot_path_names[boot->path] : "?",
		boot->cmdline);
	if (parse_err) {
		pr_err("hv: bad command line (%s); options after the problem ignored",
		       errno_name(parse_err));
		cmdline_parse(&boot_cmdline, boot->cmdline);	/* says what is wrong */
	}
	if (!port)
		pr_err("hv: unknown console \"%s\"; using COM1", con);
	if (lvl) {
		int l = loglevel_from(lvl);

		if (l < 0)
			pr_err("hv: bad loglevel \"%s\" (err, warn, info, debug or 0-3)", lvl);
		else
			log_level_max = l;
	}
	if (boot->error[0])
		pr_err("hv: boot loader: %s", boot->error);
}

static __noreturn void stop_boot(const char *why)
{
	pr_err("hv: cannot continue: %s", why);
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

static void setup_memory(const struct boot_record *boot)
{
	struct boot_mem_region reserved[BOOT_MAX_FILES + 2];
	size_t n = 0;
	uint32_t i;
	int err;

	if (boot->n_mem == 0)
		stop_boot("the boot loader gave no memory map");
	reserved[n++] = (struct boot_mem_region){ boot->image_base, boot->image_size,
						  BOOT_MEM_LOADED };
	if (boot->trampoline)
		reserved[n++] = (struct boot_mem_region){ boot->trampoline, PAGE_SIZE,
							  BOOT_MEM_LOADED };
	for (i = 0; i < boot->n_files; i++)
		reserved[n++] = (struct boot_mem_region){ boot->files[i].base,
							  boot->files[i].size,
							  BOOT_MEM_LOADED };
	err = frame_init(boot->mem, boot->n_mem, reserved, n);
	if (err)
		stop_boot("no usable memory in the firmware memory map");
	pr_info("mem: %llu MiB usable, %llu frames free now, %u map entries, %u files loaded",
		(unsigned long long)(frame_usable_bytes() >> 20),
		(unsigned long long)frame_free_count(), boot->n_mem, boot->n_files);
	for (i = 0; i < boot->n_files; i++)
		pr_info("mem: file \"%s\" at 0x%llx, %llu bytes", boot->files[i].name,
			(unsigned long long)boot->files[i].base,
			(unsigned long long)boot->files[i].size);
	err = paging_init(boot);
	if (err)
		stop_boot("no memory for the host page tables");
	/* Own page tables, GDT, IDT and stack: the firmware's are free now. */
	err = frame_release_firmware(boot->mem, boot->n_mem);
	if (err > 0)
		pr_info("mem: %llu MiB of firmware boot-time memory reclaimed",
			(unsigned long long)err >> (20 - PAGE_SHIFT));
	heap_init();
}

/* Returns the ACPI description, or NULL if the machine has none we trust. */
static const struct acpi_info *setup_acpi(const struct boot_record *boot)
{
	paddr_t rsdp = boot->acpi_rsdp;
	int err;

	if (!rsdp)
		rsdp = acpi_find_rsdp_legacy();
	if (!rsdp) {
		pr_err("acpi: no RSDP from the firmware or in low memory; running on the boot CPU only");
		return NULL;
	}
	err = acpi_init(rsdp, &acpi_info);
	if (err) {
		pr_err("acpi: tables unusable (%s); running on the boot CPU only",
		       errno_name(err));
		return NULL;
	}
	acpi_print_summary(&acpi_info);
	return &acpi_info;
}

static int cpus_virt_enabled;

static void enable_virt_on_cpu(void *arg)
{
	int err;

	fpu_cpu_init();		/* before any vCPU: the host's XCR0 (fpu.c) */
	err = backend_cpu_enable();

	if (err)
		pr_err("%s: CPU %u: cannot enable virtualization: %s", backend->name,
		       smp_processor_id(), errno_name(err));
	else
		atomic_fetch_add(&cpus_virt_enabled, 1);
}

/* Returns true if guests can run: a backend works on every CPU. */
static bool setup_virtualization(unsigned int online)
{
	if (backend_init()) {
		pr_warn("hv: no usable hardware virtualization (VT-x with EPT or AMD-V with NPT); guests cannot run");
		return false;
	}
	fpu_probe();
	smp_call_on_all(enable_virt_on_cpu, NULL);
	pr_info("%s: enabled on %d of %u CPUs", backend->name, cpus_virt_enabled, online);
	return (unsigned int)cpus_virt_enabled == online;
}

/* trace=N: the flight recorder's entries per vCPU (core/exit_rec.h). */
static void setup_exit_recorder(void)
{
	uint64_t n = EXIT_REC_DEFAULT_LEN;
	int err = cmdline_get_u64(&boot_cmdline, "trace", &n);

	if (err && err != -ENOENT) {
		pr_err("hv: bad trace=\"%s\" (a number of exits, 0: off); using %u",
		       cmdline_get(&boot_cmdline, "trace"), EXIT_REC_DEFAULT_LEN);
		n = EXIT_REC_DEFAULT_LEN;
	}
	exit_rec_set_default_len(n > EXIT_REC_MAX_LEN ? EXIT_REC_MAX_LEN : (unsigned int)n);
	if (exit_rec_default_len())
		pr_info("hv: flight recorder: last %u exits per vCPU%s",
			exit_rec_default_len(),
			exit_rec_default_len() != n ? " (trace= rounded to a power of two)" : "");
	else
		pr_info("hv: flight recorder off (trace=0)");
}

static __noinline void selftest_fault(void)
{
	volatile uint64_t *p = (volatile uint64_t *)(paging_mapped_limit() + MiB(2) + 0x10);

	pr_info("selftest: reading unmapped address %p; a page fault must follow", (void *)p);
	(void)*p;
	pr_err("selftest: fault: no fault was taken");
}

/* Exhausts the frame allocator: it must fail cleanly and recover. */
static void selftest_oom(void)
{
	uint64_t before = frame_free_count(), got = 0;
	paddr_t pa, head = 0;
	int err;

	/* Chain the frames through their first word: no other memory needed. */
	while ((err = frame_alloc(&pa)) == 0) {
		*(paddr_t *)phys_to_virt(pa) = head;
		head = pa;
		got++;
	}
	pr_info("selftest: oom: %llu frames allocated, then %s; %s from the heap too",
		(unsigned long long)got, errno_name(err),
		kmalloc(PAGE_SIZE * 4) ? "memory" : "NULL");
	while (head) {
		pa = head;
		head = *(paddr_t *)phys_to_virt(pa);
		frame_free(pa);
	}
	if (err == -ENOMEM && got == before && frame_free_count() == before)
		pr_info("selftest: oom: PASS (%llu frames free again)",
			(unsigned long long)before);
	else
		pr_err("selftest: oom: FAIL (had %llu free, got %llu, now %llu)",
		       (unsigned long long)before, (unsigned long long)got,
		       (unsigned long long)frame_free_count());
}

static void run_selftest(void)
{
	const char *t = cmdline_get(&boot_cmdline, "selftest");

	if (!t)
		return;
	if (strcmp(t, "fault") == 0)
		selftest_fault();
	else if (strcmp(t, "oom") == 0)
		selftest_oom();
	else
		pr_err("selftest: unknown test \"%s\" (fault, oom)", t);
}

/*
 * The GDB stub's port: gdb=com2 (the default), another COM port, a port
 * number, or off. Never the console's own port.
 */
static void setup_gdb(void)
{
	const char *opt = cmdline_get(&boot_cmdline, "gdb");
	const char *con = cmdline_get(&boot_cmdline, "console");
	int port = gdb_serve_port_from(opt);

	if (port < 0) {
		pr_err("hv: gdb=%s: not com1-com4, a port number or off; stub off", opt);
		port = 0;
	} else if (port && port == console_port_from(con)) {
		pr_err("hv: gdb: port %#x is the console's; stub off", port);
		port = 0;
	}
	gdb_serve_setup((uint16_t)port, opt != NULL);
}

/*
 * focus=vm (the default): the first VM takes the console's input and its
 * output passes raw; focus=hv: the hypervisor keeps the input and every
 * guest line comes tagged "[NAME] line" (scripts/run-kernel.sh reads them).
 */
static void setup_console_focus(void)
{
	const char *opt = cmdline_get(&boot_cmdline, "focus");

	if (!opt || strcmp(opt, "vm") == 0)
		return;
	if (strcmp(opt, "hv") == 0)
		console_mux_set_autofocus(false);
	else
		pr_err("hv: focus=%s: not vm or hv; using vm", opt);
}

void hv_main(struct boot_record *boot)
{
	const struct acpi_info *acpi;
	const char *tsc_source;
	unsigned int online, answered;
	bool virt;

	tsc_mark_boot();
	smp_init_bsp();
	tsc_source = tsc_calibrate();
	setup_console(boot);
	desc_init_idt();
	desc_init_cpu();
	desc_load_idt();
	setup_memory(boot);
	acpi = setup_acpi(boot);
	pr_info("tsc: %llu.%03llu MHz (%s)", (unsigned long long)(tsc_hz / 1000000),
		(unsigned long long)(tsc_hz / 1000 % 1000), tsc_source);
	if (apic_init_bsp(acpi ? acpi->lapic_base : 0))
		stop_boot("no local APIC");
	platform_init_ipis();
	apic_timer_calibrate();
	platform_wall_clock_init();
	online = smp_boot(boot, acpi);
	answered = smp_ping_all();
	if (answered != online)
		pr_err("smp: only %u of %u CPUs answered the IPI ping", answered, online);
	else
		pr_info("smp: IPI ping answered by all %u CPUs", answered);
	if (smp_sched_init())
		stop_boot("no memory for the boot CPU's idle thread");
	virt = setup_virtualization(online);
	setup_exit_recorder();
	pr_info("hv: %u CPUs online, ready", online);
	run_selftest();
	/*
	 * The boot CPU runs vCPUs (test payloads) and the console monitor from
	 * here on: both need interrupts on, as every run loop does (a host
	 * timer interrupt that arrives while a guest runs must be taken on
	 * the exit, or every later entry exits again at once).
	 */
	irq_enable();
	if (virt) {
		setup_console_focus();
		vms_run_payloads(boot);
		if (vms_launch_all(boot)) {
			setup_gdb();
			vms_monitor();
		}
	}
	smp_idle_loop();
}
