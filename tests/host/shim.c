/*
 * Hosted implementation of core/lib/platform.h: libc and pthreads stand in for
 * the machine so that core/, mm/ and drivers/ sources compile unchanged.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asm/tsc.h"
#include "core/lib/errno.h"
#include "core/lib/platform.h"
#include "tests/host/check.h"

int check_case_failed;
int check_cases_failed;
int check_cases_passed;

uintptr_t hv_direct_map_offset;

/*
 * asm/tsc.h: the TSC's rate, for the sources that convert with it (the
 * CPUID timing leaf, the local APIC's TSC deadline). A nominal 1 GHz: no
 * hosted test depends on the host's real rate.
 */
uint64_t tsc_hz = 1000000000ull;

static __thread unsigned int shim_cpu_id;

void shim_set_cpu(unsigned int id)
{
	shim_cpu_id = id;
}

unsigned int smp_processor_id(void)
{
	return shim_cpu_id;
}

#define SHIM_SPINS_BEFORE_SLEEP 128

void platform_wait_contended(unsigned long spins)
{
	static const struct timespec one_us = { .tv_sec = 0, .tv_nsec = 1000 };

	if (spins > SHIM_SPINS_BEFORE_SLEEP)
		nanosleep(&one_us, NULL);
	else
		__builtin_ia32_pause();
}

void shim_pause(void)
{
	static const struct timespec one_us = { .tv_sec = 0, .tv_nsec = 1000 };

	nanosleep(&one_us, NULL);
}

static void *worker_main(void *p)
{
	struct worker *w = p;

	shim_set_cpu(w->cpu);
	w->fn(w);
	return NULL;
}

void worker_start(struct worker *w, unsigned int cpu,
		  void (*fn)(struct worker *w), void *arg)
{
	w->cpu = cpu;
	w->fn = fn;
	w->arg = arg;
	w->result = 0;
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		perror("pthread_create");
		exit(2);
	}
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
}

static pthread_mutex_t console_mutex = PTHREAD_MUTEX_INITIALIZER;
static void (*shim_console_fn)(const char *s, size_t n);

void shim_set_console_write(void (*fn)(const char *s, size_t n))
{
	__atomic_store_n(&shim_console_fn, fn, __ATOMIC_RELEASE);
}

void console_write(const char *s, size_t n)
{
	void (*fn)(const char *, size_t) = __atomic_load_n(&shim_console_fn, __ATOMIC_ACQUIRE);

	if (fn) {
		fn(s, n);
		return;
	}
	pthread_mutex_lock(&console_mutex);
	fwrite(s, 1, n, stderr);
	pthread_mutex_unlock(&console_mutex);
}

/* Typed on the console: what a test queued with shim_console_type(). */
static char shim_console_in[1024];
static size_t shim_console_head, shim_console_len;

void shim_console_type(const char *s, size_t n)
{
	pthread_mutex_lock(&console_mutex);
	for (size_t i = 0; i < n && shim_console_len < sizeof(shim_console_in); i++) {
		shim_console_in[(shim_console_head + shim_console_len) % sizeof(shim_console_in)] = s[i];
		shim_console_len++;
	}
	pthread_mutex_unlock(&console_mutex);
}

int console_getc(void)
{
	int c = -1;

	pthread_mutex_lock(&console_mutex);
	if (shim_console_len) {
		c = (unsigned char)shim_console_in[shim_console_head];
		shim_console_head = (shim_console_head + 1) % sizeof(shim_console_in);
		shim_console_len--;
	}
	pthread_mutex_unlock(&console_mutex);
	return c;
}

static void (*shim_cpuid_fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

void shim_set_cpuid(void (*fn)(uint32_t leaf, uint32_t subleaf, uint32_t out[4]))
{
	shim_cpuid_fn = fn;
}

void platform_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	if (shim_cpuid_fn) {
		shim_cpuid_fn(leaf, subleaf, out);
		return;
	}
	__asm__ __volatile__("cpuid"
			     : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3])
			     : "a"(leaf), "c"(subleaf));
}

static uint32_t tsc_aux;

void platform_tsc_aux_load(uint32_t val)
{
	tsc_aux = val;
}

uint32_t shim_tsc_aux(void)
{
	return tsc_aux;
}

static uint64_t (*shim_clock_fn)(void);

void shim_set_clock(uint64_t (*fn)(void))
{
	__atomic_store_n(&shim_clock_fn, fn, __ATOMIC_RELEASE);
}

