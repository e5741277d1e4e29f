/*
 * The paravirtual clock's scale and writers (core/pvclock.h).
 */
#include "core/guest_mem.h"
#include "core/lib/errno.h"
#include "core/pvclock.h"

#define NS_PER_SEC 1000000000ull

/* floor(num * 2^k / den) by long division; the caller keeps it under 2^64. */
static uint64_t pvclock_div_frac(uint64_t num, uint64_t den, unsigned int k)
{
	uint64_t q = num / den, r = num % den;

	while (k--) {
		r <<= 1;	/* r < den <= 2^62: no overflow */
		q <<= 1;
		if (r >= den) {
			r -= den;
			q |= 1;
		}
	}
	return q;
}

int pvclock_scale_from_hz(uint64_t hz, struct pvclock_scale *s)
{
	uint64_t top = 2 * NS_PER_SEC;	/* 2e9 << -shift while shift < 0 */
	int shift = 0;

	if (!hz || hz > PVCLOCK_HZ_MAX)
		return -EINVAL;
	while (hz > top) {
		top <<= 1;
		shift--;
	}
	while (shift >= 0 && (hz << shift) <= NS_PER_SEC)
		shift++;
	s->shift = (int8_t)shift;
	s->mul = (uint32_t)pvclock_div_frac(NS_PER_SEC, hz, (unsigned int)(32 - shift));
	return 0;
}

int pvclock_write_time(struct vcpu *vcpu, uint64_t gpa, uint32_t *version,
		       const struct pvclock_vcpu_time_info *t)
{
	const size_t body = offsetof(struct pvclock_vcpu_time_info, pad0);
	uint32_t v = *version | 1;

	*version = v + 1;
	if (guest_write_gpa(vcpu, gpa, &v, sizeof(v)))
		return -EFAULT;
	/*
	 * The odd version before the fields: pairs with the guest's read of
	 * version first. x86 keeps stores in order (TSO), so the order the
	 * compiler emits is the order the guest sees: a compiler barrier is
	 * the release here (GCC also rejects a fence under ThreadSanitizer).
	 */
	barrier();
	if (guest_write_gpa(vcpu, gpa + body, (const uint8_t *)t + body, sizeof(*t) - body))
		return -EFAULT;
	/* The fields before the even version: pairs with the guest's second read of version. */
	barrier();
	v++;
	return guest_write_gpa(vcpu, gpa, &v, sizeof(v)) ? -EFAULT : 0;
}

int pvclock_write_wall(struct vcpu *vcpu, uint64_t gpa, uint32_t *version, uint32_t sec,
		       uint32_t nsec)
{
	uint32_t v = *version | 1, w[2] = { sec, nsec };

	*version = v + 1;
	if (guest_write_gpa(vcpu, gpa, &v, sizeof(v)))
		return -EFAULT;
	barrier();	/* as in pvclock_write_time() */
	if (guest_write_gpa(vcpu, gpa + sizeof(v), w, sizeof(w)))
		return -EFAULT;
	barrier();
	v++;
	return guest_write_gpa(vcpu, gpa, &v, sizeof(v)) ? -EFAULT : 0;
}
