/* Intrusive doubly linked list (circular, with a head sentinel). Not thread-safe:
 * the owner of a list documents the lock that protects it. */
#ifndef CAIRN_LIST_H
#define CAIRN_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

#define LIST_INIT(name)                                                                            \
	{                                                                                          \
		&(name), &(name)                                                                   \
	}
#define list_entry(node, type, member) ((type *)((char *)(node)-offsetof(type, member)))

static inline void list_init(struct list_node *h) { h->prev = h->next = h; }
static inline bool list_empty(const struct list_node *h) { return h->next == h; }
/* list_linked: true when n is on some list (unlinked nodes point to themselves). */
static inline bool list_linked(const struct list_node *n) { return n->next != n; }

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_push_back(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h->prev, h);
}
static inline void list_push_front(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h, h->next);
}

/* list_remove: unlink n and leave it pointing to itself (list_linked() false). */
static inline void list_remove(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* list_pop_front: unlink and return the first node, or NULL when empty. */
static inline struct list_node *list_pop_front(struct list_node *h)
{
	if (list_empty(h))
		return NULL;
	struct list_node *n = h->next;
	list_remove(n);
	return n;
}

#endif
