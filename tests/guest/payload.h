/*
 * Shared by the test payloads (tests/guest/*.S): the header the
 * hypervisor reads (core/payload.h) and console helpers. Real mode at
 * entry: CS = DS = SS = 0, IP = the entry, SI = vCPU index; linked at
 * 0x1000 (PAYLOAD_LOAD_GPA).
 */
#define PAYLOAD_MAGIC 0x50544856	/* "HVTP" */
#define PORT_CONSOLE  0xe9
#define PORT_EXIT     0xf4
#define HC_TIMER_ONESHOT 1
#define HC_VCPU_ID       2

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
