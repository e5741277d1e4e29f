/*
 * Isolation probe, first VM (runs before isolation_b.bin: payloads run in
 * name order, and B's RAM is built from the frames A gives back). Fills
 * all of its 32 MiB of RAM with a 16-byte marker, except its own image
 * and stack (0xf00 up to the end of the image), then leaves distinctive
 * values in its general registers, DR0-DR3, DR6, DR7, FS, GS, CR4,
 * XMM0-XMM15 (XMM8-XMM15 from long mode), MXCSR and the x87 unit (a control word of its own and a
 * value on the stack), and, where CPUID offers them, XCR0 (AVX enabled),
 * the upper halves of YMM0-YMM15 and TSC_AUX, and, where AVX-512 is
 * offered (CPUID 7.0 EBX AVX512F and the opmask, ZMM_Hi256 and Hi16_ZMM
 * components of XCR0), XCR0 = 0xe7 with k0-k7, bits 511:256 of
 * ZMM0-ZMM15 and all of ZMM16-ZMM31 (long mode), and ends the VM.
 * isolation_b.S looks for all of them.
 */
#include "payload.h"

#define RAM_MIB 32
#define RAM_END (RAM_MIB << 20)
#define STACK_BOTTOM 0xf00
#define CR4_OSFXSR   0x200
#define CR4_OSXSAVE  0x40000
#define CPUID_1_ECX_AVX (1 << 28)
#define CPUID_7_EBX_AVX512F (1 << 16)
#define XCR0_AVX512  0xe0		/* opmask, ZMM_Hi256, Hi16_ZMM */
#define CPUID_80000001_EDX_RDTSCP (1 << 27)
#define MSR_TSC_AUX  0xc0000103

PAYLOAD_HEADER(1, RAM_MIB)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	PUTS16(msg_start)
	PROTECTED_MODE(pm32)
	movl $0x1000, %esp

	/* The marker in XMM-free registers, stored 16 bytes at a time. */
	movl marker + 0, %eax
	movl marker + 4, %ebx
	movl marker + 8, %ecx
	movl marker + 12, %edx
	xorl %edi, %edi
	movl $STACK_BOTTOM, %ebp
	call fill
	movl $image_end_aligned, %edi
	movl $RAM_END, %ebp
	call fill
	PUTS32(msg_filled)

	/* Where offered: XCR0 = x87|SSE|AVX, a value in all of YMM0-YMM7. */
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $CPUID_1_ECX_AVX, %ecx
	jz 1f
	movl %cr4, %eax
	orl $(CR4_OSXSAVE | CR4_OSFXSR), %eax
	movl %eax, %cr4
	xorl %ecx, %ecx
	xorl %edx, %edx
	movl $7, %eax
	xsetbv
	vmovdqu ymm_value, %ymm0
	vmovdqa %ymm0, %ymm1
	vmovdqa %ymm0, %ymm2
	vmovdqa %ymm0, %ymm3
	vmovdqa %ymm0, %ymm4
	vmovdqa %ymm0, %ymm5
	vmovdqa %ymm0, %ymm6
	vmovdqa %ymm0, %ymm7
	movb $1, avx_on
	PUTS32(msg_ymm)
	/* AVX-512: its registers are set in long mode (ZMM16-31 live only there). */
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	testl $CPUID_7_EBX_AVX512F, %ebx
	jz 1f
	movl $0xd, %eax
	xorl %ecx, %ecx
	cpuid
	andl $XCR0_AVX512, %eax
	cmpl $XCR0_AVX512, %eax
	jne 1f
	movb $1, avx512_on
1:	/* Where RDTSCP is offered: TSC_AUX. */
	movl $0x80000001, %eax
	cpuid
	testl $CPUID_80000001_EDX_RDTSCP, %edx
	jz 1f
	movl $MSR_TSC_AUX, %ecx
	movl $0xa5a5a5a5, %eax
	xorl %edx, %edx
	wrmsr
	PUTS32(msg_tsc_aux)
