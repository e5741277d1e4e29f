/*
 * Shared by the hosted tests of the run loop and the exit dispatch
 * (tests/host/test_vcpu_run*.c): a fake backend and a VM rig.
 *
 * The fake backend is a struct backend_ops of test functions installed as
 * `backend`. Its run() plays exits from a script (or from a generator
 * function) and records what the core did meanwhile: events injected and
 * then delivered at the next entry, interrupt and NMI windows opened, the
 * RIP of every entry, states set, TLB flushes, dumps. interrupt_allowed()
 * and nmi_allowed() follow the contract of core/backend.h: false while an
 * event is queued, and as the guest's IF / a test's refusal say.
 *
 * The rig is a real VM (core/vm.c) with 1 MiB of guest RAM in memslot 0,
 * its vCPUs on fake backend vCPUs, and either platform: the test-payload
 * ABI or the virtual PC.
 */
#ifndef TESTS_HOST_TEST_VCPU_RUN_HARNESS_H
#define TESTS_HOST_TEST_VCPU_RUN_HARNESS_H

#include <pthread.h>

#include "core/lib/errno.h"
#include "core/payload/payload.h"
#include "core/pc/vpc.h"
#include "core/vcpu_run.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "tests/host/check.h"

#define ARENA_SIZE     MiB(64)
#define RAM_SIZE       MiB(48)
#define GUEST_PAGES    256		/* 1 MiB of guest RAM at gpa 0 */
#define FAKE_MAX_STEPS 16
#define FAKE_MAX_LOG   64

static const struct boot_mem_region ram_map[] = {
	{ 0x0, RAM_SIZE, BOOT_MEM_USABLE },
};

struct fake_vcpu;

/* One scripted exit; hook (optional) runs inside run() before it returns. */
struct fake_step {
	struct vm_exit exit;
	void (*hook)(struct fake_vcpu *f, struct vm_exit *exit);
};

struct fake_vcpu {
	struct backend_vcpu bv;		/* first: core/ sees only this */
	struct vcpu *vcpu;

	/* Where the exits come from: gen if set, else the script. */
	bool (*gen)(struct fake_vcpu *f, struct vm_exit *exit);
	struct fake_step script[FAKE_MAX_STEPS];
	unsigned int nr_steps, next_step;
	int run_error;			/* run() returns it when non-zero */
	unsigned long arg;		/* for gen and hooks */

	/* The guest's interruptibility, and refusals the test asks for. */
	bool nmi_blocked;
	unsigned int refuse_intr;	/* interrupt_allowed() false this many times */

	/* What the core did. */
	struct vm_event queued;		/* injected, delivered at the next entry */
	struct vm_event delivered[FAKE_MAX_LOG];
	unsigned int delivered_at[FAKE_MAX_LOG];	/* entry number */
	unsigned int nr_delivered;
	unsigned int runs;		/* atomic: read by the test thread */
	uint64_t entry_rip[FAKE_MAX_LOG];
	/* The run deadline core set and the host timer armed, per entry. */
	uint64_t run_deadline;
	uint64_t entry_deadline[FAKE_MAX_LOG], entry_timer[FAKE_MAX_LOG];
	bool intr_window, nmi_window;
	unsigned int intr_windows_opened, nmi_windows_opened;
	unsigned int tlb_flushes[3];
	uint64_t tsc_offset;		/* guest TSC = host TSC + this */
	struct guest_state state;
	unsigned int states_set;
	unsigned int dumps;
	bool loaded;

	/* Debug support (core/vcpu_debug.h). */
	struct backend_dregs dregs;
	uint32_t exc;			/* exception intercepts */
	unsigned int debug_ctl;		/* BACKEND_DEBUG_* */
	bool has_mtf;
	uint64_t entry_rflags[FAKE_MAX_LOG];
};

static struct fake_vcpu *fake_of(struct backend_vcpu *bv)
{
	return (struct fake_vcpu *)bv;
}

static inline struct fake_vcpu *fake_vcpu(struct vcpu *vcpu)
{
	return fake_of(vcpu->bv);
}

static int fake_probe(struct backend_caps *caps, const char **why)
{
	return 0;
}

static int fake_cpu_enable(void)
{
	return 0;
}

static void fake_cpu_disable(void)
{
}

static int fake_vcpu_create(unsigned int id, struct backend_vcpu **out)
{
	struct fake_vcpu *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->run_deadline = UINT64_MAX;
	f->bv.id = id;
	f->bv.cpu = -1;
	f->bv.regs.rflags = X86_RFLAGS_FIXED;
	*out = &f->bv;
	return 0;
}

