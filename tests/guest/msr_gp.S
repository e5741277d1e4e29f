/*
 * WRMSR of values a CPU refuses must raise #GP inside the guest, change
 * nothing, and leave the VM running: a PAT entry with a reserved memory
 * type (2, and 8), EFER with a reserved bit (bit 1) or SVME (CPUID hides
 * SVM), and EFER.LME changed while paging is on. Valid writes are taken
 * and read back. Real mode first (#GP through IVT[13]), then protected
 * mode with 32-bit paging (one 4 MiB page) for the LME change (#GP through
 * the payload's IDT).
 */
#include "payload.h"

#define MSR_PAT    0x277
#define MSR_EFER   0xc0000080
#define EFER_SCE   0x1
#define EFER_BIT1  0x2		/* reserved */
#define EFER_LME   0x100
#define EFER_SVME  0x1000
#define PAT_GOOD_LO 0x00070106	/* WB WC UC- UC: entry 1 is WC */
#define PAT_GOOD_HI 0x00070406
#define PD         0x8000	/* page directory: one 4 MiB page at 0 */
#define PDE_4M     0x83		/* present, writable, 4 MiB */
#define CR4_PSE    0x10
#define CR0_PG     0x80000000

/*
 * WRMSR of EDX:EAX to ECX in real mode; sets got_gp if it faulted. step
 * names the write for the FAIL line.
 */
#define WRMSR16(name, msr, hi, lo)		\
	movw $name, step;			\
	movl $msr, %ecx;			\
	movl $hi, %edx;				\
	movl $lo, %eax;				\
	movb $0, got_gp;			\
	wrmsr

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw $gp_handler16, 13 * 4
	movw $0, 13 * 4 + 2
	PUTS16(msg_start)

	/* A valid PAT is taken and reads back. */
	WRMSR16(st_pat_ok, MSR_PAT, PAT_GOOD_HI, PAT_GOOD_LO)
	cmpb $0, got_gp
	jne fail16
	call pat_is_good
	PUTS16(msg_pat_ok)

	/* Entry 0 = 2 (reserved type), entry 7 = 8 (beyond the types). */
	WRMSR16(st_pat_2, MSR_PAT, PAT_GOOD_HI, 0x00070102)
	cmpb $1, got_gp
	jne fail16
	call pat_is_good
	PUTS16(msg_pat_gp2)
	WRMSR16(st_pat_8, MSR_PAT, 0x08070406, PAT_GOOD_LO)
	cmpb $1, got_gp
	jne fail16
	call pat_is_good
	PUTS16(msg_pat_gp8)

	/* EFER: SCE is taken and reads back; bit 1 and SVME raise #GP. */
	WRMSR16(st_efer_ok, MSR_EFER, 0, EFER_SCE)
	cmpb $0, got_gp
	jne fail16
	call efer_is_sce
	PUTS16(msg_efer_ok)
	WRMSR16(st_efer_1, MSR_EFER, 0, EFER_SCE | EFER_BIT1)
	cmpb $1, got_gp
	jne fail16
	call efer_is_sce
	PUTS16(msg_efer_gp1)
	WRMSR16(st_efer_svme, MSR_EFER, 0, EFER_SCE | EFER_SVME)
	cmpb $1, got_gp
	jne fail16
	call efer_is_sce
	PUTS16(msg_efer_svme)

	/* Paging on (32-bit, one 4 MiB page), then LME may not change. */
	xorw %ax, %ax
	movw %ax, %es
	movw $PD, %di
	xorl %eax, %eax
	movw $1024, %cx
	cld
	rep stosl
	movl $PDE_4M, PD
	PROTECTED_MODE(pm32)
	movl $0xff0, %esp
	lidt idt_desc
	movl %cr4, %eax
	orl $CR4_PSE, %eax
	movl %eax, %cr4
	movl $PD, %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $CR0_PG, %eax
	movl %eax, %cr0
	jmp 1f
1:	movl $MSR_EFER, %ecx
	xorl %edx, %edx
	movl $(EFER_SCE | EFER_LME), %eax
	movw $st_efer_lme, step
	movb $0, got_gp
	wrmsr
	cmpb $1, got_gp
	jne fail32
	rdmsr
	cmpl $EFER_SCE, %eax
	jne fail32
	PUTS32(msg_efer_lme)
	PUTS32(msg_running)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail32:
	PUTS32(msg_fail)
	movzwl step, %esi
	call puts32
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

/* #GP in protected mode: drop the error code, step over the 2-byte WRMSR. */
gp_handler32:
	movb $1, got_gp
	addl $4, %esp
	addl $2, (%esp)
	iret

	.code16
/* Checks that PAT still holds the valid value; else fails. */
pat_is_good:
	movl $MSR_PAT, %ecx
	rdmsr
	cmpl $PAT_GOOD_LO, %eax
	jne fail16
	cmpl $PAT_GOOD_HI, %edx
	jne fail16
	ret

/* Checks that EFER reads SCE alone; else fails. */
efer_is_sce:
	movl $MSR_EFER, %ecx
	rdmsr
	cmpl $EFER_SCE, %eax
	jne fail16
	testl %edx, %edx
	jne fail16
	ret

fail16:
	PUTS16(msg_fail)
	movw step, %si
	call puts16
	EXIT16(1)
	hlt

/* #GP in real mode: no error code; step over the 2-byte WRMSR. */
gp_handler16:
	movb $1, got_gp
	pushw %bp
	movw %sp, %bp
	addw $2, 2(%bp)
	popw %bp
	iret

DEFINE_PUTS16
	.code32
DEFINE_PUTS32
DEFINE_GDT

	.p2align 3
idt:
	.fill 13 * 8, 1, 0
	.word gp_handler32		/* vector 13: 32-bit interrupt gate */
	.word SEL_CODE32
	.word 0x8e00
	.word 0
idt_end:
idt_desc:
	.word idt_end - idt - 1
	.long idt

got_gp:        .byte 0
	.p2align 1
step:          .word 0
msg_start:     .asciz "msr_gp: start\n"
msg_pat_ok:    .asciz "PASS msr_gp: valid PAT taken and read back\n"
msg_pat_gp2:   .asciz "PASS msr_gp: PAT with memory type 2 raised #GP, PAT unchanged\n"
msg_pat_gp8:   .asciz "PASS msr_gp: PAT with memory type 8 raised #GP, PAT unchanged\n"
msg_efer_ok:   .asciz "PASS msr_gp: EFER.SCE taken and read back\n"
msg_efer_gp1:  .asciz "PASS msr_gp: EFER reserved bit 1 raised #GP, EFER unchanged\n"
msg_efer_svme: .asciz "PASS msr_gp: EFER.SVME raised #GP, EFER unchanged\n"
msg_efer_lme:  .asciz "PASS msr_gp: EFER.LME change with paging on raised #GP, EFER unchanged\n"
msg_running:   .asciz "PASS msr_gp: the VM still runs\n"
msg_fail:      .asciz "FAIL msr_gp: "
st_pat_ok:     .asciz "valid PAT refused or not read back\n"
st_pat_2:      .asciz "PAT with memory type 2 taken or PAT changed\n"
st_pat_8:      .asciz "PAT with memory type 8 taken or PAT changed\n"
st_efer_ok:    .asciz "EFER.SCE refused or not read back\n"
st_efer_1:     .asciz "EFER reserved bit 1 taken or EFER changed\n"
st_efer_svme:  .asciz "EFER.SVME taken or EFER changed\n"
st_efer_lme:   .asciz "EFER.LME change with paging on taken or EFER changed\n"
