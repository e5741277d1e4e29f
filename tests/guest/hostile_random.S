/*
 * A hostile guest: for a fixed number of iterations, from a fixed seed
 * (xorshift64), in 64-bit ring 0:
 *
 *  1. executes 16 random bytes, followed by 15 NOPs (any instruction that
 *     runs over the end ends inside them) and a jump back. Every register
 *     points into a writable scratch page, and the stack page is filled
 *     with the address to come back to, so a RET comes back too;
 *  2. reads or writes a random I/O port (byte, word or dword);
 *  3. reads or writes a random MSR (one of a list of interesting ones, or
 *     a random index), with a random value;
 *  4. on the virtual PC only: reads or writes a random register of the
 *     local APIC or the IOAPIC (through IOREGSEL/IOWIN).
 *
 * Every vector of the IDT, exceptions and interrupts alike, goes to one
 * handler on its own IST stack (valid whatever RSP the random bytes left)
 * that resets the stack, the segments and the flags and goes on with the
 * next step. A watchdog interrupt (the test-payload one-shot hypercall, or
 * the local APIC timer on the PC) ends random code that loops. The
 * hypercall is VMCALL on Intel, VMMCALL elsewhere: VT-x takes VMMCALL as
 * a hypercall only from a guest without paging (vmx/vmx_exit.c).
 *
 * The guest maps only its own pages and, on the PC, the two APIC pages: a
 * random address is a #PF inside the guest, not an access outside every
 * memslot. Only the scratch pages and the IST stack are writable, and
 * the random code runs with CR0.WP set, so it cannot overwrite the
 * payload's code, tables or variables (the payload writes them with WP
 * clear).
 *
 * Left out, because they would end the test instead of testing: the
 * bytes of HLT and CLI (a guest that halts with interrupts off just sits,
 * which is allowed but stops the iterations), INS/OUTS (left out from
 * when string I/O stopped the VM; it is emulated now), writes to the ports
 * that end the VM (0xF4 on the test-payload platform; ACPI PM1 control,
 * 0xCF9, 0x64, 0x92 on the PC), the console ports (0xE9, COM1), and INIT
 * and SIPI as delivery modes of the ICR and the IOAPIC's redirection
 * entries (they would reset the vCPU that runs the loop).
 *
 * The number of iterations is the dword at file offset 18 (a scenario
 * patches it with mkfile). It runs as a test payload (console 0xE9, ends
 * through port 0xF4) and as the kernel of a vms.cfg VM (console COM1, ends
 * through ACPI S5): it tells the two apart by the PM timer at port 0x608,
 * which reads all ones on the test-payload platform. Its last line is
 * "hostile_random: done, N iterations, M exceptions and interrupts".
 */
#include "payload.h"

#define ITERATIONS  4096
#define SEED        0x9e3779b97f4a7c15

#define PML4        0x10000
#define PDPT        0x11000
#define PD0         0x12000
#define PT0         0x13000
#define PD3         0x14000
#define PT_IOAPIC   0x15000
#define PT_LAPIC    0x16000
#define IDT         0x17000
#define TSS         0x18000
#define VARS        0x19000		/* read-write */
#define STACK_TOP   0x1b000		/* page 0x1a: the IST and main stack */
#define BUF         0x20000		/* read-write scratch: the code */
#define RSTACK      0x21000		/* read-write scratch: its stack */
#define REGVAL      0x21800		/* every register of the random code */

#define V_SEED      (VARS + 0x00)
#define V_ITER      (VARS + 0x08)
#define V_FAULTS    (VARS + 0x10)
#define V_RESUME    (VARS + 0x18)
#define V_PC        (VARS + 0x20)
#define V_LAPICW    (VARS + 0x28)
#define V_INTEL     (VARS + 0x30)

#define LAPIC       0xfee00000
#define IOAPIC      0xfec00000
#define WD_VECTOR   0x40
#define WD_US       1000
#define WD_COUNT    1000000		/* 1 ms on the 1 GHz APIC bus clock */

