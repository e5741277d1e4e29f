/*
 * Hosted test of core/vcpu_request.c under races (the set-up is in
 * tests/host/test_vcpu_request.h).
 *
 * Cases: the entry/halt race aimed at with two threads; and a stress test
 * of vCPU threads against sender threads checking that no request is lost,
 * no kick is missed, WAIT waits long enough, and IPIs go only to vCPUs in
 * guest mode. TEST_SEED overrides the stress seed; TEST_VERBOSE prints what
 * the racing cases exercised.
 */
#include "tests/host/test_vcpu_request.h"

/* ---------------------------------------------------------------------- */
/*
 * The race of pairs 1 and 2, aimed at: one vCPU thread and one sender, two
 * CPUs, nothing else running. The sender makes the next request the
 * moment it sees the previous one consumed, that is while the vCPU is on
 * its way back into guest mode or into a halt, the window where a sender
 * that read the mode or the blocked flag before setting its bit would
 * leave the request pending in guest mode, or in a halt, for good. The
 * vCPU also moves between CPUs 1 and 2 on its way, so that a sender which
 * read v->cpu before the request (instead of after its cmpxchg) would
 * kick the CPU the vCPU has just left.
 */
#define RACE_ROUNDS 20000
#define RACE_NS     1000000000ull	/* or this long, whichever ends first */

static uint32_t race_stop;	/* atomic */
static uint64_t race_rounds;	/* atomic: requests consumed */
static struct vcpu_req_state race_v;
static struct vcpu_req_state *race_vcpus[1] = { &race_v };

/*
 * One step of a busy wait: spin while the other thread is likely running
 * on the other CPU (the race needs both running), yield to it otherwise.
 */
static void race_relax(unsigned long *spins)
{
	if (++*spins % 256 == 0)
		sched_yield();
	else
		cpu_relax();
}

static void race_vcpu_fn(struct worker *w)
{
	uint64_t rng = STRESS_SEED ^ 0x5bd1e995ull;
	unsigned long spins = 0;
	unsigned int cpu = w->cpu;
	uint64_t start, r;
	char line[160];

	vcpu_req_load(&race_v);
	while (!smp_load_acquire(&race_stop)) {
		if (vcpu_check_request(&race_v, VCPU_REQ_EVENT))
			atomic_fetch_add(&race_rounds, 1);
		r = rand_next(&rng);
		if (r % 2) {
			vcpu_req_put(&race_v);
			cpu = cpu == 1 ? 2 : 1;
			shim_set_cpu(cpu);
			vcpu_req_load(&race_v);
		}
		if (r % 8 < 2) {
			if (!vcpu_block_begin(&race_v))
				continue;
			start = time_now_ns();
			while (vcpu_is_blocked(&race_v) &&
			       !smp_load_acquire(&race_stop)) {
				if (time_now_ns() - start > PENDING_BOUND_NS) {
					vcpu_describe(&race_v, line, sizeof(line));
					thread_fail("%s: never woken", line);
					break;
				}
				race_relax(&spins);
			}
			irq_take(cpu);
			vcpu_block_end(&race_v);
			continue;
		}
		if (!vcpu_enter_guest_mode(&race_v))
			continue;
		start = time_now_ns();
		while (!irq_take(cpu) && !smp_load_acquire(&race_stop)) {
			if (time_now_ns() - start > PENDING_BOUND_NS) {
				vcpu_describe(&race_v, line, sizeof(line));
				thread_fail("%s: in guest mode, never kicked", line);
				break;
			}
			race_relax(&spins);
		}
		vcpu_exit_guest_mode(&race_v);
	}
	vcpu_req_put(&race_v);
}

