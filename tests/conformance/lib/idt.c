/*
 * Conformance kernels: one IDT for every CPU, a stub per vector (entry.S).
 *
 * Interrupts and exceptions run isr_dispatch() on the interrupted stack with
 * IF clear. An exception with no handler of its own resumes at fixup_eip if
 * a kernel armed it, and otherwise fails the kernel: an unexpected fault
 * ends the run with a FAIL line naming vector, error code and EIP.
 */
#include "conf.h"

#define SEL_CODE 0x08
#define GATE_INT32 0x8e		/* present, DPL 0, 32-bit interrupt gate */

struct idt_entry {
	u16 off_lo, sel;
	u8 zero, type;
	u16 off_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_entry) == 8, "IDT gate is 8 bytes");
_Static_assert(sizeof(struct frame) == 13 * 4, "struct frame matches isr_common");

extern char isr_stubs[];
static struct idt_entry idt[256] __attribute__((aligned(8)));
static irq_handler_t handlers[256];

volatile struct exc_record last_exc;
volatile u32 exc_count;
volatile u32 fixup_eip;
volatile u32 vec_count[256];

void idt_load(void)
{
	struct { u16 limit; u32 base; } __attribute__((packed)) ptr = {
		sizeof(idt) - 1, (u32)idt
	};

	asm volatile("lidt %0" :: "m"(ptr));
}

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		u32 stub = (u32)isr_stubs + 16 * v;

		idt[v] = (struct idt_entry){ (u16)stub, SEL_CODE, 0, GATE_INT32, (u16)(stub >> 16) };
	}
	idt_load();
}

void set_handler(u8 vector, irq_handler_t h)
{
	handlers[vector] = h;
}

void isr_dispatch(struct frame *f);
void isr_dispatch(struct frame *f)
{
	u32 v = f->vector;

	atomic_inc(&vec_count[v]);
	if (v < 32 || !handlers[v]) {
		last_exc.vector = v;
		last_exc.error = f->error;
		last_exc.eip = f->eip;
		last_exc.cr2 = read_cr2();
		atomic_inc(&exc_count);
	}
	if (handlers[v]) {
		handlers[v](f);
		return;
	}
	if (v >= 32)
		return;		/* int n with no handler: counted */
	if (fixup_eip) {
		f->eip = fixup_eip;
		fixup_eip = 0;
		return;
	}
	fail("unexpected_exception", "vector %u error 0x%x eip 0x%x cr2 0x%x",
	     v, f->error, f->eip, read_cr2());
	finish();
}

int rdmsr_safe(u32 msr, u64 *v)
{
	u32 before = exc_count, lo = 0, hi = 0;

	asm volatile("movl $1f, fixup_eip\n\t"
		     "rdmsr\n"
		     "1:\n\t"
		     "movl $0, fixup_eip"
		     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*v = exc_count != before ? 0 : ((u64)hi << 32) | lo;
	return exc_count != before ? -1 : 0;
}

int wrmsr_safe(u32 msr, u64 v)
{
	u32 before = exc_count;

	asm volatile("movl $1f, fixup_eip\n\t"
		     "wrmsr\n"
		     "1:\n\t"
		     "movl $0, fixup_eip"
		     :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
	return exc_count != before ? -1 : 0;
}
