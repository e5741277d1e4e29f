/*
 * Hosted test of how the UART (core/pc/dev/vuart.c) and the PIC
 * (core/pc/dev/vpic.c) drive their interrupt outputs while other CPUs
 * keep changing the state behind them (docs/races.md, "Interrupt line
 * driver outrun").
 *
 * Deterministic cases: the console CPU delivers input (the UART's
 * receive path, and the PIC input the UART drives); the line handler it
 * reaches asks another CPU to flip the device's level and waits until
 * the flip is made, on every drive, up to FLIP_BUDGET flips. A driver
 * that re-drives until nothing changed meanwhile drives FLIP_BUDGET + 1
 * times (without the budget, for ever); the console CPU must drive at
 * most once, and the line must end at the device's level.
 *
 * Stress case (ASan and TSan): the UART's line wired to the PIC's IRQ 4
 * as on the PC, vCPU threads flipping the UART's and the PIC's state at
 * random while the console thread feeds input; whenever all of them
 * stop (400 times), the UART's line, the PIC's input and the PIC's INTR
 * line are each at the level their device's final state calls for.
 */
#include "core/pc/dev/vpic.h"
#include "core/pc/dev/vuart.h"
#include "core/pc/machine.h"
#include "tests/host/check.h"
#include "tests/host/test_util.h"

#define BASE		PC_COM1_BASE
#define CONSOLE_CPU	0
#define FLIPPER_CPU	1
/* Flips the line handler asks for on one console call, at most. */
#define FLIP_BUDGET	100
/* Drives the console CPU may make for its one change. */
#define CONSOLE_DRIVES_MAX 1

#define STRESS_VCPUS	3
#define STRESS_EPOCHS	400
#define STRESS_OPS	16	/* accesses per thread and epoch */
#define STRESS_DRIVE_SPINS 200	/* PAUSEs in each line handler */
#define STRESS_SEED	0x9e3779b97f4a7c15ull

/* ---- Deterministic: a flip on every drive ------------------------------ */

/*
 * The other CPU: each request flips the device's level once, through
 * the port handlers as a vCPU would; done counts finished flips. It
 * keeps the register it flips itself: reading the PIC back would be a
 * port access of its own, which waits for the console's drive.
 */
struct flipper {
	struct vuart *u;	/* flip the UART's IER RDI bit, or */
	struct vpic *p;		/* the PIC's master IMR bit 4 */
	uint8_t reg;		/* the flipped register's value */
	uint32_t requests;
	uint32_t done;
	uint32_t stop;
};

struct line_rig {
	struct flipper f;
	uint32_t flips_left;
	uint32_t console_drives;
	int level;		/* last level driven */
};

static __thread bool on_console;

static uint8_t uart_in(struct vuart *u, unsigned int off)
{
	uint32_t v = 0;

	CHECK_EQ(vuart_io_ops.read(u, BASE + off, 1, &v), 0);
	return (uint8_t)v;
}

static void uart_out(struct vuart *u, unsigned int off, uint8_t val)
{
	CHECK_EQ(vuart_io_ops.write(u, BASE + off, 1, val), 0);
}

static void pic_out(struct vpic *p, uint16_t port, uint8_t val)
{
	CHECK_EQ(vpic_io_ops.write(p, port, 1, val), 0);
}

/*
 * Whether the device asks for an interrupt now, looked at without a
 * drive of its own (an IER read changes no level; vpic_has_interrupt()
 * takes the lock and drives nothing).
 */
static bool flip_state(struct flipper *f)
{
	return f->u ? uart_in(f->u, VUART_IER) & VUART_IER_RDI :
		      vpic_has_interrupt(f->p);
}

static void flipper_main(struct worker *w)
{
	struct flipper *f = w->arg;
	uint32_t n = 0;

	while (!atomic_load(&f->stop)) {
		if (atomic_load(&f->requests) == n) {
			shim_pause();
			continue;
		}
		if (f->u) {
			f->reg ^= VUART_IER_RDI;
			uart_out(f->u, VUART_IER, f->reg);
		} else {
			f->reg ^= BIT(PC_IRQ_COM1);
			pic_out(f->p, VPIC_MASTER_DATA, f->reg);
		}
		atomic_store(&f->done, ++n);
	}
}

/*
 * The line handler. On the console CPU it counts the drive and, while
 * the budget lasts, has the other CPU flip the level and waits until the
 * flip is visible in the device (not until the flipper returns: its own
 * drive may wait for this one).
 */
static void line_set(void *ctx, unsigned int line, int level)
{
	struct line_rig *r = ctx;
	uint64_t deadline;
	bool before;

	atomic_store(&r->level, level);
	if (!on_console)
		return;
	r->console_drives++;
	if (!r->flips_left)
		return;
	r->flips_left--;
	before = flip_state(&r->f);
	atomic_store(&r->f.requests, atomic_load(&r->f.requests) + 1);
	deadline = time_now_ns() + TEST_WAIT_NS;
	while (flip_state(&r->f) == before) {
		if (time_now_ns() > deadline) {
			CHECK(!"flip not seen");
			return;
		}
		shim_pause();
	}
}

