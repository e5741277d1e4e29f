/*
 * core/sched.c on the host: the pick (priority, then smallest weighted
 * vruntime), fair shares by weight, affinity and least-loaded placement,
 * wake-ups (the sleeper's bounded credit, a wake-up that comes while the
 * thread still runs, preemption), deadlines of blocked threads, pulls
 * and migrations; then four hosted CPUs placing, preempting, blocking,
 * waking, pulling, balancing between busy CPUs and migrating sixteen
 * threads at once, with the queues' invariants checked under their locks.
 *
 * The hosted context switch does nothing: after sched_preempt() or
 * sched_block() the test thread plays whatever sched_current() is.
 */
#include <pthread.h>

#include "core/lib/errno.h"
#include "core/sched.h"
#include "check.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
}

static void advance(uint64_t ns)
{
	__atomic_add_fetch(&fake_now, ns, __ATOMIC_RELAXED);
}

static struct sched_thread idles[SCHED_MAX_CPUS];

/* CPUs 0..n-1 online, each idle; the fake clock from 1 s. */
static void setup(unsigned int n)
{
	memset(idles, 0, sizeof(idles));
	memset(sched_rq_of(0), 0, sizeof(struct sched_rq) * SCHED_MAX_CPUS);
	fake_now = 1000000000ull;
	shim_set_clock(fake_clock);
	shim_set_cpu(0);
	for (unsigned int c = 0; c < n; c++)
		sched_init_cpu(c, &idles[c], &idles[c]);
}

/* Runs CPU 0 for steps of step_ns, preempting when told to. */
static void run_cpu0(unsigned int steps, uint64_t step_ns)
{
	for (unsigned int i = 0; i < steps; i++) {
		advance(step_ns);
		if (sched_need_resched())
			sched_preempt();
	}
}

static void test_weights_share(void)
{
	struct sched_thread a, b;

	setup(1);
	sched_thread_init(&a, "a", 256, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&b, "b", 512, SCHED_PRIO_VCPU, 1);
	CHECK_EQ(sched_place(&a, -1), 0);
	CHECK_EQ(sched_place(&b, -1), 0);
	CHECK(sched_need_resched());	/* the idle thread gives way */
	sched_preempt();
	CHECK(sched_current() == &a || sched_current() == &b);
	run_cpu0(30000, 100000);	/* 3 s in 0.1 ms steps */
	/* Twice the weight, twice the time: within 5 %. */
	CHECK(b.ran_ns * 100 >= a.ran_ns * 2 * 95);
	CHECK(b.ran_ns * 100 <= a.ran_ns * 2 * 105);
	CHECK(a.ran_ns + b.ran_ns >= 2990000000ull);
	/* Each turn is about a slice: neither switches every step. */
	CHECK(a.switches + b.switches < 30000 / 20);
}

static void test_equal_weights_alternate(void)
{
	struct sched_thread a, b;

	setup(1);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&b, "b", 0, SCHED_PRIO_VCPU, 1);
	CHECK_EQ(a.weight, SCHED_WEIGHT_DEFAULT);
	sched_place(&a, 0);
	sched_place(&b, 0);
	sched_preempt();
	run_cpu0(1000, 1000000);
	CHECK(a.ran_ns > 450000000ull && b.ran_ns > 450000000ull);
	/* Alone, a thread keeps the CPU: no slice end to preempt it. */
	sched_block();
	CHECK_EQ(sched_rq_of(0)->slice_end, UINT64_MAX);
	CHECK(!sched_need_resched());
}

static void test_monitor_priority(void)
{
	struct sched_thread v, mon;

	setup(1);
	sched_thread_init(&v, "v", 0, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&mon, "monitor", 0, SCHED_PRIO_MONITOR, 1);
	sched_place(&v, 0);
	sched_place(&mon, 0);
	sched_preempt();
	CHECK(sched_current() == &mon);	/* the higher priority first */
	sched_set_deadline(fake_now + 50000000ull);
	sched_block();
	CHECK(sched_current() == &v);
	CHECK_EQ(sched_cpu_deadline(0), fake_now + 50000000ull);
	run_cpu0(40, 1000000);
	CHECK(sched_current() == &v);
	advance(10000000);
	CHECK_EQ(sched_wake_due(fake_clock()), 1);
	CHECK(sched_need_resched());
	sched_preempt();
	CHECK(sched_current() == &mon);
}

