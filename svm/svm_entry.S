/*
 * svm_vmrun(struct guest_regs *regs, paddr_t vmcb_pa, paddr_t host_save_pa)
 *
 * One world switch into an AMD-V guest and back (AMD64 APM vol. 2, 15.5
 * "VMRUN", 15.6 "#VMEXIT", 15.17 "Global Interrupt Flag"). Runs on the
 * vCPU's own thread, interrupts disabled, with EFER.SVME set and
 * VM_HSAVE_PA pointing at this CPU's host save area (svm_cpu_enable()).
 *
 *  - GIF is cleared first: no interrupt, NMI or SMI is taken from here
 *    until STGI at the end, when the host's FS/GS/TR are back. The host's
 *    GS base is its per-CPU pointer (%gs:0), which the guest's VMLOAD
 *    replaces: nothing may run on the guest's GS base.
 *  - VMSAVE stores the host's FS, GS, TR, LDTR (hidden parts included),
 *    KERNEL_GS_BASE, STAR/LSTAR/CSTAR/SFMASK and SYSENTER_* to
 *    host_save_pa; VMLOAD loads the guest's from the VMCB. VMRUN itself
 *    saves and #VMEXIT restores the rest of the host state (CR0/3/4,
 *    EFER, RFLAGS, RIP, RSP, RAX, CS/SS/DS/ES, GDTR, IDTR) through the
 *    VM_HSAVE_PA area.
 *  - STI right before VMRUN: with V_INTR_MASKING the host's RFLAGS.IF at
 *    VMRUN decides whether physical interrupts exit the guest; GIF=0
 *    keeps them from being taken here. After #VMEXIT (GIF=0 again) CLI
 *    restores the caller's interrupts-off state before STGI, so a
 *    pending interrupt waits for the caller's irq_enable() while a
 *    pending NMI is taken at STGI, on host state.
 *  - Guest RAX and RSP live in the VMCB (loaded by the C caller); the
 *    other fourteen general registers are loaded from regs here and
 *    stored back after #VMEXIT. #VMEXIT restores the host's RAX (the VMCB
 *    address) and RSP, so everything else is found on the stack.
 *
 * Callee-saved registers are preserved; the rest are clobbered.
 */
#include "svm/svm.h"

	.section .text
	.code64

	.globl svm_vmrun
	.hidden svm_vmrun
	.type svm_vmrun, @function
	.p2align 4
svm_vmrun:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	/* Frame for after #VMEXIT: 0(%rsp) vmcb_pa, 8 host_save_pa, 16 regs. */
	pushq %rdi
	pushq %rdx
	pushq %rsi

	clgi

	movq %rdx, %rax
	vmsave %rax			/* host FS/GS/TR/LDTR/KGS/SYSCALL MSRs */
	movq %rsi, %rax
	vmload %rax			/* the guest's */

	guest_regs_load %rdi
	movq GUEST_REGS_RDI(%rdi), %rdi

	sti				/* GIF=0: nothing is taken here */
	vmrun %rax
	cli

	/* RAX = vmcb_pa and RSP restored; the rest hold guest values. */
	pushq %rdi
	movq 24(%rsp), %rdi		/* regs */
	guest_regs_store %rdi
	popq GUEST_REGS_RDI(%rdi)

	popq %rax			/* vmcb_pa */
	vmsave %rax			/* the guest's FS/GS/TR/... into its VMCB */
	popq %rax			/* host_save_pa */
	vmload %rax			/* the host's: GS base is the per-CPU pointer again */
	addq $8, %rsp			/* regs */

	stgi

	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size svm_vmrun, . - svm_vmrun

	.section .note.GNU-stack, "", @progbits
