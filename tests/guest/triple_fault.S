/*
 * A guest that triple-faults: an interrupt table of limit 0 turns INT3
 * into #GP, #GP into #DF, #DF into a shutdown. The hypervisor must stop
 * this VM, report it, and go on.
 */
#include "payload.h"

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_start)
	lidt idt_empty
	int3
	PUTS16(msg_fail)
	EXIT16(1)
	hlt

DEFINE_PUTS16

	.p2align 2
idt_empty:
	.word 0
	.long 0
msg_start: .asciz "triple_fault: loading an empty IDT, then INT3\n"
msg_fail:  .asciz "FAIL triple_fault: INT3 returned\n"
