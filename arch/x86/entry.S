/*
 * Interrupt and exception entry stubs. Every vector gets a stub that pushes
 * a zero error code where the CPU does not, then its vector number, and
 * jumps to the common path which saves the general registers in the
 * layout of struct trap_frame (asm/desc.h) and calls trap_dispatch().
 * Runs on the interrupted stack, or on an IST stack for NMI, #DF and #MC.
 */
	.section .text
	.code64

/* Vectors for which the CPU pushes an error code: 8 10-14 17 21 29 30. */
#define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
			(v) == 21 || (v) == 29 || (v) == 30)

	.macro vector_stub v
	.p2align 4
vector_stub_\v:
	.if !(\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
	pushq $0
	.endif
	pushq $\v
	jmp trap_common
	.endm

	.p2align 4
trap_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* A frame pointer chain that the backtrace can walk through. */
	movq 18*8(%rsp), %rax		/* interrupted RIP */
	pushq %rax
	pushq %rbp
	movq %rsp, %rbp
	leaq 16(%rsp), %rdi
	call trap_dispatch
	addq $16, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq

	.altmacro
	.macro all_stubs from, to
	vector_stub \from
	.if \to-\from
	all_stubs %(\from+1), \to
	.endif
	.endm

	all_stubs 0, 63
	all_stubs 64, 127
	all_stubs 128, 191
	all_stubs 192, 255

	.macro stub_ref v
	.quad vector_stub_\v
	.endm
	.macro all_refs from, to
	stub_ref \from
	.if \to-\from
	all_refs %(\from+1), \to
	.endif
	.endm

	.section .data
	.p2align 3
	.globl vector_stubs
	.hidden vector_stubs
vector_stubs:
	all_refs 0, 63
	all_refs 64, 127
	all_refs 128, 191
	all_refs 192, 255

	.section .note.GNU-stack, "", @progbits
