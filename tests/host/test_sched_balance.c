/*
 * core/sched.c on the host, its balancing between CPUs: a vCPU made
 * runnable next to another on a busy CPU kicks an idle CPU of its
 * affinity, which pulls it in its idle step; an idle CPU with others
 * online wakes every SCHED_IDLE_PULL_NS to look again, one alone does
 * not; the statistics the monitor shows (sched_thread_stat(),
 * sched_rq_stat()) count the running thread's current turn and follow
 * a migration; the PAUSE-loop yield (sched_yield_spin()) goes to a vCPU
 * of the spinner's VM first, to a higher priority before that, to none
 * when alone, and charges each only the time it ran. The periodic
 * balance between busy CPUs (sched_balance_tick()): a lighter CPU is
 * kicked when a queue gets two runnable threads more, its one-shot then
 * follows the gap, three vCPUs against one even out to two and two with
 * one move and stay so, two against one never move, a thread only the
 * busy CPU may run stays there, and the thread moved in starts at the
 * busy queue's current minimum.
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

/*
 * Runs CPUs 0..n-1 in turn for steps of 1 ms of fake time, each at its
 * safe point as a vCPU's run loop is: due wake-ups, the periodic balance,
 * a preemption when asked for. Returns the balances that moved a thread.
 */
static unsigned int run_cpus(unsigned int n, unsigned int steps)
{
	unsigned int moved = 0;

	for (unsigned int i = 0; i < steps; i++) {
		fake_now += 1000000;
		for (unsigned int c = 0; c < n; c++) {
			shim_set_cpu(c);
			sched_wake_due(fake_now);
			moved += sched_balance_tick(fake_now);
			if (sched_need_resched())
				sched_preempt();
		}
	}
	shim_set_cpu(0);
	return moved;
}

static uint64_t migrations_of(struct sched_thread *t, unsigned int n)
{
	uint64_t m = 0;

	for (unsigned int i = 0; i < n; i++)
		m += t[i].migrations;
	return m;
}

/* Places t[from..to) on cpu, then runs cpu's best one. */
static void place_on(struct sched_thread *t, unsigned int from, unsigned int to,
		     unsigned int cpu)
{
	shim_set_cpu(cpu);
	for (unsigned int i = from; i < to; i++)
		CHECK_EQ(sched_place(&t[i], (int)cpu), (int)cpu);
	sched_preempt();
	shim_set_cpu(0);
}

static void test_busy_balance_evens_out(void)
{
	struct sched_thread t[4];
	struct sched_rq_stat q;
	struct sched_thread *moved = NULL;
	uint64_t deadline;

	setup(2);
	for (unsigned int i = 0; i < 4; i++)
		sched_thread_init(&t[i], "v", 0, SCHED_PRIO_VCPU, 0x3);
	/* t[3] alone on CPU 1 for 1 s: its vruntime runs far ahead. */
	place_on(t, 3, 4, 1);
	CHECK_EQ(run_cpus(2, 1000), 0);
	/* Alone and balanced: no balance deadline, no scheduling exit. */
	CHECK_EQ(sched_cpu_deadline(1), UINT64_MAX);
	place_on(t, 0, 2, 0);
	CHECK_EQ(kicks[1], 0);		/* 2 against 1: nothing to do */
	/* The third on CPU 0 makes the gap 2: CPU 1, busy, is kicked once. */
	CHECK_EQ(sched_place(&t[2], 0), 0);
	CHECK_EQ(kicks[1], 1);
	/* Its one-shot now fires at its next balance, within SCHED_BALANCE_NS. */
	deadline = sched_cpu_deadline(1);
	CHECK(deadline > fake_now && deadline <= fake_now + SCHED_BALANCE_NS);
	shim_set_cpu(1);
	CHECK(!sched_balance_tick(deadline - 1));
	fake_now = deadline;
	CHECK(sched_balance_tick(fake_now));
	for (unsigned int i = 0; i < 3; i++)
		if (t[i].cpu == 1)
			moved = &t[i];
	CHECK(moved != NULL && moved->migrations == 1);
	CHECK_EQ(sched_rq_of(0)->nr_runnable, 2);
	CHECK_EQ(sched_rq_of(1)->nr_runnable, 2);
	/* Placed at CPU 1's minimum as of now, not the one of 1 s ago. */
	CHECK(moved->vruntime + SCHED_WAKE_CREDIT_NS >= t[3].vruntime);
	/* Not due again before SCHED_BALANCE_NS. */
	CHECK(!sched_balance_tick(fake_now + SCHED_BALANCE_NS - 1));
	shim_set_cpu(0);
	sched_rq_stat(1, &q);
	CHECK_EQ(q.balance_pulls, 1);
	CHECK_EQ(q.pulls, 0);
	/* 2 and 2 from now on: 2 s of slices and balances move nothing. */
	CHECK_EQ(run_cpus(2, 2000), 0);
	CHECK_EQ(migrations_of(t, 4), 1);
	CHECK_EQ(sched_cpu_deadline(1) == UINT64_MAX, false);	/* sharing: slices */
	CHECK(sched_cpu_deadline(1) <= fake_now + SCHED_SLICE_NS);
	/* Each CPU's two share it: every thread ran about half of the 2 s. */
	for (unsigned int i = 0; i < 3; i++)
		CHECK(t[i].ran_ns > 800000000ull);
	shim_set_kick_handler(NULL);
}

