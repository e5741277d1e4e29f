/*
 * Minimal test harness for hosted tests. One scenario per file; each case
 * prints "PASS <file>:<case>" or "FAIL <file>:<case>" and the runner
 * (tests/run-host.sh) counts those lines.
 */
#ifndef TESTS_CHECK_H
#define TESTS_CHECK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_case_failed;
extern int check_cases_failed;
extern int check_cases_passed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b) {					\
			fprintf(stderr, "  %s:%d: check failed: %s == %s"\
				" (%lld != %lld)\n", __FILE__, __LINE__,	\
				#a, #b, __a, __b);			\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_STR(a, b)							\
	do {								\
		const char *__a = (a), *__b = (b);			\
		if (strcmp(__a, __b) != 0) {				\
			fprintf(stderr, "  %s:%d: check failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, __a, __b);		\
			check_case_failed = 1;				\
		}							\
	} while (0)

#define RUN(fn)								\
	do {								\
		check_case_failed = 0;					\
		fn();							\
		printf("%s %s:%s\n", check_case_failed ? "FAIL" : "PASS",\
		       check_test_name(__FILE__), #fn);			\
		fflush(stdout);						\
		if (check_case_failed)					\
			check_cases_failed++;				\
		else							\
			check_cases_passed++;				\
	} while (0)

const char *check_test_name(const char *file);
/* Exit status for main(): non-zero if any case failed. */
int check_done(void);

/* Registers the calling thread as hosted "CPU" id (see shim.c). */
void shim_set_cpu(unsigned int id);
/* Receives platform_kick_cpu() calls (NULL: ignore them). */
void shim_set_kick_handler(void (*fn)(unsigned int cpu));
/*
 * The halt model (shim.c), off by default: on, platform_wait_irq() waits
 * for the CPU's one-shot (platform_timer_arm()) or a platform_kick_cpu()
 * to it, as a halted CPU does; off, it only yields. Set while no hosted
 * CPU halts; it clears every CPU's deadline and pending kick.
 */
void shim_set_halt_model(bool on);
/* The deadline hosted CPU cpu last gave platform_timer_arm(). */
uint64_t shim_timer_deadline_of(unsigned int cpu);
/* True while hosted CPU cpu waits in platform_wait_irq() (halt model on). */
bool shim_cpu_halted(unsigned int cpu);
/*
 * CPUs platform_nr_cpus() reports (default 1); platform_run_on_cpu() runs
 * fn on a thread registered as that CPU and joins it before returning.
 */
void shim_set_nr_cpus(unsigned int n);
/*
 * time_now_ns() answers with fn (NULL: the host's monotonic clock): a
 * virtual clock the caller advances, for runs that must not depend on
 * when they happen.
 */
void shim_set_clock(uint64_t (*fn)(void));
/* Queues n bytes as typed on the console (console_getc() returns them). */
void shim_console_type(const char *s, size_t n);

/* console_write() calls fn instead of writing to stderr (NULL: stderr). */
void shim_set_console_write(void (*fn)(const char *s, size_t n));
/* The last value platform_tsc_aux_load() was given. */
uint32_t shim_tsc_aux(void);
/* platform_cpuid() answers with fn (NULL: the host's CPUID). */
void shim_set_cpuid(void (*fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]));
/* Allocates a zeroed arena standing for physical memory [base, base+size). */
void *shim_phys_arena(unsigned long long base, unsigned long long size);

/*
 * Gives the host CPU away for a moment while waiting for another thread: a
 * 1 us sleep rather than sched_yield(), for the reason given at
 * __lock_relax() in core/lib/spinlock.h (see also platform_wait_contended()).
 */
void shim_pause(void);

/*
 * A test thread: worker_start() runs fn(w) on a new thread registered as
 * hosted CPU @cpu (shim_set_cpu()). @arg is the caller's; @result is zeroed
 * by worker_start() for fn to fill in. Exits the test (status 2) if the
 * thread cannot be created.
 */
struct worker {
	pthread_t thread;
	unsigned int cpu;
	void (*fn)(struct worker *w);
	void *arg;
	unsigned long result;
};

void worker_start(struct worker *w, unsigned int cpu,
		  void (*fn)(struct worker *w), void *arg);
void worker_join(struct worker *w);

/*
 * Death test: runs fn(arg) in a forked child with its stderr captured and
 * returns true if the child died of SIGABRT (a panic ends in
 * platform_halt(), which aborts) having written @expect within the first
 * 4095 bytes of its stderr. Otherwise prints why to stderr (the case should then
 * fail) and returns false. stdout and stderr are flushed before the fork;
 * the child holds only the calling thread, so call it while no other test
 * thread holds a lock that fn needs.
 */
bool expect_panic(void (*fn)(void *), void *arg, const char *expect);

/*
 * CHECK_ASAN is 1 in the asan flavour of a test (AddressSanitizer), 0
 * otherwise. There an ASan report aborts (tests/host/shim.c sets
 * abort_on_error), so that a death test can expect one as it expects a
 * panic.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CHECK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHECK_ASAN 1
#endif
#endif
#ifndef CHECK_ASAN
#define CHECK_ASAN 0
#endif

/*
 * What the frame allocator's freed frames hold in the hosted build: every
 * 64-bit word of a frame is set to this when it is freed (and, under ASan,
 * the frame is poisoned until it is taken again; see
 * platform_frames_freed() in tests/host/shim.c).
 */
#define SHIM_FREED_FRAME 0x0006b6b6b6b6b807ull

#endif
