/*
 * Hosted test of core/pc/dev/vpci.c: configuration mechanism #1 and the host
 * bridge. Scenario: one config space, accessed through vpci_io_ops as the
 * guest's pci_conf1_read()/write() and pci_check_type1() would. Expected
 * values are the 82441FX datasheet's (8086:1237 rev 02, class 060000).
 * Every case runs twice: through vpci_io_ops alone, then as the port
 * dispatch makes the access (vpci_io_fast() first, vpci_io_ops for what
 * it leaves), which must answer the same. Single thread.
 */
#include "core/pc/dev/vpci.h"
#include "tests/host/check.h"

static struct vpci pci;
static bool fast;	/* try vpci_io_fast() first, as core/pc/vpc.c does */

static void out(uint16_t port, unsigned int size, uint32_t v)
{
	if (fast && vpci_io_fast(&pci, port, size, false, &v))
		return;
	CHECK_EQ(vpci_io_ops.write(&pci, port, size, v), 0);
}

static uint32_t in(uint16_t port, unsigned int size)
{
	uint32_t v = 0;

	if (!fast || !vpci_io_fast(&pci, port, size, true, &v)) {
		v = 0xffffffffu;	/* what the dispatch sets before a read */
		CHECK_EQ(vpci_io_ops.read(&pci, port, size, &v), 0);
	}
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static uint32_t cfg_addr(unsigned int bus, unsigned int dev, unsigned int fn,
			 unsigned int reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

/* pci_conf1_read(): address, then data at port 0xcfc + (reg & 3). */
static uint32_t conf1_read(unsigned int dev, unsigned int fn,
			   unsigned int reg, unsigned int size)
{
	out(0xcf8, 4, cfg_addr(0, dev, fn, reg));
	return in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void conf1_write(unsigned int dev, unsigned int fn, unsigned int reg,
			unsigned int size, uint32_t v)
{
	out(0xcf8, 4, cfg_addr(0, dev, fn, reg));
	out((uint16_t)(0xcfc + (reg & 3)), size, v);
}

static void address_register(void)
{
	vpci_init(&pci);
	CHECK_EQ(in(0xcf8, 4), 0);
	/* Reserved bits 30-24 and 1-0 read back 0. */
	out(0xcf8, 4, 0xffffffffu);
	CHECK_EQ(in(0xcf8, 4), 0x80fffffcu);
	/* pci_check_type1(): 0x80000000 must read back. */
	out(0xcf8, 4, 0x80000000u);
	CHECK_EQ(in(0xcf8, 4), 0x80000000u);
	/* Byte and word accesses to 0xcf8 reach no register. */
	out(0xcf8, 1, 0x12);
	CHECK_EQ(in(0xcf8, 4), 0x80000000u);
	CHECK_EQ(in(0xcf8, 1), 0xff);
	CHECK_EQ(in(0xcf8, 2), 0xffff);
	/* 0xcfa/0xcfb: nothing. */
	CHECK_EQ(in(0xcfa, 1), 0xff);
	CHECK_EQ(in(0xcfb, 1), 0xff);
}

static void host_bridge_identity(void)
{
	vpci_init(&pci);
	CHECK_EQ(conf1_read(0, 0, 0x00, 4), 0x12378086u);
	CHECK_EQ(conf1_read(0, 0, 0x00, 2), 0x8086);
	CHECK_EQ(conf1_read(0, 0, 0x02, 2), 0x1237);
	CHECK_EQ(conf1_read(0, 0, 0x01, 1), 0x80);
	CHECK_EQ(conf1_read(0, 0, 0x03, 1), 0x12);
	/* Revision 02, class 06 00 00 (host bridge). */
	CHECK_EQ(conf1_read(0, 0, 0x08, 4), 0x06000002u);
	CHECK_EQ(conf1_read(0, 0, 0x0a, 2), 0x0600);
	CHECK_EQ(conf1_read(0, 0, 0x0b, 1), 0x06);
	/* Header type 0, single function. */
	CHECK_EQ(conf1_read(0, 0, 0x0e, 1), 0x00);
	/* BARs 0-5 and the ROM read 0 and stay 0 (no sizing surprise). */
	for (unsigned int bar = 0x10; bar <= 0x24; bar += 4) {
		conf1_write(0, 0, bar, 4, 0xffffffffu);
		CHECK_EQ(conf1_read(0, 0, bar, 4), 0);
	}
	conf1_write(0, 0, 0x30, 4, 0xffffffffu);
	CHECK_EQ(conf1_read(0, 0, 0x30, 4), 0);
	/* Identity is read only. */
	conf1_write(0, 0, 0x00, 4, 0);
	CHECK_EQ(conf1_read(0, 0, 0x00, 4), 0x12378086u);
}

static void host_bridge_command(void)
{
	vpci_init(&pci);
	/* Memory and bus master on; status 0. */
	CHECK_EQ(conf1_read(0, 0, 0x04, 4), 0x00000006u);
	conf1_write(0, 0, 0x04, 2, 0xffff);
	CHECK_EQ(conf1_read(0, 0, 0x04, 2), 0x0147);
	CHECK_EQ(conf1_read(0, 0, 0x06, 2), 0);	/* status untouched */
	conf1_write(0, 0, 0x04, 1, 0x00);
	CHECK_EQ(conf1_read(0, 0, 0x04, 2), 0x0100);
	conf1_write(0, 0, 0x05, 1, 0x00);
	CHECK_EQ(conf1_read(0, 0, 0x04, 2), 0x0000);
	/* A dword write at 0x04 writes command, not status. */
	conf1_write(0, 0, 0x04, 4, 0xffff0007u);
	CHECK_EQ(conf1_read(0, 0, 0x04, 4), 0x00000007u);
	/* Latency timer is read/write. */
	conf1_write(0, 0, 0x0d, 1, 0x40);
	CHECK_EQ(conf1_read(0, 0, 0x0c, 4), 0x00004000u);
}

static void absent_functions(void)
{
	vpci_init(&pci);
	CHECK_EQ(conf1_read(1, 0, 0x00, 4), 0xffffffffu);
	CHECK_EQ(conf1_read(31, 0, 0x00, 2), 0xffff);
	CHECK_EQ(conf1_read(0, 1, 0x00, 4), 0xffffffffu);
	CHECK_EQ(conf1_read(0, 7, 0x0a, 2), 0xffff);
	/* Bus 1, device 0: absent too. */
	out(0xcf8, 4, cfg_addr(1, 0, 0, 0));
	CHECK_EQ(in(0xcfc, 4), 0xffffffffu);
	/* Writes go nowhere and do not reach the bridge. */
	conf1_write(1, 0, 0x04, 2, 0);
	CHECK_EQ(conf1_read(0, 0, 0x04, 2), 0x0006);
}

static void disabled_address(void)
{
	vpci_init(&pci);
	/* Bit 31 clear: 00:00.0 is not selected. */
	out(0xcf8, 4, 0x00000000u);
	CHECK_EQ(in(0xcfc, 4), 0xffffffffu);
	CHECK_EQ(in(0xcfe, 2), 0xffff);
	out(0xcf8, 4, 0x00000004u);
	out(0xcfc, 2, 0);
	CHECK_EQ(conf1_read(0, 0, 0x04, 2), 0x0006);
}

/*
 * What vpci_io_fast() takes and leaves: a PCI scan (address writes and
 * data reads, present or absent) and the data writes that reach nothing
 * are its; the bridge's data writes and byte or word accesses to 0xcf8
 * go to the locked handler.
 */
static void fast_takes_the_scan(void)
{
	uint32_t v;

	vpci_init(&pci);
	v = cfg_addr(0, 3, 0, 0x08);
	CHECK(vpci_io_fast(&pci, 0xcf8, 4, false, &v));
	CHECK(vpci_io_fast(&pci, 0xcfc, 4, true, &v));
	CHECK_EQ(v, 0xffffffffu);
	CHECK(vpci_io_fast(&pci, 0xcfe, 1, true, &v));
	CHECK_EQ(v, 0xffffffffu);
	v = 0x1234;
	CHECK(vpci_io_fast(&pci, 0xcfc, 2, false, &v));	/* absent: dropped */
	v = cfg_addr(0, 0, 0, 0x08);
	CHECK(vpci_io_fast(&pci, 0xcf8, 4, false, &v));
	CHECK(vpci_io_fast(&pci, 0xcfc, 4, true, &v));
	CHECK_EQ(v, 0x06000002u);
	CHECK(vpci_io_fast(&pci, 0xcf8, 4, true, &v));
	CHECK_EQ(v, cfg_addr(0, 0, 0, 0x08));
	/* The bridge's registers change under the lock only. */
	v = 0;
	CHECK(!vpci_io_fast(&pci, 0xcfc, 4, false, &v));
	CHECK(!vpci_io_fast(&pci, 0xcf8, 1, false, &v));
	CHECK(!vpci_io_fast(&pci, 0xcf8, 2, true, &v));
	CHECK(!vpci_io_fast(&pci, 0xcf9, 1, true, &v));
	CHECK(!vpci_io_fast(&pci, 0xcf7, 4, true, &v));
	CHECK_EQ(pci.address, cfg_addr(0, 0, 0, 0x08));
}

int main(void)
{
	shim_set_cpu(0);
	for (int pass = 0; pass < 2; pass++) {
		fast = pass;
		RUN(address_register);
		RUN(host_bridge_identity);
		RUN(host_bridge_command);
		RUN(absent_functions);
		RUN(disabled_address);
	}
	RUN(fast_takes_the_scan);
	return check_done();
}
