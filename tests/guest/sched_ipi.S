/*
 * The scheduler's IPI paths, timed with the TSC inside the guest: two
 * vCPUs ping-pong through HLT and IPIs (HC_IPI, the payload platform's
 * inter-processor interrupt), beside the plain VM-exit round trip.
 *
 *  1. exits:    vCPU 0 times N_EXITS CPUIDs (each one VM exit and entry).
 *  2. halted:   N_HALTED round trips: vCPU 0 stores the TSC, sends V_PING
 *               to vCPU 1 and halts; vCPU 1, halted, wakes into its
 *               handler, whose first instruction reads the TSC (the
 *               wake-up latency: from before the IPI to there), sends
 *               V_PONG back and halts again.
 *  3. spinning: N_SPINNING round trips the same way, but vCPU 1 spins
 *               (PAUSE, IF set) between them instead of halting.
 * Each timed phase starts with one round trip that is not counted (vCPU 1
 * changes from one way of waiting to the other there).
 *
 * The scenario's CPUs decide what is measured: on one host CPU (-smp 1)
 * a halted round trip is two switches between the vCPUs' threads; on two
 * the vCPUs run on CPUs of their own (the placement of docs/config.md)
 * and the same numbers are a cross-CPU wake-up. Under QEMU TCG the
 * guest's TSC is the host's, so the cycles are host cycles of emulation.
 *
 * Checked in the guest: every IPI sent arrived and was answered; an IPI
 * that gets no answer for WDOG_US (vCPU 0's one-shot timer as a watchdog,
 * re-armed while answers come) ends the VM with a FAIL line naming the
 * counts. vCPU 1's code between its interrupts uses no register: its
 * handler saves none.
 */
#include "payload.h"

#define NR_VCPUS   2
#define N_EXITS    2000
#define N_HALTED   500
#define N_SPINNING 100
#define V_PING     0x40		/* vCPU 0 -> vCPU 1 */
#define V_PONG     0x41		/* vCPU 1 -> vCPU 0 */
#define V_WDOG     0x42		/* vCPU 0's watchdog */
#define WDOG_US    5000000
#define MODE_HALT  0
#define MODE_SPIN  1

#define IDT_GATE(handler)			\
	.word handler;				\
	.word SEL_CODE32;			\
	.word 0x8e00;				\
	.word 0

PAYLOAD_HEADER(NR_VCPUS, 16)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %si, %bx			/* vCPU index, kept in EBX */
	PROTECTED_MODE(pm32)
	movzwl %bx, %ebx
	movl $0x8000, %esp
	movl %ebx, %eax
	shll $8, %eax
	subl %eax, %esp			/* a stack per vCPU */
	lidt idt_desc
	testl %ebx, %ebx
	jnz vcpu1

	PUTS32(msg_start)
1:	pause				/* vCPU 1 ready to take interrupts */
	cmpl $1, ready
	jne 1b

	/* 1. The plain exit. */
	rdtsc
	movl %eax, t0
	movl %edx, t0 + 4
	movl $N_EXITS, %edi
2:	xorl %eax, %eax
	xorl %ecx, %ecx
	cpuid
	decl %edi
	jnz 2b
	rdtsc
	subl t0, %eax
	sbbl t0 + 4, %edx
	movl $N_EXITS, %ecx
	call div_clamp
	pushl %eax
	PUTS32(msg_exit)
	popl %eax
	call putdec
	PUTS32(msg_exit_mid)
	movl $N_EXITS, %eax
	call putdec
	PUTS32(msg_exit_end)

	/* The watchdog, then 2. and 3. */
	movl $HC_TIMER_ONESHOT, %eax
	movl $WDOG_US, %ebx
	movl $V_WDOG, %ecx
	vmmcall
	testl %eax, %eax
	jnz fail_hc

	movl $MODE_HALT, mode
	movl $N_HALTED, %edi
	call phase
	PUTS32(msg_halted)
	movl $N_HALTED, %ecx
	call print_phase

	movl $MODE_SPIN, mode
	movl $N_SPINNING, %edi
	call phase
	movl $MODE_HALT, mode		/* vCPU 1 halts from its next check on */
	PUTS32(msg_spinning)
	movl $N_SPINNING, %ecx
	call print_phase

	/* Every IPI arrived: as many pings received and answers as sent. */
	movl sent, %eax
	cmpl %eax, pings
	jne fail_count
	cmpl %eax, pongs
	jne fail_count
	cmpl $0, pong_errors
	jne fail_count
	PUTS32(msg_pass)
	movl sent, %eax
	call putdec
	PUTS32(msg_pass_end)
	movb $0, %al
	outb %al, $PORT_EXIT
	hlt

fail_hc:
	PUTS32(msg_fail_hc)
	jmp fail_exit
fail_lost:
	PUTS32(msg_fail_lost)
	call print_counts
	jmp fail_exit
fail_count:
	PUTS32(msg_fail_count)
	call print_counts
fail_exit:
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

/* "sent S, vCPU 1 received P, answers A, failed answers E\n". */
print_counts:
	PUTS32(msg_sent)
	movl sent, %eax
	call putdec
	PUTS32(msg_received)
	movl pings, %eax
	call putdec
	PUTS32(msg_answers)
	movl pongs, %eax
	call putdec
	PUTS32(msg_errors)
	movl pong_errors, %eax
	call putdec
	PUTS32(msg_nl)
	ret

/*
 * One warm-up round trip, then EDI timed ones: their total TSC cycles in
 * t1 (64 bits), vCPU 1's summed latencies in lat_sum.
 */
