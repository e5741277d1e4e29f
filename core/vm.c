/*
 * VM and vCPU lifetime, and the VM-wide request helpers. Creation and
 * teardown run on a host CPU outside any vCPU; vm_make_request() and
 * vm_flush_remote_tlbs() run anywhere but with no lock held that a vCPU
 * needs in order to leave guest mode (they may wait for every vCPU).
 */
#include <stdarg.h>

#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/vm.h"
#include "core/vm_platform.h"
#include "mm/frame.h"

/*
 * VMs and vCPUs hold cache-line-aligned parts (the MMU's lock and
 * counters, the srcu reader slot), so they get whole zeroed frames rather
 * than heap objects (16-byte aligned).
 */
static void *vm_alloc_frames(size_t size)
{
	size_t n = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	paddr_t pa;
	void *p;

	if (frame_alloc_contig(n, 1, &pa))
		return NULL;
	p = phys_to_virt(pa);
	memset(p, 0, n * PAGE_SIZE);
	return p;
}

static void vm_free_frames(void *p, size_t size)
{
	frame_free_contig(virt_to_phys(p), ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE);
}

static void vm_tlb_flush_hook(void *ctx)
{
	vm_flush_remote_tlbs(ctx);
}

/* The TDP MMU's table encoding for the backend's format. */
static const struct spte_format *vm_spte_format(enum backend_tdp_format tdp)
{
	return tdp == BACKEND_TDP_EPT ? &spte_format_ept : &spte_format_npt;
}

