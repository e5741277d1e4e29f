/*
 * An interrupt storm, as the kernel of a vms.cfg VM (the virtual PC): once
 * a key arrives on its console (COM1), it sets every timer of the PC to
 * its shortest period, all unmasked, and acknowledges each interrupt as
 * fast as it can, spinning with interrupts enabled in between:
 *
 *  - the local APIC timer, periodic, divide by 1, initial count 1
 *    (vector 0x40);
 *  - the PIT's channel 0, mode 2, count 1 (IRQ 0 through the 8259,
 *    vector 0x20);
 *  - the RTC's periodic interrupt at 8192 Hz, register A = 0x23 (IRQ 8
 *    through the slave 8259, vector 0x28; register C read each time).
 *
 * The devices clamp what they are asked for (docs/security.md, "Limits
 * on guest-driven work"), which is what the storm is there to show: a
 * neighbour VM's latency stays bounded. At its 4096th local APIC
 * interrupt it prints the counts of the three, once (from the handler:
 * the interrupts leave the spinning loop almost no time to run), and
 * nothing after it, so that its lines never cut into the neighbour's
 * console output while that is measured. It never ends by itself.
 * It prints "irq_storm: waiting for a key", then "irq_storm: storm
 * started".
 */
#include "payload.h"

#define STORM_REPORT_AT 4096	/* local APIC interrupts before the one report */
#define LAPIC       0xfee00000
#define IDT         0x8000
#define V_LAPIC     0x9000
#define V_PIT       0x9004
#define V_RTC       0x9008

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	PROTECTED_MODE(pm32)
	movl $0x7000, %esp
	movl $COM1 + 3, %edx		/* 8 data bits, no parity, DLAB off */
	movb $0x03, %al
	outb %al, %dx
	movl $msg_wait, %esi
	call puts

	/* Wait for a key, looking every ~1 ms (PAUSE spins, no exits between). */
1:	movl $COM1 + 5, %edx
	inb %dx, %al
	testb $1, %al
	jnz 2f
	movl $100000, %ecx
3:	pause
	loop 3b
	jmp 1b
2:	movl $COM1, %edx
	inb %dx, %al

	/* IDT: 0x20 PIT, 0x28 RTC, 0x40 APIC timer, everything else: ignore. */
	xorl %ecx, %ecx
4:	movl $irq_other, %eax
	cmpl $0x20, %ecx
	jne 5f
	movl $irq_pit, %eax
5:	cmpl $0x28, %ecx
	jne 6f
	movl $irq_rtc, %eax
6:	cmpl $0x40, %ecx
	jne 7f
	movl $irq_lapic, %eax
7:	movw %ax, IDT(, %ecx, 8)
	movw $SEL_CODE32, IDT + 2(, %ecx, 8)
	movw $0x8e00, IDT + 4(, %ecx, 8)
	shrl $16, %eax
	movw %ax, IDT + 6(, %ecx, 8)
	incl %ecx
	cmpl $256, %ecx
	jb 4b
	lidt idt_desc

	/* 8259 pair: vectors 0x20 and 0x28, IRQ 0, 2 (cascade) and 8 unmasked. */
	movb $0x11, %al
	outb %al, $0x20
	outb %al, $0xa0
	movb $0x20, %al
	outb %al, $0x21
	movb $0x28, %al
	outb %al, $0xa1
	movb $0x04, %al
	outb %al, $0x21
	movb $0x02, %al
	outb %al, $0xa1
	movb $0x01, %al
	outb %al, $0x21
	outb %al, $0xa1
	movb $0xfa, %al
	outb %al, $0x21
	movb $0xfe, %al
	outb %al, $0xa1

	/* PIT channel 0: lobyte/hibyte, mode 2, count 1. */
	movb $0x34, %al
	outb %al, $0x43
	movb $1, %al
	outb %al, $0x40
	xorb %al, %al
	outb %al, $0x40

	/* RTC: 32.768 kHz divider, rate 3 (8192 Hz); periodic interrupt on. */
	movb $0x0a, %al
	outb %al, $0x70
	movb $0x23, %al
	outb %al, $0x71
	movb $0x0b, %al
	outb %al, $0x70
	inb $0x71, %al
	orb $0x40, %al
	movb %al, %ah
	movb $0x0b, %al
	outb %al, $0x70
	movb %ah, %al
	outb %al, $0x71

	/* Local APIC: enabled, timer periodic, vector 0x40, divide 1, count 1. */
	movl $LAPIC, %edi
	movl $0x1ff, 0xf0(%edi)
	movl $0xb, 0x3e0(%edi)
	movl $0x20040, 0x320(%edi)
	movl $1, 0x380(%edi)

	movl $msg_started, %esi
	call puts
	sti
	/*
	 * Spin. The interrupts come faster than the vCPU takes them (each
	 * costs exits), so this loop hardly runs: the APIC timer's handler
	 * prints the counts, at its 4096th interrupt.
	 */
8:	pause
	jmp 8b

irq_lapic:
	incl V_LAPIC
	movl $0, LAPIC + 0xb0
	cmpl $STORM_REPORT_AT, V_LAPIC
	jne 9f
	pushal
	movl $msg_lapic, %esi
	call puts
	movl V_LAPIC, %eax
	call puthex
	movl $msg_pit, %esi
	call puts
	movl V_PIT, %eax
	call puthex
	movl $msg_rtc, %esi
	call puts
	movl V_RTC, %eax
	call puthex
	movl $msg_nl, %esi
	call puts
	popal
9:	iret
irq_pit:
	pushl %eax
	incl V_PIT
	movb $0x20, %al
	outb %al, $0x20
	popl %eax
	iret
irq_rtc:
	pushl %eax
	incl V_RTC
	movb $0x0c, %al
	outb %al, $0x70
	inb $0x71, %al
	movb $0x20, %al
	outb %al, $0xa0
	outb %al, $0x20
	popl %eax
	iret
irq_other:
	iret

/* puts: ESI = string, through COM1; puthex: EAX. Clobber EAX, ECX, EDX, ESI. */
puts:
	lodsb
	testb %al, %al
	jz 2f
	call putc
	jmp puts
2:	ret

puthex:
	movl %eax, %edx
	movl $8, %ecx
1:	roll $4, %edx
	movl %edx, %eax
	andl $15, %eax
	movb hexdigits(%eax), %al
	pushl %edx
	call putc
	popl %edx
	loop 1b
	ret

/* AL out through COM1 once the transmitter is empty; keeps EDX. */
putc:
	pushl %edx
	movb %al, %ah
	movl $COM1 + 5, %edx
1:	inb %dx, %al
	testb $0x20, %al
	jz 1b
	movb %ah, %al
	movl $COM1, %edx
	outb %al, %dx
	popl %edx
	ret

DEFINE_GDT
idt_desc:
	.word 256 * 8 - 1
	.long IDT
hexdigits:   .ascii "0123456789abcdef"
msg_wait:    .asciz "irq_storm: waiting for a key\n"
msg_started: .asciz "irq_storm: storm started (APIC timer count 1 periodic, PIT count 1, RTC 8192 Hz)\n"
msg_lapic:   .asciz "irq_storm: APIC timer 0x"
msg_pit:     .asciz ", PIT 0x"
msg_rtc:     .asciz ", RTC 0x"
msg_nl:      .asciz "\n"
	/* The loader takes a file under 1 KiB for a truncated bzImage. */
	.fill 1024, 1, 0