#define SEL_TSS     0x20
#define CR0_WP      0x10000
#define PM_TIMER    0x608
#define PM1A_CNT    0x604
#define SLP_S5_EN   0x3400

	PAYLOAD_HEADER(1, 0)
	jmp 1f
iterations:
	.long ITERATIONS		/* file offset 18 */
1:	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	PROTECTED_MODE(pm32)

	/* Zero the tables, the variables, the stacks and the scratch pages. */
	xorl %eax, %eax
	movl $PML4, %edi
	movl $(0x22000 - PML4) / 4, %ecx
	rep stosl

	movl $PM_TIMER, %edx
	inl %dx, %eax
	cmpl $0xffffffff, %eax
	setne V_PC
	movl $(SEED & 0xffffffff), V_SEED
	movl $(SEED >> 32), V_SEED + 4

	movl $(PDPT | 3), PML4
	movl $(PD0 | 3), PDPT
	movl $(PD3 | 3), PDPT + 3 * 8
	movl $(PT0 | 3), PD0
	/*
	 * Pages 1 .. 0x21: present; writable only the IST stack and the
	 * scratch pages. The payload's own code writes its variables with
	 * CR0.WP clear; the random code runs with WP set.
	 */
	movl $1, %ecx
2:	movl %ecx, %eax
	shll $12, %eax
	orl $1, %eax
	cmpl $(STACK_TOP >> 12) - 1, %ecx
	je 4f
	cmpl $BUF >> 12, %ecx
	jb 3f
4:	orl $2, %eax
3:	movl %eax, PT0(, %ecx, 8)
	incl %ecx
	cmpl $0x22, %ecx
	jb 2b
	cmpb $0, V_PC
	je 5f
	movl $(PT_IOAPIC | 3), PD3 + ((IOAPIC - 0xc0000000) >> 21) * 8
	movl $(PT_LAPIC | 3), PD3 + ((LAPIC - 0xc0000000) >> 21) * 8
	movl $(IOAPIC | 0x13), PT_IOAPIC	/* present, writable, uncached */
	movl $(LAPIC | 0x13), PT_LAPIC
5:
	/* IDT: all 256 vectors to recover, interrupt gates on IST 1. */
	xorl %ecx, %ecx
6:	movl %ecx, %edi
	shll $4, %edi
	addl $IDT, %edi
	movw $recover, (%edi)
	movw $SEL_CODE64, 2(%edi)
	movw $0x8e01, 4(%edi)
	incl %ecx
	cmpl $256, %ecx
	jb 6b
	movl $STACK_TOP, TSS + 0x24	/* IST1 */
	movl $STACK_TOP, TSS + 4	/* RSP0 */

	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $PML4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x100, %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000000, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $lm64

	.code64
lm64:
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq $STACK_TOP, %rsp
	lidt idt_desc
	movw $SEL_TSS, %ax
	ltr %ax
	movq $1, V_LAPICW		/* program the APIC timer before the first use */
	movq $setup_fault, V_RESUME
	xorl %eax, %eax
	cpuid
	cmpl $0x756e6547, %ebx		/* "Genu": VMCALL is the hypercall */
	sete V_INTEL

	movl $msg_start, %esi
	call puts
	movl iterations, %eax
	call puthex
	cmpb $0, V_PC
	jne 1f
	movl $msg_payload, %esi
	jmp 2f
1:	movl $msg_pc, %esi
2:	call puts

iter_loop:
	movl iterations, %eax
	cmpq %rax, V_ITER
	jae done
	incq V_ITER
	testq $0x3ff, V_ITER
	jnz 1f
	movl $msg_iter, %esi
	call puts
	movq V_ITER, %rax
	call puthex
	movl $msg_faults, %esi
	call puts
	movq V_FAULTS, %rax
	call puthex
	movl $msg_nl, %esi
	call puts
