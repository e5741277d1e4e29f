/* Time from the TSC, calibrated once at boot. */
#ifndef ASM_TSC_H
#define ASM_TSC_H

#include "asm/cpu.h"

extern uint64_t tsc_hz;

/* Calibrates; returns a description of the source used. */
const char *tsc_calibrate(void);
void tsc_mark_boot(void);
uint64_t tsc_deadline_us(uint64_t us);
bool tsc_expired(uint64_t deadline);
void udelay(uint64_t us);

#endif
