/*
 * Virtual PCI configuration mechanism #1 and the 440FX host bridge (see
 * vpci.h).
 *
 * vCPU context, any CPU. Each port handler takes the config space lock
 * for the whole access; nothing is called with it held.
 */
#include "core/pc/dev/vpci.h"

#define VPCI_ALL_ONES	0xffffffffu

/* ---- The host bridge -------------------------------------------------- */

/* Byte off (0-255) of the host bridge's config space. Lock held. */
static uint8_t vpci_bridge_read_byte(struct vpci *p, unsigned int off)
{
	spin_assert_held(&p->lock);
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
		return (uint8_t)p->bridge_cmd;
	case VPCI_COMMAND + 1:
		return (uint8_t)(p->bridge_cmd >> 8);
	case VPCI_REVISION_ID:
		return VPCI_BRIDGE_REVISION;
	case VPCI_CLASS_PROG:
		return VPCI_BRIDGE_PROG_IF;
	case VPCI_CLASS_DEVICE:
		return VPCI_BRIDGE_SUBCLASS;
	case VPCI_CLASS_DEVICE + 1:
		return VPCI_BRIDGE_CLASS;
	case VPCI_LATENCY_TIMER:
		return p->bridge_latency;
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
		p->bridge_cmd = (uint16_t)((p->bridge_cmd & 0xff00) |
			(val & VPCI_BRIDGE_CMD_WRITABLE & 0xff));
		break;
	case VPCI_COMMAND + 1:
		p->bridge_cmd = (uint16_t)((p->bridge_cmd & 0x00ff) |
			((val << 8) & VPCI_BRIDGE_CMD_WRITABLE & 0xff00));
		break;
	case VPCI_LATENCY_TIMER:
		p->bridge_latency = val;
		break;
	default:	/* read only, or nothing there */
		break;
	}
}

/* ---- Config cycles ---------------------------------------------------- */

/* True if the current address selects the host bridge. Lock held. */
static bool vpci_selects_bridge(const struct vpci *p)
{
	return (p->address & VPCI_ADDR_ENABLE) &&
	       (p->address & VPCI_ADDR_BDF_MASK) == 0;
}

/* Config space offset of byte i of a data access at port. Lock held. */
static unsigned int vpci_data_offset(const struct vpci *p, uint16_t port,
				     unsigned int i)
{
	return ((p->address & VPCI_ADDR_REG_MASK) + (port - VPCI_PORT_DATA) +
		i) % VPCI_CONFIG_SPACE_SIZE;
}

static bool vpci_is_data_port(uint16_t port)
{
	return port >= VPCI_PORT_DATA && port <= VPCI_PORT_DATA_LAST;
}

static int vpci_io_read(void *dev, uint16_t port, unsigned int size,
			uint32_t *val)
{
	struct vpci *p = dev;
	uint32_t v = VPCI_ALL_ONES;
	unsigned int i;

	spin_lock(&p->lock);
	if (port == VPCI_PORT_ADDRESS && size == 4) {
		v = p->address;
	} else if (vpci_is_data_port(port) && vpci_selects_bridge(p)) {
		v = 0;
		for (i = 0; i < size; i++)
			v |= (uint32_t)vpci_bridge_read_byte(p,
				vpci_data_offset(p, port, i)) << (8 * i);
		if (size < 4)
			v |= VPCI_ALL_ONES << (8 * size);
	}
	spin_unlock(&p->lock);
	*val = v;
	return 0;
}

static int vpci_io_write(void *dev, uint16_t port, unsigned int size,
			 uint32_t val)
{
	struct vpci *p = dev;
	unsigned int i;

	spin_lock(&p->lock);
	if (port == VPCI_PORT_ADDRESS && size == 4) {
		p->address = val & VPCI_ADDR_WRITABLE;
	} else if (vpci_is_data_port(port) && vpci_selects_bridge(p)) {
		for (i = 0; i < size; i++)
			vpci_bridge_write_byte(p, vpci_data_offset(p, port, i),
					       (uint8_t)(val >> (8 * i)));
	}
	spin_unlock(&p->lock);
	return 0;
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
