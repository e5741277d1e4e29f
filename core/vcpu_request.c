/*
 * vCPU requests and kicks (core/vcpu_request.h).
 *
 * Senders run on any CPU, in any context, and take no lock; a
 * VCPU_REQUEST_WAIT sender spins until its targets have left guest mode.
 * The receiver side runs on the vCPU's own thread, on the CPU it is
 * loaded on; vcpu_enter_guest_mode() runs with interrupts disabled, and
 * they stay disabled through the VM entry and exit until
 * vcpu_exit_guest_mode().
 *
 * Ordering. Four pairs carry the whole protocol. The full barriers of
 * pairs 1 and 2 are locked read-modify-writes followed by seq_cst loads,
 * not smp_mb(): ThreadSanitizer does not model fences (GCC rejects them
 * under -fsanitize=thread), and on x86 a LOCK-prefixed instruction is the
 * full barrier anyway. The vCPU's store-then-barrier is an XCHG, which is
 * what Linux's smp_store_mb() is on x86.
 *
 *  1. Request against entry (Dekker, store buffering):
 *       sender:  LOCK OR bit into requests;  seq_cst load of mode
 *       vCPU:    XCHG mode = IN_GUEST_MODE;  seq_cst load of requests
 *     All four are seq_cst, so one of the two loads comes after the other
 *     side's write in their single total order and sees it. Either the
 *     vCPU sees the bit and refuses the entry (vcpu_enter_guest_mode()
 *     returns false), or the sender sees IN_GUEST_MODE and kicks. Never
 *     both blind: a request is never left pending in guest mode without a
 *     kick on its way.
 *
 *  2. Request against halt, the same pattern on the blocked flag:
 *       sender:  LOCK OR bit into requests;  seq_cst load of blocked
 *       vCPU:    XCHG blocked = 1;           seq_cst load of requests
 *     Either the vCPU sees the request and does not halt, or the sender
 *     sees it blocked and wakes it.
 *
 *  3. Request data. The sender's OR is seq_cst, so a release; the vCPU's
 *     AND in vcpu_check_request() is an acquire. What the sender stored
 *     before the request is visible to the vCPU that consumes the bit.
 *     Coalesced senders (the bit already set) are covered too: all changes
 *     of requests are read-modify-writes, so every sender's OR heads a
 *     release sequence that reaches the AND.
 *
 *  4. Publication of v->cpu: vcpu_req_load() stores cpu before the XCHG
 *     of IN_GUEST_MODE (and of blocked = 1), a release; the sender's
 *     successful cmpxchg (xchg) is an acquire that reads that value, so
 *     the cpu it reads next is the one the vCPU entered on (halted on),
 *     or a later one. vcpu_req_move() stores it the same way when the
 *     vCPU's thread is switched back in, on whatever CPU that is.
 *
 *  5. Halt against wake-up, for a vCPU with a scheduler thread
 *     (v->thread). The vCPU halts in sched_block(), not in a HLT, and a
 *     waker that won the xchg of blocked calls sched_wake(). Both decide
 *     under the lock of the run queue the thread sits on (sched_wake()
 *     re-checks the queue after locking it): either the thread has
 *     blocked already and sched_wake() makes it runnable, or it still
 *     runs, and sched_wake() leaves wake_pending for its sched_block(),
 *     which then returns at once. This closes the race of a wake-up that
 *     comes between the vCPU's last check of vcpu_is_blocked() and its
 *     sched_block(): with no IPI to take, the thread would sleep through
 *     it (the "sti; hlt" argument of a HLT does not apply to a switch).
 *     The WAIT protocol is unchanged: a thread switched out is outside
 *     guest mode, and a thread moved to another CPU stored its new CPU
 *     (pair 4) before its XCHG of IN_GUEST_MODE, which the sender's LOCK
 *     OR either precedes (the vCPU sees the request) or follows (the
 *     sender then reads the new CPU, never a stale one naming itself).
 *
 * The benign race on v->cpu (docs/races.md, "Stale CPU number in a
 * kick"; syzbot found it in KVM's kvm_vcpu_kick()). A sender
 * reads v->cpu without a lock, after its cmpxchg moved the vCPU from
 * IN_GUEST_MODE to EXITING_GUEST_MODE. A vCPU in guest mode cannot change
 * CPU (vcpu_req_load() and vcpu_req_put() assert OUTSIDE_GUEST_MODE), so
 * the value names the right CPU unless, between the cmpxchg and the read,
 * the vCPU took its exit, left guest mode and moved. Then the IPI goes to
 * the old or the new CPU: whatever runs there takes a spurious exit or
 * wake-up, which is harmless, and the vCPU itself needs no IPI any more:
 * it left guest mode after the request was set, and on its new CPU it
 * exchanges IN_GUEST_MODE into mode and re-checks its requests before
 * entering (pair 1). The same holds for VCPU_REQUEST_WAIT: a WAIT
 * sender watches the vCPU's mode, not an acknowledgement from a CPU, and
 * the vCPU had to leave guest mode to move, which is what the sender
 * waits for. Reading v->cpu before setting the request, as a proposed
 * kvm_make_vcpus_request_mask() did, would not be benign: between that
 * read and the
 * request the vCPU can move and enter guest mode on another CPU, and the
 * one IPI that the cmpxchg entitles the sender to would go to the CPU it
 * left, leaving it in guest mode with the request pending (and a WAIT
 * sender spinning). The hosted stress test moves vCPUs between CPUs to
 * catch exactly that.
 *
 * Waiting (VCPU_REQUEST_WAIT). KVM waits for each interrupted CPU to run
 * an acknowledgement handler (smp_call_function_many()); the kick IPI
 * here has no handler to speak of, so a WAIT sender watches each target
 * instead. After the IPIs are out, it samples the target's entry_seq and
 * waits until one of these holds:
 *   - mode is OUTSIDE_GUEST_MODE: the vCPU is out now, after the request
 *     was set; any later entry sees the request (pair 1);
 *   - entry_seq moved past the sample: the vCPU made a new entry attempt,
 *     which follows a store of OUTSIDE_GUEST_MODE and sees the request;
 *   - the request bit is clear: only the vCPU clears it, outside guest
 *     mode (vcpu_check_request() asserts so), and it services the request
 *     before it enters again.
 * The third condition is what keeps a vCPU that left guest mode, serviced
 * the request and re-entered from holding the sender for good: nobody
 * kicks that new guest session, and the sample, taken after the IPIs, may
 * already belong to it. The second keeps the wait to one exit even while
 * other senders keep setting the same bit again.
 *
 * Why the second condition is sound although entry_seq is not part of
 * pair 1: the sample is read after the sender's seq_cst load of mode (or
 * its xchg of blocked) in the first pass. If an entry attempt exchanged
 * IN_GUEST_MODE before the sender's OR in the seq_cst order, that load
 * read its IN_GUEST_MODE or a later value, all of which the vCPU wrote
 * (or a kicker's cmpxchg carried on) after bumping entry_seq for that
 * attempt: the acquire makes the bump visible, and the sample already
 * counts the attempt. (For a halted vCPU the attempt came after the
 * sender's own xchg of blocked, so after the OR.) So an attempt that the
 * sample does not count exchanged IN_GUEST_MODE after the OR, and its
 * seq_cst load of requests sees the bit, or the clear of a vCPU that has
 * serviced it.
 *
 * The wait ends: a target in guest mode when its bit was set was kicked
 * (by this sender or by the one that made it EXITING_GUEST_MODE), and one
 * that exchanged IN_GUEST_MODE later saw the bit and refuses the entry.
 * Each load is an acquire paired with the release that wrote the value
 * (vcpu_exit_guest_mode(), vcpu_enter_guest_mode(), the AND in
 * vcpu_check_request()), so what the vCPU did before leaving guest mode is
 * visible to the sender afterwards.
 */
