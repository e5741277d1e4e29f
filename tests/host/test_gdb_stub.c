/*
 * The GDB stub's protocol layer on the fake target of test_gdb.h:
 * framing and acknowledgements, queries and the target description,
 * threads, resumes and stop replies, Ctrl-C, detach and kill.
 */
#include "tests/host/test_gdb.h"
#include "tests/host/check.h"

static struct fake_target fake;
static struct gdb_stub stub;

/* Three threads, stopped by a '?' as GDB does first. */
static void setup_stopped(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 3), 0);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
}

static void test_qsupported(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 3), 0);
	CHECK_STR(gdb_cmd(&fake, "qSupported:multiprocess+;swbreak+;xmlRegisters=i386"),
		  "PacketSize=1000;swbreak+;hwbreak+;qXfer:features:read+;"
		  "vContSupported+;QStartNoAckMode+");
	/* The ack comes before the reply. */
	CHECK(fake.out[0] == '+');
}

/* Reads target.xml in pieces of len bytes, as GDB does. */
static size_t read_xml(char *xml, size_t size, unsigned int len)
{
	size_t off = 0;

	for (;;) {
		char q[64];
		const char *r;
		size_t n;

		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,%x", off, len);
		r = gdb_cmd(&fake, q);
		if (r[0] != 'm' && r[0] != 'l')
			return 0;
		n = strlen(r + 1);
		CHECK(n <= len);
		if (off + n >= size)
			return 0;
		memcpy(xml + off, r + 1, n);
		off += n;
		xml[off] = '\0';
		if (r[0] == 'l')
			return off;
	}
}

static void test_target_xml(void)
{
	static char xml[8192], xml2[8192];
	static const char *const needed[] = {
		"<architecture>i386:x86-64</architecture>",
		"<feature name=\"org.gnu.gdb.i386.core\">",
		"<feature name=\"org.gnu.gdb.i386.segments\">",
		"name=\"rax\"", "name=\"rip\"", "name=\"eflags\"", "name=\"gs\"",
		"name=\"st0\"", "name=\"st7\"", "name=\"fctrl\"", "name=\"fop\"",
		"name=\"fs_base\"", "name=\"gs_base\"", "name=\"cr0\"", "name=\"cr2\"",
		"name=\"cr3\"", "name=\"cr4\"", "name=\"cr8\"", "name=\"efer\"",
		"<flags id=\"i386_eflags\" size=\"4\">", "<field name=\"PG\" start=\"31\" end=\"31\"/>",
		"</target>",
	};
	unsigned int i;
	size_t n;

	setup_stopped();
	n = read_xml(xml, sizeof(xml), 0x3fb);
	CHECK(n > 1000);
	for (i = 0; i < ARRAY_SIZE(needed); i++)
		if (!strstr(xml, needed[i])) {
			fprintf(stderr, "  target.xml lacks %s\n", needed[i]);
			check_case_failed = 1;
		}
	/* Pieces of another size give the same document. */
	CHECK_EQ(read_xml(xml2, sizeof(xml2), 17), n);
	CHECK_STR(xml, xml2);
	CHECK_STR(gdb_cmd(&fake, "qXfer:features:read:other.xml:0,100"), "E02");
	CHECK_STR(gdb_cmd(&fake, "qXfer:features:read:target.xml:zz,100"), "E16");
	CHECK_STR(gdb_cmd(&fake, "qXfer:features:read:target.xml:100000,100"), "E16");
}

static void test_query_stop_and_misc(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 3), 0);
	CHECK_EQ(fake.stops, 0);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
	CHECK_EQ(fake.stops, 1);
	/* Stopped: a second '?' repeats the stop without asking again. */
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
	CHECK_EQ(fake.stops, 1);
	CHECK_STR(gdb_cmd(&fake, "qAttached"), "1");
	CHECK_STR(gdb_cmd(&fake, "qAttached:1"), "1");
	CHECK_STR(gdb_cmd(&fake, "qTStatus"), "");
	CHECK_STR(gdb_cmd(&fake, "vMustReplyEmpty"), "");
	CHECK_STR(gdb_cmd(&fake, "!"), "");
	CHECK_STR(gdb_cmd(&fake, "Qfoo"), "");
}

