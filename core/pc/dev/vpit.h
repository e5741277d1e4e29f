/*
 * Virtual 8254 programmable interval timer (PIT), with the channel 2 gate,
 * speaker enable and OUT2 readback of port 0x61 (the PC's "port B").
 *
 * Ports: 0x40-0x42 counters 0-2, 0x43 control word (write only), 0x61
 * port B. The VM routes both ranges to vpit_io_ops with the struct vpit as
 * dev. Accesses wider than a byte act on the addressed port only (the low
 * byte of a write; a read fills the upper bytes with ones).
 *
 * Counters tick at 1.193182 MHz, computed lazily from elapsed time: a
 * counter read works out its value from when the count was loaded. Channel
 * 0 drives IRQ 0: in modes 2 and 3 (rate generator, square wave) as a
 * periodic struct vtimer, in modes 0 and 4 as a one-shot, one pulse of
 * irq0 per tick the vtimer delivers (VTIMER_DELAY_MISSED: Linux's PIT
 * clockevent counts every period). Channel 1 (DRAM refresh on the PC)
 * counts and is never wired. Channel 2 is gated by port 0x61 bit 0 and its
 * OUT reads back on bit 5 (Linux's TSC calibration).
 *
 * Runs in vCPU context on any CPU (port I/O exits) and, for the sink, on
 * the exit path of the vCPU that owns the channel 0 timer.
 *
 * Locking: one spinlock per PIT, not irqsave (no interrupt handler takes
 * it). It is taken outside the vtimer vCPU locks: the port handlers call
 * vtimer_start()/vtimer_stop() with it held, so that two vCPUs
 * reprogramming channel 0 at once leave the vtimer programmed as the
 * channel state says. The sink takes no lock (it only pulses irq0); irq0
 * is never driven with the PIT lock held. See docs/locking.md.
 *
 * Simplifications against the datasheet, none of which a PC guest relies
 * on: a count takes effect at the write, not one CLK later; a new count in
 * modes 2 and 3 restarts the period at once instead of at the next
 * reload; mode 3 with an odd count splits the period as (N+1)/2 high and
 * (N-1)/2 low but reads the counter as N - 2d mod N; BCD counts with
 * digits above 9 are taken modulo 10000.
 */
#ifndef CORE_DEV_VPIT_H
#define CORE_DEV_VPIT_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"
#include "core/vtimer.h"

#define VPIT_PORT_COUNTER0	0x40
#define VPIT_PORT_COUNTER2	0x42
#define VPIT_PORT_CONTROL	0x43
#define VPIT_PORT_B		0x61	/* gate 2, speaker, OUT2 */

#define VPIT_HZ			1193182ull
#define VPIT_CHANNELS		3

/*
 * The shortest period the channel 0 vtimer runs at (KVM clamps likewise):
 * a guest that asks for more interrupts than this gets fewer. Counter
 * reads and OUT still follow the programmed count.
 */
#define VPIT_MIN_PERIOD_NS	100000ull

/* Port B (0x61) bits. */
#define VPIT_PORTB_GATE2	BIT(0)	/* rw: channel 2 gate */
#define VPIT_PORTB_SPEAKER	BIT(1)	/* rw: speaker data enable */
#define VPIT_PORTB_WRITABLE	0x0fu	/* bits 2, 3 (NMI enables) kept */
#define VPIT_PORTB_REFRESH	BIT(4)	/* ro: toggles every 15.085 us */
#define VPIT_PORTB_OUT2		BIT(5)	/* ro: channel 2 OUT */

/* Control word (port 0x43). */
#define VPIT_CW_SC_SHIFT	6	/* 0-2 channel, 3 read-back */
#define VPIT_CW_SC_READBACK	3
#define VPIT_CW_RW_SHIFT	4
#define VPIT_CW_RW_MASK		(3u << VPIT_CW_RW_SHIFT)
#define VPIT_CW_MODE_SHIFT	1
#define VPIT_CW_MODE_MASK	(7u << VPIT_CW_MODE_SHIFT)
#define VPIT_CW_BCD		BIT(0)

/* Access modes (control word bits 5-4). */
#define VPIT_RW_LATCH		0	/* counter latch command */
#define VPIT_RW_LSB		1
#define VPIT_RW_MSB		2
#define VPIT_RW_WORD		3	/* LSB then MSB */

/* Read-back command (control word with SC = 3): bits clear = selected. */
#define VPIT_RB_NO_COUNT	BIT(5)
#define VPIT_RB_NO_STATUS	BIT(4)
#define VPIT_RB_CHANNEL(c)	BIT((c) + 1)

/* Status byte (read-back). Bits 5-0 repeat the control word. */
#define VPIT_STATUS_OUT		BIT(7)
#define VPIT_STATUS_NULL_COUNT	BIT(6)

struct vpit;

