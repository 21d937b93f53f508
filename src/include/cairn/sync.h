/* Sleeping locks (kern/sync.c): mutexes that know when their owner died, and
 * counting semaphores, both built on the scheduler's wait queues. */
#ifndef CAIRN_SYNC_H
#define CAIRN_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "cairn/sched.h"
#include "cairn/spinlock.h"

/* A sleeping mutex that knows when its owner died holding it. A thread that a
 * contained fault ends while it holds mutexes (thread_exit_from_trap) abandons
 * them: each is released and marked dead_owner, because what it protects may be
 * half-updated. mutex_lock_live then refuses it with CAIRN_ESHUTDOWN (waiters
 * already asleep are woken to get that), so no thread blocks forever on a dead
 * owner and the supervisor's drain of calls in flight finishes; the component's
 * restart re-initialises its locks (mutex_init clears dead_owner). */
struct mutex {
	struct spinlock lk;
	/* Protected by lk: */
	bool locked;
	bool dead_owner; /* the last owner died holding it */
	struct thread *owner;
	struct waitq wq;
	/* Protected by being the owner: */
	struct mutex *next_held; /* the owner's other held mutexes */
};
void mutex_init(struct mutex *m, const char *name);
/* mutex_lock: take m; panics when its owner died holding it (kernel-core locks:
 * a kernel thread's fault is fatal before that can happen). */
void mutex_lock(struct mutex *m);
/* mutex_lock_live: take m: 0, or CAIRN_ESHUTDOWN (not taken) when an owner
 * died holding it since mutex_init. For locks a component's threads hold. */
int mutex_lock_live(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(struct mutex *m); /* by the calling thread */
/* mutex_abandon_held: release every mutex t holds, marking each dead_owner and
 * waking its waiters (t is ending in a contained fault). t is the caller. */
void mutex_abandon_held(struct thread *t);

struct semaphore {
	struct spinlock lk;
	/* Protected by lk: */
	int64_t count;
	struct waitq wq;
};
void sem_init(struct semaphore *s, int64_t count);
/* sem_down: take one unit, waiting up to timeout_us (0 = forever);
 * 0 or CAIRN_ETIMEDOUT. */
int sem_down(struct semaphore *s, uint64_t timeout_us);
void sem_up(struct semaphore *s);
#endif
