/*
 * Debug intercepts for a guest debugger (core/vcpu_debug.h), armed with
 * HC_DEBUG, whose test debugger logs each stop ("debug stop: vcpu 0
 * <kind> at RIP <rip>") and continues; the scenario checks those lines.
 * Real mode, CS = 0: RIP is the linear address. The code the debugger
 * stops in sits at fixed addresses (.org) named by the scenarios:
 *  - 0x1800 the debugger's INT3 (planted by HC_DEBUG), 0x1801 a hardware
 *    execution breakpoint, 0x1802 a write to the watched word at 0x1a00
 *    (the stop is at 0x1808, past it);
 *  - 0x1900.. a single-stepped block with an OUT and a CPUID, which the
 *    hypervisor emulates, then the hypercall that ends the steps.
 * Checked here: the guest's own INT3 reaches its IVT handler with the
 * return address past it; while the debugger holds DR0-DR7 the guest's
 * MOV DR reads and writes its own values; after the release its DR0-DR3
 * and DR7 are what it left there; no #DB of the debugger's reaches the
 * guest; the guest's own TF traps right after an OUT the hypervisor
 * emulates.
 */
#include "payload.h"

#define DR0_VAL 0x11110000
#define DR1_VAL 0x22220000
#define DR1_NEW 0x22221000
#define DR2_VAL 0x33330000
#define DR3_VAL 0x44440000
#define DR7_VAL 0x55550400	/* conditions and lengths, nothing enabled */

#define HC_DEBUG_SW_BP 1
#define HC_DEBUG_STEP  2
#define HW_EXEC  0
#define HW_WRITE 1

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw $db_handler, 1 * 4
	movw $0, 1 * 4 + 2
	movw $bp_handler, 3 * 4
	movw $0, 3 * 4 + 2
	PUTS16(msg_start)

	/* The guest's own debug registers. */
	movl $DR0_VAL, %eax
	movl %eax, %dr0
	movl $DR1_VAL, %eax
	movl %eax, %dr1
	movl $DR2_VAL, %eax
	movl %eax, %dr2
	movl $DR3_VAL, %eax
	movl %eax, %dr3
	movl $DR7_VAL, %eax
	movl %eax, %dr7

	/* The debugger: an INT3, an execution breakpoint, a watchpoint. */
	movl $HC_DEBUG, %eax
	movl $cfg_bp, %ebx
	vmmcall
	testl %eax, %eax
	jz 1f
	PUTS16(msg_arm_failed)
	movb $1, failed
1:
	/* While it holds them, MOV DR sees and changes the guest's own. */
	movl %dr0, %eax
	cmpl $DR0_VAL, %eax
	jne 2f
	movl %dr7, %eax
	cmpl $DR7_VAL, %eax
	jne 2f
	movl $DR1_NEW, %eax
	movl %eax, %dr1
	PUTS16(msg_shadow_ok)
	jmp 3f
2:	PUTS16(msg_shadow_bad)
	movb $1, failed
3:
	call sites
	cmpw $0x1234, watch_var
	je 4f
	PUTS16(msg_watch_bad)
	movb $1, failed
4:
	/* The guest's own INT3: its handler, returning past it. */
own_int3:
	int3
	cmpw $own_int3 + 1, bp_ret
	jne 5f
	PUTS16(msg_own_bp_ok)
	jmp 6f
5:	PUTS16(msg_own_bp_bad)
	movb $1, failed
6:
	/* Released: the guest's values are back in the registers. */
	movl $HC_DEBUG, %eax
	movl $cfg_off, %ebx
	vmmcall
	movl %dr0, %eax
	cmpl $DR0_VAL, %eax
	jne 7f
	movl %dr1, %eax
	cmpl $DR1_NEW, %eax
	jne 7f
	movl %dr2, %eax
	cmpl $DR2_VAL, %eax
	jne 7f
	movl %dr3, %eax
	cmpl $DR3_VAL, %eax
	jne 7f
	movl %dr7, %eax
	cmpl $DR7_VAL, %eax
	jne 7f
	PUTS16(msg_dr_ok)
	jmp 8f
7:	PUTS16(msg_dr_bad)
	movb $1, failed
8:
	/* Single steps; the block ends them itself. */
	movl $HC_DEBUG, %eax
	movl $cfg_step, %ebx
	vmmcall
	call step_block
	PUTS16(msg_step_done)

	/*
	 * No debugger: the guest's own TF over an OUT the hypervisor
	 * emulates traps right after the OUT, as on the bare CPU (TF set by
	 * POPF takes effect after the next instruction).
	 */
	movb $1, db_own
	pushfw
	popw %ax
	orw $0x100, %ax
	pushw %ax
	popfw
	outb %al, $0x80
