/*
 * The GDB remote serial protocol stub for guests: the protocol layer,
 * independent of the hardware. A VM's vCPUs are GDB's threads 1..N; the
 * stub reaches them only through struct gdb_target_ops, and GDB through
 * a byte stream (struct gdb_io), so the same code serves a serial port in
 * the hypervisor and a buffer or a socket in the hosted tests.
 *
 * Context: gdb_stub_poll() and everything it calls run on one CPU at a
 * time (the caller's polling context: the console monitor in the
 * hypervisor); it never blocks beyond the target's own calls and takes no
 * lock across them. gdb_stub_report_stop() and gdb_stub_owns_breakpoint()
 * may be called from any CPU (a vCPU's exit handler): they take the
 * stub's lock, a spinlock held for a few loads and stores.
 *
 * All-stop mode only: when one thread stops, the target stops them all
 * and reports one stop; the stub refuses register, memory, breakpoint and
 * resume packets while the target runs (E10, EBUSY).
 */
#ifndef CORE_DEBUG_GDB_STUB_H
#define CORE_DEBUG_GDB_STUB_H

#include "core/lib/compiler.h"
#include "core/lib/spinlock.h"

/* Largest packet payload either side sends (qSupported's PacketSize). */
#define GDB_PACKET_SIZE   4096
/* Software breakpoints the stub keeps at once. */
#define GDB_MAX_SWBREAK   64
/* Threads (vCPUs) the stub can address. */
#define GDB_MAX_THREADS   64
/* Bytes of the generated target description. */
#define GDB_XML_SIZE      6144

/*
 * The byte stream to GDB. getc returns the next byte (0-255) or -1 when
 * none is waiting, and never blocks; write sends len bytes (it may block
 * until a serial FIFO drains, nothing longer).
 */
struct gdb_io {
	int (*getc)(void *ctx);
	void (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
};

/*
 * A thread's registers as the stub reads and writes them: what GDB's
 * x86-64 register set names, in the units the architecture uses. The x87
 * and SSE state is not part of it (the stub serves zeros, see
 * docs/debugging.md).
 */
struct gdb_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
	uint64_t cs, ss, ds, es, fs, gs;	/* selectors */
	uint64_t fs_base, gs_base;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer;
};

/* Z/z packet types 1-4; software breakpoints (Z0) never reach the target. */
enum gdb_bp_type {
	GDB_BP_HW = 1,		/* hardware execution breakpoint */
	GDB_WATCH_WRITE = 2,
	GDB_WATCH_READ = 3,
	GDB_WATCH_ACCESS = 4,
};

/* What one thread does on resume. */
enum gdb_resume_action {
	GDB_RESUME_STAY = 0,	/* stays stopped */
	GDB_RESUME_CONTINUE,
	GDB_RESUME_STEP,	/* one instruction, then a GDB_STOP_STEP */
};

enum gdb_stop_reason {
	GDB_STOP_SWBREAK,	/* INT3 the stub owns; RIP at the INT3 */
	GDB_STOP_HWBREAK,	/* hardware execution breakpoint */
	GDB_STOP_WATCH,		/* watchpoint: addr and watch set */
	GDB_STOP_STEP,		/* single step done */
	GDB_STOP_REQUEST,	/* stopped because ops->stop asked */
	GDB_STOP_EXITED,	/* the VM ended: no thread left */
};

/* The asynchronous event "thread stopped for reason". */
struct gdb_stop {
	unsigned int thread;		/* 1..nr_threads */
	enum gdb_stop_reason reason;
	enum gdb_bp_type watch;		/* GDB_STOP_WATCH: which kind fired */
	uint64_t addr;			/* GDB_STOP_WATCH: the data address */
};

/*
 * The target: a VM. Every call comes from gdb_stub_poll()'s context. A
 * negative errno refuses (the stub answers E nn); threads are 1..N.
 *
 * nr_threads     threads the VM has; at most GDB_MAX_THREADS are served
 * thread_alive   whether thread t exists and runs guest code
 * regs_read      t's registers, all of them
 * regs_write     t's registers, all of them; the stub has already
 *                checked them (gdb_regs_valid()), so a refusal here is
 *                the target's own (e.g. a selector it cannot load)
 * mem_read/write guest-virtual memory as thread t translates it; return
 *                the bytes done from the start (0: the first byte is
 *                unmapped or outside guest RAM); never fault
 * bp_insert/     hardware breakpoints and watchpoints by type, address
 *   bp_remove    and length (1, 2, 4 or 8); NULL: the stub answers ''
 * resume         actions[t - 1] for each thread 1..nr; returns at once,
 *                the stop comes later through gdb_stub_report_stop()
 * stop           stop every thread; each stop is reported later (or
 *                from inside this call) as GDB_STOP_REQUEST, or as what
 *                stopped it first
 * detach         the debugger leaves: forget hardware breakpoints and
 *                single-stepping, let every thread run on
 * kill           end the VM
 */