static void rig_start(struct line_rig *r, struct worker *w, uint8_t reg)
{
	r->f.reg = reg;
	r->flips_left = FLIP_BUDGET;
	r->level = -1;
	on_console = true;
	worker_start(w, FLIPPER_CPU, flipper_main, &r->f);
}

static void rig_stop(struct line_rig *r, struct worker *w)
{
	on_console = false;
	atomic_store(&r->f.stop, 1);
	worker_join(w);
}

static void uart_console_not_outrun(void)
{
	static struct vuart u;
	struct line_rig r = { .f = { .u = &u } };
	struct irq_line irq = { .set = line_set, .ctx = &r,
				.line = PC_IRQ_COM1 };
	struct worker w;
	uint32_t flips;

	vuart_init(&u, BASE, &irq, NULL, NULL);
	uart_out(&u, VUART_MCR, VUART_MCR_OUT2);
	uart_out(&u, VUART_IER, VUART_IER_RDI);
	rig_start(&r, &w, VUART_IER_RDI);
	/* Typed input: the level rises, and the console CPU drives it. */
	CHECK_EQ(vuart_receive(&u, (const uint8_t *)"x", 1), 1);
	CHECK(r.console_drives >= 1);
	CHECK(r.console_drives <= CONSOLE_DRIVES_MAX);
	flips = FLIP_BUDGET - r.flips_left;
	CHECK(wait_u32(&r.f.done, flips));
	rig_stop(&r, &w);
	/* Every flip is in; the line is at the device's level. */
	CHECK_EQ(atomic_load(&r.level),
		 !(uart_in(&u, VUART_IIR) & VUART_IIR_NO_INT));
}

/* ICW1-4 as Linux writes them, vectors 0x20 and 0x28, all unmasked. */
static void pic_linux_init(struct vpic *p)
{
	pic_out(p, VPIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
	pic_out(p, VPIC_MASTER_DATA, 0x20);
	pic_out(p, VPIC_MASTER_DATA, BIT(VPIC_CASCADE_IRQ));
	pic_out(p, VPIC_MASTER_DATA, PIC_ICW4_8086);
	pic_out(p, VPIC_SLAVE_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
	pic_out(p, VPIC_SLAVE_DATA, 0x28);
	pic_out(p, VPIC_SLAVE_DATA, VPIC_CASCADE_IRQ);
	pic_out(p, VPIC_SLAVE_DATA, PIC_ICW4_8086);
	pic_out(p, VPIC_MASTER_DATA, 0);
	pic_out(p, VPIC_SLAVE_DATA, 0);
}

static void pic_console_not_outrun(void)
{
	static struct vpic p;
	struct line_rig r = { .f = { .p = &p } };
	struct irq_line intr = { .set = line_set, .ctx = &r };
	struct worker w;
	uint32_t flips;

	vpic_init(&p, &intr);
	pic_linux_init(&p);
	rig_start(&r, &w, 0);
	/* The UART's line rises on the console CPU: IRQ 4 requests. */
	vpic_set_irq(&p, PC_IRQ_COM1, 1);
	CHECK(r.console_drives >= 1);
	CHECK(r.console_drives <= CONSOLE_DRIVES_MAX);
	flips = FLIP_BUDGET - r.flips_left;
	CHECK(wait_u32(&r.f.done, flips));
	rig_stop(&r, &w);
	CHECK_EQ(atomic_load(&r.level), vpic_has_interrupt(&p));
}

/* ---- Stress: the UART through the PIC, as on the PC -------------------- */

/*
 * Epochs: every thread makes STRESS_OPS accesses, then all meet; the
 * main thread checks the lines while they wait, and lets them go on. A
 * lost update shows when the last change of an epoch meets a drive still
 * under way; the line handlers dawdle (STRESS_DRIVE_SPINS) to make that
 * likelier.
 */
struct stress {
	struct vuart u;
	struct vpic p;
	int uart_line;		/* last level the UART drove */
	int intr_line;		/* last level the PIC drove */
	uint32_t arrived;	/* threads at the end of the current epoch */
	uint32_t epoch;		/* epochs the main thread has checked */
};

static void stress_dawdle(void)
{
	unsigned int i;

	for (i = 0; i < STRESS_DRIVE_SPINS; i++)
		__builtin_ia32_pause();
}

static void stress_uart_line(void *ctx, unsigned int line, int level)
{
	struct stress *s = ctx;

	stress_dawdle();
	atomic_store(&s->uart_line, level);
	vpic_set_irq(&s->p, line, level);
}

static void stress_intr_line(void *ctx, unsigned int line, int level)
{
	struct stress *s = ctx;

	stress_dawdle();
	atomic_store(&s->intr_line, level);
}

/*
 * End of epoch @e for one thread: arrive, wait for the main thread.
 * False if it never came (the case has failed): the thread stops.
 */
static bool stress_meet(struct stress *s, uint32_t e)
{
	__atomic_add_fetch(&s->arrived, 1, __ATOMIC_ACQ_REL);
	return wait_u32_acquire(&s->epoch, e + 1);
}

/* A vCPU: random flips of the UART's and the PIC's state. */
static void stress_vcpu(struct worker *w)
{
	struct stress *s = w->arg;
	uint64_t rng = STRESS_SEED * w->cpu;
	unsigned int e, i;

	for (e = 0; e < STRESS_EPOCHS; e++) {
		for (i = 0; i < STRESS_OPS; i++) {
			switch (rand_below(&rng, 6)) {
			case 0:
				uart_out(&s->u, VUART_IER,
					 (uint8_t)rand_below(&rng, 4));
				break;
			case 1:
				uart_in(&s->u, VUART_RBR);
				break;
			case 2:
				uart_in(&s->u, VUART_IIR);
				break;
			case 3:
				pic_out(&s->p, VPIC_MASTER_DATA,
					rand_below(&rng, 2) ? BIT(PC_IRQ_COM1) : 0);
				break;
			case 4:
				vpic_ack(&s->p);
				pic_out(&s->p, VPIC_MASTER_CMD, 0x20);	/* EOI */
				break;
			default:
				vpic_set_irq(&s->p, PC_IRQ_COM2,
					     (int)rand_below(&rng, 2));
				break;
			}
		}
		if (!stress_meet(s, e))
			return;
	}
}

/* The console: typed input, as vpc_console_input() delivers it. */
static void stress_console(struct worker *w)
{
	struct stress *s = w->arg;
	unsigned int e, i;

	for (e = 0; e < STRESS_EPOCHS; e++) {
		for (i = 0; i < STRESS_OPS; i++) {
			if (vuart_rx_space(&s->u))
				vuart_receive(&s->u, (const uint8_t *)"k", 1);
		}
		if (!stress_meet(s, e))
			return;
	}
}

/* All threads are between epochs: each line at its device's level. */
static void stress_check(struct stress *s)
{
	uint32_t level = s->u.irq_level;
	uint8_t mcr, iir;

	CHECK_EQ(atomic_load(&s->uart_line), (int)level);
	CHECK_EQ(!!(s->p.chip[0].lines & BIT(PC_IRQ_COM1)), level);
	CHECK_EQ(atomic_load(&s->intr_line), vpic_has_interrupt(&s->p));
	/* And that level is the one the registers show (IIR as read). */
	mcr = uart_in(&s->u, VUART_MCR);
	iir = uart_in(&s->u, VUART_IIR);
	CHECK_EQ(level, !(iir & VUART_IIR_NO_INT) && (mcr & VUART_MCR_OUT2));
}

static void lines_end_at_final_level(void)
{
	static struct stress s;
	struct irq_line com1 = { .set = stress_uart_line, .ctx = &s,
				 .line = PC_IRQ_COM1 };
	struct irq_line intr = { .set = stress_intr_line, .ctx = &s };
	struct worker w[STRESS_VCPUS + 1];
	unsigned int e, i;

	vpic_init(&s.p, &intr);
	pic_linux_init(&s.p);
	/* Level-triggered IRQ 4, so the PIC's IRR follows the UART's line. */
	pic_out(&s.p, VPIC_ELCR_MASTER, BIT(PC_IRQ_COM1));
	vuart_init(&s.u, BASE, &com1, NULL, NULL);
	uart_out(&s.u, VUART_MCR, VUART_MCR_OUT2);
	uart_out(&s.u, VUART_FCR, VUART_FCR_ENABLE);
	worker_start(&w[0], STRESS_VCPUS + 1, stress_console, &s);
	for (i = 1; i <= STRESS_VCPUS; i++)
		worker_start(&w[i], i, stress_vcpu, &s);
	for (e = 0; e < STRESS_EPOCHS; e++) {
		if (!wait_u32_acquire(&s.arrived, (e + 1) * ARRAY_SIZE(w))) {
			CHECK(!"threads did not meet");
			break;
		}
		stress_check(&s);
		__atomic_store_n(&s.epoch, e + 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < ARRAY_SIZE(w); i++)
		worker_join(&w[i]);
}

int main(void)
{
	shim_set_cpu(CONSOLE_CPU);
	RUN(uart_console_not_outrun);
	RUN(pic_console_not_outrun);
	RUN(lines_end_at_final_level);
	return check_done();
}