uint64_t time_now_ns(void)
{
	uint64_t (*fn)(void) = __atomic_load_n(&shim_clock_fn, __ATOMIC_ACQUIRE);
	struct timespec ts;

	if (fn)
		return fn();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void (*shim_kick_handler)(unsigned int cpu);

void shim_set_kick_handler(void (*fn)(unsigned int cpu))
{
	__atomic_store_n(&shim_kick_handler, fn, __ATOMIC_RELEASE);
}

/*
 * The halt model (shim_set_halt_model()). Off, platform_wait_irq() only
 * yields, so a halted vCPU re-checks everything on every pass. On, each
 * hosted CPU has a one-shot timer and a pending-interrupt flag, as a real
 * CPU has its LAPIC one-shot and the kick IPI: platform_timer_arm() sets
 * the calling CPU's deadline, platform_kick_cpu() makes an interrupt
 * pending on the target, and platform_wait_irq() returns only once the
 * deadline has passed or an interrupt is pending (which it takes). A kick
 * that comes between the caller's last check and the wait stays pending,
 * as an IPI does across "sti; hlt".
 */
#define SHIM_CPUS 64

static int shim_halt_on;			/* atomic */
static uint64_t shim_timer_deadline[SHIM_CPUS];	/* atomic */
static int shim_irq_pending[SHIM_CPUS];		/* atomic */
static int shim_halted[SHIM_CPUS];		/* atomic */

void shim_set_halt_model(bool on)
{
	for (unsigned int i = 0; i < SHIM_CPUS; i++) {
		__atomic_store_n(&shim_timer_deadline[i], UINT64_MAX, __ATOMIC_RELAXED);
		__atomic_store_n(&shim_irq_pending[i], 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&shim_halt_on, on, __ATOMIC_SEQ_CST);
}

bool shim_cpu_halted(unsigned int cpu)
{
	return cpu < SHIM_CPUS && __atomic_load_n(&shim_halted[cpu], __ATOMIC_ACQUIRE);
}

void platform_kick_cpu(unsigned int cpu)
{
	void (*fn)(unsigned int) = __atomic_load_n(&shim_kick_handler, __ATOMIC_ACQUIRE);

	if (cpu < SHIM_CPUS && __atomic_load_n(&shim_halt_on, __ATOMIC_SEQ_CST))
		__atomic_store_n(&shim_irq_pending[cpu], 1, __ATOMIC_SEQ_CST);
	if (fn)
		fn(cpu);
}

uint64_t platform_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Without the halt model no timer interrupt: waits poll. */
void platform_timer_arm(uint64_t deadline_ns)
{
	unsigned int cpu = smp_processor_id();

	if (cpu < SHIM_CPUS)
		__atomic_store_n(&shim_timer_deadline[cpu], deadline_ns, __ATOMIC_RELAXED);
}

uint64_t shim_timer_deadline_of(unsigned int cpu)
{
	return cpu < SHIM_CPUS ? __atomic_load_n(&shim_timer_deadline[cpu], __ATOMIC_RELAXED) :
				 UINT64_MAX;
}

void platform_wait_irq(void)
{
	unsigned int cpu = smp_processor_id();

	if (!__atomic_load_n(&shim_halt_on, __ATOMIC_SEQ_CST) || cpu >= SHIM_CPUS) {
		sched_yield();
		return;
	}
	__atomic_store_n(&shim_halted[cpu], 1, __ATOMIC_RELEASE);
	while (!__atomic_exchange_n(&shim_irq_pending[cpu], 0, __ATOMIC_SEQ_CST) &&
	       time_now_ns() < __atomic_load_n(&shim_timer_deadline[cpu], __ATOMIC_RELAXED))
		shim_pause();
	__atomic_store_n(&shim_halted[cpu], 0, __ATOMIC_RELEASE);
}

unsigned long irq_save(void)
{
	return 0;
}

void irq_restore(unsigned long flags)
{
	(void)flags;
}

/* Hosted threads share the test thread's stack: nothing to switch. */
void platform_ctx_switch(void **save_sp, void *load_sp)
{
	*save_sp = load_sp;
}

void *platform_ctx_init(void *stack_top, void (*entry)(void))
{
	(void)entry;
	return stack_top;
}

unsigned long platform_irq_on_flags(void)
{
	return 0;
}

static unsigned int shim_nr_cpus = 1;

void shim_set_nr_cpus(unsigned int n)
{
	shim_nr_cpus = n;
}

unsigned int platform_nr_cpus(void)
{
	return shim_nr_cpus;
}

struct shim_run {
	unsigned int cpu;
	void (*fn)(void *arg);
	void *arg;
};

static void *shim_run_main(void *p)
{
	struct shim_run *r = p;

	shim_set_cpu(r->cpu);
	r->fn(r->arg);
	return NULL;
}

/* On a thread registered as cpu, joined before returning: deterministic. */
int platform_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
	struct shim_run r = { .cpu = cpu, .fn = fn, .arg = arg };
	pthread_t t;

	if (cpu >= shim_nr_cpus)
		return -ENODEV;
	if (cpu == smp_processor_id()) {
		fn(arg);
		return 0;
	}
	if (pthread_create(&t, NULL, shim_run_main, &r))
		return -EBUSY;
	pthread_join(t, NULL);
	return 0;
}

void platform_halt(void)
{
	fflush(stdout);
	abort();
}

/* Physical addresses the arena covers: [shim_arena_base, shim_arena_end). */
static paddr_t shim_arena_base, shim_arena_end;

void *shim_phys_arena(unsigned long long base, unsigned long long size)
{
	void *arena = aligned_alloc(4096, size);

	if (!arena) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(arena, 0, size);
	hv_direct_map_offset = (uintptr_t)arena - (uintptr_t)base;
	shim_arena_base = base;
	shim_arena_end = base + size;
	return arena;
}

/*
 * Freed frames. A frame the allocator has back is filled with
 * SHIM_FREED_FRAME (tests/host/check.h) and, under AddressSanitizer, poisoned until it is
 * handed out again: a walker that reads a page table after its free
 * (freed before the remote TLB flush, or before the grace period) is
 * reported by ASan as a use-after-poison. Under ThreadSanitizer the
 * fill is a plain write that races with such a walker's read, with no
 * happens-before between them, which TSan reports even when the two did
 * not overlap in time. And in any build the pattern, read as an entry,
 * is present (EPT R/W/X, NPT P, SPTE_MMU_PRESENT), a table at every level
 * above 4 KiB, and points far outside the arena: following it faults.
 * Frames outside the arena (a memory map larger than the arena, whose
 * frames no test touches) do not exist here and are left alone.
 */
#if CHECK_ASAN
#include <sanitizer/asan_interface.h>

/* An ASan report aborts, as a panic does (see CHECK_ASAN in check.h). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "abort_on_error=1";
}
#endif

/* Clamps [pa, pa + count frames) to the arena; false if nothing is left. */
static bool shim_arena_clamp(paddr_t pa, uint64_t count, void **va,
			     size_t *len)
{
	paddr_t start, end;

	if (pa >= shim_arena_end)
		return false;
	if (count > (shim_arena_end - pa) >> PAGE_SHIFT)
		count = (shim_arena_end - pa) >> PAGE_SHIFT;
	end = pa + (count << PAGE_SHIFT);
	start = pa < shim_arena_base ? shim_arena_base : pa;
	if (start >= end)
		return false;
	*va = phys_to_virt(start);
	*len = (size_t)(end - start);
	return true;
}

void platform_frames_freed(paddr_t pa, uint64_t count)
{
	uint64_t *p;
	size_t len, i;
	void *va;

	if (!shim_arena_clamp(pa, count, &va, &len))
		return;
	p = va;
	for (i = 0; i < len / sizeof(*p); i++)
		p[i] = SHIM_FREED_FRAME;
#if CHECK_ASAN
	ASAN_POISON_MEMORY_REGION(va, len);
#endif
}

void platform_frames_taken(paddr_t pa, uint64_t count)
{
	size_t len;
	void *va;

	if (!shim_arena_clamp(pa, count, &va, &len))
		return;
#if CHECK_ASAN
	ASAN_UNPOISON_MEMORY_REGION(va, len);
#endif
	(void)va;
	(void)len;
}

const char *check_test_name(const char *file)
{
	const char *slash = strrchr(file, '/');
	static char name[128];
	char *dot;

	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : file);
	dot = strrchr(name, '.');
	if (dot)
		*dot = '\0';
	return name;
}

int check_done(void)
{
	fflush(stdout);
	return check_cases_failed ? 1 : 0;
}

/* Death tests; see check.h. */
bool expect_panic(void (*fn)(void *), void *arg, const char *expect)
{
	char out[4096];
	size_t len = 0;
	ssize_t got;
	int pipefd[2], status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(pipefd))
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 2);
		fn(arg);
		_exit(0);	/* no panic: the parent reports it */
	}
	close(pipefd[1]);
	while (len < sizeof(out) - 1 &&
	       (got = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)got;
	out[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
		fprintf(stderr, "  expected a panic with \"%s\", child status %#x\n",
			expect, status);
		return false;
	}
	if (!strstr(out, expect)) {
		fprintf(stderr, "  panic message lacks \"%s\":\n%s", expect, out);
		return false;
	}
	return true;
}
