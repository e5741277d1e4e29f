/*
 * QEMU's fw_cfg device, traditional interface (see vfw_cfg.h).
 *
 * vCPU context, any CPU. The port handlers take the device lock for the
 * selection and the offset; the items are read without it (fixed before
 * the guest runs).
 */
#include "core/lib/string.h"
#include "core/pc/dev/vfw_cfg.h"

static void vfw_cfg_put(struct vfw_cfg *f, uint16_t key, uint64_t v, unsigned int len)
{
	struct vfw_cfg_item *it = &f->items[key];

	it->len = (uint8_t)len;
	for (unsigned int i = 0; i < len; i++)
		it->bytes[i] = (uint8_t)(v >> (8 * i));
}

void vfw_cfg_set_config(struct vfw_cfg *f, const struct vfw_cfg_config *cfg)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	size_t n = strnlen(cmdline, VFW_CFG_CMDLINE_MAX - 1);

	memset(f->items, 0, sizeof(f->items));
	memcpy(f->items[FW_CFG_SIGNATURE].bytes, "QEMU", 4);
	f->items[FW_CFG_SIGNATURE].len = 4;
	vfw_cfg_put(f, FW_CFG_ID, FW_CFG_ID_TRADITIONAL, 4);
	vfw_cfg_put(f, FW_CFG_RAM_SIZE, cfg->ram_size, 8);
	vfw_cfg_put(f, FW_CFG_NB_CPUS, cfg->nr_cpus, 2);
	vfw_cfg_put(f, FW_CFG_MAX_CPUS, cfg->max_cpus, 2);
	vfw_cfg_put(f, FW_CFG_KERNEL_ADDR, cfg->kernel_addr, 4);
	vfw_cfg_put(f, FW_CFG_KERNEL_SIZE, cfg->kernel_size, 4);
	vfw_cfg_put(f, FW_CFG_INITRD_ADDR, cfg->initrd_addr, 4);
	vfw_cfg_put(f, FW_CFG_INITRD_SIZE, cfg->initrd_size, 4);
	vfw_cfg_put(f, FW_CFG_CMDLINE_ADDR, cfg->cmdline_addr, 4);
	vfw_cfg_put(f, FW_CFG_CMDLINE_SIZE, n + 1, 4);
	memset(f->cmdline, 0, sizeof(f->cmdline));
	memcpy(f->cmdline, cmdline, n);
	f->cmdline_len = (uint32_t)(n + 1);
}

void vfw_cfg_init(struct vfw_cfg *f, uint16_t base, const struct vfw_cfg_config *cfg)
{
	spin_lock_init(&f->lock);
	f->key = FW_CFG_SIGNATURE;
	f->offset = 0;
	f->base = base;
	vfw_cfg_set_config(f, cfg);
}

/* The selected item's byte at offset, or -1 past its end / for no item. */
static int vfw_cfg_byte(const struct vfw_cfg *f, uint16_t key, uint32_t offset)
{
	uint16_t entry = key & FW_CFG_ENTRY_MASK;

	if (key & FW_CFG_ARCH_LOCAL)
		return -1;
	if (entry == FW_CFG_CMDLINE_DATA)
		return offset < f->cmdline_len ? (uint8_t)f->cmdline[offset] : -1;
	if (entry >= VFW_CFG_NR_KEYS || offset >= f->items[entry].len)
		return -1;
	return f->items[entry].bytes[offset];
}

/*
 * Bytes of an access at port that fall on the device: QEMU's memory core
 * cuts an access at the end of the range and the rest goes to the ports
 * above it, which nobody claims (they float).
 */
static unsigned int vfw_cfg_width(const struct vfw_cfg *f, uint16_t port, unsigned int size)
{
	return MIN(size, (unsigned int)(f->base + VFW_CFG_NR_PORTS - port));
}

static int vfw_cfg_read(void *dev, uint16_t port, unsigned int size, uint32_t *val)
{
	struct vfw_cfg *f = dev;
	unsigned int width = vfw_cfg_width(f, port, size);
	int byte;

	/* The bytes above the device float; its own read 0 but for a byte read. */
	*val = width >= 4 ? 0 : 0xffffffffu << (8 * width);
	if (width != 1)
		return 0;	/* QEMU's access check refuses a 16-bit read */
	spin_lock(&f->lock);
	byte = vfw_cfg_byte(f, f->key, f->offset);
	if (byte >= 0) {
		*val |= (uint32_t)byte;
		f->offset++;
	}
	spin_unlock(&f->lock);
	return 0;
}

static int vfw_cfg_write(void *dev, uint16_t port, unsigned int size, uint32_t val)
{
	struct vfw_cfg *f = dev;

	/* A byte is a data-port write, ignored since QEMU 2.4. */
	if (vfw_cfg_width(f, port, size) != 2)
		return 0;
	spin_lock(&f->lock);
	f->key = (uint16_t)val;
	f->offset = 0;
	spin_unlock(&f->lock);
	return 0;
}

const struct vdev_io_ops vfw_cfg_io_ops = {
	.read = vfw_cfg_read,
	.write = vfw_cfg_write,
};
