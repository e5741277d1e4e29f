/*
 * Four vCPUs at once, one per host CPU, each in 32-bit protected mode
 * writing every 4 KiB page of its own 2 MiB of guest RAM: the nested
 * page faults of all vCPUs are taken in parallel (the TDP MMU's read-mode
 * path). vCPU 0 waits for all four, checks every page holds what its
 * writer stored, and reports.
 */
#include "payload.h"

#define NR_VCPUS   4
#define REGION     0x200000		/* vCPU i writes [REGION*(i+1), +REGION) */
#define PAGE       0x1000

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

	/* Fill: every page of the region gets (vCPU << 24 | page index). */
	leal 1(%ebx), %edi
	shll $21, %edi
	xorl %ecx, %ecx
1:	movl %ebx, %eax
	shll $24, %eax
	orl %ecx, %eax
	movl %eax, (%edi)
	addl $PAGE, %edi
	incl %ecx
	cmpl $(REGION / PAGE), %ecx
	jb 1b

	lock incl done
	testl %ebx, %ebx
	jnz park

	PUTS32(msg_wait)
2:	pause
	cmpl $NR_VCPUS, done
	jne 2b

	/* Check everyone's pages. */
	xorl %edx, %edx			/* vCPU */
3:	leal 1(%edx), %edi
	shll $21, %edi
	xorl %ecx, %ecx
4:	movl %edx, %eax
	shll $24, %eax
	orl %ecx, %eax
	cmpl %eax, (%edi)
	jne fail
	addl $PAGE, %edi
	incl %ecx
	cmpl $(REGION / PAGE), %ecx
	jb 4b
	incl %edx
	cmpl $NR_VCPUS, %edx
	jb 3b

	PUTS32(msg_pass)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail:
	PUTS32(msg_fail)
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

park:					/* the VM's end stops this vCPU */
	hlt
	jmp park

DEFINE_PUTS32
DEFINE_GDT

	.p2align 2
done:     .long 0
msg_wait: .asciz "smp_parallel_faults: 4 vCPUs writing 8 MiB in parallel\n"
msg_pass: .asciz "PASS smp_parallel_faults: every page of every vCPU intact\n"
msg_fail: .asciz "FAIL smp_parallel_faults: a page lost its contents\n"