static void test_busy_balance_no_ping_pong(void)
{
	struct sched_thread t[3];

	setup(2);
	for (unsigned int i = 0; i < 3; i++)
		sched_thread_init(&t[i], "v", 0, SCHED_PRIO_VCPU, 0x3);
	place_on(t, 2, 3, 1);
	place_on(t, 0, 2, 0);
	/* 2 against 1: a move would only make it 1 against 2. */
	CHECK_EQ(run_cpus(2, 3000), 0);
	CHECK_EQ(migrations_of(t, 3), 0);
	CHECK_EQ(sched_cpu_deadline(1), UINT64_MAX);
	CHECK_EQ(kicks[1], 0);
	/* One halts and wakes again and again: still no move. */
	for (unsigned int i = 0; i < 50; i++) {
		shim_set_cpu(0);
		if (sched_current() == &t[0])
			sched_block();
		fake_now += 2000000;
		sched_wake(&t[0]);
		run_cpus(2, 5);
	}
	CHECK_EQ(migrations_of(t, 3), 0);
	shim_set_kick_handler(NULL);
}

static void test_busy_balance_affinity(void)
{
	struct sched_thread t[5];

	setup(2);
	for (unsigned int i = 0; i < 3; i++)
		sched_thread_init(&t[i], "pinned", 0, SCHED_PRIO_VCPU, 0x1);
	sched_thread_init(&t[3], "v", 0, SCHED_PRIO_VCPU, 0x3);
	sched_thread_init(&t[4], "free", 0, SCHED_PRIO_VCPU, 0x3);
	place_on(t, 3, 4, 1);
	place_on(t, 0, 3, 0);
	/* Only CPU 0 may run the three: CPU 1 was not kicked, pulls none. */
	CHECK_EQ(kicks[1], 0);
	CHECK_EQ(run_cpus(2, 200), 0);
	CHECK_EQ(migrations_of(t, 4), 0);
	/* A fourth CPU 1 may run joins them: it, and only it, moves. */
	CHECK_EQ(sched_place(&t[4], 0), 0);
	CHECK_EQ(run_cpus(2, 200), 1);
	CHECK_EQ(t[4].cpu, 1);
	CHECK_EQ(t[4].migrations, 1);
	for (unsigned int i = 0; i < 3; i++)
		CHECK_EQ(t[i].cpu, 0);
	/* 3 pinned against 2: the gap is 1, nothing more to do. */
	CHECK_EQ(run_cpus(2, 200), 0);
	shim_set_kick_handler(NULL);
}

static void test_busy_balance_three_cpus(void)
{
	struct sched_thread t[6];

	/* 4, 1 and 1: two moves, one to each lighter CPU. */
	setup(3);
	for (unsigned int i = 0; i < 6; i++)
		sched_thread_init(&t[i], "v", 0, SCHED_PRIO_VCPU, 0x7);
	place_on(t, 4, 5, 1);
	place_on(t, 5, 6, 2);
	place_on(t, 0, 4, 0);
	CHECK_EQ(run_cpus(3, 500), 2);
	for (unsigned int c = 0; c < 3; c++)
		CHECK_EQ(sched_rq_of(c)->nr_runnable, 2);
	CHECK_EQ(migrations_of(t, 6), 2);
	shim_set_kick_handler(NULL);
}

int main(void)
{
	RUN(test_busy_cpu_kicks_idle_one);
	RUN(test_wake_on_busy_cpu_kicks);
	RUN(test_idle_looks_again);
	RUN(test_stats);
	RUN(test_yield_spin);
	RUN(test_busy_balance_evens_out);
	RUN(test_busy_balance_no_ping_pong);
	RUN(test_busy_balance_affinity);
	RUN(test_busy_balance_three_cpus);
	return check_done();
}
