/*
 * Hosted test of core/vcpu_request.c: vCPU requests, kicks and wake-ups,
 * case by case (tests/host/test_vcpu_request.h has the set-up).
 *
 * Cases: single-CPU semantics of requests, entry, kicks and wake-ups; mask
 * iteration over 80 vCPUs; WAIT against a vCPU that exits, one that exits
 * and re-enters, one refused re-entry, one that takes too long (the stuck
 * report). The races are in test_vcpu_request_race.c.
 */
#include "tests/host/test_vcpu_request.h"

/* ---------------------------------------------------------------------- */

/* Setting, testing and consuming requests on one CPU; no IPI is sent. */
static void single_thread_requests(void)
{
	struct vcpu_req_state v;
	unsigned int r;

	ipis_reset();
	vcpu_req_init(&v, 7);
	CHECK_EQ(v.id, 7);
	CHECK_EQ(v.cpu, -1);
	CHECK_EQ(v.mode, OUTSIDE_GUEST_MODE);
	CHECK(!vcpu_is_blocked(&v));
	CHECK(!vcpu_has_requests(&v));
	CHECK(!vcpu_check_request(&v, VCPU_REQ_TLB_FLUSH));

	/* Not loaded anywhere: the bit is set, nobody is interrupted. */
	CHECK(!vcpu_make_request(&v, VCPU_REQ_TLB_FLUSH));
	CHECK(vcpu_has_requests(&v));
	CHECK(vcpu_test_request(&v, VCPU_REQ_TLB_FLUSH));
	CHECK(!vcpu_test_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT | VCPU_REQUEST_NO_WAKEUP));
	/* Coalesces with the pending one; WAIT on a vCPU outside returns. */
	CHECK(!vcpu_make_request(&v, VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT));
	CHECK_EQ(v.requests, BIT_ULL(VCPU_REQ_TLB_FLUSH) | BIT_ULL(VCPU_REQ_EVENT));

	/* Consuming clears exactly one bit; flags in the argument are ignored. */
	CHECK(vcpu_check_request(&v, VCPU_REQ_EVENT | VCPU_REQUEST_WAIT));
	CHECK(!vcpu_check_request(&v, VCPU_REQ_EVENT));
	CHECK(vcpu_has_requests(&v));
	CHECK(vcpu_check_request(&v, VCPU_REQ_TLB_FLUSH));
	CHECK(!vcpu_has_requests(&v));
	CHECK_EQ(v.serviced[VCPU_REQ_TLB_FLUSH], 1);
	CHECK_EQ(v.serviced[VCPU_REQ_EVENT], 1);

	for (r = 0; r < VCPU_REQ_NR; r++) {
		CHECK(!vcpu_make_request(&v, r));
		CHECK_EQ(v.requests, BIT_ULL(r));
		CHECK(vcpu_check_request(&v, r));
		CHECK_EQ(v.requests, 0);
	}
	CHECK_EQ(v.serviced[VCPU_REQ_TLB_FLUSH], 2);
	CHECK_EQ(v.serviced[VCPU_REQ_STOP], 1);
	CHECK_EQ(v.kicks, 0);
	CHECK_EQ(v.wakeups, 0);
	CHECK_EQ(atomic_load(&ipis_total), 0);

	CHECK_STR(vcpu_mode_name(OUTSIDE_GUEST_MODE), "OUTSIDE_GUEST_MODE");
	CHECK_STR(vcpu_mode_name(IN_GUEST_MODE), "IN_GUEST_MODE");
	CHECK_STR(vcpu_mode_name(EXITING_GUEST_MODE), "EXITING_GUEST_MODE");
	CHECK_STR(vcpu_mode_name(42), "invalid mode");
}

