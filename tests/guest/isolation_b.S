/*
 * Isolation probe, second VM (after isolation_a.bin, on the frames A gave
 * back; the scenario checks from the hypervisor's log that the two RAM
 * ranges overlap). Same 32 MiB of RAM as A.
 *
 * 1. At entry, before touching them, saves the general registers, DR0-DR3,
 *    DR6, DR7, CR0, CR4, FS, GS and (FXSAVE) the x87 and SSE state, and
 *    checks each against its reset value (guest_state_init_reset and the
 *    payload ABI: all zero but SI = the vCPU index and SP = 0x1000; DR6
 *    0xffff0ff0, DR7 0x400, CR0 = CD | NW | ET; the FPU as every vCPU
 *    starts it: FCW 0x37f, FSW 0, every x87 register empty, MXCSR 0x1f80,
 *    XMM0-XMM7 zero). Where CPUID offers them: XCR0 (1: x87 only), the
 *    upper halves of YMM0-YMM7 (XSAVE of the AVX component after
 *    XSETBV 7: nothing or zeros) and TSC_AUX (RDTSCP's ECX: 0). Then,
 *    from long mode (the switch touches no vector register), XMM8-XMM15
 *    and, where AVX is offered, YMM8-YMM15's upper halves: zero; where
 *    AVX-512 is offered (CPUID 7.0 EBX AVX512F, XCR0 components 5-7),
 *    after XSETBV 0xe7, XSAVE of the opmask, ZMM_Hi256 and Hi16_ZMM
 *    components (at the offsets CPUID 0xD gives): k0-k7, bits 511:256 of
 *    ZMM0-ZMM15 and ZMM16-ZMM31 nothing or zeros.
 * 2. Reads every byte of its RAM: all of it is zero except its own image
 *    (0x1000 to the end of the image) and its stack (0xf00-0xfff); then
 *    searches all of RAM, the image included, for A's marker and for the
 *    hypervisor's banner "hv: micro-hypervisor". Both needles are kept
 *    here with each byte plus one, so that the image does not hold them.
 * 3. Last, reads the first byte past its RAM: the hypervisor stops the
 *    VM ("touched guest-physical 0x2000000 outside every memslot").
 */
#include "payload.h"

#define RAM_MIB 32
#define RAM_END (RAM_MIB << 20)
#define STACK_BOTTOM 0xf00
#define CR4_OSXSAVE  0x40000
#define CPUID_1_ECX_XSAVE (1 << 26)
#define CPUID_1_ECX_AVX   (1 << 28)
#define CPUID_7_EBX_AVX512F (1 << 16)
#define XCR0_AVX512  0xe0		/* opmask, ZMM_Hi256, Hi16_ZMM */
#define CPUID_80000001_EDX_RDTSCP (1 << 27)

PAYLOAD_HEADER(1, RAM_MIB)
	/* Nothing before these: DS = 0 by the ABI. */
	movl %eax, s_eax
	movl %ebx, s_ebx
	movl %ecx, s_ecx
	movl %edx, s_edx
	movl %esi, s_esi
	movl %edi, s_edi
	movl %ebp, s_ebp
	movl %esp, s_esp
	movl %dr0, %eax
	movl %eax, s_dr0
	movl %dr1, %eax
	movl %eax, s_dr1
	movl %dr2, %eax
	movl %eax, s_dr2
	movl %dr3, %eax
	movl %eax, s_dr3
	movl %dr6, %eax
	movl %eax, s_dr6
	movl %dr7, %eax
	movl %eax, s_dr7
	movl %cr0, %eax
	movl %eax, s_cr0
	movl %cr4, %eax
	movl %eax, s_cr4
	xorl %eax, %eax
	movw %fs, %ax
	movl %eax, s_fs
	movw %gs, %ax
	movl %eax, s_gs
	movl %cr4, %eax
	orl $0x200, %eax		/* OSFXSR, for MOVDQU */
	movl %eax, %cr4
	fxsave s_fx
	/* XCR0, the upper halves of YMM0-YMM7, TSC_AUX: where offered. */
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	movl %ecx, %esi
	testl $CPUID_1_ECX_XSAVE, %esi
	jz 1f
	movl %cr4, %eax
	orl $CR4_OSXSAVE, %eax
	movl %eax, %cr4
	xorl %ecx, %ecx
	xgetbv
	movl %eax, s_xcr0
	testl $CPUID_1_ECX_AVX, %esi
	jz 1f
	movl $7, %eax
	xorl %edx, %edx
	xsetbv
	movl $4, %eax			/* the AVX component only */
	xsave s_xs
	xorl %eax, %eax
	movw $XS_YMM_HI, %bx
