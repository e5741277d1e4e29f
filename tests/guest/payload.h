/*
 * Shared by the test payloads (tests/guest/*.S): the header the
 * hypervisor reads (core/payload/payload.h) and console helpers. Real mode at
 * entry: CS = DS = SS = 0, IP = the entry, SI = vCPU index; linked at
 * 0x1000 (PAYLOAD_LOAD_GPA).
 *
 * The console and exit ports and the hypercalls are the test-payload
 * platform's (core/payload/payload_platform.c): a payload that vms.cfg runs
 * as a VM's kernel is on the virtual PC, where they do not exist (VMCALL
 * raises #UD); it prints through COM1 (see pc_port_garbage.S).
 */
#define PAYLOAD_MAGIC 0x50544856	/* "HVTP" */
#define PORT_CONSOLE  0xe9
#define PORT_EXIT     0xf4
#define HC_TIMER_ONESHOT 1
#define HC_VCPU_ID       2
#define HC_DEBUG         3	/* RBX = address of the debug configuration (core/payload/payload.h) */
#define HC_IPI           4	/* RBX = target vCPU index, RCX = vector (32..255) */
#define HC_ERROR         -1	/* RAX: unknown call, or a vector below 32 or above 255 */

/* The 16-byte header, then the entry. */
#define PAYLOAD_HEADER(vcpus, mem_mib)		\
	.code16;				\
	.section .text;				\
	.globl _start;				\
_start:						\
	.long PAYLOAD_MAGIC;			\
	.byte vcpus;				\
	.byte 0;				\
	.word mem_mib;				\
	.long payload_entry - _start;		\
	.long 0;				\
payload_entry:

/* Prints the NUL-terminated string at label to the console (16-bit). */
#define PUTS16(label)				\
	movw $label, %si;			\
	call puts16

/*
 * COM1 of the virtual PC: the console of a payload that vms.cfg runs as a
 * VM's kernel, where port 0xE9 does not exist. DEFINE_PUTS_COM1 is
 * puts_com1 (16-bit): SI = NUL-terminated string; clobbers AX, DX, SI.
 */
#define COM1        0x3f8
#define COM1_LCR    (COM1 + 3)
#define COM1_LSR    (COM1 + 5)
#define LSR_THRE    0x20

/* COM1 to 8 data bits, no parity, DLAB off (16-bit; clobbers AL, DX). */
#define COM1_INIT16				\
	movw $COM1_LCR, %dx;			\
	movb $0x03, %al;			\
	outb %al, %dx

#define DEFINE_PUTS_COM1			\
	.code16;				\
puts_com1:					\
	lodsb;					\
	testb %al, %al;				\
	jz 3f;					\
	movb %al, %ah;				\
	movw $COM1_LSR, %dx;			\
1:	inb %dx, %al;				\
	testb $LSR_THRE, %al;			\
	jz 1b;					\
	movb %ah, %al;				\
	movw $COM1, %dx;			\
	outb %al, %dx;				\
	jmp puts_com1;				\
3:	ret

/*
 * The same in 32-bit protected mode with a flat DS: putc (AL to COM1 once
 * its THR is empty; keeps every other register) and puts (ESI =
 * NUL-terminated string; clobbers AL, ESI); DEFINE_PUTHEX_COM1_32 adds
 * puthex32 (EAX in 8 hex digits; keeps every register but EAX's flags).
 */
#define DEFINE_PUTS_COM1_32			\
	.code32;				\
puts:						\
	lodsb;					\
	testb %al, %al;				\
	jz 1f;					\
	call putc;				\
	jmp puts;				\
1:	ret;					\
putc:						\
	pushl %edx;				\
	pushl %eax;				\
	movw $COM1_LSR, %dx;			\
1:	inb %dx, %al;				\
	testb $LSR_THRE, %al;			\
	jz 1b;					\
	popl %eax;				\
	movw $COM1, %dx;			\
	outb %al, %dx;				\
	popl %edx;				\
	ret

#define DEFINE_PUTHEX_COM1_32			\
	.code32;				\