static void fake_vcpu_destroy(struct backend_vcpu *bv)
{
	free(fake_of(bv));
}

static void fake_vcpu_load(struct backend_vcpu *bv)
{
	fake_of(bv)->loaded = true;
}

static void fake_vcpu_put(struct backend_vcpu *bv)
{
	fake_of(bv)->loaded = false;
}

static void fake_get_state(struct backend_vcpu *bv, struct guest_state *st)
{
	*st = fake_of(bv)->state;
	st->regs = bv->regs;
}

static int fake_set_state(struct backend_vcpu *bv, const struct guest_state *st)
{
	struct fake_vcpu *f = fake_of(bv);

	f->state = *st;
	bv->regs = st->regs;
	f->states_set++;
	return 0;
}

static int fake_get_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t *val)
{
	return -ENOENT;
}

static int fake_set_msr(struct backend_vcpu *bv, uint32_t msr, uint64_t val)
{
	return -ENOENT;
}

/* An entry: the queued event reaches the guest. Returns the entry's number. */
static inline unsigned int fake_enter(struct fake_vcpu *f)
{
	unsigned int entry = __atomic_fetch_add(&f->runs, 1, __ATOMIC_RELAXED);

	if (entry < FAKE_MAX_LOG) {
		f->entry_rip[entry] = f->bv.regs.rip;
		f->entry_rflags[entry] = f->bv.regs.rflags;
		f->entry_deadline[entry] = f->run_deadline;
		f->entry_timer[entry] = shim_timer_deadline_of(smp_processor_id());
	}
	if (f->queued.valid) {
		if (f->nr_delivered < FAKE_MAX_LOG) {
			f->delivered_at[f->nr_delivered] = entry;
			f->delivered[f->nr_delivered++] = f->queued;
		}
		f->queued.valid = false;
	}
	return entry;
}

/* An entry, then the next exit from the script or the generator. */
static int fake_run(struct backend_vcpu *bv, struct vm_exit *exit)
{
	struct fake_vcpu *f = fake_of(bv);

	if (f->run_error) {
		__atomic_fetch_add(&f->runs, 1, __ATOMIC_RELAXED);
		return f->run_error;
	}
	fake_enter(f);
	memset(exit, 0, sizeof(*exit));
	if (f->gen) {
		if (f->gen(f, exit))
			return 0;
	} else if (f->next_step < f->nr_steps) {
		const struct fake_step *s = &f->script[f->next_step++];

		*exit = s->exit;
		if (s->hook)
			s->hook(f, exit);
		return 0;
	}
	/* The script is over: the VM ends here. */
	vm_stop(f->vcpu->vm, "script over");
	exit->reason = EXIT_PAUSE;
	return 0;
}

static int fake_inject_event(struct backend_vcpu *bv, const struct vm_event *ev)
{
	struct fake_vcpu *f = fake_of(bv);

	if (f->queued.valid)
		return -EBUSY;
	if (!vm_event_valid(ev))
		return -EINVAL;
	f->queued = *ev;
	return 0;
}

static bool fake_interrupt_allowed(struct backend_vcpu *bv)
{
	struct fake_vcpu *f = fake_of(bv);

	if (f->refuse_intr) {
		f->refuse_intr--;
		return false;
	}
	return !f->queued.valid && (bv->regs.rflags & X86_RFLAGS_IF);
}

static bool fake_nmi_allowed(struct backend_vcpu *bv)
{
	struct fake_vcpu *f = fake_of(bv);

	return !f->queued.valid && !f->nmi_blocked;
}

static void fake_set_intr_window(struct backend_vcpu *bv, bool on)
{
	struct fake_vcpu *f = fake_of(bv);

	if (on && !f->intr_window)
		f->intr_windows_opened++;
	f->intr_window = on;
}

static void fake_set_nmi_window(struct backend_vcpu *bv, bool on)
{
	struct fake_vcpu *f = fake_of(bv);

	if (on && !f->nmi_window)
		f->nmi_windows_opened++;
	f->nmi_window = on;
}

static void fake_set_run_deadline(struct backend_vcpu *bv, uint64_t deadline_ns)
{
	fake_of(bv)->run_deadline = deadline_ns;
}

static void fake_tlb_flush(struct backend_vcpu *bv, enum backend_tlb_scope scope)
{
	fake_of(bv)->tlb_flushes[scope]++;
}

static int fake_set_tdp_root(struct backend_vcpu *bv, paddr_t root, unsigned int levels)
{
	return 0;
}

static int fake_set_msr_intercept(struct backend_vcpu *bv, uint32_t msr, bool read,
				  bool write)
{
	return 0;
}