2:	orl s_xs(%bx), %eax
	addw $4, %bx
	cmpw $XS_YMM_HI + 8 * 16, %bx
	jne 2b
	movl %eax, s_ymmhi
	movb $1, avx_on
1:	movl $0x80000001, %eax
	cpuid
	testl $CPUID_80000001_EDX_RDTSCP, %edx
	jz 1f
	rdtscp
	movl %ecx, s_tscaux
1:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	PROTECTED_MODE(pm32)
	movl $0x1000, %esp
	PUTS32(msg_start)

	/* 1. Registers: name, where saved, reset value. */
	movl $regs, %ebx
	xorl %edx, %edx			/* mismatches */
1:	movl 0(%ebx), %esi
	testl %esi, %esi
	jz 3f
	call puts32
	movb $'=', %al
	outb %al, $PORT_CONSOLE
	movl 4(%ebx), %eax
	movl (%eax), %eax
	call puthex32
	movl 4(%ebx), %eax
	movl (%eax), %eax
	cmpl 8(%ebx), %eax
	je 2f
	incl %edx
	PUTS32(msg_not_reset)
	movl 8(%ebx), %eax
	call puthex32
2:	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	addl $12, %ebx
	jmp 1b
3:	testl %edx, %edx
	jz 4f
	PUTS32(msg_regs_fail)
	jmp 5f
4:	PUTS32(msg_regs_pass)
5:	PUTS32(msg_xmm0)
	movl s_fx + FX_XMM0 + 12, %eax
	call puthex32
	movl s_fx + FX_XMM0 + 8, %eax
	call puthex32
	movl s_fx + FX_XMM0 + 4, %eax
	call puthex32
	movl s_fx + FX_XMM0 + 0, %eax
	call puthex32
	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	/* x87 and SSE: control, status and tags, MXCSR, then XMM0-XMM7 all zero. */
	xorl %edx, %edx
	cmpw $0x37f, s_fx + FX_FCW
	setne %dl
	cmpw $0, s_fx + FX_FSW
	jne 8f
	cmpb $0, s_fx + FX_FTW
	jne 8f
	cmpl $0x1f80, s_fx + FX_MXCSR
	jne 8f
	xorl %eax, %eax
	movl $FX_XMM0, %ebx
9:	orl s_fx(%ebx), %eax
	addl $4, %ebx
	cmpl $FX_XMM0 + 8 * 16, %ebx
	jne 9b
	orl %eax, %edx
	jz 6f
8:	PUTS32(msg_fpu_fail)
	movzwl s_fx + FX_FCW, %eax
	call puthex32
	PUTS32(msg_fpu_mxcsr)
	movl s_fx + FX_MXCSR, %eax
	call puthex32
	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	jmp 7f
6:	PUTS32(msg_fpu_pass)
7:
	/*
	 * XMM8-XMM15 and the upper halves of YMM8-YMM15, which only long
	 * mode reaches: nothing since the entry has touched them. Back to
	 * 32-bit code (compatibility mode) after.
	 */
	LONG_MODE(lm_tables, lm64)
	fxsave64 s_fx64
	xorl %eax, %eax
	movl $FX_XMM0 + 8 * 16, %ebx
