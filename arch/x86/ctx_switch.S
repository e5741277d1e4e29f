/*
 * void platform_ctx_switch(void **save_sp, void *load_sp)
 *
 * The switch between two hypervisor threads (core/sched.c). Runs on the
 * thread that leaves, interrupts off, its run queue's lock held. Saves
 * the System V callee-saved registers on the leaving thread's stack and
 * its stack pointer at *save_sp, loads load_sp and pops the same frame of
 * the thread switched to, whose return address resumes it: inside its
 * own platform_ctx_switch() call, or at the entry that
 * platform_ctx_init() put there for a thread's first run.
 *
 * Nothing else is switched: no FPU, SSE or AVX register (the hypervisor
 * uses none; a guest's stay with the backend's put and load), no segment
 * base (GS is per CPU, not per thread), RFLAGS neither (interrupts are
 * off on both sides; the thread switched to restores its own state when
 * it drops the lock).
 */
	.section .text
	.code64

	.globl platform_ctx_switch
	.hidden platform_ctx_switch
	.type platform_ctx_switch, @function
	.p2align 4
platform_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size platform_ctx_switch, . - platform_ctx_switch

	.section .note.GNU-stack, "", @progbits
