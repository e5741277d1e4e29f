/*
 * Hosted test of core/vcpu_request.c: vCPU requests, kicks and wake-ups.
 *
 * Threads stand for CPUs (shim_set_cpu()): the main thread is CPU 0, and a
 * single-threaded case plays another CPU by switching its id for a while.
 * platform_kick_cpu() lands in kick_handler() on the sender's thread: it
 * counts IPIs per CPU and raises that CPU's "interrupt pending" flag, which
 * a simulated guest polls; seeing it set is how an IPI makes a real guest
 * exit, and how it ends a real HLT.
 *
 * Cases: single-CPU semantics of requests, entry, kicks and wake-ups;
 * mask iteration over 80 vCPUs; WAIT against a vCPU that exits, one that
 * exits and re-enters, one refused re-entry, one that takes too long (the
 * stuck report); the entry/halt race aimed at with two threads; and a
 * stress test of vCPU threads against sender threads checking that no
 * request is lost, no kick is missed, WAIT waits long enough, and IPIs go
 * only to vCPUs in guest mode. TEST_SEED overrides the stress seed;
 * TEST_VERBOSE prints what the racing cases exercised.
 *
 * Every wait is bounded: a watchdog thread fails the running case, naming
 * each vCPU and its mode, instead of letting it hang.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "asm/percpu.h"
#include "core/lib/spinlock.h"
#include "core/vcpu_request.h"
#include "tests/host/check.h"

#define CASE_LIMIT_NS    20000000000ull	/* watchdog: longest a case may run */
#define WAIT_NS          10000000000ull	/* longest a thread waits for another */
#define PENDING_BOUND_NS 2000000000ull	/* request pending in guest mode/halt */
#define STRESS_SEED      0x9e3779b97f4a7c15ull

#define ALL_REQ_FLAGS (VCPU_REQUEST_WAIT | VCPU_REQUEST_NO_WAKEUP)

/* ---------------------------------------------------------------------- */
/* IPIs, failures from threads, the watchdog. */

static uint64_t ipis_to[MAX_CPUS];	/* atomic: IPIs sent to each CPU */
static uint64_t ipis_total;		/* atomic */
static uint32_t irq_pending[MAX_CPUS];	/* atomic: raised by an IPI */
static uint32_t ipi_bad_cpu;		/* atomic: IPIs to CPUs no vCPU is on */
static uint64_t ipi_cpu_allowed;	/* CPUs a stress IPI may go to */

static void kick_handler(unsigned int cpu)
{
	if (cpu >= MAX_CPUS) {
		atomic_fetch_add(&ipi_bad_cpu, 1);
		return;
	}
	if (READ_ONCE(ipi_cpu_allowed) &&
	    !(READ_ONCE(ipi_cpu_allowed) & BIT_ULL(cpu)))
		atomic_fetch_add(&ipi_bad_cpu, 1);
	atomic_fetch_add(&ipis_to[cpu], 1);
	atomic_fetch_add(&ipis_total, 1);
	/* Pairs with the xchg that consumes it in irq_take(). */
	smp_store_release(&irq_pending[cpu], 1);
}

/* Takes this CPU's pending interrupt, as a VM exit or a HLT wake-up would. */
static bool irq_take(unsigned int cpu)
{
	return atomic_xchg(&irq_pending[cpu], 0) != 0;
}

/* Only while no other thread sends IPIs. */
static void ipis_reset(void)
{
	unsigned int i;

	for (i = 0; i < MAX_CPUS; i++) {
		atomic_store(&ipis_to[i], 0);
		atomic_store(&irq_pending[i], 0);
	}
	atomic_store(&ipis_total, 0);
	atomic_store(&ipi_bad_cpu, 0);
	WRITE_ONCE(ipi_cpu_allowed, 0);
	shim_set_kick_handler(kick_handler);
}

static uint32_t thread_failures;	/* atomic */
static pthread_mutex_t report_mutex = PTHREAD_MUTEX_INITIALIZER;

