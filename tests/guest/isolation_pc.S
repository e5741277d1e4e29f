/*
 * Isolation probe on the virtual PC: the kernel of a vms.cfg VM with 32 MiB
 * of RAM, started after the test payloads isolation_a.bin and
 * isolation_b.bin (on frames A had; the scenario checks the overlap from
 * the log). Prints through COM1, as pc_port_garbage.S does.
 *
 * 1. Reads every dword of the local APIC's page (0xfee00000): bytes 4-15
 *    of each register, the reserved registers and everything from 0x400
 *    on read 0; the version register answers.
 * 2. Reads every dword of the IOAPIC's page (0xfec00000): all 0 but the
 *    index and the window; the version register answers through them.
 * 3. Searches all of its RAM for isolation_a's marker and the hypervisor's
 *    banner (kept here with each byte plus one, as in isolation_b.S).
 *    RAM is not checked for zeros here: the PC's firmware tables are in it.
 * 4. Last, reads the first dword past its RAM: with unbacked=stop the VM
 *    stops there; by default it reads all ones (open bus), and the VM
 *    powers off through ACPI S5.
 */
#include "payload.h"

#define RAM_END     (32 << 20)
#define LAPIC       0xfee00000
#define IOAPIC      0xfec00000
#define LAPIC_LVR   0x30
#define PM1A_CNT    0x604
#define SLP_S5_EN   0x3400

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
	PUTS(msg_start)

	/* 1. The local APIC's page. */
	xorl %ecx, %ecx			/* offset */
1:	movl LAPIC(%ecx), %eax
	testl %eax, %eax
	jz 2f
	testl $0xf, %ecx		/* bytes 4-15 of a register */
	jnz lapic_bad
	cmpl $0x400, %ecx
	jae lapic_bad
	movl %ecx, %edx
	shrl $4, %edx
	btl %edx, lapic_regs		/* a register of the xAPIC */
	jnc lapic_bad
2:	addl $4, %ecx
	cmpl $0x1000, %ecx
	jb 1b
	movl LAPIC + LAPIC_LVR, %eax
	testb %al, %al
	jz lapic_bad_lvr
	movl %eax, %ebx
	PUTS(msg_lapic_lvr)
	movl %ebx, %eax
	call puthex32
	PUTS(msg_lapic_pass)

	/* 2. The IOAPIC's page: index at 0x00, window at 0x10. */
	xorl %ecx, %ecx
1:	movl IOAPIC(%ecx), %eax
	cmpl $0x00, %ecx
	je 2f
	cmpl $0x10, %ecx
	je 2f
	testl %eax, %eax
	jnz ioapic_bad
2:	addl $4, %ecx
	cmpl $0x1000, %ecx
	jb 1b
	movl $1, IOAPIC			/* the version register */
	movl IOAPIC + 0x10, %eax
	testb %al, %al
	jz ioapic_bad_ver
	movl %eax, %ebx
	PUTS(msg_ioapic_ver)
	movl %ebx, %eax
	call puthex32
	PUTS(msg_ioapic_pass)

	/* 3. RAM. */
	movl $marker_enc, %esi
	movl $16, %ecx
	call search
	PUTS(msg_marker_pass)
	movl $banner_enc, %esi
	movl $banner_len, %ecx
	call search
	PUTS(msg_banner_pass)

	/* 4. Past the end of RAM: unbacked=stop stops the VM here. */
	PUTS(msg_beyond)
	movl RAM_END, %eax
	cmpl $0xffffffff, %eax
	jne beyond_bad
	PUTS(msg_beyond_pass)
	movw $PM1A_CNT, %dx
	movw $SLP_S5_EN, %ax
	outw %ax, %dx
	jmp fail
beyond_bad:
	movl %eax, %ebx
	PUTS(msg_beyond_fail)
	movl %ebx, %eax
	call puthex32
	jmp fail

lapic_bad:
	movl %eax, %ebx
	PUTS(msg_lapic_fail)
	jmp bad_at
ioapic_bad:
	movl %eax, %ebx
	PUTS(msg_ioapic_fail)
bad_at:					/* ECX the offset, EBX its value */
	movl %ecx, %eax
	call puthex32
	PUTS(msg_reads)
	movl %ebx, %eax
	call puthex32
	jmp fail
