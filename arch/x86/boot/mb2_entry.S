/*
 * Multiboot2 entry. GRUB jumps here in 32-bit protected mode, paging off,
 * EAX = 0x36d76289 and EBX = physical address of the boot information.
 * We identity-map the first 4 GiB with 2 MiB pages, enter long mode and
 * call mb2_main(magic, info) on the boot stack. The hypervisor builds its
 * own page tables later; these only carry it into C.
 */
#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386    0
#define MB2_TAG_END      0

#define CR0_PE  0x00000001
#define CR0_PG  0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_PRESENT_RW 0x3
#define PTE_LARGE      0x80

#define BOOT_STACK_SIZE 32768
#define COM1 0x3f8

	.section .multiboot2, "a"
	.p2align 3
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.p2align 3
	.word MB2_TAG_END
	.word 0
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _mb2_start
_mb2_start:
	cli
	cld
	movl $mb2_stack_top, %esp
	movl %eax, %edi
	movl %ebx, %esi

	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx			/* LM */
	jnc no_long_mode

	/* Clear PML4 and PDPT, then fill them and the four page directories. */
	movl %edi, %ebp
	xorl %eax, %eax
	movl $mb2_pml4, %edi
	movl $(2 * 4096 / 4), %ecx
	rep stosl
	movl %ebp, %edi

	movl $mb2_pdpt, %eax
	orl $PTE_PRESENT_RW, %eax
	movl %eax, mb2_pml4
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $mb2_pd, %eax
	orl $PTE_PRESENT_RW, %eax
	movl %eax, mb2_pdpt(, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b

	xorl %ecx, %ecx			/* 2048 entries of 2 MiB: 4 GiB */
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_PRESENT_RW | PTE_LARGE), %eax
	movl %eax, mb2_pd(, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of the address: 0 below 4 GiB */
	movl %eax, mb2_pd + 4(, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $mb2_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	lgdt mb2_gdtr
	ljmp $0x08, $mb2_long_mode

no_long_mode:
	movl $no_lm_msg, %esi
3:	lodsb
	testb %al, %al
	jz 4f
	movw $COM1, %dx
	outb %al, %dx
	jmp 3b
4:	cli
	hlt
	jmp 4b

	.code64
mb2_long_mode:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movl %edi, %edi			/* zero-extend magic and info pointer */
	movl %esi, %esi
	movl $mb2_stack_top, %esp
	xorl %ebp, %ebp
	pushq $0			/* terminates the backtrace */
	call mb2_main
5:	cli
	hlt
	jmp 5b

	.section .rodata
no_lm_msg:
	.asciz "hv: error: this CPU has no long mode (x86-64); cannot boot\r\n"

	.p2align 3
mb2_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
mb2_gdt_end:
mb2_gdtr:
	.word mb2_gdt_end - mb2_gdt - 1
	.quad mb2_gdt

	.section .bss
	.p2align 12
mb2_pml4:
	.skip 4096
mb2_pdpt:
	.skip 4096
mb2_pd:
	.skip 4 * 4096
	.p2align 4
mb2_stack:
	.skip BOOT_STACK_SIZE
	.globl mb2_stack_top
	.hidden mb2_stack_top
mb2_stack_top:

	.section .note.GNU-stack, "", @progbits
