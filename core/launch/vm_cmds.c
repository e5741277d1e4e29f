/*
 * The launcher's commands at the monitor's prompt (core/launch/monitor.h):
 * the VMs of vms.cfg, their life cycle, the physical CPUs and the log
 * level. Boot CPU only, inside the monitor's loop: a VM seen here cannot
 * be torn down under the command (the reap runs on the same CPU, between
 * commands). vCPU fields are read with READ_ONCE, the memslots inside a
 * read section of the monitor's own reader.
 */
#include "core/launch/monitor.h"
#include "core/launch/monitor_vm.h"
#include "core/launch/vm_cmds.h"
#include "core/launch/vm_launch.h"
#include "core/lib/cpu_idle.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/memslots.h"
#include "core/sched.h"
#include "core/vcpu_run.h"
#include "core/vm.h"

#define NS_PER_SEC       1000000000ull
#define VM_CMDS_ARGS_MAX 128

/* The monitor's read side of a VM's memslots, registered while used. */
static struct srcu_reader vm_cmds_reader = { .name = "monitor" };
static struct memslot vm_cmds_slots[MEMSLOTS_MAX];

/* "12.3 s" into buf. */
static const char *vm_cmds_secs(char *buf, size_t size, uint64_t ns)
{
	hv_snprintf(buf, size, "%llu.%llu s", (unsigned long long)(ns / NS_PER_SEC),
		    (unsigned long long)(ns % NS_PER_SEC / (NS_PER_SEC / 10)));
	return buf;
}

/* Exactly one word in args, the VM's name, into name; else an error line. */
static bool vm_cmds_name_arg(const char *cmd, const char *args, char *buf, size_t size,
			     const char **name)
{
	const char *argv[1];

	if (monitor_split(args, buf, size, argv, 1) != 1) {
		monitor_error("%s: syntax: %s NAME", cmd, cmd);
		return false;
	}
	*name = argv[0];
	return true;
}

static bool vm_cmds_info(const char *cmd, const char *name, struct vms_info *out)
{
	for (unsigned int i = 0; vms_info(i, out); i++)
		if (strcmp(out->name, name) == 0)
			return true;
	monitor_error("%s: no VM named '%s'", cmd, name);
	return false;
}

static const char *vm_cmds_state(const struct vms_info *in)
{
	if (!in->live || !in->vm)
		return "ended";
	if (vm_is_stopped(in->vm))
		return "stopping";
	return vm_paused_by_monitor(in->vm) ? "paused" : "running";
}

static uint64_t vm_cmds_exits(const struct vm *vm)
{
	uint64_t exits = 0;

	for (unsigned int v = 0; vm && v < vm_nr_vcpus(vm); v++)
		exits += READ_ONCE(vm->vcpus[v]->exits_total);
	return exits;
}

static const char *const vm_cmds_thread_states[] = {
	[SCHED_RUNNABLE] = "runnable", [SCHED_RUNNING] = "running",
	[SCHED_BLOCKED] = "blocked", [SCHED_DEAD] = "ended",
};

/* "CPU 1" or "CPU -" (placed nowhere: its thread has ended) into buf. */
static const char *vm_cmds_cpu_str(int cpu, char *buf, size_t size)
{
	if (cpu < 0)
		hv_snprintf(buf, size, "CPU -");
	else
		hv_snprintf(buf, size, "CPU %d", cpu);
	return buf;
}

/*
 * One vCPU's line: the CPU its thread is placed on now, its state there
 * and its scheduler statistics; `vm NAME` adds its exits and that CPU's
 * idle time.
 */
static void vm_cmds_vcpu_line(struct vcpu *vc, unsigned int id, bool full)
{
	struct sched_thread_stat st;
	char cpu[16], ran[24], extra[64] = "", secs[24];

	sched_thread_stat(&vc->thread, &st);
	if (full)
		hv_snprintf(extra, sizeof(extra), ", %llu exits, CPU idle %s",
			    (unsigned long long)READ_ONCE(vc->exits_total),
			    st.cpu < 0 ? "-" : vm_cmds_secs(secs, sizeof(secs),
							      cpu_idle_ns((unsigned int)st.cpu)));
	monitor_printf("  vCPU %u: %s %s, ran %s, %llu switches, %llu migrations, %llu yields%s",
		       id, vm_cmds_cpu_str(st.cpu, cpu, sizeof(cpu)),
		       (unsigned int)st.state < ARRAY_SIZE(vm_cmds_thread_states) ?
		       vm_cmds_thread_states[st.state] : "?",
		       vm_cmds_secs(ran, sizeof(ran), st.ran_ns),
		       (unsigned long long)st.switches, (unsigned long long)st.migrations,
		       (unsigned long long)st.yields, extra);
}

