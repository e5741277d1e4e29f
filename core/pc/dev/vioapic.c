/*
 * Virtual I/O APIC: indirect registers, pin logic, messages to the APIC
 * bus.
 *
 * Runs in vCPU context on any CPU. Functions named __vioapic_* run with
 * io->lock held; they collect the messages to send in a struct
 * vioapic_out, which vioapic_unlock_send() delivers after dropping the
 * lock (the lock order rationale is in vioapic.h).
 */
#include "core/pc/dev/vioapic.h"
#include "core/lib/printf.h"

#define VIOAPIC_PAGE_MASK	0xfffull
#define VIOAPIC_NO_SOURCE	0xffffffffu	/* src_id: not an APIC */

/* Messages a locked section leaves for after the unlock: one per pin. */
struct vioapic_out {
	unsigned int n;
	struct vapic_msg msg[VIOAPIC_PINS];
};

static bool vioapic_rte_level(uint64_t rte)
{
	return rte & IOAPIC_RTE_LEVEL;
}

/* The pin's input as the entry sees it: polarity applied. */
static bool __vioapic_asserted(const struct vioapic *io, unsigned int pin)
{
	bool high = io->lines >> pin & 1;

	return high != !!(io->rte[pin] & IOAPIC_RTE_POLARITY_LOW);
}

/* The message entry pin sends. */
static struct vapic_msg __vioapic_msg(const struct vioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	return (struct vapic_msg){
		.src_id = VIOAPIC_NO_SOURCE,
		.dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT),
		.logical = rte & IOAPIC_RTE_DEST_LOGICAL,
		.shorthand = VAPIC_SH_NONE,
		.delivery = (uint8_t)((rte & IOAPIC_RTE_DM_MASK) >>
				      IOAPIC_RTE_DM_SHIFT),
		.vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR_MASK),
		.level = vioapic_rte_level(rte),
		.assert = true,
	};
}

/* Queues the message entry pin sends. */
static void __vioapic_queue(struct vioapic *io, unsigned int pin,
			    struct vioapic_out *out)
{
	out->msg[out->n++] = __vioapic_msg(io, pin);
}

/*
 * A level-triggered entry sends if it is unmasked, its input asserted and
 * remote IRR clear; sending sets remote IRR.
 */
static void __vioapic_service_level(struct vioapic *io, unsigned int pin,
				    struct vioapic_out *out)
{
	uint64_t rte = io->rte[pin];

	if (!vioapic_rte_level(rte) || (rte & IOAPIC_RTE_MASKED) ||
	    (rte & IOAPIC_RTE_REMOTE_IRR) || !__vioapic_asserted(io, pin))
		return;
	io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	__vioapic_queue(io, pin, out);
}

static void vioapic_unlock_send(struct vioapic *io, struct vioapic_out *out)
{
	spin_unlock(&io->lock);
	for (unsigned int i = 0; i < out->n; i++)
		vapic_bus_deliver(io->bus, &out->msg[i]);
}

/* ---- Inputs and EOI ---------------------------------------------------- */

void vioapic_set_irq(struct vioapic *io, unsigned int pin, int level)
{
	struct vioapic_out out = { .n = 0 };
	bool before;

	if (pin >= VIOAPIC_PINS)
		return;
	spin_lock(&io->lock);
	before = __vioapic_asserted(io, pin);
	if (level)
		io->lines |= 1u << pin;
	else
		io->lines &= ~(1u << pin);
	if (vioapic_rte_level(io->rte[pin]))
		__vioapic_service_level(io, pin, &out);
	else if (!before && __vioapic_asserted(io, pin) &&
		 !(io->rte[pin] & IOAPIC_RTE_MASKED))
		__vioapic_queue(io, pin, &out);
	vioapic_unlock_send(io, &out);
}

void vioapic_irq_line_set(void *ctx, unsigned int line, int level)
{
	vioapic_set_irq(ctx, line, level);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	struct vioapic_out out = { .n = 0 };

	spin_lock(&io->lock);
	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		if (!vioapic_rte_level(rte) ||
		    (rte & IOAPIC_RTE_VECTOR_MASK) != vector ||
		    !(rte & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		__vioapic_service_level(io, pin, &out);
	}
	vioapic_unlock_send(io, &out);
}

int vioapic_pin_vector(struct vioapic *io, unsigned int pin)
{
	uint64_t rte;

	if (pin >= VIOAPIC_PINS)
		return -1;
	spin_lock(&io->lock);
	rte = io->rte[pin];
	spin_unlock(&io->lock);
	if ((rte & IOAPIC_RTE_DM_MASK) >> IOAPIC_RTE_DM_SHIFT > VAPIC_DM_LOWEST)
		return -1;
	return (int)(rte & IOAPIC_RTE_VECTOR_MASK);
}

/* ---- Indirect registers ------------------------------------------------ */

static uint32_t __vioapic_read_reg(const struct vioapic *io)
{
	uint32_t idx = io->regsel, pin;

	switch (idx) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB:	/* the arbitration ID is the ID */
		return io->id;
	case VIOAPIC_REG_VERSION:
		return VIOAPIC_VERSION_VALUE;
	}
	if (idx < VIOAPIC_REG_REDIR || idx >= VIOAPIC_REG_REDIR + 2 * VIOAPIC_PINS)
		return 0;
	pin = (idx - VIOAPIC_REG_REDIR) / 2;
	return idx & 1 ? (uint32_t)(io->rte[pin] >> 32) : (uint32_t)io->rte[pin];
}

/* One half of pin's entry: val into the writable bits of that half. */
static void __vioapic_write_rte(struct vioapic *io, unsigned int pin,
				bool high, uint32_t val,
				struct vioapic_out *out)
{
	uint64_t old = io->rte[pin], half, rte;

	half = high ? (uint64_t)val << 32 : val;
	half &= IOAPIC_RTE_WRITABLE & (high ? GENMASK_ULL(63, 32) :
					      GENMASK_ULL(31, 0));
	rte = (old & ~(IOAPIC_RTE_WRITABLE & (high ? GENMASK_ULL(63, 32) :
						     GENMASK_ULL(31, 0)))) | half;
	/* Remote IRR means nothing to an edge-triggered entry. */
	if (!vioapic_rte_level(rte))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	/*
	 * The interrupt may go elsewhere now: whoever owns a timer behind
	 * this pin moves it, still under the lock, so that two writers
	 * leave the timer where the later entry points.
	 */
	if (io->routed && rte != old && !(rte & IOAPIC_RTE_MASKED)) {
		struct vapic_msg msg = __vioapic_msg(io, pin);

		io->routed(io->routed_ctx, pin, &msg);
	}
	/* Unmasked or re-polarised with the line asserted: send now. */
	__vioapic_service_level(io, pin, out);
}

static void __vioapic_write_reg(struct vioapic *io, uint32_t val,
				struct vioapic_out *out)
{
	uint32_t idx = io->regsel;

	if (idx == VIOAPIC_REG_ID) {
		io->id = val & VIOAPIC_ID_MASK;
		return;
	}
	if (idx < VIOAPIC_REG_REDIR || idx >= VIOAPIC_REG_REDIR + 2 * VIOAPIC_PINS)
		return;		/* version, arbitration: read-only */
	__vioapic_write_rte(io, (idx - VIOAPIC_REG_REDIR) / 2, idx & 1, val, out);
}

/* ---- MMIO -------------------------------------------------------------- */

static int vioapic_mmio_read(void *dev, uint64_t addr, unsigned int size,
			     uint64_t *val)
{
	struct vioapic *io = dev;
	uint64_t off = addr & VIOAPIC_PAGE_MASK;

	*val = 0;
	if (size != 4)
		return 0;
	spin_lock(&io->lock);
	if (off == VIOAPIC_MMIO_REGSEL)
		*val = io->regsel;
	else if (off == VIOAPIC_MMIO_WINDOW)
		*val = __vioapic_read_reg(io);
	spin_unlock(&io->lock);
	return 0;
}

static int vioapic_mmio_write(void *dev, uint64_t addr, unsigned int size,
			      uint64_t val)
{
	struct vioapic *io = dev;
	uint64_t off = addr & VIOAPIC_PAGE_MASK;
	struct vioapic_out out = { .n = 0 };

	if (size != 4)
		return 0;
	if (off == VIOAPIC_MMIO_EOI) {
		vioapic_eoi(io, (uint8_t)val);
		return 0;
	}
	spin_lock(&io->lock);
	if (off == VIOAPIC_MMIO_REGSEL)
		io->regsel = (uint32_t)val & 0xffu;
	else if (off == VIOAPIC_MMIO_WINDOW)
		__vioapic_write_reg(io, (uint32_t)val, &out);
	vioapic_unlock_send(io, &out);
	return 0;
}

const struct vdev_mmio_ops vioapic_mmio_ops = {
	.read = vioapic_mmio_read,
	.write = vioapic_mmio_write,
};

/* ---- Set-up ------------------------------------------------------------ */

static void __vioapic_reset(struct vioapic *io)
{
	io->regsel = 0;
	io->id = 0;
	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_RESET;
}

void vioapic_init(struct vioapic *io, struct vapic_bus *bus)
{
	spin_lock_init(&io->lock);
	io->lines = 0;
	io->bus = bus;
	io->routed = NULL;
	io->routed_ctx = NULL;
	__vioapic_reset(io);
}

void vioapic_set_routed(struct vioapic *io,
			void (*routed)(void *ctx, unsigned int pin,
				       const struct vapic_msg *msg),
			void *ctx)
{
	io->routed = routed;
	io->routed_ctx = ctx;
}

void vioapic_reset(struct vioapic *io)
{
	spin_lock(&io->lock);
	__vioapic_reset(io);
	spin_unlock(&io->lock);
}

void vioapic_dump(struct vioapic *io,
		  void (*print)(void *ctx, const char *line), void *ctx)
{
	char line[120];

	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t rte;
		bool high;

		spin_lock(&io->lock);
		rte = io->rte[pin];
		high = io->lines >> pin & 1;
		spin_unlock(&io->lock);
		if (rte == IOAPIC_RTE_RESET && !high)
			continue;
		hv_snprintf(line, sizeof(line),
			    "ioapic pin %2u: %016llx line %d%s%s%s",
			    pin, (unsigned long long)rte, high,
			    rte & IOAPIC_RTE_MASKED ? " masked" : "",
			    rte & IOAPIC_RTE_LEVEL ? " level" : " edge",
			    rte & IOAPIC_RTE_REMOTE_IRR ? " remote-irr" : "");
		print(ctx, line);
	}
}
