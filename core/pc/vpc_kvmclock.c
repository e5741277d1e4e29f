/*
 * KVM's paravirtual clock on the virtual PC (vms.cfg paravirt=kvm,
 * docs/platform.md): the CPUID features (PV EOI's bit included, its MSR
 * in vpc_pveoi.c), MSR_KVM_WALL_CLOCK_NEW and MSR_KVM_SYSTEM_TIME_NEW, and
 * each vCPU's pvclock_vcpu_time_info kept in guest memory.
 *
 * The clock: system_time counts ns from the VM's clock zero, the PM
 * timer's zero, in time_now_ns()'s base like every timer of the VM;
 * tsc_timestamp is the guest's TSC (the host's plus the backend's offset)
 * at that moment; the scale comes from the host's TSC rate. The structure
 * is written when the guest enables it and each time the vCPU is loaded on
 * a CPU (a vCPU moved to another CPU is loaded there: its structure is
 * rewritten before it runs again).
 *
 * Where it runs: the vCPU's own thread (MSR exits, its load, its INIT),
 * except vpc_kvm_features() (any thread of the VM) and vpc_kvmclock_init()
 * (the builder, no vCPU running). No lock: each vCPU writes only its own
 * structure; the TSC offsets follow the rule in struct vpc_kvmclock.
 */
#include "asm/cpuid.h"
#include "asm/tsc.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/pc/vpc_priv.h"

void vpc_kvmclock_init(struct vpc *pc, bool on)
{
	uint32_t r[4];

	pc->kvm = on && !pvclock_scale_from_hz(tsc_hz, &pc->tsc_scale);
	pc->clock_zero_ns = pc->pm.base_ns;
	/*
	 * The host's TSCs are taken to run in step on an invariant-TSC
	 * machine (arch/x86/tsc.c assumes the same; nothing measures the
	 * skew between CPUs).
	 */
	platform_cpuid(CPUID_EXT_MAX, 0, r);
	pc->host_tsc_stable = false;
	if (r[0] >= CPUID_EXT_POWER) {
		platform_cpuid(CPUID_EXT_POWER, 0, r);
		pc->host_tsc_stable = r[3] & CPUID_80000007_EDX_INVTSC;
	}
}

bool vpc_kvm_features(const struct vcpu *vcpu, uint32_t *features)
{
	const struct vpc *pc = vpc_of(vcpu->vm);

	if (!pc->kvm)
		return false;
	*features = KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_PV_EOI |
		    (pc->host_tsc_stable ? KVM_FEATURE_CLOCKSOURCE_STABLE_BIT : 0);
	return true;
}

/*
 * Every vCPU of the VM that has run uses the TSC offset this one has, and
 * the host's TSCs run in step: guest TSCs agree across vCPUs.
 */
static bool vpc_kvmclock_stable(const struct vpc *pc, uint64_t offset)
{
	if (!pc->host_tsc_stable)
		return false;
	for (unsigned int i = 0; i < pc->nr_cpus; i++) {
		const struct vpc_kvmclock *k = &pc->cpus[i].kvmclock;

		/* Pairs with the release in vpc_kvmclock_load(). */
		if (__atomic_load_n(&k->offset_known, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&k->tsc_offset, __ATOMIC_RELAXED) != offset)
			return false;
	}
	return true;
}

/* Writes vcpu's structure now; a write the guest's RAM refuses turns the clock off. */
static void vpc_kvmclock_update(struct vcpu *vcpu)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;
	uint64_t offset = backend_get_tsc_offset(vcpu->bv);
	struct pvclock_vcpu_time_info t = { 0 };
	uint64_t t0, t1, now;

	if (!k->on)
		return;
	/* The TSC halfway through the clock's read stands for the clock's moment. */
	t0 = rdtsc();
	now = time_now_ns();
	t1 = rdtsc();
	t.tsc_timestamp = t0 + (t1 - t0) / 2 + offset;
	t.system_time = now > pc->clock_zero_ns ? now - pc->clock_zero_ns : 0;
	t.tsc_to_system_mul = pc->tsc_scale.mul;
	t.tsc_shift = pc->tsc_scale.shift;
	t.flags = vpc_kvmclock_stable(pc, offset) ? PVCLOCK_TSC_STABLE_BIT : 0;
	if (pvclock_write_time(vcpu, k->system_time_msr & ~KVM_SYSTEM_TIME_ENABLE, &k->version,
			       &t))
		k->on = false;
}

