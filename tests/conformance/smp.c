/*
 * Conformance kernel "smp": every enabled CPU of the MADT started with
 * INIT-SIPI-SIPI reports in, then IPIs: fixed to each AP, the all-excluding-
 * self and all-including-self shorthands, a self-IPI, and an IPI from each
 * AP back to the bootstrap CPU. Only the bootstrap CPU prints.
 */
#include "conf.h"

const char conf_kernel[] = "smp";

#define VEC_FIXED   0x50
#define VEC_OTHERS  0x51
#define VEC_ALL     0x52
#define VEC_SELF    0x53
#define VEC_TO_BSP  0x54
#define WAIT_MS     500

static volatile u32 hits[5][MAX_CPUS];	/* by vector - VEC_FIXED, APIC ID */
static u32 bsp_id;

static void ipi_handler(struct frame *f)
{
	u32 id = lapic_id();

	if (id < MAX_CPUS)
		atomic_inc(&hits[f->vector - VEC_FIXED][id]);
	lapic_eoi();
}

static void ap_report_in(void)
{
	lapic_send_ipi(bsp_id, VEC_TO_BSP);
}

/* Waits until hits[slot] counts want for each online CPU selected (the BSP
 * if bsp, the APs if aps) and none for the others; *missing names a CPU
 * that is off. */
static int wait_hits(u32 slot, u32 want, int bsp, int aps, u32 *missing)
{
	for (u32 ms = 0; ms <= WAIT_MS; ms++) {
		int ok = 1;

		for (u32 id = 0; id < MAX_CPUS; id++) {
			int selected = cpu_online[id] && (id == bsp_id ? bsp : aps);
			if (selected && hits[slot][id] != want) {
				ok = 0;
				*missing = id;
			}
			if (!selected && hits[slot][id]) {
				*missing = id;
				return 0;
			}
		}
		if (ok)
			return 1;
		delay_us(1000);
	}
	return 0;
}

static void report(const char *name, u32 slot, int bsp, int aps)
{
	u32 id = 0;

	if (wait_hits(slot, 1, bsp, aps, &id)) {
		pass(name);
		return;
	}
	fail(name, "APIC ID %u took vector 0x%x %u times (expected %u)", id,
	     VEC_FIXED + slot, hits[slot][id], (id == bsp_id ? bsp : aps) ? 1 : 0);
}

void kmain(u32 magic, u32 info)
{
	u32 online;

	acpi_init();
	if (!check("madt", acpi.found && acpi.ncpus >= 1, "no MADT with an enabled CPU (ACPI %s)",
		   acpi.found ? "found" : "not found"))
		return;
	pic_init(0x20);
	lapic_init();
	bsp_id = lapic_id();
	for (u32 v = VEC_FIXED; v <= VEC_TO_BSP; v++)
		set_handler((u8)v, ipi_handler);
	ap_hook = ap_report_in;
	sti();
	online = smp_start_aps();
	printf("MADT lists %u CPUs; %u online\n", acpi.ncpus, online);
	check("cpus_started", online == acpi.ncpus, "%u of %u MADT CPUs came online",
	      online, acpi.ncpus);
	for (u32 i = 0; i < acpi.ncpus; i++)
		if (!cpu_online[acpi.apic_ids[i]])
			fail("cpus_started", "APIC ID %u never reported in", acpi.apic_ids[i]);
	if (online < 2) {
		skip("ipi", "one CPU only: no IPIs between CPUs");
		return;
	}
	{
		for (u32 ms = 0; ms < WAIT_MS && hits[VEC_TO_BSP - VEC_FIXED][bsp_id] < online - 1; ms++)
			delay_us(1000);
		check("ipi_to_bsp", hits[VEC_TO_BSP - VEC_FIXED][bsp_id] == online - 1,
		      "the BSP took %u IPIs from %u APs", hits[VEC_TO_BSP - VEC_FIXED][bsp_id],
		      online - 1);
	}
	for (u32 id = 0; id < MAX_CPUS; id++)
		if (cpu_online[id] && id != bsp_id)
			lapic_send_ipi(id, VEC_FIXED);
	report("ipi_fixed", 0, 0, 1);
	lapic_send_ipi(0, ICR_OTHERS | VEC_OTHERS);
	report("ipi_all_but_self", 1, 0, 1);
	lapic_send_ipi(0, ICR_ALL | VEC_ALL);
	report("ipi_all", 2, 1, 1);
	lapic_send_ipi(0, ICR_SELF | VEC_SELF);
	report("ipi_self", 3, 1, 0);
	cli();
}
