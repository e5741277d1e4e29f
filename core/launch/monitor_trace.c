/*
 * The monitor's `trace NAME VCPU [N]`: the last N exits (default
 * EXIT_REC_SHOW) of one vCPU's flight recorder (core/exit_rec.h), read
 * while the vCPU runs. Boot CPU only, inside the monitor, which is also
 * where VMs are reaped: the VM cannot go away under the command.
 */
#include "core/exit_rec.h"
#include "core/launch/monitor.h"
#include "core/launch/monitor_trace.h"
#include "core/launch/vm_launch.h"
#include "core/lib/cmdline.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/vcpu_run.h"

#define TRACE_WORD_MAX 40

/* Copies the next blank-separated word of *s into w; false at the end. */
static bool trace_next_word(const char **s, char *w, size_t size)
{
	const char *p = *s;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return false;
	while (*p && *p != ' ' && *p != '\t') {
		if (n + 1 < size)
			w[n++] = *p;
		p++;
	}
	w[n] = '\0';
	*s = p;
	return true;
}

void monitor_trace_cmd(const char *args)
{
	char name[TRACE_WORD_MAX], id[TRACE_WORD_MAX], count[TRACE_WORD_MAX], extra[TRACE_WORD_MAX];
	uint64_t v, n = EXIT_REC_SHOW;
	struct vm *vm;

	count[0] = '\0';
	if (!trace_next_word(&args, name, sizeof(name)) ||
	    !trace_next_word(&args, id, sizeof(id)) ||
	    (trace_next_word(&args, count, sizeof(count)) &&
	     trace_next_word(&args, extra, sizeof(extra)))) {
		monitor_error("trace: usage: trace NAME VCPU [N]");
		return;
	}
	if (count[0] && (parse_u64(count, &n) || n == 0)) {
		monitor_error("trace: bad count \"%s\" (a number above 0)", count);
		return;
	}
	vm = vms_find(name);
	if (!vm) {
		monitor_error("trace: no running VM named \"%s\"", name);
		return;
	}
	if (parse_u64(id, &v) || v >= vm_nr_vcpus(vm)) {
		monitor_error("trace: vm %s has no vCPU \"%s\" (0 to %u)", name, id, vm_nr_vcpus(vm) - 1);
		return;
	}
	vcpu_print_trace(vm->vcpus[v], n > EXIT_REC_MAX_LEN ? EXIT_REC_MAX_LEN : (unsigned int)n);
}

static const struct monitor_cmd monitor_trace = {
	.name = "trace", .syntax = "trace NAME VCPU [N]",
	.help = "a vCPU's last N exits", .run = monitor_trace_cmd,
};

int monitor_trace_register(void)
{
	return monitor_register(&monitor_trace);
}
