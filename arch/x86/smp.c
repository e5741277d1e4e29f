/*
 * SMP bring-up: INIT-SIPI-SIPI through the real-mode trampoline, one AP at
 * a time (the trampoline's data block is shared), and an IPI ping to check
 * that interrupts reach every CPU. Boot CPU only, before any guest runs;
 * the APs run ap_entry() and then idle with interrupts on.
 */
#include "asm/apic.h"
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/msr.h"
#include "asm/paging.h"
#include "asm/percpu.h"
#include "asm/smp.h"
#include "asm/tsc.h"
#include "core/lib/cpu_idle.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "core/sched.h"
#include "mm/frame.h"

#define AP_INIT_DELAY_US    10000
#define AP_SIPI_DELAY_US    300
#define AP_START_TIMEOUT_US 2000000
#define IPI_PING_TIMEOUT_US 200000

struct ap_trampoline_data {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint16_t pad0;
	uint32_t pm32_ip;
	uint16_t pm32_cs;
	uint16_t pad1;
	uint32_t lm64_ip;
	uint16_t lm64_cs;
	uint16_t pad2;
	uint64_t cr3;
	uint64_t stack;
	uint64_t entry;
	uint64_t arg;
} __packed;
_Static_assert(sizeof(struct ap_trampoline_data) == 56, "matches trampoline.S");
_Static_assert(offsetof(struct ap_trampoline_data, cr3) == 24, "matches trampoline.S");

extern const char ap_trampoline_start[], ap_trampoline_end[];
extern const char ap_trampoline_data[];
extern const uint32_t ap_trampoline_off_gdt, ap_trampoline_off_pm32,
	ap_trampoline_off_lm64;

struct percpu *percpu_areas[MAX_CPUS];
unsigned int nr_cpus_online;

static struct percpu bsp_percpu __aligned(64);

void percpu_install(struct percpu *pc)
{
	pc->timer_deadline = UINT64_MAX;
	pc->self = pc;
	wrmsr(MSR_GS_BASE, (uint64_t)pc);
}

static void ipi_ping_handler(struct trap_frame *tf)
{
	atomic_fetch_add(&this_cpu()->ipi_pings, 1);
	apic_eoi();
}

/* Boot CPU: percpu area, before anything that asks smp_processor_id(). */
void smp_init_bsp(void)
{
	bsp_percpu.cpu_id = 0;
	percpu_install(&bsp_percpu);
	percpu_areas[0] = &bsp_percpu;
}

unsigned int smp_processor_id(void)
{
	unsigned int id;

	__asm__ __volatile__("movl %%gs:8, %0" : "=r"(id));
	return id;
}

/* First C code of an AP: on its own stack, interrupts off, host paging. */
static __noreturn void ap_entry(struct percpu *pc)
{
	percpu_install(pc);
	desc_init_cpu();
	desc_load_idt();
	apic_init_cpu();
	pc->apic_id = apic_read_id();
	/* Pairs with the acquire load in smp_start_ap(). */
	smp_store_release(&pc->online, 1);
	smp_idle_loop();
}

/*
 * Takes and runs this CPU's work, if any. Interrupts are off on entry and
 * on return; the work runs with them on.
 */
static bool smp_run_call(struct percpu *pc)
{
	/* Pairs with the release store of call_fn in smp_call_on(). */
	void (*fn)(void *) = __atomic_exchange_n(&pc->call_fn, NULL, __ATOMIC_ACQUIRE);
	void *arg;

	if (!fn)
		return false;
	arg = READ_ONCE(pc->call_arg);
	irq_enable();
	fn(arg);
	irq_disable();
	/* Pairs with the acquire load of a waiting sender. */
	smp_store_release(&pc->calls_done, pc->calls_done + 1);
	return true;
}

void smp_idle_loop(void)
{
	struct percpu *pc = this_cpu();

	for (;;) {
		irq_disable();
		if (smp_run_call(pc))
			continue;
		/*
		 * The scheduler's idle step: switch to a runnable thread, or
		 * halt. A call published after the check above comes with a
		 * kick IPI that "sti; hlt" cannot miss: sti enables interrupts
		 * only after the hlt has begun. The halt counts as the CPU's
		 * idle time.
		 */
		sched_idle();
	}
}