own_after_out:
	movb $0, db_own
	cmpw $1, db_own_count
	jne 11f
	cmpw $own_after_out, db_own_ret
	jne 11f
	PUTS16(msg_own_tf_ok)
	jmp 12f
11:	PUTS16(msg_own_tf_bad)
	movb $1, failed
12:

	cmpw $0, db_count
	je 9f
	PUTS16(msg_db_leak)
	movb $1, failed
9:	cmpb $0, failed
	jne 10f
	PUTS16(msg_pass)
	EXIT16(0)
	hlt
10:	EXIT16(1)
	hlt

/* #DB, #BP in real mode: no error code. */
db_handler:
	cmpb $0, db_own
	jne 1f
	incw db_count
	iret
1:	/* The guest's own step: note where, and stop stepping. */
	incw db_own_count
	pushw %bp
	movw %sp, %bp
	pushw %ax
	movw 2(%bp), %ax
	movw %ax, db_own_ret
	andw $~0x100, 6(%bp)
	popw %ax
	popw %bp
	iret
bp_handler:
	pushw %bp
	movw %sp, %bp
	pushw %ax
	movw 2(%bp), %ax
	movw %ax, bp_ret
	popw %ax
	popw %bp
	iret

DEFINE_PUTS16

	.p2align 2
cfg_bp:
	.long HC_DEBUG_SW_BP, sw_bp_site
	.long hw_exec_site
	.byte HW_EXEC, 1, 1, 0
	.long watch_var
	.byte HW_WRITE, 2, 1, 0
	.long 0, 0, 0, 0
cfg_off:
	.long 0, 0
	.long 0, 0, 0, 0, 0, 0, 0, 0
cfg_step:
	.long HC_DEBUG_STEP, 0
	.long 0, 0, 0, 0, 0, 0, 0, 0

bp_ret:     .word 0
db_count:   .word 0
db_own_count: .word 0
db_own_ret: .word 0
failed:     .byte 0
db_own:     .byte 0

msg_start:      .asciz "debug_intercepts: start\n"
msg_arm_failed: .asciz "FAIL debug_intercepts: HC_DEBUG refused\n"
msg_shadow_ok:  .asciz "PASS debug_intercepts: MOV DR sees the guest's own values while the debugger holds them\n"
msg_shadow_bad: .asciz "FAIL debug_intercepts: MOV DR saw the debugger's values\n"
msg_watch_bad:  .asciz "FAIL debug_intercepts: the watched write did not happen\n"
msg_own_bp_ok:  .asciz "PASS debug_intercepts: the guest's own INT3 reached its handler, return address past it\n"
msg_own_bp_bad: .asciz "FAIL debug_intercepts: the guest's own INT3 went wrong\n"
msg_dr_ok:      .asciz "PASS debug_intercepts: DR0-DR3 and DR7 intact after the debugger released them\n"
msg_dr_bad:     .asciz "FAIL debug_intercepts: the guest's debug registers changed\n"
msg_step_done:  .asciz "debug_intercepts: steps done\n"
msg_own_tf_ok:  .asciz "PASS debug_intercepts: the guest's own TF trapped right after an emulated OUT\n"
msg_own_tf_bad: .asciz "FAIL debug_intercepts: the guest's own TF over an emulated OUT went wrong\n"
msg_db_leak:    .asciz "FAIL debug_intercepts: a #DB reached the guest\n"
msg_pass:       .asciz "PASS debug_intercepts: done\n"

	/* Fixed addresses: the scenarios name them. */
	.org 0x800
sites:
sw_bp_site:			/* 0x1800 */
	nop
hw_exec_site:			/* 0x1801 */
	nop
	movw $0x1234, watch_var	/* 0x1802, 6 bytes */
	ret			/* 0x1808 */

	.org 0x900
step_block:			/* 0x1900 */
	nop
	movb $0x55, %al		/* 0x1901 */
	outb %al, $0x80		/* 0x1903 */
	xorl %eax, %eax		/* 0x1905 */
	cpuid			/* 0x1908 */
	incw %bx		/* 0x190a */
	movl $HC_DEBUG, %eax	/* 0x190b */
	movl $cfg_off, %ebx	/* 0x1911 */
	vmmcall			/* 0x1917: steps end */
	ret

	.org 0xa00
watch_var:			/* 0x1a00 */
	.word 0