static void entry_race(void)
{
	uint64_t deadline, end;
	unsigned long spins = 0;
	struct worker w;
	unsigned int n;

	ipis_reset();
	vcpu_req_init(&race_v, 0);
	atomic_store(&race_stop, 0);
	atomic_store(&race_rounds, 0);
	watch_begin(__func__, race_vcpus, 1);
	/* The sender is CPU 0; IPIs may only reach CPUs 1 and 2. */
	WRITE_ONCE(ipi_cpu_allowed, BIT_ULL(1) | BIT_ULL(2));
	worker_start(&w, 1, race_vcpu_fn, NULL);
	end = time_now_ns() + RACE_NS;
	for (n = 0; n < RACE_ROUNDS && time_now_ns() < end; n++) {
		deadline = time_now_ns() + TEST_WAIT_NS;
		while (vcpu_test_request(&race_v, VCPU_REQ_EVENT)) {
			if (time_now_ns() > deadline) {
				char line[160];

				vcpu_describe(&race_v, line, sizeof(line));
				fprintf(stderr, "  round %u: request never consumed: %s\n",
					n, line);
				check_case_failed = 1;
				goto out;
			}
			race_relax(&spins);
		}
		vcpu_make_request(&race_v, VCPU_REQ_EVENT);
	}
out:
	smp_store_release(&race_stop, 1);
	worker_join(&w);
	CHECK(atomic_load(&race_rounds) >= n - 1);
	CHECK(n >= 100);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  entry_race: %u rounds, %llu IPIs\n", n,
			(unsigned long long)atomic_load(&ipis_total));
	CHECK_EQ(atomic_load(&ipi_bad_cpu), 0);
	watch_end();
}

/* ---------------------------------------------------------------------- */
/*
 * Stress: vCPU threads run a loop {service requests; maybe halt; enter
 * guest mode; run the guest until kicked (or, for even vCPUs, until a
 * voluntary exit); exit guest mode} while sender threads make requests of
 * one vCPU, of all, or of a random mask, with and without WAIT and
 * NO_WAKEUP. Invariants:
 *  - no request is lost: each (vCPU, request) has a counter the senders
 *    bump before each request; servicing a bit records the counter, and
 *    at the end what was serviced equals what was made (coalesced
 *    requests are covered by the later value);
 *  - no kick is missed: no vCPU stays in guest mode with a request pending
 *    for PENDING_BOUND_NS (odd vCPUs leave only when kicked), no halted
 *    vCPU stays halted that long after a waking request was made;
 *  - WAIT waits: the guest session a target was in before the request has
 *    ended on return, and no target runs with a TLB generation older than
 *    the flush's;
 *  - IPIs only go to vCPUs in guest mode (or halted): while every vCPU is
 *    parked outside guest mode, requests of every kind send none.
 * vCPUs also move between two CPUs now and then, so that senders read a
 * stale v->cpu and send IPIs to the CPU a vCPU has left: the benign race,
 * which must cost nothing but a spurious exit.
 */
#define ST_VCPUS      6		/* CPUs 1..6, and 10..15 to move to */
#define ST_SENDERS    3		/* CPUs 7..9 */
#define ST_CPU_A(i)   (1 + (i))
#define ST_CPU_B(i)   (1 + ST_VCPUS + ST_SENDERS + (i))
#define ST_ITERS      10000	/* requests per sender */
#define ST_PARK_REQS  300
#define ST_NONE       0		/* no session / not in guest mode */

enum { ST_RUN, ST_PARK, ST_STOPPING };

static struct vcpu_req_state st_v[ST_VCPUS];
static struct vcpu_req_state *st_vcpus[ST_VCPUS];
static uint32_t st_phase;			/* atomic */
static uint32_t st_parked[ST_VCPUS];		/* atomic */
static uint64_t st_made[ST_VCPUS][VCPU_REQ_NR];	/* atomic, senders */
static uint64_t st_done[ST_VCPUS][VCPU_REQ_NR];	/* atomic, the vCPU */
static uint64_t st_wakeable[ST_VCPUS];		/* atomic: waking requests */
static uint64_t st_tlb_gen;			/* atomic: flushes issued */
static uint64_t st_want_gen[ST_VCPUS];		/* atomic max, senders */
/* Written by the vCPU thread; read by senders with acquire. */
static uint64_t st_in_session[ST_VCPUS];	/* current session, or NONE */
static uint64_t st_in_gen[ST_VCPUS];		/* its TLB generation + 1 */
static uint64_t st_sessions_done[ST_VCPUS];	/* last session ended */
/* Totals, for the summary checks. */
static uint64_t st_kicked_exits, st_halts, st_waits, st_moves; /* atomic */
static uint64_t st_seed;