static void test_threads(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "qfThreadInfo"), "m1,2,3");
	CHECK_STR(gdb_cmd(&fake, "qsThreadInfo"), "l");
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC1");
	CHECK_STR(gdb_cmd(&fake, "Hg2"), "OK");
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC2");
	/* g shows thread 2's RAX (0x2222) first, little-endian. */
	CHECK(strncmp(gdb_cmd(&fake, "g"), "2222000000000000", 16) == 0);
	CHECK_STR(gdb_cmd(&fake, "Hg0"), "OK");
	CHECK(strncmp(gdb_cmd(&fake, "g"), "1111000000000000", 16) == 0);
	CHECK_STR(gdb_cmd(&fake, "Hg-1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Hc-1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Hc0"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Hg4"), "E02");
	CHECK_STR(gdb_cmd(&fake, "Hc99"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Hx1"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Hg-2"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Hg"), "E16");
	CHECK_STR(gdb_cmd(&fake, "T3"), "OK");
	CHECK_STR(gdb_cmd(&fake, "T4"), "E02");
	CHECK_STR(gdb_cmd(&fake, "T0"), "E16");
	CHECK_STR(gdb_cmd(&fake, "Tzz"), "E16");
}

static void test_bad_checksum(void)
{
	setup_stopped();
	fake.out_len = 0;
	fake_feed(&fake, "$qC#00", 6);
	gdb_stub_poll(&stub);
	CHECK_STR(fake.out, "-");
	/* A non-hex checksum digit is a bad checksum too. */
	fake.out_len = 0;
	fake_feed(&fake, "$qC#g0", 6);
	gdb_stub_poll(&stub);
	CHECK_STR(fake.out, "-");
	/* Upper-case digits are fine. */
	fake.out_len = 0;
	fake_feed(&fake, "$g#67$qC#B4", 11);
	gdb_stub_poll(&stub);
	CHECK_EQ(gdb_parse_output(fake.out, fake.out_len, NULL, 0), 2);
	CHECK(strstr(fake.out, "$QC1#c5") != NULL);
	/* A '-' from GDB resends the last packet. */
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC1");
	fake.out_len = 0;
	fake_feed(&fake, "-", 1);
	gdb_stub_poll(&stub);
	CHECK_STR(fake.out, "$QC1#c5");
}

static void test_too_long_packet(void)
{
	static char big[GDB_PACKET_SIZE + 100];

	setup_stopped();
	memset(big, 'm', sizeof(big));
	CHECK_STR(gdb_cmd_len(&fake, big, sizeof(big)), "E07");
	CHECK(fake.out[0] == '+');
	/* The next packet is read as if nothing happened. */
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC1");
	/* Exactly PacketSize bytes still fit. */
	memset(big, 0, sizeof(big));
	memcpy(big, "qC", 2);
	memset(big + 2, 'x', GDB_PACKET_SIZE - 2);
	CHECK_STR(gdb_cmd_len(&fake, big, GDB_PACKET_SIZE), "");
}

static void test_no_ack_mode(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "QStartNoAckMode"), "OK");
	CHECK(fake.out[0] == '+');
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC1");
	CHECK(fake.out[0] == '$');
	/* A '-' is no longer a resend request. */
	fake.out_len = 0;
	fake_feed(&fake, "-", 1);
	gdb_stub_poll(&stub);
	CHECK_EQ(fake.out_len, 0);
}

/* Runs into software breakpoints; RIP ends at the INT3. */
static void test_continue_to_breakpoint(void)
{
	uint64_t bp = FAKE_MEM_BASE + 0x180;
	char q[64];

	setup_stopped();
	snprintf(q, sizeof(q), "Z0,%llx,1", (unsigned long long)bp);
	CHECK_STR(gdb_cmd(&fake, q), "OK");
	CHECK_STR(gdb_cmd(&fake, "c"), "T05thread:1;swbreak:;");
	CHECK_EQ(fake.regs[0].rip, bp);
	CHECK_EQ(fake.actions[0], GDB_RESUME_CONTINUE);
	CHECK_EQ(fake.actions[1], GDB_RESUME_CONTINUE);
	/* c ADDR moves RIP first; thread 1 runs from before the INT3 again. */
	snprintf(q, sizeof(q), "c%llx", (unsigned long long)(bp - 0x20));
	CHECK_STR(gdb_cmd(&fake, q), "T05thread:1;swbreak:;");
	CHECK_EQ(fake.regs[0].rip, bp);
	/* A non-canonical resume address is refused before anything runs. */
	CHECK_STR(gdb_cmd(&fake, "c800000000000000"), "E16");
	CHECK_STR(gdb_cmd(&fake, "cxyz"), "E16");
	CHECK_EQ(fake.resumes, 2);
}

static void test_hw_breakpoint_stop(void)
{
	char q[64];

	setup_stopped();
	snprintf(q, sizeof(q), "Z1,%llx,1", (unsigned long long)(FAKE_MEM_BASE + 0x140));
	CHECK_STR(gdb_cmd(&fake, q), "OK");
	CHECK_STR(gdb_cmd(&fake, "c"), "T05thread:1;hwbreak:;");
	CHECK_EQ(fake.regs[0].rip, FAKE_MEM_BASE + 0x140);
}

static void test_step(void)
{
	uint64_t rip2;

	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "Hc2"), "OK");
	rip2 = fake.regs[1].rip;
	CHECK_STR(gdb_cmd(&fake, "s"), "T05thread:2;");
	CHECK_EQ(fake.regs[1].rip, rip2 + 1);
	CHECK_EQ(fake.actions[0], GDB_RESUME_STAY);
	CHECK_EQ(fake.actions[1], GDB_RESUME_STEP);
	CHECK_EQ(fake.actions[2], GDB_RESUME_STAY);
	/* Registers now default to the stopped thread. */
	CHECK_STR(gdb_cmd(&fake, "qC"), "QC2");
}

