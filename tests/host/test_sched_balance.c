/*
 * core/sched.c on the host, its balancing between CPUs: a vCPU made
 * runnable next to another on a busy CPU kicks an idle CPU of its
 * affinity, which pulls it in its idle step; an idle CPU with others
 * online wakes every SCHED_IDLE_PULL_NS to look again, one alone does
 * not; the statistics the monitor shows (sched_thread_stat(),
 * sched_rq_stat()) count the running thread's current turn and follow
 * a migration; the PAUSE-loop yield (sched_yield_spin()) goes to a vCPU
 * of the spinner's VM first, to a higher priority before that, to none
 * when alone, and charges each only the time it ran.
 *
 * The hosted context switch does nothing: after sched_preempt() the test
 * thread plays whatever sched_current() is on the CPU it claims to be.
 */
#include "core/sched.h"
#include "check.h"

static uint64_t fake_now;
static unsigned int kicks[SCHED_MAX_CPUS];

static uint64_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
}

static void count_kick(unsigned int cpu)
{
	if (cpu < SCHED_MAX_CPUS)
		kicks[cpu]++;
}

static struct sched_thread idles[SCHED_MAX_CPUS];

/* CPUs 0..n-1 online, each idle; the fake clock from 1 s; kicks counted. */
static void setup(unsigned int n)
{
	memset(idles, 0, sizeof(idles));
	memset(kicks, 0, sizeof(kicks));
	memset(sched_rq_of(0), 0, sizeof(struct sched_rq) * SCHED_MAX_CPUS);
	fake_now = 1000000000ull;
	shim_set_clock(fake_clock);
	shim_set_kick_handler(count_kick);
	shim_set_cpu(0);
	for (unsigned int c = 0; c < n; c++)
		sched_init_cpu(c, &idles[c], &idles[c]);
}

static void test_busy_cpu_kicks_idle_one(void)
{
	struct sched_thread a, b, pinned;

	setup(3);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_init(&pinned, "pinned", 0, SCHED_PRIO_VCPU, 0x1);
	/* Alone on CPU 0: nobody to kick. */
	CHECK_EQ(sched_place(&a, 0), 0);
	sched_preempt();
	CHECK(sched_current() == &a);
	CHECK_EQ(kicks[1], 0);
	/* A thread only CPU 0 may run: CPU 1 could not take it. */
	CHECK_EQ(sched_place(&pinned, 0), 0);
	CHECK_EQ(kicks[1], 0);
	CHECK_EQ(kicks[2], 0);
	/* A second movable one on busy CPU 0: idle CPU 1 is kicked, not 2. */
	CHECK_EQ(sched_place(&b, 0), 0);
	CHECK_EQ(kicks[1], 1);
	CHECK_EQ(kicks[2], 0);
	/* CPU 1's idle step, woken by the kick, pulls a runnable one. */
	shim_set_cpu(1);
	sched_idle();
	CHECK(sched_current() == &b);
	CHECK_EQ(b.cpu, 1);
	CHECK_EQ(b.migrations, 1);
	CHECK_EQ(sched_rq_of(0)->nr_runnable, 2);
	CHECK_EQ(sched_rq_of(1)->nr_runnable, 1);
	shim_set_cpu(0);
	shim_set_kick_handler(NULL);
}

static void test_wake_on_busy_cpu_kicks(void)
{
	struct sched_thread a, b;

	setup(2);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 0x3);
	CHECK_EQ(sched_place(&b, 0), 0);
	sched_preempt();
	CHECK(sched_current() == &b);
	sched_block();			/* b halts: CPU 0 idles */
	CHECK_EQ(sched_place(&a, 0), 0);
	sched_preempt();
	CHECK(sched_current() == &a);
	CHECK_EQ(kicks[1], 0);
	/* b wakes next to a running a: CPU 1 idles, it is kicked. */
	fake_now += 1000000;
	CHECK(sched_wake(&b));
	CHECK_EQ(kicks[1], 1);
	shim_set_cpu(1);
	sched_idle();
	CHECK(sched_current() == &b);
	shim_set_cpu(0);
	shim_set_kick_handler(NULL);
}

static void test_idle_looks_again(void)
{
	/* With another CPU online the idle halt is bounded... */
	setup(2);
	shim_set_cpu(1);
	sched_idle();
	CHECK_EQ(shim_timer_deadline_of(1), fake_now + SCHED_IDLE_PULL_NS);
	/* ...and the idle step that the timer ends pulls from a busy queue. */
	shim_set_cpu(0);
	{
		struct sched_thread a, b;

		sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 0x3);
		sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 0x3);
		shim_set_kick_handler(NULL);
		CHECK_EQ(sched_place(&a, 0), 0);
		CHECK_EQ(sched_place(&b, 0), 0);
		sched_preempt();
		fake_now += SCHED_IDLE_PULL_NS;
		shim_set_cpu(1);
		sched_idle();
		CHECK(sched_current() == &a || sched_current() == &b);
		CHECK_EQ(sched_rq_of(0)->nr_runnable, 1);
		shim_set_cpu(0);
	}
	/* Alone, it halts until its own deadlines: none here. */
	setup(1);
	sched_idle();
	CHECK_EQ(shim_timer_deadline_of(0), UINT64_MAX);
	shim_set_kick_handler(NULL);
}

