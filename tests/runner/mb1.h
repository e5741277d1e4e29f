/*
 * Shared by the runner's test kernels (tests/runner/*.S): Multiboot v1
 * ELF32 kernels that QEMU's -kernel loads as well as the hypervisor does.
 * Entered in 32-bit protected mode, paging off, interrupts off, EAX the
 * loader's magic and EBX the information structure.
 *
 * MB1_HEADER: the Multiboot header (no flags: the ELF headers say where
 * everything goes). PUTS: a NUL-terminated string to COM1, polled.
 * DEBUG_EXIT: a 32-bit write of the value to isa-debug-exit at 0xf4,
 * which ends the machine with status (value << 1) | 1.
 */
#ifndef TESTS_RUNNER_MB1_H
#define TESTS_RUNNER_MB1_H

#define MB1_MAGIC        0x1badb002
#define MB1_BOOT_MAGIC   0x2badb002	/* in EAX at entry */
#define MB1_INFO_FLAGS   0		/* offsets in the information structure */
#define MB1_INFO_MODS    (1 << 3)	/* mods_count and mods_addr are valid */
#define MB1_INFO_NMODS   20
#define COM1             0x3f8
#define COM1_LSR         (COM1 + 5)
#define LSR_THRE         0x20
#define DEBUG_EXIT_PORT  0xf4

.macro MB1_HEADER
	.section .text
	.code32
	.align 4
	.long MB1_MAGIC, 0, -MB1_MAGIC
.endm

/* COM1, polled; clobbers EAX, EDX, ESI. */
.macro PUTS str
	lea \str, %esi
	call mb1_puts
.endm

.macro MB1_PUTS_FN
mb1_puts:
1:	movb (%esi), %al
	testb %al, %al
	jz 3f
	movw $COM1_LSR, %dx
	movb %al, %ah
2:	inb %dx, %al
	testb $LSR_THRE, %al
	jz 2b
	movb %ah, %al
	movw $COM1, %dx
	outb %al, %dx
	incl %esi
	jmp 1b
3:	ret
.endm

.macro DEBUG_EXIT value
	movl $\value, %eax
	movw $DEBUG_EXIT_PORT, %dx
	outl %eax, %dx
.endm

/* Where a debug exit that did nothing leaves the kernel: stopped for good. */
.macro HALT_FOREVER
1:	cli
	hlt
	jmp 1b
.endm

#endif
