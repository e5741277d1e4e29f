/*
 * Virtual MC146818 CMOS/RTC: the PC's real-time clock, its three interrupts
 * and 128 bytes of CMOS memory.
 *
 * Ports: 0x70 index (bits 6-0; bit 7, the NMI mask, is kept and reads
 * back), 0x71 data; the VM routes both to vrtc_io_ops. Accesses wider than
 * a byte act on the low byte (reads fill the upper bytes with ones).
 *
 * Time: the calendar is worked out at each read from the guest's time,
 * clock_ns() plus an offset set at vrtc_init() from wall_ns() (Unix time,
 * ns) and moved by guest writes to the time registers; the offset is kept
 * as seconds plus a fraction, so any date the registers can name (years
 * 0 to 9999, up to 25599 with a binary century) is exact and keeps
 * ticking. The count goes on past 9999-12-31 23:59:59; the registers
 * show the year modulo 10000 (century 99 rolls over to 00, as a
 * chipset's BCD century counter does), and the Gregorian calendar's
 * 400-year cycle keeps the day of week right. One clock domain:
 * interrupts and register values cannot drift apart. Registers 0-9 and the century (0x32) read in BCD or binary
 * (register B DM) and 12 or 24 hour (register B 24/12) as the chip would.
 * With SET (register B bit 7) the time registers hold their values (a
 * snapshot at the SET write) and take guest writes; clearing SET restarts
 * the clock from them, at the start of that second. A time register write
 * without SET changes that field at once, keeping the fraction of second.
 *
 * Register A: UIP (bit 7) reads 1 during the last 244 us of each second
 * (the chip's update cycle warning; 0 while SET is held), so Linux's
 * mc146818_get_time() and mc146818_avoid_UIP() get through in one pass;
 * DV (6-4) and RS (3-0) read/write. The periodic rate is 32768 >> (RS - 1)
 * Hz (RS 1, 2: 256, 128 Hz, as rates 8, 9), with DV = 010 only.
 * Register B: SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE read/write; SET
 * going high clears UIE (datasheet). Register C (read only): IRQF, PF, AF,
 * UF; reading it clears them. Register D: VRT always set.
 *
 * Flags and IRQ 8. PF is set at each period boundary and UF at each second
 * boundary (not while SET is held), whether their enables are set or not
 * (a guest may poll register C): both are worked out lazily from the clock
 * at each access. AF is set when the time matches the alarm registers 1, 3,
 * 5 (0xC0-0xFF: don't care), checked at each second while AIE or UIE is
 * set. IRQF = PF & PIE | AF & AIE | UF & UIE. IRQ 8 is an edge (ISA IRQ 8,
 * IOAPIC pin 8 edge): one pulse each time IRQF goes from 0 to 1; the
 * chip's IRQ# stays asserted until register C is read, so a guest that does
 * not read C gets no further interrupt, and reading C re-arms the edge.
 * Timers: the periodic interrupt runs on a struct vtimer only while PIE is
 * set with a rate, the update/alarm check on another only while UIE or AIE
 * is set (and SET is clear): an idle guest takes no timer.
 *
 * CMOS memory set up from the RAM below 4 GiB (low) and above it (high)
 * as a BIOS leaves it: equipment 0x14 (FPU, VGA, no floppy), base memory
 * 0x15/0x16 = 640 KiB, extended memory 0x17/0x18 and 0x30/0x31 (KiB of
 * low RAM above 1 MiB, at most 0xFFFF), 0x34/0x35 (64 KiB units of low
 * RAM above 16 MiB, at most 0xFFFF), 0x5B-0x5D (64 KiB units of high
 * RAM, as QEMU's BIOS reads them), checksum 0x2E/0x2F over 0x10-0x2D.
 * Other bytes are plain read/write memory.
 *
 * Simplifications: time runs whatever DV says; SQWE and DSE are stored
 * only; AF is not evaluated while AIE and UIE are both clear; a vCPU that
 * exits less than once a second while AIE is set can miss an alarm second.
 *
 * Runs in vCPU context on any CPU (port handlers) and on the exit path of
 * the timers' owner (the sinks).
 *
 * Locking: one spinlock per RTC, not irqsave. Port handlers call
 * vtimer_start()/vtimer_stop() with it held (it is taken outside the
 * vtimer vCPU locks, as the vPIT's is). The sinks are called with no lock
 * and take the RTC lock. irq8 is pulsed after the lock is dropped; a pulse
 * that arrives after a concurrent read of register C is an interrupt whose
 * handler finds C clear, which guests tolerate.
 */
#ifndef CORE_DEV_VRTC_H
#define CORE_DEV_VRTC_H

#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"
#include "core/lib/spinlock.h"
#include "core/vtimer.h"

#define VRTC_PORT_INDEX		0x70
#define VRTC_PORT_DATA		0x71
#define VRTC_IRQ		8
#define VRTC_CMOS_SIZE		128

#define VRTC_INDEX_MASK		0x7f
#define VRTC_INDEX_NMI_MASK	BIT(7)	/* kept, never acted on */

/* Register indices. */
#define VRTC_SECONDS		0x00
#define VRTC_SECONDS_ALARM	0x01
#define VRTC_MINUTES		0x02
#define VRTC_MINUTES_ALARM	0x03
#define VRTC_HOURS		0x04
#define VRTC_HOURS_ALARM	0x05
#define VRTC_DAY_OF_WEEK	0x06	/* 1 = Sunday */
#define VRTC_DAY_OF_MONTH	0x07
#define VRTC_MONTH		0x08
#define VRTC_YEAR		0x09	/* 00-99 */
#define VRTC_REG_A		0x0a
#define VRTC_REG_B		0x0b
#define VRTC_REG_C		0x0c
#define VRTC_REG_D		0x0d
#define VRTC_CENTURY		0x32	/* the FADT's CENTURY */

/* Register A. */
#define VRTC_A_UIP		BIT(7)	/* ro: update in progress soon */
#define VRTC_A_DV_SHIFT		4
#define VRTC_A_DV_MASK		(7u << VRTC_A_DV_SHIFT)
#define VRTC_A_DV_32KHZ		(2u << VRTC_A_DV_SHIFT)	/* 010: normal */
#define VRTC_A_RS_MASK		0x0fu
#define VRTC_A_RESET		(VRTC_A_DV_32KHZ | 6)	/* 1024 Hz */

/* Register B. */
#define VRTC_B_SET		BIT(7)
#define VRTC_B_PIE		BIT(6)
#define VRTC_B_AIE		BIT(5)
#define VRTC_B_UIE		BIT(4)
#define VRTC_B_SQWE		BIT(3)
#define VRTC_B_DM_BINARY	BIT(2)
#define VRTC_B_24H		BIT(1)
#define VRTC_B_DSE		BIT(0)
#define VRTC_B_RESET		VRTC_B_24H	/* BCD, 24 h: what Linux wants */

/* Register C. */
#define VRTC_C_IRQF		BIT(7)
#define VRTC_C_PF		BIT(6)
#define VRTC_C_AF		BIT(5)
#define VRTC_C_UF		BIT(4)

/* Register D. */
#define VRTC_D_VRT		BIT(7)	/* valid RAM and time */

/* 12-hour mode: bit 7 of the hours registers is PM. */
#define VRTC_HOUR_PM		BIT(7)
/* Alarm register values 0xC0-0xFF match any value. */
#define VRTC_ALARM_DONT_CARE	0xc0

/* UIP reads 1 for this long before each second boundary. */
#define VRTC_UIP_NS		244000ull
#define VRTC_OSC_HZ		32768u

/* BIOS CMOS bytes. */
#define VRTC_CMOS_EQUIPMENT	0x14
#define VRTC_CMOS_BASE_MEM_LO	0x15	/* KiB below 1 MiB: 640 */
#define VRTC_CMOS_BASE_MEM_HI	0x16
#define VRTC_CMOS_EXT_MEM_LO	0x17	/* KiB above 1 MiB */
#define VRTC_CMOS_EXT_MEM_HI	0x18
#define VRTC_CMOS_CSUM_FIRST	0x10	/* checksummed range */
#define VRTC_CMOS_CSUM_LAST	0x2d
#define VRTC_CMOS_CSUM_HI	0x2e
#define VRTC_CMOS_CSUM_LO	0x2f
#define VRTC_CMOS_EXT_MEM2_LO	0x30	/* copy of 0x17/0x18 */
#define VRTC_CMOS_EXT_MEM2_HI	0x31
#define VRTC_CMOS_HIGH_MEM_LO	0x34	/* 64 KiB units above 16 MiB */
#define VRTC_CMOS_HIGH_MEM_HI	0x35
#define VRTC_CMOS_ABOVE_4G_LO	0x5b	/* 64 KiB units above 4 GiB, 24 bits */
#define VRTC_CMOS_ABOVE_4G_MID	0x5c
#define VRTC_CMOS_ABOVE_4G_HI	0x5d
#define VRTC_EQUIPMENT_FPU	BIT(1)	/* video bits 5-4 = 00: VGA */
#define VRTC_BASE_MEM_KIB	640

