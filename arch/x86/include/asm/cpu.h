/*
 * x86-64 instruction wrappers: CPUID, MSRs, control registers, port I/O,
 * interrupt flag, TSC. Hypervisor only (privileged instructions).
 */
#ifndef ASM_CPU_H
#define ASM_CPU_H

#include "asm/atomic.h"
#include "asm/cpuid.h"
#include "asm/cpu_regs.h"
#include "core/lib/compiler.h"

/* The longest instruction the CPU executes; a longer one raises #GP. */
#define X86_INSN_MAX_LEN 15

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline void cpuid_count(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			     : "a"(leaf), "c"(sub));
}

static inline void cpuid(uint32_t leaf, struct cpuid_regs *r)
{
	cpuid_count(leaf, 0, r);
}

/* Physical address bits of this CPU (CPUID 0x80000008, else 36). */
static inline unsigned int cpuid_phys_bits(void)
{
	struct cpuid_regs r;

	cpuid(CPUID_EXT_MAX, &r);
	if (r.eax < CPUID_EXT_ADDR_SIZES)
		return CPUID_PHYS_BITS_DEFAULT;
	cpuid(CPUID_EXT_ADDR_SIZES, &r);
	return r.eax & CPUID_ADDR_SIZES_PHYS_MASK;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ __volatile__("wrmsr"
			     :
			     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			     : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)						\
static inline uint64_t read_cr##n(void)					\
{									\
	uint64_t v;							\
	__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));		\
	return v;							\
}									\
static inline void write_cr##n(uint64_t v)				\
{									\
	__asm__ __volatile__("mov %0, %%cr" #n :: "r"(v) : "memory");	\
}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/*
 * DR0-DR3, the breakpoint addresses: neither VMCB nor VMCS switches them,
 * and the host never uses them; the backends keep each vCPU's values.
 */
static inline void read_dr0_3(uint64_t dr[4])
{
	__asm__ __volatile__("mov %%dr0, %0" : "=r"(dr[0]));
	__asm__ __volatile__("mov %%dr1, %0" : "=r"(dr[1]));
	__asm__ __volatile__("mov %%dr2, %0" : "=r"(dr[2]));
	__asm__ __volatile__("mov %%dr3, %0" : "=r"(dr[3]));
}

static inline void write_dr0_3(const uint64_t dr[4])
{
	__asm__ __volatile__("mov %0, %%dr0" :: "r"(dr[0]));
	__asm__ __volatile__("mov %0, %%dr1" :: "r"(dr[1]));
	__asm__ __volatile__("mov %0, %%dr2" :: "r"(dr[2]));
	__asm__ __volatile__("mov %0, %%dr3" :: "r"(dr[3]));
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	__asm__ __volatile__("pushfq; popq %0" : "=r"(f) :: "memory");
	return f;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline void cpu_halt(void)
{
	__asm__ __volatile__("hlt" ::: "memory");
}

/* Enables interrupts and halts in one step: no wake-up is lost between. */
static inline void cpu_safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

static inline void invlpg(const void *va)
{
	__asm__ __volatile__("invlpg (%0)" :: "r"(va) : "memory");
}

static inline uint64_t read_rbp(void)
{
	uint64_t v;

	__asm__ __volatile__("mov %%rbp, %0" : "=r"(v));
	return v;
}

#endif