1:	orl s_fx64(%ebx), %eax
	addl $4, %ebx
	cmpl $FX_XMM0 + 16 * 16, %ebx
	jne 1b
	movl %eax, s_xmm8
	cmpb $0, avx_on
	je 2f
	movl $4, %eax			/* the AVX component only */
	xorl %edx, %edx
	xsave64 s_xs
	xorl %eax, %eax
	movl $XS_YMM_HI + 8 * 16, %ebx
1:	orl s_xs(%ebx), %eax
	addl $4, %ebx
	cmpl $XS_YMM_HI + 16 * 16, %ebx
	jne 1b
	movl %eax, s_ymmhi8
	call check_avx512
2:	ljmpl *compat_ptr
	.code32
back32:
	PUTS32(msg_xmm8)
	movl s_xmm8, %eax
	call puthex32
	PUTS32(msg_ymmhi8)
	movl s_ymmhi8, %eax
	call puthex32
	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	movl s_xmm8, %eax
	orl s_ymmhi8, %eax
	jz 1f
	PUTS32(msg_hi_fail)
	jmp 2f
1:	PUTS32(msg_hi_pass)
2:	cmpb $0, avx512_on
	jne 1f
	PUTS32(msg_no_avx512)
	jmp 3f
1:	PUTS32(msg_kmask)
	movl s_kmask, %eax
	call puthex32
	PUTS32(msg_zmmhi)
	movl s_zmmhi, %eax
	call puthex32
	PUTS32(msg_zmm16)
	movl s_zmm16, %eax
	call puthex32
	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	movl s_kmask, %eax
	orl s_zmmhi, %eax
	orl s_zmm16, %eax
	jz 1f
	PUTS32(msg_avx512_fail)
	jmp 3f
1:	PUTS32(msg_avx512_pass)
3:
	/* 2. Zero everywhere but the image and the stack. */
	xorl %edi, %edi
	movl $STACK_BOTTOM / 4, %ecx
	call check_zero
	movl $image_end, %edi
	movl $RAM_END, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	call check_zero
	PUTS32(msg_zero_pass)

	movl $marker_enc, %esi
	movl $16, %ecx
	call search
	PUTS32(msg_marker_pass)
	movl $banner_enc, %esi
	movl $banner_len, %ecx
	call search
	PUTS32(msg_banner_pass)

	/* 3. Past the end of RAM: the VM stops here. */
	PUTS32(msg_beyond)
	movl RAM_END, %eax
	PUTS32(msg_beyond_fail)
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

/*
 * Long mode, AVX on: where AVX-512 is offered, XCR0 = 0xe7 and the OR of
 * each AVX-512 component XSAVE stores into s_kmask, s_zmmhi, s_zmm16
 * (a component in its initial state is not written: zeros stay).
 */
	.code64
check_avx512:
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	testl $CPUID_7_EBX_AVX512F, %ebx
	jz 9f
	movl $0xd, %eax
	xorl %ecx, %ecx
	cpuid
	andl $XCR0_AVX512, %eax
	cmpl $XCR0_AVX512, %eax
	jne 9f
	xorl %ecx, %ecx
	xorl %edx, %edx
	movl $(XCR0_AVX512 | 7), %eax
	xsetbv
	movl $XCR0_AVX512, %eax
	xorl %edx, %edx
	xsave64 s_xs
	movl $5, %ecx
	movl $s_kmask, %edi
1:	pushq %rcx
	movl $0xd, %eax
	cpuid				/* EAX: size, EBX: offset */
	leal s_xs(%ebx), %esi
	shrl $2, %eax
	movl %eax, %ecx
	xorl %eax, %eax
	jecxz 3f			/* not described: counts as zero */
2:	orl (%esi), %eax
	addl $4, %esi
	loop 2b
3:	movl %eax, (%edi)
	addl $4, %edi
	popq %rcx
	incl %ecx
	cmpl $8, %ecx
	jne 1b
	movb $1, avx512_on
9:	ret
	.code32

/* ECX dwords from EDI must be zero; otherwise FAIL with the address. */
check_zero:
	xorl %eax, %eax
	cld
	repe scasl
	jne 1f
	ret
