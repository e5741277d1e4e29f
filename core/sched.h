/*
 * The scheduler: hypervisor threads (one per vCPU, the console monitor,
 * one idle thread per CPU) sharing the physical CPUs (docs/scheduler.md).
 *
 * One run queue per CPU, each under its own spinlock; no global lock on
 * the scheduling path. A thread runs until its slice ends, it blocks, or
 * a thread of higher priority (or of much smaller virtual runtime) wakes
 * on its CPU. Preemption is voluntary: the running thread calls
 * sched_preempt() at a safe point when sched_need_resched() says so.
 *
 * Where the code runs: sched_wake(), sched_place() and the readers run on
 * any CPU, any context (they take the target queue's lock with interrupts
 * off, and send the IPI after dropping it). sched_preempt(), sched_block(),
 * sched_exit() and sched_idle() run on the thread they switch away from,
 * interrupts off or on. The switch itself is platform_ctx_switch()
 * (arch/x86/ctx_switch.S; hosted: a no-op, the test thread plays every
 * hypervisor thread of its CPU in turn).
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include "core/lib/compiler.h"
#include "core/lib/list.h"
#include "core/lib/spinlock.h"

#define SCHED_MAX_CPUS       64	/* bits of an affinity mask */
#define SCHED_WEIGHT_DEFAULT 256u	/* vms.cfg weight= when not given */
#define SCHED_WEIGHT_MAX     65535u
#define SCHED_WEIGHT_UNIT    1024u	/* vruntime += ran_ns * UNIT / weight */
#define SCHED_SLICE_NS       4000000ull	/* 4 ms of real time per turn */
/* How far behind the queue's minimum a waking thread may start. */
#define SCHED_WAKE_CREDIT_NS (SCHED_SLICE_NS / 2)
/* A waking thread preempts only if this much (vruntime) behind. */
#define SCHED_WAKE_GRAN_NS   (SCHED_SLICE_NS / 4)
/*
 * How often an idle CPU wakes to look for work to pull while other CPUs
 * are online: bounds how long a queue can stay overloaded next to an
 * idle CPU that no kick reached (sched_idle()).
 */
#define SCHED_IDLE_PULL_NS   (SCHED_SLICE_NS * 5)
/*
 * The periodic balance of a busy CPU (sched_balance_tick()): at most once
 * every SCHED_BALANCE_NS it pulls a vCPU from the busiest other queue when
 * that one has at least SCHED_BALANCE_GAP runnable threads more than its
 * own. A gap of 2 leaves the two queues at most one apart after the move:
 * a 2-vs-1 never moves (it would only turn into 1-vs-2 and back).
 */
#define SCHED_BALANCE_NS     (SCHED_SLICE_NS * 5)
#define SCHED_BALANCE_GAP    2u

enum sched_state {
	SCHED_RUNNABLE,		/* on its queue's runnable list */
	SCHED_RUNNING,		/* its queue's curr */
	SCHED_BLOCKED,		/* placed, waiting for sched_wake() or its deadline */
	SCHED_DEAD,		/* left its queue (sched_exit()) */
};

/* Priorities: a runnable thread of a higher one always runs first. */
enum sched_prio {
	SCHED_PRIO_IDLE = 0,	/* the CPU's idle thread: only when nothing else */
	SCHED_PRIO_VCPU = 1,	/* vCPUs: weighted fair share among themselves */
	SCHED_PRIO_MONITOR = 2,	/* the console monitor and VM life-cycle work */
};

struct sched_thread {
	/* Fixed by sched_thread_init(). */
	const char *name;
	uint32_t weight;		/* 1..SCHED_WEIGHT_MAX */
	uint8_t prio;			/* enum sched_prio */
	uint64_t affinity;		/* CPUs it may run on, bit n: CPU n */
	const void *group;		/* its VM, for a directed yield; NULL: none */
	void (*fn)(void *arg);		/* body of a thread made by sched_thread_start() */
	void *arg;
	/* Called once the thread has left its CPU for good (sched_exit()). */
	void (*exit_fn)(void *arg);

	/*
	 * Saved stack pointer while switched out. Written by the thread's
	 * own switch, read by the switch back to it: both on its CPU, under
	 * its queue's lock (the lock hand-over orders a migrated thread).
	 */
	void *sp;

