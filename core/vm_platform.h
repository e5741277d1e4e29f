/*
 * The platform of a VM: what surrounds its vCPUs besides the CPU itself
 * (where interrupts come from, what answers a port or a device page, which
 * MSRs and hypercalls exist, how a vCPU starts). The run loop
 * (core/vcpu_run.c) and the exit dispatch (core/vcpu_exit.c) reach it
 * through this table only and never ask which platform a VM has. Two
 * implementations: the virtual PC (core/pc/vpc.c) and the test-payload ABI
 * (core/payload/payload_platform.c).
 *
 * Where the code runs: every entry that takes a vCPU runs on that vCPU's
 * own thread, interrupts on, no lock held; destroy() runs on the CPU that
 * tears the VM down, with no vCPU running. The table is set, with
 * vm->platform_data and each vcpu->platform_data, before any vCPU of the
 * VM runs (their start is a release) and never changes afterwards.
 *
 * Mandatory entries:
 *  inject_pending(vcpu): deliver the highest-priority pending event, or
 *    open the window for it (vcpu_deliver_event() does the common step).
 *  irq_pending(vcpu): an interrupt waits (the guest may still mask it).
 *  destroy(vm): stop the platform's timers and free its data.
 * Optional entries (the wrappers below say what their absence means):
 *  vcpu_runnable(vcpu): takes pending start-up signals (INIT, SIPI) into
 *    the vCPU's state; false while it waits for one. Absent: always true.
 *  vcpu_start_ready(vcpu): the condition that ends that wait (mandatory
 *    with vcpu_runnable).
 *  wake_pending(vcpu): an event that ends HLT whatever RFLAGS.IF says
 *    (NMI, INIT). Absent: none.
 *  port_io(vcpu, port, size, in, val): 0 done (an IN's value in *val),
 *    -ENOENT no device (reads all ones, writes dropped), -ECANCELED the
 *    platform stopped the VM. Absent: no port has a device.
 *  mmio(vcpu, exit, why, len): a TDP fault outside every memslot, or a
 *    write to a read-only one (the PC's ROM). 0 done, -ENOENT nothing of
 *    the platform's there (the VM stops with the address), another error:
 *    the access cannot be emulated, *why says how (the VM stops).
 *    Absent: no device pages, no ROM.
 *  rdmsr / wrmsr(vcpu, msr, val): 0 done, -EINVAL the guest gets #GP,
 *    -ENOENT not the platform's MSR (the core's policy decides).
 *  hypercall(vcpu): VMCALL/VMMCALL with the registers in vcpu->bv->regs;
 *    0 done (RIP advances), -ENOSYS no hypervisor interface. Absent: the
 *    guest gets #UD, as on a machine without a hypervisor.
 *  exit_begin(vcpu): after each exit, before it is handled (state the
 *    guest changed in its memory without an exit is taken in first).
 *  exit_done(vcpu): after each handled exit (cheap polls).
 *  vcpu_load(vcpu): the vCPU was just loaded on the CPU that runs it
 *    (after backend_vcpu_load()), before it enters the guest: state that
 *    depends on the CPU or on the backend's TSC offset is refreshed.
 *  kvm_features(vcpu, features): the VM offers KVM's paravirtual
 *    interface (asm/kvm_para.h); *features gets its KVM_FEATURE_* bits.
 *    Any thread of the VM. Absent, or false: no KVM leaves in CPUID.
 *  dump(vcpu, print, ctx): the platform's per-vCPU state, after the
 *    registers in an error report.
 */
#ifndef CORE_VM_PLATFORM_H
#define CORE_VM_PLATFORM_H

#include "core/vm.h"

#define VM_PLATFORM_OPS(M, O)							\
	M(void, inject_pending, (struct vcpu *vcpu))				\
	M(bool, irq_pending, (struct vcpu *vcpu))				\
	M(void, destroy, (struct vm *vm))					\
	O(bool, vcpu_runnable, (struct vcpu *vcpu))				\
	O(bool, vcpu_start_ready, (struct vcpu *vcpu))				\
	O(bool, wake_pending, (struct vcpu *vcpu))				\
	O(int, port_io, (struct vcpu *vcpu, uint16_t port, unsigned int size,	\
			 bool in, uint32_t *val))				\
	O(int, mmio, (struct vcpu *vcpu, const struct vm_exit *exit, char *why,	\
		      size_t len))						\
	O(int, rdmsr, (struct vcpu *vcpu, uint32_t msr, uint64_t *val))	\
	O(int, wrmsr, (struct vcpu *vcpu, uint32_t msr, uint64_t val))		\
	O(int, hypercall, (struct vcpu *vcpu))					\
	O(void, exit_begin, (struct vcpu *vcpu))				\
	O(void, exit_done, (struct vcpu *vcpu))				\
	O(void, vcpu_load, (struct vcpu *vcpu))				\
	O(bool, kvm_features, (const struct vcpu *vcpu, uint32_t *features))	\
	O(void, dump, (struct vcpu *vcpu, backend_print_fn print, void *ctx))