/* One VM's summary line, as `vms` prints it: the CPUs its vCPUs are on now. */
static void vm_cmds_summary(const struct vms_info *in)
{
	char up[32] = "", where[96] = "";
	size_t len = 0;

	if (in->live && in->vm) {
		char secs[24];

		hv_snprintf(up, sizeof(up), ", up %s",
			    vm_cmds_secs(secs, sizeof(secs), time_now_ns() - in->boot_ns));
		for (unsigned int v = 0; v < vm_nr_vcpus(in->vm) && len < sizeof(where); v++) {
			int cpu = READ_ONCE(in->vm->vcpus[v]->thread.cpu);

			if (cpu < 0)
				len += (size_t)hv_snprintf(where + len, sizeof(where) - len, "%s-",
							   v ? "," : "; vCPUs on CPUs ");
			else
				len += (size_t)hv_snprintf(where + len, sizeof(where) - len, "%s%d",
							   v ? "," : "; vCPUs on CPUs ", cpu);
		}
	}
	monitor_printf("vm %s: %s, %u vCPU(s) from CPU %u, %llu MiB, %llu exits, %u restarts%s%s",
		       in->name, vm_cmds_state(in), in->vcpus, in->cpus[0],
		       (unsigned long long)(in->memory >> 20),
		       (unsigned long long)vm_cmds_exits(in->vm), in->restarts, up, where);
}

static void vm_cmds_vms(const char *args)
{
	struct vms_info in;
	unsigned int i;

	if (args[0]) {
		monitor_error("vms: syntax: vms");
		return;
	}
	for (i = 0; vms_info(i, &in); i++) {
		vm_cmds_summary(&in);
		for (unsigned int v = 0; in.vm && v < vm_nr_vcpus(in.vm); v++)
			vm_cmds_vcpu_line(in.vm->vcpus[v], v, false);
	}
	if (!i)
		monitor_printf("hv: no VMs");
}

/*
 * Copies the VM's published memslots into vm_cmds_slots, inside a read
 * section of the monitor's reader. Returns how many, or a negative errno
 * (the domain has no room for the reader).
 */
static int vm_cmds_read_slots(struct vm *vm, uint64_t *generation)
{
	const struct memslot_set *set;
	unsigned int n;
	int err;

	err = srcu_reader_register(&vm->memslots.srcu, &vm_cmds_reader);
	if (err)
		return err;
	srcu_read_lock(&vm_cmds_reader);
	set = srcu_dereference(vm->memslots.active);
	n = MIN(set->nr, (unsigned int)MEMSLOTS_MAX);
	memcpy(vm_cmds_slots, set->slots, n * sizeof(set->slots[0]));
	*generation = set->generation;
	srcu_read_unlock(&vm_cmds_reader);
	srcu_reader_unregister(&vm->memslots.srcu, &vm_cmds_reader);
	return (int)n;
}

static void vm_cmds_memslots(struct vm *vm)
{
	uint64_t gen = 0;
	int n = vm_cmds_read_slots(vm, &gen);

	if (n < 0) {
		monitor_error("vm %s: cannot read its memslots: %s", vm->name, errno_name(n));
		return;
	}
	monitor_printf("  memslots: %d (generation %llu)", n, (unsigned long long)gen);
	for (int i = 0; i < n; i++) {
		const struct memslot *m = &vm_cmds_slots[i];
		uint64_t hfn = m->host_base >> PAGE_SHIFT;

		monitor_printf("    slot %u: gfn 0x%llx-0x%llx (%llu pages), host frames 0x%llx-0x%llx, "
			       "flags %s, dirty logging %s", m->id, (unsigned long long)m->base_gfn,
			       (unsigned long long)(m->base_gfn + m->npages - 1),
			       (unsigned long long)m->npages, (unsigned long long)hfn,
			       (unsigned long long)(hfn + m->npages - 1),
			       m->flags & MEMSLOT_READONLY ? "read-only" : "read-write",
			       m->flags & MEMSLOT_DIRTY_LOG ? "on" : "off");
	}
}

