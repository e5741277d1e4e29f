/*
 * A hostile scan of the virtual PC's guest-physical space: the kernel of a
 * vms.cfg VM with 32 MiB of RAM (memscan.scn). Real mode at entry, then
 * flat 32-bit protected mode without paging, which reaches all of 4 GiB.
 * Prints through COM1 and powers off through ACPI S5; the VM must never
 * stop (docs/platform.md, "Memory map").
 *
 * 1. The BIOS data area and the EBDA hold what a PC's firmware leaves:
 *    COM ports 0x3f8, 0x2f8, 0, 0; EBDA segment 0x9fc0; equipment word
 *    0x0422; 639 KiB of base memory; the EBDA's size word 1.
 * 2. Every page of the first MiB, then one page every SCAN_STRIDE bytes
 *    from 1 MiB to 4 GiB: its first dword is read, written with a pattern
 *    (the page's address xor 0x5ca1ab1e) and read back.
 *      RAM (below 0xa0000, 1 MiB to 32 MiB): reads the pattern back; the
 *        old dword is put back (the scan runs over its own image).
 *      VGA window (0xa0000-0xbffff): plain RAM, the same.
 *      ROM (0xc0000-0xfffff): reads back what it read before the write,
 *        0xffffffff below 0xe0000, "RSD " at 0xe0000 (the ACPI RSDP).
 *      IOAPIC and local APIC pages: read only.
 *      Anything else: unbacked, reads all ones before and after.
 *    The summary counts each kind; a mismatch prints FAIL with the page
 *    and what it read, and stops the scan.
 *
 * memscan.S scans with a stride of 1 MiB above the first MiB (4351
 * pages, about 5 s under QEMU TCG); memscan_full.S includes it with a
 * stride of 4 KiB, every page up to 4 GiB (tests/slow/: about 160 s).
 */
#include "payload.h"

#ifndef SCAN_STRIDE
#define SCAN_STRIDE 0x100000
#endif

#define RAM_END     (32 << 20)
#define VGA_START   0xa0000
#define ROM_START   0xc0000
#define ACPI_START  0xe0000
#define LOW_END     0x100000
#define IOAPIC      0xfec00000
#define LAPIC       0xfee00000
#define PATTERN     0x5ca1ab1e
#define RSDP_SIG    0x20445352		/* "RSD " */
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

	/* 1. The BIOS data area and the EBDA: EDI the address, EAX its value. */
	movl $0x400, %edi
	movl (%edi), %eax
	cmpl $0x02f803f8, %eax		/* COM1, COM2 */
	jne bda_bad
	movl $0x404, %edi
	movl (%edi), %eax
	testl %eax, %eax		/* no COM3, COM4 */
	jnz bda_bad
	movl $0x40e, %edi
	movzwl (%edi), %eax
	cmpl $0x9fc0, %eax
	jne bda_bad
	movl $0x410, %edi
	movzwl (%edi), %eax
	cmpl $0x0422, %eax
	jne bda_bad
	movl $0x413, %edi
	movzwl (%edi), %eax
	cmpl $639, %eax
	jne bda_bad
	movl $0x9fc00, %edi
	movzwl (%edi), %eax
	cmpl $1, %eax
	jne bda_bad
	PUTS(msg_bda_pass)

	/* 2. The scan: EDI the page, EBX the pattern, EDX the old dword. */
	xorl %edi, %edi
next:
	movl %edi, %ebx
	xorl $PATTERN, %ebx
	cmpl $IOAPIC, %edi
	je device
	cmpl $LAPIC, %edi
	je device
	cmpl $VGA_START, %edi
	jb ram
	cmpl $ROM_START, %edi
	jb vga
	cmpl $LOW_END, %edi
	jb rom
	cmpl $RAM_END, %edi
	jb ram

unbacked:
	movl (%edi), %eax
	cmpl $0xffffffff, %eax
	jne unbacked_bad
	movl %ebx, (%edi)
	movl (%edi), %eax
	cmpl $0xffffffff, %eax
	jne unbacked_bad
	incl n_unbacked
	jmp step

ram:
	incl n_ram
	jmp 1f
