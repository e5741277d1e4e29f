/*
 * pc_spin.S spinning with IF clear: the guest never takes an interrupt,
 * so only an exit that the host's own interrupt forces takes its CPU.
 */
#define SPIN_CLI
#include "pc_spin.S"