struct vpit_channel {
	/* All fields: the PIT's lock. */
	uint8_t ctrl;		/* control word bits 5-0 as written */
	uint8_t mode;		/* 0-5 (6, 7 alias 2, 3) */
	uint8_t rw;		/* VPIT_RW_LSB/MSB/WORD */
	bool bcd;
	bool gate;		/* channels 0, 1: always high */
	bool loaded;		/* a count was written since the control word */
	bool null_count;	/* status bit 6: no count taken up yet */
	/*
	 * Counting: running from base_value at base_ns. Not running
	 * (no count, gate low, modes 1 and 5 before their trigger): the
	 * counter holds base_value and OUT is out_frozen.
	 */
	bool running;
	bool out_frozen;
	bool tc_passed;		/* modes 0, 1, 4, 5: terminal count before base_ns */
	uint32_t count;		/* reload value in clocks: 1..modulus */
	uint32_t base_value;	/* counter at base_ns: 1..modulus (modulus = 0) */
	uint64_t base_ns;

	/* Latches and byte flip-flops. */
	bool count_latched;
	bool status_latched;
	bool read_msb;		/* word access: next read byte is the MSB */
	bool write_msb;		/* word access: next write byte is the MSB */
	uint16_t latch;		/* latched count, as read (BCD if bcd) */
	uint8_t status;		/* latched status byte */
	uint8_t write_lsb;	/* word access: LSB written, MSB awaited */
};

struct vpit {
	spinlock_t lock;	/* guards ch[] and port_b */
	struct vpit_channel ch[VPIT_CHANNELS];
	uint8_t port_b;		/* VPIT_PORTB_WRITABLE bits as written */

	/*
	 * Held across each pulse of irq0 (the sink's), so that two CPUs'
	 * pulses make two edges; taken with no other lock held.
	 */
	spinlock_t pulse_lock;
	/*
	 * pulse_lock: the number of the tick last pulsed, and of the last
	 * the guest took (vpit_taken()); a raise not after it is stale.
	 */
	uint32_t seq_pulsed, seq_taken;

	/* Fixed at vpit_init(): */
	uint64_t (*clock)(void);	/* ns; time_now_ns() on the machine */
	struct irq_line irq0;
	/* Fixed at vpit_set_waiting(), before publication; NULL: none. */
	bool (*irq0_waiting)(void *ctx);
	void *waiting_ctx;
	/*
	 * Channel 0's timer; fields are the vtimer's (its owner's lock).
	 * Started on its current owner, so a vtimer_migrate() that made
	 * it follow IRQ 0's vCPU survives reprogramming.
	 */
	struct vtimer timer;
};

/*
 * Sets up p as after reset: every channel in mode 3, LSB then MSB, no
 * count (no IRQ 0 until the guest programs channel 0), gate 2 low. The
 * channel 0 timer is owned by owner; irq0 is copied. clock gives ns (NULL:
 * time_now_ns()). Before p is published to other CPUs.
 */
void vpit_init(struct vpit *p, struct vtimer_vcpu *owner,
	       const struct irq_line *irq0, uint64_t (*clock)(void));

/*
 * IRQ 0 now goes to the vCPU whose timers to are: channel 0's timer moves
 * there (vtimer_migrate()), its pending ticks with it. Takes no PIT lock,
 * only the two vCPUs' timer locks, so the IOAPIC may call it under its own
 * lock. Any CPU.
 */
void vpit_retarget(struct vpit *p, struct vtimer_vcpu *to);

/*
 * Tells p how to find out whether an IRQ 0 interrupt it pulsed is still
 * waiting to be taken (in a LAPIC's IRR, in the 8259's unmasked IRR):
 * called under p's pulse_lock before a tick is pulsed again, so it may
 * take the interrupt controllers' locks, nothing else. Before
 * publication.
 */
void vpit_set_waiting(struct vpit *p, bool (*waiting)(void *ctx), void *ctx);

/*
 * The guest took an IRQ 0 interrupt on the vCPU whose timers by are (its
 * LAPIC accepted the vector of IOAPIC pin 2, or the 8259 acknowledged IRQ
 * 0): one owed channel 0 tick counts as delivered and the next is raised
 * (vtimer_ack()). Returns false if none was owed. Takes no PIT lock; any
 * CPU, no lock held.
 */
bool vpit_taken(struct vpit *p, struct vtimer_vcpu *by);

/* Stops channel 0's timer for good and waits for its deliveries. */
void vpit_destroy(struct vpit *p);

/* Ports 0x40-0x43 and 0x61; dev is the struct vpit. */
extern const struct vdev_io_ops vpit_io_ops;

/*
 * Prints each channel (mode, reload count, counter now, gate, running),
 * one line per print() call; copied under the lock first.
 */
void vpit_dump(struct vpit *p, void (*print)(void *ctx, const char *line), void *ctx);

#endif
