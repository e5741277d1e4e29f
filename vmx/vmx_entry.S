/*
 * int vmx_vmenter(struct guest_regs *regs, int launched)
 *
 * One world switch into a VT-x guest and back (Intel SDM vol. 3C, 26
 * "VM Entries", 27 "VM Exits"). Runs on the vCPU's own thread, interrupts
 * disabled, with the vCPU's VMCS current on this CPU (vmx_run()).
 *
 *  - The guest's RSP, RIP and RFLAGS are in the VMCS (written by the C
 *    caller); the other fifteen general registers are loaded from regs
 *    here and stored back at the exit. regs is struct backend_vcpu's
 *    first member, as with svm_entry.S.
 *  - HOST_RSP is written with the stack pointer at the moment of entry,
 *    below the pushed callee-saved registers and the regs pointer; a VM
 *    exit resumes at vmx_exit_point (HOST_RIP, set once per VMCS) with
 *    that stack, and everything else is found there. The rest of the
 *    host state (CR0/3/4, segments, GDTR/IDTR bases, EFER, PAT, FS/GS
 *    base) comes from the VMCS host fields, which vmx_vcpu_load() and
 *    vmx_run() keep right for this CPU.
 *  - VMLAUNCH or VMRESUME failing (VMfailInvalid: CF, VMfailValid: ZF)
 *    falls through: the guest never ran, regs are unchanged in memory,
 *    and 1 is returned; the caller reads the VM-instruction error.
 *  - A VM exit leaves RFLAGS = 2 (interrupts off, as they were) and the
 *    host's debug state reset; nothing here re-enables interrupts.
 *
 * Callee-saved registers are preserved; the rest are clobbered.
 */
#include "vmx/vmx.h"

	.section .text
	.code64

	.globl vmx_vmenter
	.hidden vmx_vmenter
	.type vmx_vmenter, @function
	.p2align 4
vmx_vmenter:
	pushq %rbp
	movq %rsp, %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* 0(%rsp): regs, for after the exit */

	movl $VMCS_HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe .Lfail_early

	testl %esi, %esi		/* the flags survive the loads below */

	movq GUEST_REGS_RAX(%rdi), %rax
	guest_regs_load %rdi
	movq GUEST_REGS_RDI(%rdi), %rdi

	jz .Llaunch
	vmresume
	jmp .Lfail
.Llaunch:
	vmlaunch
.Lfail:
	/* The guest never ran; its registers are still in regs. */
.Lfail_early:
	addq $8, %rsp
	movl $1, %eax
	jmp .Lout

	.globl vmx_exit_point
	.hidden vmx_exit_point
vmx_exit_point:
	/* RSP is HOST_RSP again; every GPR but RSP holds a guest value. */
	pushq %rdi
	movq 8(%rsp), %rdi		/* regs */
	movq %rax, GUEST_REGS_RAX(%rdi)
	guest_regs_store %rdi
	popq GUEST_REGS_RDI(%rdi)
	addq $8, %rsp			/* regs */
	xorl %eax, %eax
.Lout:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size vmx_vmenter, . - vmx_vmenter

	.section .note.GNU-stack, "", @progbits