struct vm_platform_ops {
	const char *name;	/* "pc", "payload" */
	/*
	 * The platform emulates each vCPU's local APIC with x2APIC mode and
	 * the TSC-deadline timer, MSRs included: CPUID offers both (core/cpuid.c).
	 */
	bool x2apic_lapic;
#define VM_PLATFORM_OP_FIELD(ret, op, args) ret (*op) args;
	VM_PLATFORM_OPS(VM_PLATFORM_OP_FIELD, VM_PLATFORM_OP_FIELD)
#undef VM_PLATFORM_OP_FIELD
};

/* Name of the first mandatory entry ops lacks, or NULL if none. */
static inline const char *vm_platform_ops_missing(const struct vm_platform_ops *ops)
{
#define VM_PLATFORM_OP_CHECK(ret, op, args) if (!ops->op) return #op;
#define VM_PLATFORM_OP_SKIP(ret, op, args)
	VM_PLATFORM_OPS(VM_PLATFORM_OP_CHECK, VM_PLATFORM_OP_SKIP)
#undef VM_PLATFORM_OP_CHECK
#undef VM_PLATFORM_OP_SKIP
	if (!!ops->vcpu_runnable != !!ops->vcpu_start_ready)
		return "vcpu_start_ready";
	return NULL;
}

/*
 * Makes ops (with its VM-wide data) the platform of vm. Before any vCPU of
 * vm runs; a table without a mandatory entry is a hypervisor bug.
 */
static inline void vm_platform_attach(struct vm *vm, const struct vm_platform_ops *ops,
				      void *data)
{
	const char *missing = vm_platform_ops_missing(ops);

	if (missing)
		panic("platform %s lacks mandatory entry %s", ops->name, missing);
	vm->platform_data = data;
	vm->platform = ops;
}

/* Stops and frees vm's platform, if it has one. No vCPU may run. */
static inline void vm_platform_destroy(struct vm *vm)
{
	const struct vm_platform_ops *ops = vm->platform;

	if (!ops)
		return;
	ops->destroy(vm);
	vm->platform = NULL;
	vm->platform_data = NULL;
}

/* ------------------------------------------------------------------------
 * Wrappers: the only way the run loop reaches the table.
 */

static inline void vm_platform_inject_pending(struct vcpu *vcpu)
{
	vcpu->vm->platform->inject_pending(vcpu);
}

static inline bool vm_platform_irq_pending(struct vcpu *vcpu)
{
	return vcpu->vm->platform->irq_pending(vcpu);
}

static inline bool vm_platform_vcpu_runnable(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	return !ops->vcpu_runnable || ops->vcpu_runnable(vcpu);
}

static inline bool vm_platform_vcpu_start_ready(struct vcpu *vcpu)
{
	return vcpu->vm->platform->vcpu_start_ready(vcpu);
}

static inline bool vm_platform_wake_pending(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	return ops->wake_pending && ops->wake_pending(vcpu);
}

static inline int vm_platform_port_io(struct vcpu *vcpu, uint16_t port, unsigned int size,
				      bool in, uint32_t *val)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (!ops->port_io)
		return -ENOENT;
	return ops->port_io(vcpu, port, size, in, val);
}

static inline int vm_platform_mmio(struct vcpu *vcpu, const struct vm_exit *exit,
				   char *why, size_t len)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (!ops->mmio)
		return -ENOENT;
	return ops->mmio(vcpu, exit, why, len);
}

static inline int vm_platform_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (!ops->rdmsr)
		return -ENOENT;
	return ops->rdmsr(vcpu, msr, val);
}

static inline int vm_platform_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (!ops->wrmsr)
		return -ENOENT;
	return ops->wrmsr(vcpu, msr, val);
}

static inline int vm_platform_hypercall(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (!ops->hypercall)
		return -ENOSYS;
	return ops->hypercall(vcpu);
}

static inline void vm_platform_exit_begin(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (ops->exit_begin)
		ops->exit_begin(vcpu);
}

static inline void vm_platform_exit_done(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (ops->exit_done)
		ops->exit_done(vcpu);
}

static inline void vm_platform_vcpu_load(struct vcpu *vcpu)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (ops->vcpu_load)
		ops->vcpu_load(vcpu);
}

static inline bool vm_platform_kvm_features(const struct vcpu *vcpu, uint32_t *features)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	return ops && ops->kvm_features && ops->kvm_features(vcpu, features);
}

static inline void vm_platform_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx)
{
	const struct vm_platform_ops *ops = vcpu->vm->platform;

	if (ops->dump)
		ops->dump(vcpu, print, ctx);
}

#endif