static void test_sleeper_credit(void)
{
	struct sched_thread a, s;

	setup(1);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 1);
	sched_thread_init(&s, "sleeper", 0, SCHED_PRIO_VCPU, 1);
	sched_place(&a, 0);
	sched_place(&s, 0);
	sched_preempt();
	if (sched_current() != &s)	/* make s the one that sleeps */
		sched_preempt();
	CHECK(sched_current() == &s);
	sched_block();
	CHECK(sched_current() == &a);
	run_cpu0(1000, 1000000);	/* a runs 1 s alone */
	CHECK(sched_wake(&s));
	CHECK(!sched_wake(&s));		/* already runnable */
	/* s starts at most the credit behind a, not 1 s (x4) behind. */
	CHECK(s.vruntime + SCHED_WAKE_CREDIT_NS >= sched_rq_of(0)->min_vruntime);
	CHECK(sched_need_resched());
	sched_preempt();
	CHECK(sched_current() == &s);
	s.ran_ns = a.ran_ns = 0;
	run_cpu0(1000, 1000000);
	/* After the credit is spent they share: s does not monopolise. */
	CHECK(a.ran_ns > 400000000ull);
}

static void test_wake_while_running(void)
{
	struct sched_thread a;

	setup(1);
	sched_thread_init(&a, "a", 0, SCHED_PRIO_VCPU, 1);
	sched_place(&a, 0);
	sched_preempt();
	CHECK(!sched_wake(&a));		/* runs: recorded, not queued */
	sched_block();			/* returns at once */
	CHECK(sched_current() == &a);
	CHECK_EQ(a.state, SCHED_RUNNING);
	sched_block();
	CHECK(sched_current() == &idles[0]);
	CHECK_EQ(a.state, SCHED_BLOCKED);
}

static void test_affinity_placement(void)
{
	struct sched_thread t[4], bad;

	setup(3);
	for (unsigned int i = 0; i < 4; i++) {
		sched_thread_init(&t[i], "t", 0, SCHED_PRIO_VCPU, BIT_ULL(1) | BIT_ULL(2));
		CHECK_EQ(sched_place(&t[i], -1), 1 + i % 2);
	}
	CHECK_EQ(sched_rq_of(0)->nr_placed, 0);
	CHECK_EQ(sched_rq_of(1)->nr_placed, 2);
	sched_thread_init(&bad, "bad", 0, SCHED_PRIO_VCPU, BIT_ULL(5));
	CHECK_EQ(sched_place(&bad, -1), -EINVAL);	/* CPU 5 is not online */
	sched_thread_init(&bad, "bad", 0, SCHED_PRIO_VCPU, BIT_ULL(1));
	CHECK_EQ(sched_place(&bad, 2), -EINVAL);	/* outside its affinity */
	/* A pinned placement is taken as given. */
	CHECK_EQ(sched_place(&bad, 1), 1);
	CHECK_EQ(sched_rq_of(1)->nr_placed, 3);
}

static void test_pull_and_migrate(void)
{
	struct sched_thread t[3];

	setup(2);
	sched_thread_init(&t[0], "pinned", 0, SCHED_PRIO_VCPU, BIT_ULL(1));
	sched_thread_init(&t[1], "free", 0, SCHED_PRIO_VCPU, 3);
	sched_thread_init(&t[2], "pinned2", 0, SCHED_PRIO_VCPU, BIT_ULL(1));
	sched_place(&t[0], 1);
	sched_place(&t[1], 1);
	sched_place(&t[2], 1);
	/* CPU 0 pulls the one thread that may run there. */
	CHECK(sched_pull(0) == &t[1]);
	CHECK_EQ(t[1].cpu, 0);
	CHECK_EQ(t[1].migrations, 1);
	CHECK(sched_pull(0) == NULL);
	CHECK_EQ(sched_rq_of(0)->nr_runnable, 1);
	CHECK_EQ(sched_rq_of(1)->nr_runnable, 2);
	CHECK_EQ(sched_migrate(&t[0], 0), -EINVAL);	/* affinity */
	CHECK_EQ(sched_migrate(&t[1], 1), 0);
	CHECK_EQ(t[1].cpu, 1);
	/* The running thread does not move. */
	shim_set_cpu(1);
	sched_preempt();
	CHECK_EQ(sched_migrate(sched_current(), 0), sched_current() == &t[1] ? -EBUSY : -EINVAL);
	shim_set_cpu(0);
}

/* --- Stress ---------------------------------------------------------------- */

#define STRESS_CPUS    4
#define STRESS_THREADS 16
#define STRESS_STEPS   20000

static struct sched_thread st[STRESS_THREADS];
static int st_owner[STRESS_THREADS];	/* CPU playing it, -1: none (atomic) */
static int stress_errors;		/* atomic */

