/*
 * vCPU requests and kicks: how any CPU asks a vCPU to do something before
 * it next runs guest code (flush its TLB, reload memslots, take a pending
 * event, stop), and gets it out of guest mode, or out of HLT, to do so.
 *
 * The model is KVM's (kvm_make_request(), kvm_vcpu_kick(),
 * kvm_make_vcpus_request_mask(), Linux's
 * Documentation/virt/kvm/vcpu-requests.rst; docs/races.md, "Request set
 * while the vCPU enters guest mode"):
 *
 *  - A request is a bit in v->requests. A sender sets it with a LOCK OR (a
 *    full barrier), then looks at v->mode: only a vCPU in guest mode
 *    is interrupted, by the one sender whose cmpxchg moves it from
 *    IN_GUEST_MODE to EXITING_GUEST_MODE; a halted vCPU is woken instead.
 *  - The vCPU's run loop services requests outside guest mode, then calls
 *    vcpu_enter_guest_mode(), which exchanges IN_GUEST_MODE into v->mode
 *    (XCHG: the store and a full barrier) and refuses the entry if a
 *    request is pending. The two full barriers form a Dekker pair: either
 *    the sender sees IN_GUEST_MODE and kicks, or the vCPU sees the request
 *    before it enters. A request is therefore never left pending in guest
 *    mode without a kick on its way.
 *
 * Where the code runs:
 *  - Sender side (vcpu_make_request(), vcpus_make_request(), vcpu_kick(),
 *    vcpu_wake()): any CPU, any context, no lock needed and none may be
 *    held that a vCPU needs to leave guest mode (a VCPU_REQUEST_WAIT
 *    sender spins). IPIs are sent after the walk over the vCPUs, never
 *    under a lock of this module (it has none).
 *  - Receiver side (vcpu_req_load/put(), vcpu_enter/exit_guest_mode(),
 *    vcpu_block_begin/end(), vcpu_check_request()): the vCPU's own thread,
 *    on the physical CPU it is loaded on. vcpu_enter_guest_mode() is the
 *    last thing before the VM entry and runs with interrupts disabled,
 *    which stay disabled until vcpu_exit_guest_mode() after the VM exit:
 *    so no code on the vCPU's own CPU (short of an NMI handler) ever sees
 *    it in guest mode, and a kick IPI that arrives in that window stays
 *    pending and forces an exit right after the entry (external-interrupt
 *    exiting / INTR intercept). docs/locking.md has the run loop's shape.
 *
 * The ordering argument, the benign race on v->cpu and the WAIT protocol
 * are spelt out in core/vcpu_request.c and docs/locking.md ("vCPU
 * requests and kicks").
 */
#ifndef CORE_VCPU_REQUEST_H
#define CORE_VCPU_REQUEST_H

#include "asm/atomic.h"
#include "core/lib/compiler.h"

/*
 * Request numbers: bit positions in vcpu_req_state.requests. The run loop
 * services each one it finds with vcpu_check_request(). Data a request
 * refers to (the range to flush, the event to inject) is stored before the
 * request is made; vcpu_check_request() makes it visible.
 */
#define VCPU_REQ_TLB_FLUSH        0	/* flush this vCPU's guest TLB */
#define VCPU_REQ_MEMSLOTS_RELOAD  1	/* memslot set changed: reload */
#define VCPU_REQ_TIMER_MIGRATE    2	/* move timers to the new CPU */
#define VCPU_REQ_EVENT            3	/* an interrupt or event is pending */
#define VCPU_REQ_STOP             4	/* the VM is being stopped */
#define VCPU_REQ_TIMER            5	/* a timer came: re-read the deadline */
#define VCPU_REQ_CALL             6	/* run a function (core/vcpu_ctl.h) */
#define VCPU_REQ_PAUSE            7	/* pause count changed (core/vcpu_ctl.h) */
#define VCPU_REQ_NR               8