struct vrtc {
	spinlock_t lock;	/* guards the fields up to the fixed ones */
	uint8_t index;		/* port 0x70 as written, NMI mask included */
	/*
	 * CMOS bytes. Registers A (but UIP) and B live here; the time
	 * registers here are meaningful only while SET is held; C and D are
	 * not used (computed).
	 */
	uint8_t cmos[VRTC_CMOS_SIZE];
	/* Guest time = wall_sec s + (clock + wall_frac) ns (see vrtc.c). */
	int64_t wall_sec;
	uint32_t wall_frac;	/* < 1 s */
	/* Register C: flags held since the last read of C (PF, UF lazy too). */
	bool pf, af, uf, irqf;
	uint64_t pf_since_ns;	/* clock at the last PF clear, >= p_base_ns */
	int64_t uf_sec;		/* guest second at the last UF clear */
	/* Periodic: boundaries at p_base_ns + k * p_period_ns; 0: no rate. */
	uint64_t p_base_ns;
	uint64_t p_period_ns;
	/*
	 * ptimer programmed. While it is, PF is not lazy: it rises only
	 * when the timer raises an owed tick (vrtc.c, vrtc_pfire()).
	 */
	bool ptimer_on;
	/* PF was raised for an owed tick and register C not read since. */
	bool pf_raised;
	/* The number of that tick, and of the last one whose C was read. */
	uint32_t p_seq_raised, p_seq_taken;
	bool utimer_on;		/* utimer programmed */

	/*
	 * Held across each pulse of irq8, so that two CPUs' pulses make two
	 * edges; taken with no other RTC lock held (docs/locking.md).
	 */
	spinlock_t pulse_lock;

	/* Fixed at vrtc_init(): */
	uint64_t (*clock)(void);	/* ns; time_now_ns() on the machine */
	struct irq_line irq8;
	/* Timers; their fields are the vtimer's (their owner's lock). */
	struct vtimer ptimer;	/* periodic interrupt, while PIE */
	struct vtimer utimer;	/* each second, while UIE or AIE */
};

/*
 * Sets up r as after power-on: time from wall_ns() (Unix ns; NULL: 1970),
 * register A 0x26, B 24 h BCD, no interrupt enabled, CMOS memory bytes for
 * low_bytes of RAM below 4 GiB and high_bytes above it. Timers owned by owner; irq8 copied; clock_ns gives
 * monotonic ns (NULL: time_now_ns()). Before r is published to other CPUs.
 */
void vrtc_init(struct vrtc *r, struct vtimer_vcpu *owner,
	       const struct irq_line *irq8, uint64_t (*clock_ns)(void),
	       uint64_t (*wall_ns)(void), uint64_t low_bytes, uint64_t high_bytes);

/*
 * IRQ 8 now goes to the vCPU whose timers to are: the periodic and the
 * update timer move there (vtimer_migrate()). Takes no RTC lock, only the
 * two vCPUs' timer locks, so the IOAPIC may call it under its own lock
 * (the RTC's sinks take the RTC lock, then the IOAPIC's). Any CPU.
 */
void vrtc_retarget(struct vrtc *r, struct vtimer_vcpu *to);

/* Stops both timers for good and waits for their deliveries. */
void vrtc_destroy(struct vrtc *r);

/*
 * The guest's RTC time (as it runs now, guest writes included) at clock
 * value clock_ns: whole seconds since the Unix epoch in *sec (negative
 * before 1970) and the fraction in *nsec. Any CPU; takes r->lock.
 */
void vrtc_time_at(struct vrtc *r, uint64_t clock_ns, int64_t *sec, uint32_t *nsec);

/* Ports 0x70 and 0x71; dev is the struct vrtc. */
extern const struct vdev_io_ops vrtc_io_ops;

/*
 * Prints registers A-D, the index and the periodic rate, one line per
 * print() call; copied under the lock first.
 */
void vrtc_dump(struct vrtc *r, void (*print)(void *ctx, const char *line), void *ctx);

#endif
