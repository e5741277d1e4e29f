/*
 * The GDB stub's packet layer: framing and acknowledgements, the packet
 * dispatch, queries, detach and kill. Threads, resumes and stops are in
 * gdb_run.c, registers in gdb_regs.c, memory and breakpoints in
 * gdb_mem.c. Poll context (gdb_stub.h).
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/debug/gdb_internal.h"
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"

#define GDB_CTRL_C 0x03
#define GDB_ESCAPE 0x7d
/* Bytes one poll reads at most: a few packets, so a flood cannot pin it. */
#define GDB_POLL_BUDGET (4 * GDB_PACKET_SIZE)

static const char hex_chars[] = "0123456789abcdef";

/* ------------------------------------------------------------------------
 * Replies
 */

void gdb_reply_begin(struct gdb_stub *s)
{
	s->tx[0] = '$';
	s->tx_len = 1;
	s->tx_overflow = false;
}

void gdb_reply_mem(struct gdb_stub *s, const void *buf, size_t len)
{
	/* Room for the payload, '#' and two checksum digits. */
	if (s->tx_overflow || len > sizeof(s->tx) - 3 - s->tx_len) {
		s->tx_overflow = true;
		return;
	}
	memcpy(s->tx + s->tx_len, buf, len);
	s->tx_len += len;
}

void gdb_reply_str(struct gdb_stub *s, const char *str)
{
	gdb_reply_mem(s, str, strlen(str));
}

void gdb_reply_hex(struct gdb_stub *s, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	size_t i;

	if (s->tx_overflow || len > (sizeof(s->tx) - 3 - s->tx_len) / 2) {
		s->tx_overflow = true;
		return;
	}
	for (i = 0; i < len; i++) {
		s->tx[s->tx_len++] = hex_chars[b[i] >> 4];
		s->tx[s->tx_len++] = hex_chars[b[i] & 0xf];
	}
}

void gdb_reply_send(struct gdb_stub *s)
{
	uint8_t sum = 0;
	size_t i;

	if (s->tx_overflow) {
		/* A reply the stub cannot frame: a bug here, an error there. */
		gdb_reply_begin(s);
		gdb_reply_str(s, "E07");
	}
	for (i = 1; i < s->tx_len; i++)
		sum += (uint8_t)s->tx[i];
	s->tx[s->tx_len++] = '#';
	s->tx[s->tx_len++] = hex_chars[sum >> 4];
	s->tx[s->tx_len++] = hex_chars[sum & 0xf];
	s->io.write(s->io.ctx, s->tx, s->tx_len);
}

void gdb_reply(struct gdb_stub *s, const char *str)
{
	gdb_reply_begin(s);
	gdb_reply_str(s, str);
	gdb_reply_send(s);
}

void gdb_reply_error(struct gdb_stub *s, int err)
{
	char buf[8];
	unsigned int e = err < 0 ? 0u - (unsigned int)err : (unsigned int)err;

	hv_snprintf(buf, sizeof(buf), "E%02x", e & 0xff);
	gdb_reply(s, buf);
}

/* ------------------------------------------------------------------------
 * Parsing
 */

int gdb_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool gdb_parse_hex(struct gdb_pkt *pkt, uint64_t *v)
{
	unsigned int digits = 0;
	int d;

	*v = 0;
	while (pkt->p < pkt->end && (d = gdb_hex_digit(*pkt->p)) >= 0) {
		/* Leading zeros are free; more than 64 bits of value are not. */
		if (*v >> 60)
			return false;
		*v = (*v << 4) | (uint64_t)d;
		pkt->p++;
		digits++;
	}
	return digits > 0;
}

bool gdb_parse_char(struct gdb_pkt *pkt, char c)
{
	if (pkt->p >= pkt->end || *pkt->p != c)
		return false;
	pkt->p++;
	return true;
}