/*
 * Flags ORed into the request argument of the senders (KVM's
 * KVM_REQUEST_*); the request number sits in the low bits.
 *
 * VCPU_REQUEST_WAIT: the sender returns only once every target vCPU that
 * was in guest mode has left it (see vcpus_make_request()). What a remote
 * TLB flush needs: afterwards no target still runs its guest on
 * translations from before the call.
 *
 * VCPU_REQUEST_NO_WAKEUP: do not wake a halted target; it services the
 * request when something else wakes it. For requests that only matter
 * before the next entry (a halted vCPU is outside guest mode): a TLB
 * flush is usually sent with VCPU_REQUEST_WAIT | VCPU_REQUEST_NO_WAKEUP.
 */
#define VCPU_REQUEST_MASK         0xffu
#define VCPU_REQUEST_NO_WAKEUP    BIT(8)
#define VCPU_REQUEST_WAIT         BIT(9)

_Static_assert(VCPU_REQ_NR <= 64, "requests must fit vcpu_req_state.requests");
_Static_assert(VCPU_REQ_NR <= VCPU_REQUEST_MASK + 1,
	       "request numbers must fit VCPU_REQUEST_MASK");

/*
 * Where the vCPU stands with respect to guest mode (KVM's vcpu->mode).
 * A shadow-paging READING_SHADOW_PAGE_TABLES state is not needed: the TDP
 * MMU frees page tables behind the SRCU-like epoch (core/srcu.h), not
 * behind a WAIT request.
 */
enum vcpu_mode {
	OUTSIDE_GUEST_MODE,	/* in hypervisor code, or not running at all */
	IN_GUEST_MODE,		/* entering, or running, guest code */
	EXITING_GUEST_MODE,	/* kicked: an exit is forced and on its way */
};

/*
 * The request and kick state of one vCPU; struct vcpu embeds it. All of
 * it is reached without a lock: the rule for each field says who writes
 * it and with which ordering.
 */
struct vcpu_req_state {
	/* Index of the vCPU in its VM. Fixed by vcpu_req_init(). */
	unsigned int id;

	/*
	 * Physical CPU the vCPU is loaded on, -1 when none. Written only by
	 * the vCPU's own thread (vcpu_req_load(), vcpu_req_put()), and only
	 * while it is OUTSIDE_GUEST_MODE and not blocked; published to
	 * senders by the xchg of IN_GUEST_MODE or of blocked. Senders read it
	 * without a lock after winning the IN -> EXITING cmpxchg (or the
	 * blocked xchg): the value can be stale, which only sends a harmless
	 * IPI to the wrong CPU (docs/races.md, "Stale CPU number in a
	 * kick"; see vcpu_request.c).
	 */
	int cpu;

	/*
	 * enum vcpu_mode. The vCPU's own thread stores IN_GUEST_MODE with an
	 * xchg, a release and full barrier (vcpu_enter_guest_mode()), and
	 * OUTSIDE_GUEST_MODE with a release store. Senders read it with
	 * seq_cst loads and change it in one way only: cmpxchg IN_GUEST_MODE
	 * -> EXITING_GUEST_MODE, whose winner sends the kick.
	 */
	int mode;

	/*
	 * 1 while the vCPU is halted and wants a wake-up. Set to 1 only by
	 * the vCPU's own thread, with an xchg (vcpu_block_begin()); cleared
	 * with an xchg by the first of the wakers, which sends the wake-up
	 * IPI, or by the vCPU itself in vcpu_block_end().
	 */
	int blocked;

	/*
	 * Entry attempts so far: bumped by the vCPU's own thread, with a
	 * release store, just before every exchange of IN_GUEST_MODE. A WAIT
	 * sender that sees it move knows the vCPU left guest mode in between
	 * (vcpu_request.c, "Waiting").
	 */
	unsigned long entry_seq;

	/*
	 * Pending VCPU_REQ_* bits. Set by any CPU with an atomic OR (a full
	 * barrier), cleared only by the vCPU's own thread with an atomic AND
	 * in vcpu_check_request(). Every change after vcpu_req_init() must be
	 * such a read-modify-write: the acquire in vcpu_check_request()
	 * synchronises with every sender whose bit it consumes only because
	 * all of them sit in one release sequence.
	 */
	uint64_t requests;