static void atomic_max_u64(uint64_t *p, uint64_t v)
{
	uint64_t old = atomic_load(p);

	while (old < v && !atomic_try_cmpxchg(p, &old, v))
		;
}

/* Services every pending request of vCPU i, recording what it covered. */
static bool st_service(unsigned int i, uint64_t *flushed_gen)
{
	struct vcpu_req_state *v = &st_v[i];
	bool stop = false;
	unsigned int r;

	for (r = 0; r < VCPU_REQ_NR; r++) {
		uint64_t made;

		if (!vcpu_check_request(v, r))
			continue;
		/* Acquire in vcpu_check_request(): the bump is visible. */
		made = atomic_load(&st_made[i][r]);
		if (made < atomic_load(&st_done[i][r]))
			thread_fail("vCPU %u: request %u serviced backwards", i, r);
		atomic_store(&st_done[i][r], made);
		if (r == VCPU_REQ_TLB_FLUSH)
			*flushed_gen = atomic_load(&st_want_gen[i]);
		if (r == VCPU_REQ_STOP)
			stop = true;
	}
	return stop;
}

/* Halts until woken; fails if a waking request is left unanswered. */
static void st_halt(unsigned int i, unsigned int cpu)
{
	struct vcpu_req_state *v = &st_v[i];
	uint64_t wakeable = atomic_load(&st_wakeable[i]);
	uint64_t start;
	char line[160];

	if (!vcpu_block_begin(v))
		return;
	atomic_fetch_add(&st_halts, 1);
	start = time_now_ns();
	while (vcpu_is_blocked(v)) {
		irq_take(cpu);		/* HLT takes whatever interrupt comes */
		if (atomic_load(&st_wakeable[i]) != wakeable &&
		    time_now_ns() - start > PENDING_BOUND_NS) {
			vcpu_describe(v, line, sizeof(line));
			thread_fail("%s: halted %llu ms after a waking request (seed %#llx)",
				    line, (unsigned long long)
				    (time_now_ns() - start) / 1000000,
				    (unsigned long long)st_seed);
			break;
		}
		sched_yield();
	}
	vcpu_block_end(v);
}

/* Runs the guest until kicked (odd vCPUs) or kicked or done (even ones). */
static void st_guest(unsigned int i, unsigned int cpu, uint64_t *rng)
{
	struct vcpu_req_state *v = &st_v[i];
	unsigned long polls, budget = (i % 2) ? ~0ul : rand_next(rng) % 64;
	uint64_t pending_since = 0;
	char line[160];

	for (polls = 0;; polls++) {
		if (irq_take(cpu)) {
			atomic_fetch_add(&st_kicked_exits, 1);
			return;
		}
		if (polls >= budget)
			return;
		if (!vcpu_has_requests(v)) {
			pending_since = 0;
		} else if (!pending_since) {
			pending_since = time_now_ns();
		} else if (time_now_ns() - pending_since > PENDING_BOUND_NS) {
			vcpu_describe(v, line, sizeof(line));
			thread_fail("%s: in guest mode with a request pending for %llu ms, %lu polls, never kicked (seed %#llx)",
				    line, (unsigned long long)
				    (time_now_ns() - pending_since) / 1000000,
				    polls, (unsigned long long)st_seed);
			return;
		}
		sched_yield();
	}
}

/* Moves vCPU i to its other CPU, as a scheduler would between runs. */
static unsigned int st_move(unsigned int i, unsigned int cpu)
{
	unsigned int to = cpu == ST_CPU_A(i) ? ST_CPU_B(i) : ST_CPU_A(i);

	vcpu_req_put(&st_v[i]);
	shim_set_cpu(to);
	vcpu_req_load(&st_v[i]);
	atomic_fetch_add(&st_moves, 1);
	return to;
}

