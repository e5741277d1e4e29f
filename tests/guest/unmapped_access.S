/*
 * A guest that touches guest-physical memory outside every memslot: the
 * VM has 1 MiB of RAM and reads 0x100000 (FFFF:0010, no A20 wrap in a
 * VM). The hypervisor must stop this VM with a message naming the
 * address, and go on.
 */
#include "payload.h"

PAYLOAD_HEADER(1, 1)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_start)
	movw $0xffff, %ax
	movw %ax, %es
	movb %es:0x10, %al		/* guest-physical 0x100000 */
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_fail)
	EXIT16(1)
	hlt

DEFINE_PUTS16

msg_start: .asciz "unmapped_access: reading guest-physical 0x100000\n"
msg_fail:  .asciz "FAIL unmapped_access: the read returned\n"