/* An entry is refused, and the vCPU left outside, while a request waits. */
static void enter_refused_with_request(void)
{
	struct vcpu_req_state v;

	ipis_reset();
	vcpu_req_init(&v, 0);
	shim_set_cpu(1);
	vcpu_req_load(&v);
	CHECK_EQ(v.cpu, 1);
	CHECK(vcpu_enter_guest_mode(&v));
	CHECK_EQ(v.mode, IN_GUEST_MODE);
	CHECK_EQ(v.entry_seq, 1);
	vcpu_exit_guest_mode(&v);
	CHECK_EQ(v.mode, OUTSIDE_GUEST_MODE);

	shim_set_cpu(0);
	CHECK(!vcpu_make_request(&v, VCPU_REQ_MEMSLOTS_RELOAD));

	shim_set_cpu(1);
	CHECK(!vcpu_enter_guest_mode(&v));
	CHECK_EQ(v.mode, OUTSIDE_GUEST_MODE);
	CHECK_EQ(v.entry_seq, 2);
	CHECK(!vcpu_enter_guest_mode(&v));	/* as long as it is pending */
	CHECK_EQ(v.mode, OUTSIDE_GUEST_MODE);
	CHECK(vcpu_test_request(&v, VCPU_REQ_MEMSLOTS_RELOAD));
	CHECK_EQ(service_all(&v), BIT_ULL(VCPU_REQ_MEMSLOTS_RELOAD));
	CHECK(vcpu_enter_guest_mode(&v));
	CHECK_EQ(v.mode, IN_GUEST_MODE);
	CHECK_EQ(v.entry_seq, 4);
	vcpu_exit_guest_mode(&v);
	vcpu_req_put(&v);
	CHECK_EQ(v.cpu, -1);
	shim_set_cpu(0);
	CHECK_EQ(atomic_load(&ipis_total), 0);
}

/* A vCPU outside guest mode, loaded or not, is never interrupted. */
static void kick_outside_no_ipi(void)
{
	struct vcpu_req_state v, u;
	struct vcpu_req_state *both[2] = { &v, &u };

	ipis_reset();
	vcpu_req_init(&v, 0);
	vcpu_req_init(&u, 1);
	shim_set_cpu(2);
	vcpu_req_load(&v);
	shim_set_cpu(0);

	CHECK(!vcpu_kick(&v));
	CHECK(!vcpu_kick(&u));
	CHECK_EQ(v.mode, OUTSIDE_GUEST_MODE);
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpu_make_request(&u, VCPU_REQ_EVENT | VCPU_REQUEST_WAIT));
	CHECK(!vcpus_make_request(both, 2, VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT,
				  NULL, NULL));
	CHECK_EQ(v.requests, BIT_ULL(VCPU_REQ_EVENT) | BIT_ULL(VCPU_REQ_TLB_FLUSH));
	CHECK_EQ(u.requests, BIT_ULL(VCPU_REQ_EVENT) | BIT_ULL(VCPU_REQ_TLB_FLUSH));
	CHECK(!vcpu_wake(&v));	/* not halted either */
	CHECK_EQ(v.kicks + u.kicks + v.wakeups + u.wakeups, 0);
	CHECK_EQ(atomic_load(&ipis_total), 0);
}

/* A vCPU in guest mode gets one IPI however many kicks and requests come. */
static void kick_in_guest_once(void)
{
	struct vcpu_req_state v;
	struct vcpu_req_state *one[1] = { &v };

	ipis_reset();
	vcpu_req_init(&v, 0);
	CHECK(enter_as(&v, 2));

	CHECK(vcpu_kick(&v));
	CHECK_EQ(atomic_load(&ipis_to[2]), 1);
	CHECK_EQ(v.mode, EXITING_GUEST_MODE);
	CHECK_EQ(v.kicks, 1);
	CHECK(!vcpu_kick(&v));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpus_make_request(one, 1, VCPU_REQ_TLB_FLUSH, NULL, NULL));
	CHECK_EQ(atomic_load(&ipis_total), 1);
	CHECK_EQ(v.kicks, 1);
	CHECK_EQ(v.requests, BIT_ULL(VCPU_REQ_EVENT) | BIT_ULL(VCPU_REQ_TLB_FLUSH));

	/* CPU 2 takes the exit, services, and goes back in. */
	shim_set_cpu(2);
	CHECK(irq_take(2));
	vcpu_exit_guest_mode(&v);
	CHECK_EQ(service_all(&v),
		 BIT_ULL(VCPU_REQ_EVENT) | BIT_ULL(VCPU_REQ_TLB_FLUSH));
	CHECK(vcpu_enter_guest_mode(&v));
	shim_set_cpu(0);

	/* A new guest session: the next request kicks again, once. */
	CHECK(vcpus_make_request(one, 1, VCPU_REQ_TIMER_MIGRATE, NULL, NULL));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_TIMER_MIGRATE));
	CHECK_EQ(atomic_load(&ipis_to[2]), 2);
	CHECK_EQ(atomic_load(&ipis_total), 2);
	CHECK_EQ(v.kicks, 2);
	CHECK_EQ(v.mode, EXITING_GUEST_MODE);
	shim_set_cpu(2);
	vcpu_exit_guest_mode(&v);
	shim_set_cpu(0);
}

