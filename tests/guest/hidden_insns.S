/*
 * Instructions CPUID hides must raise #UD, not run natively: RDTSCP and
 * RDPID would read the host's IA32_TSC_AUX. Real mode; the payload's #UD
 * handler (IVT[6]) notes the fault and steps over the instruction. RDPID
 * on a CPU without it raises #UD anyway; under AMD-V, which cannot
 * intercept it, only a CPU without RDPID faults (docs/security.md).
 * XSAVES is xsaves_ud.S's.
 */
#include "payload.h"

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw $ud_handler, 6 * 4
	movw $0, 6 * 4 + 2
	PUTS16(msg_start)

	/* RDTSCP: 0f 01 f9. */
	movb $3, skip_len
	movb $0, faulted
	rdtscp
	cmpb $1, faulted
	jne rdtscp_ran
	PUTS16(msg_rdtscp_ud)
	jmp try_rdpid
rdtscp_ran:
	PUTS16(msg_rdtscp_ran)
	movb $1, failed

try_rdpid:
	/* RDPID EAX: f3 0f c7 f8. */
	movb $4, skip_len
	movb $0, faulted
	.byte 0xf3, 0x0f, 0xc7, 0xf8
	cmpb $1, faulted
	jne rdpid_ran
	PUTS16(msg_rdpid_ud)
	jmp done
rdpid_ran:
	PUTS16(msg_rdpid_ran)
	movb $1, failed

done:
	cmpb $0, failed
	jne 2f
	EXIT16(0)
	hlt
2:	EXIT16(1)
	hlt

/* #UD in real mode: no error code; step over the instruction. */
ud_handler:
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

skip_len:        .byte 0
faulted:         .byte 0
failed:          .byte 0
msg_start:       .asciz "hidden_insns: start\n"
msg_rdtscp_ud:   .asciz "PASS hidden_insns: RDTSCP raised #UD\n"
msg_rdtscp_ran:  .asciz "FAIL hidden_insns: RDTSCP ran in the guest\n"
msg_rdpid_ud:    .asciz "PASS hidden_insns: RDPID raised #UD\n"
msg_rdpid_ran:   .asciz "FAIL hidden_insns: RDPID ran in the guest\n"
