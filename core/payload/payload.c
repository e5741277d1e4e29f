/*
 * Test-payload VMs. Boot CPU: builds the VM (guest RAM in one memslot,
 * the payload copied in, vCPUs in real mode at the entry), starts vCPU i
 * on physical CPU i (vCPU 0 on this CPU, synchronously), and waits for
 * the last vCPU loop to end. A payload that cannot run is an error line;
 * the hypervisor goes on with the next one.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/payload/payload.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/launch/vm_launch.h"
#include "mm/frame.h"

#define SEG_REAL_CODE (SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_CODE_XRA)
#define SEG_REAL_DATA (SEG_ATTR_P | SEG_ATTR_S | SEG_TYPE_DATA_RWA)
#define GUEST_STACK_PER_VCPU 0x100

static bool name_is_payload(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".bin") == 0;
}

/* The state of an x86 CPU after INIT, at entry (real mode, CS:IP = 0:entry). */
static void payload_reset_state(struct guest_state *st, uint64_t entry, unsigned int id)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < SEG_COUNT; i++) {
		st->seg[i].limit = 0xffff;
		st->seg[i].attr = SEG_REAL_DATA;
	}
	st->seg[SEG_CS].attr = SEG_REAL_CODE;
	st->seg[SEG_LDTR].attr = SEG_ATTR_P | SEG_TYPE_LDT;
	st->seg[SEG_TR].attr = SEG_ATTR_P | SEG_TYPE_TSS16_BUSY;
	st->gdtr.limit = 0xffff;
	st->idtr.limit = 0x3ff;
	st->cr0 = X86_CR0_RESET;
	st->regs.rip = entry;
	st->regs.rflags = X86_RFLAGS_FIXED;
	st->regs.gpr[GPR_RSI] = id;
	st->regs.gpr[GPR_RSP] = PAYLOAD_LOAD_GPA - id * GUEST_STACK_PER_VCPU;
	st->pat = PAT_RESET;
	st->dr6 = X86_DR6_RESET;
	st->dr7 = X86_DR7_RESET;
}

static void vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	vcpu_run(vcpu);
	/* Pairs with the acquire load of the waiting boot CPU. */
	__atomic_sub_fetch(&vcpu->vm->running, 1, __ATOMIC_RELEASE);
}

static int payload_setup_vcpus(struct vm *vm, unsigned int n, uint64_t entry)
{
	struct guest_state st;
	struct vcpu *vcpu;
	int err;

	for (unsigned int i = 0; i < n; i++) {
		err = vm_vcpu_create(vm, &vcpu);
		if (err)
			return err;
		err = backend_vcpu_create(i, &vcpu->bv);
		if (err)
			return err;
		err = backend_set_tdp_root(vcpu->bv, vm->mmu.root_pa, (unsigned int)vm->mmu.levels);
		if (err)
			return err;
		payload_reset_state(&st, entry, i);
		err = backend_set_state(vcpu->bv, &st);
		if (err)
			return err;
	}
	return 0;
}

static void payload_report(struct vm *vm)
{
	pr_info("vm %s: ended: %s", vm->name, vm->stop_reason);
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exits(vm->vcpus[i]);
}

static void payload_teardown(struct vm *vm, paddr_t ram, size_t frames)
{
	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++)
		if (vm->vcpus[i]->bv)
			backend_vcpu_destroy(vm->vcpus[i]->bv);
	memslots_delete(&vm->memslots, 0);
	vm_destroy(vm);
	frame_free_contig(ram, frames);
}

