/*
 * Runs as a VM of vms.cfg (the kernel of a VM with the virtual PC): prints
 * where its loop is, then reads the ACPI PM timer (port 0x608) forever
 * from one instruction at a fixed address, 0x1100, so that every exit of
 * the VM after its start-up has that RIP and reason IO. The monitor's
 * `profile` must name it (tests/integration/svm_profile_iso.scn).
 */
#include "payload.h"

#define PM_TMR      0x608
#define LOOP_OFFSET 0x100		/* linked at 0x1000: the IN is at 0x1100 */

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	COM1_INIT16
	movw $msg_start, %si
	call puts_com1
	movw $PM_TMR, %dx
	jmp pm_loop

DEFINE_PUTS_COM1

msg_start: .asciz "profile_loop: reading the PM timer at 0x1100\n"

	.org LOOP_OFFSET
pm_loop:
	inl %dx, %eax
	jmp pm_loop
