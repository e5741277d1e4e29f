/*
 * MSRs from real mode: an emulated one (IA32_APIC_BASE reads as the BSP
 * at 0xfee00000), a filtered one (IA32_MISC_ENABLE writes are accepted
 * and ignored) and an unknown one, which must raise #GP in the guest
 * (handled through IVT[13]).
 */
#include "payload.h"

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_start)

	movl $0x1b, %ecx		/* IA32_APIC_BASE */
	rdmsr
	andl $0xfffff900, %eax
	cmpl $0xfee00900, %eax		/* base, enable, BSP */
	jne fail
	PUTS16(msg_apic)

	movl $0x1a0, %ecx		/* IA32_MISC_ENABLE */
	rdmsr
	wrmsr
	PUTS16(msg_filtered)

	movw $gp_handler, 13 * 4
	movw $0, 13 * 4 + 2
	movb $0, got_gp
	movl $0xc0010999, %ecx		/* no such MSR */
	rdmsr
	cmpb $1, got_gp
	jne fail
	PUTS16(msg_gp)
	EXIT16(0)
	hlt

fail:
	PUTS16(msg_fail)
	EXIT16(1)
	hlt

/* #GP in real mode: no error code; step over the 2-byte RDMSR. */
gp_handler:
	movb $1, got_gp
	pushw %bp
	movw %sp, %bp
	addw $2, 2(%bp)
	popw %bp
	iret

DEFINE_PUTS16

got_gp:       .byte 0
msg_start:    .asciz "msr_policy: start\n"
msg_apic:     .asciz "PASS msr_policy: IA32_APIC_BASE emulated\n"
msg_filtered: .asciz "PASS msr_policy: IA32_MISC_ENABLE write filtered\n"
msg_gp:       .asciz "PASS msr_policy: unknown MSR raised #GP in the guest\n"
msg_fail:     .asciz "FAIL msr_policy: unexpected result\n"
