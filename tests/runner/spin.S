/* Prints a line and spins for ever, interrupts off: only a timeout ends it. */
#include "tests/runner/mb1.h"

	MB1_HEADER
	.globl _start
_start:
	movl $stack_top, %esp
	PUTS line
1:	pause
	jmp 1b

	MB1_PUTS_FN

	.section .data
line:	.asciz "spin: spinning for ever\n"

	.section .bss
	.align 16
	.skip 4096
stack_top:
