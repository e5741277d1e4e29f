/*
 * Hosted test of the monitor's inspection commands (core/launch/monitor_vm.c,
 * monitor_mem.c, monitor_screen.c) on a rig VM with the fake backend
 * (tests/host/test_vcpu_run_harness.h): its vCPU loops run on their own
 * hosted CPUs while the commands run on CPU 0, as the monitor does on the
 * boot CPU. The launcher's lookup by name (vms_find, vms_info) is played
 * by this file: one VM, "payload".
 *
 * Cases: the hex dump's lines and unbacked bytes; `mem` over the end of
 * RAM, with RAM never touched shown as zeros, not as stale bytes; pause
 * and resume with their state errors; `regs` decoded from a long-mode
 * state; `vmem` and `walk` through page tables in the rig's RAM; `tdp`
 * of an unmapped address; `screen`'s rows of VGA text, characters only;
 * one error line for each bad argument.
 */
#include <stdio.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "core/guest_walk.h"
#include "core/launch/monitor.h"
#include "core/launch/monitor_screen.h"
#include "core/launch/monitor_vm.h"
#include "core/launch/vm_launch.h"
#include "core/ram_zero.h"
#include "tests/host/test_vcpu_run_harness.h"

#define MV_VCPUS 2

static struct rig rig;
static bool rig_live;
static char out[32768];

/* --- The launcher's lookup, as this test's one VM ------------------------ */

struct vm *vms_find(const char *name)
{
	return rig_live && strcmp(name, "payload") == 0 ? rig.vm : NULL;
}

bool vms_info(unsigned int i, struct vms_info *info)
{
	static const unsigned int cpus[MV_VCPUS] = { 1, 2 };

	if (i > 0 || !rig_live)
		return false;
	*info = (struct vms_info){ .name = "payload", .live = true, .vm = rig.vm,
				   .vcpus = MV_VCPUS, .cpus = cpus };
	return true;
}

/* --- Output capture (the console is stderr in the hosted build) ----------- */

/* Runs line (or, NULL, the monitor's tick), its output into out. */
static void run_cmd(const char *line)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	if (line)
		monitor_exec(line);
	else
		monitor_vm_tick();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static unsigned int out_lines(void)
{
	unsigned int n = 0;

	for (const char *p = out; *p; p++)
		n += *p == '\n';
	return n;
}

/* The command answered with exactly one error line. */
static bool one_error(const char *line)
{
	run_cmd(line);
	if (out_lines() == 1 && strncmp(out, "hv: ", 4) == 0)
		return true;
	fprintf(stderr, "  '%s' answered:\n%s", line, out);
	return false;
}

/* --- The rig, loops running ------------------------------------------------ */

/* Every vCPU exits without end (PAUSE), staying in long mode. */
static bool gen_spin(struct fake_vcpu *f, struct vm_exit *exit)
{
	exit->guest.mode = GUEST_MODE_LONG64;
	exit->insn_len = 2;
	exit->reason = EXIT_PAUSE;
	(void)f;
	return true;
}

static struct worker workers[MV_VCPUS];

static void start(void)
{
	shim_set_halt_model(true);
	rig_init(&rig, RIG_PAYLOAD, MV_VCPUS);
	for (unsigned int i = 0; i < MV_VCPUS; i++)
		fake_vcpu(rig_vcpu(&rig, i))->gen = gen_spin;
	for (unsigned int i = 0; i < MV_VCPUS; i++)
		worker_start(&workers[i], i + 1, rig_vcpu_thread, rig_vcpu(&rig, i));
	for (unsigned int i = 0; i < MV_VCPUS; i++)
		while (!__atomic_load_n(&rig_vcpu(&rig, i)->ctl.loop, __ATOMIC_ACQUIRE))
			shim_pause();
	rig_live = true;
}

static void finish(void)
{
	rig_live = false;
	vm_stop(rig.vm, "stopped by the test");
	for (unsigned int i = 0; i < MV_VCPUS; i++)
		worker_join(&workers[i]);
	shim_set_halt_model(false);
	rig_destroy(&rig);
}

/* --- Cases ------------------------------------------------------------------ */

