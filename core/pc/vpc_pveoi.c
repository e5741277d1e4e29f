/*
 * KVM's PV EOI on the virtual PC (vms.cfg paravirt=kvm, docs/platform.md,
 * "PV EOI"): MSR_KVM_PV_EOI_EN places a 4-byte word in guest RAM; before
 * an entry where the guest's one in-service interrupt is edge-triggered
 * and nothing waits behind it, bit 0 of the word is set and the local
 * APIC armed for that vector (vlapic_pv_eoi_arm()); the guest's EOI then
 * clears the bit instead of writing the EOI register. After the next exit,
 * and before anything is injected, the word is read back: bit 0 clear
 * means the guest retired the vector and the APIC does the EOI for it;
 * bit 0 still set is cleared again, and the guest writes its EOI as usual.
 *
 * The bit is set only while the vCPU is outside guest mode on its own
 * thread and cleared there too: the guest changes it with one instruction
 * (test-and-clear), so no lock is needed against it.
 *
 * Where it runs: the vCPU's own thread (its MSR exits, entries, exits and
 * INIT); vpc_pv_eoi_dump() any thread (the monitor), reading with atomics.
 */
#include "asm/kvm_para.h"
#include "core/guest_mem.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/pc/vpc_priv.h"

static uint64_t vpc_pv_eoi_gpa(const struct vpc_pv_eoi *p)
{
	return p->msr & ~KVM_PV_EOI_EN_ENABLE;
}

/* The word's bit 0 to set: 0 done; an error turns PV EOI off. */
static int vpc_pv_eoi_put(struct vcpu *vcpu, bool set)
{
	struct vpc_pv_eoi *p = &vpc_vcpu_of(vcpu)->pv_eoi;
	uint64_t gpa = vpc_pv_eoi_gpa(p);
	uint8_t b;

	if (guest_read_gpa(vcpu, gpa, &b, sizeof(b)))
		goto fail;
	b = set ? b | KVM_PV_EOI_PENDING : b & ~KVM_PV_EOI_PENDING;
	if (guest_write_gpa(vcpu, gpa, &b, sizeof(b)))
		goto fail;
	return 0;
fail:
	__atomic_store_n(&p->on, false, __ATOMIC_RELAXED);
	return -EFAULT;
}

void vpc_pv_eoi_sync(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);
	struct vpc_pv_eoi *p = &c->pv_eoi;
	uint8_t b;

	if (!p->armed)
		return;
	p->armed = false;
	if (guest_read_gpa(vcpu, vpc_pv_eoi_gpa(p), &b, sizeof(b))) {
		__atomic_store_n(&p->on, false, __ATOMIC_RELAXED);
		vlapic_pv_eoi_disarm(&c->lapic, false);
		return;
	}
	if (b & KVM_PV_EOI_PENDING) {
		/* Not taken: the guest's EOI goes to the register again. */
		vpc_pv_eoi_put(vcpu, false);
		vlapic_pv_eoi_disarm(&c->lapic, false);
		return;
	}
	vlapic_pv_eoi_disarm(&c->lapic, true);
	__atomic_store_n(&p->taken, p->taken + 1, __ATOMIC_RELAXED);
}

void vpc_pv_eoi_arm(struct vcpu *vcpu)
{
	struct vpc_vcpu *c = vpc_vcpu_of(vcpu);
	struct vpc_pv_eoi *p = &c->pv_eoi;

	if (!p->on || p->armed || vlapic_pv_eoi_arm(&c->lapic) < 0)
		return;
	if (vpc_pv_eoi_put(vcpu, true)) {
		vlapic_pv_eoi_disarm(&c->lapic, false);
		return;
	}
	p->armed = true;
}

/* A refused address: one log line per vCPU, the first. */
static void vpc_pv_eoi_refuse(struct vcpu *vcpu, uint64_t gpa)
{
	struct vpc_pv_eoi *p = &vpc_vcpu_of(vcpu)->pv_eoi;

	if (p->bad_logged)
		return;
	p->bad_logged = true;
	vm_console_sync(vcpu->vm);
	pr_warn("vm %s vCPU %u: MSR_KVM_PV_EOI_EN: guest-physical %#llx is not a 4-byte aligned word inside RAM; ignored (further bad addresses of this vCPU are not logged)",
		vcpu->vm->name, vcpu->id, (unsigned long long)gpa);
}

/*
 * A write: the MSR keeps the value; with bit 0 set and a good address the
 * word is used from the next entry on. Always 0 (a bad address is no #GP).
 */
static int vpc_pv_eoi_set(struct vcpu *vcpu, uint64_t val)
{
	struct vpc_pv_eoi *p = &vpc_vcpu_of(vcpu)->pv_eoi;
	uint64_t gpa = val & ~KVM_PV_EOI_EN_ENABLE;

	vpc_pv_eoi_sync(vcpu);
	__atomic_store_n(&p->msr, val, __ATOMIC_RELAXED);
	__atomic_store_n(&p->on, false, __ATOMIC_RELAXED);
	if (!(val & KVM_PV_EOI_EN_ENABLE))
		return 0;
	if (gpa % KVM_PV_EOI_ALIGN || !vpc_ram_contains(vpc_of(vcpu->vm), gpa, KVM_PV_EOI_ALIGN)) {
		vpc_pv_eoi_refuse(vcpu, gpa);
		return 0;
	}
	__atomic_store_n(&p->on, true, __ATOMIC_RELAXED);
	return 0;
}

int vpc_pv_eoi_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	if (msr != MSR_KVM_PV_EOI_EN || !vpc_of(vcpu->vm)->kvm)
		return -ENOENT;
	*val = vpc_vcpu_of(vcpu)->pv_eoi.msr;
	return 0;
}

int vpc_pv_eoi_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	if (msr != MSR_KVM_PV_EOI_EN || !vpc_of(vcpu->vm)->kvm)
		return -ENOENT;
	return vpc_pv_eoi_set(vcpu, val);
}

/* INIT: the MSR goes back to 0 and the word is no longer used. */
void vpc_pv_eoi_reset(struct vcpu *vcpu)
{
	struct vpc_pv_eoi *p = &vpc_vcpu_of(vcpu)->pv_eoi;

	p->armed = false;
	__atomic_store_n(&p->on, false, __ATOMIC_RELAXED);
	__atomic_store_n(&p->msr, 0, __ATOMIC_RELAXED);
	vlapic_pv_eoi_disarm(&vpc_vcpu_of(vcpu)->lapic, false);
}

void vpc_pv_eoi_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx)
{
	const struct vpc_pv_eoi *p = &vpc_vcpu_of(vcpu)->pv_eoi;
	uint64_t msr = __atomic_load_n(&p->msr, __ATOMIC_RELAXED);

	if (!vpc_of(vcpu->vm)->kvm)
		return;
	print(ctx, "  pv-eoi %s at %#llx, %llu EOIs through guest memory",
	      __atomic_load_n(&p->on, __ATOMIC_RELAXED) ? "on" : "off",
	      (unsigned long long)(msr & ~KVM_PV_EOI_EN_ENABLE),
	      (unsigned long long)__atomic_load_n(&p->taken, __ATOMIC_RELAXED));
}