static void vm_cmds_vm(const char *args)
{
	char buf[VM_CMDS_ARGS_MAX];
	const char *name;
	struct vms_info in;

	if (!vm_cmds_name_arg("vm", args, buf, sizeof(buf), &name) ||
	    !vm_cmds_info("vm", name, &in))
		return;
	vm_cmds_summary(&in);
	if (!in.vm)
		return;
	if (vm_is_stopped(in.vm))
		monitor_printf("  stop reason: %s", in.vm->stop_reason);
	for (unsigned int v = 0; v < vm_nr_vcpus(in.vm); v++)
		vm_cmds_vcpu_line(in.vm->vcpus[v], v, true);
	vm_cmds_memslots(in.vm);
}

/* stop, start and reset: one name, vms_*() does the work. */
static void vm_cmds_life(const char *cmd, const char *args, int (*op)(const char *name),
			 const char *done)
{
	char buf[VM_CMDS_ARGS_MAX];
	const char *name;
	int err;

	if (!vm_cmds_name_arg(cmd, args, buf, sizeof(buf), &name))
		return;
	err = op(name);
	if (err == -ENOENT)
		monitor_error("%s: no VM named '%s'", cmd, name);
	else if (err == -EBUSY)
		monitor_error("%s: vm %s has ended or is stopping", cmd, name);
	else if (err == -EEXIST)
		monitor_error("%s: vm %s is running", cmd, name);
	else if (err)
		monitor_error("%s: vm %s: %s", cmd, name, errno_name(err));
	else
		monitor_printf("vm %s: %s", name, done);
}

static void vm_cmds_stop(const char *args)
{
	vm_cmds_life("stop", args, vms_stop, "stopping (stopped from the monitor)");
}

static void vm_cmds_start(const char *args)
{
	vm_cmds_life("start", args, vms_start, "started");
}

static void vm_cmds_reset(const char *args)
{
	vm_cmds_life("reset", args, vms_reset, "resetting (reset from the monitor)");
}

static void vm_cmds_stats(const char *args)
{
	char buf[VM_CMDS_ARGS_MAX];
	const char *argv[1];
	struct vms_info in;
	int n = monitor_split(args, buf, sizeof(buf), argv, 1);

	if (n < 0) {
		monitor_error("stats: syntax: stats [NAME]");
		return;
	}
	if (n == 1) {
		if (!vm_cmds_info("stats", argv[0], &in))
			return;
		if (!in.vm) {
			monitor_error("stats: vm %s has ended", in.name);
			return;
		}
	}
	for (unsigned int i = 0; vms_info(i, &in); i++) {
		if (!in.vm || (n == 1 && strcmp(in.name, argv[0]) != 0))
			continue;
		for (unsigned int v = 0; v < vm_nr_vcpus(in.vm); v++)
			vcpu_print_exits(in.vm->vcpus[v]);
	}
}

/*
 * What is placed on physical CPU cpu, into owner (the monitor on its own
 * CPU first, then every vCPU whose thread is placed there now, "nothing"
 * if none), and which of them runs, into running ("idle" if none).
 */
static void vm_cmds_cpu_owner(unsigned int cpu, const struct sched_thread *curr,
			      char *owner, size_t size, char *running, size_t rsize)
{
	const bool monitor = cpu == smp_processor_id();
	size_t len = 0;
	struct vms_info in;

	owner[0] = '\0';
	hv_snprintf(running, rsize, "%s", monitor && curr == sched_current() ? "the monitor" :
		    curr ? "another thread" : "idle");
	if (monitor)
		len = (size_t)hv_snprintf(owner, size, "the monitor");
	for (unsigned int i = 0; vms_info(i, &in); i++) {
		for (unsigned int v = 0; in.vm && v < vm_nr_vcpus(in.vm); v++) {
			const struct sched_thread *t = &in.vm->vcpus[v]->thread;

			if (curr == t)
				hv_snprintf(running, rsize, "VM %s vCPU %u", in.name, v);
			if (READ_ONCE(t->cpu) != (int)cpu || len >= size)
				continue;
			len += (size_t)hv_snprintf(owner + len, size - len, "%sVM %s vCPU %u",
						   len ? " and " : "", in.name, v);
		}
	}
	if (!owner[0])
		hv_snprintf(owner, size, "nothing");
}

