/*
 * Conformance kernels: starting the application processors.
 *
 * The BSP copies the real-mode trampoline (entry.S) to 0x8000 and sends
 * every enabled MADT CPU but itself INIT, then two STARTUP IPIs with vector
 * 0x08, as the MP start-up algorithm has it. Each AP takes a stack of its
 * own, loads the shared IDT, enables its LAPIC, marks itself online and runs
 * ap_hook; then it waits for interrupts with IF set.
 */
#include "conf.h"

#define AP_BASE   0x8000
#define AP_STACKS 16

extern char ap_tramp_start[], ap_tramp_end[];

volatile u32 cpus_online;
volatile u8 cpu_online[MAX_CPUS];
void (*ap_hook)(void);

void ap_main(void);
void ap_main(void)
{
	u32 id;

	idt_load();
	lapic_init();
	id = lapic_id();
	if (id < MAX_CPUS)
		cpu_online[id] = 1;
	if (ap_hook)
		ap_hook();
	atomic_inc(&cpus_online);
	sti();
	for (;;)
		asm volatile("hlt");
}

u32 smp_start_aps(void)
{
	u32 self, want = 1;

	acpi_init();
	lapic_init();
	if (!tsc_khz)
		tsc_calibrate();
	self = lapic_id();
	if (self < MAX_CPUS)
		cpu_online[self] = 1;
	cpus_online = 1;
	memcpy((void *)AP_BASE, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
	for (u32 i = 0; i < acpi.ncpus && want < AP_STACKS; i++) {
		u32 id = acpi.apic_ids[i];

		if (id == self)
			continue;
		want++;
		lapic_send_ipi(id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
		delay_us(10000);
		lapic_send_ipi(id, ICR_STARTUP | (AP_BASE >> 12));
		delay_us(200);
		lapic_send_ipi(id, ICR_STARTUP | (AP_BASE >> 12));
	}
	for (u32 ms = 0; ms < 2000 && cpus_online < want; ms++)
		delay_us(1000);
	return cpus_online;
}