1:
	/* 1: random code. */
	call gen_code
	movl $RSTACK, %edi
	movq $code_done, %rax
	movl $512, %ecx
	rep stosq
	call arm_watchdog
	movq $code_done, V_RESUME
	movq %cr0, %rax
	orq $CR0_WP, %rax		/* the read-only pages stay so in ring 0 */
	movq %rax, %cr0
	movq $REGVAL, %rsp
	pushq $BUF
	pushq $2
	popfq
	movl $REGVAL, %eax
	movl %eax, %ebx
	movl %eax, %ecx
	movl %eax, %edx
	movl %eax, %esi
	movl %eax, %edi
	movl %eax, %ebp
	movl %eax, %r8d
	movl %eax, %r9d
	movl %eax, %r10d
	movl %eax, %r11d
	movl %eax, %r12d
	movl %eax, %r13d
	movl %eax, %r14d
	movl %eax, %r15d
	sti
	ret

code_done:
	call reset_cpu

	/* 2: a random port. */
	movq $port_done, V_RESUME
	call rand
	movq %rax, %rbx
	movl %ebx, %edx
	andl $0xffff, %edx		/* DX: the port */
	movl %ebx, %ecx
	shrl $16, %ecx
	andl $3, %ecx			/* 0: byte, 1: word, 2: dword, 3: byte */
	call port_forbidden
	jc port_done
	movq %rbx, %rax
	shrq $32, %rax			/* the value */
	btl $18, %ebx
	jc 3f
	cmpl $1, %ecx
	je 1f
	cmpl $2, %ecx
	je 2f
	inb %dx, %al
	jmp port_done
1:	inw %dx, %ax
	jmp port_done
2:	inl %dx, %eax
	jmp port_done
3:	cmpl $1, %ecx
	je 1f
	cmpl $2, %ecx
	je 2f
	outb %al, %dx
	jmp port_done
1:	outw %ax, %dx
	jmp port_done
2:	outl %eax, %dx
port_done:
	call reset_cpu

	/* 3: a random MSR. */
	movq $msr_done, V_RESUME
	call rand
	movq %rax, %rbx
	movq %rax, %rcx
	shrq $32, %rcx			/* a random index, a quarter of the time */
	testl $3, %ebx
	jz 1f
	movl %ebx, %eax
	shrl $8, %eax
	andl $31, %eax
	movl msr_table(, %eax, 4), %ecx
1:	btl $2, %ebx
	jc 2f
	rdmsr
	jmp msr_done
2:	call rand
	movq %rax, %rdx
	shrq $32, %rdx
	wrmsr
msr_done:
	call reset_cpu

	/* 4: a random APIC or IOAPIC register (the PC only). */
	cmpb $0, V_PC
	je iter_loop
	movq $mmio_done, V_RESUME
	call rand
	movq %rax, %rbx
	movq %rax, %rdx
	shrq $32, %rdx			/* EDX: the value to write */
	btl $0, %ebx
	jc ioapic
	movl %ebx, %edi
	shrl $8, %edi
	andl $0xff0, %edi
	addl $LAPIC, %edi
	btl $1, %ebx
	jc 1f
	movl (%rdi), %eax
	jmp mmio_done
1:	cmpl $LAPIC + 0x300, %edi	/* the ICR: no INIT, no SIPI */
	jne 2f
	movl %edx, %eax
	shrl $8, %eax
	andl $7, %eax
	cmpl $5, %eax
	jb 2f
	cmpl $6, %eax
	ja 2f
	andl $~0x400, %edx
2:	movq $1, V_LAPICW
	movl %edx, (%rdi)
	jmp mmio_done
ioapic:
	movl %ebx, %eax
	shrl $8, %eax
	andl $0x3f, %eax		/* the register index */
	movl $IOAPIC, %edi
	movl %eax, (%rdi)
	btl $1, %ebx
	jc 1f
	movl 0x10(%rdi), %eax
	jmp mmio_done
