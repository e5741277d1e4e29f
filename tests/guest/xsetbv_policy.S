/*
 * XSETBV as the hypervisor checks it (core/vcpu_exit.c): a vCPU starts
 * with XCR0 = 1; XSETBV takes only what the CPU itself would take among
 * the components CPUID 0xD offers, and #GP(0) for everything else; CPUID
 * 1 OSXSAVE follows CR4.OSXSAVE, and 0xD.0 EBX the XCR0 in force. Real
 * mode; the #GP handler (IVT[13]) notes the fault and steps over the
 * 3-byte XSETBV. Needs a CPU with XSAVE.
 *
 * Each line of the table: ECX, EDX, EAX, then 0 (taken) or 1 (#GP). A
 * taken value is read back with XGETBV and must give 0xD.0 EBX its size:
 * 576 for x87/SSE, 832 with AVX, 0xD.0 ECX (all offered) with AVX-512.
 * Lines whose components are not all offered expect #GP whatever they
 * say (the check takes EDX:EAX & ~offered != 0 as a #GP case).
 */
#include "payload.h"

#define CR4_OSXSAVE 0x40000
#define GP_VECTOR   13

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x1000, %sp
	movw $gp_handler, GP_VECTOR * 4
	movw $0, GP_VECTOR * 4 + 2
	PUTS16(msg_start)

	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $(1 << 26), %ecx
	jnz 1f
	PUTS16(msg_no_xsave)
	jmp fail
1:	testl $(1 << 27), %ecx
	jz 1f
	PUTS16(msg_osxsave_early)
	jmp fail
1:	movl %cr4, %eax
	orl $CR4_OSXSAVE, %eax
	movl %eax, %cr4
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $(1 << 27), %ecx
	jnz 1f
	PUTS16(msg_osxsave_late)
	jmp fail
1:	PUTS16(msg_osxsave)

	/* XCR0 = 1 at the start; 0xD.0: offered in EDX:EAX, sizes. */
	xorl %ecx, %ecx
	xgetbv
	cmpl $1, %eax
	jne bad_reset
	testl %edx, %edx
	jne bad_reset
	movl $0xd, %eax
	xorl %ecx, %ecx
	cpuid
	movl %eax, offered
	movl %edx, offered + 4
	movl %ecx, size_all
	PUTS16(msg_offered)
	movl offered, %eax
	call puthex
	PUTS16(msg_size1)
	movl %ebx, %eax
	call puthex
	PUTS16(msg_size_all)
	movl size_all, %eax
	call puthex
	PUTS16(msg_nl)
	cmpl $576, %ebx
	jne bad_size

	movw $table, %bx
next:
	cmpw $table_end, %bx
	je done
	movl 8(%bx), %eax
	movl 4(%bx), %edx
	/* Expect #GP where any bit is not offered. */
	movl 12(%bx), %edi
	movl offered, %esi
	notl %esi
	testl %esi, %eax
	jz 1f
	movl $1, %edi
1:	movl offered + 4, %esi
	notl %esi
	testl %esi, %edx
	jz 1f
	movl $1, %edi
1:	movl 0(%bx), %ecx
	movb $0, faulted
	xsetbv				/* 0f 01 d1 */
	PUTS16(msg_try)
	movl 0(%bx), %eax
	call puthex
	movb $' ', %al
	outb %al, $PORT_CONSOLE
	movl 4(%bx), %eax
	call puthex
	movl 8(%bx), %eax
	call puthex
	movzbl faulted, %eax
	cmpl %eax, %edi
	je 2f
	testl %edi, %edi
	jz 1f
	PUTS16(msg_want_gp)
	jmp fail
1:	PUTS16(msg_want_ok)
	jmp fail
2:	testl %edi, %edi
	jz taken
	PUTS16(msg_gp)
	addw $16, %bx
	jmp next

taken:
	PUTS16(msg_ok)
	xorl %ecx, %ecx
	xgetbv
	cmpl 8(%bx), %eax
	jne bad_readback
	cmpl 4(%bx), %edx
	jne bad_readback
	/* 0xD.0 EBX: the size for the XCR0 now in force. */
	movl $576, %edi
	testl $4, 8(%bx)
	jz 1f
	movl $832, %edi
1:	testl $0xe0, 8(%bx)
	jz 1f
	movl size_all, %edi
1:	pushw %bx
	movl $0xd, %eax
	xorl %ecx, %ecx
	cpuid
	movl %ebx, size_now
	popw %bx
	PUTS16(msg_size_now)		/* PUTS16 clobbers AL */
	movl size_now, %eax
	call puthex
	PUTS16(msg_nl)
	cmpl %edi, size_now
	jne bad_size
	addw $16, %bx
	jmp next

done:
	PUTS16(msg_pass)
	EXIT16(0)
	hlt

bad_reset:
	PUTS16(msg_bad_reset)
	jmp fail
bad_readback:
	PUTS16(msg_bad_readback)
	jmp fail
bad_size:
	PUTS16(msg_bad_size)
fail:
	EXIT16(1)
	hlt

/* #GP in real mode: no error code pushed; step over XSETBV. */
gp_handler:
	movb $1, faulted
	pushw %bp
	movw %sp, %bp
	addw $3, 2(%bp)
	popw %bp
	iret

/* EAX in 8 hex digits; keeps every register. */
puthex:
	pushal
	movw $8, %cx
1:	roll $4, %eax
	movl %eax, %ebx
	andw $0xf, %bx
	pushl %eax
	movb hexdigits(%bx), %al
	outb %al, $PORT_CONSOLE
	popl %eax
	loop 1b
	popal
	ret

DEFINE_PUTS16

	.p2align 2
table:
	.long 0, 0, 0x000, 1		/* x87 clear */
	.long 0, 0, 0x002, 1		/* SSE alone, x87 clear */
	.long 0, 0, 0x005, 1		/* AVX without SSE */
	.long 1, 0, 0x001, 1		/* XCR1: not there */
	.long 0, 1, 0x007, 1		/* bit 32 */
	.long 0, 0, 0x207, 1		/* PKRU: never offered */
	.long 0, 0, 0x01f, 1		/* MPX: never offered */
	.long 0, 0, 0x027, 1		/* AVX-512 opmask alone */
	.long 0, 0, 0x0e3, 1		/* AVX-512 without AVX */
	.long 0, 0, 0x003, 0
	.long 0, 0, 0x007, 0
	.long 0, 0, 0x0e7, 0		/* #GP where AVX-512 is not offered */
	.long 0, 0, 0x0e5, 1		/* AVX-512 without SSE */
	.long 0, 0, 0x001, 0
table_end:

offered:  .long 0, 0
size_all: .long 0
size_now: .long 0
faulted:  .byte 0
hexdigits:         .ascii "0123456789abcdef"
msg_start:         .asciz "xsetbv_policy: start\n"
msg_no_xsave:      .asciz "FAIL xsetbv_policy: CPUID 1 offers no XSAVE\n"
msg_osxsave_early: .asciz "FAIL xsetbv_policy: CPUID 1 OSXSAVE set with CR4.OSXSAVE clear\n"
msg_osxsave_late:  .asciz "FAIL xsetbv_policy: CPUID 1 OSXSAVE clear with CR4.OSXSAVE set\n"
msg_osxsave:       .asciz "PASS xsetbv_policy: CPUID 1 OSXSAVE follows CR4.OSXSAVE\n"
msg_offered:       .asciz "xsetbv_policy: offered "
msg_size1:         .asciz " size(XCR0=1) "
msg_size_all:      .asciz " size(all) "
msg_nl:            .asciz "\n"
msg_try:           .asciz "xsetbv_policy: xsetbv "
msg_gp:            .asciz ": #GP\n"
msg_ok:            .asciz ": taken"
msg_size_now:      .asciz ", 0xD.0 EBX "
msg_want_gp:       .asciz ": FAIL xsetbv_policy: taken, #GP expected\n"
msg_want_ok:       .asciz ": FAIL xsetbv_policy: #GP, expected taken\n"
msg_bad_reset:     .asciz "FAIL xsetbv_policy: XCR0 at start is not 1\n"
msg_bad_readback:  .asciz "FAIL xsetbv_policy: XGETBV does not read the value taken\n"
msg_bad_size:      .asciz "FAIL xsetbv_policy: 0xD.0 EBX is not the size for XCR0\n"
msg_pass:          .asciz "PASS xsetbv_policy: every XSETBV taken or refused as the CPU would\n"
