/*
 * A test kernel for the boot formats the hypervisor loads besides Linux
 * (docs/guest-images.md): one source, built (Makefile, "Boot-format test
 * kernels") as a Multiboot ELF32 and ELF64 file, a Multiboot a.out-kludge
 * binary, a Multiboot2 ELF32 file and a PVH ELF64 file, by the FMT_*
 * macro. Runs on the virtual PC of a vms.cfg VM with 16 MiB of RAM,
 * cmdline="hello world", and modules="mod.bin modarg" where mod.bin is the
 * first 64 bytes of a test payload (its magic "HVTP" first).
 *
 * At entry it checks its own state (the magic in EAX where the format has
 * one, CR0.PE set and PG clear, EFLAGS.IF and VM clear, flat segments: a
 * store and load through DS and ES at 15 MiB), then the boot information
 * the format defines: the command line, the module (size, first dword,
 * string), the memory map's first entry (RAM 0-0x9fc00), the ACPI RSDP
 * where the format gives it, the boot loader name (Multiboot). Each check
 * prints "PASS NAME: what" or "FAIL NAME: what" on COM1, then the kernel
 * powers the VM off through the ACPI PM1a control register (SLP_TYP 5,
 * SLP_EN).
 *
 * 32-bit protected mode throughout, linked at 1 MiB.
 */
#include "../payload.h"		/* COM1 and its 32-bit output */

#define PM1A_CNT	0x604
#define PM1_SLP_S5	((5 << 10) | (1 << 13))	/* SLP_TYP 5, SLP_EN */
#define MOD_SIZE	64
#define FLAT_PROBE	0xf00000

#define MB1_MAGIC	0x1badb002
#define MB1_EAX		0x2badb002
#define MB2_MAGIC	0xe85250d6
#define MB2_EAX		0x36d76289
#define PVH_MAGIC	0x336ec578

#define PUTS(label)	movl $label, %esi; call puts
/* Prints PASS or FAIL (as ZF says: set = PASS), then NAME and what. */
#define REPORT(what)	movl $what, %esi; call report

	.code32
	.section .text
	.globl _start
_start:
	jmp entry

#if defined(FMT_MB1)
	.p2align 2
mb1_header:
	.long MB1_MAGIC
#ifdef FMT_AOUT
	.long 0x00010003			/* page-align, memory info, addresses */
	.long -(MB1_MAGIC + 0x00010003)
	.long mb1_header			/* header_addr */
	.long _start				/* load_addr */
	.long _edata				/* load_end_addr */
	.long _end				/* bss_end_addr */
	.long entry				/* entry_addr */
#else
	.long 0x00000003
	.long -(MB1_MAGIC + 0x00000003)
#endif
#elif defined(FMT_MB2)
	.p2align 3
mb2_header:
	.long MB2_MAGIC, 0, mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	/* Information request (required): command line, modules, map, RSDP. */
	.word 1, 0
	.long 24
	.long 1, 3, 6, 14
	/* Module alignment; an optional framebuffer; EFI boot services. */
	.word 6, 0
	.long 8
	.word 5, 1
	.long 20
	.long 1024, 768, 32
	.p2align 3
#ifdef MB2_NEEDS_EFI
	.word 7, 0
#else
	.word 7, 1
#endif
	.long 8
	.word 0, 0				/* end */
	.long 8
mb2_header_end:
#elif defined(FMT_PVH)
	.pushsection .note.Xen, "a", @note
	.p2align 2
	.long 4, 4, 18				/* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long entry
	.popsection
#endif

entry:
	movl %eax, saved_eax
	movl %ebx, saved_ebx
	movl $stack_top, %esp
	movw $COM1_LCR, %dx			/* 8 data bits, no parity, DLAB off */
	movb $0x03, %al
	outb %al, %dx

	/* The entry state. */
	call check_entry
	REPORT(msg_entry)
	call check_info
	REPORT(msg_info)

	movw $PM1A_CNT, %dx
	movw $PM1_SLP_S5, %ax
	outw %ax, %dx
1:	hlt
	jmp 1b

/* ZF set if EAX held the magic, paging is off and IF/VM are clear, segments flat. */
check_entry:
#ifdef EAX_MAGIC
	cmpl $EAX_MAGIC, saved_eax
	jne 9f
#endif
	movl %cr0, %eax
	andl $0x80000001, %eax
	cmpl $1, %eax
	jne 9f
	pushfl
	popl %eax
	testl $0x20200, %eax			/* VM, IF */
	jnz 9f
	movl $0x5eed1234, FLAT_PROBE
	movl %es:FLAT_PROBE, %eax
	cmpl $0x5eed1234, %eax
9:	ret