#include "asm/atomic.h"
#include "asm/percpu.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/spinlock.h"
#include "core/sched.h"
#include "core/vcpu_request.h"

#define VCPU_REQUEST_FLAGS (VCPU_REQUEST_NO_WAKEUP | VCPU_REQUEST_WAIT)

/* The loads of pairs 1 and 2: in the seq_cst order with the RMWs. */
#define load_seq_cst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)

/* Physical CPUs to interrupt, collected during a walk over the vCPUs. */
#define KICK_MASK_WORDS ((MAX_CPUS + 63) / 64)

struct kick_mask {
	uint64_t bits[KICK_MASK_WORDS];
};

void vcpu_req_init(struct vcpu_req_state *v, unsigned int id)
{
	*v = (struct vcpu_req_state){
		.id = id,
		.cpu = -1,
		.mode = OUTSIDE_GUEST_MODE,
	};
}

const char *vcpu_mode_name(int mode)
{
	switch (mode) {
	case OUTSIDE_GUEST_MODE:
		return "OUTSIDE_GUEST_MODE";
	case IN_GUEST_MODE:
		return "IN_GUEST_MODE";
	case EXITING_GUEST_MODE:
		return "EXITING_GUEST_MODE";
	default:
		return "invalid mode";
	}
}

/* The bit of request req in vcpu_req_state.requests; asserts req is valid. */
static uint64_t vcpu_req_bit(unsigned int req)
{
	unsigned int nr = req & VCPU_REQUEST_MASK;

	ASSERT(nr < VCPU_REQ_NR);
	ASSERT(!(req & ~(VCPU_REQUEST_MASK | VCPU_REQUEST_FLAGS)));
	return BIT_ULL(nr);
}