/* CHECK() for threads other than main: reports and marks the case failed. */
static void __printf(1, 2) thread_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&report_mutex);
	fprintf(stderr, "  ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	pthread_mutex_unlock(&report_mutex);
	atomic_fetch_add(&thread_failures, 1);
}

static void vcpu_describe(const struct vcpu_req_state *v, char *buf,
			  size_t len)
{
	snprintf(buf, len, "vCPU %u: %s on CPU %d, requests %#llx, blocked %d, entries %lu",
		 v->id, vcpu_mode_name(READ_ONCE(v->mode)), READ_ONCE(v->cpu),
		 (unsigned long long)READ_ONCE(v->requests),
		 READ_ONCE(v->blocked), READ_ONCE(v->entry_seq));
}

/* What the watchdog reports about: the running case's vCPUs. */
static const char *watch_case;
static struct vcpu_req_state *const *watch_vcpus;
static unsigned int watch_nr;		/* atomic, published last */
static uint64_t watch_deadline;		/* atomic, 0 = no case running */

static void watch_begin(const char *name, struct vcpu_req_state *const *vcpus,
			unsigned int nr)
{
	atomic_store(&watch_nr, 0);
	WRITE_ONCE(watch_case, name);
	WRITE_ONCE(watch_vcpus, vcpus);
	smp_store_release(&watch_nr, nr);
	atomic_store(&watch_deadline, time_now_ns() + CASE_LIMIT_NS);
	atomic_store(&thread_failures, 0);
}

static void watch_end(void)
{
	atomic_store(&watch_deadline, 0);
	atomic_store(&watch_nr, 0);
	CHECK_EQ(atomic_load(&thread_failures), 0);
}

static void *watchdog_main(void *arg)
{
	for (;;) {
		uint64_t deadline = atomic_load(&watch_deadline);
		unsigned int nr, i;
		char line[160];

		usleep(50000);
		if (!deadline || time_now_ns() < deadline)
			continue;
		nr = smp_load_acquire(&watch_nr);
		pthread_mutex_lock(&report_mutex);
		fprintf(stderr, "  %s: still running after %llu s, a wait never ended:\n",
			READ_ONCE(watch_case), CASE_LIMIT_NS / 1000000000ull);
		for (i = 0; i < nr; i++) {
			vcpu_describe(READ_ONCE(watch_vcpus)[i], line,
				      sizeof(line));
			fprintf(stderr, "    %s\n", line);
		}
		pthread_mutex_unlock(&report_mutex);
		printf("FAIL %s:%s\n", check_test_name(__FILE__),
		       READ_ONCE(watch_case));
		fflush(stdout);
		fflush(stderr);
		_exit(1);
	}
	return NULL;
}

