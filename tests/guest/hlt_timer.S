/*
 * HLT with a timer wake-up: the guest arms the hypervisor's one-shot test
 * timer (VMMCALL HC_TIMER_ONESHOT, 2 ms, vector 0x40), enables
 * interrupts and halts; the timer's interrupt must wake it and run the
 * real-mode handler at IVT[0x40].
 */
#include "payload.h"

#define TIMER_VECTOR 0x40

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	PUTS16(msg_start)
	movw $timer_isr, TIMER_VECTOR * 4
	movw $0, TIMER_VECTOR * 4 + 2
	movb $0, fired

	movl $HC_TIMER_ONESHOT, %eax
	movl $2000, %ebx		/* µs */
	movl $TIMER_VECTOR, %ecx
	vmmcall
	testl %eax, %eax
	jnz fail

	sti
1:	hlt
	cmpb $0, fired
	je 1b
	cli
	PUTS16(msg_pass)
	EXIT16(0)
	hlt

fail:
	PUTS16(msg_fail)
	EXIT16(1)
	hlt

timer_isr:
	movb $1, fired
	iret

DEFINE_PUTS16

fired:     .byte 0
msg_start: .asciz "hlt_timer: arming a 2 ms one-shot timer, then HLT\n"
msg_pass:  .asciz "PASS hlt_timer: woken from HLT by the timer interrupt\n"
msg_fail:  .asciz "FAIL hlt_timer: the timer hypercall failed\n"
