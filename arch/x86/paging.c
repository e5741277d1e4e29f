/*
 * Host page tables. The hypervisor runs identity-mapped: virtual address ==
 * physical address for all RAM and for the MMIO window below 4 GiB. The
 * tables are built once by the boot CPU (before the other CPUs start) from
 * frames below 4 GiB, so the AP trampoline can load CR3 from 32-bit code;
 * they are never changed afterwards.
 *
 * 2 MiB pages: write-back where a 2 MiB page touches RAM, uncached
 * (PCD|PWT) where it touches only holes, so that device registers are not
 * cached whatever the firmware's MTRRs say. Everything above the mapped
 * limit faults (the fault self-test relies on that).
 */
#include "asm/cpu.h"
#include "asm/paging.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "mm/frame.h"

#define PT_ENTRIES 512

static uint64_t host_cr3;
static uint64_t mapped_limit;

static bool range_has_ram(const struct boot_record *boot, uint64_t base, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < boot->n_mem; i++) {
		const struct boot_mem_region *r = &boot->mem[i];

		if (r->type == BOOT_MEM_RESERVED || r->type == BOOT_MEM_BAD)
			continue;
		if (r->base < base + size && base < r->base + r->size)
			return true;
	}
	return false;
}

static uint64_t ram_top(const struct boot_record *boot)
{
	uint64_t top = 0;
	uint32_t i;

	for (i = 0; i < boot->n_mem; i++) {
		const struct boot_mem_region *r = &boot->mem[i];

		if (r->type != BOOT_MEM_RESERVED && r->type != BOOT_MEM_BAD)
			top = MAX(top, r->base + r->size);
	}
	return top;
}

static int alloc_table(uint64_t **table, paddr_t *pa)
{
	int err = frame_alloc_below(GiB(4), pa);

	if (err)
		return err;
	*table = phys_to_virt(*pa);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		(*table)[i] = 0;
	return 0;
}

int paging_init(const struct boot_record *boot)
{
	uint64_t *pml4, *pdpt = NULL, *pd;
	paddr_t pml4_pa, pa;
	uint64_t addr;
	int err;

	mapped_limit = ALIGN_UP(MAX(ram_top(boot), GiB(4)), GiB(1));
	if (mapped_limit > (1ull << 39) * PT_ENTRIES / 2)
		mapped_limit = (1ull << 39) * PT_ENTRIES / 2;

	err = alloc_table(&pml4, &pml4_pa);
	if (err)
		return err;
	for (addr = 0; addr < mapped_limit; addr += MiB(2)) {
		unsigned int l4 = (addr >> 39) & 511, l3 = (addr >> 30) & 511;
		unsigned int l2 = (addr >> 21) & 511;

		if (!(pml4[l4] & PTE_P)) {
			err = alloc_table(&pdpt, &pa);
			if (err)
				return err;
			pml4[l4] = pa | PTE_P | PTE_W;
		}
		pdpt = phys_to_virt(pml4[l4] & PTE_ADDR_MASK);
		if (!(pdpt[l3] & PTE_P)) {
			err = alloc_table(&pd, &pa);
			if (err)
				return err;
			pdpt[l3] = pa | PTE_P | PTE_W;
		}
		pd = phys_to_virt(pdpt[l3] & PTE_ADDR_MASK);
		pd[l2] = addr | PTE_P | PTE_W | PTE_PS | PTE_G;
		if (!range_has_ram(boot, addr, MiB(2)))
			pd[l2] |= PTE_PCD | PTE_PWT;
	}
	host_cr3 = pml4_pa;
	write_cr4(read_cr4() | X86_CR4_PGE);
	write_cr3(host_cr3);
	return 0;
}

uint64_t paging_host_cr3(void)
{
	return host_cr3;
}

uint64_t paging_mapped_limit(void)
{
	return mapped_limit;
}
