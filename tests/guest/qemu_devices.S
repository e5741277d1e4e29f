/*
 * QEMU's test devices on the virtual PC: the kernel of vms.cfg VMs with
 * 32 MiB and one vCPU, as a kernel written for `qemu -kernel` test suites
 * uses them. Prints through COM1. Which VM it is comes from fw_cfg:
 *
 * With the devices (debug-exit=on fw-cfg=on debugcon=on testdev=on):
 * 1. fw_cfg: the signature "QEMU", ID 1 (no DMA), 1 CPU, 32 MiB of RAM.
 * 2. debugcon: a line through port 0xE9 (an escape sequence in it, which
 *    the console must not get), and the port reads back 0xE9.
 * 3. pc-testdev: line 17 into IOAPIC pin 17, level-triggered, vector
 *    0x61 to APIC 0: delivered with remote IRR set; the handler lowers
 *    the line and EOIs, and remote IRR is clear after, no second
 *    delivery. Then a handler that EOIs with the line still high: the
 *    IOAPIC delivers it again, and the second handler's lowering ends it.
 * 4. debug-exit: writes 3 to 0xF4; the VM ends with status 7.
 *
 * Without them (after 2 s, so that the other VM's lines come first): 0xE9, 0x510, 0x511, 0x2000 and 0xF4 float (all ones), a
 * write of 3 to 0xF4 does nothing, and "Shutdown" byte by byte to 0x8900
 * (after a wrong start) powers the VM off.
 */
#include "payload.h"

#define LAPIC		0xfee00000
#define LAPIC_SVR	0xf0
#define LAPIC_EOI	0xb0
#define IOAPIC		0xfec00000
#define IDT		0x9000
#define VECTOR		0x61
#define PIN		17
#define RTE_LEVEL	0x8000
#define RTE_REMOTE_IRR	0x4000

#define PUTS(label) movl $label, %esi; call puts

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	COM1_INIT16
	PROTECTED_MODE(pm32)
	movl $0x1000, %esp
	movw $0x510, %dx		/* fw_cfg: the signature */
	xorw %ax, %ax
	outw %ax, %dx
	movw $0x511, %dx
	inb %dx, %al
	cmpb $'Q', %al
	je with_devices
	cmpb $0xff, %al
	je without_devices
	PUTS(msg_fw_odd)
	jmp fail

/* ---- With the devices ------------------------------------------------ */

with_devices:
	PUTS(msg_with)
	xorl %eax, %eax			/* 1. fw_cfg */
	movl $4, %ecx
	call fw_cfg_read
	cmpl $0x554d4551, %eax		/* "QEMU" */
	jne fw_bad
	movl $1, %eax
	movl $4, %ecx
	call fw_cfg_read
	cmpl $1, %eax
	jne fw_bad
	movl $5, %eax
	movl $2, %ecx
	call fw_cfg_read
	cmpl $1, %eax
	jne fw_bad
	movl $3, %eax			/* RAM size: the low half, then the high */
	movl $4, %ecx
	call fw_cfg_read
	cmpl $(32 << 20), %eax
	jne fw_bad
	movl $4, %ecx
	call fw_cfg_more
	testl %eax, %eax
	jnz fw_bad
	PUTS(msg_fw_pass)

	movl $msg_debugcon, %esi	/* 2. debugcon */
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, $0xe9
	jmp 1b
2:	inb $0xe9, %al
	cmpb $0xe9, %al
	jne debugcon_bad
	PUTS(msg_debugcon_pass)

	/* 3. pc-testdev into a level-triggered IOAPIC pin. */
	movl $0x1ff, LAPIC + LAPIC_SVR	/* APIC software-enabled */
	movl $IDT + VECTOR * 8, %edi
	movl $irq_handler, %eax
	movw %ax, (%edi)
	movw $SEL_CODE32, 2(%edi)
	movw $0x8e00, 4(%edi)		/* 32-bit interrupt gate */
	shrl $16, %eax
	movw %ax, 6(%edi)
	lidtl idt_desc
	movl $0x10 + 2 * PIN + 1, IOAPIC	/* destination APIC 0 */
	movl $0, IOAPIC + 0x10
	movl $0x10 + 2 * PIN, IOAPIC
	movl $(RTE_LEVEL | VECTOR), IOAPIC + 0x10
	movl $1, %ebx			/* one delivery: the handler lowers the line */
	call level_round
	cmpl $1, irq_count
	jne irq_count_bad
	testl $RTE_REMOTE_IRR, irq_rte	/* read in the handler */
	jz irq_no_remote
	movl $0x10 + 2 * PIN, IOAPIC
	testl $RTE_REMOTE_IRR, IOAPIC + 0x10
	jnz irq_remote_stuck
	PUTS(msg_irq_pass)
	movl $1, irq_hold		/* the first handler leaves it high over its EOI */
	movl $2, %ebx
	call level_round
	cmpl $2, irq_count
	jne irq_count_bad
	movl $0x10 + 2 * PIN, IOAPIC
	testl $RTE_REMOTE_IRR, IOAPIC + 0x10
	jnz irq_remote_stuck
	PUTS(msg_irq_again_pass)

	PUTS(msg_exit)			/* 4. debug-exit */
	movl $3, %eax
	outl %eax, $0xf4
	PUTS(msg_exit_fail)
	jmp fail

/*
 * Raises testdev line PIN with interrupts on until EBX deliveries came
 * (FAIL if they do not), then a while longer for one too many, which the
 * caller looks for; interrupts off after.
 */
level_round:
	movl $0, irq_count
	movw $0x2000 + PIN, %dx
	movb $1, %al
	outb %al, %dx			/* the line goes high */
	sti
	movl $10000000, %ecx
1:	cmpl %ebx, irq_count
	jae 2f
	pause
	loop 1b
	cli
	PUTS(msg_no_irq)
	jmp fail
2:	movl $100000, %ecx
1:	pause
	loop 1b
	cli
	ret

/* Lowers the line before its EOI, but for the first time while irq_hold. */
irq_handler:
	pushl %eax
	pushl %edx
	incl irq_count
	movl $0x10 + 2 * PIN, IOAPIC
	movl IOAPIC + 0x10, %eax
	movl %eax, irq_rte
	cmpl $0, irq_hold
	je 1f
	cmpl $1, irq_count
	je 2f
1:	movw $0x2000 + PIN, %dx
	xorb %al, %al
	outb %al, %dx			/* the line goes low, then the EOI */
2:	movl $0, LAPIC + LAPIC_EOI
	popl %edx
	popl %eax
	iret

/* EAX = key, ECX = bytes (1-4): the item's first ECX bytes, little-endian, in EAX. */
fw_cfg_read:
	movw $0x510, %dx
	outw %ax, %dx
fw_cfg_more:				/* the next ECX bytes of the selected item */
	pushl %ebx
	xorl %ebx, %ebx
	movw $0x511, %dx
	shll $3, %ecx
	pushl %ecx
	xorl %ecx, %ecx
1:	inb %dx, %al
	movzbl %al, %eax
	shll %cl, %eax
	orl %eax, %ebx
	addl $8, %ecx
	cmpl (%esp), %ecx
	jb 1b
	popl %ecx
	movl %ebx, %eax
	popl %ebx
	ret

fw_bad:
	PUTS(msg_fw_fail)
	jmp fail
debugcon_bad:
	PUTS(msg_debugcon_fail)
	jmp fail
irq_count_bad:
	PUTS(msg_irq_count)
	jmp fail
irq_no_remote:
	PUTS(msg_irq_no_remote)
	jmp fail
irq_remote_stuck:
	PUTS(msg_irq_stuck)
	jmp fail