static void st_vcpu_fn(struct worker *w)
{
	unsigned int i = worker_index(w), cpu = w->cpu;
	struct vcpu_req_state *v = &st_v[i];
	uint64_t rng = st_seed ^ (0x1234567ull * (i + 1));
	uint64_t flushed_gen = 0, session = 0;

	vcpu_req_load(v);
	for (;;) {
		uint32_t phase;
		uint64_t r;

		if (st_service(i, &flushed_gen)) {
			if (smp_load_acquire(&st_phase) == ST_STOPPING)
				break;
			thread_fail("vCPU %u: STOP before the stopping phase", i);
		}
		/*
		 * Read after servicing: the main thread's request that
		 * announced the phase made it visible.
		 */
		phase = smp_load_acquire(&st_phase);
		if (phase == ST_PARK) {
			smp_store_release(&st_parked[i], 1);
			while (smp_load_acquire(&st_phase) == ST_PARK)
				sched_yield();
			smp_store_release(&st_parked[i], 0);
			continue;
		}
		r = rand_next(&rng);
		if (r % 16 == 0) {
			st_halt(i, cpu);
			continue;
		}
		if (r % 16 == 1)
			cpu = st_move(i, cpu);
		if (!vcpu_enter_guest_mode(v))
			continue;
		session++;
		/* The guest runs on the TLB of the last flush it serviced. */
		atomic_store(&st_in_gen[i], flushed_gen + 1);
		smp_store_release(&st_in_session[i], session);
		st_guest(i, cpu, &rng);
		atomic_store(&st_in_gen[i], ST_NONE);
		atomic_store(&st_in_session[i], ST_NONE);
		/* Published by the release in vcpu_exit_guest_mode(). */
		atomic_store(&st_sessions_done[i], session);
		vcpu_exit_guest_mode(v);
	}
	vcpu_req_put(v);
}

static const unsigned int st_reqs[] = {
	VCPU_REQ_TLB_FLUSH, VCPU_REQ_MEMSLOTS_RELOAD, VCPU_REQ_TIMER_MIGRATE,
	VCPU_REQ_EVENT,
};

/*
 * Makes one request of the targets in the bit set targets (with except
 * taken out by the caller), accounting for it, and checks what a WAIT
 * promises once it returns.
 */
static void st_request(unsigned int req, uint64_t targets, bool all,
		       struct vcpu_req_state *except)
{
	unsigned int nr = req & VCPU_REQUEST_MASK;
	uint64_t session[ST_VCPUS] = { 0 };
	uint64_t gen = 0, t;
	unsigned int i;

	if (nr == VCPU_REQ_TLB_FLUSH)
		gen = atomic_add_return(&st_tlb_gen, 1);
	for (t = targets; t; t &= t - 1) {
		i = __builtin_ctzll(t);
		if (req & VCPU_REQUEST_WAIT)
			session[i] = smp_load_acquire(&st_in_session[i]);
		if (gen)
			atomic_max_u64(&st_want_gen[i], gen);
		if (!(req & VCPU_REQUEST_NO_WAKEUP))
			atomic_fetch_add(&st_wakeable[i], 1);
		atomic_fetch_add(&st_made[i][nr], 1);
	}

	if (all)
		vcpus_make_request(st_vcpus, ST_VCPUS, req, NULL, except);
	else if (targets && !(targets & (targets - 1)))
		vcpu_make_request(&st_v[__builtin_ctzll(targets)], req);
	else
		vcpus_make_request(st_vcpus, ST_VCPUS, req, &targets, NULL);

	if (!(req & VCPU_REQUEST_WAIT))
		return;
	atomic_fetch_add(&st_waits, 1);
	for (t = targets; t; t &= t - 1) {
		char line[160];
		uint64_t in_gen;

		i = __builtin_ctzll(t);
		if (session[i] != ST_NONE &&
		    smp_load_acquire(&st_sessions_done[i]) < session[i]) {
			vcpu_describe(&st_v[i], line, sizeof(line));
			thread_fail("%s: WAIT returned while guest session %llu, running before the request, had not ended",
				    line, (unsigned long long)session[i]);
		}
		in_gen = atomic_load(&st_in_gen[i]);
		if (gen && in_gen != ST_NONE && in_gen - 1 < gen) {
			vcpu_describe(&st_v[i], line, sizeof(line));
			thread_fail("%s: in guest mode on TLB generation %llu after the WAIT for flush %llu",
				    line, (unsigned long long)(in_gen - 1),
				    (unsigned long long)gen);
		}
	}
}

