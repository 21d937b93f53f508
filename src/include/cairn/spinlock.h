/* Spinlocks. Holding one disables interrupts on this hart (push_off/pop_off
 * nest), so a holder is never preempted and never migrates. Lock order: see
 * docs/locking.md. */
#ifndef CAIRN_SPINLOCK_H
#define CAIRN_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct hart;

struct spinlock {
	uint32_t locked;    /* 0 free, 1 held; atomic */
	const char *name;   /* for panics */
	struct hart *owner; /* holder, valid while locked */
};

#define SPINLOCK_INIT(n)                                                                           \
	{                                                                                          \
		0, (n), 0                                                                          \
	}

void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
/* spin_held: true when this hart holds l (call with interrupts off). */
bool spin_held(struct spinlock *l);

/* push_off/pop_off: nestable interrupt disable on this hart. */
void push_off(void);
void pop_off(void);

#endif