/*
 * The CPU to send v's IPI to, or -1: none when v is not loaded, none to
 * the calling CPU. Called only after winning the cmpxchg or xchg that
 * entitles the caller to the IPI; pair 4 and the benign race above say
 * why the lockless read is good enough.
 */
static int vcpu_ipi_cpu(const struct vcpu_req_state *v, unsigned int me)
{
	int cpu = READ_ONCE(v->cpu);

	if (cpu < 0 || (unsigned int)cpu == me)
		return -1;
	ASSERT((unsigned int)cpu < MAX_CPUS);
	return cpu;
}

/*
 * Ends v's halt if it is blocked. The caller has set its request with a
 * seq_cst RMW (the sender half of pair 2). Returns true if this call ended
 * the halt, with *ipi_cpu set to the CPU to wake (or -1).
 */
static bool __vcpu_wake(struct vcpu_req_state *v, unsigned int me,
			int *ipi_cpu)
{
	/*
	 * The load of pair 2: if it finds 0, the vCPU's XCHG of 1 comes
	 * later and its load of requests sees the caller's request. A load
	 * before the xchg keeps the common case (not halted) free of a
	 * locked instruction on the vCPU's cache line.
	 */
	if (!load_seq_cst(&v->blocked))
		return false;
	/*
	 * Concurrent wakers: only the one that finds 1 sends the IPI. The
	 * xchg is an acquire reading the XCHG (a release) in
	 * vcpu_block_begin(): v->cpu is the CPU the vCPU halts on (pair 4).
	 */
	if (!atomic_xchg(&v->blocked, 0))
		return false;
	atomic_fetch_add(&v->wakeups, 1);
	/*
	 * A vCPU with a thread halts in sched_block(), not in a HLT of its
	 * CPU: make it runnable (pair 5); sched_wake() sends the IPI its
	 * CPU needs, if any.
	 */
	if (v->thread) {
		sched_wake(v->thread);
		*ipi_cpu = -1;
		return true;
	}
	*ipi_cpu = vcpu_ipi_cpu(v, me);
	return true;
}

