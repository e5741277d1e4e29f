/* Prints two lines and ends with debug-exit 3: status 7. */
#include "tests/runner/mb1.h"

	MB1_HEADER
	.globl _start
_start:
	movl $stack_top, %esp
	PUTS line1
	PUTS line2
	DEBUG_EXIT 3
	HALT_FOREVER

	MB1_PUTS_FN

	.section .data
line1:	.asciz "exit3: failing on purpose\n"
line2:	.asciz "exit3: debug-exit 3 next\n"

	.section .bss
	.align 16
	.skip 4096
stack_top:
