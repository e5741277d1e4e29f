/*
 * The hypervisor's access to a guest's memory (core/guest_mem.c): by
 * guest-physical address through the memslots, by linear address
 * through the guest's own page tables, and the instruction at the
 * guest's RIP. The vCPU's own thread.
 */
#ifndef CORE_GUEST_MEM_H
#define CORE_GUEST_MEM_H

#include "asm/cpu.h"
#include "core/vm.h"

/*
 * Guest memory (core/guest_mem.c). A read section on the vCPU's srcu
 * reader is taken inside. Return 0 or -EFAULT (no memslot).
 */
int guest_read_gpa(struct vcpu *vcpu, uint64_t gpa, void *buf, size_t len);
int guest_write_gpa(struct vcpu *vcpu, uint64_t gpa, const void *buf, size_t len);
/* Linear -> guest physical through the guest's own page tables. */
int guest_linear_to_gpa(struct vcpu *vcpu, const struct vm_exit *exit,
			uint64_t gla, uint64_t *gpa);
/*
 * The instruction at the guest's RIP (CS base + RIP, truncated to 32 bits
 * outside 64-bit mode), through the guest's page tables: as many bytes,
 * up to X86_INSN_MAX_LEN, as are readable. Returns the count (0: none).
 */
size_t guest_fetch_insn(struct vcpu *vcpu, const struct vm_exit *exit,
			uint8_t code[X86_INSN_MAX_LEN]);
/*
 * Length of the instruction at the guest's RIP, from the exit if the
 * hardware said, else decoded from guest memory. < 0 if unreadable.
 */
int guest_insn_len(struct vcpu *vcpu, const struct vm_exit *exit);

#endif