static void test_vcont(void)
{
	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "vCont?"), "vCont;c;C;s;S");
	CHECK_STR(gdb_cmd(&fake, "vCont;s:3;c"), "T05thread:3;");
	CHECK_EQ(fake.actions[0], GDB_RESUME_CONTINUE);
	CHECK_EQ(fake.actions[1], GDB_RESUME_CONTINUE);
	CHECK_EQ(fake.actions[2], GDB_RESUME_STEP);
	/* The leftmost action naming a thread wins; unnamed threads stay. */
	CHECK_STR(gdb_cmd(&fake, "vCont;S05:2;c:2;s:1"), "T05thread:1;");
	CHECK_EQ(fake.actions[0], GDB_RESUME_STEP);
	CHECK_EQ(fake.actions[1], GDB_RESUME_STEP);
	CHECK_EQ(fake.actions[2], GDB_RESUME_STAY);
	CHECK_STR(gdb_cmd(&fake, "vCont;s:100"), "E16");
	CHECK_STR(gdb_cmd(&fake, "vCont;c:4"), "E02");
	CHECK_STR(gdb_cmd(&fake, "vCont;x"), "E16");
	CHECK_STR(gdb_cmd(&fake, "vCont;"), "E16");
	CHECK_STR(gdb_cmd(&fake, "vCont;c:0"), "E16");
	CHECK_STR(gdb_cmd(&fake, "vCont;Cxx"), "E16");
	CHECK_EQ(fake.resumes, 2);
	CHECK_STR(gdb_cmd(&fake, "vContX"), "");
}

static void test_ctrl_c(void)
{
	setup_stopped();
	/* Nothing to hit: the target keeps running, no reply yet. */
	CHECK_STR(gdb_cmd(&fake, "c"), "");
	CHECK(fake.running);
	/* Packets that need a stopped target are refused meanwhile. */
	CHECK_STR(gdb_cmd(&fake, "g"), "E10");
	CHECK_STR(gdb_cmd(&fake, "m100000,4"), "E10");
	CHECK_STR(gdb_cmd(&fake, "Z0,100010,1"), "E10");
	CHECK_STR(gdb_cmd(&fake, "vCont;c"), "E10");
	fake.out_len = 0;
	fake_feed(&fake, "\x03", 1);
	gdb_stub_poll(&stub);
	CHECK_EQ(gdb_parse_output(fake.out, fake.out_len, NULL, 0), 1);
	CHECK(strstr(fake.out, "$T02thread:1;#") != NULL);
	CHECK(!fake.running);
	/* '?' repeats the stop as it was reported. */
	CHECK_STR(gdb_cmd(&fake, "?"), "T02thread:1;");
	/* A Ctrl-C while stopped asks nothing and answers nothing. */
	fake.out_len = 0;
	fake_feed(&fake, "\x03", 1);
	gdb_stub_poll(&stub);
	CHECK_EQ(fake.out_len, 0);
	CHECK_EQ(fake.stops, 2);
}

