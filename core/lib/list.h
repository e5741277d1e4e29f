/*
 * Intrusive circular doubly-linked list, after Linux's list_head.
 *
 * Runs anywhere. A list is a struct list_head that heads a ring of nodes
 * embedded in the listed objects; an empty list points at itself. The
 * helpers take no lock: whoever owns the list says which lock guards it,
 * next to the field.
 *
 * A node that is on no list points at itself too (list_init() or
 * list_del_init()), so list_node_linked() can tell whether an object is
 * listed. list_del() checks its neighbours before it unlinks a node: a
 * node removed from a list it is not on, or under the wrong lock, is
 * usually caught there instead of corrupting the ring silently.
 */
#ifndef CORE_LIST_H
#define CORE_LIST_H

#include "core/lib/compiler.h"
#include "core/lib/log.h"

struct list_head {
	struct list_head *next;
	struct list_head *prev;
};

/* Static initialiser of an empty list (or an unlinked node) named name. */
#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/* True if node, initialised by list_init(), is on some list. */
static inline bool list_node_linked(const struct list_head *node)
{
	return node->next != node;
}

static inline void __list_insert(struct list_head *node,
				 struct list_head *prev,
				 struct list_head *next)
{
	next->prev = node;
	node->next = next;
	node->prev = prev;
	prev->next = node;
}

/* Inserts node right after head: at the front of the list. */
static inline void list_add(struct list_head *node, struct list_head *head)
{
	__list_insert(node, head, head->next);
}

/* Inserts node right before head: at the back of the list. */
static inline void list_add_tail(struct list_head *node,
				 struct list_head *head)
{
	__list_insert(node, head->prev, head);
}

/*
 * Unlinks node from the list it is on and leaves it unlinked (pointing at
 * itself). Asserts that its neighbours point back at it.
 */
static inline void list_del_init(struct list_head *node)
{
	struct list_head *prev = node->prev, *next = node->next;

	ASSERT(prev->next == node && next->prev == node);
	next->prev = prev;
	prev->next = next;
	list_init(node);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)

/* Iterates over every entry; the loop body must not unlink pos. */
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_entry((head)->next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

/* Iterates over every entry; the loop body may unlink pos (only pos). */
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_entry((head)->next, __typeof__(*pos), member),	\
	     n = list_entry(pos->member.next, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = n,							\
	     n = list_entry(n->member.next, __typeof__(*n), member))

#endif