/*
 * The vCPU's own CPU never IPIs itself, and a WAIT from it does not wait
 * for it; the vCPU's entry check sees the request instead.
 */
static void self_not_kicked(void)
{
	struct vcpu_req_state v;
	struct vcpu_req_state *one[1] = { &v };

	ipis_reset();
	vcpu_req_init(&v, 0);
	shim_set_cpu(3);
	vcpu_req_load(&v);
	CHECK(vcpu_enter_guest_mode(&v));

	CHECK(!vcpu_kick(&v));
	CHECK_EQ(v.mode, EXITING_GUEST_MODE);
	vcpu_exit_guest_mode(&v);
	CHECK(vcpu_enter_guest_mode(&v));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT | VCPU_REQUEST_WAIT));
	CHECK(!vcpus_make_request(one, 1, VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT,
				  NULL, NULL));
	CHECK_EQ(v.mode, EXITING_GUEST_MODE);
	vcpu_exit_guest_mode(&v);
	CHECK(!vcpu_enter_guest_mode(&v));
	CHECK_EQ(service_all(&v),
		 BIT_ULL(VCPU_REQ_EVENT) | BIT_ULL(VCPU_REQ_TLB_FLUSH));

	/* A halted vCPU woken from its own CPU: ended, but no IPI. */
	CHECK(vcpu_block_begin(&v));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpu_is_blocked(&v));
	CHECK(vcpu_block_end(&v));
	CHECK_EQ(v.wakeups, 1);
	CHECK(vcpu_check_request(&v, VCPU_REQ_EVENT));

	/* The excepted vCPU gets nothing. */
	CHECK(!vcpus_make_request(one, 1, VCPU_REQ_EVENT, NULL, &v));
	CHECK(!vcpu_has_requests(&v));
	shim_set_cpu(0);
	CHECK_EQ(atomic_load(&ipis_total), 0);
}

/* A halted vCPU is woken, once, unless the request says NO_WAKEUP. */
static void wake_halted(void)
{
	struct vcpu_req_state v;

	ipis_reset();
	vcpu_req_init(&v, 0);
	shim_set_cpu(4);
	vcpu_req_load(&v);
	CHECK(vcpu_block_begin(&v));
	CHECK(vcpu_is_blocked(&v));
	shim_set_cpu(0);

	CHECK(!vcpu_make_request(&v, VCPU_REQ_TIMER_MIGRATE | VCPU_REQUEST_NO_WAKEUP));
	CHECK(vcpu_is_blocked(&v));
	CHECK(!vcpu_kick(&v));		/* halted is not in guest mode */
	CHECK(vcpu_make_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpu_is_blocked(&v));
	CHECK(!vcpu_make_request(&v, VCPU_REQ_EVENT));
	CHECK(!vcpu_wake(&v));
	CHECK_EQ(atomic_load(&ipis_to[4]), 1);
	CHECK_EQ(atomic_load(&ipis_total), 1);
	CHECK_EQ(v.wakeups, 1);
	CHECK_EQ(v.kicks, 0);

	shim_set_cpu(4);
	CHECK(irq_take(4));
	CHECK(vcpu_block_end(&v));	/* a waker ended it */
	CHECK(!vcpu_block_begin(&v));	/* requests pending: no halt */
	CHECK(!vcpu_is_blocked(&v));
	CHECK_EQ(service_all(&v),
		 BIT_ULL(VCPU_REQ_TIMER_MIGRATE) | BIT_ULL(VCPU_REQ_EVENT));
	CHECK(vcpu_block_begin(&v));
	CHECK(!vcpu_block_end(&v));	/* the vCPU stops waiting itself */
	CHECK(!vcpu_is_blocked(&v));
	CHECK(vcpu_block_begin(&v));
	shim_set_cpu(0);
	CHECK(vcpu_wake(&v));
	CHECK(!vcpu_wake(&v));
	CHECK_EQ(atomic_load(&ipis_to[4]), 2);
	shim_set_cpu(4);
	CHECK(vcpu_block_end(&v));
	CHECK(!vcpu_has_requests(&v));
	vcpu_req_put(&v);
	shim_set_cpu(0);
	CHECK_EQ(v.wakeups, 2);
}

