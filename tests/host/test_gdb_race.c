/*
 * The GDB stub's two calls from other CPUs against its polling context:
 * a "vCPU" thread reports stops and asks whether the stub owns a
 * breakpoint while the main thread inserts and removes breakpoints and
 * resumes (under TSan: every shared field behind s->lock).
 */
#include "tests/host/test_gdb.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define ROUNDS 200
#define BP_ADDR 0x100040ull

static struct fake_target fake;
static struct gdb_stub stub;
static uint32_t want_stop, done;
static unsigned long owned_seen;	/* the vCPU thread's */

static void *vcpu_thread(void *arg)
{
	struct gdb_stop stop = { .thread = 2, .reason = GDB_STOP_HWBREAK };

	shim_set_cpu(1);
	while (!smp_load_acquire(&done)) {
		if (gdb_stub_owns_breakpoint(&stub, BP_ADDR))
			owned_seen++;
		if (smp_load_acquire(&want_stop)) {
			gdb_stub_report_stop(&stub, &stop);
			smp_store_release(&want_stop, 0);
		}
		shim_pause();
	}
	return NULL;
}

/* Polls until the stop reply of thread 2 is out; false on a timeout. */
static bool wait_stop_reply(void)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	while (!strstr(fake.out, "$T05thread:2;hwbreak:;#")) {
		if (time_now_ns() > deadline)
			return false;
		gdb_stub_poll(&stub);
		shim_pause();
	}
	return true;
}

static void test_stops_and_breakpoints_from_another_cpu(void)
{
	pthread_t thr;
	unsigned int i;

	shim_set_cpu(0);
	CHECK_EQ(fake_setup(&fake, &stub, 2), 0);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
	CHECK_EQ(pthread_create(&thr, NULL, vcpu_thread, NULL), 0);
	for (i = 0; i < ROUNDS; i++) {
		/* Behind every thread's RIP: inserted, never hit. */
		CHECK_STR(gdb_cmd(&fake, "Z0,100040,1"), "OK");
		CHECK_STR(gdb_cmd(&fake, "c"), "");
		smp_store_release(&want_stop, 1);
		CHECK(wait_stop_reply());
		CHECK(!stub.running);
		CHECK(wait_u32_acquire(&want_stop, 0));
		CHECK_STR(gdb_cmd(&fake, "z0,100040,1"), "OK");
	}
	smp_store_release(&done, 1);
	pthread_join(thr, NULL);
	CHECK(!gdb_stub_owns_breakpoint(&stub, BP_ADDR));
	CHECK_EQ(fake.bad_access, 0);
	/* The vCPU looked at least once a round, just before it reported. */
	CHECK(owned_seen >= ROUNDS);
}

int main(void)
{
	RUN(test_stops_and_breakpoints_from_another_cpu);
	return check_done();
}
