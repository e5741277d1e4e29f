/*
 * Where a vCPU's exits come from: counts by (reason, guest RIP) of the
 * exits its flight recorder (core/exit_rec.h) holds, sampled while the
 * vCPU runs, and the most frequent of them. The monitor's `profile`
 * command (core/launch/monitor_profile.c) keeps one per vCPU.
 *
 * One thread owns a struct exit_profile (the monitor): no lock. It reads
 * the recorder as any reader does (exit_rec_read()), so the vCPU's exit
 * path pays nothing for it. Exits the ring overwrote before a sample
 * read them are counted as missed, not guessed.
 */
#ifndef CORE_EXIT_PROFILE_H
#define CORE_EXIT_PROFILE_H

#include "core/exit_rec.h"

/* Distinct (reason, RIP) pairs counted; more are counted as dropped. */
#define EXIT_PROFILE_SLOTS 512

struct exit_profile_slot {
	uint64_t rip;
	uint64_t count;		/* 0: the slot is free */
	uint8_t reason;		/* enum vm_exit_reason */
};

struct exit_profile {
	struct exit_profile_slot slots[EXIT_PROFILE_SLOTS];
	uint64_t next;		/* the recorder's next exit number to read */
	uint64_t sampled;	/* exits counted into slots or dropped */
	uint64_t missed;	/* exits overwritten before a sample read them */
	uint64_t dropped;	/* exits of pairs that found no free slot */
};

/* Empties p and starts it at the recorder's next exit. */
void exit_profile_start(struct exit_profile *p, const struct exit_rec *r);

/* Counts one exit of reason at rip. */
void exit_profile_add(struct exit_profile *p, unsigned int reason, uint64_t rip);

/*
 * Counts the exits r recorded since the last call (or the start); those
 * it no longer holds are missed. Returns the exits counted now.
 */
uint64_t exit_profile_sample(struct exit_profile *p, const struct exit_rec *r);

/*
 * The n most frequent pairs, most frequent first (equal counts: lower
 * RIP first), into out. Returns how many there are (at most n).
 */
unsigned int exit_profile_top(const struct exit_profile *p, struct exit_profile_slot *out,
			      unsigned int n);

#endif
