/*
 * Hosted test of core/pc/dev/vfw_cfg.c: QEMU's fw_cfg, traditional I/O
 * interface, as a guest's driver reads it (select with a 16-bit write to
 * 0x510, bytes from 0x511) and as QEMU 7.2 answers the odd accesses.
 * Expected values from QEMU's docs/specs/fw_cfg.txt. Single thread.
 */
#include "core/pc/dev/vfw_cfg.h"
#include "tests/host/check.h"

#define SEL	0x510
#define DATA	0x511

static struct vfw_cfg fw;

static void setup(const char *cmdline)
{
	struct vfw_cfg_config cfg = {
		.ram_size = 0x123456789ull, .nr_cpus = 3, .max_cpus = 3,
		.kernel_addr = 0x100000, .kernel_size = 0x2345,
		.initrd_addr = 0x7000000, .initrd_size = 0x1000,
		.cmdline_addr = 0x20000, .cmdline = cmdline,
	};

	vfw_cfg_init(&fw, SEL, &cfg);
}

static void select_key(uint16_t key)
{
	CHECK_EQ(vfw_cfg_io_ops.write(&fw, SEL, 2, key), 0);
}

static uint32_t in(uint16_t port, unsigned int size)
{
	uint32_t v = 0xdeadbeef;

	CHECK_EQ(vfw_cfg_io_ops.read(&fw, port, size, &v), 0);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* n bytes of the selected item, little-endian. */
static uint64_t item(unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)in(DATA, 1) << (8 * i);
	return v;
}

static void signature_and_id(void)
{
	setup("");
	/* Selected at start, as after QEMU's reset. */
	CHECK_EQ(in(DATA, 1), 'Q');
	CHECK_EQ(in(DATA, 1), 'E');
	select_key(FW_CFG_SIGNATURE);
	CHECK_EQ(item(4), 0x554d4551);	/* "QEMU" */
	CHECK_EQ(in(DATA, 1), 0);		/* past the end */
	CHECK_EQ(in(DATA, 1), 0);
	select_key(FW_CFG_ID);
	CHECK_EQ(item(4), 1);		/* traditional interface, no DMA */
}

static void machine_items(void)
{
	setup("console=ttyS0");
	select_key(FW_CFG_RAM_SIZE);
	CHECK_EQ(item(8), 0x123456789ull);
	select_key(FW_CFG_NB_CPUS);
	CHECK_EQ(item(2), 3);
	CHECK_EQ(in(DATA, 1), 0);
	select_key(FW_CFG_MAX_CPUS);
	CHECK_EQ(item(2), 3);
	select_key(FW_CFG_KERNEL_ADDR);
	CHECK_EQ(item(4), 0x100000);
	select_key(FW_CFG_KERNEL_SIZE);
	CHECK_EQ(item(4), 0x2345);
	select_key(FW_CFG_INITRD_ADDR);
	CHECK_EQ(item(4), 0x7000000);
	select_key(FW_CFG_INITRD_SIZE);
	CHECK_EQ(item(4), 0x1000);
	select_key(FW_CFG_CMDLINE_ADDR);
	CHECK_EQ(item(4), 0x20000);
	select_key(FW_CFG_CMDLINE_SIZE);
	CHECK_EQ(item(4), 14);		/* with the NUL */
	select_key(FW_CFG_CMDLINE_DATA);
	for (const char *c = "console=ttyS0"; *c; c++)
		CHECK_EQ(in(DATA, 1), (uint8_t)*c);
	CHECK_EQ(in(DATA, 1), 0);
	CHECK_EQ(in(DATA, 1), 0);
	/* An empty command line is one NUL. */
	setup(NULL);
	select_key(FW_CFG_CMDLINE_SIZE);
	CHECK_EQ(item(4), 1);
}

/* Selecting resets the offset; both ports decode alike; odd keys read zeros. */
static void selection(void)
{
	setup("");
	select_key(FW_CFG_RAM_SIZE);
	CHECK_EQ(in(DATA, 1), 0x89);
	CHECK_EQ(in(SEL, 1), 0x67);		/* a byte read of 0x510 reads data too */
	select_key(FW_CFG_RAM_SIZE);
	CHECK_EQ(in(DATA, 1), 0x89);
	CHECK_EQ(vfw_cfg_io_ops.write(&fw, DATA, 1, 0x55), 0);	/* data write: ignored */
	CHECK_EQ(in(DATA, 1), 0x67);
	/* The write channel bit is ignored; arch-local and unknown keys are empty. */
	select_key(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	CHECK_EQ(item(4), 0x554d4551);
	select_key(FW_CFG_ARCH_LOCAL | FW_CFG_SIGNATURE);
	CHECK_EQ(item(4), 0);
	for (uint32_t key = FW_CFG_CMDLINE_DATA + 1; key <= 0xffff; key += 7) {
		select_key((uint16_t)key);
		CHECK_EQ(in(DATA, 1), 0);
	}
	select_key(0x02);				/* FW_CFG_UUID: not provided */
	CHECK_EQ(item(8), 0);
}

/* QEMU 7.2's answers to other widths. */
static void widths(void)
{
	setup("");
	select_key(FW_CFG_RAM_SIZE);
	/* 16-bit reads at 0x510 are refused (0); 32-bit: the ports above float. */
	CHECK_EQ(in(SEL, 2), 0);
	CHECK_EQ(in(SEL, 4), 0xffff0000u);
	CHECK_EQ(in(DATA, 1), 0x89);		/* no byte was taken */
	/* A 16-bit read at 0x511 is a byte read there, 0x512 floats. */
	CHECK_EQ(in(DATA, 2), 0xff67);
	/* A 32-bit write to 0x510 selects with its low half. */
	CHECK_EQ(vfw_cfg_io_ops.write(&fw, SEL, 4, 0xabcd0000u | FW_CFG_NB_CPUS), 0);
	CHECK_EQ(item(2), 3);
	/* A 16-bit write to 0x511 is a byte write there: no selection. */
	CHECK_EQ(vfw_cfg_io_ops.write(&fw, DATA, 2, FW_CFG_SIGNATURE), 0);
	CHECK_EQ(in(DATA, 1), 0);
	/* A byte write to 0x510 selects nothing either. */
	CHECK_EQ(vfw_cfg_io_ops.write(&fw, SEL, 1, FW_CFG_SIGNATURE), 0);
	CHECK_EQ(in(DATA, 1), 0);
}

/* The loader's addresses replace the items; a long command line is cut. */
static void reconfig(void)
{
	static char longline[2000];
	struct vfw_cfg_config cfg = { .kernel_addr = 0x1000000, .cmdline = longline };

	memset(longline, 'a', sizeof(longline) - 1);
	setup("");
	vfw_cfg_set_config(&fw, &cfg);
	select_key(FW_CFG_KERNEL_ADDR);
	CHECK_EQ(item(4), 0x1000000);
	select_key(FW_CFG_RAM_SIZE);
	CHECK_EQ(item(8), 0);
	select_key(FW_CFG_CMDLINE_SIZE);
	CHECK_EQ(item(4), VFW_CFG_CMDLINE_MAX);
	select_key(FW_CFG_CMDLINE_DATA);
	for (unsigned int i = 0; i < VFW_CFG_CMDLINE_MAX - 1; i++)
		CHECK_EQ(in(DATA, 1), 'a');
	CHECK_EQ(in(DATA, 1), 0);
}

int main(void)
{
	shim_set_cpu(0);
	RUN(signature_and_id);
	RUN(machine_items);
	RUN(selection);
	RUN(widths);
	RUN(reconfig);
	return check_done();
}
