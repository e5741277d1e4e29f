/*
 * Two vCPUs pass a token back and forth through guest memory, 20 times,
 * each waiting for the other in a PAUSE loop that never exits on its own
 * account. With both vCPUs on one host CPU this only moves on if the
 * scheduler takes the CPU from the spinning vCPU when its slice ends (the
 * host timer forces the exit) and gives it to the other; with a CPU each
 * it is a plain ping-pong. vCPU 0 reports.
 */
#include "payload.h"

#define NR_VCPUS 2
#define ROUNDS   20

PAYLOAD_HEADER(NR_VCPUS, 16)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %si, %bx			/* vCPU index, kept in EBX */
	PROTECTED_MODE(pm32)
	movzwl %bx, %ebx
	movl $0x8000, %esp
	movl %ebx, %eax
	shll $8, %eax
	subl %eax, %esp			/* a stack per vCPU */
	testl %ebx, %ebx
	jnz other

	PUTS32(msg_start)
	movl $ROUNDS, %ecx
1:	lock incl token			/* odd: vCPU 1's turn */
2:	pause
	testl $1, token
	jnz 2b
	decl %ecx
	jnz 1b
	cmpl $(2 * ROUNDS), token
	jne fail
	PUTS32(msg_pass)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail:
	PUTS32(msg_fail)
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

other:					/* even: vCPU 0's turn */
	testl $1, token
	jz 3f
	lock incl token
3:	pause
	jmp other

DEFINE_PUTS32
DEFINE_GDT

	.p2align 2
token:     .long 0
msg_start: .asciz "vcpu_share: 2 vCPUs passing a token 20 times\n"
msg_pass:  .asciz "PASS vcpu_share: every round came back\n"
msg_fail:  .asciz "FAIL vcpu_share: the token count is wrong\n"
