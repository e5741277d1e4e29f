/*
 * The GDB stub on its serial port, serving one VM (core/launch/gdb_serve.h).
 */
#include "core/debug/gdb_vm.h"
#include "core/launch/gdb_serve.h"
#include "core/launch/monitor.h"
#include "core/launch/vm_launch.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/string.h"
#include "drivers/uart16550.h"

/* Bytes read from the port per tick at most: a few packets. */
#define GDB_SERVE_RX_BUDGET (2 * GDB_PACKET_SIZE + 64)

static struct {
	struct uart uart;
	bool on;
	unsigned int rx_budget;		/* what getc may still read this tick */
	char name[VM_NAME_MAX];		/* the VM served, "" none */
	struct gdb_stub stub;
	struct gdb_vm target;
	bool stub_ready;
} gs;

static int gdb_serve_getc(void *ctx)
{
	(void)ctx;
	if (!gs.rx_budget)
		return -1;
	gs.rx_budget--;
	return uart_getc(&gs.uart);
}

static void gdb_serve_write(void *ctx, const void *buf, size_t len)
{
	const char *p = buf;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		uart_putc(&gs.uart, p[i]);
}

int gdb_serve_port_from(const char *opt)
{
	static const struct { const char *name; uint16_t port; } ports[] = {
		{ "com1", UART_COM1 }, { "com2", UART_COM2 },
		{ "com3", UART_COM3 }, { "com4", UART_COM4 }, { "off", 0 },
	};
	uint64_t v;

	if (!opt)
		return UART_COM2;
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++)
		if (strcmp(opt, ports[i].name) == 0)
			return ports[i].port;
	if (monitor_parse_u64(opt, 1, 0xfff8, &v) == 0)
		return (int)v;
	return -EINVAL;
}

/* Serves vm (the live VM of gs.name): a fresh connection state for GDB. */
static void gdb_serve_attach(struct vm *vm)
{
	static const struct gdb_io io = { .getc = gdb_serve_getc, .write = gdb_serve_write };
	struct gdb_target t = { .ops = &gdb_vm_ops, .ctx = &gs.target };
	int err;

	/* Whatever the stub kept of a VM before is gone with it. */
	if (gs.stub_ready)
		gdb_stub_release(&gs.stub);
	gs.stub_ready = false;
	err = gdb_stub_init(&gs.stub, &io, &t);
	if (!err)
		err = gdb_vm_attach(&gs.target, &gs.stub, vm);
	if (err) {
		pr_err("gdb: cannot serve vm %s: %s", gs.name, errno_name(err));
		gs.name[0] = '\0';
		return;
	}
	gs.stub_ready = true;
}

void gdb_serve_vm_ending(struct vm *vm)
{
	if (gs.target.vm == vm && vm)
		gdb_vm_forget(&gs.target);
}

void gdb_serve_tick(void)
{
	struct vm *vm;

	if (!gs.on)
		return;
	/* The served VM came back (a reset, `start`): serve its new self. */
	if (gs.name[0] && !gs.target.vm && (vm = vms_find(gs.name)) && !vm_is_stopped(vm))
		gdb_serve_attach(vm);
	if (!gs.stub_ready)
		return;
	gs.rx_budget = GDB_SERVE_RX_BUDGET;
	gdb_stub_poll(&gs.stub);
}

static void gdb_cmd(const char *args)
{
	struct vm *vm;

	if (!gs.on) {
		monitor_error("gdb: the stub is off (gdb=off, or no UART at its port)");
		return;
	}
	if (!args[0]) {
		if (gs.name[0])
			monitor_printf("gdb: serving vm %s on port %#x (%s), %llu stops",
				       gs.name, gs.uart.port, gs.target.vm ? "running" : "ended",
				       (unsigned long long)gs.target.stops);
		else
			monitor_printf("gdb: serving no VM, on port %#x", gs.uart.port);
		return;
	}
	vm = vms_find(args);
	if (!vm) {
		monitor_error("gdb: no VM named '%s'", args);
		return;
	}
	if (gs.target.vm == vm) {
		monitor_printf("gdb: already serving vm %s", args);
		return;
	}
	/* The VM GDB had goes on as if GDB detached. */
	if (gs.stub_ready)
		gdb_stub_release(&gs.stub);
	gdb_vm_detach(&gs.target);
	hv_strlcpy(gs.name, args, sizeof(gs.name));
	gdb_serve_attach(vm);
	if (gs.name[0])
		monitor_printf("gdb: serving vm %s from now on", gs.name);
}

static const struct monitor_cmd gdb_monitor_cmd = {
	.name = "gdb", .syntax = "gdb [NAME]", .help = "which VM the GDB stub serves",
	.run = gdb_cmd,
};

void gdb_serve_setup(uint16_t port, bool asked)
{
	struct vms_info info;
	int err;

	err = monitor_register(&gdb_monitor_cmd);
	if (err)
		pr_err("hv: monitor command gdb: %s", errno_name(err));
	if (!port) {
		pr_info("gdb: stub off");
		return;
	}
	err = uart_init(&gs.uart, port, 115200);
	if (err && asked) {
		pr_err("gdb: no UART at port %#x (%s); stub off", port, errno_name(err));
		return;
	}
	if (err) {
		/* The default, COM2, on a machine that has none: not an error. */
		pr_info("gdb: no UART at port %#x; stub off (gdb= picks another port)", port);
		return;
	}
	gs.on = true;
	if (vms_info(0, &info) && info.live && info.vm) {
		hv_strlcpy(gs.name, info.name, sizeof(gs.name));
		gdb_serve_attach(info.vm);
	}
	pr_info("gdb: stub on port %#x, serving vm %s; attach with: target remote <COM port>",
		port, gs.name[0] ? gs.name : "(none)");
}
