/*
 * Two vCPUs take turns at a spinlock in guest memory, ROUNDS times each:
 * the holder keeps it for a busy loop of HOLD steps (long enough that a
 * slice often ends inside it), the waiter spins on it with PAUSE. Sharing
 * one host CPU (-smp 1) a waiter whose holder was switched out can only
 * spin until its own slice ends, unless its PAUSEs exit and it yields the
 * CPU back to the holder (docs/scheduler.md, "Yielding on a PAUSE loop").
 * Each take of the lock by the other vCPU than the last counts as a hand
 * over; vCPU 0 checks that every round ran under the lock (the counter
 * the holders increment non-atomically inside it adds up) and that the
 * lock changed hands, then reports. The PAUSE exits are in the exit
 * counts printed when the VM ends.
 */
#include "payload.h"

#define NR_VCPUS 2
#define ROUNDS   1000
#define HOLD     50000

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
	jnz 5f
	PUTS32(msg_start)
5:	movl $ROUNDS, %edi
round:
	movl $1, %eax
1:	xchgl %eax, lock		/* take it... */
	testl %eax, %eax
	jz 3f
2:	pause				/* ...or spin until it looks free */
	cmpl $0, lock
	jne 2b
	movl $1, %eax
	jmp 1b
3:	cmpl %ebx, last_owner
	je 4f
	incl handovers
	movl %ebx, last_owner
4:	movl count, %esi		/* a read-modify-write only the lock guards */
	movl $HOLD, %ecx
6:	decl %ecx
	jnz 6b
	incl %esi
	movl %esi, count
	movl $0, lock			/* release (x86 keeps the stores in order) */
	movl $HOLD, %ecx
7:	decl %ecx			/* leave the other a chance to take it */
	jnz 7b
	decl %edi
	jnz round
	lock incl done
	testl %ebx, %ebx
	jz 8f
9:	hlt				/* vCPU 1: finished */
	jmp 9b

8:	pause				/* vCPU 0: until both have finished */
	cmpl $NR_VCPUS, done
	jne 8b
	cmpl $(NR_VCPUS * ROUNDS), count
	jne fail
	cmpl $2, handovers
	jb fail
	PUTS32(msg_pass)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail:
	PUTS32(msg_fail)
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

DEFINE_PUTS32
DEFINE_GDT

	.p2align 2
lock:       .long 0
last_owner: .long 0
handovers:  .long 0
count:      .long 0
done:       .long 0
msg_start: .asciz "pause_yield: 2 vCPUs taking a spinlock 1000 times each\n"
msg_pass:  .asciz "PASS pause_yield: every round under the lock, the lock handed over\n"
msg_fail:  .asciz "FAIL pause_yield: a round lost or the lock never changed hands\n"
