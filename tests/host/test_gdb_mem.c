/*
 * The GDB stub's memory and breakpoint packets on the fake target of
 * test_gdb.h: m, M and X (escapes included), the unmapped hole,
 * software breakpoints hidden from reads and kept under writes,
 * hardware breakpoints and watchpoints through the target.
 */
#include "tests/host/test_gdb.h"
#include "tests/host/check.h"

static struct fake_target fake;
static struct gdb_stub stub;

static void setup_stopped(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 2), 0);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
}

static uint8_t *mem(uint64_t gva)
{
	return &fake.mem[gva - FAKE_MEM_BASE];
}

static const char *cmdf(const char *fmt, unsigned long long a, unsigned long long b)
{
	char q[128];

	snprintf(q, sizeof(q), fmt, a, b);
	return gdb_cmd(&fake, q);
}

static void test_read(void)
{
	char want[16];

	setup_stopped();
	snprintf(want, sizeof(want), "%02x%02x%02x%02x", *mem(0x100010), *mem(0x100011),
		 *mem(0x100012), *mem(0x100013));
	CHECK_STR(gdb_cmd(&fake, "m100010,4"), want);
	CHECK_STR(gdb_cmd(&fake, "m100010,0"), "");
	/* The hole and outside guest memory: E0e. */
	CHECK_STR(cmdf("m%llx,%llx", FAKE_HOLE_LO, 4), "E0e");
	CHECK_STR(cmdf("m%llx,%llx", FAKE_HOLE_HI - 1, 2), "E0e");
	CHECK_STR(gdb_cmd(&fake, "m0,4"), "E0e");
	CHECK_STR(gdb_cmd(&fake, "mffffffffffffff00,4"), "E0e");
	/* Up to the hole: the part that reads. */
	CHECK_EQ(strlen(cmdf("m%llx,%llx", FAKE_HOLE_LO - 2, 8)), 4);
	/* A range that wraps, or bad syntax: E16. */
	CHECK_STR(gdb_cmd(&fake, "mffffffffffffffff,2"), "E16");
	CHECK_STR(gdb_cmd(&fake, "m100010"), "E16");
	CHECK_STR(gdb_cmd(&fake, "m100010,4x"), "E16");
	CHECK_STR(gdb_cmd(&fake, "m10000000000000000,4"), "E16");
	/* A long read is cut to what one reply holds. */
	CHECK_EQ(strlen(cmdf("m%llx,%llx", FAKE_MEM_BASE, 0x1000)), GDB_PACKET_SIZE - 2);
	CHECK_EQ(fake.bad_access, 0);
}

static void test_write(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "M100010,3:a1b2c3"), "OK");
	CHECK_EQ(*mem(0x100010), 0xa1);
	CHECK_EQ(*mem(0x100012), 0xc3);
	CHECK_STR(gdb_cmd(&fake, "M100010,3:a1b2"), "E16");
	CHECK_STR(gdb_cmd(&fake, "M100010,1:zz"), "E16");
	CHECK_STR(gdb_cmd(&fake, "M100010,1"), "E16");
	CHECK_STR(cmdf("M%llx,%llx:00", FAKE_HOLE_LO, 1), "E0e");
	/* Partly into the hole: an error, the bytes before it written. */
	CHECK_STR(cmdf("M%llx,%llx:77777777", FAKE_HOLE_LO - 2, 4), "E0e");
	CHECK_EQ(*mem(FAKE_HOLE_LO - 1), 0x77);
	CHECK_STR(gdb_cmd(&fake, "M100010,0:"), "OK");
	CHECK_EQ(fake.bad_access, 0);
}

static void test_write_binary(void)
{
	/* 0x7d escapes '#', '$', '}' and '*' (xor 0x20); raw 0x03 is data. */
	static const char pkt[] = "X100020,6:\x7d\x03\x7d\x04\x7d\x5d\x7d\x0a\x03\xff";
	static const uint8_t want[] = { '#', '$', '}', '*', 0x03, 0xff };

	setup_stopped();
	CHECK_STR(gdb_cmd_len(&fake, pkt, sizeof(pkt) - 1), "OK");
	CHECK(memcmp(mem(0x100020), want, sizeof(want)) == 0);
	/* The zero-length probe GDB sends first. */
	CHECK_STR(gdb_cmd(&fake, "X100020,0:"), "OK");
	/* Too few or too many bytes, a trailing escape. */
	CHECK_STR(gdb_cmd(&fake, "X100020,2:a"), "E16");
	CHECK_STR(gdb_cmd(&fake, "X100020,1:ab"), "E16");
	CHECK_STR(gdb_cmd_len(&fake, "X100020,1:\x7d", 11), "E16");
	CHECK_STR(cmdf("X%llx,%llx:a", FAKE_HOLE_LO, 1), "E0e");
}

