/*
 * Runs as a VM of vms.cfg (the kernel of a VM with the virtual PC): says
 * so on COM1, then spins for ever, counting in ECX, with no exit of its
 * own: a CPU-bound guest that only the host's timer takes the CPU from
 * (the end of its scheduler slice, the console monitor's tick). It
 * spins with IF set, every vector of its IVT pointing at an IRET;
 * pc_spin_cli.S defines SPIN_CLI and spins with IF clear, where the
 * host's interrupt must force the exit whatever the guest's IF
 * (docs/scheduler.md); pc_spin_pause.S defines SPIN_PAUSE and spins
 * with a PAUSE in the loop. It never ends: the scenario stops it.
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
#ifndef SPIN_CLI
	sti
#endif
	xorl %ecx, %ecx
2:
#ifdef SPIN_PAUSE
	pause
#endif
	incl %ecx
	jmp 2b

ignore_irq:
	iret

DEFINE_PUTS_COM1

#ifdef SPIN_CLI
msg_start: .asciz "pc_spin: spinning with IF clear\n"
#elif defined(SPIN_PAUSE)
msg_start: .asciz "pc_spin: spinning with IF set and a PAUSE\n"
#else
msg_start: .asciz "pc_spin: spinning with IF set\n"
#endif
