/*
 * The VM-exit flight recorder: per vCPU, a ring of its last exits. Each
 * entry holds the exit's TSC, its normalised reason and the vendor's raw
 * code, the qualification, RIP and GPA, the event injected on the entry
 * that followed, and the hypervisor's time from the exit to that entry
 * in TSC cycles.
 *
 * One writer: the vCPU's own thread records an exit in two halves,
 * exit_rec_exit() right after the exit and exit_rec_entry() just before
 * the next entry. Any number of readers (the console monitor, the report
 * of a VM that stopped) read while it writes, with exit_rec_read(). No
 * lock is taken and the writer stores only to the ring and the struct,
 * which belong to its vCPU: the hot path shares no cache line.
 *
 * Torn entries: each entry carries a sequence word, odd while the writer
 * changes the entry, even otherwise, which also names the exit the entry
 * holds (seqcount-style; docs/locking.md, "The flight recorder"). A
 * reader copies the entry between two reads of the word and keeps the
 * copy only if the word did not change and named the exit it wanted.
 */
#ifndef CORE_EXIT_REC_H
#define CORE_EXIT_REC_H

#include "asm/atomic.h"
#include "core/exit.h"
#include "core/lib/compiler.h"

/* Entries per vCPU without trace= on the command line. */
#define EXIT_REC_DEFAULT_LEN	256
/* The most trace= may ask for: 4 MiB of ring per vCPU. */
#define EXIT_REC_MAX_LEN	65536
/* No event was injected on the entry after the exit. */
#define EXIT_REC_EV_NONE	0xff
/* Entries the monitor and the error report print by default. */
#define EXIT_REC_SHOW		32

/*
 * The state of an entry, in the low two bits of its sequence word; the
 * bits above hold the exit's number + 1 (0: the slot was never written).
 * Odd states are a write in progress.
 */
enum exit_rec_state {
	EXIT_REC_DONE,		/* both halves written */
	EXIT_REC_WRITING_EXIT,
	EXIT_REC_OPEN,		/* the exit written; the next entry not yet */
	EXIT_REC_WRITING_ENTRY,
};
#define EXIT_REC_STATE_MASK	3ull
#define EXIT_REC_SEQ_SHIFT	2

/* One exit: one cache line, so that a slot is never split across two. */
struct exit_rec_entry {
	uint64_t seq;		/* (exit number + 1) << 2 | enum exit_rec_state */
	uint64_t tsc;		/* TSC when the backend returned the exit */
	uint64_t rip;		/* guest RIP at the exit */
	uint64_t qual;		/* SVM EXITINFO1 / VMX exit qualification */
	uint64_t gpa;		/* guest-physical address (TDP exits), else 0 */
	uint64_t cycles;	/* exit to the next entry; 0 while EXIT_REC_OPEN */
	uint32_t raw;		/* SVM EXITCODE / VMX exit reason, low 32 bits */
	uint8_t reason;		/* enum vm_exit_reason */
	uint8_t ev_type;	/* enum vm_event_type injected next, or EXIT_REC_EV_NONE */
	uint8_t ev_vector;
	uint8_t ev_has_error;
	uint32_t ev_error;
	uint32_t pad;
} __aligned(64);
_Static_assert(sizeof(struct exit_rec_entry) == 64, "one entry, one cache line");

struct exit_rec {
	/* Fixed at creation: the ring (NULL: the recorder is off), len - 1. */
	struct exit_rec_entry *ring;
	uint32_t mask;
	/* Writer only: the last exit still awaits its entry half. */
	bool open;
	/*
	 * Exits recorded so far. Written by the vCPU's thread with a release
	 * store after the entry's first half; readers load it with acquire.
	 */
	uint64_t head;
};

/*
 * The ring length trace=N asks for: 0 (off), or N rounded up to a power
 * of two and capped at EXIT_REC_MAX_LEN.
 */
unsigned int exit_rec_len_for(uint64_t n);

/*
 * The length every vCPU created from now on gets: set once at boot from
 * the command line, before any VM exists; read by vm_vcpu_create().
 */
void exit_rec_set_default_len(unsigned int len);
unsigned int exit_rec_default_len(void);

/*
 * Sets r up over ring, len entries (a power of two; 0 with ring NULL:
 * off). The memory must be zeroed and 64-byte aligned.
 */
void exit_rec_init(struct exit_rec *r, struct exit_rec_entry *ring, unsigned int len);

static inline unsigned int exit_rec_len(const struct exit_rec *r)
{
	return r->ring ? r->mask + 1 : 0;
}

/* Exits recorded so far (any thread). */
static inline uint64_t exit_rec_head(const struct exit_rec *r)
{
	/* Pairs with the release store in exit_rec_exit(). */
	return smp_load_acquire(&r->head);
}

/*
 * First half, the vCPU's thread, right after an exit: a new entry with
 * the exit's fields, open until exit_rec_entry(). An entry still open
 * (the loop ended before entering again) stays so.
 */
void exit_rec_exit(struct exit_rec *r, uint64_t tsc, const struct vm_exit *exit,
		   uint64_t rip);

/*
 * Second half, the vCPU's thread, just before the entry after the exit:
 * the cycles from the exit to this entry and the event the entry
 * injects (NULL or !valid: none). Nothing to do if no entry is open.
 */
void exit_rec_entry(struct exit_rec *r, uint64_t cycles, const struct vm_event *ev);

/*
 * Any thread: copies exit number n into *out if the ring still holds it
 * whole (seq says which state it was in). Returns false if n was not
 * recorded yet, was overwritten, or kept changing under the reader.
 */
bool exit_rec_read(const struct exit_rec *r, uint64_t n, struct exit_rec_entry *out);

/* The exit number an entry read holds, and its state. */
static inline uint64_t exit_rec_entry_nr(const struct exit_rec_entry *e)
{
	return (e->seq >> EXIT_REC_SEQ_SHIFT) - 1;
}

static inline enum exit_rec_state exit_rec_entry_state(const struct exit_rec_entry *e)
{
	return (enum exit_rec_state)(e->seq & EXIT_REC_STATE_MASK);
}

/*
 * The column titles and one entry as a line of them (no newline), for
 * the monitor and the error report. buf of EXIT_REC_LINE_MAX bytes.
 */
#define EXIT_REC_LINE_MAX 160
void exit_rec_format_header(char *buf, size_t len);
void exit_rec_format(const struct exit_rec_entry *e, char *buf, size_t len);

/*
 * Prints through print (one call per line, after prefix) the last n
 * exits of r, oldest first, under the column titles; an entry the writer
 * overwrote meanwhile is left out. Returns the entries printed.
 */
unsigned int exit_rec_print(const struct exit_rec *r, unsigned int n,
			    void (*print)(void *ctx, const char *line), void *ctx);

#endif
