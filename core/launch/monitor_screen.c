/*
 * The monitor's `screen NAME`: the 80x25 text of a PC guest's VGA window
 * (guest-physical 0xb8000), characters only. Each cell is a character
 * byte and an attribute byte; the attributes are skipped, a NUL or a
 * space shows as a blank, any other byte outside printable ASCII
 * (0x20-0x7e: the code page's line drawing, control characters) as '.'.
 * Rows lose their trailing blanks; each is printed after its number.
 *
 * Boot CPU only, in the monitor's loop. The 4000 bytes are copied inside
 * one read section of the monitor's memslot reader (monitor_mem_read():
 * RAM through the memslots, never a device page) and printed after it.
 */
#include "core/launch/monitor.h"
#include "core/launch/monitor_screen.h"
#include "core/launch/monitor_vm.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/pc/machine.h"
#include "core/vm.h"

#define SCREEN_ARGS_MAX 64

static uint8_t screen_cells[SCREEN_BYTES];
static bool screen_valid[SCREEN_BYTES];

_Static_assert(SCREEN_BYTES <= MONITOR_MEM_MAX, "one monitor_mem_read() reads the screen");

const char *monitor_screen_row(const uint8_t *cells, const bool *valid, char *buf)
{
	unsigned int end = 0;

	for (unsigned int col = 0; col < SCREEN_COLS; col++) {
		uint8_t c = valid[2 * col] ? cells[2 * col] : 0;

		if (c == 0 || c == ' ')
			buf[col] = ' ';
		else
			buf[col] = c > ' ' && c < 0x7f ? (char)c : '.';
		if (buf[col] != ' ')
			end = col + 1;
	}
	buf[end] = '\0';
	return buf;
}

static void monitor_screen(const char *args)
{
	char words[SCREEN_ARGS_MAX], row[SCREEN_COLS + 1];
	const char *argv[1];
	struct vm *vm;
	int err;

	if (monitor_split(args, words, sizeof(words), argv, 1) != 1) {
		monitor_error("screen: syntax: screen NAME");
		return;
	}
	vm = monitor_vm_find("screen", argv[0]);
	if (!vm)
		return;
	err = monitor_mem_read(vm, PC_VGA_TEXT, screen_cells, screen_valid, SCREEN_BYTES);
	if (err) {
		monitor_error("screen: vm %s: cannot read its memslots: %s", vm->name,
			      errno_name(err));
		return;
	}
	monitor_printf("vm %s: VGA text at guest-physical %#llx, %ux%u (NUL blank, other non-printables '.')",
		       vm->name, PC_VGA_TEXT, SCREEN_COLS, SCREEN_ROWS);
	for (unsigned int r = 0; r < SCREEN_ROWS; r++)
		monitor_printf("%02u|%s", r,
			       monitor_screen_row(screen_cells + r * SCREEN_COLS * 2,
						  screen_valid + r * SCREEN_COLS * 2, row));
}

static const struct monitor_cmd monitor_screen_cmd = {
	.name = "screen", .syntax = "screen NAME", .help = "a PC guest's 80x25 VGA text",
	.run = monitor_screen,
};

void monitor_screen_register(void)
{
	int err = monitor_register(&monitor_screen_cmd);

	if (err)
		pr_err("hv: monitor command screen: %s", errno_name(err));
}