lapic_bad_lvr:
	PUTS(msg_lvr_fail)
	jmp fail
ioapic_bad_ver:
	PUTS(msg_ver_fail)
	jmp fail

/*
 * Searches RAM for the ECX-byte needle whose bytes, each plus one, are at
 * ESI; found: FAIL with the address.
 */
search:
	movl %ecx, %ebp
	movb (%esi), %al
	decb %al			/* the needle's first byte */
	xorl %edi, %edi
	movl $RAM_END, %ecx
1:	cld
	repne scasb
	jne 4f				/* not found anywhere */
	pushl %ecx
	movl $1, %ecx			/* byte 0 matched at EDI - 1 */
2:	cmpl %ebp, %ecx
	je 3f
	leal -1(%edi, %ecx), %edx
	cmpl $RAM_END, %edx
	jae 5f
	movb (%edx), %dl
	incb %dl
	cmpb (%esi, %ecx), %dl
	jne 5f
	incl %ecx
	jmp 2b
5:	popl %ecx
	jecxz 4f
	movb (%esi), %al
	decb %al
	jmp 1b
3:	popl %ecx
	PUTS(msg_found)
	leal -1(%edi), %eax
	call puthex32
	jmp fail
4:	ret

fail:
	PUTS(msg_nl)
	cli
	hlt
	jmp fail

DEFINE_PUTHEX_COM1_32

DEFINE_PUTS_COM1_32

DEFINE_GDT

	.p2align 3
/*
 * The xAPIC registers, one bit per 16-byte slot of 0x000-0x3f0: ID, LVR,
 * TPR, APR, PPR, EOI, LDR, DFR, SVR, ISR, TMR, IRR, ESR, CMCI, ICR, the
 * LVTs, TMICT, TMCCT, TDCR.
 */
lapic_regs: .long 0xffffef0c, 0x43ff81ff

/* "<HV-ISO-MARKER!>" and "hv: micro-hypervisor", each byte plus one. */
marker_enc: .byte '<'+1,'H'+1,'V'+1,'-'+1,'I'+1,'S'+1,'O'+1,'-'+1
	    .byte 'M'+1,'A'+1,'R'+1,'K'+1,'E'+1,'R'+1,'!'+1,'>'+1
banner_enc: .byte 'h'+1,'v'+1,':'+1,' '+1,'m'+1,'i'+1,'c'+1,'r'+1,'o'+1,'-'+1
	    .byte 'h'+1,'y'+1,'p'+1,'e'+1,'r'+1,'v'+1,'i'+1,'s'+1,'o'+1,'r'+1
	.set banner_len, . - banner_enc

msg_start:       .asciz "isolation_pc: reading the local APIC's and the IOAPIC's pages\n"
msg_lapic_lvr:   .asciz "isolation_pc: local APIC version register "
msg_lapic_pass:  .asciz "\nPASS isolation_pc: only the local APIC's registers answer in its page\n"
msg_ioapic_ver:  .asciz "isolation_pc: IOAPIC version register "
msg_ioapic_pass: .asciz "\nPASS isolation_pc: only the IOAPIC's index and window answer in its page\n"
msg_lapic_fail:  .asciz "FAIL isolation_pc: local APIC page offset "
msg_ioapic_fail: .asciz "FAIL isolation_pc: IOAPIC page offset "
msg_reads:       .asciz " reads "
msg_lvr_fail:    .asciz "FAIL isolation_pc: the local APIC version register reads 0"
msg_ver_fail:    .asciz "FAIL isolation_pc: the IOAPIC version register reads 0"
msg_found:       .asciz "FAIL isolation_pc: needle found at "
msg_marker_pass: .asciz "PASS isolation_pc: no marker of the earlier VM in RAM\n"
msg_banner_pass: .asciz "PASS isolation_pc: no hypervisor banner in RAM\n"
msg_beyond:      .asciz "isolation_pc: reading guest-physical 0x2000000, past RAM\n"
msg_beyond_pass: .asciz "PASS isolation_pc: the read past RAM returns all ones\n"
msg_beyond_fail: .asciz "FAIL isolation_pc: the read past RAM returned "
msg_nl:          .asciz "\n"
