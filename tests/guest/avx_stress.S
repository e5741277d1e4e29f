/*
 * AVX registers under load: every vCPU enables AVX (XCR0 = 7) and keeps
 * a pattern of its own in YMM0-YMM5 while a tight loop of 256-bit
 * operations runs on YMM6-YMM7; every CHECK_EVERY iterations it compares
 * YMM0-YMM5 with its pattern in memory and makes an I/O exit (port
 * 0x80). A register that holds anything else (another vCPU's pattern, or
 * zeros) is a failure: the first vCPU to see one records the register
 * and the low dword of its difference from the pattern. vCPU 0 waits for all and reports.
 *
 * NR_VCPUS and ITERATIONS are the knobs, defined before this file is
 * included to override them (avx_stress_share3.S, avx_stress_share4.S:
 * more vCPUs than the scenario's CPUs, so that they take turns on one
 * CPU and their registers go through the backend's vcpu_put and
 * vcpu_load). vCPU 0's wait for the others makes an exit every round:
 * a vCPU that spins with IF clear and never exits could keep a shared
 * CPU from the vCPUs it waits for (docs/scheduler.md, "Not done").
 */
#include "payload.h"

#ifndef NR_VCPUS
#define NR_VCPUS    2
#endif
#ifndef ITERATIONS
#define ITERATIONS  (64 * 4096)	/* per vCPU */
#endif
#define CHECK_EVERY 4096
#define PATTERNS    0x10000	/* vCPU i's pattern at PATTERNS + i * 256 */
#define SCRATCH     192		/* and 32 bytes of its own after the pattern */
#define CR4_OSFXSR  0x200
#define CR4_OSXSAVE 0x40000

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

	movl $1, %eax
	pushl %ebx
	xorl %ecx, %ecx
	cpuid
	popl %ebx
	andl $((1 << 26) | (1 << 28)), %ecx	/* XSAVE, AVX */
	cmpl $((1 << 26) | (1 << 28)), %ecx
	je 1f
	testl %ebx, %ebx
	jnz park
	PUTS32(msg_no_avx)
	jmp fail
1:	movl %cr4, %eax
	orl $(CR4_OSFXSR | CR4_OSXSAVE), %eax
	movl %eax, %cr4
	xorl %ecx, %ecx
	xorl %edx, %edx
	movl $7, %eax
	xsetbv

	/* The pattern: dword j of YMMr is (vCPU + 1) * 0x01010101 ^ (r << 12 | j << 4). */
	movl %ebx, %edi
	shll $8, %edi
	addl $PATTERNS, %edi
	leal 1(%ebx), %eax
	imull $0x01010101, %eax, %eax
	xorl %ecx, %ecx
2:	movl %ecx, %edx
	shll $4, %edx			/* (r * 8 + j) << 4: r << 7 | j << 4 */
	xorl %eax, %edx
	movl %edx, (%edi, %ecx, 4)
	incl %ecx
	cmpl $48, %ecx
	jb 2b
	vmovdqu 0(%edi), %ymm0
	vmovdqu 32(%edi), %ymm1
	vmovdqu 64(%edi), %ymm2
	vmovdqu 96(%edi), %ymm3
	vmovdqu 128(%edi), %ymm4
	vmovdqu 160(%edi), %ymm5
	vmovdqu 0(%edi), %ymm6
	vxorps %ymm7, %ymm7, %ymm7

	movl $(ITERATIONS / CHECK_EVERY), %esi
outer:
	movl $CHECK_EVERY, %ecx
inner:
	vxorps %ymm1, %ymm6, %ymm6
	vaddps %ymm2, %ymm7, %ymm7
	vxorps %ymm1, %ymm6, %ymm6
	vandps %ymm3, %ymm7, %ymm7
	vorps %ymm4, %ymm7, %ymm7
	vxorps %ymm5, %ymm6, %ymm6
	vxorps %ymm5, %ymm6, %ymm6
	decl %ecx
	jnz inner
	outb %al, $0x80			/* an exit: the run loop between two checks */
	/* YMM0-YMM5 against the pattern, YMM6 (xor'ed twice with each) too. */
	xorl %edx, %edx
	vxorps 0(%edi), %ymm0, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 32(%edi), %ymm1, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 64(%edi), %ymm2, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 96(%edi), %ymm3, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 128(%edi), %ymm4, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 160(%edi), %ymm5, %ymm7
	call ymm7_nonzero
	jnz foreign
	incl %edx
	vxorps 0(%edi), %ymm6, %ymm7
	call ymm7_nonzero
	jnz foreign
	decl %esi
	jnz outer
	jmp finished

/* YMM(EDX) is not this vCPU's: note the first such register, go on to the end. */
foreign:
	lock incl failures
	movl $-1, %eax
	lock cmpxchgl %ebx, bad_vcpu	/* the first to fail records */
	jne finished
	movl %edx, bad_reg
	vmovd %xmm7, %eax		/* low dword of register ^ pattern */
	movl %eax, bad_value

finished:
	lock incl done
	testl %ebx, %ebx
	jnz park
2:	pause
	outb %al, $0x80			/* an exit: a safe point to switch at */
	cmpl $NR_VCPUS, done
	jne 2b
	cmpl $0, failures
	jne report_fail
	PUTS32(msg_pass)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

report_fail:
	PUTS32(msg_fail)
	movl bad_vcpu, %eax
	call puthex32
	PUTS32(msg_fail_reg)
	movl bad_reg, %eax
	call puthex32
	PUTS32(msg_fail_val)
	movl bad_value, %eax
	call puthex32
	PUTS32(msg_nl)
fail:
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

park:					/* the VM's end stops this vCPU */
	hlt
	jmp park

/* ZF clear if any bit of YMM7 is set (through memory: QEMU 7.2 TCG's VPTEST raises #UD). */
ymm7_nonzero:
	vmovdqu %ymm7, SCRATCH(%edi)
	movl SCRATCH(%edi), %eax
	orl SCRATCH + 4(%edi), %eax
	orl SCRATCH + 8(%edi), %eax
	orl SCRATCH + 12(%edi), %eax
	orl SCRATCH + 16(%edi), %eax
	orl SCRATCH + 20(%edi), %eax
	orl SCRATCH + 24(%edi), %eax
	orl SCRATCH + 28(%edi), %eax
	ret

/* EAX in 8 hex digits. */
puthex32:
	pushl %ecx
	pushl %ebx
	movl $8, %ecx
1:	roll $4, %eax
	movl %eax, %ebx
	andl $0xf, %ebx
	pushl %eax
	movb hexdigits(%ebx), %al
	outb %al, $PORT_CONSOLE
	popl %eax
	loop 1b
	popl %ebx
	popl %ecx
	ret

DEFINE_PUTS32
DEFINE_GDT

	.p2align 2
done:      .long 0
failures:  .long 0
bad_vcpu:  .long -1
bad_reg:   .long 0
bad_value: .long 0
hexdigits: .ascii "0123456789abcdef"
msg_no_avx:   .asciz "FAIL avx_stress: CPUID offers no XSAVE or no AVX\n"
msg_pass:     .asciz "PASS avx_stress: every vCPU's YMM0-YMM6 held its own pattern throughout\n"
msg_fail:     .asciz "FAIL avx_stress: foreign value in vCPU "
msg_fail_reg: .asciz " YMM"
msg_fail_val: .asciz " low dword xor its pattern "
msg_nl:       .asciz "\n"