static int payload_run(const struct boot_file *f)
{
	const struct payload_header *h = phys_to_virt(f->base);
	unsigned int vcpus, cpus = platform_nr_cpus();
	struct vm_params p = { .name = f->name, .tdp_levels = 4 };
	size_t frames;
	paddr_t ram;
	struct vm *vm;
	int err;

	if (f->size < sizeof(*h) || h->magic != PAYLOAD_MAGIC) {
		pr_err("payload %s: not a test payload (bad header)", f->name);
		return -ENOEXEC;
	}
	if (f->size > PAYLOAD_MAX_SIZE || h->entry >= f->size) {
		pr_err("payload %s: too large or entry outside the file", f->name);
		return -ENOEXEC;
	}
	vcpus = h->vcpus ? h->vcpus : 1;
	if (vcpus > cpus || vcpus > VM_MAX_VCPUS) {
		pr_err("payload %s: wants %u vCPUs, %u CPUs are online", f->name, vcpus, cpus);
		return -ENOSPC;
	}
	frames = (size_t)(h->mem_mib ? h->mem_mib : PAYLOAD_DEFAULT_MIB) << (20 - PAGE_SHIFT);
	err = frame_alloc_contig(frames, 512, &ram);
	if (err) {
		pr_err("payload %s: no memory for %zu MiB of guest RAM", f->name,
		       frames >> (20 - PAGE_SHIFT));
		return err;
	}
	memset(phys_to_virt(ram), 0, frames * PAGE_SIZE);
	memcpy((uint8_t *)phys_to_virt(ram) + PAYLOAD_LOAD_GPA, h, f->size);

	p.tdp = backend_caps.tdp_format == BACKEND_TDP_EPT ? TDP_KIND_EPT : TDP_KIND_NPT;
	p.tdp_max_leaf = (backend_caps.tdp_large & BACKEND_TDP_2M) ? TDP_LEVEL_2M : TDP_LEVEL_4K;
	p.max_vcpus = vcpus;
	err = vm_create(&p, &vm);
	if (err) {
		frame_free_contig(ram, frames);
		pr_err("payload %s: cannot create the VM: %s", f->name, errno_name(err));
		return err;
	}
	err = memslots_create(&vm->memslots, 0, 0, frames, ram, 0);
	if (!err)
		err = payload_setup_vcpus(vm, vcpus, PAYLOAD_LOAD_GPA + h->entry);
	if (!err)
		err = payload_platform_attach(vm);
	if (err) {
		pr_err("payload %s: cannot set up the VM: %s", f->name, errno_name(err));
		payload_teardown(vm, ram, frames);
		return err;
	}
	pr_info("vm %s: %u vCPU(s), %zu MiB, entry %#llx (real mode)", vm->name, vcpus,
		frames >> (20 - PAGE_SHIFT), (unsigned long long)(PAYLOAD_LOAD_GPA + h->entry));

	vm->running = vcpus;
	for (unsigned int i = 1; i < vcpus; i++) {
		vm->vcpus[i]->host_cpu = (int)i;
		err = platform_run_on_cpu(i, vcpu_thread, vm->vcpus[i]);
		if (err) {
			vm_stop(vm, "CPU %u cannot take vCPU %u (%s)", i, i, errno_name(err));
			__atomic_sub_fetch(&vm->running, 1, __ATOMIC_RELEASE);
		}
	}
	vm->vcpus[0]->host_cpu = (int)smp_processor_id();
	vcpu_thread(vm->vcpus[0]);
	while (__atomic_load_n(&vm->running, __ATOMIC_ACQUIRE))
		cpu_relax();
	payload_report(vm);
	payload_teardown(vm, ram, frames);
	return 0;
}

/* In name order, whatever order the boot medium listed them in. */
unsigned int payloads_run_all(const struct boot_record *boot)
{
	const struct boot_file *order[BOOT_MAX_FILES];
	unsigned int n = 0, i, j;

	for (i = 0; i < boot->n_files; i++) {
		const struct boot_file *f = &boot->files[i];

		/* A payload vms.cfg names runs as that VM's kernel instead. */
		if (!name_is_payload(f->name) || vms_config_uses(boot, f->name))
			continue;
		for (j = n; j > 0 && strcmp(order[j - 1]->name, f->name) > 0; j--)
			order[j] = order[j - 1];
		order[j] = f;
		n++;
	}
	for (i = 0; i < n; i++)
		payload_run(order[i]);
	return n;
}