/* ---------------------------------------------------------------------- */

#define MASK_VCPUS 80
#define MASK_IN_GUEST 60	/* vCPUs 0..59 in guest mode on CPUs 1..60 */
#define MASK_BLOCKED 60		/* halted on CPU 61 */
#define MASK_IDLE 61		/* loaded on CPU 62, outside guest mode */
#define MASK_LAST_IN 62		/* in guest mode on CPU 63 */
#define MASK_EXCEPT 40
/* vCPUs 63..79 are not loaded (more vCPUs than CPUs). */

static struct vcpu_req_state mask_v[MASK_VCPUS];
static struct vcpu_req_state *mask_vcpus[MASK_VCPUS];

static uint64_t mask_requests_of(unsigned int i)
{
	return READ_ONCE(mask_v[i].requests);
}

/*
 * A mask with a few bits among 80 vCPUs touches only those: the others get
 * no request bit and no IPI, and are not even dereferenced (their slots
 * hold an unmapped pointer in the first call). Bits at and past nr, and
 * the excepted vCPU, are ignored; each CPU gets at most one IPI.
 */
static void mask_iteration(void)
{
	static const unsigned int picked[] = { 2, 5, 40, 60, 61, 62, 63, 64, 70, 79 };
	struct vcpu_req_state *poisoned[MASK_VCPUS];
	uint64_t mask[2] = { 0, ~0ull << (MASK_VCPUS - 64) };
	uint64_t expect[MASK_VCPUS] = { 0 };
	uint64_t wait_mask[2] = { 0, 0 };
	uint64_t zero[2] = { 0, 0 };
	unsigned int i, c;

	ipis_reset();
	for (i = 0; i < MASK_VCPUS; i++) {
		vcpu_req_init(&mask_v[i], i);
		mask_vcpus[i] = &mask_v[i];
		poisoned[i] = (struct vcpu_req_state *)(uintptr_t)16;
	}
	watch_begin(__func__, mask_vcpus, MASK_VCPUS);
	for (i = 0; i < MASK_IN_GUEST; i++)
		CHECK(enter_as(&mask_v[i], i + 1));
	shim_set_cpu(MASK_BLOCKED + 1);
	vcpu_req_load(&mask_v[MASK_BLOCKED]);
	CHECK(vcpu_block_begin(&mask_v[MASK_BLOCKED]));
	shim_set_cpu(MASK_IDLE + 1);
	vcpu_req_load(&mask_v[MASK_IDLE]);
	shim_set_cpu(0);
	CHECK(enter_as(&mask_v[MASK_LAST_IN], MASK_LAST_IN + 1));

	for (i = 0; i < ARRAY_SIZE(picked); i++) {
		mask[picked[i] / 64] |= BIT_ULL(picked[i] % 64);
		poisoned[picked[i]] = &mask_v[picked[i]];
		if (picked[i] != MASK_EXCEPT)
			expect[picked[i]] = BIT_ULL(VCPU_REQ_EVENT);
	}

	CHECK(vcpus_make_request(poisoned, MASK_VCPUS, VCPU_REQ_EVENT, mask,
				 &mask_v[MASK_EXCEPT]));
	for (i = 0; i < MASK_VCPUS; i++)
		if (mask_requests_of(i) != expect[i]) {
			fprintf(stderr, "  vCPU %u: requests %#llx, expected %#llx\n",
				i, (unsigned long long)mask_requests_of(i),
				(unsigned long long)expect[i]);
			check_case_failed = 1;
		}
	/* CPUs 3 and 6 (vCPUs 2, 5), 63 (vCPU 62): kicks; 61: the wake-up. */
	for (c = 0; c < MAX_CPUS; c++) {
		unsigned int want = c == 3 || c == 6 || c == 63 || c == 61;

		if (atomic_load(&ipis_to[c]) != want) {
			fprintf(stderr, "  CPU %u: %llu IPIs, expected %u\n", c,
				(unsigned long long)atomic_load(&ipis_to[c]),
				want);
			check_case_failed = 1;
		}
	}
	CHECK_EQ(atomic_load(&ipis_total), 4);
	CHECK_EQ(mask_v[2].mode, EXITING_GUEST_MODE);
	CHECK_EQ(mask_v[5].mode, EXITING_GUEST_MODE);
	CHECK_EQ(mask_v[62].mode, EXITING_GUEST_MODE);
	CHECK_EQ(mask_v[3].mode, IN_GUEST_MODE);
	CHECK_EQ(mask_v[MASK_EXCEPT].mode, IN_GUEST_MODE);
	CHECK(!vcpu_is_blocked(&mask_v[MASK_BLOCKED]));
	CHECK_EQ(mask_v[MASK_BLOCKED].wakeups, 1);

	/* Halt vCPU 60 again; NO_WAKEUP leaves it halted, kicked ones kicked. */
	shim_set_cpu(MASK_BLOCKED + 1);
	CHECK(vcpu_block_end(&mask_v[MASK_BLOCKED]));
	CHECK(vcpu_check_request(&mask_v[MASK_BLOCKED], VCPU_REQ_EVENT));
	CHECK(vcpu_block_begin(&mask_v[MASK_BLOCKED]));
	shim_set_cpu(0);
	CHECK(!vcpus_make_request(mask_vcpus, MASK_VCPUS,
				  VCPU_REQ_EVENT | VCPU_REQUEST_NO_WAKEUP, mask,
				  &mask_v[MASK_EXCEPT]));
	CHECK(vcpu_is_blocked(&mask_v[MASK_BLOCKED]));
	CHECK(vcpu_test_request(&mask_v[MASK_BLOCKED], VCPU_REQ_EVENT));
	CHECK_EQ(atomic_load(&ipis_total), 4);

	/* WAIT on targets that are all outside guest mode returns at once. */
	wait_mask[0] = BIT_ULL(MASK_IDLE) | BIT_ULL(63);
	wait_mask[1] = BIT_ULL(64 - 64) | BIT_ULL(70 - 64) | BIT_ULL(79 - 64);
	CHECK(!vcpus_make_request(mask_vcpus, MASK_VCPUS,
				  VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT,
				  wait_mask, NULL));
	CHECK(vcpu_test_request(&mask_v[70], VCPU_REQ_TLB_FLUSH));
	CHECK(!vcpu_test_request(&mask_v[69], VCPU_REQ_TLB_FLUSH));
	CHECK_EQ(atomic_load(&ipis_total), 4);

	/* An empty mask, and no vCPUs at all, do nothing. */
	CHECK(!vcpus_make_request(mask_vcpus, MASK_VCPUS, VCPU_REQ_STOP, zero,
				  NULL));
	CHECK(!vcpus_make_request(mask_vcpus, 0, VCPU_REQ_STOP, NULL, NULL));
	for (i = 0; i < MASK_VCPUS; i++)
		CHECK(!vcpu_test_request(&mask_v[i], VCPU_REQ_STOP));

	/*
	 * No mask: all but vCPU 0. One IPI for each vCPU still in guest mode
	 * and not kicked yet: 1..59 less 2 and 5 (CPUs 2..60 less 3, 6).
	 */
	CHECK(vcpus_make_request(mask_vcpus, MASK_VCPUS,
				 VCPU_REQ_TIMER_MIGRATE | VCPU_REQUEST_NO_WAKEUP,
				 NULL, &mask_v[0]));
	CHECK(!vcpu_test_request(&mask_v[0], VCPU_REQ_TIMER_MIGRATE));
	for (i = 1; i < MASK_VCPUS; i++)
		CHECK(vcpu_test_request(&mask_v[i], VCPU_REQ_TIMER_MIGRATE));
	CHECK_EQ(atomic_load(&ipis_total), 4 + 57);
	CHECK_EQ(atomic_load(&ipis_to[1]), 0);
	CHECK_EQ(atomic_load(&ipis_to[2]), 1);
	CHECK_EQ(atomic_load(&ipis_to[3]), 1);
	CHECK_EQ(atomic_load(&ipis_to[61]), 1);
	CHECK_EQ(atomic_load(&ipis_to[62]), 0);
	watch_end();
}