vga:
	incl n_vga
1:	movl (%edi), %edx
	movl %ebx, (%edi)
	movl (%edi), %eax
	movl %edx, (%edi)
	cmpl %ebx, %eax
	jne ram_bad
	jmp step

rom:
	movl (%edi), %edx
	movl %ebx, (%edi)
	movl (%edi), %eax
	cmpl %edx, %eax
	jne rom_bad
	cmpl $ACPI_START, %edi
	jb 1f
	jne 2f
	cmpl $RSDP_SIG, %eax		/* the RSDP's signature */
	jne rom_bad
	jmp 2f
1:	cmpl $0xffffffff, %eax		/* nothing there */
	jne rom_bad
2:	incl n_rom
	jmp step

device:
	movl (%edi), %eax
	incl n_device

step:
	cmpl $LOW_END, %edi
	jae 1f
	addl $0x1000, %edi		/* the first MiB page by page */
	jmp next
1:	addl $SCAN_STRIDE, %edi
	jnc next			/* up to 4 GiB */

	PUTS(msg_summary)
	movl n_ram, %eax
	call putdec
	PUTS(msg_ram)
	movl n_vga, %eax
	call putdec
	PUTS(msg_vga)
	movl n_rom, %eax
	call putdec
	PUTS(msg_rom)
	movl n_device, %eax
	call putdec
	PUTS(msg_device)
	movl n_unbacked, %eax
	call putdec
	PUTS(msg_unbacked)
	movl $SCAN_STRIDE, %eax
	call puthex32
	PUTS(msg_pass)
	movw $PM1A_CNT, %dx
	movw $SLP_S5_EN, %ax
	outw %ax, %dx
	jmp halt

bda_bad:
	PUTS(msg_bda_fail)
	jmp bad_at
unbacked_bad:
	PUTS(msg_unbacked_fail)
	jmp bad_at
ram_bad:
	PUTS(msg_ram_fail)
	jmp bad_at
rom_bad:
	PUTS(msg_rom_fail)
bad_at:					/* EDI the address, EAX what it read */
	movl %eax, %ebx
	movl %edi, %eax
	call puthex32
	PUTS(msg_reads)
	movl %ebx, %eax
	call puthex32
	PUTS(msg_nl)
halt:
	cli
	hlt
	jmp halt

/* EAX in decimal; clobbers EAX, ECX, EDX. */
putdec:
	movl $10, %ecx
	xorl %edx, %edx
	divl %ecx
	testl %eax, %eax
	jz 1f
	pushl %edx
	call putdec
	popl %edx
1:	movb hexdigits(%edx), %al
	jmp putc

DEFINE_PUTHEX_COM1_32

DEFINE_PUTS_COM1_32

DEFINE_GDT

	.p2align 2
n_ram:      .long 0
n_vga:      .long 0
n_rom:      .long 0
n_device:   .long 0
n_unbacked: .long 0

hexdigits:         .ascii "0123456789abcdef"
msg_start:         .asciz "memscan: the BIOS data area, then a write and a read in each page up to 4 GiB\n"
msg_bda_pass:      .asciz "PASS memscan: BIOS data area and EBDA\n"
msg_summary:       .asciz "memscan: "
msg_ram:           .asciz " RAM, "
msg_vga:           .asciz " VGA, "
msg_rom:           .asciz " ROM, "
msg_device:        .asciz " device (read only), "
msg_unbacked:      .asciz " unbacked pages; stride above 1 MiB 0x"
msg_pass:          .asciz "\nPASS memscan\n"
msg_bda_fail:      .asciz "FAIL memscan: BIOS data area at 0x"
msg_unbacked_fail: .asciz "FAIL memscan: unbacked page 0x"
msg_ram_fail:      .asciz "FAIL memscan: RAM page 0x"
msg_rom_fail:      .asciz "FAIL memscan: ROM page 0x"
msg_reads:         .asciz " reads 0x"
msg_nl:            .asciz "\n"

/*
 * The scan writes the first dword of each page: the image must fit in the
 * page at 0x1000 (.org refuses to move backwards).
 */
	.org _start + 0x1000
