/*
 * Exception and interrupt dispatch. Runs on the CPU that took the trap,
 * interrupts off. An exception in the hypervisor is fatal for the CPU that
 * took it: the register dump and a symbolized backtrace go to the console
 * and the CPU stops; the other CPUs go on.
 */
#include "asm/apic.h"
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/percpu.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/symbols.h"

#define BACKTRACE_DEPTH 16

irq_handler_t irq_handler(unsigned int vector);

static const char *const exception_names[VEC_EXCEPTIONS] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD error",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
	[29] = "#VC VMM communication",
	[30] = "#SX security exception",
};

/* Any address the identity map covers and that is 8-byte aligned. */
static bool backtrace_frame_ok(uint64_t rbp, uint64_t prev)
{
	return rbp && IS_ALIGNED(rbp, 8) && rbp > prev &&
	       rbp - prev < MiB(1) && rbp < (1ull << 47);
}

static void print_symbol(const char *prefix, uint64_t addr)
{
	uint64_t off, size;
	const char *name = symbol_lookup(addr, &off, &size);

	if (name)
		log_raw("%s[<%016llx>] %s+0x%llx/0x%llx\n", prefix,
			(unsigned long long)addr, name,
			(unsigned long long)off, (unsigned long long)size);
	else
		log_raw("%s[<%016llx>] ?\n", prefix, (unsigned long long)addr);
}

/* Walks the frame-pointer chain starting at rbp. */
void backtrace_print(uint64_t rip, uint64_t rbp)
{
	unsigned int depth;
	uint64_t prev;

	log_raw("Backtrace:\n");
	print_symbol("  ", rip);
	prev = rbp - 1;
	for (depth = 0; depth < BACKTRACE_DEPTH; depth++) {
		uint64_t *frame = (uint64_t *)rbp;

		if (!backtrace_frame_ok(rbp, prev) || frame[1] == 0)
			break;
		print_symbol("  ", frame[1]);
		prev = rbp;
		rbp = frame[0];
	}
}

static __noreturn void fatal_exception(struct trap_frame *tf)
{
	const char *name = tf->vector < VEC_EXCEPTIONS ?
			   exception_names[tf->vector] : NULL;
	unsigned int cpu = smp_processor_id();

	log_printf(LOG_ERR, "hv: fatal exception %llu (%s) on CPU %u, error code 0x%llx",
		   (unsigned long long)tf->vector, name ? name : "reserved", cpu,
		   (unsigned long long)tf->error_code);
	log_raw("RIP: %04llx:%016llx RFLAGS: %016llx\n",
		(unsigned long long)tf->cs, (unsigned long long)tf->rip,
		(unsigned long long)tf->rflags);
	log_raw("RSP: %04llx:%016llx CR2: %016llx\n",
		(unsigned long long)tf->ss, (unsigned long long)tf->rsp,
		(unsigned long long)read_cr2());
	log_raw("RAX: %016llx RBX: %016llx RCX: %016llx\n",
		(unsigned long long)tf->rax, (unsigned long long)tf->rbx,
		(unsigned long long)tf->rcx);
	log_raw("RDX: %016llx RSI: %016llx RDI: %016llx\n",
		(unsigned long long)tf->rdx, (unsigned long long)tf->rsi,
		(unsigned long long)tf->rdi);
	log_raw("RBP: %016llx R8:  %016llx R9:  %016llx\n",
		(unsigned long long)tf->rbp, (unsigned long long)tf->r8,
		(unsigned long long)tf->r9);
	log_raw("R10: %016llx R11: %016llx R12: %016llx\n",
		(unsigned long long)tf->r10, (unsigned long long)tf->r11,
		(unsigned long long)tf->r12);
	log_raw("R13: %016llx R14: %016llx R15: %016llx\n",
		(unsigned long long)tf->r13, (unsigned long long)tf->r14,
		(unsigned long long)tf->r15);
	log_raw("CR0: %016llx CR3: %016llx CR4: %016llx\n",
		(unsigned long long)read_cr0(), (unsigned long long)read_cr3(),
		(unsigned long long)read_cr4());
	backtrace_print(tf->rip, tf->rbp);
	log_printf(LOG_ERR, "hv: CPU %u stopped", cpu);
	for (;;) {
		irq_disable();
		cpu_halt();
	}
}

void trap_dispatch(struct trap_frame *tf)
{
	irq_handler_t fn;

	/*
	 * The host single-steps nothing and sets no breakpoints of its own:
	 * a #DB here is a guest's (docs/debugging.md): Bochs 2.7's SVM
	 * delivers the single-step trap of an intercepted guest instruction
	 * right after #VMEXIT, and a debugger's DR7 is in the CPU around
	 * VMRUN. Ignored, with RF so that a fault-type one does not recur;
	 * not logged: it can come before the host's GS is back.
	 */
	if (tf->vector == VEC_DB && !(tf->rflags & X86_RFLAGS_TF)) {
		tf->rflags |= X86_RFLAGS_RF;
		return;
	}
	if (tf->vector < VEC_EXCEPTIONS)
		fatal_exception(tf);
	fn = irq_handler((unsigned int)tf->vector);
	if (fn) {
		fn(tf);
		return;
	}
	if (tf->vector != VEC_SPURIOUS) {
		pr_warn("hv: unexpected interrupt vector %llu on CPU %u",
			(unsigned long long)tf->vector, smp_processor_id());
		apic_eoi();
	}
}