1:
	/*
	 * CR4.OSFXSR for SSE; a value in XMM0-XMM7 (legacy SSE: the upper
	 * halves keep YMM's), MXCSR and the x87 unit.
	 */
	movl %cr4, %eax
	orl $0x200, %eax
	movl %eax, %cr4
	movdqu xmm_value, %xmm0
	movdqa %xmm0, %xmm1
	movdqa %xmm0, %xmm2
	movdqa %xmm0, %xmm3
	movdqa %xmm0, %xmm4
	movdqa %xmm0, %xmm5
	movdqa %xmm0, %xmm6
	movdqa %xmm0, %xmm7
	ldmxcsr mxcsr_value
	fninit
	fldcw fcw_value
	fldpi

	movl $0x10001000, %eax
	movl %eax, %dr0
	movl $0x20002000, %eax
	movl %eax, %dr1
	movl $0x30003000, %eax
	movl %eax, %dr2
	movl $0x40004000, %eax
	movl %eax, %dr3
	movl $0xffff0fff, %eax		/* B0-B3 set */
	movl %eax, %dr6
	movl $0x00000500, %eax		/* LE (bit 8), no breakpoint enabled */
	movl %eax, %dr7
	PUTS32(msg_regs)

	/* Long mode: XMM8-XMM15 (and where AVX is on, all of YMM8-YMM15). */
	LONG_MODE(lm_tables, lm64)
	cmpb $0, avx_on
	je 1f
	vmovdqu ymm_value, %ymm8
	vmovdqa %ymm8, %ymm9
	vmovdqa %ymm8, %ymm10
	vmovdqa %ymm8, %ymm11
	vmovdqa %ymm8, %ymm12
	vmovdqa %ymm8, %ymm13
	vmovdqa %ymm8, %ymm14
	vmovdqa %ymm8, %ymm15
	cmpb $0, avx512_on
	je 1f
	/*
	 * XCR0 = 0xe7; then (after the VEX writes above, which clear bits
	 * 511:256) the upper halves of ZMM0-ZMM15, keeping YMM0-YMM15, all of
	 * ZMM16-ZMM31, and k0-k7.
	 */
	xorl %ecx, %ecx
	xorl %edx, %edx
	movl $(XCR0_AVX512 | 7), %eax
	xsetbv
	vinserti64x4 $1, zmm_hi_value, %zmm0, %zmm0
	vinserti64x4 $1, zmm_hi_value, %zmm1, %zmm1
	vinserti64x4 $1, zmm_hi_value, %zmm2, %zmm2
	vinserti64x4 $1, zmm_hi_value, %zmm3, %zmm3
	vinserti64x4 $1, zmm_hi_value, %zmm4, %zmm4
	vinserti64x4 $1, zmm_hi_value, %zmm5, %zmm5
	vinserti64x4 $1, zmm_hi_value, %zmm6, %zmm6
	vinserti64x4 $1, zmm_hi_value, %zmm7, %zmm7
	vinserti64x4 $1, zmm_hi_value, %zmm8, %zmm8
	vinserti64x4 $1, zmm_hi_value, %zmm9, %zmm9
	vinserti64x4 $1, zmm_hi_value, %zmm10, %zmm10
	vinserti64x4 $1, zmm_hi_value, %zmm11, %zmm11
	vinserti64x4 $1, zmm_hi_value, %zmm12, %zmm12
	vinserti64x4 $1, zmm_hi_value, %zmm13, %zmm13
	vinserti64x4 $1, zmm_hi_value, %zmm14, %zmm14
	vinserti64x4 $1, zmm_hi_value, %zmm15, %zmm15
	vmovdqu64 zmm_value, %zmm16
	vmovdqa64 %zmm16, %zmm17
	vmovdqa64 %zmm16, %zmm18
	vmovdqa64 %zmm16, %zmm19
	vmovdqa64 %zmm16, %zmm20
	vmovdqa64 %zmm16, %zmm21
	vmovdqa64 %zmm16, %zmm22
	vmovdqa64 %zmm16, %zmm23
	vmovdqa64 %zmm16, %zmm24
	vmovdqa64 %zmm16, %zmm25
	vmovdqa64 %zmm16, %zmm26
	vmovdqa64 %zmm16, %zmm27
	vmovdqa64 %zmm16, %zmm28
	vmovdqa64 %zmm16, %zmm29
	vmovdqa64 %zmm16, %zmm30
	vmovdqa64 %zmm16, %zmm31
	movl $0xa5c3, %eax
	kmovw %eax, %k0
	kmovw %eax, %k1
	kmovw %eax, %k2
	kmovw %eax, %k3
	kmovw %eax, %k4
	kmovw %eax, %k5
	kmovw %eax, %k6
	kmovw %eax, %k7
	movl $msg_zmm, %esi
