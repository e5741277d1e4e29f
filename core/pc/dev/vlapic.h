/*
 * Virtual local APIC, one per vCPU (APIC ID = vCPU index), and the VM's
 * APIC bus that carries IPIs and IOAPIC messages between them.
 *
 * Guest interfaces: the xAPIC register page (MMIO at IA32_APIC_BASE,
 * 0xfee00000 by default), the x2APIC MSRs 0x800-0x8ff, IA32_APIC_BASE
 * (0x1b) and IA32_TSC_DEADLINE (0x6e0). Version 0x50014: an integrated
 * APIC, version 0x14, six LVT entries (timer, thermal, PMC, LINT0, LINT1,
 * error; no CMCI), no EOI-broadcast suppression.
 *
 * Timer: a 1 GHz APIC bus clock (one count = 1 ns before the divider, as
 * KVM does) so that the frequency the guest calibrates is exact; one-shot,
 * periodic and TSC-deadline modes on a vtimer owned by this APIC's vCPU
 * (VTIMER_NO_MISSED: the IRR holds one bit per vector, so a late periodic
 * tick collapses into one interrupt, as on hardware).
 *
 * Reset state (vlapic_reset(), SDM 10.4.7.1 / 10.12.5.1): IA32_APIC_BASE
 * = 0xfee00000 | EN (| BSP on vCPU 0), xAPIC mode; ID = id << 24; IRR,
 * ISR, TMR, ICR, LDR, TPR, ESR, divide config, initial/current count 0;
 * DFR = 0xffffffff; SVR = 0xff (software disabled); every LVT entry
 * masked (0x10000), LINT0 included. A PC BIOS would then put the BSP in
 * virtual-wire mode (vlapic_setup_virtual_wire()).
 *
 * Where it runs: vCPU context on any CPU. The owner vCPU's exit path does
 * the register accesses, MSRs, vlapic_pending_vector()/_ack_vector() and
 * the timer sink; any vCPU (IPIs) or device (IOAPIC) may call
 * vlapic_set_irq() and vapic_bus_deliver() at the same time.
 *
 * Locking: one spinlock per APIC (vlapic.lock) guards all its register
 * state. It is a leaf lock except for the vtimer locks taken inside it
 * (vlapic.lock -> vtimer_vcpu.lock, as the vPIT does). Never two APIC
 * locks at once: the bus locks one target at a time. The ops callbacks
 * (kick, nmi, init, sipi, eoi_level) are called after the lock is
 * dropped, never under it, so eoi_level may take the IOAPIC lock and the
 * IOAPIC may deliver back into any APIC. vapic_bus_deliver() is called
 * with no lock held.
 */
#ifndef CORE_DEV_VLAPIC_H
#define CORE_DEV_VLAPIC_H

#include "asm/msr.h"
#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"
#include "core/vtimer.h"

/* ---- Register offsets in the xAPIC page (x2APIC MSR = 0x800 + off/16) - */

#define APIC_REG_ID		0x020
#define APIC_REG_LVR		0x030
#define APIC_REG_TPR		0x080
#define APIC_REG_APR		0x090
#define APIC_REG_PPR		0x0a0
#define APIC_REG_EOI		0x0b0
#define APIC_REG_RRD		0x0c0
#define APIC_REG_LDR		0x0d0
#define APIC_REG_DFR		0x0e0
#define APIC_REG_SVR		0x0f0
#define APIC_REG_ISR		0x100	/* 8 registers, 0x100-0x170 */
#define APIC_REG_TMR		0x180	/* 8 registers, 0x180-0x1f0 */
#define APIC_REG_IRR		0x200	/* 8 registers, 0x200-0x270 */
#define APIC_REG_ESR		0x280
#define APIC_REG_LVT_CMCI	0x2f0
#define APIC_REG_ICR_LO		0x300
#define APIC_REG_ICR_HI		0x310
#define APIC_REG_LVT_TIMER	0x320
#define APIC_REG_LVT_THERMAL	0x330
#define APIC_REG_LVT_PMC	0x340
#define APIC_REG_LVT_LINT0	0x350
#define APIC_REG_LVT_LINT1	0x360
#define APIC_REG_LVT_ERROR	0x370
#define APIC_REG_TMICT		0x380
#define APIC_REG_TMCCT		0x390
#define APIC_REG_TDCR		0x3e0
#define APIC_REG_SELF_IPI	0x3f0	/* x2APIC only */

#define APIC_MSR(reg)		(MSR_X2APIC_BASE + ((reg) >> 4))

