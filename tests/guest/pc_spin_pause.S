/*
 * pc_spin.S with a PAUSE in its loop (IF set): a guest spinning as on a
 * lock. Where its vCPU shares a CPU its PAUSEs exit and give the CPU to
 * the other runnable vCPU (docs/scheduler.md, "Yielding on a PAUSE
 * loop"); the monitor counts the yields.
 */
#define SPIN_PAUSE
#include "pc_spin.S"