	/*
	 * cpu: the run queue the thread is placed on, -1 before
	 * sched_place(). Written under that queue's lock (and the
	 * destination's, for a migration); read without a lock as a hint by
	 * sched_wake(), which re-checks it under the lock it takes.
	 */
	int cpu;
	/* The rest is guarded by the lock of the queue cpu names. */
	uint8_t state;			/* enum sched_state */
	bool wake_pending;		/* a wake-up came while it ran: next block returns */
	bool on_cpu;			/* its context is live on a CPU: not movable */
	bool woken;			/* made runnable by a wake, not by a preemption */
	uint64_t vruntime;		/* weighted run time, ns * UNIT / weight */
	uint64_t exec_start;		/* when it became curr */
	struct list_head run_link;	/* on runnable, while SCHED_RUNNABLE */
	struct list_head placed_link;	/* on placed, from sched_place() to exit */

	/*
	 * Earliest timer deadline of the thread (time_now_ns() scale,
	 * UINT64_MAX: none). Written by the thread itself with a release
	 * store before it blocks; read under the queue's lock when the CPU's
	 * one-shot is armed and when due threads are woken.
	 */
	uint64_t deadline;

	/* Statistics, for the monitor: written under the lock, read anywhere. */
	uint64_t ran_ns;
	uint64_t switches;		/* times it was switched to */
	uint64_t migrations;
	uint64_t yields;		/* times it gave its CPU away (sched_yield_spin()) */
};

struct sched_rq {
	spinlock_t lock;
	/* Guarded by lock. */
	struct list_head runnable;	/* SCHED_RUNNABLE threads, not curr */
	struct list_head placed;	/* every thread placed here, any state */
	struct sched_thread *curr;	/* running (the idle thread when none) */
	struct sched_thread *idle;
	struct sched_thread *prev;	/* switched away from: for the next thread's finish */
	unsigned int nr_placed;		/* non-idle threads placed: the load */
	unsigned int nr_runnable;	/* non-idle runnable threads, curr included */
	uint64_t min_vruntime;		/* never goes back */
	uint64_t slice_end;		/* curr's turn ends, UINT64_MAX: no other runnable */
	/* Statistics, for the monitor: written under lock, read anywhere. */
	uint64_t pulls;			/* threads an idle pull moved here */
	uint64_t balance_pulls;		/* threads a busy CPU's balance moved here */
	uint64_t yields;		/* PAUSE-loop yields of its vCPUs */
	/* Set under lock (or by the CPU itself); read lockless by its CPU. */
	int need_resched;
	bool online;
	/* Its next periodic balance: written by its CPU only, no lock. */
	uint64_t balance_next;
} __aligned(64);

/*
 * Sets up CPU cpu's run queue: idle is its idle thread (the context now
 * running there, or one made by sched_thread_start()), curr is curr (idle,
 * or the thread that runs there now, which is then placed there). Any CPU,
 * before cpu schedules.
 */
void sched_init_cpu(unsigned int cpu, struct sched_thread *idle,
		    struct sched_thread *curr);

/* Fills t: not placed, blocked. weight 0 is SCHED_WEIGHT_DEFAULT. */
void sched_thread_init(struct sched_thread *t, const char *name, uint32_t weight,
		       enum sched_prio prio, uint64_t affinity);

/*
 * Places t (initialised, not placed) on a run queue and makes it runnable:
 * on cpu if cpu >= 0 (it must be in the affinity), else on the online CPU
 * of its affinity with the fewest threads placed (the lowest id on a tie).
 * Returns the CPU, or -EINVAL (no online CPU in the affinity).
 */
int sched_place(struct sched_thread *t, int cpu);

/*
 * Makes t runnable if it is blocked; if it runs (or is about to block),
 * its next sched_block() returns at once. IPIs t's CPU when that CPU
 * idles or should preempt for t. Any CPU, any context; no lock of this
 * module held. Returns true if t was blocked.
 */
bool sched_wake(struct sched_thread *t);

/* The thread running on this CPU. */
struct sched_thread *sched_current(void);

/*
 * True when the running thread should call sched_preempt(): a thread woke
 * that preempts it, or its slice is over and another is runnable.
 * Lockless hint, this CPU only.
 */
bool sched_need_resched(void);

/* Gives the CPU to the best runnable thread (maybe the caller itself). */
void sched_preempt(void);

/*
 * True when the running thread's CPU has another runnable thread: a
 * spinning vCPU could give it the CPU (lockless hint, this CPU only).
 */
bool sched_cpu_shared(void);

/*
 * The running vCPU spins, waiting for another (a PAUSE-loop exit): gives
 * the CPU to a runnable vCPU of its queue, one of its own group (VM)
 * first, the smallest vruntime among equals; a runnable thread of a
 * higher priority goes before either. Each is charged only the time it
 * runs: the yielder for its turn so far, the one yielded to from now
 * (with a fresh slice). Returns at once if none is runnable; else when
 * the yielder is switched back in.
 */
void sched_yield_spin(void);