2:	lodsb
	testb %al, %al
	jz 1f
	outb %al, $PORT_CONSOLE
	jmp 2b
1:	movdqu xmm_value, %xmm8		/* legacy SSE: the upper halves stay */
	movdqa %xmm8, %xmm9
	movdqa %xmm8, %xmm10
	movdqa %xmm8, %xmm11
	movdqa %xmm8, %xmm12
	movdqa %xmm8, %xmm13
	movdqa %xmm8, %xmm14
	movdqa %xmm8, %xmm15
	movl $msg_lm, %esi
2:	lodsb
	testb %al, %al
	jz 3f
	outb %al, $PORT_CONSOLE
	jmp 2b
3:
	movl $0xa0a0a000, %eax		/* AL = 0: exit status 0 */
	movl $0xb0b0b0b0, %ebx
	movl $0xc0c0c0c0, %ecx
	movl $0xd0d0d0d0, %edx
	movl $0x51515151, %esi
	movl $0xd1d1d1d1, %edi
	movl $0xb9b9b9b9, %ebp
	movl $0x59595959, %esp
	outb %al, $PORT_EXIT
	hlt
	.code32

/* Stores EAX, EBX, ECX, EDX at EDI, EDI + 16, ... below EBP. */
fill:
	movl %eax, 0(%edi)
	movl %ebx, 4(%edi)
	movl %ecx, 8(%edi)
	movl %edx, 12(%edi)
	addl $16, %edi
	cmpl %ebp, %edi
	jb fill
	ret

DEFINE_PUTS32
	.code16
DEFINE_PUTS16
DEFINE_GDT

	.p2align 4
marker:    .ascii "<HV-ISO-MARKER!>"
xmm_value: .long 0x76543210, 0xfedcba98, 0x89abcdef, 0x01234567
ymm_value: .long 0x0badcafe, 0x0badcafe, 0x0badcafe, 0x0badcafe
	   .long 0xfeedf00d, 0xfeedf00d, 0xfeedf00d, 0xfeedf00d
	.p2align 6
zmm_value: .long 0x600df00d, 0x600df00d, 0x600df00d, 0x600df00d
	   .long 0x5eed5eed, 0x5eed5eed, 0x5eed5eed, 0x5eed5eed
	   .long 0x0ddba11, 0x0ddba11, 0x0ddba11, 0x0ddba11
	   .long 0xc0ffee00, 0xc0ffee00, 0xc0ffee00, 0xc0ffee00
zmm_hi_value: .long 0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef
	   .long 0xabad1dea, 0xabad1dea, 0xabad1dea, 0xabad1dea
mxcsr_value: .long 0x1f00	/* round to nearest, masks set, DAZ clear: not the reset 0x1f80 */
fcw_value: .word 0x0c7f		/* round toward zero: not the reset 0x37f */
msg_start:  .asciz "isolation_a: filling RAM with the marker\n"
msg_filled: .asciz "isolation_a: RAM filled\n"
msg_regs:   .asciz "isolation_a: registers set, exiting\n"
msg_ymm:    .asciz "isolation_a: XCR0 = 7, YMM0-YMM7 set\n"
msg_tsc_aux: .asciz "isolation_a: TSC_AUX set\n"
msg_lm:     .asciz "isolation_a: XMM8-XMM15 set in long mode\n"
msg_zmm:    .asciz "isolation_a: XCR0 = e7, k0-k7, ZMM0-ZMM15 upper halves and ZMM16-ZMM31 set in long mode\n"
avx_on:     .byte 0
avx512_on:  .byte 0
	LM_TABLES(lm_tables)
	.p2align 4
image_end:
	.set image_end_aligned, image_end
