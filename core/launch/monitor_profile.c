/*
 * The monitor's `profile NAME [SECONDS]`: for SECONDS (default 5), every
 * tick of the monitor reads the exits each vCPU of the VM recorded in
 * its flight recorder since the last tick and counts them by (reason,
 * RIP) (core/exit_profile.h); then it prints, per vCPU, its exits per
 * second and the most frequent exit RIPs, as raw addresses. The vCPUs
 * are not paused and their exit path does nothing more: the recorder
 * is read as the `trace` command reads it. An exit the ring overwrote
 * between two ticks (more than its length within 5 ms) is counted as
 * missed, so a busy vCPU's profile is a sample; an idle one's is whole.
 *
 * Boot CPU only, in the monitor's loop, which is also where VMs are
 * reaped: the VM is looked up again on every tick (by name and boot
 * time), so a reset or an end stops the profile instead of reading
 * freed recorders.
 */
#include "core/exit_profile.h"
#include "core/launch/monitor.h"
#include "core/launch/monitor_profile.h"
#include "core/launch/vm_launch.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "mm/heap.h"

#define PROFILE_DEFAULT_SECS	5
#define PROFILE_MAX_SECS	120
#define PROFILE_TOP		10
#define PROFILE_ARGS_MAX	96
#define NS_PER_SEC		1000000000ull

/* One profile at a time. Boot CPU only. */
static struct monitor_profile {
	bool active;
	struct vm *vm;
	char name[VM_NAME_MAX];
	uint64_t boot_ns;		/* with vm: the VM it started on */
	uint64_t start_ns, end_ns;
	unsigned int nr;
	struct exit_profile *per_vcpu;	/* nr of them */
	uint64_t *exits_at_start;	/* each vCPU's exits_total then */
} prof;

/* Is the VM the profile started on still that one, alive? */
static bool monitor_profile_vm_alive(void)
{
	struct vms_info in;

	for (unsigned int i = 0; vms_info(i, &in); i++)
		if (strcmp(in.name, prof.name) == 0)
			return in.live && in.vm == prof.vm && in.boot_ns == prof.boot_ns;
	return false;
}

static void monitor_profile_end(void)
{
	kfree(prof.per_vcpu);
	kfree(prof.exits_at_start);
	prof.per_vcpu = NULL;
	prof.exits_at_start = NULL;
	prof.active = false;
}

void monitor_profile_cmd(const char *args)
{
	char buf[PROFILE_ARGS_MAX];
	const char *argv[2];
	uint64_t secs = PROFILE_DEFAULT_SECS;
	int n = monitor_split(args, buf, sizeof(buf), argv, 2);
	struct vms_info in;
	struct vm *vm;

	if (n < 1) {
		monitor_error("profile: syntax: profile NAME [SECONDS]");
		return;
	}
	if (n == 2 && monitor_parse_u64(argv[1], 1, PROFILE_MAX_SECS, &secs)) {
		monitor_error("profile: seconds '%s' not in 1-%u", argv[1], PROFILE_MAX_SECS);
		return;
	}
	if (prof.active) {
		monitor_error("profile: already profiling vm %s; one at a time", prof.name);
		return;
	}
	vm = vms_find(argv[0]);
	if (!vm) {
		monitor_error("profile: no running VM named '%s'", argv[0]);
		return;
	}
	if (!exit_rec_len(&vm->vcpus[0]->rec)) {
		monitor_error("profile: vm %s: the flight recorder is off (trace=0)", vm->name);
		return;
	}
	memset(&prof, 0, sizeof(prof));
	prof.nr = vm_nr_vcpus(vm);
	prof.per_vcpu = kmalloc(prof.nr * sizeof(*prof.per_vcpu));
	prof.exits_at_start = kmalloc(prof.nr * sizeof(*prof.exits_at_start));
	if (!prof.per_vcpu || !prof.exits_at_start) {
		monitor_profile_end();
		monitor_error("profile: no memory for %u vCPUs' counts", prof.nr);
		return;
	}
	prof.vm = vm;
	hv_snprintf(prof.name, sizeof(prof.name), "%s", vm->name);
	for (unsigned int i = 0; vms_info(i, &in); i++)
		if (in.vm == vm)
			prof.boot_ns = in.boot_ns;
	for (unsigned int i = 0; i < prof.nr; i++) {
		exit_profile_start(&prof.per_vcpu[i], &vm->vcpus[i]->rec);
		prof.exits_at_start[i] = READ_ONCE(vm->vcpus[i]->exits_total);
	}
	prof.start_ns = time_now_ns();
	prof.end_ns = prof.start_ns + secs * NS_PER_SEC;
	prof.active = true;
	monitor_printf("vm %s: profiling the exits of %u vCPU(s) for %llu s", prof.name, prof.nr,
		       (unsigned long long)secs);
}

/* One vCPU's result: its rate, then its top exit RIPs. */
static void monitor_profile_print(unsigned int id, uint64_t ns)
{
	const struct exit_profile *p = &prof.per_vcpu[id];
	struct exit_profile_slot top[PROFILE_TOP];
	uint64_t exits = READ_ONCE(prof.vm->vcpus[id]->exits_total) - prof.exits_at_start[id];
	unsigned int n = exit_profile_top(p, top, PROFILE_TOP);

	monitor_printf("vm %s vCPU %u: %llu exits in %llu.%llu s (%llu/s), %llu sampled, "
		       "%llu missed; top %u exit RIPs:", prof.name, id,
		       (unsigned long long)exits, (unsigned long long)(ns / NS_PER_SEC),
		       (unsigned long long)(ns % NS_PER_SEC / (NS_PER_SEC / 10)),
		       (unsigned long long)(exits * NS_PER_SEC / ns),
		       (unsigned long long)p->sampled, (unsigned long long)p->missed, n);
	if (!n)
		return;
	monitor_printf("  %-18s  %-16s %10s %7s", "rip", "reason", "count", "share");
	for (unsigned int i = 0; i < n; i++) {
		uint64_t permille = top[i].count * 1000 / p->sampled;

		monitor_printf("  %#018llx  %-16s %10llu %3llu.%llu%%",
			       (unsigned long long)top[i].rip, exit_reason_name(top[i].reason),
			       (unsigned long long)top[i].count,
			       (unsigned long long)(permille / 10),
			       (unsigned long long)(permille % 10));
	}
}

void monitor_profile_tick(void)
{
	uint64_t now;

	if (!prof.active)
		return;
	if (!monitor_profile_vm_alive()) {
		monitor_printf("vm %s: ended or reset; profile stopped", prof.name);
		monitor_profile_end();
		return;
	}
	for (unsigned int i = 0; i < prof.nr; i++)
		exit_profile_sample(&prof.per_vcpu[i], &prof.vm->vcpus[i]->rec);
	now = time_now_ns();
	if (now < prof.end_ns)
		return;
	for (unsigned int i = 0; i < prof.nr; i++)
		monitor_profile_print(i, now - prof.start_ns);
	monitor_printf("vm %s: profile done", prof.name);
	monitor_profile_end();
}

static const struct monitor_cmd monitor_profile = {
	.name = "profile", .syntax = "profile NAME [SECONDS]",
	.help = "the most frequent exit RIPs of each vCPU", .run = monitor_profile_cmd,
};

int monitor_profile_register(void)
{
	return monitor_register(&monitor_profile);
}