1:	cmpl $0x10, %eax		/* a redirection entry's low half: no INIT */
	jb 2f
	testl $1, %eax
	jnz 2f
	movl %edx, %ecx
	shrl $8, %ecx
	andl $7, %ecx
	cmpl $5, %ecx
	jne 2f
	andl $~0x400, %edx
2:	movl %edx, 0x10(%rdi)
mmio_done:
	call reset_cpu
	jmp iter_loop

done:
	movl $msg_done, %esi
	call puts
	movq V_ITER, %rax
	call puthex
	movl $msg_iters, %esi
	call puts
	movq V_FAULTS, %rax
	call puthex
	movl $msg_taken, %esi
	call puts
	cmpb $0, V_PC
	jne 1f
	xorl %eax, %eax
	outb %al, $PORT_EXIT
	jmp 2f
1:	movl $PM1A_CNT, %edx
	movl $SLP_S5_EN, %eax
	outw %ax, %dx
2:	movl $msg_still, %esi
	call puts
3:	hlt
	jmp 3b

setup_fault:
	movl $msg_setup, %esi
	call puts
	movb $1, %al
	outb %al, $PORT_EXIT
1:	hlt
	jmp 1b

/*
 * Every vector: back on the IST stack (the CPU put the frame there),
 * EOI on the PC, counted, then the step after the one that faulted.
 */
recover:
	movq $STACK_TOP, %rsp
	movq %cr0, %rax
	andq $~CR0_WP, %rax
	movq %rax, %cr0
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	incq V_FAULTS
	cmpb $0, V_PC
	je 1f
	movl $LAPIC, %eax
	movl $0, 0xb0(%rax)
1:	jmpq *V_RESUME

/* After a step: interrupts off, the main stack, segments, flags, tables. */
reset_cpu:
	popq %rcx
	cli
	movq $STACK_TOP, %rsp
	pushq %rcx
	movq %cr0, %rax
	andq $~CR0_WP, %rax
	movq %rax, %cr0
	movl $SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	pushq $2
	popfq
	lgdt gdt_desc64
	lidt idt_desc
	ret

/* Re-arms the watchdog (and re-programs the APIC if a step wrote to it). */
arm_watchdog:
	cmpb $0, V_PC
	jne 1f
	movl $HC_TIMER_ONESHOT, %eax
	movl $WD_US, %ebx
	movl $WD_VECTOR, %ecx
	cmpb $0, V_INTEL
	jne 3f
	vmmcall
	ret
3:	vmcall
	ret
1:	cmpq $0, V_LAPICW
	je 2f
	movq $0, V_LAPICW
	movl $LAPIC, %eax
	movl $0x1ff, 0xf0(%rax)		/* enabled, spurious vector 0xff */
	movl $0, 0x80(%rax)		/* TPR */
	movl $0xb, 0x3e0(%rax)		/* divide by 1 */
	movl $WD_VECTOR, 0x320(%rax)	/* one-shot, unmasked */
2:	movl $LAPIC, %eax
	movl $WD_COUNT, 0x380(%rax)
	ret

/* 16 random bytes, 15 NOPs, jmp *code_done(%rip). */
gen_code:
	movl $BUF, %edi
	movl $16, %ecx
1:	testl $7, %ecx
	jnz 2f
	pushq %rcx
	call rand
	popq %rcx
	movq %rax, %rbx
2:	movb %bl, %al
	shrq $8, %rbx
	cmpb $0xf4, %al			/* HLT */
	je 3f
	cmpb $0xfa, %al			/* CLI */
	je 3f
	movb %al, %dl
	andb $0xfc, %dl
	cmpb $0x6c, %dl			/* INS, OUTS */
	jne 4f
3:	movb $0x90, %al
4:	stosb
	decl %ecx
	jnz 1b
	movb $0x90, %al
	movl $15, %ecx
	rep stosb
	movw $0x25ff, (%rdi)
	movl $0, 2(%rdi)
	movq $code_done, %rax
	movq %rax, 6(%rdi)
	ret