static void test_stats(void)
{
	struct sched_thread a, b;
	struct sched_thread_stat s;
	struct sched_rq_stat q;

	setup(2);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_stat(&a, &s);
	CHECK_EQ(s.cpu, -1);
	CHECK_EQ(s.state, SCHED_DEAD);
	CHECK_EQ(sched_place(&a, 0), 0);
	CHECK_EQ(sched_place(&b, 0), 0);
	sched_preempt();
	CHECK(sched_current() == &a);
	/* a has run 3 ms of its turn: counted though it has not switched. */
	fake_now += 3000000;
	sched_thread_stat(&a, &s);
	CHECK_EQ(s.cpu, 0);
	CHECK_EQ(s.state, SCHED_RUNNING);
	CHECK_EQ(s.ran_ns, 3000000);
	CHECK_EQ(s.switches, 1);
	CHECK_EQ(s.migrations, 0);
	sched_thread_stat(&b, &s);
	CHECK_EQ(s.state, SCHED_RUNNABLE);
	CHECK_EQ(s.ran_ns, 0);
	sched_rq_stat(0, &q);
	CHECK(q.online);
	CHECK_EQ(q.nr_placed, 2);
	CHECK_EQ(q.nr_runnable, 2);
	CHECK(q.curr == &a);
	CHECK_EQ(sched_migrate(&b, 1), 0);
	sched_thread_stat(&b, &s);
	CHECK_EQ(s.cpu, 1);
	CHECK_EQ(s.migrations, 1);
	sched_rq_stat(1, &q);
	CHECK(q.curr == NULL);		/* idle until CPU 1 switches */
	CHECK_EQ(q.nr_runnable, 1);
	sched_rq_stat(5, &q);
	CHECK(!q.online);
	shim_set_kick_handler(NULL);
}

static void test_yield_spin(void)
{
	static const int vm_a, vm_b;
	struct sched_thread a, b, c, mon;

	setup(1);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&c, "c", 0, SCHED_PRIO_VCPU, 1);
	a.group = c.group = &vm_a;
	b.group = &vm_b;
	CHECK_EQ(sched_place(&a, 0), 0);
	sched_preempt();
	CHECK(sched_current() == &a);
	/* Alone: nothing to yield to, a goes on. */
	CHECK(!sched_cpu_shared());
	sched_yield_spin();
	CHECK(sched_current() == &a);
	CHECK_EQ(a.yields, 0);
	CHECK_EQ(sched_place(&b, 0), 0);
	CHECK_EQ(sched_place(&c, 0), 0);
	CHECK(sched_cpu_shared());
	/* b's vruntime is the smallest, but c is of a's VM: c runs. */
	fake_now += 1000000;
	b.vruntime = 0;
	c.vruntime = 5000000;
	sched_yield_spin();
	CHECK(sched_current() == &c);
	CHECK_EQ(a.yields, 1);
	CHECK_EQ(a.ran_ns, 1000000);	/* charged its turn so far, no more */
	CHECK_EQ(a.state, SCHED_RUNNABLE);
	/* c runs a fresh slice, and is charged what it runs. */
	CHECK_EQ(sched_rq_of(0)->slice_end, fake_now + SCHED_SLICE_NS);
	fake_now += 500000;
	/* c spins for a in turn: a, of its VM, before b. */
	sched_yield_spin();
	CHECK(sched_current() == &a);
	CHECK_EQ(c.ran_ns, 500000);
	/* With only another VM's vCPU runnable besides, a yields to it. */
	sched_block();			/* a halts: c runs */
	CHECK(sched_current() == &c || sched_current() == &b);
	if (sched_current() == &b)
		sched_yield_spin();	/* b yields to c, the only other */
	CHECK(sched_current() == &c);
	sched_yield_spin();
	CHECK(sched_current() == &b);
	/* A runnable monitor goes before any vCPU. */
	sched_thread_init(&mon, "monitor", 0, SCHED_PRIO_MONITOR, 1);
	CHECK_EQ(sched_place(&mon, 0), 0);
	sched_yield_spin();
	CHECK(sched_current() == &mon);
	/* Only vCPUs yield. */
	sched_yield_spin();
	CHECK(sched_current() == &mon);
}

int main(void)
{
	RUN(test_busy_cpu_kicks_idle_one);
	RUN(test_wake_on_busy_cpu_kicks);
	RUN(test_idle_looks_again);
	RUN(test_stats);
	RUN(test_yield_spin);
	return check_done();
}