1:	PUTS32(msg_zero_fail)
	leal -4(%edi), %eax
	call puthex32
	movb $'=', %al
	outb %al, $PORT_CONSOLE
	movl -4(%edi), %eax
	call puthex32
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
	jmp 1b
3:	popl %ecx
	PUTS32(msg_found)
	leal -1(%edi), %eax
	call puthex32
	jmp fail
4:	ret

fail:
	movb $'\n', %al
	outb %al, $PORT_CONSOLE
	movb $1, %al
	outb %al, $PORT_EXIT
	hlt

/* EAX in 8 hex digits. */
puthex32:
	pushl %ecx
	pushl %ebx
	movl $8, %ecx
1:	roll $4, %eax
	movl %eax, %ebx
	andl $0xf, %ebx
	pushl %eax
	movb hexdigits(%ebx), %al
	outb %al, $PORT_CONSOLE
	popl %eax
	loop 1b
	popl %ebx
	popl %ecx
	ret

DEFINE_PUTS32
DEFINE_GDT

	/* FXSAVE's image: where it puts each register. */
	.set FX_FCW, 0
	.set FX_FSW, 2
	.set FX_FTW, 4
	.set FX_MXCSR, 24
	.set FX_XMM0, 160
	/* XSAVE's standard form: the AVX component (YMM0-15's upper halves) at 576. */
	.set XS_YMM_HI, 576
	.p2align 6
s_fx:	.fill 512, 1, 0
s_xs:	.fill 4096, 1, 0		/* up to Hi16_ZMM (1664 + 1024 on Skylake-X) */
s_xcr0: .long 1			/* 1 where XSAVE is not offered */
s_ymmhi: .long 0
s_tscaux: .long 0
s_xmm8:  .long 0
s_ymmhi8: .long 0
s_kmask: .long 0		/* these three in component order, 5 to 7 */
s_zmmhi: .long 0
s_zmm16: .long 0
avx_on:  .byte 0
avx512_on: .byte 0
	.p2align 4
s_fx64:	.fill 512, 1, 0
compat_ptr: .long back32
	.word SEL_CODE32
s_eax: .long 0
s_ebx: .long 0
s_ecx: .long 0
s_edx: .long 0
s_esi: .long 0
s_edi: .long 0
s_ebp: .long 0
s_esp: .long 0
s_dr0: .long 0
s_dr1: .long 0
s_dr2: .long 0
s_dr3: .long 0
s_dr6: .long 0
s_dr7: .long 0
s_cr0: .long 0
s_cr4: .long 0
s_fs:  .long 0
s_gs:  .long 0

#define REG(name, expect) .long n_##name, s_##name, expect
regs:
	REG(eax, 0)
	REG(ebx, 0)
	REG(ecx, 0)
	REG(edx, 0)
	REG(esi, 0)			/* vCPU 0 */
	REG(edi, 0)
	REG(ebp, 0)
	REG(esp, 0x1000)
	REG(dr0, 0)
	REG(dr1, 0)
	REG(dr2, 0)
	REG(dr3, 0)
	REG(dr6, 0xffff0ff0)
	REG(dr7, 0x400)
	REG(cr0, 0x60000010)		/* CD, NW, ET */
	REG(cr4, 0)
	REG(fs, 0)
	REG(gs, 0)
	REG(xcr0, 1)
	REG(ymmhi, 0)			/* OR of YMM0-YMM7's upper halves */
	REG(tscaux, 0)
	.long 0

