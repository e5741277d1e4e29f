/*
 * Multiboot v1 header, the entry stub, our GDT, the 256 interrupt stubs and
 * the AP start-up trampoline.
 *
 * Entry: as Multiboot v1 leaves the machine (EAX magic, EBX the info
 * structure, flat CS/DS/ES/FS/GS/SS, paging off, IF clear; ESP and GDTR
 * undefined). The stub records that state before it changes anything.
 */
#define MB_MAGIC  0x1badb002
#define MB_FLAGS  0x00000003	/* page-aligned modules, memory information */

#define SEL_CODE  0x08
#define SEL_DATA  0x10
#define AP_BASE   0x8000	/* where smp.c copies the trampoline; SIPI vector 0x08 */
#define SEG_MARK  0x5e65a4c5	/* written through each data segment at entry */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	movl %eax, mb_entry_state + 0
	movl %ebx, mb_entry_state + 4
	movl %cr0, %eax
	movl %eax, mb_entry_state + 8
	movl $bsp_stack_top, %esp	/* pushfl needs a stack; flags unchanged */
	pushfl
	popl mb_entry_state + 12
	movw %cs, mb_entry_state + 16
	movw %ds, mb_entry_state + 18
	movw %es, mb_entry_state + 20
	movw %fs, mb_entry_state + 22
	movw %gs, mb_entry_state + 24
	movw %ss, mb_entry_state + 26
	/*
	 * Base 0 and a 4 GiB limit in every data segment: a mark written
	 * through each must land where our flat DS finds it, and a read at
	 * 0xfffffff0 (the firmware's ROM) through each must not fault (there
	 * is no IDT yet: a fault ends the run, which then has no END line).
	 */
	movl $SEG_MARK, %ds:mb_entry_state + 28
	movl $SEG_MARK, %es:mb_entry_state + 32
	movl $SEG_MARK, %fs:mb_entry_state + 36
	movl $SEG_MARK, %gs:mb_entry_state + 40
	movl $SEG_MARK, %ss:mb_entry_state + 44
	movl %ds:0xfffffff0, %eax
	movl %es:0xfffffff0, %eax
	movl %fs:0xfffffff0, %eax
	movl %gs:0xfffffff0, %eax
	movl %ss:0xfffffff0, %eax

	lgdt gdt_ptr
	ljmp $SEL_CODE, $1f
1:	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	movl $bsp_stack_top, %esp
	pushl $0
	popfl
	pushl mb_entry_state + 4
	pushl mb_entry_state + 0
	call conf_main
2:	cli
	hlt
	jmp 2b

/* ---- interrupt stubs: 16 bytes each, stub n at isr_stubs + 16 * n ---- */
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushl $0			/* no error code from the CPU */
	.endif
	pushl $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushal
	cld
	pushl %esp
	call isr_dispatch
	addl $4, %esp
	popal
	addl $8, %esp			/* vector, error code */
	iretl

/* ---- AP trampoline: real mode at AP_BASE, copied there by smp.c ---- */
#define TRAMP(sym) (AP_BASE + (sym - ap_tramp_start))
	.code16
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	lgdtl TRAMP(ap_gdt_ptr)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE, $ap_entry32
	.balign 4
ap_gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt
ap_tramp_end:

	.code32
ap_entry32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	movl $1, %eax
	lock xaddl %eax, ap_stack_next
	incl %eax
	shll $12, %eax
	addl $ap_stacks, %eax
	movl %eax, %esp
	call ap_main
3:	cli
	hlt
	jmp 3b

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

	.globl mb_entry_state
	.balign 4
mb_entry_state:
	.fill 48, 1, 0
ap_stack_next:
	.long 0

	.bss
	.balign 4096
	.skip 16384
bsp_stack_top:
	.globl ap_stacks
ap_stacks:
	.skip 4096 * 16
	.section .note.GNU-stack, "", @progbits
