/*
 * Fuzz target: the GDB stub (core/debug/) on the fake target of
 * tests/host/test_gdb.h, fed an arbitrary byte stream from "GDB".
 *
 * Input: byte 0 picks the thread count (1-4) and the chunk size the
 * stream is polled in (1-64 bytes); the rest is the stream. After each
 * poll a running target may report a stop (a reason picked from the
 * stream), as a vCPU would.
 *
 * Invariants (abort() on a breach):
 *  - the stub never addresses a thread outside 1..N, and its output is
 *    only acks and well-formed packets ($...#xx, right checksum);
 *  - at the end, guest memory differs from what GDB reads with m only at
 *    the stub's breakpoints, where it holds INT3; then GDB writes over
 *    each breakpoint, and after D memory equals what GDB read with those
 *    writes: the guest's bytes with GDB's writes, no INT3 left behind.
 */
#include <stdlib.h>

#include "core/debug/gdb_internal.h"
#include "tests/host/test_gdb.h"

static struct fake_target fake;
static struct gdb_stub stub;
static uint8_t original[FAKE_MEM_SIZE];
static uint8_t view[FAKE_MEM_SIZE];

#define VIEW_CHUNK 0x400

static bool is_breakpoint(uint64_t addr);

/* A chunk GDB may have changed: one it wrote to, or one with a breakpoint. */
static bool chunk_touched(uint64_t a)
{
	size_t off = a - FAKE_MEM_BASE;
	unsigned int i;

	if (memcmp(&fake.mem[off], &original[off], VIEW_CHUNK) != 0)
		return true;
	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		if (stub.swbreak[i].used && stub.swbreak[i].addr - a < VIEW_CHUNK)
			return true;
	return false;
}

static void check_output(void)
{
	if (gdb_parse_output(fake.out, fake.out_len, NULL, 0) < 0)
		abort();
	fake.out_len = 0;
}

/*
 * GDB's view of guest memory through m packets: of the chunks GDB may
 * have changed and of the first one; holes and untouched chunks are
 * taken as they are.
 */
static void read_view(void)
{
	uint64_t a;

	memcpy(view, fake.mem, sizeof(view));
	for (a = FAKE_MEM_BASE; a < FAKE_MEM_BASE + FAKE_MEM_SIZE; a += VIEW_CHUNK) {
		char q[32];
		const char *r;
		size_t i;

		if (!fake_mapped(a) || (a != FAKE_MEM_BASE && !chunk_touched(a)))
			continue;
		snprintf(q, sizeof(q), "m%llx,%x", (unsigned long long)a, VIEW_CHUNK);
		r = gdb_cmd(&fake, q);
		if (strlen(r) != 2 * VIEW_CHUNK)
			abort();
		for (i = 0; i < VIEW_CHUNK; i++) {
			int hi = gdb_hex_digit(r[2 * i]), lo = gdb_hex_digit(r[2 * i + 1]);

			if (hi < 0 || lo < 0)
				abort();
			view[a - FAKE_MEM_BASE + i] = (uint8_t)(hi << 4 | lo);
		}
	}
}

static bool is_breakpoint(uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		if (stub.swbreak[i].used && stub.swbreak[i].addr == addr)
			return true;
	return false;
}

/*
 * GDB writes over every breakpoint (the byte before it to two after):
 * the new bytes are what GDB sees now and what D must leave behind.
 */
static void write_over_breakpoints(void)
{
	unsigned int i, k;

	for (i = 0; i < GDB_MAX_SWBREAK; i++) {
		uint64_t a = stub.swbreak[i].addr - 1;
		char q[64];
		int n;

		if (!stub.swbreak[i].used || fake_mapped_len(a, 4) != 4)
			continue;
		n = snprintf(q, sizeof(q), "M%llx,4:", (unsigned long long)a);
		for (k = 0; k < 4; k++) {
			uint8_t b = (uint8_t)(a * (3 + 2 * k));

			n += snprintf(q + n, sizeof(q) - n, "%02x", b);
			view[a - FAKE_MEM_BASE + k] = b;
		}
		if (strcmp(gdb_cmd(&fake, q), "OK") != 0)
			abort();
	}
}

static void check_memory(void)
{
	size_t i;

	/* Stopped, between packets, in ack mode or not: a clean place to read. */
	if (stub.running) {
		struct gdb_stop stop = { .thread = 1, .reason = GDB_STOP_REQUEST };

		gdb_stub_report_stop(&stub, &stop);
		gdb_stub_poll(&stub);
	}
	stub.rx_state = GDB_RX_IDLE;
	fake.killed = false;
	read_view();
	for (i = 0; i < FAKE_MEM_SIZE; i++) {
		if (fake.mem[i] == view[i])
			continue;
		if (fake.mem[i] != 0xcc || !is_breakpoint(FAKE_MEM_BASE + i))
			abort();
	}
	for (i = 0; i < GDB_MAX_SWBREAK; i++) {
		uint64_t a = stub.swbreak[i].addr;

		if (stub.swbreak[i].used && (!fake_mapped(a) || fake.mem[a - FAKE_MEM_BASE] != 0xcc))
			abort();
	}
	write_over_breakpoints();
	if (strcmp(gdb_cmd(&fake, "D"), "OK") != 0)
		abort();
	if (memcmp(view, fake.mem, sizeof(view)) != 0)
		abort();
	for (i = 0; i < GDB_MAX_SWBREAK; i++)
		if (stub.swbreak[i].used)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk, pos;

	if (size < 1)
		return 0;
	if (fake_setup(&fake, &stub, 1 + (data[0] & 3)) < 0)
		abort();
	memcpy(original, fake.mem, sizeof(original));
	chunk = 1 + (data[0] >> 2);
	for (pos = 1; pos < size; pos += chunk) {
		size_t n = MIN(chunk, size - pos);

		fake_feed(&fake, data + pos, n);
		gdb_stub_poll(&stub);
		check_output();
		/* A running target may stop on its own, for a reason of the stream's. */
		if (stub.running && (data[pos] & 0x80)) {
			struct gdb_stop stop = {
				.thread = 1 + data[pos] % fake.nr,
				.reason = (enum gdb_stop_reason)((data[pos] >> 2) % 6),
				.watch = (enum gdb_bp_type)(2 + (data[pos] & 1)),
				.addr = FAKE_MEM_BASE + data[pos],
			};

			gdb_stub_report_stop(&stub, &stop);
			gdb_stub_poll(&stub);
			check_output();
		}
		if (fake.bad_access)
			abort();
	}
	check_memory();
	check_output();
	if (fake.bad_access)
		abort();
	return 0;
}
