/*
 * The paravirtual clock's arithmetic and its writer (KVM's pvclock ABI,
 * asm/kvm_para.h): the TSC-to-ns scale a guest applies, computed from a
 * TSC rate, and the version-protocol writes of the structures into guest
 * memory.
 *
 * Runs anywhere (the scale); the writers on the vCPU's own thread, as
 * guest_write_gpa() does. No lock: each structure has one writer, the
 * vCPU it belongs to (the wall clock: the vCPU that asks for it).
 */
#ifndef CORE_PVCLOCK_H
#define CORE_PVCLOCK_H

#include "asm/kvm_para.h"
#include "core/vm.h"

/* The TSC rates pvclock_scale_from_hz() takes: 1 Hz to 2e9 << 31 Hz. */
#define PVCLOCK_HZ_MAX (2000000000ull << 31)

/* ns = (delta scaled by 2^shift) * mul / 2^32, as the guest computes it. */
struct pvclock_scale {
	uint32_t mul;
	int8_t shift;
};

/*
 * The scale for a TSC of hz: shift puts hz * 2^shift in (1e9, 2e9], so
 * that mul = 1e9 * 2^32 / (hz * 2^shift) is in [2^31, 2^32) and keeps
 * 31 significant bits (an error under 0.5 ns per second). -EINVAL for
 * hz 0 or above PVCLOCK_HZ_MAX, *s untouched.
 */
int pvclock_scale_from_hz(uint64_t hz, struct pvclock_scale *s);

/* The guest's side: ns for delta TSC ticks (Linux's pvclock_scale_delta()). */
static inline uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/*
 * Writes t (its version ignored) to guest-physical gpa with the version
 * protocol: *version becomes odd and is written, then the rest, then
 * *version becomes even and is written; each write is ordered after the
 * one before (release fences). -EFAULT if gpa is not writable RAM, with
 * what was written left (a guest never sees an even version over a torn
 * structure: the last store is the even version).
 */
int pvclock_write_time(struct vcpu *vcpu, uint64_t gpa, uint32_t *version,
		       const struct pvclock_vcpu_time_info *t);

/* The same for the wall clock at gpa: sec and nsec since the Unix epoch. */
int pvclock_write_wall(struct vcpu *vcpu, uint64_t gpa, uint32_t *version, uint32_t sec,
		       uint32_t nsec);

#endif
