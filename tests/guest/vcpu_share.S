/*
 * Three vCPUs pass a token around a ring through guest memory, 20 times
 * round: vCPU k takes its turn when the count modulo 3 is k, and waits
 * for it in a PAUSE loop. With fewer host CPUs than vCPUs this only moves
 * on if the scheduler takes the CPU from a spinning vCPU when its slice
 * ends (the host timer forces the exit) or its PAUSE exits and it yields
 * (AMD-V; docs/scheduler.md), and gives it to another; with a CPU each it
 * is a plain ring.
 * The vCPUs run with IF set (nothing is ever injected): Bochs's VT-x
 * forces no exit for a host interrupt while the guest has IF clear.
 * vCPU 0 reports.
 */
#include "payload.h"

#define NR_VCPUS 3
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
	sti
	testl %ebx, %ebx
	jnz other

	PUTS32(msg_start)
	movl $ROUNDS, %edi
1:	lock incl token			/* vCPU 1's turn */
2:	pause
	call turn
	testl %edx, %edx
	jnz 2b
	decl %edi
	jnz 1b
	cmpl $(NR_VCPUS * ROUNDS), token
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

other:					/* vCPU k: on the count k modulo 3 */
	call turn
	cmpl %ebx, %edx
	jne 3f
	lock incl token
3:	pause
	jmp other

/* EDX = whose turn it is (the count modulo NR_VCPUS); clobbers EAX, ECX. */
turn:
	movl token, %eax
	xorl %edx, %edx
	movl $NR_VCPUS, %ecx
	divl %ecx
	ret

DEFINE_PUTS32
DEFINE_GDT

	.p2align 2
token:     .long 0
msg_start: .asciz "vcpu_share: 3 vCPUs passing a token around 20 times\n"
msg_pass:  .asciz "PASS vcpu_share: every round came back\n"
msg_fail:  .asciz "FAIL vcpu_share: the token count is wrong\n"