phase:
	call round_trip
	movl $0, lat_sum
	movl $0, lat_sum + 4
	rdtsc
	movl %eax, t0
	movl %edx, t0 + 4
3:	call round_trip
	decl %edi
	jnz 3b
	rdtsc
	subl t0, %eax
	sbbl t0 + 4, %edx
	movl %eax, t1
	movl %edx, t1 + 4
	ret

/*
 * The TSC into t_send, V_PING to vCPU 1, HLT until its answer. Clobbers
 * EAX, EBX, ECX, EDX, ESI.
 */
round_trip:
	movl pongs, %esi
	rdtsc
	movl %eax, t_send
	movl %edx, t_send + 4
	movl $HC_IPI, %eax
	movl $1, %ebx
	movl $V_PING, %ecx
	vmmcall
	testl %eax, %eax
	jnz fail_hc
	incl sent
4:	cli				/* sti; hlt: no answer lost in between */
	cmpb $0, wdog_fired
	jne fail_lost
	cmpl %esi, pongs
	jne 5f
	sti
	hlt
	jmp 4b
5:	sti
	ret

/* "R cycles per round trip, L cycles from the IPI to vCPU 1's handler (ECX round trips)". */
print_phase:
	pushl %ecx
	movl t1, %eax
	movl t1 + 4, %edx
	call div_clamp
	call putdec
	PUTS32(msg_per_trip)
	movl (%esp), %ecx
	movl lat_sum, %eax
	movl lat_sum + 4, %edx
	call div_clamp
	call putdec
	PUTS32(msg_latency)
	popl %eax
	call putdec
	PUTS32(msg_trips)
	ret

/* EAX = EDX:EAX / ECX, or 0xffffffff when the quotient needs more bits. */
div_clamp:
	cmpl %ecx, %edx
	jae 1f
	divl %ecx
	ret
1:	movl $0xffffffff, %eax
	ret

/* EAX in decimal on the console; keeps every register. */
putdec:
	pushal
	movl $10, %ecx
	xorl %ebx, %ebx
1:	xorl %edx, %edx
	divl %ecx
	addb $0x30, %dl		/* '0' */
	pushl %edx
	incl %ebx
	testl %eax, %eax
	jnz 1b
2:	popl %eax
	outb %al, $PORT_CONSOLE
	decl %ebx
	jnz 2b
	popal
	ret

vcpu1:
	sti
	movl $1, ready
6:	cmpl $MODE_SPIN, mode
	je 7f
	hlt
	jmp 6b
7:	pause
	cmpl $MODE_SPIN, mode
	je 7b
	jmp 6b

/* vCPU 1: the TSC first, then the latency, the count and the answer. */
ping_isr:
	rdtsc
	subl t_send, %eax
	sbbl t_send + 4, %edx
	addl %eax, lat_sum
	adcl %edx, lat_sum + 4
	incl pings
	movl $HC_IPI, %eax
	xorl %ebx, %ebx
	movl $V_PONG, %ecx
	vmmcall
	testl %eax, %eax
	jz 1f
	incl pong_errors
1:	iret

/* vCPU 0. */
pong_isr:
	incl pongs
	iret

/* vCPU 0: while answers come, re-arm; a whole period without one: fail. */
wdog_isr:
	pushal
	movl pongs, %eax
	cmpl %eax, wdog_seen
	je 1f
	movl %eax, wdog_seen
	movl $HC_TIMER_ONESHOT, %eax
	movl $WDOG_US, %ebx
	movl $V_WDOG, %ecx
	vmmcall
	jmp 2f
1:	movb $1, wdog_fired
2:	popal
	iret

DEFINE_PUTS32
DEFINE_GDT

/* Vectors below V_PING are not present: any of them ends in a triple fault. */
	.p2align 3
idt:
	.fill V_PING * 8, 1, 0
	IDT_GATE(ping_isr)
	IDT_GATE(pong_isr)
	IDT_GATE(wdog_isr)
idt_end:
idt_desc:
	.word idt_end - idt - 1
	.long idt

	.p2align 3
t0:          .quad 0
t1:          .quad 0
t_send:      .quad 0
lat_sum:     .quad 0
ready:       .long 0
mode:        .long MODE_HALT
sent:        .long 0
pings:       .long 0
pongs:       .long 0
pong_errors: .long 0
wdog_seen:   .long 0
wdog_fired:  .byte 0

msg_start:      .asciz "sched_ipi: 2 vCPUs; CPUID exits, then IPI round trips with vCPU 1 halted and spinning\n"
msg_exit:       .asciz "sched_ipi: exit: "
msg_exit_mid:   .asciz " cycles per CPUID exit ("
msg_exit_end:   .asciz " exits)\n"
msg_halted:     .asciz "sched_ipi: halted: "
msg_spinning:   .asciz "sched_ipi: spinning: "
msg_per_trip:   .asciz " cycles per round trip, "
msg_latency:    .asciz " cycles from the IPI to vCPU 1's handler ("
msg_trips:      .asciz " round trips)\n"
msg_pass:       .asciz "PASS sched_ipi: every IPI arrived and was answered ("
msg_pass_end:   .asciz " each way)\n"
msg_fail_hc:    .asciz "FAIL sched_ipi: HC_IPI or HC_TIMER_ONESHOT returned an error\n"
msg_fail_lost:  .asciz "FAIL sched_ipi: no answer from vCPU 1 for 5 s: "
msg_fail_count: .asciz "FAIL sched_ipi: IPIs lost: "
msg_sent:       .asciz "sent "
msg_received:   .asciz ", vCPU 1 received "
msg_answers:    .asciz ", answers "
msg_errors:     .asciz ", failed answers "
msg_nl:         .asciz "\n"
