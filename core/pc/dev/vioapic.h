/*
 * Virtual I/O APIC (82093AA-style, version 0x20), one per VM at
 * 0xfec00000 with 24 pins. Registers: IOREGSEL (0x00) selects, IOWIN
 * (0x10) reads and writes the selected register: ID (0), version (1:
 * 0x00170020, 24 entries, version 0x20 because the EOI register exists),
 * arbitration ID (2) and the redirection table (0x10-0x3f, two 32-bit
 * halves per pin). The EOI register (0x40, version 0x20 and later) ends
 * a level-triggered interrupt like a local APIC's EOI does.
 *
 * Inputs: vioapic_set_irq() (and vioapic_irq_line_set() as an irq_line
 * .set) with the pin's electrical level; an active-low entry (polarity
 * bit) sees it inverted. Edge-triggered entries send one message per
 * rising edge of the input as the pin sees it; level-triggered ones send
 * while the input is asserted and remote IRR is clear, setting remote
 * IRR, which the local APIC's EOI (vioapic_eoi(), wired to struct
 * vlapic_ops.eoi_level) clears, re-sending if the line is still asserted.
 * Masked entries send nothing; edges seen while masked are lost. Messages
 * go out on the VM's APIC bus (vapic_bus_deliver()) with the entry's
 * destination mode, 8-bit destination, delivery mode and vector.
 *
 * Reset state: every entry 0x10000 (masked, all else 0), ID 0, IOREGSEL
 * 0, all inputs low.
 *
 * Where it runs: vCPU context on any CPU (MMIO exits, device models
 * driving lines, LAPIC EOIs), any number at once.
 *
 * Locking: one spinlock per IOAPIC (vioapic.lock) guards every register
 * and the input levels. Messages are collected under it and delivered to
 * the local APICs after it is dropped. The one exception is the routed
 * hook (vioapic_set_routed()): it resolves an entry's first destination
 * under vioapic.lock, taking each local APIC's lock in turn only to match
 * the destination, then moves a device timer (vioapic.lock ->
 * vlapic.lock, vioapic.lock -> vtimer_vcpu.lock). No path takes
 * vioapic.lock under either, so there is no cycle. A LAPIC EOI (which drops vlapic.lock before
 * calling vioapic_eoi()) can re-deliver into any LAPIC, the same one
 * included, without a lock-order cycle. The cost is a window in which a
 * level interrupt whose remote IRR was set is not yet in the target IRR;
 * an EOI for the same vector from another source in that window may
 * re-send it once more (a spurious level interrupt, which guests handle).
 */
#ifndef CORE_DEV_VIOAPIC_H
#define CORE_DEV_VIOAPIC_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/pc/dev/vlapic.h"
#include "core/lib/spinlock.h"

#define VIOAPIC_PINS		24

/* MMIO offsets */
#define VIOAPIC_MMIO_REGSEL	0x00
#define VIOAPIC_MMIO_WINDOW	0x10
#define VIOAPIC_MMIO_EOI	0x40

/* Indirect registers */
#define VIOAPIC_REG_ID		0x00
#define VIOAPIC_REG_VERSION	0x01
#define VIOAPIC_REG_ARB		0x02
#define VIOAPIC_REG_REDIR	0x10	/* pin n: 0x10 + 2n (low), + 1 (high) */

#define VIOAPIC_VERSION		0x20u
#define VIOAPIC_VERSION_VALUE	((VIOAPIC_PINS - 1u) << 16 | VIOAPIC_VERSION)
#define VIOAPIC_ID_MASK		0x0f000000u	/* ID in bits 27:24 */

/* Redirection table entry */
#define IOAPIC_RTE_VECTOR_MASK	0xffull
#define IOAPIC_RTE_DM_SHIFT	8
#define IOAPIC_RTE_DM_MASK	(7ull << IOAPIC_RTE_DM_SHIFT)
#define IOAPIC_RTE_DEST_LOGICAL	BIT_ULL(11)
#define IOAPIC_RTE_DELIVS	BIT_ULL(12)	/* read-only, always idle */
#define IOAPIC_RTE_POLARITY_LOW	BIT_ULL(13)
#define IOAPIC_RTE_REMOTE_IRR	BIT_ULL(14)	/* read-only */
#define IOAPIC_RTE_LEVEL	BIT_ULL(15)
#define IOAPIC_RTE_MASKED	BIT_ULL(16)
#define IOAPIC_RTE_DEST_SHIFT	56
#define IOAPIC_RTE_WRITABLE	(GENMASK_ULL(63, 56) | IOAPIC_RTE_MASKED | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_POLARITY_LOW | \
				 GENMASK_ULL(11, 0))
#define IOAPIC_RTE_RESET	IOAPIC_RTE_MASKED

struct vioapic {
	spinlock_t lock;
	/* lock must be held when using these: */
	uint32_t regsel;		/* IOREGSEL */
	uint32_t id;			/* ID register (bits 27:24) */
	uint32_t lines;			/* input levels as driven, bit = pin */
	uint64_t rte[VIOAPIC_PINS];

	/* Fixed at vioapic_init(): */
	struct vapic_bus *bus;
	/* Fixed at vioapic_set_routed(), before publication; NULL: none. */
	void (*routed)(void *ctx, unsigned int pin,
		       const struct vapic_msg *msg);
	void *routed_ctx;
};

/* Sets up io in its reset state, sending on bus. Before publication. */
void vioapic_init(struct vioapic *io, struct vapic_bus *bus);

/*
 * Asks io to call routed(ctx, pin, msg) after a guest write changed pin's
 * entry and left it unmasked; msg is what the entry sends now. It runs
 * with io->lock held, so the calls follow the writes' order: it may take
 * the local APICs' locks (one at a time) and the vtimer locks, which come
 * after vioapic.lock (docs/locking.md), and nothing that is taken before
 * it (a device's lock). Before publication.
 */
void vioapic_set_routed(struct vioapic *io,
			void (*routed)(void *ctx, unsigned int pin,
				       const struct vapic_msg *msg),
			void *ctx);

/* Platform reset: the reset state above; the inputs keep their levels. */
void vioapic_reset(struct vioapic *io);

/*
 * Drives input pin (0-23; others ignored) to level (non-zero = high, the
 * electrical level before the polarity bit). Any CPU, no lock held.
 */
void vioapic_set_irq(struct vioapic *io, unsigned int pin, int level);

/* vioapic_set_irq() as an irq_line .set, ctx = the struct vioapic. */
void vioapic_irq_line_set(void *ctx, unsigned int line, int level);

/*
 * A local APIC EOI'd level-triggered vector: clears remote IRR of the
 * level entries with that vector and re-sends those whose input is still
 * asserted. Any CPU, no lock held (vlapic_ops.eoi_level).
 */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

/*
 * The vector pin's entry sends, masked or not, or -1 if it sends none
 * (NMI, SMI, INIT, ExtINT; a pin out of range): which vector's acceptance
 * by a local APIC is the guest taking that pin's interrupt. Any CPU, no
 * lock held.
 */
int vioapic_pin_vector(struct vioapic *io, unsigned int pin);

/*
 * MMIO handlers; dev = the struct vioapic, addr guest-physical in the
 * IOAPIC page. Only 32-bit accesses to 0x00, 0x10 and 0x40 do anything;
 * other reads return 0, other writes are ignored. Always return 0.
 */
extern const struct vdev_mmio_ops vioapic_mmio_ops;

/* Prints the state, one line per print() call (the debug console). */
void vioapic_dump(struct vioapic *io,
		  void (*print)(void *ctx, const char *line), void *ctx);

#endif