n_eax: .asciz "isolation_b: at entry eax"
n_ebx: .asciz "isolation_b: at entry ebx"
n_ecx: .asciz "isolation_b: at entry ecx"
n_edx: .asciz "isolation_b: at entry edx"
n_esi: .asciz "isolation_b: at entry esi"
n_edi: .asciz "isolation_b: at entry edi"
n_ebp: .asciz "isolation_b: at entry ebp"
n_esp: .asciz "isolation_b: at entry esp"
n_dr0: .asciz "isolation_b: at entry dr0"
n_dr1: .asciz "isolation_b: at entry dr1"
n_dr2: .asciz "isolation_b: at entry dr2"
n_dr3: .asciz "isolation_b: at entry dr3"
n_dr6: .asciz "isolation_b: at entry dr6"
n_dr7: .asciz "isolation_b: at entry dr7"
n_cr0: .asciz "isolation_b: at entry cr0"
n_cr4: .asciz "isolation_b: at entry cr4"
n_fs:  .asciz "isolation_b: at entry fs"
n_gs:  .asciz "isolation_b: at entry gs"
n_xcr0: .asciz "isolation_b: at entry xcr0"
n_ymmhi: .asciz "isolation_b: at entry ymm0-7 upper halves (or)"
n_tscaux: .asciz "isolation_b: at entry tsc_aux"

/* "<HV-ISO-MARKER!>" and "hv: micro-hypervisor", each byte plus one. */
marker_enc: .byte '<'+1,'H'+1,'V'+1,'-'+1,'I'+1,'S'+1,'O'+1,'-'+1
	    .byte 'M'+1,'A'+1,'R'+1,'K'+1,'E'+1,'R'+1,'!'+1,'>'+1
banner_enc: .byte 'h'+1,'v'+1,':'+1,' '+1,'m'+1,'i'+1,'c'+1,'r'+1,'o'+1,'-'+1
	    .byte 'h'+1,'y'+1,'p'+1,'e'+1,'r'+1,'v'+1,'i'+1,'s'+1,'o'+1,'r'+1
	.set banner_len, . - banner_enc

hexdigits: .ascii "0123456789abcdef"
msg_start:       .asciz "isolation_b: registers at entry\n"
msg_not_reset:   .asciz " NOT RESET, expected "
msg_regs_fail:   .asciz "FAIL isolation_b: registers at entry hold another VM's values\n"
msg_regs_pass:   .asciz "PASS isolation_b: registers at entry hold their reset values\n"
msg_xmm0:        .asciz "isolation_b: at entry xmm0="
msg_fpu_fail:    .asciz "FAIL isolation_b: x87/SSE state NOT RESET at entry: fcw "
msg_fpu_mxcsr:   .asciz " mxcsr "
msg_fpu_pass:    .asciz "PASS isolation_b: x87 and SSE registers at entry hold their reset values\n"
msg_zero_fail:   .asciz "FAIL isolation_b: RAM not zero at "
msg_zero_pass:   .asciz "PASS isolation_b: all RAM outside the image and stack reads zero\n"
msg_found:       .asciz "FAIL isolation_b: needle found at "
msg_marker_pass: .asciz "PASS isolation_b: no marker of the previous VM in RAM\n"
msg_banner_pass: .asciz "PASS isolation_b: no hypervisor banner in RAM\n"
msg_xmm8:        .asciz "isolation_b: at entry xmm8-15 (or)="
msg_ymmhi8:      .asciz " ymm8-15 upper halves (or)="
msg_hi_fail:     .asciz "FAIL isolation_b: XMM8-XMM15 or YMM8-YMM15 NOT RESET at entry\n"
msg_hi_pass:     .asciz "PASS isolation_b: XMM8-XMM15 and YMM8-YMM15 at entry hold their reset values\n"
msg_no_avx512:   .asciz "isolation_b: AVX-512 not offered\n"
msg_kmask:       .asciz "isolation_b: at entry k0-7 (or)="
msg_zmmhi:       .asciz " zmm0-15 upper halves (or)="
msg_zmm16:       .asciz " zmm16-31 (or)="
msg_avx512_fail: .asciz "FAIL isolation_b: k0-k7 or ZMM0-ZMM31 NOT RESET at entry\n"
msg_avx512_pass: .asciz "PASS isolation_b: k0-k7, ZMM0-ZMM15's upper halves and ZMM16-ZMM31 at entry hold their reset values\n"
msg_beyond:      .asciz "isolation_b: reading guest-physical 0x2000000, past RAM\n"
msg_beyond_fail: .asciz "FAIL isolation_b: the read past RAM returned\n"
	LM_TABLES(lm_tables)
	.p2align 4
image_end:
