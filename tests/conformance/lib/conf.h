/*
 * Conformance kernels: the library every kernel links.
 *
 * Environment: 32-bit protected mode, flat segments of our own GDT, paging
 * off, loaded by a Multiboot v1 loader at 1 MiB. One stack per CPU; the
 * bootstrap CPU runs kmain(), the others ap_main() (lib/smp.c). Nothing
 * here relies on more than the Multiboot v1 specification and a PC.
 */
#ifndef CONF_H
#define CONF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define BIT(n) (1u << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Each kernel defines its name (the prefix of its check names) and kmain. */
extern const char conf_kernel[];
void kmain(u32 magic, u32 info);

/* ---- ports, MSRs, CPUID, control registers ---- */
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

struct cpuid { u32 a, b, c, d; };
static inline struct cpuid cpuid(u32 leaf, u32 sub)
{
	struct cpuid r;
	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
	return r;
}

static inline u32 read_cr0(void) { u32 v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline u32 read_cr2(void) { u32 v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline u32 read_cr4(void) { u32 v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(u32 v) { asm volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline void write_cr3(u32 v) { asm volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void write_cr4(u32 v) { asm volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
static inline void pause(void) { asm volatile("pause" ::: "memory"); }
static inline void mmio_write32(u32 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline u32 mmio_read32(u32 addr) { return *(volatile u32 *)addr; }
static inline u32 atomic_inc(volatile u32 *p)
{
	u32 v = 1;
	asm volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) :: "memory");
	return v;
}

/* Reads/writes an MSR; returns -1 (and leaves *v 0) if it raised #GP. */
int rdmsr_safe(u32 msr, u64 *v);
int wrmsr_safe(u32 msr, u64 v);

/* ---- lib/string.c ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* n / d and n % d for a 32-bit divisor (no libgcc in a -m32 build here). */
u64 udiv64(u64 n, u32 d, u32 *rem);

/* ---- lib/console.c: COM1, polled 16550 ---- */
void console_init(void);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- lib/report.c ---- */
/* One line per check: "PASS kernel.check", "FAIL kernel.check: detail",
 * "SKIP kernel.check: why". check() fails with the detail when !ok. */
void pass(const char *check);
void fail(const char *check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(const char *check, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int check(const char *check, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints "END kernel: N passed, N failed, N skipped", writes 0 (all
 * passed) or 1 to the debug-exit port 0xf4; if still running, ACPI S5,
 * then halts forever. */
__attribute__((noreturn)) void finish(void);

/* ---- lib/idt.c: every vector has a stub; see struct frame ---- */
struct frame {
	u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
	u32 vector, error;
	u32 eip, cs, eflags;
};
typedef void (*irq_handler_t)(struct frame *f);

struct exc_record {
	u32 vector, error, eip, cr2;
};
/* The last exception (vector < 32, int n included when no handler is set)
 * and how many were taken. */
extern volatile struct exc_record last_exc;
extern volatile u32 exc_count;
/* Where an expected fault resumes: set by the TRY asm in the kernels, cleared
 * by the handler when it is used. */
extern volatile u32 fixup_eip;
/* Per-vector count of interrupts taken (vectors >= 32 and int n). */
extern volatile u32 vec_count[256];

void idt_init(void);
void idt_load(void);
void set_handler(u8 vector, irq_handler_t h);

/* ---- lib/acpi.c ---- */
#define MAX_CPUS 64
struct acpi_info {
	int found;
	u32 ncpus;
	u8 apic_ids[MAX_CPUS];
	u32 ioapic_addr;
	u32 ioapic_gsi_base;
	u32 pm1a_cnt, pm1b_cnt, pm_tmr;
	int pm_tmr_32bit;
	u32 smi_cmd;
	u8 acpi_enable;
	int s5_found;
	u8 s5_typa, s5_typb;
	u8 iso_gsi[16];     /* ISA IRQ -> GSI after the overrides */
	u16 iso_flags[16];
};
extern struct acpi_info acpi;
void acpi_init(void);
void acpi_poweroff(void);

/* ---- lib/apic.c ---- */
#define LAPIC_ID       0x020
#define LAPIC_VERSION  0x030
#define LAPIC_TPR      0x080
#define LAPIC_EOI      0x0b0
#define LAPIC_SVR      0x0f0
#define LAPIC_ISR      0x100
#define LAPIC_TMR      0x180
#define LAPIC_IRR      0x200
#define LAPIC_ESR      0x280
#define LAPIC_ICR_LO   0x300
#define LAPIC_ICR_HI   0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERR  0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3e0

#define LVT_MASKED     BIT(16)
#define LVT_PERIODIC   BIT(17)
#define LVT_TSC_DEADLINE BIT(18)

#define ICR_INIT       (5u << 8)
#define ICR_STARTUP    (6u << 8)
#define ICR_PENDING    BIT(12)
#define ICR_ASSERT     BIT(14)
#define ICR_LEVEL      BIT(15)
#define ICR_SELF       (1u << 18)
#define ICR_ALL        (2u << 18)
#define ICR_OTHERS     (3u << 18)

#define VEC_SPURIOUS   0xff

extern u32 lapic_base;
void lapic_init(void);          /* this CPU: software-enable, TPR 0 */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
u32 lapic_id(void);
void lapic_eoi(void);
/* LINT0 as ExtINT, unmasked: the 8259's INTR reaches this CPU. */
void lapic_extint(void);
/* Sends an IPI (ICR low bits in lo, destination APIC ID) and waits for the
 * delivery status to clear. Returns -1 if it never did. */
int lapic_send_ipi(u32 dest, u32 lo);

#define IOAPIC_DEFAULT 0xfec00000u
#define IOREDTBL(pin)  (0x10 + 2 * (pin))
#define RTE_MASKED     BIT(16)
#define RTE_LEVEL      BIT(15)
#define RTE_REMOTE_IRR BIT(14)
#define RTE_ACTIVE_LOW BIT(13)
u32 ioapic_read(u32 reg);
void ioapic_write(u32 reg, u32 v);
void ioapic_route(u32 pin, u32 lo, u32 dest);
u32 ioapic_rte_lo(u32 pin);
/* The EOI register (version 0x20): clears remote IRR of entries with vector. */
void ioapic_write_eoi(u8 vector);

/* 8259 pair at vectors base..base+15, every line masked. */
void pic_init(u8 base);
void pic_set_mask(u16 mask);
void pic_eoi(u32 irq);

/* ---- lib/timer.c ---- */
#define PIT_HZ 1193182u
extern u32 tsc_khz;
/* Measures the TSC against 10 ms of PIT channel 2; returns tsc_khz. */
u32 tsc_calibrate(void);
void delay_us(u32 us);
u64 tsc_us(u64 ticks);    /* TSC ticks to microseconds */

/* ---- lib/smp.c ---- */
extern volatile u32 cpus_online;      /* the BSP counts itself */
extern volatile u8 cpu_online[MAX_CPUS]; /* by APIC ID */
/* Called on each AP once it runs in protected mode with our GDT/IDT. */
extern void (*ap_hook)(void);
/* Starts every enabled CPU of the MADT with INIT-SIPI-SIPI; returns how
 * many came online within the wait, the BSP included. */
u32 smp_start_aps(void);

/* ---- lib/entry.S: the state the loader left ---- */
struct mb_entry_state {
	u32 eax, ebx, cr0, eflags;
	u16 cs, ds, es, fs, gs, ss;
	u32 seg_mark[5];	/* SEG_MARK as written through DS, ES, FS, GS, SS */
};
#define SEG_MARK 0x5e65a4c5
_Static_assert(__builtin_offsetof(struct mb_entry_state, seg_mark) == 28, "entry.S offsets");
_Static_assert(sizeof(struct mb_entry_state) == 48, "entry.S size");
extern struct mb_entry_state mb_entry_state;
extern char _kernel_start[], _kernel_end[];

#endif