static unsigned int xorshift(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int thread_index(const struct sched_thread *t)
{
	return t >= st && t < st + STRESS_THREADS ? (int)(t - st) : -1;
}

/* The CPU now plays sched_current(): nobody else may. */
static void claim_current(unsigned int cpu)
{
	int i = thread_index(sched_current()), none = -1;

	if (i >= 0 && !__atomic_compare_exchange_n(&st_owner[i], &none, (int)cpu, false,
						   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		fprintf(stderr, "  thread %d runs on CPU %u and on CPU %d\n", i, cpu, none);
		__atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
	}
}

static void release_current(void)
{
	int i = thread_index(sched_current());

	if (i >= 0)
		__atomic_store_n(&st_owner[i], -1, __ATOMIC_RELEASE);
}

/* Counts the queue's lists under its lock against its counters. */
static void check_rq(unsigned int cpu)
{
	struct sched_rq *rq = sched_rq_of(cpu);
	unsigned long flags = spin_lock_irqsave(&rq->lock);
	unsigned int placed = 0, runnable = 0;
	struct sched_thread *t;

	list_for_each_entry(t, &rq->placed, placed_link) {
		placed++;
		if (t->cpu != (int)cpu)
			__atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
	}
	list_for_each_entry(t, &rq->runnable, run_link) {
		runnable++;
		if (t->state != SCHED_RUNNABLE)
			__atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
	}
	if (rq->curr != rq->idle && rq->curr->state == SCHED_RUNNING)
		runnable++;
	if (placed != rq->nr_placed || runnable != rq->nr_runnable) {
		fprintf(stderr, "  CPU %u: %u placed (says %u), %u runnable (says %u)\n",
			cpu, placed, rq->nr_placed, runnable, rq->nr_runnable);
		__atomic_add_fetch(&stress_errors, 1, __ATOMIC_RELAXED);
	}
	spin_unlock_irqrestore(&rq->lock, flags);
}

static void *stress_cpu(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg, seed = 2463534242u + cpu * 7919;

	shim_set_cpu(cpu);
	claim_current(cpu);
	for (unsigned int i = 0; i < STRESS_STEPS; i++) {
		unsigned int r = xorshift(&seed), op = r % 8;
		struct sched_thread *other = &st[(r >> 8) % STRESS_THREADS];

		if (sched_current() == sched_rq_of(cpu)->idle) {
			if (sched_pull(cpu) || sched_need_resched()) {
				sched_preempt();
				claim_current(cpu);
			}
			sched_wake(other);
			continue;
		}
		/*
		 * The periodic balance at the safe point, due every other
		 * step (its own clock): pulls race with the other CPUs'
		 * wake-ups, blocks, migrations and idle pulls.
		 */
		if (sched_balance_tick((uint64_t)i * (SCHED_BALANCE_NS / 2)) &&
		    sched_need_resched())
			op = 0;
		switch (op) {
		case 0:
		case 1:
			release_current();
			sched_preempt();
			claim_current(cpu);
			break;
		case 2:
			release_current();
			sched_block();
			claim_current(cpu);
			break;
		case 3:
		case 4:
		case 5:
			sched_wake(other);
			break;
		case 6:
			sched_migrate(other, (r >> 16) % STRESS_CPUS);
			break;
		default:
			check_rq((r >> 16) % STRESS_CPUS);
			break;
		}
	}
	release_current();
	return NULL;
}

static void test_stress(void)
{
	pthread_t cpus[STRESS_CPUS];
	unsigned int placed = 0;
	uint64_t balanced = 0;

	setup(STRESS_CPUS);
	shim_set_clock(NULL);	/* the real clock: slices end on their own */
	for (unsigned int i = 0; i < STRESS_THREADS; i++) {
		sched_thread_init(&st[i], "s", 64 + 64 * (i % 4), SCHED_PRIO_VCPU,
				  i % 3 ? ~0ull : BIT_ULL(i % STRESS_CPUS));
		st_owner[i] = -1;
		CHECK(sched_place(&st[i], -1) >= 0);
	}
	for (unsigned int c = 0; c < STRESS_CPUS; c++)
		pthread_create(&cpus[c], NULL, stress_cpu, (void *)(uintptr_t)c);
	for (unsigned int c = 0; c < STRESS_CPUS; c++)
		pthread_join(cpus[c], NULL);
	for (unsigned int c = 0; c < STRESS_CPUS; c++) {
		check_rq(c);
		placed += sched_rq_of(c)->nr_placed;
	}
	CHECK_EQ(placed, STRESS_THREADS);
	for (unsigned int c = 0; c < STRESS_CPUS; c++)
		balanced += sched_rq_of(c)->balance_pulls;
	CHECK(balanced > 0);		/* the busy CPUs' balance did move some */
	for (unsigned int i = 0; i < STRESS_THREADS; i++) {
		CHECK(st[i].cpu >= 0 && st[i].cpu < STRESS_CPUS);
		CHECK(st[i].affinity & BIT_ULL(st[i].cpu));
		CHECK(!st[i].on_cpu || sched_rq_of((unsigned int)st[i].cpu)->curr == &st[i]);
	}
	CHECK_EQ(stress_errors, 0);
}

int main(void)
{
	RUN(test_weights_share);
	RUN(test_equal_weights_alternate);
	RUN(test_monitor_priority);
	RUN(test_sleeper_credit);
	RUN(test_wake_while_running);
	RUN(test_affinity_placement);
	RUN(test_pull_and_migrate);
	RUN(test_stress);
	return check_done();
}