static void test_swbreak_hidden_from_reads(void)
{
	uint8_t orig = *mem(0x100031);
	char want[8];

	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "Z0,100031,1"), "OK");
	CHECK_EQ(*mem(0x100031), 0xcc);
	CHECK(gdb_stub_owns_breakpoint(&stub, 0x100031));
	CHECK(!gdb_stub_owns_breakpoint(&stub, 0x100030));
	snprintf(want, sizeof(want), "%02x", orig);
	CHECK_STR(gdb_cmd(&fake, "m100031,1"), want);
	CHECK(strncmp(gdb_cmd(&fake, "m100030,4") + 2, want, 2) == 0);
	/* Inserting twice is one breakpoint; removing restores the byte. */
	CHECK_STR(gdb_cmd(&fake, "Z0,100031,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "z0,100031,1"), "OK");
	CHECK_EQ(*mem(0x100031), orig);
	CHECK(!gdb_stub_owns_breakpoint(&stub, 0x100031));
	CHECK_STR(gdb_cmd(&fake, "z0,100031,1"), "OK");
	CHECK_EQ(*mem(0x100031), orig);
}

static void test_swbreak_kept_under_writes(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "Z0,100041,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "M100040,3:112233"), "OK");
	CHECK_EQ(*mem(0x100040), 0x11);
	CHECK_EQ(*mem(0x100041), 0xcc);
	CHECK_EQ(*mem(0x100042), 0x33);
	CHECK_STR(gdb_cmd(&fake, "m100040,3"), "112233");
	CHECK_STR(gdb_cmd(&fake, "X100041,1:\x55"), "OK");
	CHECK_EQ(*mem(0x100041), 0xcc);
	CHECK_STR(gdb_cmd(&fake, "m100041,1"), "55");
	CHECK_STR(gdb_cmd(&fake, "z0,100041,1"), "OK");
	CHECK_EQ(*mem(0x100041), 0x55);
}

static void test_swbreak_refused(void)
{
	unsigned int i;

	setup_stopped();
	CHECK_STR(cmdf("Z0,%llx,%llx", FAKE_HOLE_LO + 5, 1), "E0e");
	CHECK(!gdb_stub_owns_breakpoint(&stub, FAKE_HOLE_LO + 5));
	CHECK_STR(gdb_cmd(&fake, "Z0,10,1"), "E0e");
	CHECK_STR(gdb_cmd(&fake, "Z0,100050,2"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Z0,100050"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Z5,100050,1"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Z0,100050,1;X1,0"), "E16");
	/* A full table refuses the next one and changes nothing. */
	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		CHECK_STR(cmdf("Z0,%llx,%llx", FAKE_MEM_BASE + 0x200 + i, 1), "OK");
	CHECK_EQ(*mem(FAKE_MEM_BASE + 0x300), (uint8_t)(0x300 * 7 + 1));
	CHECK_STR(cmdf("Z0,%llx,%llx", FAKE_MEM_BASE + 0x300, 1), "E1c");
	CHECK_EQ(*mem(FAKE_MEM_BASE + 0x300), (uint8_t)(0x300 * 7 + 1));
}

static void test_hw_breakpoints(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "Z1,100060,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Z2,100068,8"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Z3,100070,4"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Z4,100074,2"), "OK");
	CHECK_EQ(fake.hwbp[1].type, GDB_WATCH_WRITE);
	CHECK_EQ(fake.hwbp[1].addr, 0x100068);
	CHECK_EQ(fake.hwbp[1].len, 8);
	/* The target has four: the fifth is refused. */
	CHECK_STR(gdb_cmd(&fake, "Z2,100080,1"), "E1c");
	CHECK_STR(gdb_cmd(&fake, "Z2,100080,3"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Z1,100080,2"), "E16");
	CHECK_STR(gdb_cmd(&fake, "z3,100070,4"), "OK");
	CHECK(!fake.hwbp[2].used);
	CHECK_STR(gdb_cmd(&fake, "z3,100070,4"), "E02");
	/* Guest memory is not touched by hardware breakpoints. */
	CHECK(*mem(0x100060) != 0xcc);
}

static const struct gdb_target_ops *saved_ops;
static struct gdb_target_ops no_hw_ops;

static void test_hw_breakpoints_unsupported(void)
{
	setup_stopped();
	saved_ops = stub.target.ops;
	no_hw_ops = *saved_ops;
	no_hw_ops.bp_insert = NULL;
	no_hw_ops.bp_remove = NULL;
	stub.target.ops = &no_hw_ops;
	CHECK_STR(gdb_cmd(&fake, "Z1,100060,1"), "");
	CHECK_STR(gdb_cmd(&fake, "z2,100060,1"), "");
	CHECK_STR(gdb_cmd(&fake, "Z0,100060,1"), "OK");
	stub.target.ops = saved_ops;
}

/* The bytes GDB sees stay the guest's across breakpoints, and D brings them back. */
static void test_detach_restores_writes(void)
{
	uint8_t want[FAKE_MEM_SIZE];

	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "Z0,100090,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Z0,100091,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "M10008f,4:deadbeef"), "OK");
	memcpy(want, fake.mem, sizeof(want));
	want[0x90] = 0xad;
	want[0x91] = 0xbe;
	CHECK_STR(gdb_cmd(&fake, "D"), "OK");
	CHECK(memcmp(want, fake.mem, sizeof(want)) == 0);
}

int main(void)
{
	RUN(test_read);
	RUN(test_write);
	RUN(test_write_binary);
	RUN(test_swbreak_hidden_from_reads);
	RUN(test_swbreak_kept_under_writes);
	RUN(test_swbreak_refused);
	RUN(test_hw_breakpoints);
	RUN(test_hw_breakpoints_unsupported);
	RUN(test_detach_restores_writes);
	return check_done();
}