/* One random request, of the kinds a sender makes. */
static void st_random_request(uint64_t *rng)
{
	uint64_t r = rand_next(rng);
	unsigned int req = st_reqs[r % ARRAY_SIZE(st_reqs)];
	uint64_t all = BIT_ULL(ST_VCPUS) - 1, targets;
	unsigned int kind = (r >> 8) % 10;
	struct vcpu_req_state *except = NULL;

	if ((r >> 16) % 3 == 0)
		req |= VCPU_REQUEST_WAIT;
	if ((r >> 20) % 4 == 0)
		req |= VCPU_REQUEST_NO_WAKEUP;

	if (kind < 4) {
		targets = BIT_ULL((r >> 24) % ST_VCPUS);
		st_request(req, targets, false, NULL);
	} else if (kind < 6) {
		targets = all;
		if ((r >> 32) % 2) {
			unsigned int e = (r >> 40) % ST_VCPUS;

			except = &st_v[e];
			targets &= ~BIT_ULL(e);
		}
		st_request(req, targets, true, except);
	} else {
		targets = (r >> 24) & all;
		st_request(req, targets, false, NULL);
	}
}

static void st_sender_fn(struct worker *w)
{
	uint64_t rng = st_seed ^ (0xabcdefull * (worker_index(w) + 1));
	unsigned int n;

	for (n = 0; n < ST_ITERS; n++) {
		st_random_request(&rng);
		/* Now and then a bare kick or wake-up, no request. */
		if (n % 32 == 31) {
			unsigned int i = rand_next(&rng) % ST_VCPUS;

			atomic_fetch_add(&st_wakeable[i], 1);
			if (rand_next(&rng) % 2)
				vcpu_kick(&st_v[i]);
			else
				vcpu_wake(&st_v[i]);
		}
	}
}

/* Parks every vCPU outside guest mode; then requests must send no IPI. */
static void st_park_phase(uint64_t *rng)
{
	uint64_t ipis, kicks = 0, wakeups = 0;
	unsigned int i, n;

	smp_store_release(&st_phase, ST_PARK);
	/* Gets them out of guest mode and out of halts, to see the phase. */
	st_request(VCPU_REQ_EVENT | VCPU_REQUEST_WAIT, BIT_ULL(ST_VCPUS) - 1,
		   true, NULL);
	for (i = 0; i < ST_VCPUS; i++)
		CHECK(wait_u32_acquire(&st_parked[i], 1));

	ipis = atomic_load(&ipis_total);
	for (i = 0; i < ST_VCPUS; i++) {
		kicks += READ_ONCE(st_v[i].kicks);
		wakeups += READ_ONCE(st_v[i].wakeups);
		CHECK_EQ(READ_ONCE(st_v[i].mode), OUTSIDE_GUEST_MODE);
	}
	for (n = 0; n < ST_PARK_REQS; n++) {
		st_random_request(rng);
		i = rand_next(rng) % ST_VCPUS;
		CHECK(!vcpu_kick(&st_v[i]));
		CHECK(!vcpu_wake(&st_v[i]));
	}
	CHECK_EQ(atomic_load(&ipis_total), ipis);
	for (i = 0; i < ST_VCPUS; i++) {
		kicks -= READ_ONCE(st_v[i].kicks);
		wakeups -= READ_ONCE(st_v[i].wakeups);
		CHECK_EQ(READ_ONCE(st_v[i].mode), OUTSIDE_GUEST_MODE);
		CHECK(vcpu_has_requests(&st_v[i]));
	}
	CHECK_EQ(kicks, 0);
	CHECK_EQ(wakeups, 0);
	smp_store_release(&st_phase, ST_RUN);
}

