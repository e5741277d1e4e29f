/*
 * String I/O on the virtual PC: the kernel of a vms.cfg VM (COM1 is the
 * PC's 16550). Real mode first, then 32-bit protected mode with paging.
 *
 * 1. REP OUTSB of a message to COM1 (the scenario expects it); CX ends
 *    at 0 and SI past the message.
 * 2. The same through an FS override (64 F3 6E), FS = 0x100.
 * 3. DF = 1: a message stored backwards, sent from its last byte.
 * 4. REP INSB and REP INSW from the CMOS data port after writing 0x5a
 *    to a scratch register: bytes 0x5a, words 0xff5a (the PC's RTC
 *    answers a word read with its byte and 0xff above), nothing past the
 *    count.
 * 5. REP INSD from the ACPI PM timer with DF = 1: DI moves down, and
 *    every value is a 24-bit count no older than the one stored above it.
 * 6. Paging on (CR0.WP set), page HOLE not present: REP INSB of 32
 *    CMOS bytes to HOLE - 16. The #PF handler checks the error code
 *    (supervisor write, not present), CR2 = HOLE, EIP at the instruction,
 *    ECX = 16, EDI = HOLE and the 16 bytes before HOLE; then maps the
 *    page and returns: the instruction completes the other 16.
 * Each step prints a PASS line, or a FAIL line and halts.
 */
#include "payload.h"

#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define CMOS_SCRATCH 0x40	/* a byte of the RTC's general-purpose RAM */
#define SCRATCH      0x5a
#define PM_TMR       0x608	/* the virtual PC's PM1a block at 0x600 */
#define STACK        0x7c00
#define PD           0x8000
#define PT           0x9000
#define BUF_SEG      0x1000	/* real-mode buffers at 0x10000 */
#define HOLE         0x20000	/* not present once paging is on */
#define PF_BUF       (HOLE - 16)
#define PTE_HOLE     (PT + (HOLE >> 12) * 4)
#define CR0_PG_WP    0x80010000

#define FAIL16(label) movw $label, %si; jmp fail16
#define FAIL32(label) movl $label, %esi; jmp fail32
#define PUTSC32(label) movl $label, %esi; call puts
#define PUTS16_COM1(label) movw $label, %si; call puts_com1

PAYLOAD_HEADER(1, 0)
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $STACK, %sp
	COM1_INIT16

	/* 1. REP OUTSB to COM1. */
	movw $msg_outsb, %si
	movw $(msg_outsb_end - msg_outsb), %cx
	movw $COM1, %dx
	rep outsb
	testw %cx, %cx
	jnz 1f
	cmpw $msg_outsb_end, %si
	je 2f
1:	FAIL16(fail_outsb)
2:	PUTS16_COM1(pass_outsb)

	/* 2. Through FS: base 0x1000, so SI is the offset from it. */
	movw $0x100, %ax
	movw %ax, %fs
	movw $(msg_fs - 0x1000), %si
	movw $(msg_fs_end - msg_fs), %cx
	movw $COM1, %dx
	.byte 0x64, 0xf3, 0x6e		/* rep outsb %fs:(%si), (%dx) */
	cmpw $(msg_fs_end - 0x1000), %si
	je 1f
	FAIL16(fail_fs)
1:
	/* 3. Backwards: the line's first byte is stored last. */
	std
	movw $(msg_back_end - 1), %si
	movw $(msg_back_end - msg_back), %cx
	movw $COM1, %dx
	rep outsb
	cld
	cmpw $(msg_back - 1), %si
	je 1f
	FAIL16(fail_back)
1:
	/* 4. The CMOS data port: a scratch register set to 0x5a. */
	movb $CMOS_SCRATCH, %al
	outb %al, $CMOS_INDEX
	movb $SCRATCH, %al
	outb %al, $CMOS_DATA
	movw $BUF_SEG, %ax
	movw %ax, %es
	xorw %di, %di
	movw $8, %cx
	movw $CMOS_DATA, %dx
	rep insb
	cmpw $8, %di
	jne 1f
	cmpb $0, %es:8
	jne 1f
	xorw %di, %di
	movw $8, %cx
	movb $SCRATCH, %al
	repe scasb
	je 2f
1:	FAIL16(fail_insb)
2:	PUTS16_COM1(pass_insb)
	movw $0x10, %di
	movw $4, %cx
	movw $CMOS_DATA, %dx
	rep insw
	cmpw $0x18, %di
	jne 1f
	movw $0x10, %di
	movw $4, %cx
	movw $(0xff00 | SCRATCH), %ax
	repe scasw
	je 2f
1:	FAIL16(fail_insw)
2:	PUTS16_COM1(pass_insw)

	/* 5. The PM timer, DF = 1: 8 dwords from ES:0x3c down to ES:0x20. */
	std
	movw $0x3c, %di
	movw $8, %cx
	movw $PM_TMR, %dx
	rep insl
	cld
	cmpw $0x1c, %di
	jne 3f
	movw $0x20, %bx
1:	movl %es:(%bx), %eax		/* read after the one above it */
	movl %es:4(%bx), %ecx
	testl $0xff000000, %eax
	jnz 3f
	subl %ecx, %eax
	andl $0xffffff, %eax
	cmpl $0x800000, %eax
	jae 3f
	addw $4, %bx
	cmpw $0x3c, %bx
	jb 1b
	testl $0xff000000, %es:0x3c
	jz 2f
3:	FAIL16(fail_insd)
2:	PUTS16_COM1(pass_insd)

	/* 6. Page tables: 0-4 MiB one to one but HOLE; then paging. */
	xorw %ax, %ax
	movw %ax, %es
	movw $PT, %di
	movl $0x3, %eax			/* present, writable */
1:	stosl
	addl $0x1000, %eax
	cmpw $(PT + 4096), %di
	jne 1b
	movl $0, PTE_HOLE
	movl $(PT | 3), PD
	PROTECTED_MODE(pm32)
	movl $STACK, %esp
	lidt idt_desc
	movl $PD, %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $CR0_PG_WP, %eax
	movl %eax, %cr0
	jmp 1f
1:	movl $PF_BUF, %edi
	movl $32, %ecx
	movw $CMOS_DATA, %dx
insb_at:
	rep insb
	cmpl $1, pf_count
	jne 1f
	testl %ecx, %ecx
	jnz 1f
	cmpl $(HOLE + 16), %edi
	jne 1f
	movl $PF_BUF, %edi
	movl $32, %ecx
	movb $SCRATCH, %al
	repe scasb
	je 2f
1:	FAIL32(fail_resume)
2:	PUTSC32(pass_resume)
	PUTSC32(msg_done)
	cli
3:	hlt
	jmp 3b

/*
 * #PF: pushal leaves EDI at 0, ECX at 24, the error code at 32 and EIP at
 * 36 from ESP.
 */
pf_handler:
	pushal
	incl pf_count
	cmpl $2, 32(%esp)		/* W, supervisor, not present */
	jne 1f
	cmpl $insb_at, 36(%esp)
	jne 1f
	movl %cr2, %eax
	cmpl $HOLE, %eax
	jne 1f
	cmpl $16, 24(%esp)
	jne 1f
	cmpl $HOLE, 0(%esp)
	jne 1f
	movl $PF_BUF, %edi
	movl $16, %ecx
	movb $SCRATCH, %al
	repe scasb
	je 2f
1:	FAIL32(fail_pf)
2:	PUTSC32(pass_pf)
	movl $(HOLE | 3), PTE_HOLE
	invlpg HOLE
	popal
	addl $4, %esp			/* the error code */
	iret

fail32:
	call puts
	cli
1:	hlt
	jmp 1b

DEFINE_PUTS_COM1_32

	.code16
fail16:
	call puts_com1
	cli
1:	hlt
	jmp 1b

DEFINE_PUTS_COM1
DEFINE_GDT

	.p2align 3
idt:
	.fill 14, 8, 0
	.word pf_handler		/* vector 14: 32-bit interrupt gate */
	.word SEL_CODE32
	.word 0x8e00
	.word 0
idt_end:
idt_desc:
	.word idt_end - idt - 1
	.long idt

pf_count:	.long 0

msg_outsb:	.ascii "string_io: rep outsb reached COM1\n"
msg_outsb_end:
msg_fs:		.ascii "string_io: rep outsb through FS reached COM1\n"
msg_fs_end:
msg_back:	.ascii "\nsdrawkcab setyb eht sdnes 1=FD htiw bstuo per :oi_gnirts SSAP"
msg_back_end:
pass_outsb:	.asciz "PASS string_io: rep outsb left CX 0 and SI past the message\n"
pass_insb:	.asciz "PASS string_io: rep insb from the CMOS data port\n"
pass_insw:	.asciz "PASS string_io: rep insw from the CMOS data port\n"
pass_insd:	.asciz "PASS string_io: rep insd from the PM timer with DF=1\n"
pass_pf:	.asciz "PASS string_io: #PF in rep insb at the missing page: error code, CR2, EIP, ECX, EDI, the bytes before it\n"
pass_resume:	.asciz "PASS string_io: rep insb completed after the handler mapped the page\n"
msg_done:	.asciz "string_io: done\n"
fail_outsb:	.asciz "FAIL string_io: rep outsb registers\n"
fail_fs:	.asciz "FAIL string_io: rep outsb through FS\n"
fail_back:	.asciz "FAIL string_io: rep outsb with DF=1\n"
fail_insb:	.asciz "FAIL string_io: rep insb from the CMOS data port\n"
fail_insw:	.asciz "FAIL string_io: rep insw from the CMOS data port\n"
fail_insd:	.asciz "FAIL string_io: rep insd from the PM timer\n"
fail_pf:	.asciz "FAIL string_io: the #PF in rep insb\n"
fail_resume:	.asciz "FAIL string_io: rep insb after the #PF\n"