/* ---------------------------------------------------------------------- */
/* WAIT against a single vCPU thread. */

static struct vcpu_req_state wait_v;
static struct vcpu_req_state *wait_vcpus[1] = { &wait_v };
static uint32_t wait_step;	/* atomic: handshake with the vCPU thread */
static uint32_t wait_exits;	/* atomic: exits taken by the vCPU thread */

/* Guest mode until the kick arrives; one exit; then stays outside. */
static void wait_vcpu_fn(struct worker *w)
{
	uint64_t deadline = time_now_ns() + TEST_WAIT_NS;

	vcpu_req_load(&wait_v);
	if (!vcpu_enter_guest_mode(&wait_v)) {
		thread_fail("wait: vCPU 0 could not enter guest mode");
		return;
	}
	smp_store_release(&wait_step, 1);
	while (!irq_take(w->cpu)) {
		if (time_now_ns() > deadline) {
			thread_fail("wait: vCPU 0 in guest mode, never kicked");
			break;
		}
		sched_yield();
	}
	/* Before leaving guest mode: the sender must see it on return. */
	smp_store_release(&wait_exits, 1);
	vcpu_exit_guest_mode(&wait_v);
	if (service_all(&wait_v) != BIT_ULL(VCPU_REQ_TLB_FLUSH))
		thread_fail("wait: vCPU 0 did not find the flush request");
	wait_u32_acquire(&wait_step, 2);
	vcpu_req_put(&wait_v);
}