/*
 * Moves v from IN_GUEST_MODE to EXITING_GUEST_MODE. The caller has set its
 * request with a seq_cst RMW (the sender half of pair 1). Returns true if
 * this call did, with *ipi_cpu set to the CPU to interrupt (or -1).
 */
static bool __vcpu_kick(struct vcpu_req_state *v, unsigned int me,
			int *ipi_cpu)
{
	/*
	 * The load of pair 1: OUTSIDE_GUEST_MODE here means the vCPU's next
	 * XCHG of IN_GUEST_MODE comes later and its check sees the caller's
	 * request. EXITING_GUEST_MODE means another sender won the cmpxchg
	 * and sends the IPI. A load before the cmpxchg keeps both cases free
	 * of a locked instruction.
	 */
	int mode = load_seq_cst(&v->mode);

	if (mode != IN_GUEST_MODE)
		return false;
	/*
	 * Of concurrent kickers, one wins and sends the IPI: N senders, one
	 * IPI. The cmpxchg is an acquire reading the XCHG (a release) of
	 * IN_GUEST_MODE, so the cpu read next is the one the vCPU entered
	 * on, unless it has left guest mode since (the benign race).
	 */
	if (!atomic_try_cmpxchg(&v->mode, &mode, EXITING_GUEST_MODE))
		return false;
	atomic_fetch_add(&v->kicks, 1);
	*ipi_cpu = vcpu_ipi_cpu(v, me);
	return true;
}

/*
 * Sets req's bit on v, then wakes v if it is halted (unless
 * VCPU_REQUEST_NO_WAKEUP) or kicks it if it is in guest mode. Returns the
 * CPU that needs an IPI, or -1. Sends nothing itself.
 */
static int vcpu_request_one(struct vcpu_req_state *v, unsigned int req,
			    uint64_t bit, unsigned int me)
{
	int cpu = -1;

	/*
	 * The sender half of pairs 1 and 2 (LOCK OR, a full barrier), whose
	 * partners are the XCHGs in vcpu_enter_guest_mode() and in
	 * vcpu_block_begin(); the seq_cst loads of blocked and mode follow.
	 */
	atomic_fetch_or(&v->requests, bit);
	/* A halted vCPU is outside guest mode: nothing to kick. */
	if (!(req & VCPU_REQUEST_NO_WAKEUP) && __vcpu_wake(v, me, &cpu))
		return cpu;
	__vcpu_kick(v, me, &cpu);
	return cpu;
}

/*
 * True once v has been outside guest mode at some point after the caller
 * set bit: see "Waiting" above. seq is v->entry_seq sampled after the
 * caller set the bit and sent its IPIs.
 */
static bool vcpu_left_guest_mode(const struct vcpu_req_state *v,
				 unsigned long seq, uint64_t bit)
{
	/*
	 * Acquire loads pair with the release stores in
	 * vcpu_exit_guest_mode(), vcpu_enter_guest_mode() and the AND in
	 * vcpu_check_request(): what the vCPU did before is visible.
	 */
	return smp_load_acquire(&v->mode) == OUTSIDE_GUEST_MODE ||
	       smp_load_acquire(&v->entry_seq) != seq ||
	       !(smp_load_acquire(&v->requests) & bit);
}

static __noinline void vcpu_report_stuck(const struct vcpu_req_state *v,
					 uint64_t bit, unsigned long spins,
					 void *caller)
{
	int mode = READ_ONCE(v->mode);

	lock_report_stuck("vcpu %u: CPU %u spun %lu times waiting for it to leave guest mode after request %d: %s on CPU %d, requests %#llx, entry %lu, blocked %d; caller %p",
			  v->id, smp_processor_id(), spins,
			  __builtin_ctzll(bit), vcpu_mode_name(mode),
			  READ_ONCE(v->cpu),
			  (unsigned long long)READ_ONCE(v->requests),
			  READ_ONCE(v->entry_seq), READ_ONCE(v->blocked),
			  caller);
}

/*
 * The VCPU_REQUEST_WAIT half of a request: spins until v has been outside
 * guest mode after bit was set. Called after the IPIs are sent.
 */