/* Version: version 0x14, max LVT entry 5 (six entries). */
#define APIC_VERSION		0x14u
#define APIC_MAX_LVT		5u
#define APIC_LVR_VALUE		(APIC_MAX_LVT << 16 | APIC_VERSION)

/* xAPIC ID and LDR: the 8-bit fields sit in bits 31:24. */
#define APIC_XAPIC_ID_SHIFT	24
#define APIC_LDR_XAPIC_MASK	0xff000000u
/* DFR: model in bits 31:28, the rest reads as ones. */
#define APIC_DFR_MODEL_SHIFT	28
#define APIC_DFR_FLAT		0xfu
#define APIC_DFR_CLUSTER	0x0u
#define APIC_DFR_RESERVED_ONES	0x0fffffffu

#define APIC_TPR_MASK		0xffu
#define APIC_PRIO_CLASS(v)	((v) & 0xf0u)

/* SVR */
#define APIC_SVR_VECTOR_MASK	0xffu
#define APIC_SVR_ENABLE		BIT(8)
#define APIC_SVR_FOCUS_OFF	BIT(9)
#define APIC_SVR_WRITABLE	(APIC_SVR_VECTOR_MASK | APIC_SVR_ENABLE | \
				 APIC_SVR_FOCUS_OFF)
#define APIC_SVR_RESET		0xffu

/* ESR bits */
#define APIC_ESR_SEND_ILLEGAL_VECTOR	BIT(5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR	BIT(6)

/* LVT entries (and the common fields of ICR and IOAPIC entries) */
#define APIC_VECTOR_MASK	0xffu
#define APIC_DM_SHIFT		8
#define APIC_DM_MASK		(7u << APIC_DM_SHIFT)
#define APIC_DELIVERY_STATUS	BIT(12)
#define APIC_LVT_POLARITY_LOW	BIT(13)
#define APIC_LVT_REMOTE_IRR	BIT(14)
#define APIC_LVT_LEVEL		BIT(15)
#define APIC_LVT_MASKED		BIT(16)
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_LVT_TIMER_MODE_MASK  (3u << APIC_LVT_TIMER_MODE_SHIFT)
#define APIC_TIMER_ONESHOT	0u
#define APIC_TIMER_PERIODIC	1u
#define APIC_TIMER_TSC_DEADLINE	2u

enum vlapic_lvt {
	VLAPIC_LVT_TIMER,
	VLAPIC_LVT_THERMAL,
	VLAPIC_LVT_PMC,
	VLAPIC_LVT_LINT0,
	VLAPIC_LVT_LINT1,
	VLAPIC_LVT_ERROR,
	VLAPIC_NR_LVT,
};

/* Divide configuration: bits 0, 1 and 3. */
#define APIC_TDCR_MASK		0xbu

/* ICR */
#define APIC_ICR_DEST_LOGICAL	BIT(11)
#define APIC_ICR_LEVEL_ASSERT	BIT(14)
#define APIC_ICR_TRIGGER_LEVEL	BIT(15)
#define APIC_ICR_SH_SHIFT	18
#define APIC_ICR_SH_MASK	(3u << APIC_ICR_SH_SHIFT)
#define APIC_ICR_LO_WRITABLE	0x000ccfffu	/* 0-11, 14, 15, 18-19 */
#define APIC_ICR_XAPIC_DEST_SHIFT 24		/* in ICR high */
#define APIC_ICR_X2APIC_RESERVED (GENMASK_ULL(31, 20) | GENMASK_ULL(17, 16) | \
				  GENMASK_ULL(13, 12))

/* Delivery modes (ICR, LVT, IOAPIC redirection entries). */
enum vapic_dm {
	VAPIC_DM_FIXED = 0,
	VAPIC_DM_LOWEST = 1,
	VAPIC_DM_SMI = 2,
	VAPIC_DM_NMI = 4,
	VAPIC_DM_INIT = 5,
	VAPIC_DM_SIPI = 6,
	VAPIC_DM_EXTINT = 7,
};

enum vapic_shorthand {
	VAPIC_SH_NONE = 0,
	VAPIC_SH_SELF = 1,
	VAPIC_SH_ALL_INCL = 2,
	VAPIC_SH_ALL_EXCL = 3,
};

/* Physical broadcast destinations. */
#define VAPIC_BCAST_XAPIC	0xffu
#define VAPIC_BCAST_X2APIC	0xffffffffu

/* Shortest period of a periodic timer (a guest cannot flood its vCPU). */
#define VLAPIC_MIN_PERIOD_NS	50000ull

/* ---- The bus ---------------------------------------------------------- */