bool vpc_ram_contains(const struct vpc *pc, uint64_t gpa, uint64_t len)
{
	const struct guest_ram_layout *ram = &pc->ram;

	if (gpa + len < gpa || pc_memmap_is_rom(gpa) || pc_memmap_is_rom(gpa + len - 1))
		return false;
	if (gpa + len <= ram->low)
		return true;
	return gpa >= ram->high_base && gpa + len - ram->high_base <= ram->high;
}

/* A refused address: one log line per vCPU, the first. */
static void vpc_kvmclock_refuse(struct vcpu *vcpu, const char *msr, uint64_t gpa,
				const char *need)
{
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;

	if (k->bad_logged)
		return;
	k->bad_logged = true;
	vm_console_sync(vcpu->vm);
	pr_warn("vm %s vCPU %u: %s: guest-physical %#llx is not %s; ignored (further bad addresses of this vCPU are not logged)",
		vcpu->vm->name, vcpu->id, msr, (unsigned long long)gpa, need);
}

static void vpc_kvmclock_set_system_time(struct vcpu *vcpu, uint64_t val)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;
	uint64_t gpa = val & ~KVM_SYSTEM_TIME_ENABLE;

	k->system_time_msr = val;
	k->on = false;
	if (!(val & KVM_SYSTEM_TIME_ENABLE))
		return;
	if (gpa % sizeof(struct pvclock_vcpu_time_info) ||
	    !vpc_ram_contains(pc, gpa, sizeof(struct pvclock_vcpu_time_info))) {
		vpc_kvmclock_refuse(vcpu, "MSR_KVM_SYSTEM_TIME_NEW", gpa,
				    "a 32-byte aligned structure inside RAM");
		return;
	}
	k->version = 0;
	k->on = true;
	vpc_kvmclock_update(vcpu);
}

/* The wall clock: the RTC's time at the VM's clock zero. */
static void vpc_kvmclock_set_wall_clock(struct vcpu *vcpu, uint64_t gpa)
{
	struct vpc *pc = vpc_of(vcpu->vm);
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;
	int64_t sec;
	uint32_t nsec;

	k->wall_clock_msr = gpa;
	if (!vpc_ram_contains(pc, gpa, sizeof(struct pvclock_wall_clock))) {
		vpc_kvmclock_refuse(vcpu, "MSR_KVM_WALL_CLOCK_NEW", gpa, "a structure inside RAM");
		return;
	}
	vrtc_time_at(&pc->rtc, pc->clock_zero_ns, &sec, &nsec);
	if (sec < 0)
		sec = nsec = 0;
	pvclock_write_wall(vcpu, gpa, &k->wall_version, (uint32_t)sec, nsec);
}

int vpc_kvmclock_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	const struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;

	if (!vpc_of(vcpu->vm)->kvm)
		return -ENOENT;
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		*val = k->system_time_msr;
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		*val = k->wall_clock_msr;
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_WALL_CLOCK:
		return -EINVAL;	/* KVM_FEATURE_CLOCKSOURCE is not offered */
	default:
		return -ENOENT;
	}
}

int vpc_kvmclock_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val)
{
	if (!vpc_of(vcpu->vm)->kvm)
		return -ENOENT;
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME_NEW:
		vpc_kvmclock_set_system_time(vcpu, val);
		return 0;
	case MSR_KVM_WALL_CLOCK_NEW:
		vpc_kvmclock_set_wall_clock(vcpu, val);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_WALL_CLOCK:
		return -EINVAL;
	default:
		return -ENOENT;
	}
}

void vpc_kvmclock_load(struct vcpu *vcpu)
{
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;

	if (!vpc_of(vcpu->vm)->kvm)
		return;
	__atomic_store_n(&k->tsc_offset, backend_get_tsc_offset(vcpu->bv), __ATOMIC_RELAXED);
	/* Pairs with the acquire in vpc_kvmclock_stable(). */
	__atomic_store_n(&k->offset_known, true, __ATOMIC_RELEASE);
	vpc_kvmclock_update(vcpu);
}

/* INIT: the MSRs go back to 0 and the guest's memory is no longer written. */
void vpc_kvmclock_reset(struct vcpu *vcpu)
{
	struct vpc_kvmclock *k = &vpc_vcpu_of(vcpu)->kvmclock;

	k->system_time_msr = 0;
	k->wall_clock_msr = 0;
	k->on = false;
}
