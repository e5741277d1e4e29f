/*
 * Descriptor tables: GDT layout, TSS, IDT gates, trap frame.
 * The layouts are fixed by the architecture and by entry.S.
 */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include "asm/cpu_regs.h"
#include "core/lib/compiler.h"

#define GDT_ENTRY_NULL    0
#define GDT_ENTRY_CODE64  1
#define GDT_ENTRY_DATA    2
#define GDT_ENTRY_TSS     3	/* two slots: a 16-byte system descriptor */
#define GDT_ENTRIES       5

#define SEL_CODE64 (GDT_ENTRY_CODE64 * 8)
#define SEL_DATA   (GDT_ENTRY_DATA * 8)
#define SEL_TSS    (GDT_ENTRY_TSS * 8)

/* Interrupt stack table slots (1-based, as the gate field wants them). */
#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3
#define IST_COUNT 3
#define IST_STACK_SIZE 8192

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss64) == 104, "TSS layout");

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout");

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

/* Vectors used by the host (exceptions below VEC_EXCEPTIONS, asm/cpu_regs.h). */
#define VEC_IPI_PING    0xf0
#define VEC_IPI_CALL    0xf1
#define VEC_IPI_HALT    0xf2
#define VEC_IPI_KICK    0xf3
#define VEC_APIC_TIMER  0xf8
#define VEC_SPURIOUS    0xff

/*
 * Saved state on the interrupt stack, built by entry.S: general registers
 * pushed by the common stub, then vector and error code, then the frame
 * the CPU pushed.
 */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap frame");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame");

typedef void (*irq_handler_t)(struct trap_frame *tf);

void desc_init_idt(void);
void desc_load_idt(void);
void desc_init_cpu(void);	/* this CPU's GDT and TSS, from its percpu */
void irq_register(unsigned int vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *tf);

#endif