static void test_stop_reports(void)
{
	struct gdb_stop watch = { .thread = 2, .reason = GDB_STOP_WATCH,
				  .watch = GDB_WATCH_WRITE, .addr = 0x100010 };
	struct gdb_stop second = { .thread = 3, .reason = GDB_STOP_HWBREAK };

	setup_stopped();
	CHECK_STR(gdb_cmd(&fake, "c"), "");
	/* Two reports before a poll: the first stands. */
	gdb_stub_report_stop(&stub, &watch);
	gdb_stub_report_stop(&stub, &second);
	fake.out_len = 0;
	gdb_stub_poll(&stub);
	CHECK(strstr(fake.out, "$T05thread:2;watch:100010;#") != NULL);
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:2;watch:100010;");
	/* A stop report while stopped is not sent. */
	gdb_stub_report_stop(&stub, &second);
	fake.out_len = 0;
	gdb_stub_poll(&stub);
	CHECK_EQ(fake.out_len, 0);
	CHECK_STR(gdb_cmd(&fake, "c"), "");
	watch.watch = GDB_WATCH_ACCESS;
	gdb_stub_report_stop(&stub, &watch);
	fake.out_len = 0;
	gdb_stub_poll(&stub);
	CHECK(strstr(fake.out, "$T05thread:2;awatch:100010;#") != NULL);
	CHECK_STR(gdb_cmd(&fake, "c"), "");
	watch.reason = GDB_STOP_EXITED;
	gdb_stub_report_stop(&stub, &watch);
	fake.out_len = 0;
	gdb_stub_poll(&stub);
	CHECK(strstr(fake.out, "$W00#") != NULL);
}

/*
 * All-stop: a second thread's stop that comes in after the first was
 * reported is stale, and must not answer the next resume.
 */
static void test_stale_stop_dropped(void)
{
	struct gdb_stop late = { .thread = 2, .reason = GDB_STOP_HWBREAK };

	setup_stopped();
	gdb_stub_report_stop(&stub, &late);
	/* The resume comes in the same poll, before any stop is delivered. */
	CHECK_STR(gdb_cmd(&fake, "c"), "");
	CHECK(stub.running);
	fake.out_len = 0;
	fake_feed(&fake, "\x03", 1);
	gdb_stub_poll(&stub);
	CHECK(strstr(fake.out, "$T02thread:1;#") != NULL);
}

static void test_stop_refused(void)
{
	CHECK_EQ(fake_setup(&fake, &stub, 2), 0);
	fake.stop_refused = true;
	CHECK_STR(gdb_cmd(&fake, "?"), "E10");
	fake.stop_refused = false;
	CHECK_STR(gdb_cmd(&fake, "?"), "T05thread:1;");
}

static void test_detach(void)
{
	uint8_t before[FAKE_MEM_SIZE];

	setup_stopped();
	memcpy(before, fake.mem, sizeof(before));
	CHECK_STR(gdb_cmd(&fake, "Z0,100020,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "Z0,100021,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "QStartNoAckMode"), "OK");
	CHECK_STR(gdb_cmd(&fake, "D"), "OK");
	CHECK(fake.detached);
	CHECK(memcmp(before, fake.mem, sizeof(before)) == 0);
	CHECK(!gdb_stub_owns_breakpoint(&stub, 0x100020));
	/* A new connection starts in ack mode with the target running. */
	CHECK_STR(gdb_cmd(&fake, "g"), "E10");
	CHECK(fake.out[0] == '+');
}

static void test_kill(void)
{
	uint8_t before[FAKE_MEM_SIZE];

	setup_stopped();
	memcpy(before, fake.mem, sizeof(before));
	CHECK_STR(gdb_cmd(&fake, "Z0,100020,1"), "OK");
	CHECK_STR(gdb_cmd(&fake, "k"), "");
	CHECK(fake.killed);
	CHECK(memcmp(before, fake.mem, sizeof(before)) == 0);
}

int main(void)
{
	RUN(test_qsupported);
	RUN(test_target_xml);
	RUN(test_query_stop_and_misc);
	RUN(test_threads);
	RUN(test_bad_checksum);
	RUN(test_too_long_packet);
	RUN(test_no_ack_mode);
	RUN(test_continue_to_breakpoint);
	RUN(test_hw_breakpoint_stop);
	RUN(test_step);
	RUN(test_vcont);
	RUN(test_ctrl_c);
	RUN(test_stop_reports);
	RUN(test_stale_stop_dropped);
	RUN(test_stop_refused);
	RUN(test_detach);
	RUN(test_kill);
	return check_done();
}