static void case_hex_line(void)
{
	const uint8_t bytes[16] = { 'h', 'v', 0x00, 0x7f, 0x41, 0xff, 0x20, '~',
				    1, 2, 3, 4, 5, 6, 7, 8 };
	bool valid[16];
	char line[MONITOR_HEX_LINE];

	memset(valid, 1, sizeof(valid));
	CHECK_STR(monitor_hex_line(0x1000, bytes, valid, 16, line, sizeof(line)),
		  "0000000000001000: 68 76 00 7f 41 ff 20 7e 01 02 03 04 05 06 07 08"
		  "  |hv..A. ~........|");
	valid[2] = valid[3] = false;
	CHECK_STR(monitor_hex_line(0xfffffffffffffff0ull, bytes, valid, 5, line, sizeof(line)),
		  "fffffffffffffff0: 68 76 -- -- 41"
		  "                                 "	/* 11 missing bytes */
		  "  |hv..A|");
	/* Cut to a small buffer: still terminated, never past it. */
	memset(line, 'x', sizeof(line));
	monitor_hex_line(0, bytes, valid, 16, line, 20);
	CHECK_EQ(strlen(line), 19);
}

/* The last 32 bytes of RAM and 32 past its end; stale bytes of untouched RAM hidden. */
static void case_mem(void)
{
	static struct ram_zero zero;
	static uint8_t state[GUEST_PAGES];
	const struct guest_ram_layout layout = { .low = GUEST_PAGES * PAGE_SIZE };
	uint8_t *ram;

	start();
	ram = phys_to_virt(rig.ram);
	memcpy(ram + GUEST_PAGES * PAGE_SIZE - 32, "last bytes of RAM", 17);
	run_cmd("mem payload 0xfffe0");
	CHECK(strstr(out, "vm payload: 64 bytes at guest-physical 0xfffe0") != NULL);
	CHECK(strstr(out, "00000000000fffe0: 6c 61 73 74 20 62 79 74 65 73 20 6f 66 20 52 41"
			  "  |last bytes of RA|") != NULL);
	CHECK(strstr(out, "0000000000100000: -- -- -- -- -- -- -- -- -- -- -- -- -- -- -- --"
			  "  |................|") != NULL);
	CHECK_EQ(out_lines(), 5);

	/* Page 0x80 holds an earlier tenant's bytes and is marked for zeroing. */
	memset(ram + 0x80000, 0xaa, PAGE_SIZE);
	ram_zero_init(&zero, ram, &layout, PAGE_SHIFT, state);
	ram_zero_touch(&zero, 0, 0x80000);
	rig.vm->ram_zero = &zero;
	run_cmd("mem payload 0x80000 16");
	CHECK(strstr(out, "0000000000080000: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
	      != NULL);
	CHECK(strstr(out, "aa") == NULL);
	rig.vm->ram_zero = NULL;

	run_cmd("mem payload 0x0 4096");
	CHECK_EQ(out_lines(), 1 + 4096 / 16);
	finish();
}

/*
 * `screen`: the 80x25 text at 0xb8000, characters only (attribute bytes
 * skipped), NUL and space blank, other non-printables '.', trailing
 * blanks cut; the header names the VM; bad arguments get one error line.
 */
static void case_screen(void)
{
	static const char hello[] = "Hello, VGA";
	uint8_t *text;
	char row[SCREEN_COLS + 1];
	uint8_t cells[SCREEN_COLS * 2];
	bool valid[SCREEN_COLS * 2];

	/* The formatter alone: a cell not read is blank too. */
	memset(cells, 0, sizeof(cells));
	memset(valid, true, sizeof(valid));
	cells[0] = 'A';
	cells[1] = 'B';		/* an attribute, never shown */
	cells[2] = 0x01;
	cells[4] = 0xc4;	/* line drawing in code page 437 */
	cells[6] = ' ';
	cells[8] = '~';
	CHECK_STR(monitor_screen_row(cells, valid, row), "A.. ~");
	valid[0] = false;
	CHECK_STR(monitor_screen_row(cells, valid, row), " .. ~");
	memset(cells, 'x', sizeof(cells));
	CHECK_EQ(strlen(monitor_screen_row(cells, valid, row)), SCREEN_COLS);

	start();
	text = (uint8_t *)phys_to_virt(rig.ram) + 0xb8000;
	memset(text, 0, SCREEN_BYTES);
	for (unsigned int i = 0; i < sizeof(hello) - 1; i++) {
		text[2 * i] = (uint8_t)hello[i];
		text[2 * i + 1] = 0x07;
	}
	text[24 * SCREEN_COLS * 2 + 79 * 2] = '$';	/* the last cell */
	text[24 * SCREEN_COLS * 2 + 79 * 2 + 1] = 'Z';
	text[3 * SCREEN_COLS * 2] = 0x1b;
	run_cmd("screen payload");
	CHECK_EQ(out_lines(), 1 + SCREEN_ROWS);
	CHECK(strstr(out, "vm payload: VGA text at guest-physical 0xb8000, 80x25") != NULL);
	CHECK(strstr(out, "\n00|Hello, VGA\n01|\n02|\n03|.\n") != NULL);
	CHECK(strstr(out, "\n24|                                                                 "
			  "              $\n") != NULL);
	CHECK(strchr(out, 'Z') == NULL && strchr(out, 0x07) == NULL);
	CHECK(one_error("screen"));
	CHECK(one_error("screen payload extra"));
	CHECK(one_error("screen nosuchvm"));
	finish();
}

static void case_pause_resume(void)
{
	start();
	CHECK(one_error("resume payload"));
	CHECK(strstr(out, "not paused") != NULL);
	run_cmd("pause payload");
	CHECK(strstr(out, "vm payload: paused") != NULL);
	CHECK(vm_paused_by_monitor(rig.vm));
	for (unsigned int i = 0; i < MV_VCPUS; i++)
		CHECK(vcpu_ctl_parked(&rig_vcpu(&rig, i)->ctl));
	CHECK_EQ(rig_vcpu(&rig, 0)->ctl.pause, 1);
	CHECK(one_error("pause payload"));
	CHECK(strstr(out, "already paused") != NULL);
	CHECK_EQ(rig_vcpu(&rig, 0)->ctl.pause, 1);	/* still one count, the monitor's */
	/* A paused VM still answers regs (the call runs on its parked thread). */
	run_cmd("regs payload 1");
	CHECK(strstr(out, "vm payload vCPU 1:") != NULL);
	run_cmd("resume payload");
	CHECK(strstr(out, "vm payload: resumed") != NULL);
	CHECK(!vm_paused_by_monitor(rig.vm));
	CHECK_EQ(rig_vcpu(&rig, 0)->ctl.pause, 0);
	CHECK(one_error("resume payload"));
	CHECK(one_error("pause nosuchvm"));
	CHECK(one_error("pause"));
	CHECK(one_error("pause payload 1"));
	finish();
}

/* A long-mode kernel state, as Linux runs. */
static void set_long_state(struct vcpu *vcpu)
{
	struct fake_vcpu *f = fake_vcpu(vcpu);

	guest_state_init_long64(&f->state, 0, 0x1000, 0x10, 0x18);
	f->state.cr0 |= X86_CR0_WP | X86_CR0_NE;
	f->state.cr4 |= X86_CR4_PGE;
	f->state.efer |= EFER_SCE | EFER_NXE;
	f->state.interrupt_shadow = true;
	f->bv.regs.gpr[GPR_RAX] = 0x1122334455667788ull;
	f->bv.regs.gpr[GPR_R15] = 0xf15;
	f->bv.regs.rip = 0xffffffff81234567ull;
	f->bv.regs.rflags = X86_RFLAGS_FIXED | X86_RFLAGS_IF | BIT(6) | (3u << 12);
}

static void case_regs(void)
{
	start();
	run_cmd("pause payload");
	set_long_state(rig_vcpu(&rig, 0));
	run_cmd("regs payload");
	CHECK(strstr(out, "vm payload vCPU 0: long 64-bit mode, CPL 0") != NULL);
	CHECK(strstr(out, "rax 1122334455667788") != NULL);
	CHECK(strstr(out, "r15 0000000000000f15") != NULL);
	CHECK(strstr(out, "rip ffffffff81234567") != NULL);
	CHECK(strstr(out, "rflags 0000000000003242: ZF IF IOPL=3") != NULL);
	CHECK(strstr(out, "cr0 0000000080010031: PE ET NE WP PG") != NULL);
	CHECK(strstr(out, "cr4 00000000000000a0: PAE PGE") != NULL);
	CHECK(strstr(out, "efer 0000000000000d01: SCE LME LMA NXE") != NULL);
	CHECK(strstr(out, "cs   0010 base 0000000000000000 limit ffffffff attr 0a9b: code XRA "
			  "S=1 DPL=0 P=1 L=1 D/B=0 G=1") != NULL);
	CHECK(strstr(out, "tr   0000 base 0000000000000000 limit 0000ffff attr 008b: TSS busy "
			  "S=0 DPL=0 P=1") != NULL);
	CHECK(strstr(out, "interrupt shadow yes; NMI unmasked") != NULL);
	CHECK(strstr(out, "injected none") != NULL);
	run_cmd("resume payload");
	CHECK(one_error("regs payload 2"));
	CHECK(strstr(out, "out of range") != NULL);
	CHECK(one_error("regs payload x"));
	CHECK(one_error("regs payload 0 1"));
	CHECK(one_error("regs other"));
	CHECK(one_error("regs"));
	finish();
	/* A VM whose loops have ended: one error line, no call. */
	rig_init(&rig, RIG_PAYLOAD, MV_VCPUS);
	rig_live = true;
	CHECK(one_error("regs payload 1"));
	CHECK(strstr(out, "not running its loop") != NULL);
	vm_stop(rig.vm, "stopped by the test");
	CHECK(one_error("regs payload"));
	CHECK(strstr(out, "is not running") != NULL);
	rig_live = false;
	rig_destroy(&rig);
}

/*
 * 4-level tables at 0x1000.. map 0xffffffff80000000 to 0x40000 (4 KiB)
 * and 0xffffffff80200000 to 0x200000 (2 MiB, past the rig's RAM).
 */
static void build_tables(uint8_t *ram)
{
	uint64_t e;

	memset(ram + 0x1000, 0, 0x4000);
	e = 0x2000 | GPTE_P | GPTE_RW;
	memcpy(ram + 0x1000 + 511 * 8, &e, 8);
	e = 0x3000 | GPTE_P | GPTE_RW;
	memcpy(ram + 0x2000 + 510 * 8, &e, 8);
	e = 0x4000 | GPTE_P | GPTE_RW;
	memcpy(ram + 0x3000, &e, 8);
	e = 0x40000 | GPTE_P | GPTE_RW | GPTE_NX;
	memcpy(ram + 0x4000, &e, 8);
	e = 0x200000 | GPTE_P | GPTE_RW | GPTE_PS;	/* a 2 MiB page outside RAM */
	memcpy(ram + 0x3000 + 8, &e, 8);
	memcpy(ram + 0x40ff8, "walked!!", 8);
}

static void case_vmem_walk(void)
{
	start();
	build_tables(phys_to_virt(rig.ram));
	run_cmd("pause payload");
	set_long_state(rig_vcpu(&rig, 1));
	run_cmd("resume payload");

	run_cmd("walk payload 1 0xffffffff80000ff8");
	CHECK(strstr(out, "4-level paging, cr3 0x1000") != NULL);
	CHECK(strstr(out, "PML4E [511] at 0x1ff8 = 0000000000002003: P RW table 0x2000") != NULL);
	CHECK(strstr(out, "PTE   [  0] at 0x4000 = 8000000000040003: P RW NX page 0x40000") !=
	      NULL);
	CHECK(strstr(out, "-> guest-physical 0x40ff8 (4 KiB page, writable, supervisor, "
			  "no-execute)") != NULL);

	/* The last 8 bytes of the mapped page, then an unmapped one. */
	run_cmd("vmem payload 1 0xffffffff80000ff8 24");
	CHECK(strstr(out, "ffffffff80000ff8: 77 61 6c 6b 65 64 21 21 -- -- -- -- -- -- -- --"
			  "  |walked!!........|") != NULL);
	CHECK(strstr(out, "ffffffff80001008: -- -- -- --") != NULL);

	run_cmd("walk payload 1 0xffffffff80001000");
	CHECK(strstr(out, "stops at the PTE: not present") != NULL);
	/* A 2 MiB page whose frame is outside RAM: walked, its bytes unbacked. */
	run_cmd("vmem payload 1 0xffffffff80200000 16");
	CHECK(strstr(out, "ffffffff80200000: -- --") != NULL);
	run_cmd("walk payload 1 0x0000800000000000");
	CHECK(strstr(out, "address not canonical") != NULL);
	CHECK(one_error("walk payload 1"));
	CHECK(one_error("walk payload 2 0x1000"));
	CHECK(one_error("vmem payload 0 0x1000 4097"));
	CHECK(one_error("vmem payload 0 0xffffffffffffffff 2"));
	finish();
}

static void case_tdp_and_errors(void)
{
	start();
	run_cmd("tdp payload 0x5000");
	CHECK(strstr(out, "vm payload: guest-physical 0x5000, NPT 4-level") != NULL);
	CHECK(strstr(out, "not present") != NULL);
	CHECK(one_error("tdp payload"));
	CHECK(one_error("tdp payload zz"));
	CHECK(one_error("mem payload"));
	CHECK(one_error("mem payload 0x1000 0"));
	CHECK(one_error("mem payload 0x1000 4097"));
	CHECK(one_error("mem payload -1"));
	CHECK(one_error("mem nosuch 0"));
	CHECK(one_error("dirty payload 61"));
	CHECK(one_error("dirty"));
	CHECK(one_error("timers"));
	CHECK(one_error("devices payload 3"));
	CHECK(one_error("vmcs payload 9"));
	/* The payload platform has no PC devices. */
	CHECK(one_error("devices payload"));
	run_cmd("timers payload");
	CHECK(strstr(out, "vCPU 1:") != NULL);
	finish();
}

/* On the vCPU's thread: writes one byte into each of 10 pages. */
static void write_pages(struct vcpu *vcpu, void *ctx)
{
	(void)ctx;
	for (unsigned int i = 0; i < 10; i++)
		CHECK_EQ(guest_write_gpa(vcpu, 0x10000 + i * PAGE_SIZE, "x", 1), 0);
}

/* dirty: logging on, one harvest a second from the tick, logging off. */
static void case_dirty(void)
{
	const struct memslot_set *set;

	start();
	run_cmd("dirty payload 2");
	CHECK(strstr(out, "vm payload: counting dirtied pages for 2 s (1 slot(s))") != NULL);
	set = rig.vm->memslots.active;
	CHECK(set->slots[0].flags & MEMSLOT_DIRTY_LOG);
	CHECK(one_error("dirty payload"));
	CHECK(strstr(out, "already counting") != NULL);
	run_cmd(NULL);
	CHECK_EQ(out_lines(), 0);	/* not a second yet */
	CHECK_EQ(vcpu_call(rig_vcpu(&rig, 0), write_pages, NULL, 2000000000ull), 0);
	rig_sleep_ms(1050);
	run_cmd(NULL);
	CHECK(strstr(out, "vm payload: second 1: 10 pages dirtied") != NULL);
	rig_sleep_ms(1050);
	run_cmd(NULL);
	CHECK(strstr(out, "vm payload: second 2: 0 pages dirtied") != NULL);
	CHECK(strstr(out, "vm payload: 10 pages dirtied in 2 s") != NULL);
	set = rig.vm->memslots.active;
	CHECK(!(set->slots[0].flags & MEMSLOT_DIRTY_LOG));
	/* The VM gone while counting: the count ends, nothing touched. */
	run_cmd("dirty payload 5");
	rig_live = false;
	run_cmd(NULL);
	CHECK(strstr(out, "vm payload: ended or reset; dirty counting stopped") != NULL);
	rig_live = true;
	finish();
}

int main(void)
{
	rig_harness_init();
	shim_set_nr_cpus(8);
	monitor_vm_register();
	RUN(case_hex_line);
	RUN(case_mem);
	RUN(case_screen);
	RUN(case_pause_resume);
	RUN(case_regs);
	RUN(case_vmem_walk);
	RUN(case_tdp_and_errors);
	RUN(case_dirty);
	return check_done();
}