/* Spins (yielding) until *p == v, at most WAIT_NS. */
static bool wait_u32(const uint32_t *p, uint32_t v)
{
	uint64_t deadline = time_now_ns() + WAIT_NS;

	while (smp_load_acquire(p) != v) {
		if (time_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* xorshift64: reproducible per-thread choices. */
static uint64_t rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* A worker's index among its kind, passed to worker_start() as arg. */
static unsigned int worker_index(const struct worker *w)
{
	return (unsigned int)(uintptr_t)w->arg;
}

/* Services every pending request as the run loop would; returns the mask. */
static uint64_t service_all(struct vcpu_req_state *v)
{
	uint64_t done = 0;
	unsigned int r;

	for (r = 0; r < VCPU_REQ_NR; r++)
		if (vcpu_check_request(v, r))
			done |= BIT_ULL(r);
	return done;
}

/* Loads v on CPU cpu and enters guest mode there, as that CPU. */
static bool enter_as(struct vcpu_req_state *v, unsigned int cpu)
{
	unsigned int me = smp_processor_id();
	bool ok;

	shim_set_cpu(cpu);
	if (READ_ONCE(v->cpu) < 0)
		vcpu_req_load(v);
	ok = vcpu_enter_guest_mode(v);
	shim_set_cpu(me);
	return ok;
}

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
	uint64_t deadline = time_now_ns() + WAIT_NS;

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
	wait_u32(&wait_step, 2);
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
	CHECK(wait_u32(&wait_step, 1));
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
	wait_u32(&wait_step, 2);
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
	CHECK(wait_u32(&wait_step, 1));
	worker_start(&sender, 2, stuck_sender_fn, NULL);

	until = time_now_ns() + WAIT_NS;
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

	vcpu_req_load(&wait_v);
	while (!smp_load_acquire(&race_stop)) {
		if (vcpu_check_request(&wait_v, VCPU_REQ_EVENT))
			atomic_fetch_add(&race_rounds, 1);
		r = rand_next(&rng);
		if (r % 2) {
			vcpu_req_put(&wait_v);
			cpu = cpu == 1 ? 2 : 1;
			shim_set_cpu(cpu);
			vcpu_req_load(&wait_v);
		}
		if (r % 8 < 2) {
			if (!vcpu_block_begin(&wait_v))
				continue;
			start = time_now_ns();
			while (vcpu_is_blocked(&wait_v) &&
			       !smp_load_acquire(&race_stop)) {
				if (time_now_ns() - start > PENDING_BOUND_NS) {
					vcpu_describe(&wait_v, line, sizeof(line));
					thread_fail("%s: never woken", line);
					break;
				}
				race_relax(&spins);
			}
			irq_take(cpu);
			vcpu_block_end(&wait_v);
			continue;
		}
		if (!vcpu_enter_guest_mode(&wait_v))
			continue;
		start = time_now_ns();
		while (!irq_take(cpu) && !smp_load_acquire(&race_stop)) {
			if (time_now_ns() - start > PENDING_BOUND_NS) {
				vcpu_describe(&wait_v, line, sizeof(line));
				thread_fail("%s: in guest mode, never kicked", line);
				break;
			}
			race_relax(&spins);
		}
		vcpu_exit_guest_mode(&wait_v);
	}
	vcpu_req_put(&wait_v);
}

static void entry_race(void)
{
	uint64_t deadline, end;
	unsigned long spins = 0;
	struct worker w;
	unsigned int n;

	ipis_reset();
	vcpu_req_init(&wait_v, 0);
	atomic_store(&race_stop, 0);
	atomic_store(&race_rounds, 0);
	watch_begin(__func__, wait_vcpus, 1);
	/* The sender is CPU 0; IPIs may only reach CPUs 1 and 2. */
	WRITE_ONCE(ipi_cpu_allowed, BIT_ULL(1) | BIT_ULL(2));
	worker_start(&w, 1, race_vcpu_fn, NULL);
	end = time_now_ns() + RACE_NS;
	for (n = 0; n < RACE_ROUNDS && time_now_ns() < end; n++) {
		deadline = time_now_ns() + WAIT_NS;
		while (vcpu_test_request(&wait_v, VCPU_REQ_EVENT)) {
			if (time_now_ns() > deadline) {
				char line[160];

				vcpu_describe(&wait_v, line, sizeof(line));
				fprintf(stderr, "  round %u: request never consumed: %s\n",
					n, line);
				check_case_failed = 1;
				goto out;
			}
			race_relax(&spins);
		}
		vcpu_make_request(&wait_v, VCPU_REQ_EVENT);
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
		CHECK(wait_u32(&st_parked[i], 1));

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
	pthread_t watchdog;

	shim_set_cpu(0);
	shim_set_kick_handler(kick_handler);
	if (pthread_create(&watchdog, NULL, watchdog_main, NULL)) {
		perror("pthread_create");
		return 2;
	}
	pthread_detach(watchdog);

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
	RUN(entry_race);
	RUN(stress);
	return check_done();
}