/* WAIT returns only after the vCPU in guest mode took its exit. */
static void wait_for_exit(void)
{
	struct worker w;

	ipis_reset();
	vcpu_req_init(&wait_v, 0);
	atomic_store(&wait_step, 0);
	atomic_store(&wait_exits, 0);
	watch_begin(__func__, wait_vcpus, 1);
	worker_start(&w, 1, wait_vcpu_fn, NULL);
	CHECK(wait_u32_acquire(&wait_step, 1));
	CHECK(vcpus_make_request(wait_vcpus, 1,
				 VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT |
				 VCPU_REQUEST_NO_WAKEUP, NULL, NULL));
	CHECK_EQ(smp_load_acquire(&wait_exits), 1);
	CHECK(READ_ONCE(wait_v.mode) != IN_GUEST_MODE);
	CHECK_EQ(atomic_load(&ipis_to[1]), 1);
	smp_store_release(&wait_step, 2);
	worker_join(&w);
	CHECK_EQ(wait_v.mode, OUTSIDE_GUEST_MODE);
	CHECK(!vcpu_has_requests(&wait_v));
	watch_end();
}

/*
 * The kick IPI, delivered on the sender's thread, makes CPU 5 take the
 * exit there and then: leave guest mode, service the requests (or not),
 * try to enter again. The sender's wait then starts with the vCPU in a new
 * guest session that nobody will kick.
 */
static bool reenter_service;
static bool reenter_result;

static void reenter_kick_handler(unsigned int cpu)
{
	unsigned int me = smp_processor_id();

	kick_handler(cpu);
	if (cpu != 5)
		return;
	shim_set_cpu(5);
	irq_take(5);
	vcpu_exit_guest_mode(&wait_v);
	if (reenter_service)
		service_all(&wait_v);
	reenter_result = vcpu_enter_guest_mode(&wait_v);
	shim_set_cpu(me);
}

/*
 * A vCPU that left guest mode, serviced the request and re-entered does
 * not hold a WAIT sender: it is in guest mode again, but with the request
 * done. One that did not service it is refused the entry and found out.
 */
static void wait_reentered(void)
{
	ipis_reset();
	vcpu_req_init(&wait_v, 0);
	watch_begin(__func__, wait_vcpus, 1);
	CHECK(enter_as(&wait_v, 5));
	shim_set_kick_handler(reenter_kick_handler);

	reenter_service = true;
	CHECK(vcpu_make_request(&wait_v, VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT));
	CHECK(reenter_result);
	CHECK_EQ(wait_v.mode, IN_GUEST_MODE);
	CHECK_EQ(wait_v.entry_seq, 2);
	CHECK_EQ(wait_v.serviced[VCPU_REQ_TLB_FLUSH], 1);
	CHECK(!vcpu_has_requests(&wait_v));

	reenter_service = false;
	CHECK(vcpus_make_request(wait_vcpus, 1,
				 VCPU_REQ_MEMSLOTS_RELOAD | VCPU_REQUEST_WAIT,
				 NULL, NULL));
	CHECK(!reenter_result);
	CHECK_EQ(wait_v.mode, OUTSIDE_GUEST_MODE);
	CHECK_EQ(wait_v.entry_seq, 3);
	CHECK(vcpu_test_request(&wait_v, VCPU_REQ_MEMSLOTS_RELOAD));
	CHECK_EQ(atomic_load(&ipis_to[5]), 2);
	shim_set_kick_handler(kick_handler);
	watch_end();
}

/* ---------------------------------------------------------------------- */
/* The stuck report: a vCPU that ignores its kick for a while. */

static void stuck_vcpu_fn(struct worker *w)
{
	vcpu_req_load(&wait_v);
	if (!vcpu_enter_guest_mode(&wait_v)) {
		thread_fail("stuck: vCPU 0 could not enter guest mode");
		return;
	}
	smp_store_release(&wait_step, 1);
	/* Ignores the IPI until the main thread has seen the report. */
	wait_u32_acquire(&wait_step, 2);
	smp_store_release(&wait_exits, 1);
	vcpu_exit_guest_mode(&wait_v);
	service_all(&wait_v);
	vcpu_req_put(&wait_v);
}

static void stuck_sender_fn(struct worker *w)
{
	vcpu_make_request(&wait_v, VCPU_REQ_STOP | VCPU_REQUEST_WAIT);
	if (smp_load_acquire(&wait_exits) != 1)
		thread_fail("stuck: WAIT returned before vCPU 0 left guest mode");
	smp_store_release(&wait_step, 3);
}

/*
 * A WAIT sender that spins past lock_stuck_loops reports the vCPU once and
 * keeps waiting; it returns once the vCPU leaves guest mode.
 */
static void wait_stuck_report(void)
{
	unsigned long saved = lock_stuck_loops;
	unsigned long before = atomic_load(&lock_stuck_reports);
	struct worker vcpu, sender;
	uint64_t until;

	ipis_reset();
	vcpu_req_init(&wait_v, 0);
	atomic_store(&wait_step, 0);
	atomic_store(&wait_exits, 0);
	watch_begin(__func__, wait_vcpus, 1);
	WRITE_ONCE(lock_stuck_loops, 1000);
	worker_start(&vcpu, 1, stuck_vcpu_fn, NULL);
	CHECK(wait_u32_acquire(&wait_step, 1));
	worker_start(&sender, 2, stuck_sender_fn, NULL);

	until = time_now_ns() + TEST_WAIT_NS;
	while (atomic_load(&lock_stuck_reports) == before &&
	       time_now_ns() < until)
		sched_yield();
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);
	/* Well past the limit again: still one report, still waiting. */
	until = time_now_ns() + 50000000ull;
	while (time_now_ns() < until)
		sched_yield();
	CHECK_EQ(atomic_load(&lock_stuck_reports), before + 1);
	CHECK_EQ(atomic_load(&wait_step), 1);

	smp_store_release(&wait_step, 2);
	worker_join(&vcpu);
	worker_join(&sender);
	CHECK_EQ(atomic_load(&wait_step), 3);
	CHECK_EQ(atomic_load(&ipis_to[1]), 1);
	WRITE_ONCE(lock_stuck_loops, saved);
	watch_end();
}

int main(void)
{
	vr_start();
	RUN(single_thread_requests);
	RUN(enter_refused_with_request);
	RUN(kick_outside_no_ipi);
	RUN(kick_in_guest_once);
	RUN(self_not_kicked);
	RUN(wake_halted);
	RUN(mask_iteration);
	RUN(wait_for_exit);
	RUN(wait_reentered);
	RUN(wait_stuck_report);
	return check_done();
}
