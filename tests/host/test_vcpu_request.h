/*
 * What the hosted tests of core/vcpu_request.c share (test_vcpu_request.c,
 * test_vcpu_request_race.c).
 *
 * Threads stand for CPUs (shim_set_cpu()): the main thread is CPU 0, and a
 * single-threaded case plays another CPU by switching its id for a while.
 * platform_kick_cpu() lands in kick_handler() on the sender's thread: it
 * counts IPIs per CPU and raises that CPU's "interrupt pending" flag, which
 * a simulated guest polls; seeing it set is how an IPI makes a real guest
 * exit, and how it ends a real HLT.
 *
 * Every wait is bounded: a watchdog thread (watchdog_main(), which vr_start()
 * starts) fails the running case, naming each vCPU and its mode, instead
 * of letting it hang.
 */
#ifndef TESTS_HOST_TEST_VCPU_REQUEST_H
#define TESTS_HOST_TEST_VCPU_REQUEST_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "asm/percpu.h"
#include "core/lib/spinlock.h"
#include "core/vcpu_request.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define CASE_LIMIT_NS    20000000000ull	/* watchdog: longest a case may run */
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

static inline void kick_handler(unsigned int cpu)
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
static inline bool irq_take(unsigned int cpu)
{
	return atomic_xchg(&irq_pending[cpu], 0) != 0;
}

/* Only while no other thread sends IPIs. */
static inline void ipis_reset(void)
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
static inline void __printf(1, 2) thread_fail(const char *fmt, ...)
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

static inline void vcpu_describe(const struct vcpu_req_state *v, char *buf,
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

static inline void watch_begin(const char *name, struct vcpu_req_state *const *vcpus,
			unsigned int nr)
{
	atomic_store(&watch_nr, 0);
	WRITE_ONCE(watch_case, name);
	WRITE_ONCE(watch_vcpus, vcpus);
	smp_store_release(&watch_nr, nr);
	atomic_store(&watch_deadline, time_now_ns() + CASE_LIMIT_NS);
	atomic_store(&thread_failures, 0);
}

static inline void watch_end(void)
{
	atomic_store(&watch_deadline, 0);
	atomic_store(&watch_nr, 0);
	CHECK_EQ(atomic_load(&thread_failures), 0);
}

static inline void *watchdog_main(void *arg)
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

/* A worker's index among its kind, passed to worker_start() as arg. */
static inline unsigned int worker_index(const struct worker *w)
{
	return (unsigned int)(uintptr_t)w->arg;
}

/* Services every pending request as the run loop would; returns the mask. */
static inline uint64_t service_all(struct vcpu_req_state *v)
{
	uint64_t done = 0;
	unsigned int r;

	for (r = 0; r < VCPU_REQ_NR; r++)
		if (vcpu_check_request(v, r))
			done |= BIT_ULL(r);
	return done;
}

/* Loads v on CPU cpu and enters guest mode there, as that CPU. */
static inline bool enter_as(struct vcpu_req_state *v, unsigned int cpu)
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

/*
 * What main() does first: the main thread is CPU 0, IPIs land in
 * kick_handler(), and the watchdog runs until the process ends.
 */
static inline void vr_start(void)
{
	pthread_t watchdog;

	shim_set_cpu(0);
	shim_set_kick_handler(kick_handler);
	if (pthread_create(&watchdog, NULL, watchdog_main, NULL)) {
		perror("pthread_create");
		exit(2);
	}
	pthread_detach(watchdog);
}

#endif