#if defined(FMT_MB1)
/* The Multiboot information structure at EBX. */
check_info:
	movl saved_ebx, %ebx
	movl (%ebx), %eax			/* flags: mem, cmdline, mods, mmap, name */
	andl $0x24d, %eax
	cmpl $0x24d, %eax
	jne 9f
	cmpl $639, 4(%ebx)			/* mem_lower */
	jne 9f
	cmpl $(15 << 10), 8(%ebx)		/* mem_upper: 16 MiB - 1 MiB */
	jne 9f
	movl 16(%ebx), %esi
	movl $want_cmdline, %edi
	call streq
	jne 9f
	cmpl $1, 20(%ebx)			/* mods_count */
	jne 9f
	movl 24(%ebx), %ecx
	movl (%ecx), %esi			/* mod_start */
	movl 4(%ecx), %eax
	subl %esi, %eax
	cmpl $MOD_SIZE, %eax
	jne 9f
	testl $0xfff, %esi			/* page-aligned */
	jnz 9f
	cmpl $PAYLOAD_MAGIC, (%esi)
	jne 9f
	movl 8(%ecx), %esi
	movl $want_modstr, %edi
	call streq
	jne 9f
	movl 48(%ebx), %ecx			/* mmap: size 20, RAM 0-0x9fc00 */
	cmpl $20, (%ecx)
	jne 9f
	cmpl $0, 4(%ecx)
	jne 9f
	cmpl $0x9fc00, 12(%ecx)
	jne 9f
	cmpl $1, 20(%ecx)
	jne 9f
	movl 64(%ebx), %esi
	movl $want_loader, %edi
	call streq
9:	ret
#elif defined(FMT_MB2)
/* The Multiboot2 information tags at EBX; each one wanted is checked once. */
check_info:
	movl saved_ebx, %ebx
	testl $7, %ebx
	jnz 9f
	xorl %edi, %edi				/* bit per tag type seen */
	leal 8(%ebx), %ecx
1:	movl (%ecx), %eax
	testl %eax, %eax
	jz 8f
	cmpl $1, %eax
	je t_cmdline
	cmpl $3, %eax
	je t_module
	cmpl $6, %eax
	je t_mmap
	cmpl $14, %eax
	je t_rsdp
2:	movl 4(%ecx), %eax			/* next: size rounded up to 8 */
	addl $7, %eax
	andl $~7, %eax
	addl %eax, %ecx
	jmp 1b
t_cmdline:
	pushl %edi
	leal 8(%ecx), %esi
	movl $want_cmdline, %edi
	call streq
	popl %edi
	jne 9f
	orl $0x2, %edi
	jmp 2b
t_module:
	movl 8(%ecx), %esi
	movl 12(%ecx), %eax
	subl %esi, %eax
	cmpl $MOD_SIZE, %eax
	jne 9f
	cmpl $PAYLOAD_MAGIC, (%esi)
	jne 9f
	pushl %edi
	leal 16(%ecx), %esi
	movl $want_modstr, %edi
	call streq
	popl %edi
	jne 9f
	orl $0x8, %edi
	jmp 2b
t_mmap:
	cmpl $24, 8(%ecx)			/* entry_size */
	jne 9f
	cmpl $0, 16(%ecx)
	jne 9f
	cmpl $0x9fc00, 24(%ecx)
	jne 9f
	orl $0x40, %edi
	jmp 2b
t_rsdp:
	cmpl $0x20445352, 8(%ecx)		/* "RSD " */
	jne 9f
	cmpl $0x20525450, 12(%ecx)		/* "PTR " */
	jne 9f
	orl $0x4000, %edi
	jmp 2b
8:	cmpl $0x404a, %edi
9:	ret
#elif defined(FMT_PVH)
/* struct hvm_start_info at EBX (Xen's start_info.h). */
check_info:
	movl saved_ebx, %ebx
	cmpl $PVH_MAGIC, (%ebx)
	jne 9f
	cmpl $1, 4(%ebx)			/* version */
	jne 9f
	movl 24(%ebx), %esi			/* cmdline_paddr */
	movl $want_cmdline, %edi
	call streq
	jne 9f
	cmpl $1, 12(%ebx)			/* nr_modules */
	jne 9f
	movl 16(%ebx), %ecx			/* modlist_paddr */
	cmpl $MOD_SIZE, 8(%ecx)
	jne 9f
	movl (%ecx), %esi
	cmpl $PAYLOAD_MAGIC, (%esi)
	jne 9f
	movl 16(%ecx), %esi
	movl $want_modstr, %edi
	call streq
	jne 9f
	movl 32(%ebx), %esi			/* rsdp_paddr */
	cmpl $0x20445352, (%esi)
	jne 9f
	cmpl $0x20525450, 4(%esi)
	jne 9f
	cmpl $6, 48(%ebx)			/* memmap_entries */
	jne 9f
	movl 40(%ebx), %ecx
	cmpl $0x9fc00, 8(%ecx)
	jne 9f
	cmpl $1, 16(%ecx)
9:	ret
#endif

/* ZF set if the strings at ESI and EDI are equal; clobbers AL, ESI, EDI. */
streq:
	movb (%esi), %al
	cmpb (%edi), %al
	jne 1f
	incl %esi
	incl %edi
	testb %al, %al
	jnz streq
1:	ret

/* "PASS " or "FAIL " as ZF says, the kernel's name, ": ", the string at ESI. */
report:
	pushl %esi
	movl $msg_pass, %esi
	jz 1f
	movl $msg_fail, %esi
1:	call puts
	PUTS(msg_name)
	popl %esi
	call puts
	PUTS(msg_nl)
	ret

DEFINE_PUTS_COM1_32

	.section .data
msg_pass:	.asciz "PASS "
msg_fail:	.asciz "FAIL "
msg_name:	.ascii NAME
		.asciz ": "
msg_entry:	.asciz "entry state"
msg_info:	.asciz "boot information"
msg_nl:		.asciz "\r\n"
want_cmdline:	.asciz CMDLINE
want_modstr:	.asciz "mod.bin modarg"
want_loader:	.asciz "hv"
saved_eax:	.long 0
saved_ebx:	.long 0

	.section .bss
	.p2align 4
stack:		.space 4096
stack_top:
