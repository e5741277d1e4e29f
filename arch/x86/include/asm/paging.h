/* Host page tables: 4-level, identity map of RAM and the MMIO below 4 GiB. */
#ifndef ASM_PAGING_H
#define ASM_PAGING_H

#include "core/lib/boot.h"

#define PTE_P    BIT_ULL(0)
#define PTE_W    BIT_ULL(1)
#define PTE_U    BIT_ULL(2)
#define PTE_PWT  BIT_ULL(3)
#define PTE_PCD  BIT_ULL(4)
#define PTE_A    BIT_ULL(5)
#define PTE_D    BIT_ULL(6)
#define PTE_PS   BIT_ULL(7)
#define PTE_G    BIT_ULL(8)
#define PTE_NX   BIT_ULL(63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* Builds the identity map and switches this CPU to it. */
int paging_init(const struct boot_record *boot);
/* CR3 value for the other CPUs (below 4 GiB: loaded from 32-bit code). */
uint64_t paging_host_cr3(void);
/* Highest address the identity map covers (exclusive). */
uint64_t paging_mapped_limit(void);

#endif