/* ---- Without them ---------------------------------------------------- */

without_devices:
	movw $0x608, %dx		/* 2 s on the PM timer first: the other VM's lines come before */
	inl %dx, %eax
	movl %eax, %ebx
1:	pause
	inl %dx, %eax
	subl %ebx, %eax
	cmpl $2 * 3579545, %eax
	jb 1b
	PUTS(msg_without)
	inb $0xe9, %al
	cmpb $0xff, %al
	jne float_bad
	inb $0xf4, %al
	cmpb $0xff, %al
	jne float_bad
	movw $0x510, %dx
	inl %dx, %eax
	cmpl $0xffffffff, %eax
	jne float_bad
	movw $0x511, %dx
	inb %dx, %al
	cmpb $0xff, %al
	jne float_bad
	movw $0x2000, %dx
	inb %dx, %al
	cmpb $0xff, %al
	jne float_bad
	movl $3, %eax
	outl %eax, $0xf4		/* no debug-exit here: nothing happens */
	PUTS(msg_float_pass)
	PUTS(msg_shutdown)
	movl $shutdown_str, %esi
	movw $0x8900, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	PUTS(msg_shutdown_fail)
	jmp fail
float_bad:
	PUTS(msg_float_fail)

fail:
	cli
	hlt
	jmp fail

DEFINE_PUTS_COM1_32

DEFINE_GDT

	.p2align 2
idt_desc:	.word 256 * 8 - 1
		.long IDT
irq_count:	.long 0
irq_rte:	.long 0
irq_hold:	.long 0

/* A wrong start first ("Shutx"): the match starts over. */
shutdown_str:      .asciz "ShutxShutdown"
msg_fw_odd:        .asciz "FAIL qemu_devices: fw_cfg's data port reads neither 'Q' nor all ones\n"
msg_with:          .asciz "qemu_devices: with QEMU's test devices\n"
msg_fw_pass:       .asciz "PASS qemu_devices: fw_cfg: QEMU, ID 1, 1 CPU, 32 MiB\n"
msg_fw_fail:       .asciz "FAIL qemu_devices: fw_cfg answers wrong\n"
msg_debugcon:      .asciz "qemu_devices: debugcon \x1b[31mline\x07 on 0xe9\n"
msg_debugcon_pass: .asciz "PASS qemu_devices: debugcon reads back 0xe9\n"
msg_debugcon_fail: .asciz "FAIL qemu_devices: debugcon does not read back 0xe9\n"
msg_no_irq:        .asciz "FAIL qemu_devices: testdev line 17: fewer deliveries than expected\n"
msg_irq_count:     .asciz "FAIL qemu_devices: the level interrupt came too often\n"
msg_irq_no_remote: .asciz "FAIL qemu_devices: remote IRR clear while the level interrupt is in service\n"
msg_irq_stuck:     .asciz "FAIL qemu_devices: remote IRR still set after the EOI\n"
msg_irq_pass:      .asciz "PASS qemu_devices: testdev line 17, level pin: remote IRR set in service, clear after the EOI, one delivery\n"
msg_irq_again_pass: .asciz "PASS qemu_devices: line 17 held high over the EOI: delivered again, once\n"
msg_exit:          .asciz "qemu_devices: debug-exit with 3\n"
msg_exit_fail:     .asciz "FAIL qemu_devices: still running after the debug-exit write\n"
msg_without:       .asciz "qemu_devices: without QEMU's test devices\n"
msg_float_pass:    .asciz "PASS qemu_devices: 0xe9, 0xf4, 0x510, 0x511 and 0x2000 float; the write to 0xf4 did nothing\n"
msg_float_fail:    .asciz "FAIL qemu_devices: a port of an absent device answers\n"
msg_shutdown:      .asciz "qemu_devices: Shutdown to 0x8900\n"
msg_shutdown_fail: .asciz "FAIL qemu_devices: still running after Shutdown\n"
