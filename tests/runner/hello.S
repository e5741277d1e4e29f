/*
 * Prints its lines (one with a tab, one with the loader's module count)
 * and ends with debug-exit 0: status 1, the runner's and QEMU's alike.
 */
#include "tests/runner/mb1.h"

	MB1_HEADER
	.globl _start
_start:
	movl $stack_top, %esp
	movl %ebx, %edi			/* the information structure */
	cmpl $MB1_BOOT_MAGIC, %eax
	jne 1f
	PUTS hello
	PUTS magic_ok
	jmp 2f
1:	PUTS hello
	PUTS magic_bad
2:	PUTS modules
	movl $0, %eax
	testl $MB1_INFO_MODS, MB1_INFO_FLAGS(%edi)
	jz 3f
	movl MB1_INFO_NMODS(%edi), %eax
3:	andl $7, %eax			/* one digit */
	addb $'0', %al
	movb %al, digit
	PUTS digit
	PUTS bye
	DEBUG_EXIT 0
	HALT_FOREVER

	MB1_PUTS_FN

	.section .data
hello:		.asciz "hello from a Multiboot kernel\n"
magic_ok:	.asciz "loader magic ok\n"
magic_bad:	.asciz "loader magic wrong\n"
modules:	.asciz "modules:\t"
digit:		.asciz "?\n"
bye:		.asciz "last line before debug-exit 0\n"

	.section .bss
	.align 16
	.skip 4096
stack_top:
