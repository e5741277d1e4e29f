/*
 * WBINVD in a loop: the hypervisor intercepts it and skips it (no device
 * is assigned to a guest, so there is nothing of the guest's to write
 * back), so the loop exits WBINVD_LOOPS times instead of flushing the
 * caches every other VM shares each time. The VM's exit counts must list
 * them (the scenario checks "exits WBINVD <n>").
 */
#include "payload.h"

#define WBINVD_LOOPS 4096

PAYLOAD_HEADER(1, 0)
	cli
	xorw %ax, %ax
	movw %ax, %ds
	PUTS16(msg_start)
	movw $WBINVD_LOOPS, %cx
1:	wbinvd
	loop 1b
	PUTS16(msg_done)
	EXIT16(0)
	hlt

DEFINE_PUTS16

msg_start: .asciz "wbinvd_noop: start\n"
msg_done:  .asciz "PASS wbinvd_noop: 4096 WBINVD executed, the guest goes on\n"
