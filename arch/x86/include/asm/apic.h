/* Local APIC of the host CPUs, xAPIC (MMIO) or x2APIC (MSR) mode. */
#ifndef ASM_APIC_H
#define ASM_APIC_H

#include "core/lib/compiler.h"

/* Register offsets in the xAPIC page; x2APIC MSR = 0x800 + (offset >> 4). */
#define APIC_REG_ID       0x020
#define APIC_REG_VERSION  0x030
#define APIC_REG_TPR      0x080
#define APIC_REG_EOI      0x0b0
#define APIC_REG_SVR      0x0f0
#define   APIC_SVR_ENABLE BIT(8)
#define APIC_REG_ESR      0x280
#define APIC_REG_ICR_LO   0x300
#define APIC_REG_ICR_HI   0x310
#define APIC_REG_LVT_TIMER 0x320
#define APIC_REG_LVT_LINT0 0x350
#define APIC_REG_LVT_LINT1 0x360
#define APIC_REG_LVT_ERROR 0x370
#define   APIC_LVT_MASKED BIT(16)
#define APIC_REG_TIMER_ICR 0x380
#define APIC_REG_TIMER_CCR 0x390
#define APIC_REG_TIMER_DCR 0x3e0

#define APIC_ICR_DM_FIXED    (0u << 8)
#define APIC_ICR_DM_NMI      (4u << 8)
#define APIC_ICR_DM_INIT     (5u << 8)
#define APIC_ICR_DM_STARTUP  (6u << 8)
#define APIC_ICR_BUSY        BIT(12)
#define APIC_ICR_LEVEL_ASSERT BIT(14)
#define APIC_ICR_TRIGGER_LEVEL BIT(15)
#define APIC_ICR_DEST_SELF   (1u << 18)

int apic_init_bsp(uint64_t madt_lapic_base);
void apic_init_cpu(void);
bool apic_x2apic_mode(void);
uint32_t apic_read_id(void);
void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
void apic_send_self_ipi(uint8_t vector);
int apic_send_init(uint32_t apic_id);
int apic_send_startup(uint32_t apic_id, uint32_t page);
void apic_timer_calibrate(void);
void apic_timer_oneshot(uint64_t delta_ns);

#endif