_Static_assert(MAX_CPUS <= SCHED_MAX_CPUS, "every CPU has a run queue");

static struct sched_thread smp_idle_threads[MAX_CPUS];
static struct sched_thread smp_boot_thread;

static void smp_boot_idle(void *arg)
{
	smp_idle_loop();
}

int smp_sched_init(void)
{
	paddr_t stack_pa;
	int err;

	for (unsigned int i = 1; i < MAX_CPUS; i++)
		if (percpu_areas[i] && smp_load_acquire(&percpu_areas[i]->online))
			sched_init_cpu(i, &smp_idle_threads[i], &smp_idle_threads[i]);
	/* The boot CPU's idle loop gets a stack; this context goes on as the monitor. */
	err = frame_alloc_contig(CPU_STACK_SIZE / PAGE_SIZE, 1, &stack_pa);
	if (err)
		return err;
	sched_thread_init(&smp_boot_thread, "monitor", 0, SCHED_PRIO_MONITOR, BIT_ULL(0));
	sched_thread_start(&smp_idle_threads[0],
			   (char *)phys_to_virt(stack_pa) + CPU_STACK_SIZE, smp_boot_idle, NULL);
	sched_init_cpu(0, &smp_idle_threads[0], &smp_boot_thread);
	return 0;
}

int smp_call_on(unsigned int cpu, void (*fn)(void *arg), void *arg, bool wait)
{
	struct percpu *pc = cpu < MAX_CPUS ? READ_ONCE(percpu_areas[cpu]) : NULL;
	unsigned long done;

	if (!pc || !smp_load_acquire(&pc->online))
		return -ENODEV;
	if (cpu == smp_processor_id()) {
		fn(arg);
		return 0;
	}
	if (READ_ONCE(pc->call_fn))
		return -EBUSY;
	done = smp_load_acquire(&pc->calls_done);
	WRITE_ONCE(pc->call_arg, arg);
	/* Pairs with the acquire exchange in smp_run_call(). */
	smp_store_release(&pc->call_fn, fn);
	platform_kick_cpu(cpu);
	while (wait && smp_load_acquire(&pc->calls_done) == done)
		cpu_relax();
	return 0;
}

void smp_call_on_all(void (*fn)(void *arg), void *arg)
{
	unsigned int i, self = smp_processor_id();

	for (i = 0; i < MAX_CPUS; i++)
		if (i != self && percpu_areas[i])
			smp_call_on(i, fn, arg, true);
	fn(arg);
}

static int smp_alloc_cpu(unsigned int cpu_id, uint32_t apic_id, struct percpu **out)
{
	size_t pc_frames = ALIGN_UP(sizeof(struct percpu), PAGE_SIZE) / PAGE_SIZE;
	paddr_t pc_pa, stack_pa;
	struct percpu *pc;
	int err;

	err = frame_alloc_contig(pc_frames, 1, &pc_pa);
	if (err)
		return err;
	err = frame_alloc_contig(CPU_STACK_SIZE / PAGE_SIZE, 1, &stack_pa);
	if (err) {
		frame_free_contig(pc_pa, pc_frames);
		return err;
	}
	pc = phys_to_virt(pc_pa);
	memset(pc, 0, sizeof(*pc));
	pc->cpu_id = cpu_id;
	pc->apic_id = apic_id;
	pc->stack_top = (uint64_t)phys_to_virt(stack_pa) + CPU_STACK_SIZE;
	*out = pc;
	return 0;
}

static bool smp_wait_online(struct percpu *pc, uint64_t us)
{
	uint64_t deadline = tsc_deadline_us(us);

	while (!smp_load_acquire(&pc->online)) {
		if (tsc_expired(deadline))
			return false;
		cpu_relax();
	}
	return true;
}

static int smp_start_ap(struct ap_trampoline_data *data, paddr_t tramp,
			struct percpu *pc)
{
	data->stack = pc->stack_top;
	data->arg = (uint64_t)pc;
	data->entry = (uint64_t)ap_entry;
	smp_mb();	/* data block visible before the AP can start */

