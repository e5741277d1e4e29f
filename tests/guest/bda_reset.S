/*
 * The BIOS data area and the EBDA across a guest reset: the kernel of a
 * vms.cfg VM (svm_bda_reset_uefi.scn), in real mode throughout. Prints
 * through COM1.
 *
 * 1. Checks what a PC's firmware leaves there: COM ports 0x3f8, 0x2f8, 0,
 *    0 at 0x400; EBDA segment 0x9fc0 at 0x40e; equipment word 0x0422 at
 *    0x410; 639 KiB of base memory at 0x413; the EBDA's size word 1.
 * 2. Overwrites all of them, as a guest may.
 * 3. Writes a line of text to the VGA window's first row (0xb8000: the
 *    characters with attribute 0x07, a 0x01 among them) for the
 *    monitor's `screen`.
 * 4. Waits for a byte on COM1: 'r' resets the VM through the reset
 *    register (0xcf9), which rebuilds it and runs this again, so step 1
 *    then sees what the rebuild wrote; any other byte powers it off
 *    through ACPI S5.
 */
#include "payload.h"

#define RESET_PORT  0xcf9
#define RESET_FULL  0x06
#define PM1A_CNT    0x604
#define SLP_S5_EN   0x3400
#define COM1_LSR_DR 0x01		/* a received byte is waiting */

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	movw $0x9fc0, %ax		/* ES: the EBDA */
	movw %ax, %es
	movw $0x1000, %sp
	COM1_INIT16

	/* 1. What the firmware leaves. */
	cmpw $0x3f8, 0x400
	jne bad
	cmpw $0x2f8, 0x402
	jne bad
	cmpl $0, 0x404
	jne bad
	cmpw $0x9fc0, 0x40e
	jne bad
	cmpw $0x0422, 0x410
	jne bad
	cmpw $639, 0x413
	jne bad
	cmpw $1, %es:0
	jne bad
	movw $msg_pass, %si
	call puts_com1

	/* 2. Overwritten. */
	movl $0xdeadbeef, 0x400
	movl $0xdeadbeef, 0x404
	movw $0xdead, 0x40e
	movw $0xdead, 0x410
	movw $0xdead, 0x413
	movw $0xdead, %es:0
	movw $msg_wait, %si
	call puts_com1

	/* 3. A row of VGA text. */
	movw $0xb800, %ax
	movw %ax, %es
	movw $vga_text, %si
	xorw %di, %di
	movb $0x07, %ah			/* light grey on black */
1:	lodsb
	testb %al, %al
	jz 2f
	stosw
	jmp 1b
2:
	/* 4. 'r': reset; anything else: power off. */
	movw $COM1_LSR, %dx
1:	inb %dx, %al
	testb $COM1_LSR_DR, %al
	jz 1b
	movw $COM1, %dx
	inb %dx, %al
	cmpb $'r', %al
	jne 2f
	movw $RESET_PORT, %dx
	movb $RESET_FULL, %al
	outb %al, %dx
	jmp halt
2:	movw $PM1A_CNT, %dx
	movw $SLP_S5_EN, %ax
	outw %ax, %dx
	jmp halt

bad:
	movw $msg_fail, %si
	call puts_com1
halt:
	cli
	hlt
	jmp halt

DEFINE_PUTS_COM1

msg_pass: .asciz "PASS bda_reset: BIOS data area and EBDA as a PC's firmware leaves them\n"
msg_wait: .asciz "bda_reset: overwritten; r resets the VM, anything else powers it off\n"
vga_text: .asciz "bda_reset \001 waiting"
msg_fail: .asciz "FAIL bda_reset: BIOS data area or EBDA\n"