int vm_create(const struct vm_params *p, struct vm **out)
{
	struct tdp_mmu_params mp;
	struct vm *vm;
	int err;

	if (!p->max_vcpus || p->max_vcpus > VM_MAX_VCPUS)
		return -EINVAL;
	vm = vm_alloc_frames(sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	hv_strlcpy(vm->name, p->name ? p->name : "vm", sizeof(vm->name));
	vm->max_vcpus = p->max_vcpus;
	spin_lock_init(&vm->lock);

	err = memslots_init(&vm->memslots, p->max_vcpus + p->extra_readers,
			    &tdp_mmu_memslots_ops, &vm->mmu);
	if (err)
		goto free_vm;

	mp = (struct tdp_mmu_params){
		.fmt = vm_spte_format(p->tdp),
		.levels = p->tdp_levels ? p->tdp_levels : 4,
		.max_leaf_level = p->tdp_max_leaf ? p->tdp_max_leaf : TDP_LEVEL_2M,
		.slots = &vm->memslots,
		.flush_remote_tlbs = vm_tlb_flush_hook,
		.flush_ctx = vm,
	};
	err = tdp_mmu_init(&vm->mmu, &mp);
	if (err)
		goto destroy_memslots;
	*out = vm;
	return 0;

destroy_memslots:
	memslots_destroy(&vm->memslots);
free_vm:
	vm_free_frames(vm, sizeof(*vm));
	return err;
}

/*
 * The kick of a vCPU's timers (core/vtimer.h): another CPU armed a timer
 * on this vCPU or moved one to it, possibly earlier than the deadline the
 * vCPU's CPU is armed for. vtimer_start() and vtimer_migrate() call it
 * after vtimer_unlock_pair(), never under a vtimer lock; the request
 * takes no lock either (a sender without VCPU_REQUEST_WAIT never spins),
 * so a device lock held around the timer call is harmless.
 *
 * VCPU_REQ_TIMER sends the vCPU back through a point that re-reads
 * vtimer_next_deadline() and re-arms its CPU's one-shot: a vCPU in guest
 * mode is kicked out and re-arms before its next entry; a halted one is
 * woken, re-arms in vcpu_block() and halts again (the request does not
 * end the halt). Ordering: the timer is on the list before our unlock;
 * the request's LOCK OR comes after it, and the vCPU's consumption of the
 * bit (an acquire, pair 3 of core/vcpu_request.c) comes before its next
 * vtimer_next_deadline(), which takes the same vtimer lock: it sees the
 * new timer. If it finds the bit only after it re-armed, the kick's
 * wake-up is on its way and ends that halt (pair 2).
 */
static void vcpu_timer_kick(struct vtimer_vcpu *v)
{
	struct vcpu *vcpu = container_of(v, struct vcpu, timers);

	/*
	 * The vCPU's own loop (an exit handler programming its local APIC's
	 * timer) needs no kick: it re-reads the deadline before it enters or
	 * halts again. A vCPU is loaded on this CPU only while its loop runs
	 * here, and the loop's own stores to req.cpu are never stale on its
	 * own CPU. With a scheduler thread, req.cpu may name this CPU while
	 * another thread runs here (the vCPU blocked or was preempted): only
	 * the vCPU's own thread skips the kick.
	 */
	if (READ_ONCE(vcpu->req.cpu) == (int)smp_processor_id() &&
	    (!vcpu->req.thread || sched_current() == vcpu->req.thread))
		return;
	vcpu_make_request(&vcpu->req, VCPU_REQ_TIMER);
}

/*
 * The vCPU's flight recorder ring: frames of its own (page-aligned, so
 * no entry shares a cache line with anything else), zeroed.
 */
static int vcpu_rec_alloc(struct vcpu *vcpu)
{
	unsigned int len = exit_rec_default_len();
	struct exit_rec_entry *ring = NULL;

	if (len) {
		ring = vm_alloc_frames(len * sizeof(*ring));
		if (!ring)
			return -ENOMEM;
	}
	exit_rec_init(&vcpu->rec, ring, len);
	return 0;
}

static void vcpu_rec_free(struct vcpu *vcpu)
{
	if (vcpu->rec.ring)
		vm_free_frames(vcpu->rec.ring, exit_rec_len(&vcpu->rec) * sizeof(*vcpu->rec.ring));
}

int vm_vcpu_create(struct vm *vm, struct vcpu **out)
{
	struct vcpu *vcpu;
	unsigned int id;
	int err;

	vcpu = vm_alloc_frames(sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	err = vcpu_rec_alloc(vcpu);
	if (err)
		goto free_vcpu;
	spin_lock(&vm->lock);
	id = vm->nr_vcpus;
	if (id >= vm->max_vcpus) {
		err = -ENOSPC;
		goto unlock;
	}
	err = srcu_reader_register(&vm->memslots.srcu, &vcpu->srcu);
	if (err)
		goto unlock;
	vcpu->id = id;
	vcpu->vm = vm;
	vcpu->host_cpu = -1;
	vcpu_ctl_init(&vcpu->ctl);
	vcpu_req_init(&vcpu->req, id);
	vtimer_vcpu_init(&vcpu->timers, id, vcpu_timer_kick);
	vm->vcpus[id] = vcpu;
	vm->reqs[id] = &vcpu->req;
	/* Pairs with the acquire load in vm_nr_vcpus(). */
	smp_store_release(&vm->nr_vcpus, id + 1);
	spin_unlock(&vm->lock);
	*out = vcpu;
	return 0;

unlock:
	spin_unlock(&vm->lock);
	vcpu_rec_free(vcpu);
free_vcpu:
	vm_free_frames(vcpu, sizeof(*vcpu));
	return err;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	vm_platform_destroy(vm);
	spin_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = vm->vcpus[i];

		BUG_ON(READ_ONCE(vcpu->req.mode) != OUTSIDE_GUEST_MODE);
		vtimer_vcpu_destroy(&vcpu->timers);
		srcu_reader_unregister(&vm->memslots.srcu, &vcpu->srcu);
	}
	spin_unlock(&vm->lock);
	/* The MMU's reclaim still synchronises the memslots' epoch. */
	tdp_mmu_destroy(&vm->mmu);
	memslots_destroy(&vm->memslots);
	for (i = 0; i < vm->nr_vcpus; i++) {
		vcpu_rec_free(vm->vcpus[i]);
		vm_free_frames(vm->vcpus[i], sizeof(struct vcpu));
	}
	vm_free_frames(vm, sizeof(*vm));
}

bool vm_make_request(struct vm *vm, unsigned int req, const uint64_t *mask)
{
	return vcpus_make_request(vm->reqs, vm_nr_vcpus(vm), req, mask, NULL);
}

void vm_flush_remote_tlbs(struct vm *vm)
{
	vm_make_request(vm, VCPU_REQ_TLB_FLUSH | VCPU_REQUEST_WAIT, NULL);
}

static void vm_vstop(struct vm *vm, bool error, const char *fmt, va_list ap)
{
	int expected = 0;

	if (!__atomic_compare_exchange_n(&vm->stopped, &expected, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	hv_vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	vm->stop_error = error;
	/* What the guest wrote before it stopped comes out before the report. */
	if (vm->stop_notify)
		vm->stop_notify(vm, vm->stop_ctx);
	pr_info("vm %s: stopping: %s", vm->name, vm->stop_reason);
	vm_make_request(vm, VCPU_REQ_STOP, NULL);
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vstop(vm, false, fmt, ap);
	va_end(ap);
}

void vm_stop_error(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vstop(vm, true, fmt, ap);
	va_end(ap);
}