static void vcpu_wait_guest_exit(const struct vcpu_req_state *v, uint64_t bit,
				 unsigned int me, void *caller)
{
	unsigned long limit = READ_ONCE(lock_stuck_loops);
	unsigned long spins = 0;
	unsigned long seq;

	/*
	 * A vCPU loaded on this CPU is not in guest mode while this CPU
	 * runs the caller: interrupts are off from vcpu_enter_guest_mode()
	 * to vcpu_exit_guest_mode(). At most, the caller is an NMI handler
	 * that interrupted vcpu_enter_guest_mode() between its exchange of
	 * IN_GUEST_MODE and its check; the check comes after the caller on
	 * this CPU, sees the bit and refuses the entry. Waiting here would
	 * wait for this CPU itself. A stale value cannot read as this CPU:
	 * a move away from this CPU was stored by this CPU (vcpu_req_put()),
	 * earlier in its own order.
	 */
	if (READ_ONCE(v->cpu) == (int)me)
		return;
	/*
	 * Acquire: the mode and requests loads of the loop come after the
	 * sample, so an IN_GUEST_MODE they see belongs to this entry or to
	 * a later one, which moves entry_seq.
	 */
	seq = smp_load_acquire(&v->entry_seq);
	while (!vcpu_left_guest_mode(v, seq, bit)) {
		__lock_relax(++spins);
		if (unlikely(spins == limit))
			vcpu_report_stuck(v, bit, spins, caller);
	}
}

static void kick_mask_add(struct kick_mask *m, int cpu)
{
	if (cpu < 0)
		return;
	ASSERT((unsigned int)cpu < MAX_CPUS);
	m->bits[cpu / 64] |= BIT_ULL(cpu % 64);
}

/* Sends one kick IPI to each CPU in m. Returns true if it sent any. */
static bool kick_mask_send(const struct kick_mask *m)
{
	bool sent = false;
	unsigned int w;

	for (w = 0; w < KICK_MASK_WORDS; w++) {
		uint64_t word = m->bits[w];

		while (word) {
			platform_kick_cpu(w * 64 + __builtin_ctzll(word));
			word &= word - 1;
			sent = true;
		}
	}
	return sent;
}

/* Index of the first set bit of map[] at or after start, or size if none. */
static unsigned int bitmap_next_set(const uint64_t *map, unsigned int size,
				    unsigned int start)
{
	unsigned int words = (size + 63) / 64;
	unsigned int i = start / 64;
	uint64_t word;

	if (start >= size)
		return size;
	word = map[i] & (~0ull << (start % 64));
	for (;;) {
		if (word) {
			unsigned int bit = i * 64 + __builtin_ctzll(word);

			return bit < size ? bit : size;
		}
		if (++i >= words)
			return size;
		word = map[i];
	}
}

/*
 * Index of the next target at or after i: a non-NULL slot other than
 * except, among the set bits of mask if there is one; nr if none is left.
 */
static unsigned int vcpus_next_target(struct vcpu_req_state *const *vcpus,
				      unsigned int nr, const uint64_t *mask,
				      const struct vcpu_req_state *except,
				      unsigned int i)
{
	for (;; i++) {
		if (mask)
			i = bitmap_next_set(mask, nr, i);
		if (i >= nr)
			return nr;
		if (vcpus[i] && vcpus[i] != except)
			return i;
	}
}

#define for_each_target(i, vcpus, nr, mask, except)			\
	for ((i) = vcpus_next_target(vcpus, nr, mask, except, 0);	\
	     (i) < (nr);						\
	     (i) = vcpus_next_target(vcpus, nr, mask, except, (i) + 1))

bool vcpus_make_request(struct vcpu_req_state *const *vcpus, unsigned int nr,
			unsigned int req, const uint64_t *mask,
			struct vcpu_req_state *except)
{
	void *caller = __builtin_return_address(0);
	uint64_t bit = vcpu_req_bit(req);
	unsigned int me = smp_processor_id();
	struct kick_mask cpus = { { 0 } };
	unsigned int i;
	bool sent;