static void stress(void)
{
	struct worker vcpus[ST_VCPUS], senders[ST_SENDERS];
	const char *env = getenv("TEST_SEED");
	uint64_t rng;
	unsigned int i, r;

	st_seed = env ? strtoull(env, NULL, 0) : STRESS_SEED;
	rng = st_seed;
	ipis_reset();
	atomic_store(&st_tlb_gen, 0);
	atomic_store(&st_kicked_exits, 0);
	atomic_store(&st_halts, 0);
	atomic_store(&st_waits, 0);
	atomic_store(&st_moves, 0);
	for (i = 0; i < ST_VCPUS; i++) {
		vcpu_req_init(&st_v[i], i);
		st_vcpus[i] = &st_v[i];
		atomic_store(&st_parked[i], 0);
		atomic_store(&st_in_session[i], ST_NONE);
		atomic_store(&st_in_gen[i], ST_NONE);
		atomic_store(&st_sessions_done[i], 0);
		atomic_store(&st_wakeable[i], 0);
		atomic_store(&st_want_gen[i], 0);
		for (r = 0; r < VCPU_REQ_NR; r++) {
			atomic_store(&st_made[i][r], 0);
			atomic_store(&st_done[i][r], 0);
		}
	}
	/* IPIs may only reach the vCPUs' CPUs, never a sender's own. */
	WRITE_ONCE(ipi_cpu_allowed, (BIT_ULL(ST_VCPUS) - 1) << ST_CPU_A(0) |
				    (BIT_ULL(ST_VCPUS) - 1) << ST_CPU_B(0));
	atomic_store(&st_phase, ST_RUN);
	watch_begin(__func__, st_vcpus, ST_VCPUS);

	for (i = 0; i < ST_VCPUS; i++)
		worker_start(&vcpus[i], ST_CPU_A(i), st_vcpu_fn,
			     (void *)(uintptr_t)i);
	for (i = 0; i < ST_SENDERS; i++)
		worker_start(&senders[i], 1 + ST_VCPUS + i, st_sender_fn,
			     (void *)(uintptr_t)i);
	for (i = 0; i < ST_SENDERS; i++)
		worker_join(&senders[i]);

	st_park_phase(&rng);

	/* Stop: every vCPU services what is left and leaves its loop. */
	smp_store_release(&st_phase, ST_STOPPING);
	st_request(VCPU_REQ_STOP | VCPU_REQUEST_WAIT, BIT_ULL(ST_VCPUS) - 1,
		   true, NULL);
	for (i = 0; i < ST_VCPUS; i++)
		worker_join(&vcpus[i]);

	for (i = 0; i < ST_VCPUS; i++) {
		CHECK_EQ(st_v[i].requests, 0);
		CHECK_EQ(st_v[i].mode, OUTSIDE_GUEST_MODE);
		CHECK_EQ(st_v[i].cpu, -1);
		CHECK(!vcpu_is_blocked(&st_v[i]));
		for (r = 0; r < VCPU_REQ_NR; r++)
			if (atomic_load(&st_done[i][r]) !=
			    atomic_load(&st_made[i][r])) {
				fprintf(stderr, "  vCPU %u, request %u: %llu made, serviced up to %llu (seed %#llx)\n",
					i, r,
					(unsigned long long)st_made[i][r],
					(unsigned long long)st_done[i][r],
					(unsigned long long)st_seed);
				check_case_failed = 1;
			}
		CHECK_EQ(st_done[i][VCPU_REQ_STOP], 1);
	}
	CHECK_EQ(atomic_load(&ipi_bad_cpu), 0);
	/* The run did exercise what it checks. */
	CHECK(atomic_load(&st_kicked_exits) > 0);
	CHECK(atomic_load(&st_halts) > 0);
	CHECK(atomic_load(&st_moves) > 0);
	CHECK(atomic_load(&st_waits) > ST_SENDERS * ST_ITERS / 8);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  stress: %llu IPIs, %llu kicked exits, %llu halts, %llu WAITs, %llu moves\n",
			(unsigned long long)atomic_load(&ipis_total),
			(unsigned long long)atomic_load(&st_kicked_exits),
			(unsigned long long)atomic_load(&st_halts),
			(unsigned long long)atomic_load(&st_waits),
			(unsigned long long)atomic_load(&st_moves));
	WRITE_ONCE(ipi_cpu_allowed, 0);
	watch_end();
}

int main(void)
{
	vr_start();
	RUN(entry_race);
	RUN(stress);
	return check_done();
}
