/*
 * Guest memory from the hypervisor's side: reads and writes by guest
 * physical address through the VM's memslots, linear-to-physical walks of
 * the guest's own page tables, and instruction fetch for decoding.
 * vCPU context; each access is one read section on the vCPU's reader.
 */
#include "asm/cpu_regs.h"
#include "asm/msr.h"
#include "core/lib/errno.h"
#include "core/insn_len.h"
#include "core/ram_zero.h"
#include "core/lib/string.h"
#include "core/guest_mem.h"
#include "core/vcpu_run.h"

#define GPTE_P           BIT_ULL(0)
#define GPTE_PS          BIT_ULL(7)
#define GPTE_ADDR        0x000ffffffffff000ull

static int guest_access_gpa(struct vcpu *vcpu, uint64_t gpa, void *buf,
			    size_t len, bool write)
{
	struct vm_memslots *m = &vcpu->vm->memslots;
	int err = 0;

	srcu_read_lock(&vcpu->srcu);
	while (len) {
		const struct memslot_set *set = srcu_dereference(m->active);
		const struct memslot *s = memslot_find(set, gpa >> PAGE_SHIFT);
		size_t chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		uint8_t *host;

		if (!s || (write && (s->flags & MEMSLOT_READONLY))) {
			err = -EFAULT;
			break;
		}
		if (vcpu->vm->ram_zero)
			ram_zero_touch(vcpu->vm->ram_zero, gpa, chunk);
		host = (uint8_t *)phys_to_virt(memslot_gfn_to_hpa(s, gpa >> PAGE_SHIFT)) +
		       (gpa & (PAGE_SIZE - 1));
		if (write) {
			memcpy(host, buf, chunk);
			memslot_mark_dirty(s, gpa >> PAGE_SHIFT);
		} else {
			memcpy(buf, host, chunk);
		}
		buf = (uint8_t *)buf + chunk;
		gpa += chunk;
		len -= chunk;
	}
	srcu_read_unlock(&vcpu->srcu);
	return err;
}

int guest_read_gpa(struct vcpu *vcpu, uint64_t gpa, void *buf, size_t len)
{
	return guest_access_gpa(vcpu, gpa, buf, len, false);
}

int guest_write_gpa(struct vcpu *vcpu, uint64_t gpa, const void *buf, size_t len)
{
	return guest_access_gpa(vcpu, gpa, (void *)buf, len, true);
}

/* One level of a walk: entry index bits [shift, shift+bits) of gla. */
static int walk_level(struct vcpu *vcpu, uint64_t table, uint64_t gla, unsigned int shift,
		      unsigned int bits, unsigned int entry_size, uint64_t *entry)
{
	uint64_t idx = (gla >> shift) & ((1ull << bits) - 1);

	*entry = 0;
	if (guest_read_gpa(vcpu, table + idx * entry_size, entry, entry_size))
		return -EFAULT;
	return (*entry & GPTE_P) ? 0 : -EFAULT;
}

int guest_linear_to_gpa(struct vcpu *vcpu, const struct vm_exit *exit,
			uint64_t gla, uint64_t *gpa)
{
	uint64_t cr3 = exit->guest.cr3, e, table;
	int level, shift;

	if (!(exit->guest.cr0 & X86_CR0_PG)) {
		*gpa = gla & 0xffffffffull;
		if (exit->guest.mode == GUEST_MODE_LONG64)
			*gpa = gla;
		return 0;
	}
	if (exit->guest.efer & EFER_LMA) {
		level = (exit->guest.cr4 & X86_CR4_LA57) ? 5 : 4;
		table = cr3 & GPTE_ADDR;
		for (shift = 12 + 9 * (level - 1); level > 0; level--, shift -= 9) {
			if (walk_level(vcpu, table, gla, shift, 9, 8, &e))
				return -EFAULT;
			if (level == 1 || ((e & GPTE_PS) && level <= 3)) {
				uint64_t mask = (1ull << shift) - 1;

				*gpa = (e & GPTE_ADDR & ~mask) | (gla & mask);
				return 0;
			}
			table = e & GPTE_ADDR;
		}
		return -EFAULT;
	}
	if (exit->guest.cr4 & X86_CR4_PAE) {
		table = cr3 & 0xffffffe0ull;
		if (walk_level(vcpu, table, gla, 30, 2, 8, &e))
			return -EFAULT;
		table = e & GPTE_ADDR;
		if (walk_level(vcpu, table, gla, 21, 9, 8, &e))
			return -EFAULT;
		if (e & GPTE_PS) {
			*gpa = (e & GPTE_ADDR & ~0x1fffffull) | (gla & 0x1fffff);
			return 0;
		}
		if (walk_level(vcpu, e & GPTE_ADDR, gla, 12, 9, 8, &e))
			return -EFAULT;
		*gpa = (e & GPTE_ADDR) | (gla & 0xfff);
		return 0;
	}
	table = cr3 & 0xfffff000ull;
	if (walk_level(vcpu, table, gla, 22, 10, 4, &e))
		return -EFAULT;
	if ((e & GPTE_PS) && (exit->guest.cr4 & X86_CR4_PSE)) {
		*gpa = (e & 0xffc00000ull) | (gla & 0x3fffff);
		return 0;
	}
	if (walk_level(vcpu, e & 0xfffff000ull, gla, 12, 10, 4, &e))
		return -EFAULT;
	*gpa = (e & 0xfffff000ull) | (gla & 0xfff);
	return 0;
}

size_t guest_fetch_insn(struct vcpu *vcpu, const struct vm_exit *exit,
			uint8_t code[X86_INSN_MAX_LEN])
{
	uint64_t gla = exit->guest.cs_base + vcpu->bv->regs.rip, gpa;
	size_t got = 0;

	if (exit->guest.mode != GUEST_MODE_LONG64)
		gla &= 0xffffffffull;
	/* Page by page: the next page may be absent. */
	while (got < X86_INSN_MAX_LEN) {
		size_t chunk = MIN(X86_INSN_MAX_LEN - got,
				   PAGE_SIZE - ((gla + got) & (PAGE_SIZE - 1)));

		if (guest_linear_to_gpa(vcpu, exit, gla + got, &gpa) ||
		    guest_read_gpa(vcpu, gpa, code + got, chunk))
			break;
		got += chunk;
	}
	return got;
}

int guest_insn_len(struct vcpu *vcpu, const struct vm_exit *exit)
{
	uint8_t code[X86_INSN_MAX_LEN];
	enum insn_mode mode = exit->guest.mode == GUEST_MODE_LONG64 ? INSN_MODE_64 :
			      exit->guest.mode == GUEST_MODE_PROT32 ? INSN_MODE_32 :
			      INSN_MODE_16;
	size_t got;

	if (exit->insn_len)
		return exit->insn_len;
	got = guest_fetch_insn(vcpu, exit, code);
	if (!got)
		return -EFAULT;
	return insn_len(code, got, mode);
}