static int fake_set_io_intercept(struct backend_vcpu *bv, uint32_t port, uint32_t count,
				 bool on)
{
	return 0;
}

static uint64_t fake_get_tsc_offset(struct backend_vcpu *bv)
{
	return fake_of(bv)->tsc_offset;
}

static void fake_set_tsc_offset(struct backend_vcpu *bv, uint64_t offset)
{
	fake_of(bv)->tsc_offset = offset;
}

static void fake_dump(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	fake_of(bv)->dumps++;
	print(ctx, "fake vCPU %u: rip %#llx", bv->id, (unsigned long long)bv->regs.rip);
}

static int fake_set_exception_intercept(struct backend_vcpu *bv, unsigned int vector, bool on)
{
	struct fake_vcpu *f = fake_of(bv);

	if (vector >= 32)
		return -EINVAL;
	f->exc = on ? f->exc | BIT(vector) : f->exc & ~BIT(vector);
	return 0;
}

static void fake_get_dregs(struct backend_vcpu *bv, struct backend_dregs *d)
{
	*d = fake_of(bv)->dregs;
}

static void fake_set_dregs(struct backend_vcpu *bv, const struct backend_dregs *d)
{
	fake_of(bv)->dregs = *d;
}

static int fake_set_debug_ctl(struct backend_vcpu *bv, unsigned int flags)
{
	struct fake_vcpu *f = fake_of(bv);

	if ((flags & BACKEND_DEBUG_MTF) && !f->has_mtf)
		return -ENOTSUP;
	f->debug_ctl = flags;
	return 0;
}

static const struct backend_ops fake_backend_ops = {
	.name = "fake",
	.probe = fake_probe,
	.cpu_enable = fake_cpu_enable,
	.cpu_disable = fake_cpu_disable,
	.vcpu_create = fake_vcpu_create,
	.vcpu_destroy = fake_vcpu_destroy,
	.vcpu_load = fake_vcpu_load,
	.vcpu_put = fake_vcpu_put,
	.get_state = fake_get_state,
	.set_state = fake_set_state,
	.get_msr = fake_get_msr,
	.set_msr = fake_set_msr,
	.run = fake_run,
	.inject_event = fake_inject_event,
	.interrupt_allowed = fake_interrupt_allowed,
	.nmi_allowed = fake_nmi_allowed,
	.set_intr_window = fake_set_intr_window,
	.set_nmi_window = fake_set_nmi_window,
	.tlb_flush = fake_tlb_flush,
	.set_tdp_root = fake_set_tdp_root,
	.set_msr_intercept = fake_set_msr_intercept,
	.set_io_intercept = fake_set_io_intercept,
	.get_tsc_offset = fake_get_tsc_offset,
	.set_tsc_offset = fake_set_tsc_offset,
	.dump = fake_dump,
	.set_exception_intercept = fake_set_exception_intercept,
	.get_dregs = fake_get_dregs,
	.set_dregs = fake_set_dregs,
	.set_debug_ctl = fake_set_debug_ctl,
	.set_run_deadline = fake_set_run_deadline,
};

/* Appends a scripted exit: reason, instruction length, 32-bit mode. */
static inline struct vm_exit *fake_push(struct fake_vcpu *f, enum vm_exit_reason reason,
				 unsigned int insn_len)
{
	struct fake_step *s;

	if (f->nr_steps >= FAKE_MAX_STEPS) {
		fprintf(stderr, "  script too long\n");
		exit(2);
	}
	s = &f->script[f->nr_steps++];
	memset(s, 0, sizeof(*s));
	s->exit.reason = reason;
	s->exit.insn_len = (uint8_t)insn_len;
	s->exit.guest.mode = GUEST_MODE_PROT32;
	return &s->exit;
}

static inline void fake_push_hook(struct fake_vcpu *f, enum vm_exit_reason reason,
			   void (*hook)(struct fake_vcpu *f, struct vm_exit *exit))
{
	fake_push(f, reason, 0);
	f->script[f->nr_steps - 1].hook = hook;
}

/* ------------------------------------------------------------------------
 * The rig: a VM with guest RAM, fake vCPUs and a platform.
 */

enum rig_platform { RIG_PAYLOAD, RIG_PC };

struct rig {
	struct vm *vm;
	paddr_t ram;
	/* The virtual PC's COM1 output and power requests. */
	char com1[256];
	unsigned int com1_len;
	unsigned int power_events;
	int pc_err;		/* vpc_create()'s result (a RIG_PC with rig_pc_params) */
};

