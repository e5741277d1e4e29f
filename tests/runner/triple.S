/*
 * Prints a line, loads an empty IDT and raises #BP: no handler, no #DF
 * handler, a triple fault.
 */
#include "tests/runner/mb1.h"

	MB1_HEADER
	.globl _start
_start:
	movl $stack_top, %esp
	PUTS line
	lidt idt_empty
	int3
	HALT_FOREVER

	MB1_PUTS_FN

	.section .data
line:	.asciz "triple: faulting now\n"
	.align 8
idt_empty:
	.word 0
	.long 0

	.section .bss
	.align 16
	.skip 4096
stack_top:
