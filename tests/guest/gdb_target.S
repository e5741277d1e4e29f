/*
 * A guest for the GDB stub's scenarios (vmx_gdb_bochs.scn): the kernel of
 * a vms.cfg VM on the virtual PC. It says it is ready on COM1, goes to
 * flat 32-bit protected mode and counts in a loop at a fixed address, so
 * that a scenario can set breakpoints and read memory by address:
 *
 *   0x1200  loop: incl counter (6 bytes), movl counter, %eax (5 bytes),
 *           nop, jmp loop
 *   0x1a00  counter (4 bytes)
 *
 * Paging stays off: guest-virtual addresses are guest-physical ones.
 * The loop runs with interrupts enabled, though none is ever sent.
 */
#include "payload.h"

#define LOOP_OFF    0x200		/* loop at 0x1000 + 0x200 */
#define COUNTER_OFF 0xa00		/* counter at 0x1000 + 0xa00 */

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x1000, %sp
	movw $msg_ready, %si
	call puts_com1
	PROTECTED_MODE(pm32)
	movl $0x9000, %esp
	/*
	 * Interrupts on (none comes: nothing is programmed): Bochs 2.7's VT-x
	 * does not leave a guest that runs with IF clear for an external
	 * interrupt, so the hypervisor's kicks would never reach this loop
	 * (docs/debugging.md, "Debug exits on emulators").
	 */
	sti
	jmp loop

DEFINE_PUTS_COM1

msg_ready: .asciz "gdb_target: ready, loop at 0x1200, counter at 0x1a00\n"

DEFINE_GDT

	.code32
	.org LOOP_OFF
loop:
	incl counter
	movl counter, %eax
	nop
	jmp loop

	.org COUNTER_OFF
counter:
	.long 0
