/*
 * Hosted test of the monitor's `trace NAME VCPU [N]`
 * (core/launch/monitor_trace.c) over real flight recorders
 * (core/exit_rec.c): the launcher's VM lookup is replaced by a table of
 * two VMs made here. The command's lines are read back from the console
 * (stderr in the hosted build): the last N exits of the vCPU named, one
 * line each under the titles, and one error line for each bad argument.
 */
#include <stdio.h>
#include <unistd.h>

#include "core/launch/monitor.h"
#include "core/launch/monitor_trace.h"
#include "core/launch/vm_launch.h"
#include "core/vcpu_run.h"
#include "tests/host/check.h"

#define RING 8

static struct vm vms[2];
static struct vcpu vcpus[3];
static struct exit_rec_entry rings[3][RING] __aligned(64);

/* The launcher's lookup, over the table above. */
struct vm *vms_find(const char *name)
{
	for (unsigned int i = 0; i < 2; i++)
		if (strcmp(vms[i].name, name) == 0)
			return &vms[i];
	return NULL;
}

static void setup(void)
{
	static const char *const names[2] = { "alpha", "beta" };

	for (unsigned int i = 0; i < 3; i++) {
		struct vm *vm = &vms[i < 2 ? 0 : 1];

		vcpus[i].id = vm->nr_vcpus;
		vcpus[i].vm = vm;
		vm->vcpus[vm->nr_vcpus++] = &vcpus[i];
		exit_rec_init(&vcpus[i].rec, rings[i], RING);
	}
	for (unsigned int i = 0; i < 2; i++)
		snprintf(vms[i].name, sizeof(vms[i].name), "%s", names[i]);
	/* alpha vCPU 1: 20 exits, each with an RIP of 0x1000 + its number. */
	for (uint64_t k = 0; k < 20; k++) {
		struct vm_exit e = { .reason = EXIT_IO, .raw = 0x7b, .qual = k };

		exit_rec_exit(&vcpus[1].rec, 100 + k, &e, 0x1000 + k);
		if (k < 19)
			exit_rec_entry(&vcpus[1].rec, 50, NULL);
	}
}

static char out[8192];

/* Runs `trace args` through the monitor's table; its output in out. */
static void run(const char *args)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	monitor_trace_cmd(args);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void registered(void)
{
	CHECK_EQ(monitor_trace_register(), 0);
	CHECK_EQ(monitor_trace_register(), -EEXIST);
}

static void last_n(void)
{
	run("alpha 1 3");
	CHECK(strstr(out, "vm alpha vCPU 1: last 3 of 20 exits (oldest first):") != NULL);
	CHECK(strstr(out, "reason") != NULL);
	CHECK_EQ(count_lines(out), 5);		/* title line, column titles, 3 exits */
	CHECK(strstr(out, "0x1011") && strstr(out, "0x1012") && strstr(out, "0x1013"));
	CHECK(!strstr(out, "0x1010"));
	CHECK(strstr(out, " IO ") != NULL);
	/* The default: 32, as many as the ring holds. */
	run("  alpha   1 ");
	CHECK(strstr(out, "last 8 of 20 exits") != NULL);
	CHECK_EQ(count_lines(out), 10);
	CHECK(strstr(out, "0x100c") && !strstr(out, "0x100b"));
	/* An empty recorder: the titles only. */
	run("beta 0");
	CHECK(strstr(out, "vm beta vCPU 0: last 0 of 0 exits") != NULL);
	CHECK_EQ(count_lines(out), 2);
}

static void bad_arguments(void)
{
	static const char *const bad[][2] = {
		{ "", "trace: usage: trace NAME VCPU [N]" },
		{ "alpha", "trace: usage: trace NAME VCPU [N]" },
		{ "alpha 0 1 2", "trace: usage: trace NAME VCPU [N]" },
		{ "gamma 0", "trace: no running VM named \"gamma\"" },
		{ "alpha 2", "trace: vm alpha has no vCPU \"2\" (0 to 1)" },
		{ "beta one", "trace: vm beta has no vCPU \"one\" (0 to 0)" },
		{ "alpha 0 0", "trace: bad count \"0\" (a number above 0)" },
		{ "alpha 0 -3", "trace: bad count \"-3\" (a number above 0)" },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		run(bad[i][0]);
		if (!strstr(out, bad[i][1]) || count_lines(out) != 1) {
			fprintf(stderr, "  \"trace %s\" printed \"%s\"\n", bad[i][0], out);
			check_case_failed = 1;
		}
	}
}

static void recorder_off(void)
{
	exit_rec_init(&vcpus[2].rec, NULL, 0);
	run("beta 0");
	CHECK(strstr(out, "vm beta vCPU 0: the flight recorder is off (trace=0)") != NULL);
	CHECK_EQ(count_lines(out), 1);
}

int main(void)
{
	setup();
	RUN(registered);
	RUN(last_n);
	RUN(bad_arguments);
	RUN(recorder_off);
	return check_done();
}