/* One interrupt message on the APIC bus (ICR write, IOAPIC entry). */
struct vapic_msg {
	uint32_t src_id;	/* sender's APIC ID (for the shorthands) */
	uint32_t dest;		/* 8-bit xAPIC or 32-bit x2APIC destination */
	bool logical;		/* destination mode */
	uint8_t shorthand;	/* enum vapic_shorthand */
	uint8_t delivery;	/* enum vapic_dm */
	uint8_t vector;
	bool level;		/* trigger mode: level (sets TMR) */
	bool assert;		/* level bit: 0 with INIT = level de-assert */
};

/* Must cover VM_MAX_VCPUS (core/vm.h). */
#define VAPIC_BUS_MAX		64

/*
 * The APICs of one VM. Filled by vapic_bus_attach() before any vCPU runs
 * and read without a lock afterwards.
 */
struct vapic_bus {
	unsigned int nr;	/* lapics[0..nr-1]; NULL slots skipped */
	struct vlapic *lapics[VAPIC_BUS_MAX];
};

struct vlapic_ops {
	void (*kick)(void *ctx);	/* something became injectable */
	void (*nmi)(void *ctx);
	void (*init)(void *ctx);
	void (*sipi)(void *ctx, uint8_t vector);
	/* EOI of a level-triggered vector (the IOAPIC's remote IRR). */
	void (*eoi_level)(void *ctx, uint8_t vector);
};

struct vlapic {
	spinlock_t lock;
	/* lock must be held when using these: */
	uint64_t apic_base;		/* IA32_APIC_BASE */
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t svr;
	uint32_t esr;			/* as read: latched by an ESR write */
	uint32_t esr_pending;		/* errors since the last ESR write */
	uint32_t isr[8], tmr[8], irr[8];	/* register n: vectors 32n.. */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[VLAPIC_NR_LVT];
	uint32_t tmict;			/* timer initial count */
	uint32_t tdcr;			/* divide configuration */
	uint64_t tsc_deadline;		/* armed IA32_TSC_DEADLINE, 0: none */
	int pv_eoi_vector;		/* armed for PV EOI: the vector, else -1 */

	/* Fixed at vlapic_init() / vapic_bus_attach(): */
	unsigned int id;
	struct vtimer_vcpu *owner;
	const struct vlapic_ops *ops;
	void *ctx;
	uint64_t (*clock_ns)(void);
	uint64_t (*read_tsc)(void *ctx);
	uint64_t tsc_khz;
	struct vapic_bus *bus;

	/* The timer; its fields are the vtimer's (owner->lock). */
	struct vtimer timer;
};

/*
 * Sets up a in its reset state (as vlapic_reset(a, id == 0)), timer owned
 * by owner. clock_ns gives ns (NULL: time_now_ns()), read_tsc(ctx) the
 * guest's TSC as the owner vCPU reads it (IA32_TSC_DEADLINE is compared
 * with it), tsc_khz its rate. Returns 0, -EINVAL on a NULL ops
 * or a zero tsc_khz. Before a is published to other CPUs.
 */
int vlapic_init(struct vlapic *a, unsigned int id, struct vtimer_vcpu *owner,
		const struct vlapic_ops *ops, void *ctx,
		uint64_t (*clock_ns)(void), uint64_t (*read_tsc)(void *ctx),
		uint64_t tsc_khz);

/* Stops the timer for good and waits for its deliveries. */
void vlapic_destroy(struct vlapic *a);

/* Hardware RESET: the state documented above; stops the timer. */
void vlapic_reset(struct vlapic *a, bool bsp);

/*
 * INIT (SDM 10.12.5.1): like RESET but IA32_APIC_BASE (mode, base, BSP)
 * and the ID are kept; in x2APIC mode the LDR is re-derived.
 */
void vlapic_init_signal(struct vlapic *a);

/*
 * What a PC BIOS leaves on the BSP (SeaBIOS, MP spec virtual wire):
 * software enabled, LINT0 = ExtINT level unmasked, LINT1 = NMI level.
 */
void vlapic_setup_virtual_wire(struct vlapic *a);

/* Puts a on bus (slot a->id) so that IPIs can reach it. Before any run. */
void vapic_bus_attach(struct vapic_bus *bus, struct vlapic *a);

/*
 * Delivers msg to every APIC it addresses. No lock held; any CPU. Fixed
 * and lowest priority set IRR; NMI, INIT, SIPI call the target's ops;
 * SMI and INIT level de-assert are ignored; ExtINT only kicks the target.
 */
void vapic_bus_deliver(struct vapic_bus *bus, const struct vapic_msg *msg);