	/*
	 * The vCPU's scheduler thread, NULL when its loop runs without one
	 * (hosted tests of the run loop). Set before the thread first runs,
	 * fixed after. A waker that ends a halt makes it runnable with
	 * sched_wake() instead of sending the wake-up IPI itself.
	 */
	struct sched_thread *thread;

	/* Statistics, for the monitor. Read with READ_ONCE(), anywhere. */
	/* Requests serviced, per number. Written by the vCPU's own thread. */
	uint64_t serviced[VCPU_REQ_NR];
	/*
	 * Kicks out of guest mode (cmpxchg won, IPI sent unless the kicker
	 * ran on the vCPU's CPU). Atomic add by senders.
	 */
	uint64_t kicks;
	/* Halts ended by a waker (xchg won). Atomic add by senders. */
	uint64_t wakeups;
};

/* Sets up v as vCPU id: OUTSIDE_GUEST_MODE, not loaded, no request. */
void vcpu_req_init(struct vcpu_req_state *v, unsigned int id);

/* Name of an enum vcpu_mode value, for logs and the monitor. */
const char *vcpu_mode_name(int mode);

/*
 * Sender side: any CPU, any context.
 */

/*
 * Makes request req (a VCPU_REQ_* number, optionally ORed with
 * VCPU_REQUEST_* flags) of v: sets its bit with a LOCK OR (a full
 * barrier), then wakes v if it is halted (unless VCPU_REQUEST_NO_WAKEUP),
 * else kicks it if it is in guest mode, and with VCPU_REQUEST_WAIT waits
 * as described at vcpus_make_request(). Everything the caller stored
 * before the call is visible to the vCPU once its vcpu_check_request(v,
 * req) returns true. Returns true if an IPI was sent.
 */
bool vcpu_make_request(struct vcpu_req_state *v, unsigned int req);

/*
 * Makes request req of several vCPUs at once: vcpus[0..nr-1] (NULL slots
 * are skipped), only those whose bit is set in mask (nr bits, stable for
 * the call; NULL means all), and never except (may be NULL). Only the set
 * bits of mask are visited. The physical CPUs to interrupt are collected
 * first and each gets one IPI after the walk.
 *
 * With VCPU_REQUEST_WAIT, returns only once each target has been, at some
 * point after its bit was set, outside guest mode: it was outside, or it
 * has left guest mode since (a vCPU that left, serviced the request and
 * re-entered counts, and does not hold the caller). So on return no target
 * runs guest code it entered before the request, and each one services the
 * request before its next entry. Whatever a target did before it left
 * guest mode is visible to the caller on return. A target loaded on the
 * calling CPU is not waited for: it cannot be in guest mode while its CPU
 * runs the caller. A target that does not leave guest mode after
 * lock_stuck_loops steps is reported once ("lock stuck: vcpu ...") and
 * waited for still: returning early would break the flush guarantee.
 *
 * Returns true if any IPI (kick or wake-up) was sent.
 */
bool vcpus_make_request(struct vcpu_req_state *const *vcpus, unsigned int nr,
			unsigned int req, const uint64_t *mask,
			struct vcpu_req_state *except);

/*
 * Forces v out of guest mode if, and only if, it is in guest mode: the
 * caller that moves it from IN_GUEST_MODE to EXITING_GUEST_MODE sends the
 * one IPI, so concurrent kicks send one IPI between them. No IPI to the
 * calling CPU (the vCPU cannot be running its guest there). The mode is
 * read with a seq_cst load, after the caller's earlier seq_cst atomics
 * (the read-modify-writes of asm/atomic.h): a vCPU that enters guest mode
 * after that load sees them. Returns true if an IPI was sent.
 */
bool vcpu_kick(struct vcpu_req_state *v);

