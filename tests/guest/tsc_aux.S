/*
 * IA32_TSC_AUX is the vCPU's own (core/guest_xstate.h): it reads 0 at
 * the start, WRMSR sets it and RDMSR reads it back, bits 63:32 are
 * reserved (#GP), and RDTSCP (ECX) and RDPID read the guest's value, not
 * the host's. CPUID must offer what runs: an instruction it does not
 * offer must raise #UD (RDPID on a CPU without it; under AMD-V, which
 * cannot intercept RDPID, only a CPU without RDPID faults). Real mode;
 * the #UD (IVT[6]) and #GP (IVT[13]) handlers note the fault and step
 * over the instruction.
 */
#include "payload.h"

#define MSR_TSC_AUX 0xc0000103
#define AUX_VALUE   0x5a5a1234

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x1000, %sp
	movw $fault_handler, 6 * 4
	movw $0, 6 * 4 + 2
	movw $fault_handler, 13 * 4
	movw $0, 13 * 4 + 2
	PUTS16(msg_start)

	movl $0x80000001, %eax
	cpuid
	shrl $27, %edx
	andb $1, %dl
	movb %dl, has_rdtscp
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	shrl $22, %ecx
	andb $1, %cl
	movb %cl, has_rdpid
	movb has_rdtscp, %al
	orb has_rdpid, %al
	jnz 1f
	PUTS16(msg_none)
	jmp fail
1:
	/* 0 at the start: nothing of the host's or of another vCPU's. */
	movb $2, skip_len
	movl $MSR_TSC_AUX, %ecx
	movb $0, faulted
	rdmsr
	cmpb $0, faulted
	jne bad_rdmsr
	orl %edx, %eax
	jnz bad_reset
	PUTS16(msg_reset)
	movl $MSR_TSC_AUX, %ecx
	movl $AUX_VALUE, %eax
	xorl %edx, %edx
	wrmsr
	rdmsr
	cmpl $AUX_VALUE, %eax
	jne bad_rdmsr
	testl %edx, %edx
	jne bad_rdmsr
	/* Bits 63:32 are reserved: #GP, the value stays. */
	movl $1, %edx
	movl $0x11111111, %eax
	movb $0, faulted
	wrmsr
	cmpb $1, faulted
	jne bad_reserved
	rdmsr
	cmpl $AUX_VALUE, %eax
	jne bad_reserved
	PUTS16(msg_msr)

	/* RDTSCP: 0f 01 f9. */
	movb $3, skip_len
	movb $0, faulted
	xorl %ecx, %ecx
	rdtscp
	cmpb $0, has_rdtscp
	je 2f
	cmpb $0, faulted
	jne bad_rdtscp
	cmpl $AUX_VALUE, %ecx
	jne bad_rdtscp
	PUTS16(msg_rdtscp)
	jmp try_rdpid
2:	cmpb $1, faulted
	jne bad_rdtscp
	PUTS16(msg_rdtscp_ud)

try_rdpid:
	/* RDPID EAX: f3 0f c7 f8. */
	movb $4, skip_len
	movb $0, faulted
	xorl %eax, %eax
	.byte 0xf3, 0x0f, 0xc7, 0xf8
	cmpb $0, has_rdpid
	je 2f
	cmpb $0, faulted
	jne bad_rdpid
	cmpl $AUX_VALUE, %eax
	jne bad_rdpid
	PUTS16(msg_rdpid)
	jmp done
2:	cmpb $1, faulted
	jne bad_rdpid
	PUTS16(msg_rdpid_ud)

done:
	EXIT16(0)
	hlt

bad_rdmsr:
	PUTS16(msg_bad_rdmsr)
	jmp fail
bad_reset:
	PUTS16(msg_bad_reset)
	jmp fail
bad_reserved:
	PUTS16(msg_bad_reserved)
	jmp fail
bad_rdtscp:
	PUTS16(msg_bad_rdtscp)
	jmp fail
bad_rdpid:
	PUTS16(msg_bad_rdpid)
fail:
	EXIT16(1)
	hlt

/* #UD or #GP in real mode: no error code; step over the instruction. */
fault_handler:
	movb $1, faulted
	pushw %bp
	pushw %ax
	movw %sp, %bp
	movb skip_len, %al
	xorb %ah, %ah
	addw %ax, 4(%bp)
	popw %ax
	popw %bp
	iret

DEFINE_PUTS16

skip_len:         .byte 0
faulted:          .byte 0
has_rdtscp:       .byte 0
has_rdpid:        .byte 0
msg_start:        .asciz "tsc_aux: start\n"
msg_none:         .asciz "FAIL tsc_aux: CPUID offers neither RDTSCP nor RDPID\n"
msg_reset:        .asciz "PASS tsc_aux: TSC_AUX reads 0 at the start\n"
msg_msr:          .asciz "PASS tsc_aux: WRMSR/RDMSR of TSC_AUX, reserved bits #GP\n"
msg_rdtscp:       .asciz "PASS tsc_aux: RDTSCP reads the guest's TSC_AUX\n"
msg_rdtscp_ud:    .asciz "PASS tsc_aux: RDTSCP not offered, raised #UD\n"
msg_rdpid:        .asciz "PASS tsc_aux: RDPID reads the guest's TSC_AUX\n"
msg_rdpid_ud:     .asciz "PASS tsc_aux: RDPID not offered, raised #UD\n"
msg_bad_rdmsr:    .asciz "FAIL tsc_aux: RDMSR does not read what WRMSR wrote\n"
msg_bad_reset:    .asciz "FAIL tsc_aux: TSC_AUX is not 0 at the start\n"
msg_bad_reserved: .asciz "FAIL tsc_aux: WRMSR with bits 63:32 set did not #GP, or changed the value\n"
msg_bad_rdtscp:   .asciz "FAIL tsc_aux: RDTSCP did not read the guest's TSC_AUX (or ran though not offered)\n"
msg_bad_rdpid:    .asciz "FAIL tsc_aux: RDPID did not read the guest's TSC_AUX (or ran though not offered)\n"