static void rig_com1_tx(void *ctx, uint8_t byte)
{
	struct rig *r = ctx;

	if (r->com1_len < sizeof(r->com1) - 1)
		r->com1[r->com1_len++] = (char)byte;
}

static void rig_power(void *ctx, enum vdev_power_event ev)
{
	((struct rig *)ctx)->power_events++;
}

static uint64_t rig_wall_ns(void)
{
	return 1700000000ull * 1000000000ull;
}

/* Adds to the parameters of the next RIG_PC's virtual PC (its optional devices); NULL: none. */
static void (*rig_pc_params)(struct vpc_params *pp);

static void rig_init(struct rig *r, enum rig_platform platform, unsigned int nr_vcpus)
{
	struct vm_params p = {
		.name = platform == RIG_PC ? "pc" : "payload", .tdp = BACKEND_TDP_NPT,
		.tdp_levels = 4, .tdp_max_leaf = TDP_LEVEL_4K, .max_vcpus = nr_vcpus,
		.extra_readers = 1,	/* the monitor's, as the VM builder leaves one */
	};
	struct vcpu *vcpu;

	memset(r, 0, sizeof(*r));
	backend = &fake_backend_ops;
	if (vm_create(&p, &r->vm) || frame_alloc_contig(GUEST_PAGES, 1, &r->ram)) {
		fprintf(stderr, "  cannot build the VM\n");
		exit(2);
	}
	memset(phys_to_virt(r->ram), 0, GUEST_PAGES * PAGE_SIZE);
	CHECK_EQ(memslots_create(&r->vm->memslots, 0, 0, GUEST_PAGES, r->ram, 0), 0);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		CHECK_EQ(vm_vcpu_create(r->vm, &vcpu), 0);
		CHECK_EQ(backend_vcpu_create(i, &vcpu->bv), 0);
		fake_vcpu(vcpu)->vcpu = vcpu;
	}
	if (platform == RIG_PAYLOAD) {
		CHECK_EQ(payload_platform_attach(r->vm), 0);
	} else {
		struct vpc_params pp = {
			.ram_low = GUEST_PAGES * PAGE_SIZE, .wall_ns = rig_wall_ns,
			.console_tx = rig_com1_tx, .console_ctx = r,
			.power = { .event = rig_power, .ctx = r },
		};

		if (rig_pc_params)
			rig_pc_params(&pp);
		r->pc_err = vpc_create(r->vm, &pp);
		if (!rig_pc_params)
			CHECK_EQ(r->pc_err, 0);
		for (unsigned int i = 0; i < nr_vcpus && !r->pc_err; i++)
			CHECK_EQ(vpc_vcpu_set_start(r->vm->vcpus[i], NULL), 0);
	}
	for (unsigned int i = 0; i < nr_vcpus; i++)
		fake_vcpu(r->vm->vcpus[i])->bv.regs.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF;
}

static inline struct vcpu *rig_vcpu(struct rig *r, unsigned int i)
{
	return r->vm->vcpus[i];
}

static void rig_destroy(struct rig *r)
{
	struct vm *vm = r->vm;

	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		backend_vcpu_destroy(vm->vcpus[i]->bv);
	memslots_delete(&vm->memslots, 0);
	vm_destroy(vm);
	frame_free_contig(r->ram, GUEST_PAGES);
}

/* A vCPU thread: the run loop on hosted CPU w->cpu. */
static inline void rig_vcpu_thread(struct worker *w)
{
	vcpu_run(w->arg);
}

/* Waits (up to 5 s) until the vCPU's loop is blocked (HLT, wait-for-SIPI). */
static inline bool rig_wait_blocked(struct vcpu *vcpu)
{
	uint64_t deadline = time_now_ns() + 5000000000ull;

	while (time_now_ns() < deadline) {
		if (vcpu_is_blocked(&vcpu->req))
			return true;
		shim_pause();
	}
	return false;
}

/* Sleeps ms milliseconds (a blocked vCPU must stay blocked meanwhile). */
static inline void rig_sleep_ms(unsigned int ms)
{
	uint64_t end = time_now_ns() + ms * 1000000ull;

	while (time_now_ns() < end)
		shim_pause();
}

static void rig_harness_init(void)
{
	shim_phys_arena(0, ARENA_SIZE);
	if (frame_init(ram_map, ARRAY_SIZE(ram_map), NULL, 0)) {
		fprintf(stderr, "frame_init failed\n");
		exit(2);
	}
	heap_init();
	backend = &fake_backend_ops;
	if (backend_ops_missing(backend)) {
		fprintf(stderr, "fake backend lacks %s\n", backend_ops_missing(backend));
		exit(2);
	}
}

#endif
