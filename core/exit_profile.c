/*
 * Exit counts by (reason, RIP) from the flight recorder (see
 * core/exit_profile.h). Runs on the thread that owns the profile, any
 * CPU; reads the recorder without a lock, as exit_rec_read() allows.
 */
#include "core/exit_profile.h"
#include "core/lib/string.h"

void exit_profile_start(struct exit_profile *p, const struct exit_rec *r)
{
	memset(p, 0, sizeof(*p));
	p->next = exit_rec_head(r);
}

static unsigned int exit_profile_hash(unsigned int reason, uint64_t rip)
{
	uint64_t h = (rip ^ ((uint64_t)reason << 56)) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 32) % EXIT_PROFILE_SLOTS;
}

void exit_profile_add(struct exit_profile *p, unsigned int reason, uint64_t rip)
{
	unsigned int i = exit_profile_hash(reason, rip);

	p->sampled++;
	/* Open addressing; a slot, once taken, keeps its pair. */
	for (unsigned int probe = 0; probe < EXIT_PROFILE_SLOTS; probe++) {
		struct exit_profile_slot *s = &p->slots[i];

		if (!s->count) {
			*s = (struct exit_profile_slot){ .rip = rip, .count = 1,
							 .reason = (uint8_t)reason };
			return;
		}
		if (s->rip == rip && s->reason == reason) {
			s->count++;
			return;
		}
		i = (i + 1) % EXIT_PROFILE_SLOTS;
	}
	p->dropped++;
}

uint64_t exit_profile_sample(struct exit_profile *p, const struct exit_rec *r)
{
	uint64_t head = exit_rec_head(r), len = exit_rec_len(r), done = 0;
	struct exit_rec_entry e;

	if (head - p->next > len) {
		p->missed += head - len - p->next;
		p->next = head - len;
	}
	for (; p->next < head; p->next++) {
		if (!exit_rec_read(r, p->next, &e)) {
			p->missed++;
			continue;
		}
		exit_profile_add(p, e.reason, e.rip);
		done++;
	}
	return done;
}

/* Does a come before b in the top list? */
static bool exit_profile_before(const struct exit_profile_slot *a,
				const struct exit_profile_slot *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	if (a->rip != b->rip)
		return a->rip < b->rip;
	return a->reason < b->reason;
}

unsigned int exit_profile_top(const struct exit_profile *p, struct exit_profile_slot *out,
			      unsigned int n)
{
	unsigned int have = 0;

	/* Insertion into the short sorted list out[0..have). */
	for (unsigned int i = 0; i < EXIT_PROFILE_SLOTS; i++) {
		const struct exit_profile_slot *s = &p->slots[i];
		unsigned int at;

		if (!s->count)
			continue;
		at = have;
		while (at > 0 && exit_profile_before(s, &out[at - 1]))
			at--;
		if (at >= n)
			continue;
		if (have < n)
			have++;
		for (unsigned int j = have - 1; j > at; j--)
			out[j] = out[j - 1];
		out[at] = *s;
	}
	return have;
}