/*
 * Blocks the running thread until sched_wake() or its deadline (set by
 * sched_set_deadline()) passes; returns at once, consuming it, if a
 * wake-up came since the last block. Spurious returns are allowed: the
 * caller re-checks its condition.
 */
void sched_block(void);

/* Publishes the running thread's next timer deadline (UINT64_MAX: none). */
void sched_set_deadline(uint64_t deadline_ns);

/*
 * Blocks the running thread until deadline_ns (or a sched_wake(); it may
 * return early). Not for a vCPU's thread: vcpu_sched_switch() is.
 */
void sched_sleep_until(uint64_t deadline_ns);

/*
 * One step of a wait for another thread (a vCPU to park, to run a call):
 * the monitor's thread, which outranks vCPUs, sleeps SCHED_RELAX_NS so
 * that a vCPU on its own CPU can get there; any other caller (a vCPU, a
 * CPU without the scheduler, the hosted build) spins a step
 * (platform_wait_contended()).
 */
#define SCHED_RELAX_NS 100000ull
void sched_relax(unsigned long spins);

/*
 * The running thread leaves its CPU for good; its exit_fn runs after, on
 * the thread switched to. Never returns in the hypervisor; hosted (where
 * the switch does nothing) it returns once the thread is off its queue,
 * and the test goes on as the next thread.
 */
void sched_exit(void);

/*
 * Earliest deadline that must interrupt CPU cpu's current thread: the end
 * of its slice (when another is runnable) and the deadlines of the
 * blocked threads placed there. UINT64_MAX: none.
 */
uint64_t sched_cpu_deadline(unsigned int cpu);

/* Wakes the blocked threads of this CPU whose deadline is <= now. */
unsigned int sched_wake_due(uint64_t now);

/*
 * One step of the idle thread, interrupts off: wake due threads, pull
 * work from a busier CPU, switch to what is runnable; else arm the CPU's
 * one-shot and halt until an interrupt. Returns with interrupts off.
 */
void sched_idle(void);

/*
 * Moves one runnable, switched-out thread that may run on cpu from the
 * busiest queue of its affinity to cpu's queue, under both queues' locks
 * taken in CPU-id order. Returns the thread moved, or NULL.
 */
struct sched_thread *sched_pull(unsigned int cpu);

/*
 * The periodic balance, at the running thread's safe point (a vCPU's run
 * loop): when this CPU's SCHED_BALANCE_NS have passed since its last
 * look, pulls one runnable, switched-out vCPU that may run here from the
 * busiest other queue if that one has SCHED_BALANCE_GAP runnable threads
 * more than this one (as sched_pull(), both locks in CPU-id order).
 * Until then it reads one per-CPU timestamp and returns. True: a thread
 * moved here (sched_need_resched() says whether it preempts now).
 */
bool sched_balance_tick(uint64_t now);

/*
 * Moves t (runnable and switched out, or blocked) to cpu's queue, which
 * its affinity allows. Returns 0, -EBUSY (t runs, or is about to) or
 * -EINVAL.
 */
int sched_migrate(struct sched_thread *t, unsigned int cpu);

/* A thread's place and statistics as of one moment (sched_thread_stat()). */
struct sched_thread_stat {
	int cpu;			/* -1: placed nowhere */
	enum sched_state state;
	uint64_t ran_ns;		/* the running thread's current turn included */
	uint64_t switches;
	uint64_t migrations;
	uint64_t yields;
};

/* Copies t's place, state and statistics under its queue's lock. Any CPU. */
void sched_thread_stat(struct sched_thread *t, struct sched_thread_stat *out);

/* A run queue as of one moment (sched_rq_stat()). */
struct sched_rq_stat {
	bool online;
	unsigned int nr_placed;		/* the load: threads placed, any state */
	unsigned int nr_runnable;	/* runnable, the running one included */
	const struct sched_thread *curr;	/* NULL: the idle thread */
	uint64_t pulls;			/* moved here by an idle pull */
	uint64_t balance_pulls;		/* moved here by a periodic balance */
	uint64_t yields;		/* PAUSE-loop yields on this CPU */
};

/* Copies cpu's queue counters and its running thread under its lock. */
void sched_rq_stat(unsigned int cpu, struct sched_rq_stat *out);

/* Run queue of cpu, for the monitor and the tests (lock before reading). */
struct sched_rq *sched_rq_of(unsigned int cpu);

/*
 * Makes a thread that runs fn(arg) on the stack below stack_top, then
 * sched_exit(). Call before sched_place(); the hosted build never runs it.
 */
void sched_thread_start(struct sched_thread *t, void *stack_top,
			void (*fn)(void *arg), void *arg);

#endif
