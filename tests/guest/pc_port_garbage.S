/*
 * Runs as a VM of vms.cfg (the kernel of a VM with the virtual PC): writes
 * pseudo-random values to every I/O port, as byte, word and dword where
 * aligned, reads each back, and lives through it. Skipped: the ports
 * whose whole purpose is to end the VM (ACPI PM1 control 0x604-0x605, the
 * reset register 0xCF9, the keyboard controller's command port 0x64, port
 * 0x92) and COM1 (0x3F8-0x3FF), which carries this payload's console: the
 * test-payload port 0xE9 is not part of the virtual PC, so the lines go
 * out through the PC's UART as an operating system's would (COM2 at
 * 0x2F8, the same device model, still gets the garbage). Then it powers
 * the VM off through ACPI S5. Expect "PASS pc_port_garbage" and "powered
 * off by the guest".
 */
#include "payload.h"

#define PM1A_CNT    0x604
#define SLP_S5_EN   0x3400		/* SLP_TYP 5 << 10 | SLP_EN */

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	COM1_INIT16
	movw $msg_start, %si
	call puts_com1

	movl $0x2545f491, %ebx		/* xorshift32 state */
	xorl %edx, %edx			/* DX: the port, 0 .. 0xffff */
next_port:
	cmpw $PM1A_CNT, %dx
	je skip
	cmpw $PM1A_CNT + 1, %dx
	je skip
	cmpw $0xcf9, %dx
	je skip
	cmpw $0x64, %dx
	je skip
	cmpw $0x92, %dx
	je skip
	cmpw $COM1, %dx
	jb 2f
	cmpw $COM1 + 7, %dx
	jbe skip
2:

	call rand
	outb %al, %dx
	inb %dx, %al
	testw $1, %dx
	jnz skip
	call rand
	outw %ax, %dx
	inw %dx, %ax
	testw $3, %dx
	jnz skip
	call rand
	outl %eax, %dx
	inl %dx, %eax
skip:
	incw %dx
	jnz next_port

	movw $msg_pass, %si
	call puts_com1
	movw $PM1A_CNT, %dx
	movw $SLP_S5_EN, %ax
	outw %ax, %dx
	movw $msg_fail, %si
	call puts_com1
1:	hlt
	jmp 1b

/* xorshift32 of EBX; the new value in EAX too. */
rand:
	movl %ebx, %eax
	shll $13, %eax
	xorl %eax, %ebx
	movl %ebx, %eax
	shrl $17, %eax
	xorl %eax, %ebx
	movl %ebx, %eax
	shll $5, %eax
	xorl %eax, %ebx
	movl %ebx, %eax
	ret

DEFINE_PUTS_COM1

msg_start: .asciz "pc_port_garbage: writing every port\n"
msg_pass:  .asciz "PASS pc_port_garbage: every port written and read\n"
msg_fail:  .asciz "FAIL pc_port_garbage: still running after the S5 request\n"