/* xorshift64 of V_SEED; the new value in RAX. Clobbers RDX. */
rand:
	movq V_SEED, %rax
	movq %rax, %rdx
	shlq $13, %rdx
	xorq %rdx, %rax
	movq %rax, %rdx
	shrq $7, %rdx
	xorq %rdx, %rax
	movq %rax, %rdx
	shlq $17, %rdx
	xorq %rdx, %rax
	movq %rax, V_SEED
	ret

/* CF set if any byte of the access at DX (ECX: size code) is forbidden. */
port_forbidden:
	pushq %rdx
	movl $1, %esi
	cmpl $1, %ecx
	jne 1f
	movl $2, %esi
1:	cmpl $2, %ecx
	jne 2f
	movl $4, %esi
2:	movl $forbidden_payload, %edi
	cmpb $0, V_PC
	je 3f
	movl $forbidden_pc, %edi
3:	movl %edi, %eax
4:	movw (%rax), %r8w
	testw %r8w, %r8w
	jz 5f
	cmpw %r8w, %dx
	je 6f
	addl $2, %eax
	jmp 4b
5:	incw %dx
	decl %esi
	jnz 3b
	popq %rdx
	clc
	ret
6:	popq %rdx
	stc
	ret

/* puts: ESI = string; puthex: RAX in hex. Clobber RAX, RCX, RDX, RSI. */
puts:
	lodsb
	testb %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

puthex:
	movq %rax, %rdx
	movl $16, %ecx
1:	rolq $4, %rdx
	movl %edx, %eax
	andl $15, %eax
	movb hexdigits(%rax), %al
	pushq %rdx
	call putc
	popq %rdx
	decl %ecx
	jnz 1b
	ret

putc:
	cmpb $0, V_PC
	jne 1f
	outb %al, $PORT_CONSOLE
	ret
1:	pushq %rdx
	movb %al, %ah
	movl $COM1 + 5, %edx
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movb %ah, %al
	movl $COM1, %edx
	outb %al, %dx
	popq %rdx
	ret

	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff
	.quad 0x00cf92000000ffff
	.quad 0x00af9a000000ffff
	.quad 0x0000890000000067 + ((TSS & 0xffff) << 16) + ((TSS >> 16) << 32)
	.quad 0
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
gdt_desc64:
	.word gdt_end - gdt - 1
	.quad gdt
idt_desc:
	.word 256 * 16 - 1
	.quad IDT

	.p2align 2
msr_table:
	.long 0x10, 0x1b, 0x3a, 0x8b, 0xfe, 0x174, 0x175, 0x176
	.long 0x179, 0x17a, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x6e0, 0x802
	.long 0x808, 0x80b, 0x830, 0x838, 0x480, 0xc0000080, 0xc0000081, 0xc0000082
	.long 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010114, 0xc0010117
forbidden_payload:
	.word PORT_CONSOLE, PORT_EXIT, 0
forbidden_pc:
	.word PM1A_CNT, PM1A_CNT + 1, 0xcf9, 0x64, 0x92
	.word COM1, COM1 + 1, COM1 + 2, COM1 + 3, COM1 + 4, COM1 + 5, COM1 + 6, COM1 + 7, 0

hexdigits:   .ascii "0123456789abcdef"
msg_start:   .asciz "hostile_random: 0x"
msg_payload: .asciz " iterations of random code, ports and MSRs (test-payload platform)\n"
msg_pc:      .asciz " iterations of random code, ports, MSRs and APIC/IOAPIC registers (virtual PC)\n"
msg_iter:    .asciz "hostile_random: iteration 0x"
msg_faults:  .asciz ", exceptions and interrupts 0x"
msg_nl:      .asciz "\n"
msg_done:    .asciz "hostile_random: done, 0x"
msg_iters:   .asciz " iterations, 0x"
msg_taken:   .asciz " exceptions and interrupts\n"
msg_setup:   .asciz "FAIL hostile_random: exception outside the random steps\n"
msg_still:   .asciz "FAIL hostile_random: still running after the request to end\n"
