/*
 * Real mode -> protected mode -> long mode, then a page fault inside the
 * guest: the guest maps its first 16 MiB with 2 MiB pages, reads an
 * unmapped guest-virtual address, and its own #PF handler (64-bit IDT)
 * must run and step over the access. Nothing of this is the
 * hypervisor's business: the #PF is not intercepted.
 */
#include "payload.h"

#define PML4 0x20000
#define PDPT 0x21000
#define PD   0x22000
#define PTE_P_W  0x3
#define PTE_PS   0x80
#define CR4_PAE  0x20
#define EFER_MSR 0xc0000080
#define EFER_LME 0x100
#define UNMAPPED 0x40000000

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_real)
	PROTECTED_MODE(pm32)
	PUTS32(msg_prot)

	/* Page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD[0..7] = 2 MiB pages. */
	xorl %eax, %eax
	movl $PML4, %edi
	movl $(3 * 4096 / 4), %ecx
	rep stosl
	movl $(PDPT | PTE_P_W), PML4
	movl $(PD | PTE_P_W), PDPT
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P_W | PTE_PS), %eax
	movl %eax, PD(, %ecx, 8)
	incl %ecx
	cmpl $8, %ecx
	jb 1b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $PML4, %eax
	movl %eax, %cr3
	movl $EFER_MSR, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $lm64

	.code64
lm64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %ss
	movq $0x9000, %rsp
	movl $msg_long, %esi
	call puts64

	/* IDT entry 14 -> pf_handler. */
	movq $pf_handler, %rax
	movw %ax, idt + 14 * 16
	movw $SEL_CODE64, idt + 14 * 16 + 2
	movw $0x8e00, idt + 14 * 16 + 4
	shrq $16, %rax
	movw %ax, idt + 14 * 16 + 6
	lidt idt_desc

	movb $0, pf_seen
	movq $UNMAPPED, %rax
	movq (%rax), %rbx		/* 3 bytes: 48 8b 18 */
	cmpb $1, pf_seen
	jne fail64
	movq %cr2, %rax
	cmpq $UNMAPPED, %rax
	jne fail64
	movl $msg_pf, %esi
	call puts64
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail64:
	movl $msg_fail, %esi
	call puts64
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

pf_handler:
	movb $1, pf_seen
	addq $3, 8(%rsp)		/* over the error code to RIP */
	addq $8, %rsp			/* drop the error code */
	iretq

puts64:
	lodsb
	testb %al, %al
	jz 2f
	outb %al, $PORT_CONSOLE
	jmp puts64
2:	ret

	.code16
DEFINE_PUTS16
	.code32
DEFINE_PUTS32
DEFINE_GDT

	.p2align 4
idt:
	.fill 32 * 16, 1, 0
idt_end:
idt_desc:
	.word idt_end - idt - 1
	.quad idt
pf_seen:  .byte 0
msg_real: .asciz "long_mode_pf: real mode\n"
msg_prot: .asciz "PASS long_mode_pf: protected mode reached\n"
msg_long: .asciz "PASS long_mode_pf: long mode reached\n"
msg_pf:   .asciz "PASS long_mode_pf: guest page fault handled inside the guest\n"
msg_fail: .asciz "FAIL long_mode_pf: no page fault seen\n"
