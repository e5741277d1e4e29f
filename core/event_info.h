/*
 * The event-information word both vendors use for an event being
 * injected or found in delivery: AMD's EVENTINJ and EXITINTINFO (APM
 * vol. 2, 15.20), Intel's VM-entry interruption information, VM-exit
 * interruption information and IDT-vectoring information (SDM vol. 3C,
 * 24.8.3, 24.9.2, 24.9.3). Vector in bits 7:0, type in 10:8, error code
 * valid in 11, valid in 31; AMD keeps the error code in bits 63:32 of its
 * 64-bit field, Intel in a field of its own. AMD has no soft-exception
 * types: INT3, INTO and INT1 go in as exceptions, RIP deciding fault or
 * trap.
 *
 * Conversions to and from struct vm_event for svm/ and vmx/. Pure inline
 * helpers: any context.
 */
#ifndef CORE_EVENT_INFO_H
#define CORE_EVENT_INFO_H

#include "core/exit.h"
#include "core/lib/compiler.h"

#define EVENT_INFO_VECTOR_MASK        0xffu
#define EVENT_INFO_TYPE_SHIFT         8
#define EVENT_INFO_TYPE_MASK          (7u << EVENT_INFO_TYPE_SHIFT)
#define EVENT_INFO_TYPE_EXTINT        (0u << EVENT_INFO_TYPE_SHIFT)
#define EVENT_INFO_TYPE_NMI           (2u << EVENT_INFO_TYPE_SHIFT)
#define EVENT_INFO_TYPE_HW_EXC        (3u << EVENT_INFO_TYPE_SHIFT)
#define EVENT_INFO_TYPE_SOFT_INT      (4u << EVENT_INFO_TYPE_SHIFT)
#define EVENT_INFO_TYPE_PRIV_SOFT_EXC (5u << EVENT_INFO_TYPE_SHIFT)	/* Intel only */
#define EVENT_INFO_TYPE_SOFT_EXC      (6u << EVENT_INFO_TYPE_SHIFT)	/* Intel only */
#define EVENT_INFO_ERROR_VALID        BIT(11)
#define EVENT_INFO_VALID              BIT(31)

/*
 * The type bits for ev. soft_exc_types: the encoding has the
 * soft-exception types (Intel); without them (AMD) every exception,
 * soft or not, is EVENT_INFO_TYPE_HW_EXC.
 */
static inline uint32_t event_info_type(const struct vm_event *ev, bool soft_exc_types)
{
	switch (ev->type) {
	case EVENT_EXTINT:
		return EVENT_INFO_TYPE_EXTINT;
	case EVENT_NMI:
		return EVENT_INFO_TYPE_NMI;
	case EVENT_SOFT_INT:
		return EVENT_INFO_TYPE_SOFT_INT;
	case EVENT_SOFT_EXCEPTION:
		return soft_exc_types ? EVENT_INFO_TYPE_SOFT_EXC : EVENT_INFO_TYPE_HW_EXC;
	case EVENT_PRIV_SOFT_EXCEPTION:
		return soft_exc_types ? EVENT_INFO_TYPE_PRIV_SOFT_EXC : EVENT_INFO_TYPE_HW_EXC;
	default:
		return EVENT_INFO_TYPE_HW_EXC;
	}
}

/* The valid word for ev (the error code itself goes where the vendor keeps it). */
static inline uint32_t event_info_encode(const struct vm_event *ev, bool soft_exc_types)
{
	uint32_t info = ev->vector | event_info_type(ev, soft_exc_types) | EVENT_INFO_VALID;

	if (ev->has_error)
		info |= EVENT_INFO_ERROR_VALID;
	return info;
}

/* info shows ev (same vector and type) being delivered. */
static inline bool event_info_is(uint32_t info, const struct vm_event *ev, bool soft_exc_types)
{
	return (info & EVENT_INFO_VALID) &&
	       (info & EVENT_INFO_VECTOR_MASK) == ev->vector &&
	       (info & EVENT_INFO_TYPE_MASK) == event_info_type(ev, soft_exc_types);
}

/*
 * The event info shows in delivery, into *ev, when it is one to inject
 * again: an external interrupt, an NMI or a hardware exception (with
 * error_code if info says it has one). Software events are left out,
 * false returned and *ev untouched: RIP still points at the instruction,
 * which runs again.
 */
static inline bool event_info_decode(uint32_t info, uint32_t error_code, struct vm_event *ev)
{
	struct vm_event e = { .valid = true, .vector = info & EVENT_INFO_VECTOR_MASK };

	if (!(info & EVENT_INFO_VALID))
		return false;
	switch (info & EVENT_INFO_TYPE_MASK) {
	case EVENT_INFO_TYPE_EXTINT:
		e.type = EVENT_EXTINT;
		break;
	case EVENT_INFO_TYPE_NMI:
		e.type = EVENT_NMI;
		break;
	case EVENT_INFO_TYPE_HW_EXC:
		e.type = EVENT_EXCEPTION;
		e.has_error = info & EVENT_INFO_ERROR_VALID;
		e.error_code = error_code;
		break;
	default:
		return false;
	}
	*ev = e;
	return true;
}

#endif