bool gdb_parse_hex_bytes(struct gdb_pkt *pkt, uint8_t *buf, size_t len)
{
	size_t i;

	if ((size_t)(pkt->end - pkt->p) != 2 * len)
		return false;
	for (i = 0; i < len; i++) {
		int hi = gdb_hex_digit(pkt->p[2 * i]);
		int lo = gdb_hex_digit(pkt->p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	pkt->p = pkt->end;
	return true;
}

static bool prefix(const struct gdb_pkt *pkt, const char *str)
{
	size_t n = strlen(str);

	return (size_t)(pkt->end - pkt->p) >= n && memcmp(pkt->p, str, n) == 0;
}

/* Back to a fresh connection: the target runs on without the debugger. */
static void connection_reset(struct gdb_stub *s)
{
	s->no_ack = false;
	s->thread_g = 0;
	s->thread_c = 0;
	s->running = true;
	s->wait = GDB_WAIT_NONE;
	memset(&s->last_stop, 0, sizeof(s->last_stop));
	s->last_signal = 5;	/* SIGTRAP, until a stop says otherwise */
	spin_lock(&s->lock);
	s->stop_pending = false;
	spin_unlock(&s->lock);
}

static void handle_detach(struct gdb_stub *s)
{
	int err = gdb_swbreak_remove_all(s);

	if (err < 0)
		gdb_reply_error(s, err);
	else
		gdb_reply(s, "OK");
	s->target.ops->detach(s->target.ctx);
	connection_reset(s);
}

static void handle_kill(struct gdb_stub *s)
{
	gdb_swbreak_remove_all(s);
	s->target.ops->kill(s->target.ctx);
	connection_reset(s);
}

void gdb_stub_release(struct gdb_stub *s)
{
	gdb_swbreak_remove_all(s);
	connection_reset(s);
}

/* ------------------------------------------------------------------------
 * Queries
 */

/* qXfer:features:read:ANNEX:OFF,LEN: the target description, binary. */
static void handle_xfer_features(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	size_t i;

	if (!prefix(pkt, annex)) {
		gdb_reply_error(s, -ENOENT);
		return;
	}
	pkt->p += sizeof(annex) - 1;
	if (!gdb_parse_hex(pkt, &off) || !gdb_parse_char(pkt, ',') ||
	    !gdb_parse_hex(pkt, &len) || pkt->p != pkt->end) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	if (off > s->xml_len) {
		gdb_reply_error(s, -EINVAL);
		return;
	}
	/* Each byte may take two when escaped. */
	len = MIN(len, (uint64_t)(GDB_PACKET_SIZE - 2) / 2);
	len = MIN(len, s->xml_len - off);
	gdb_reply_begin(s);
	gdb_reply_str(s, off + len < s->xml_len ? "m" : "l");
	for (i = 0; i < len; i++) {
		char c = s->xml[off + i];

		if (c == '#' || c == '$' || c == '}' || c == '*') {
			char esc[2] = { GDB_ESCAPE, (char)(c ^ 0x20) };

			gdb_reply_mem(s, esc, 2);
		} else {
			gdb_reply_mem(s, &c, 1);
		}
	}
	gdb_reply_send(s);
}

static void handle_query(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	char buf[32];

	if (prefix(pkt, "qSupported")) {
		hv_snprintf(buf, sizeof(buf), "PacketSize=%x;", GDB_PACKET_SIZE);
		gdb_reply_begin(s);
		gdb_reply_str(s, buf);
		gdb_reply_str(s, "swbreak+;hwbreak+;qXfer:features:read+;"
			      "vContSupported+;QStartNoAckMode+");
		gdb_reply_send(s);
	} else if (prefix(pkt, "qXfer:features:read:")) {
		pkt->p += strlen("qXfer:features:read:");
		handle_xfer_features(s, pkt);
	} else if (pkt->end - pkt->p == 12 && prefix(pkt, "qfThreadInfo")) {
		gdb_reply_thread_list(s);
	} else if (pkt->end - pkt->p == 12 && prefix(pkt, "qsThreadInfo")) {
		gdb_reply(s, "l");
	} else if (pkt->end - pkt->p == 2 && prefix(pkt, "qC")) {
		hv_snprintf(buf, sizeof(buf), "QC%x", gdb_thread_g(s));
		gdb_reply(s, buf);
	} else if (prefix(pkt, "qAttached")) {
		gdb_reply(s, "1");
	} else {
		gdb_reply(s, "");
	}
}

static void handle_v(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	if (pkt->end - pkt->p == 6 && prefix(pkt, "vCont?")) {
		gdb_reply(s, "vCont;c;C;s;S");
	} else if (prefix(pkt, "vCont;")) {
		pkt->p += strlen("vCont");
		if (s->running)
			gdb_reply_error(s, -EBUSY);
		else
			gdb_handle_vcont(s, pkt);
	} else {
		gdb_reply(s, "");
	}
}

/* ------------------------------------------------------------------------
 * Dispatch
 */

/* Packets that need the target stopped: registers, memory, resumes. */
static bool needs_stopped(char c)
{
	return c == 'g' || c == 'G' || c == 'p' || c == 'P' || c == 'm' || c == 'M' ||
	       c == 'X' || c == 'Z' || c == 'z' || c == 'c' || c == 's';
}

static void dispatch(struct gdb_stub *s, struct gdb_pkt *pkt)
{
	char c = *pkt->p++;

	if (needs_stopped(c) && s->running) {
		gdb_reply_error(s, -EBUSY);
		return;
	}
	switch (c) {
	case '?':
		gdb_handle_query_stop(s);
		break;
	case 'g':
		gdb_handle_read_regs(s);
		break;
	case 'G':
		gdb_handle_write_regs(s, pkt);
		break;
	case 'p':
		gdb_handle_read_reg(s, pkt);
		break;
	case 'P':
		gdb_handle_write_reg(s, pkt);
		break;
	case 'm':
		gdb_handle_read_mem(s, pkt);
		break;
	case 'M':
		gdb_handle_write_mem(s, pkt);
		break;
	case 'X':
		gdb_handle_write_mem_bin(s, pkt);
		break;
	case 'Z':
	case 'z':
		gdb_handle_breakpoint(s, pkt, c == 'Z');
		break;
	case 'c':
	case 's':
		gdb_handle_continue(s, pkt, c == 's');
		break;
	case 'H':
		gdb_handle_set_thread(s, pkt);
		break;
	case 'T':
		gdb_handle_thread_alive(s, pkt);
		break;
	case 'q':
		pkt->p--;
		handle_query(s, pkt);
		break;
	case 'Q':
		if (pkt->end - pkt->p == 14 && prefix(pkt, "StartNoAckMode")) {
			gdb_reply(s, "OK");
			s->no_ack = true;
		} else {
			gdb_reply(s, "");
		}
		break;
	case 'v':
		pkt->p--;
		handle_v(s, pkt);
		break;
	case 'D':
		handle_detach(s);
		break;
	case 'k':
		handle_kill(s);
		break;
	default:
		gdb_reply(s, "");
		break;
	}
}

/* ------------------------------------------------------------------------
 * Framing
 */

static void send_ack(struct gdb_stub *s, char c)
{
	if (!s->no_ack)
		s->io.write(s->io.ctx, &c, 1);
}

static void packet_start(struct gdb_stub *s)
{
	s->rx_state = GDB_RX_DATA;
	s->rx_len = 0;
	s->rx_sum = 0;
	s->rx_overflow = false;
}

static void packet_end(struct gdb_stub *s, int lo)
{
	struct gdb_pkt pkt;

	s->rx_state = GDB_RX_IDLE;
	if ((uint8_t)(s->rx_csum << 4 | lo) != s->rx_sum) {
		send_ack(s, '-');
		return;
	}
	send_ack(s, '+');
	if (s->rx_overflow) {
		/* Longer than PacketSize: dropped, and said so. */
		gdb_reply_error(s, -E2BIG);
		return;
	}
	s->rx[s->rx_len] = '\0';
	if (s->rx_len == 0) {
		gdb_reply(s, "");
		return;
	}
	pkt.p = s->rx;
	pkt.end = s->rx + s->rx_len;
	dispatch(s, &pkt);
	gdb_deliver_stop(s);
}

static void rx_byte(struct gdb_stub *s, int c)
{
	int d;

	switch (s->rx_state) {
	case GDB_RX_IDLE:
		if (c == '$')
			packet_start(s);
		else if (c == GDB_CTRL_C)
			gdb_request_stop(s, GDB_WAIT_INTERRUPT);
		else if (c == '-' && !s->no_ack && s->tx_len)
			s->io.write(s->io.ctx, s->tx, s->tx_len);
		/* '+' and noise between packets: nothing to do. */
		break;
	case GDB_RX_DATA:
		if (c == '#') {
			s->rx_state = GDB_RX_CSUM1;
		} else if (c == '$') {
			packet_start(s);	/* a resend cut the last one short */
		} else {
			s->rx_sum += (uint8_t)c;
			if (s->rx_len < GDB_PACKET_SIZE)
				s->rx[s->rx_len++] = (char)c;
			else
				s->rx_overflow = true;
		}
		break;
	case GDB_RX_CSUM1:
	case GDB_RX_CSUM2:
		d = gdb_hex_digit(c);
		if (d < 0) {
			s->rx_state = GDB_RX_IDLE;
			send_ack(s, '-');
			if (c == '$')
				packet_start(s);
		} else if (s->rx_state == GDB_RX_CSUM1) {
			s->rx_csum = (uint8_t)d;
			s->rx_state = GDB_RX_CSUM2;
		} else {
			packet_end(s, d);
		}
		break;
	}
}

void gdb_stub_poll(struct gdb_stub *s)
{
	unsigned int budget = GDB_POLL_BUDGET;
	int c;

	while (budget-- > 0 && (c = s->io.getc(s->io.ctx)) >= 0)
		rx_byte(s, c & 0xff);
	gdb_deliver_stop(s);
}

int gdb_stub_init(struct gdb_stub *s, const struct gdb_io *io, const struct gdb_target *target)
{
	memset(s, 0, sizeof(*s));
	s->io = *io;
	s->target = *target;
	if (!s->target.cr4_allowed)
		s->target.cr4_allowed = X86_CR4_DEFINED & ~(uint64_t)(X86_CR4_VMXE | X86_CR4_SMXE);
	if (!s->target.efer_allowed)
		s->target.efer_allowed = EFER_BASE_BITS | EFER_NXE;
	spin_lock_init(&s->lock);
	s->rx_state = GDB_RX_IDLE;
	connection_reset(s);
	return gdb_xml_build(s);
}