puthex32:					\
	pushl %ecx;				\
	pushl %ebx;				\
	movl $8, %ecx;				\
1:	roll $4, %eax;				\
	movl %eax, %ebx;			\
	andl $0xf, %ebx;			\
	pushl %eax;				\
	movb com1_hexdigits(%ebx), %al;		\
	call putc;				\
	popl %eax;				\
	loop 1b;				\
	popl %ebx;				\
	popl %ecx;				\
	ret;					\
com1_hexdigits:					\
	.ascii "0123456789abcdef"

/* Ends the VM with status. */
#define EXIT16(status)				\
	movb $status, %al;			\
	outb %al, $PORT_EXIT

/* puts16: SI = string; clobbers AL, SI. */
#define DEFINE_PUTS16				\
puts16:						\
	lodsb;					\
	testb %al, %al;				\
	jz 1f;					\
	outb %al, $PORT_CONSOLE;		\
	jmp puts16;				\
1:	ret

/*
 * Protected mode: a flat GDT (DEFINE_GDT), then PROTECTED_MODE jumps to
 * the 32-bit label with DS = ES = SS = flat data.
 */
#define SEL_CODE32 0x08
#define SEL_DATA   0x10
#define SEL_CODE64 0x18

#define DEFINE_GDT				\
	.p2align 3;				\
gdt:						\
	.quad 0;				\
	.quad 0x00cf9a000000ffff;		\
	.quad 0x00cf92000000ffff;		\
	.quad 0x00af9a000000ffff;		\
gdt_end:					\
gdt_desc:					\
	.word gdt_end - gdt - 1;		\
	.long gdt

#define PROTECTED_MODE(label32)			\
	lgdtl gdt_desc;				\
	movl %cr0, %eax;			\
	orl $1, %eax;				\
	movl %eax, %cr0;			\
	ljmpl $SEL_CODE32, $label32;		\
	.code32;				\
label32:					\
	movw $SEL_DATA, %ax;			\
	movw %ax, %ds;				\
	movw %ax, %es;				\
	movw %ax, %ss

/* puts32: ESI = string (flat); clobbers AL, ESI. */
#define DEFINE_PUTS32				\
puts32:						\
	lodsb;					\
	testb %al, %al;				\
	jz 1f;					\
	outb %al, $PORT_CONSOLE;		\
	jmp puts32;				\
1:	ret

#define PUTS32(label)				\
	movl $label, %esi;			\
	call puts32

/*
 * Long mode from 32-bit protected mode (PROTECTED_MODE): the first GiB
 * identity-mapped with 2 MiB pages in the three zeroed, page-aligned
 * pages at tables (LM_TABLES), CR4.PAE, EFER.LME, CR0.PG, then a jump to
 * label64 in the 64-bit code segment; DS, ES and SS stay flat. Touches no
 * x87/SSE/AVX register. Clobbers EAX, ECX, EDX, EDI.
 */
#define LM_TABLES(tables)			\
	.p2align 12;				\
tables:						\
	.fill 3 * 4096, 1, 0

#define LONG_MODE(tables, label64)		\
	movl $(tables + 4096 + 3), tables;	\
	movl $(tables + 8192 + 3), tables + 4096; \
	xorl %ecx, %ecx;			\
1:	movl %ecx, %eax;			\
	shll $21, %eax;				\
	orl $0x83, %eax;			\
	movl %eax, tables + 8192(, %ecx, 8);	\
	incl %ecx;				\
	cmpl $512, %ecx;			\
	jb 1b;					\
	movl %cr4, %eax;			\
	orl $0x20, %eax;			\
	movl %eax, %cr4;			\
	movl $tables, %eax;			\
	movl %eax, %cr3;			\
	movl $0xc0000080, %ecx;			\
	rdmsr;					\
	orl $0x100, %eax;			\
	wrmsr;					\
	movl %cr0, %eax;			\
	orl $0x80000000, %eax;			\
	movl %eax, %cr0;			\
	ljmpl $SEL_CODE64, $label64;		\
	.code64;				\
label64:
