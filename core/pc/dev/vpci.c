/*
 * Virtual PCI configuration mechanism #1 and the 440FX host bridge (see
 * vpci.h).
 *
 * vCPU context, any CPU. The port handlers take the config space lock for
 * the whole access, vpci_io_fast() takes none; nothing is called with it
 * held.
 */
#include "core/pc/dev/vpci.h"

#define VPCI_ALL_ONES	0xffffffffu

/* ---- The host bridge -------------------------------------------------- */

/*
 * Byte off (0-255) of the host bridge's config space, cmd and latency
 * being its writable registers' values. No lock: the caller reads them.
 */
static uint8_t vpci_bridge_byte(unsigned int off, uint16_t cmd, uint8_t latency)
{
	switch (off) {
	case VPCI_VENDOR_ID:
		return VPCI_BRIDGE_VENDOR & 0xff;
	case VPCI_VENDOR_ID + 1:
		return VPCI_BRIDGE_VENDOR >> 8;
	case VPCI_DEVICE_ID:
		return VPCI_BRIDGE_DEVICE & 0xff;
	case VPCI_DEVICE_ID + 1:
		return VPCI_BRIDGE_DEVICE >> 8;
	case VPCI_COMMAND:
		return (uint8_t)cmd;
	case VPCI_COMMAND + 1:
		return (uint8_t)(cmd >> 8);
	case VPCI_REVISION_ID:
		return VPCI_BRIDGE_REVISION;
	case VPCI_CLASS_PROG:
		return VPCI_BRIDGE_PROG_IF;
	case VPCI_CLASS_DEVICE:
		return VPCI_BRIDGE_SUBCLASS;
	case VPCI_CLASS_DEVICE + 1:
		return VPCI_BRIDGE_CLASS;
	case VPCI_LATENCY_TIMER:
		return latency;
	case VPCI_HEADER_TYPE:
		return VPCI_HEADER_TYPE_NORMAL;
	default:	/* STATUS, BARs, ROM, chipset registers: 0 */
		return 0;
	}
}

/* A guest byte write to off of the host bridge. Lock held. */
static void vpci_bridge_write_byte(struct vpci *p, unsigned int off,
				   uint8_t val)
{
	spin_assert_held(&p->lock);
	switch (off) {
	case VPCI_COMMAND:
		WRITE_ONCE(p->bridge_cmd, (uint16_t)((p->bridge_cmd & 0xff00) |
			(val & VPCI_BRIDGE_CMD_WRITABLE & 0xff)));
		break;
	case VPCI_COMMAND + 1:
		WRITE_ONCE(p->bridge_cmd, (uint16_t)((p->bridge_cmd & 0x00ff) |
			((val << 8) & VPCI_BRIDGE_CMD_WRITABLE & 0xff00)));
		break;
	case VPCI_LATENCY_TIMER:
		WRITE_ONCE(p->bridge_latency, val);
		break;
	default:	/* read only, or nothing there */
		break;
	}
}

/* ---- Config cycles ---------------------------------------------------- */

/* True if CONFIG_ADDRESS value addr selects the host bridge. */
static bool vpci_selects_bridge(uint32_t addr)
{
	return (addr & VPCI_ADDR_ENABLE) && (addr & VPCI_ADDR_BDF_MASK) == 0;
}

/* Config space offset of byte i of a data access at port under addr. */
static unsigned int vpci_data_offset(uint32_t addr, uint16_t port, unsigned int i)
{
	return ((addr & VPCI_ADDR_REG_MASK) + (port - VPCI_PORT_DATA) + i) %
	       VPCI_CONFIG_SPACE_SIZE;
}

static bool vpci_is_data_port(uint16_t port)
{
	return port >= VPCI_PORT_DATA && port <= VPCI_PORT_DATA_LAST;
}

/*
 * A data read of size bytes at port under addr, from the bridge's
 * registers as cmd and latency give them; all ones where addr selects
 * nothing (the bus floats).
 */
static uint32_t vpci_data_read(uint32_t addr, uint16_t port, unsigned int size,
			       uint16_t cmd, uint8_t latency)
{
	uint32_t v = 0;

	if (!vpci_selects_bridge(addr))
		return VPCI_ALL_ONES;
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)vpci_bridge_byte(vpci_data_offset(addr, port, i), cmd,
						latency) << (8 * i);
	if (size < 4)
		v |= VPCI_ALL_ONES << (8 * size);
	return v;
}

static int vpci_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	struct vpci *p = dev;
	uint32_t v = VPCI_ALL_ONES;

	spin_lock(&p->lock);
	if (port == VPCI_PORT_ADDRESS && size == 4)
		v = READ_ONCE(p->address);
	else if (vpci_is_data_port(port))
		v = vpci_data_read(READ_ONCE(p->address), port, size, p->bridge_cmd,
				   p->bridge_latency);
	spin_unlock(&p->lock);
	*val = v;
	return 0;
}

static int vpci_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vpci *p = dev;
	uint32_t addr;

	spin_lock(&p->lock);
	addr = READ_ONCE(p->address);
	if (port == VPCI_PORT_ADDRESS && size == 4) {
		WRITE_ONCE(p->address, val & VPCI_ADDR_WRITABLE);
	} else if (vpci_is_data_port(port) && vpci_selects_bridge(addr)) {
		for (unsigned int i = 0; i < size; i++)
			vpci_bridge_write_byte(p, vpci_data_offset(addr, port, i),
					       (uint8_t)(val >> (8 * i)));
	}
	spin_unlock(&p->lock);
	return 0;
}

/*
 * The whole mechanism but a data write to the bridge, without the lock:
 * CONFIG_ADDRESS is one word written and read whole, and a data read
 * takes one snapshot of it and of the bridge's writable registers. Two
 * vCPUs interleaving their address and data exits race as two CPUs do
 * on the real latch (a guest serialises its config cycles itself, as
 * Linux's pci_config_lock does); a read that meets a concurrent COMMAND
 * write sees it before or after, as it would behind the lock.
 */
bool vpci_io_fast(struct vpci *p, uint16_t port, unsigned int size, bool in,
		  uint32_t *val)
{
	uint32_t addr;

	if (port == VPCI_PORT_ADDRESS) {
		if (size != 4)
			return false;
		if (in)
			*val = READ_ONCE(p->address);
		else
			WRITE_ONCE(p->address, *val & VPCI_ADDR_WRITABLE);
		return true;
	}
	if (!vpci_is_data_port(port))
		return false;
	addr = READ_ONCE(p->address);
	if (!in)			/* dropped, unless the bridge's (locked) */
		return !vpci_selects_bridge(addr);
	*val = vpci_data_read(addr, port, size, READ_ONCE(p->bridge_cmd),
			      READ_ONCE(p->bridge_latency));
	return true;
}

const struct vdev_io_ops vpci_io_ops = {
	.read = vpci_io_read,
	.write = vpci_io_write,
};

void vpci_init(struct vpci *p)
{
	*p = (struct vpci){ 0 };
	spin_lock_init(&p->lock);
	p->bridge_cmd = VPCI_BRIDGE_CMD_RESET;
}
