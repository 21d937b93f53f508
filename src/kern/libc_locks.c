/* picolibc's retargetable locks (malloc, stdio) on top of spinlocks. A holder
 * runs with interrupts off, so "owner = this hart" also means "this thread".
 * Never call malloc from an interrupt handler. */
#include <sys/lock.h>

#include "cairn/hart.h"
#include "cairn/panic.h"

struct __lock {
	struct spinlock sl;
	struct hart *owner; /* for recursion; protected by sl */
	int depth;
};

struct __lock __lock___libc_recursive_mutex = { SPINLOCK_INIT("libc"), 0, 0 };

#define DYN_LOCKS 16
/* dyn_lock_next: next free entry; taken with an atomic fetch-add. */
static struct __lock dyn_locks[DYN_LOCKS];
static unsigned dyn_lock_next;

void __retarget_lock_init(_LOCK_T *lock)
{
	unsigned i = __atomic_fetch_add(&dyn_lock_next, 1, __ATOMIC_RELAXED);
	if (i >= DYN_LOCKS)
		panic("libc: more than %d dynamic locks", DYN_LOCKS);
	spin_init(&dyn_locks[i].sl, "libc-dyn");
	*lock = &dyn_locks[i];
}

void __retarget_lock_init_recursive(_LOCK_T *lock) { __retarget_lock_init(lock); }
void __retarget_lock_close(_LOCK_T lock) { (void)lock; }
void __retarget_lock_close_recursive(_LOCK_T lock) { (void)lock; }

void __retarget_lock_acquire_recursive(_LOCK_T lock)
{
	push_off();
	if (lock->owner == hart_self()) {
		lock->depth++;
		pop_off();
		return;
	}
	spin_lock(&lock->sl);
	lock->owner = hart_self();
	lock->depth = 1;
	pop_off(); /* spin_lock's own push keeps interrupts off */
}

void __retarget_lock_release_recursive(_LOCK_T lock)
{
	if (lock->owner != hart_self())
		panic("libc lock released by a non-owner");
	if (--lock->depth == 0) {
		lock->owner = 0;
		spin_unlock(&lock->sl);
	}
}

void __retarget_lock_acquire(_LOCK_T lock) { __retarget_lock_acquire_recursive(lock); }
void __retarget_lock_release(_LOCK_T lock) { __retarget_lock_release_recursive(lock); }

int __retarget_lock_try_acquire(_LOCK_T lock)
{
	__retarget_lock_acquire_recursive(lock);
	return 1;
}

int __retarget_lock_try_acquire_recursive(_LOCK_T lock)
{
	return __retarget_lock_try_acquire(lock);
}
