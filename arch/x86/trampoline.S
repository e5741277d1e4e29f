/*
 * Start-up code for the application processors. The boot CPU copies
 * [ap_trampoline_start, ap_trampoline_end) to a free page below 1 MiB,
 * fills the data block at its end (struct ap_trampoline_data in smp.c),
 * and sends INIT-SIPI-SIPI with that page as the start vector.
 *
 * The AP starts in real mode at CS:IP = page>>4:0. It goes through 32-bit
 * protected mode into long mode with the host's page tables, then jumps to
 * the 64-bit entry with its own stack and percpu area. EBX holds the
 * trampoline's physical base throughout the 16- and 32-bit parts, which
 * address their data relative to it; the 64-bit part uses RIP-relative.
 */
#define TRAMP_SEL_CODE32 0x08
#define TRAMP_SEL_DATA   0x10
#define TRAMP_SEL_CODE64 0x18

#define OFF(sym) ((sym) - ap_trampoline_start)

	.section .rodata.trampoline, "a"
	.code16
	.globl ap_trampoline_start
	.hidden ap_trampoline_start
ap_trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx			/* EBX = physical base */
	lgdtl OFF(tramp_gdtr)
	movl %cr0, %eax
	orl $1, %eax			/* CR0.PE */
	movl %eax, %cr0
	ljmpl *OFF(tramp_pm32_ptr)

	.code32
tramp_pm32:
	movl $TRAMP_SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $((1 << 5) | (1 << 7)), %eax	/* CR4.PAE | CR4.PGE */
	movl %eax, %cr4
	movl OFF(tramp_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $(1 << 8), %eax		/* EFER.LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax		/* PG | WP | PE */
	movl %eax, %cr0
	ljmpl *OFF(tramp_lm64_ptr)(%ebx)

	.code64
tramp_lm64:
	movl $TRAMP_SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq tramp_stack(%rip), %rsp
	movq tramp_arg(%rip), %rdi
	movq tramp_entry(%rip), %rax
	xorl %ebp, %ebp
	pushq $0			/* terminates the backtrace */
	jmpq *%rax

	.p2align 3
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdt_end:

/* Data block: the layout must match struct ap_trampoline_data in smp.c. */
	.p2align 3
	.globl ap_trampoline_data
	.hidden ap_trampoline_data
ap_trampoline_data:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long 0				/* +2: physical address of tramp_gdt */
	.word 0
tramp_pm32_ptr:
	.long 0				/* +8: physical address of tramp_pm32 */
	.word TRAMP_SEL_CODE32
	.word 0
tramp_lm64_ptr:
	.long 0				/* +16: physical address of tramp_lm64 */
	.word TRAMP_SEL_CODE64
	.word 0
tramp_cr3:
	.quad 0				/* +24 */
tramp_stack:
	.quad 0				/* +32 */
tramp_entry:
	.quad 0				/* +40 */
tramp_arg:
	.quad 0				/* +48 */
	.globl ap_trampoline_end
	.hidden ap_trampoline_end
ap_trampoline_end:

	.globl ap_trampoline_off_gdt, ap_trampoline_off_pm32, ap_trampoline_off_lm64
	.hidden ap_trampoline_off_gdt
	.hidden ap_trampoline_off_pm32
	.hidden ap_trampoline_off_lm64
	.p2align 2
ap_trampoline_off_gdt:
	.long tramp_gdt - ap_trampoline_start
ap_trampoline_off_pm32:
	.long tramp_pm32 - ap_trampoline_start
ap_trampoline_off_lm64:
	.long tramp_lm64 - ap_trampoline_start

	.section .note.GNU-stack, "", @progbits