/*
 * Ends v's halt if it is blocked (vcpu_block_begin()): clears the flag and
 * sends the wake-up IPI to v's CPU (none to the calling CPU, none if v is
 * not loaded). Concurrent wakers send one IPI between them. The flag is
 * read with a seq_cst load, after the caller's earlier seq_cst atomics: a
 * vCPU that blocks after that load sees them. Returns true if this call
 * ended a halt.
 */
bool vcpu_wake(struct vcpu_req_state *v);

/*
 * Receiver side: the vCPU's own thread, on the CPU it is loaded on.
 */

/*
 * Records that v now runs on this CPU. Called while v is outside guest
 * mode and not blocked, before vcpu_enter_guest_mode() on this CPU.
 */
void vcpu_req_load(struct vcpu_req_state *v);

/* Records that v left this CPU. Outside guest mode, not blocked. */
void vcpu_req_put(struct vcpu_req_state *v);

/*
 * Records that v's thread runs on this CPU again after a switch (it may
 * have moved while switched out). Outside guest mode; blocked or not.
 */
void vcpu_req_move(struct vcpu_req_state *v);

/*
 * Exchanges IN_GUEST_MODE into v->mode (a full barrier) and checks for
 * requests. Returns true if the caller may enter the guest now. Returns
 * false, with v back OUTSIDE_GUEST_MODE, if a request is pending or a
 * kick already arrived: the caller services its requests and tries
 * again. Call with interrupts disabled, as the last step before the VM
 * entry; nothing between it and the entry may make requests of v.
 */
bool vcpu_enter_guest_mode(struct vcpu_req_state *v);

/*
 * Stores OUTSIDE_GUEST_MODE with release after the VM exit, before
 * interrupts are enabled again. Everything the vCPU did before is visible
 * to a WAIT sender that sees it out.
 */
void vcpu_exit_guest_mode(struct vcpu_req_state *v);

/*
 * Blocks v (the guest executed HLT): exchanges 1 into the blocked flag (a
 * full barrier) and checks for requests. Returns true if v is now blocked:
 * the caller waits (HLT with interrupts enabled, the check of
 * vcpu_is_blocked() done with them disabled just before) until
 * vcpu_is_blocked() is false or a reason of its own to stop waiting comes,
 * then calls vcpu_block_end(). Returns false, not blocked, if a request is
 * pending: the caller services it first. A request sent with
 * VCPU_REQUEST_NO_WAKEUP while v is blocked does not end the halt.
 */
bool vcpu_block_begin(struct vcpu_req_state *v);

/*
 * Ends the blocked state, whoever ended the halt. Returns true if a waker
 * did (vcpu_wake() cleared the flag), false if the caller stops waiting on
 * its own.
 */
bool vcpu_block_end(struct vcpu_req_state *v);

/*
 * Tests and clears request req (flags in req are ignored), outside guest
 * mode only. Returns true if it was pending; the caller then services it
 * before the next entry. Acquire: what the senders of the consumed bit
 * stored before making the request is visible (pairs with their LOCK OR).
 */
bool vcpu_check_request(struct vcpu_req_state *v, unsigned int req);

/*
 * True if any request is pending. A hint, without ordering: use
 * vcpu_check_request() to consume a request and see its data.
 */
static inline bool vcpu_has_requests(const struct vcpu_req_state *v)
{
	return READ_ONCE(v->requests) != 0;
}

/* True if request req is pending; consumes nothing, orders nothing. */
static inline bool vcpu_test_request(const struct vcpu_req_state *v,
				     unsigned int req)
{
	return (READ_ONCE(v->requests) >> (req & VCPU_REQUEST_MASK)) & 1;
}

/*
 * True while v is blocked. Any CPU, for the halted vCPU's wait loop and
 * for reports. Acquire pairs with the xchg in vcpu_wake().
 */
static inline bool vcpu_is_blocked(const struct vcpu_req_state *v)
{
	return smp_load_acquire(&v->blocked) != 0;
}

#endif