/*
 * The APIC of lowest ID that msg addresses (physical, logical, broadcast;
 * hardware-disabled APICs are off the bus), or NULL: where a device timer
 * behind an IOAPIC entry goes (docs/vtimer.md). Takes each candidate's
 * lock in turn; any CPU, with the IOAPIC's lock or none held.
 */
struct vlapic *vapic_bus_first_target(struct vapic_bus *bus,
				      const struct vapic_msg *msg);

/*
 * Accepts a fixed interrupt: sets IRR (and TMR if level_trigger, else
 * clears it) and kicks the owner if a vector is injectable afterwards.
 * Vectors 0-15 set ESR "received illegal vector" and are dropped; a
 * software-disabled APIC drops it. Any CPU, no lock held.
 */
void vlapic_set_irq(struct vlapic *a, uint8_t vector, bool level_trigger);

/*
 * The vector to inject: the highest IRR vector whose priority class is
 * above PPR's, or -1 (none, or software disabled). Owner vCPU.
 */
int vlapic_pending_vector(struct vlapic *a);

/* vec was injected: IRR -> ISR, PPR updated. Owner vCPU. */
void vlapic_ack_vector(struct vlapic *a, uint8_t vec);

/*
 * True if vec is requested in a's IRR (not yet accepted). Any CPU, no
 * lock of a held (the vPIT asks it under its pulse_lock).
 */
bool vlapic_irr_test(struct vlapic *a, uint8_t vec);

/*
 * KVM's PV EOI (the platform keeps the guest's word): the guest may retire
 * an interrupt by clearing a bit in its memory instead of writing EOI.
 *
 * vlapic_pv_eoi_arm(): if exactly one vector is in service, it is
 * edge-triggered (TMR clear: neither the IOAPIC nor anything else waits
 * for its EOI) and no vector waits in IRR, the APIC is armed for it and
 * the vector is returned; else -1. While armed, every accepted interrupt
 * kicks the owner, whatever its priority, so that the exit that follows
 * disarms before anything looks at the priorities.
 * vlapic_pv_eoi_disarm(): ends it; with eoi (the guest cleared its bit),
 * the armed vector is retired as an EOI would, if it is still the highest
 * in service (an INIT or a reset may have taken it). Owner vCPU, outside
 * guest mode.
 */
int vlapic_pv_eoi_arm(struct vlapic *a);
void vlapic_pv_eoi_disarm(struct vlapic *a, bool eoi);

/*
 * True if the 8259's INTR reaches this vCPU: APIC hardware-disabled, or
 * LVT LINT0 unmasked with delivery mode ExtINT.
 */
bool vlapic_accepts_pic_intr(struct vlapic *a);

/*
 * vlapic_pending_vector() and, in *pic, vlapic_accepts_pic_intr(), under
 * one hold of the lock: the injection check of the vCPU that may take
 * the 8259's interrupts. Owner vCPU (LINT0 and the enable bits change
 * only by its own register writes, so *pic stays true until it makes
 * another).
 */
int vlapic_pending_vector_pic(struct vlapic *a, bool *pic);

/*
 * xAPIC page access at offset (0..0xfff), size 1/2/4/8. Reads inside the
 * first 4 bytes of a 16-byte register return its bytes; undefined ones
 * (past byte 3, reserved, write-only) read 0. Writes other than 4 bytes
 * at a register's start are ignored. Ignored in x2APIC or disabled mode.
 * Always returns 0. Owner vCPU.
 */
int vlapic_mmio_read(struct vlapic *a, uint64_t offset, unsigned int size,
		     uint64_t *val);
int vlapic_mmio_write(struct vlapic *a, uint64_t offset, unsigned int size,
		      uint64_t val);

/* Same with addr guest-physical in the APIC page; dev = struct vlapic. */
extern const struct vdev_mmio_ops vlapic_mmio_ops;

/*
 * RDMSR/WRMSR of IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range.
 * 0: done; -EINVAL: the guest gets #GP (x2APIC MSR outside x2APIC mode,
 * reserved register or bits, read of a write-only or write of a
 * read-only register, illegal APIC_BASE transition); -ENOENT: not an
 * APIC MSR. Owner vCPU.
 */
int vlapic_rdmsr(struct vlapic *a, uint32_t msr, uint64_t *val);
int vlapic_wrmsr(struct vlapic *a, uint32_t msr, uint64_t val);

/* Prints the state, one line per print() call (the debug console). */
void vlapic_dump(struct vlapic *a, void (*print)(void *ctx, const char *line),
		 void *ctx);

#endif
