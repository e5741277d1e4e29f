/*
 * XSAVES must raise #UD in the guest: the hypervisor does not switch
 * IA32_XSS, so a native XSAVES would save state components under the
 * host's XSS. XSAVES needs CR4.OSXSAVE (else #UD on any CPU), which the
 * payload sets first; so it runs only on a CPU with XSAVE (QEMU's qemu64
 * has none, and QEMU ends the guest with VMEXIT_INVALID instead of #GP
 * when CR4.OSXSAVE is set there). Real mode; the #UD handler (IVT[6])
 * notes the fault and steps over the instruction.
 */
#include "payload.h"

#define CR4_OSXSAVE 0x40000
#define XSAVE_AREA  0x8000	/* 64-byte aligned, room for 4 KiB */

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw $ud_handler, 6 * 4
	movw $0, 6 * 4 + 2
	PUTS16(msg_start)
	movl %cr4, %eax
	orl $CR4_OSXSAVE, %eax
	movl %eax, %cr4
	PUTS16(msg_osxsave)

	/* XSAVES (%di) with EDX:EAX = 0 (the header only): 0f c7 2d. */
	movw $XSAVE_AREA, %di
	xorl %eax, %eax
	xorl %edx, %edx
	movb $0, faulted
	.byte 0x0f, 0xc7, 0x2d
	cmpb $1, faulted
	jne 1f
	PUTS16(msg_ud)
	EXIT16(0)
	hlt
1:	PUTS16(msg_ran)
	EXIT16(1)
	hlt

/* #UD in real mode: no error code; step over the 3-byte XSAVES. */
ud_handler:
	movb $1, faulted
	pushw %bp
	movw %sp, %bp
	addw $3, 2(%bp)
	popw %bp
	iret

DEFINE_PUTS16

faulted:     .byte 0
msg_start:   .asciz "xsaves_ud: start\n"
msg_osxsave: .asciz "xsaves_ud: CR4.OSXSAVE set\n"
msg_ud:      .asciz "PASS xsaves_ud: XSAVES raised #UD\n"
msg_ran:     .asciz "FAIL xsaves_ud: XSAVES ran in the guest\n"