struct gdb_target_ops {
	unsigned int (*nr_threads)(void *ctx);
	bool (*thread_alive)(void *ctx, unsigned int t);
	int (*regs_read)(void *ctx, unsigned int t, struct gdb_regs *regs);
	int (*regs_write)(void *ctx, unsigned int t, const struct gdb_regs *regs);
	size_t (*mem_read)(void *ctx, unsigned int t, uint64_t gva, void *buf, size_t len);
	size_t (*mem_write)(void *ctx, unsigned int t, uint64_t gva, const void *buf,
			    size_t len);
	int (*bp_insert)(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len);
	int (*bp_remove)(void *ctx, enum gdb_bp_type type, uint64_t addr, uint64_t len);
	int (*resume)(void *ctx, const uint8_t *actions, unsigned int nr);
	int (*stop)(void *ctx);
	void (*detach)(void *ctx);
	void (*kill)(void *ctx);
};

/*
 * The target as the stub sees it: its operations and what the CPU lets
 * the guest set (CR4 and EFER bits; 0 takes the defaults of
 * gdb_stub_init(): every defined CR4 bit but VMXE and SMXE, and EFER's
 * SCE, LME, LMA and NXE).
 */
struct gdb_target {
	const struct gdb_target_ops *ops;
	void *ctx;
	uint64_t cr4_allowed;
	uint64_t efer_allowed;
};

struct gdb_swbreak {
	uint64_t addr;		/* as GDB gave it: a guest-virtual address */
	unsigned int thread;	/* whose translation wrote the INT3 */
	uint8_t orig;		/* the guest's byte under the INT3 */
	bool used;
};

/* Receive states of the packet assembler. */
enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_CSUM1, GDB_RX_CSUM2 };

/* What the stub waits for after asking the target to stop. */
enum gdb_wait { GDB_WAIT_NONE, GDB_WAIT_QUERY, GDB_WAIT_INTERRUPT };

/* One connection's state; the caller owns the memory, nothing is allocated. */
struct gdb_stub {
	struct gdb_io io;
	struct gdb_target target;

	/* Packet assembly (poll context only). */
	enum gdb_rx_state rx_state;
	size_t rx_len;
	bool rx_overflow;
	uint8_t rx_sum, rx_csum;
	char rx[GDB_PACKET_SIZE + 1];

	/* The last packet sent, framed, kept for a resend on '-'. */
	char tx[GDB_PACKET_SIZE + 4];
	size_t tx_len;
	bool tx_overflow;

	/* Connection (poll context only). */
	bool no_ack;
	int thread_g, thread_c;		/* H g / H c: id, 0 any, -1 all */
	bool running;
	enum gdb_wait wait;
	struct gdb_stop last_stop;
	int last_signal;		/* of last_stop's reply: 5 or 2 */
	uint8_t actions[GDB_MAX_THREADS];
	uint8_t scratch[GDB_PACKET_SIZE];

	/* lock guards stop_pending, pending and swbreak[]. */
	spinlock_t lock;
	bool stop_pending;
	struct gdb_stop pending;
	struct gdb_swbreak swbreak[GDB_MAX_SWBREAK];

	char xml[GDB_XML_SIZE];
	size_t xml_len;
};

/*
 * Sets up s for a connection on io to target. The target is taken to be
 * running: GDB's first '?' asks it to stop. Returns 0, or -EINVAL when
 * the target description does not fit (a build-time mistake).
 */
int gdb_stub_init(struct gdb_stub *s, const struct gdb_io *io, const struct gdb_target *target);

/*
 * Reads what waits on the byte stream (at most a few packets' worth),
 * answers every complete packet, and sends the stop reply of a stop
 * reported since. Call it periodically and whenever bytes arrive.
 */
void gdb_stub_poll(struct gdb_stub *s);

/*
 * The target's event: a thread stopped (all-stop: the target has stopped
 * every thread). Any CPU. Kept until the next gdb_stub_poll() sends it;
 * a second report before then is dropped, the first one stands, and so
 * is one that comes while the stub already has the target stopped (a
 * late report of the same all-stop).
 */
void gdb_stub_report_stop(struct gdb_stub *s, const struct gdb_stop *stop);

/*
 * The stub lets go of its target (the hypervisor serves another VM, or
 * the VM ended): its INT3s are put back where the target still takes the
 * write (a VM that has ended takes none, and loses nothing), its table
 * emptied, the connection's state reset. Poll context.
 */
void gdb_stub_release(struct gdb_stub *s);

/*
 * Whether the stub put an INT3 at guest-virtual address addr. A target
 * that intercepts #BP asks this: yes, it stops and reports
 * GDB_STOP_SWBREAK with RIP moved back to addr; no, the INT3 is the
 * guest's own and goes back to the guest. Any CPU. The stub changes its
 * table only while the target is stopped, except for D and k, which GDB
 * sends to a stopped target but a peer may not: a target that hears no
 * and then finds no INT3 at addr (removed meanwhile) should run the
 * instruction again rather than hand the guest a #BP it never raised.
 */
bool gdb_stub_owns_breakpoint(struct gdb_stub *s, uint64_t addr);

/*
 * Whether a register set is one the CPU would accept, old being the
 * thread's current one (some rules are about the change: EFER.LME while
 * paging): canonical RIP and bases, no reserved RFLAGS, CR0, CR3, CR4,
 * CR8 or EFER bits, CR0.PG only with PE, NW only with CD, EFER.LMA equal
 * to LME and PG, long paging only with CR4.PAE, PCIDE only in long mode,
 * 16-bit selectors. The stub checks every G and P with it.
 */
bool gdb_regs_valid(const struct gdb_regs *regs, const struct gdb_regs *old,
		    uint64_t cr4_allowed, uint64_t efer_allowed);

#endif