	if (apic_send_init(pc->apic_id))
		return -EIO;
	udelay(AP_INIT_DELAY_US);
	if (apic_send_startup(pc->apic_id, (uint32_t)tramp))
		return -EIO;
	if (smp_wait_online(pc, AP_SIPI_DELAY_US))
		return 0;
	/* The second SIPI of the MP protocol, for CPUs that missed the first. */
	if (apic_send_startup(pc->apic_id, (uint32_t)tramp))
		return -EIO;
	return smp_wait_online(pc, AP_START_TIMEOUT_US) ? 0 : -ETIMEDOUT;
}

static struct ap_trampoline_data *smp_install_trampoline(paddr_t tramp)
{
	size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);
	struct ap_trampoline_data *data;

	memcpy(phys_to_virt(tramp), ap_trampoline_start, len);
	data = phys_to_virt(tramp + (size_t)(ap_trampoline_data - ap_trampoline_start));
	data->gdt_base = (uint32_t)(tramp + ap_trampoline_off_gdt);
	data->pm32_ip = (uint32_t)(tramp + ap_trampoline_off_pm32);
	data->lm64_ip = (uint32_t)(tramp + ap_trampoline_off_lm64);
	data->cr3 = paging_host_cr3();
	return data;
}

unsigned int smp_boot(const struct boot_record *boot, const struct acpi_info *acpi)
{
	uint32_t bsp_apic = apic_read_id();
	struct ap_trampoline_data *data = NULL;
	unsigned int i, next_id = 1;

	bsp_percpu.apic_id = bsp_apic;
	bsp_percpu.online = 1;
	nr_cpus_online = 1;
	irq_register(VEC_IPI_PING, ipi_ping_handler);
	pr_info("smp: CPU 0 online, APIC id %u (boot CPU)", bsp_apic);

	if (!acpi)
		return nr_cpus_online;
	if (!boot->trampoline || boot->trampoline >= MiB(1)) {
		pr_err("smp: no free page below 1 MiB for the AP trampoline; running on the boot CPU only");
		return nr_cpus_online;
	}
	data = smp_install_trampoline(boot->trampoline);

	for (i = 0; i < acpi->n_cpus; i++) {
		const struct acpi_cpu *c = &acpi->cpus[i];
		struct percpu *pc;
		int err;

		if (!c->enabled || c->apic_id == bsp_apic)
			continue;
		if (next_id >= MAX_CPUS) {
			pr_warn("smp: more than %u CPUs; APIC id %u and later left off",
				MAX_CPUS, c->apic_id);
			break;
		}
		if (!apic_x2apic_mode() && c->apic_id > 0xfe) {
			pr_err("smp: APIC id %u needs x2APIC mode; CPU left off", c->apic_id);
			continue;
		}
		err = smp_alloc_cpu(next_id, c->apic_id, &pc);
		if (err) {
			pr_err("smp: no memory for CPU %u: %s", next_id, errno_name(err));
			break;
		}
		err = smp_start_ap(data, boot->trampoline, pc);
		if (err) {
			pr_err("smp: CPU with APIC id %u did not start: %s",
			       c->apic_id, errno_name(err));
			/* Back to wait-for-SIPI, so it cannot wake later on the next CPU's stack. */
			apic_send_init(c->apic_id);
			continue;	/* its memory stays allocated: it may still be running */
		}
		percpu_areas[next_id] = pc;
		pr_info("smp: CPU %u online, APIC id %u", next_id, pc->apic_id);
		next_id++;
		nr_cpus_online++;
	}
	return nr_cpus_online;
}

unsigned int smp_ping_all(void)
{
	unsigned int i, answered = 0;

	for (i = 0; i < MAX_CPUS; i++) {
		struct percpu *pc = percpu_areas[i];
		uint64_t before, deadline;

		if (!pc)
			continue;
		before = atomic_load(&pc->ipi_pings);
		if (i == smp_processor_id())
			apic_send_self_ipi(VEC_IPI_PING);
		else
			apic_send_ipi(pc->apic_id, VEC_IPI_PING);
		deadline = tsc_deadline_us(IPI_PING_TIMEOUT_US);
		irq_enable();
		while (atomic_load(&pc->ipi_pings) == before && !tsc_expired(deadline))
			cpu_relax();
		irq_disable();
		if (atomic_load(&pc->ipi_pings) != before)
			answered++;
		else
			pr_err("smp: CPU %u (APIC id %u) did not answer the IPI ping",
			       i, pc->apic_id);
	}
	return answered;
}
