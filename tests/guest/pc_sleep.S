/*
 * Runs as a VM of vms.cfg (the virtual PC): says so on COM1, then halts
 * for good with IF set and nothing that interrupts it (no timer
 * programmed, every vector of its IVT pointing at an IRET): its vCPU's
 * thread blocks with no deadline and stays placed on its CPU, counting
 * in that CPU's load without using it. It never ends.
 */
#include "payload.h"

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	xorw %di, %di			/* the IVT: 256 vectors to ignore_irq */
1:	movw $ignore_irq, %ax
	stosw
	xorw %ax, %ax
	stosw
	cmpw $0x400, %di
	jne 1b
	COM1_INIT16
	movw $msg_start, %si
	call puts_com1
	sti
2:	hlt
	jmp 2b

ignore_irq:
	iret

DEFINE_PUTS_COM1

msg_start: .asciz "pc_sleep: halting for good\n"
