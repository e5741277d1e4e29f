/*
 * GDT, TSS and IDT. The IDT is built once by the boot CPU and shared; each
 * CPU has its own GDT and TSS inside its percpu area (desc_init_cpu runs on
 * that CPU, interrupts off).
 */
#include "asm/cpu.h"
#include "asm/desc.h"
#include "asm/msr.h"
#include "asm/percpu.h"
#include "core/lib/log.h"

#define GDT_CODE64 0x00af9a000000ffffull	/* P, DPL0, code, L=1 */
#define GDT_DATA   0x00cf92000000ffffull	/* P, DPL0, data, writable */

#define IDT_TYPE_INTR 0x8e	/* present, DPL0, 64-bit interrupt gate */

extern uint64_t vector_stubs[256];

static struct idt_gate idt[256] __aligned(16);
static irq_handler_t irq_handlers[256];

static void idt_set_gate(unsigned int vec, uint64_t handler, unsigned int ist)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = handler & 0xffff;
	g->selector = SEL_CODE64;
	g->ist = ist & 7;
	g->type_attr = IDT_TYPE_INTR;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_hi = handler >> 32;
	g->reserved = 0;
}

void desc_init_idt(void)
{
	unsigned int v;

	for (v = 0; v < 256; v++)
		idt_set_gate(v, vector_stubs[v], 0);
	idt_set_gate(2, vector_stubs[2], IST_NMI);
	idt_set_gate(8, vector_stubs[8], IST_DF);
	idt_set_gate(18, vector_stubs[18], IST_MC);
}

void desc_load_idt(void)
{
	struct desc_ptr p = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };

	__asm__ __volatile__("lidt %0" :: "m"(p));
}

void irq_register(unsigned int vector, irq_handler_t fn)
{
	ASSERT(vector >= VEC_EXCEPTIONS && vector < 256);
	irq_handlers[vector] = fn;
}

irq_handler_t irq_handler(unsigned int vector)
{
	return irq_handlers[vector];
}

static void gdt_set_tss(uint64_t *gdt, const struct tss64 *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	gdt[GDT_ENTRY_TSS] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			     (0x89ull << 40) |	/* P, available 64-bit TSS */
			     (((limit >> 16) & 0xf) << 48) |
			     (((base >> 24) & 0xff) << 56);
	gdt[GDT_ENTRY_TSS + 1] = base >> 32;
}

/*
 * Loads this CPU's GDT and TSS and reloads every segment register; the GS
 * base (percpu) survives because it lives in MSR_GS_BASE, which a load of
 * a null selector into GS does not touch on AMD but does clear on Intel:
 * the caller sets GS base after this.
 */
void desc_init_cpu(void)
{
	struct percpu *pc = this_cpu();
	struct desc_ptr p;
	unsigned int i;

	pc->gdt[GDT_ENTRY_NULL] = 0;
	pc->gdt[GDT_ENTRY_CODE64] = GDT_CODE64;
	pc->gdt[GDT_ENTRY_DATA] = GDT_DATA;
	for (i = 0; i < IST_COUNT; i++)
		pc->tss.ist[i] = (uint64_t)&pc->ist_stacks[i][IST_STACK_SIZE];
	pc->tss.iomap_base = sizeof(pc->tss);
	gdt_set_tss(pc->gdt, &pc->tss);

	p.limit = sizeof(pc->gdt) - 1;
	p.base = (uint64_t)pc->gdt;
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movl %%eax, %%fs\n\t"
		"movl %%eax, %%gs\n\t"
		"ltr %w3\n\t"
		:
		: "m"(p), "i"(SEL_CODE64), "i"(SEL_DATA), "r"(SEL_TSS)
		: "rax", "memory");
	wrmsr(MSR_GS_BASE, (uint64_t)pc);
}