static void vm_cmds_cpus(const char *args)
{
	uint64_t now = time_now_ns();
	char owner[128], running[64], secs[24];

	if (args[0]) {
		monitor_error("cpus: syntax: cpus");
		return;
	}
	for (unsigned int c = 0; c < platform_nr_cpus(); c++) {
		uint64_t idle = cpu_idle_ns(c);
		struct sched_rq_stat q;

		sched_rq_stat(c, &q);
		vm_cmds_cpu_owner(c, q.curr, owner, sizeof(owner), running, sizeof(running));
		monitor_printf("cpu %u: %s, idle %s (%llu%% of %llu s)%s", c, owner,
			       vm_cmds_secs(secs, sizeof(secs), idle),
			       (unsigned long long)(now ? MIN(idle, now) * 100 / now : 0),
			       (unsigned long long)(now / NS_PER_SEC),
			       cpu_idle_halted(c) ? ", halted now" : "");
		if (q.online)
			monitor_printf("  run queue: load %u, runnable %u, running %s; "
				       "pulled %llu idle, %llu busy; %llu yields",
				       q.nr_placed, q.nr_runnable, running,
				       (unsigned long long)q.pulls,
				       (unsigned long long)q.balance_pulls,
				       (unsigned long long)q.yields);
	}
}

static const char *const vm_cmds_levels[] = {
	[LOG_ERR] = "err", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static void vm_cmds_log(const char *args)
{
	char buf[VM_CMDS_ARGS_MAX];
	const char *argv[1];
	int n = monitor_split(args, buf, sizeof(buf), argv, 1);
	int level = -1;
	uint64_t v;

	if (n < 0) {
		monitor_error("log: syntax: log [err|warn|info|debug|0-3]");
		return;
	}
	if (n == 1) {
		for (unsigned int i = 0; i < ARRAY_SIZE(vm_cmds_levels); i++)
			if (strcmp(argv[0], vm_cmds_levels[i]) == 0)
				level = (int)i;
		if (level < 0 && monitor_parse_u64(argv[0], LOG_ERR, LOG_DEBUG, &v) == 0)
			level = (int)v;
		if (level < 0) {
			monitor_error("log: bad level '%s' (err, warn, info, debug or 0-3)", argv[0]);
			return;
		}
		WRITE_ONCE(log_level_max, level);
	}
	level = READ_ONCE(log_level_max);
	monitor_printf("hv: log level %s (%d)",
		       level >= 0 && level <= LOG_DEBUG ? vm_cmds_levels[level] : "?", level);
}

static const struct monitor_cmd vm_cmds[] = {
	{ .name = "vms", .alias = "q", .syntax = "vms", .help = "list the VMs",
	  .run = vm_cmds_vms },
	{ .name = "vm", .syntax = "vm NAME", .help = "one VM in full, its memslots too",
	  .run = vm_cmds_vm },
	{ .name = "stop", .syntax = "stop NAME", .help = "end a VM, its CPUs freed",
	  .run = vm_cmds_stop },
	{ .name = "start", .syntax = "start NAME", .help = "start an ended VM again",
	  .run = vm_cmds_start },
	{ .name = "reset", .syntax = "reset NAME", .help = "rebuild and reboot a VM",
	  .run = vm_cmds_reset },
	{ .name = "stats", .alias = "s", .syntax = "stats [NAME]",
	  .help = "exit statistics of every vCPU, or of one VM's", .run = vm_cmds_stats },
	{ .name = "cpus", .syntax = "cpus", .help = "what each physical CPU runs, its run queue",
	  .run = vm_cmds_cpus },
	{ .name = "log", .syntax = "log [LEVEL]", .help = "show or set the log level",
	  .run = vm_cmds_log },
};

void vm_cmds_register(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vm_cmds); i++) {
		int err = monitor_register(&vm_cmds[i]);

		if (err)
			pr_err("hv: monitor command %s: %s", vm_cmds[i].name, errno_name(err));
	}
}
