/*
 * Test-payload VMs. Boot CPU: builds the VM (core/vm_build.c: guest RAM,
 * vCPUs), copies the payload in, puts the vCPUs in real mode at the
 * entry, starts vCPU i's thread on physical CPU i modulo the CPUs online
 * (vCPU 0 on this CPU; more vCPUs than CPUs share them), and sleeps until
 * the last vCPU loop has ended. A payload that
 * cannot run is an error line; the hypervisor goes on with the next one.
 */
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/payload/payload.h"
#include "core/lib/string.h"
#include "core/vcpu_run.h"
#include "core/vm_build.h"

#define GUEST_STACK_PER_VCPU 0x100
#define PAYLOAD_POLL_NS      10000000ull	/* the runner checks for the end each 10 ms */

static bool name_is_payload(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".bin") == 0;
}

/* The state after INIT, at entry: real mode, CS:IP = 0:entry. */
static void payload_reset_state(struct guest_state *st, uint64_t entry, unsigned int id)
{
	guest_state_init_reset(st);
	guest_segment_set(&st->seg[SEG_CS], 0, 0, 0xffff, st->seg[SEG_CS].attr);
	st->regs.rip = entry;
	st->idtr.limit = 0x3ff;		/* the real-mode interrupt vector table */
	st->regs.gpr[GPR_RSI] = id;
	st->regs.gpr[GPR_RSP] = PAYLOAD_LOAD_GPA - id * GUEST_STACK_PER_VCPU;
}

/* vCPU i in real mode at entry, with its own stack below the load address. */
static int payload_set_vcpus(struct vm *vm, uint64_t entry)
{
	struct guest_state st;
	int err;

	for (unsigned int i = 0; i < vm_nr_vcpus(vm); i++) {
		payload_reset_state(&st, entry, i);
		err = backend_set_state(vm->vcpus[i]->bv, &st);
		if (err)
			return err;
	}
	return 0;
}

/* Checks f's header; the number of vCPUs it wants in *vcpus. */
static int payload_check(const struct boot_file *f, unsigned int *vcpus)
{
	const struct payload_header *h = phys_to_virt(f->base);

	if (f->size < sizeof(*h) || h->magic != PAYLOAD_MAGIC) {
		pr_err("payload %s: not a test payload (bad header)", f->name);
		return -ENOEXEC;
	}
	if (f->size > PAYLOAD_MAX_SIZE || h->entry >= f->size) {
		pr_err("payload %s: too large or entry outside the file", f->name);
		return -ENOEXEC;
	}
	*vcpus = h->vcpus ? h->vcpus : 1;
	if (*vcpus > VM_MAX_VCPUS) {
		pr_err("payload %s: wants %u vCPUs, at most %u", f->name, *vcpus, VM_MAX_VCPUS);
		return -ENOSPC;
	}
	return 0;
}

/*
 * Builds the VM, starts vCPU i on CPU i modulo the CPUs online (several
 * share a CPU when there are more vCPUs than CPUs) and sleeps until all
 * have ended.
 */
static int payload_run(const struct boot_file *f)
{
	const struct payload_header *h = phys_to_virt(f->base);
	struct vm_build_params p = { .name = f->name };
	unsigned int cpus[VM_MAX_VCPUS];
	struct vm_build_sched s = { .pin = cpus, .pinned = true };
	struct vm_build *b;
	uint64_t entry;
	int err;

	err = payload_check(f, &p.vcpus);
	if (err)
		return err;
	entry = PAYLOAD_LOAD_GPA + h->entry;
	p.ram_bytes = MiB(h->mem_mib ? h->mem_mib : PAYLOAD_DEFAULT_MIB);
	err = vm_build_create(&p, &b);
	if (err) {
		pr_err("payload %s: cannot create the VM: %s", f->name, errno_name(err));
		return err;
	}
	err = vm_build_write(b, PAYLOAD_LOAD_GPA, h, f->size);
	if (!err)
		err = payload_set_vcpus(b->vm, entry);
	if (!err)
		err = payload_platform_attach(b->vm);
	if (err) {
		pr_err("payload %s: cannot set up the VM: %s", f->name, errno_name(err));
		vm_build_destroy(b);
		return err;
	}
	pr_info("vm %s: %u vCPU(s), %llu MiB, entry %#llx (real mode)", b->name, p.vcpus,
		(unsigned long long)(p.ram_bytes >> 20), (unsigned long long)entry);

	for (unsigned int i = 0; i < p.vcpus; i++)
		cpus[i] = i % platform_nr_cpus();
	vm_build_start(b, &s);
	while (vm_build_running(b))
		sched_sleep_until(time_now_ns() + PAYLOAD_POLL_NS);
	vm_build_report(b);
	vm_build_destroy(b);
	return 0;
}

static bool payload_skipped(const char *name, const char *const *skip, unsigned int nr_skip)
{
	for (unsigned int i = 0; i < nr_skip; i++)
		if (strcmp(skip[i], name) == 0)
			return true;
	return false;
}

/* In name order, whatever order the boot medium listed them in. */
unsigned int payloads_run_all(const struct boot_record *boot, const char *const *skip,
			      unsigned int nr_skip)
{
	const struct boot_file *order[BOOT_MAX_FILES];
	unsigned int n = 0, i, j;

	for (i = 0; i < boot->n_files; i++) {
		const struct boot_file *f = &boot->files[i];

		if (!name_is_payload(f->name) || payload_skipped(f->name, skip, nr_skip))
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
