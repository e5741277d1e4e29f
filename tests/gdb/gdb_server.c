/*
 * The GDB stub over TCP on the fake target of tests/host/test_gdb.h, for
 * real GDB (tests/gdb/run.sh). Listens on 127.0.0.1 at a free port,
 * prints "port N", serves one connection, and when GDB closes it checks
 * that guest memory holds no INT3 the stub put there: prints
 * "memory restored" (exit 0) or "memory differs at ADDR" (exit 1).
 * Two threads; resuming runs to the next breakpoint (test_gdb.h). With
 * GDB_SERVER_LOG set, every byte GDB sends is written to that file (how
 * the fuzz_gdb seed gdb_session was made).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/host/test_gdb.h"

static struct fake_target fake;
static struct gdb_stub stub;
static uint8_t original[FAKE_MEM_SIZE];
static int conn = -1;
static uint8_t rx[4096];
static size_t rx_len, rx_pos;
static FILE *rx_log;	/* $GDB_SERVER_LOG: every byte GDB sent (fuzz seeds) */

static int tcp_getc(void *ctx)
{
	ssize_t n;

	if (rx_pos == rx_len) {
		n = recv(conn, rx, sizeof(rx), MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		rx_len = (size_t)n;
		rx_pos = 0;
		if (rx_log)
			fwrite(rx, 1, rx_len, rx_log);
	}
	return rx[rx_pos++];
}

static void tcp_write(void *ctx, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(conn, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static int listen_any_port(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 1) < 0 || getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		perror("gdb_server: socket");
		exit(2);
	}
	printf("port %u\n", ntohs(addr.sin_port));
	fflush(stdout);
	return fd;
}

int main(void)
{
	struct gdb_io io = { tcp_getc, tcp_write, NULL };
	struct gdb_target target = { &fake_ops, &fake, 0, 0 };
	int lfd;
	size_t i;

	if (fake_setup(&fake, &stub, 2) < 0 || gdb_stub_init(&stub, &io, &target) < 0)
		return 2;
	memcpy(original, fake.mem, sizeof(original));
	if (getenv("GDB_SERVER_LOG"))
		rx_log = fopen(getenv("GDB_SERVER_LOG"), "wb");
	alarm(120);
	lfd = listen_any_port();
	conn = accept(lfd, NULL, NULL);
	if (conn < 0) {
		perror("gdb_server: accept");
		return 2;
	}
	for (;;) {
		struct pollfd p = { .fd = conn, .events = POLLIN };
		char c;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		if ((p.revents & (POLLHUP | POLLERR)) ||
		    ((p.revents & POLLIN) && rx_pos == rx_len &&
		     recv(conn, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0))
			break;
		gdb_stub_poll(&stub);
	}
	close(conn);
	if (rx_log)
		fclose(rx_log);
	for (i = 0; i < FAKE_MEM_SIZE; i++) {
		/* GDB's own writes are its business; an INT3 left behind is ours. */
		if (fake.mem[i] != original[i] && fake.mem[i] == 0xcc) {
			printf("memory differs at %llx\n", (unsigned long long)(FAKE_MEM_BASE + i));
			return 1;
		}
	}
	printf("memory restored%s\n", fake.detached ? ", detached" : "");
	return fake.bad_access ? 1 : 0;
}