	for_each_target(i, vcpus, nr, mask, except)
		kick_mask_add(&cpus, vcpu_request_one(vcpus[i], req, bit, me));

	/* One IPI per CPU, after the walk: two targets may share a CPU. */
	sent = kick_mask_send(&cpus);

	if (req & VCPU_REQUEST_WAIT) {
		for_each_target(i, vcpus, nr, mask, except)
			vcpu_wait_guest_exit(vcpus[i], bit, me, caller);
	}
	return sent;
}

bool vcpu_make_request(struct vcpu_req_state *v, unsigned int req)
{
	uint64_t bit = vcpu_req_bit(req);
	unsigned int me = smp_processor_id();
	int cpu = vcpu_request_one(v, req, bit, me);

	if (cpu >= 0)
		platform_kick_cpu(cpu);
	if (req & VCPU_REQUEST_WAIT)
		vcpu_wait_guest_exit(v, bit, me, __builtin_return_address(0));
	return cpu >= 0;
}

bool vcpu_kick(struct vcpu_req_state *v)
{
	int cpu = -1;

	if (!__vcpu_kick(v, smp_processor_id(), &cpu) || cpu < 0)
		return false;
	platform_kick_cpu(cpu);
	return true;
}

bool vcpu_wake(struct vcpu_req_state *v)
{
	int cpu = -1;

	if (!__vcpu_wake(v, smp_processor_id(), &cpu))
		return false;
	if (cpu >= 0)
		platform_kick_cpu(cpu);
	return true;
}

void vcpu_req_load(struct vcpu_req_state *v)
{
	unsigned int me = smp_processor_id();

	ASSERT(me < MAX_CPUS);
	ASSERT(READ_ONCE(v->mode) == OUTSIDE_GUEST_MODE);
	ASSERT(!READ_ONCE(v->blocked));
	/* Published by the XCHG of IN_GUEST_MODE or of blocked (pair 4). */
	WRITE_ONCE(v->cpu, (int)me);
}

void vcpu_req_put(struct vcpu_req_state *v)
{
	ASSERT(READ_ONCE(v->mode) == OUTSIDE_GUEST_MODE);
	ASSERT(!READ_ONCE(v->blocked));
	ASSERT(READ_ONCE(v->cpu) == (int)smp_processor_id());
	WRITE_ONCE(v->cpu, -1);
}

void vcpu_req_move(struct vcpu_req_state *v)
{
	unsigned int me = smp_processor_id();

	ASSERT(me < MAX_CPUS);
	ASSERT(READ_ONCE(v->mode) == OUTSIDE_GUEST_MODE);
	/*
	 * Published like vcpu_req_load()'s store (pair 4). Until then a
	 * sender may read the CPU the thread left: a harmless IPI there,
	 * and no missed one, since the thread is outside guest mode and not
	 * yet in a HLT of this CPU (it halts in sched_block(), which
	 * sched_wake() reaches on whatever CPU it sits).
	 */
	WRITE_ONCE(v->cpu, (int)me);
}

bool vcpu_enter_guest_mode(struct vcpu_req_state *v)
{
	int old;

	ASSERT(READ_ONCE(v->cpu) == (int)smp_processor_id());
	ASSERT(!READ_ONCE(v->blocked));

	/*
	 * Release, before the exchange of IN_GUEST_MODE: a WAIT sender that
	 * sees the new count knows this vCPU went through OUTSIDE_GUEST_MODE,
	 * and sees what it did there (vcpu_wait_guest_exit()).
	 */
	smp_store_release(&v->entry_seq, READ_ONCE(v->entry_seq) + 1);
	/*
	 * The vCPU half of pair 1 (XCHG, a full barrier), partner of the
	 * LOCK OR in vcpu_request_one(): either the seq_cst load of requests
	 * below sees the sender's bit, or the sender's load of mode sees
	 * IN_GUEST_MODE and kicks. A release too: publishes v->cpu to the
	 * kicker's cmpxchg (pair 4).
	 */
	old = atomic_xchg(&v->mode, IN_GUEST_MODE);
	ASSERT(old == OUTSIDE_GUEST_MODE);
	/*
	 * EXITING_GUEST_MODE: a kick won the cmpxchg after the exchange and
	 * its IPI is on the way; entering would only take the exit it forces.
	 */
	if (likely(!load_seq_cst(&v->requests) &&
		   READ_ONCE(v->mode) == IN_GUEST_MODE))
		return true;
	/* Pairs with the acquire loads in vcpu_left_guest_mode(). */
	smp_store_release(&v->mode, OUTSIDE_GUEST_MODE);
	return false;
}

void vcpu_exit_guest_mode(struct vcpu_req_state *v)
{
	ASSERT(READ_ONCE(v->mode) != OUTSIDE_GUEST_MODE);
	/*
	 * Overwrites IN_GUEST_MODE or a kicker's EXITING_GUEST_MODE. Release
	 * pairs with the acquire loads in vcpu_left_guest_mode(): a WAIT
	 * sender that sees the vCPU out sees what it did before.
	 */
	smp_store_release(&v->mode, OUTSIDE_GUEST_MODE);
}

bool vcpu_block_begin(struct vcpu_req_state *v)
{
	int old;

	ASSERT(READ_ONCE(v->mode) == OUTSIDE_GUEST_MODE);
	ASSERT(READ_ONCE(v->cpu) == (int)smp_processor_id());

	/*
	 * The vCPU half of pair 2 (XCHG, a full barrier), partner of the
	 * LOCK OR in vcpu_request_one(): either the seq_cst load of requests
	 * below sees the request, or the sender's load of blocked sees 1 and
	 * wakes this vCPU. A release too: publishes v->cpu to the waker's
	 * xchg (pair 4).
	 */
	old = atomic_xchg(&v->blocked, 1);
	ASSERT(!old);
	if (likely(!load_seq_cst(&v->requests)))
		return true;
	/*
	 * A waker may have cleared the flag already and sent its IPI: a
	 * spurious wake-up, which the caller's wait loop never sees.
	 */
	atomic_xchg(&v->blocked, 0);
	return false;
}

bool vcpu_block_end(struct vcpu_req_state *v)
{
	/* A waker's xchg found the flag set and sent the wake-up. */
	if (!vcpu_is_blocked(v))
		return true;
	/* Races with a waker: whoever finds 1 ended the halt. */
	return !atomic_xchg(&v->blocked, 0);
}

bool vcpu_check_request(struct vcpu_req_state *v, unsigned int req)
{
	unsigned int nr = req & VCPU_REQUEST_MASK;
	uint64_t bit;

	ASSERT(nr < VCPU_REQ_NR);
	bit = BIT_ULL(nr);
	/*
	 * A plain test first: no locked instruction for a request that is
	 * not pending. It may miss a bit set a moment ago; the check in
	 * vcpu_enter_guest_mode(), after its XCHG, does not, and sends the
	 * run loop back here.
	 */
	if (!(READ_ONCE(v->requests) & bit))
		return false;
	/*
	 * Only outside guest mode: a WAIT sender that finds the bit clear
	 * takes it for proof that this vCPU left guest mode.
	 */
	ASSERT(READ_ONCE(v->mode) == OUTSIDE_GUEST_MODE);
	/*
	 * Acquire pairs with the OR in vcpu_request_one() (pair 3): the
	 * request's data is visible. Release pairs with the acquire load of
	 * requests in vcpu_left_guest_mode().
	 */
	if (!(atomic_fetch_and(&v->requests, ~bit) & bit))
		return false;
	WRITE_ONCE(v->serviced[nr], READ_ONCE(v->serviced[nr]) + 1);
	return true;
}
